"""The trainer (jit-sharded step, eval, checkpoints) and its pieces."""
from lbrl.train.trainer import TrainState, train
