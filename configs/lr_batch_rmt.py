"""Learning rates as a function of batch size (Granziol, Zohren & Roberts, "Learning Rates as a Function of
Batch Size: A Random Matrix Theory Approach to Neural Network Training", JMLR 2022, arXiv:2006.09092).

Claim: the batch Hessian's extremal eigenvalues exceed the empirical Hessian's by a fluctuation term that
shrinks with the batch, so the largest stable learning rate grows with the batch: linearly for SGD, as
the square root for Adam.
The rules: lbrl.optim.batch_rules (batch_hessian_extremal_eigenvalue: the spiked-Wigner transition,
checked against random-matrix numerics; max_stable_lr_sgd; scale_learning_rate 'linear' / 'sqrt').
cpu: MNIST-1D MLP (4,000 training examples, 20 epochs). From a base batch of 32 at a rate near each
optimizer's stability limit (SGD 0.3, Adam 3e-3, lbrl's pilot choice) the batch grows 8x to 256 and the rate
is scaled linearly (x8) or as the square root (x2.83). 3 seeds. Rules fixed before the run: (1) SGD at batch
256 with the linearly scaled rate is not worse than SGD at batch 32 (margin 2 points of test accuracy); (2)
Adam at batch 256 with the square-root rate is not worse than Adam at batch 32 (margin 2 points); (3) Adam at
batch 256: the square-root rate beats the linear one (margin 1 point: linear scaling over-shoots Adam's
stable rate). Diverged runs count as the worst (the trainer records them).
paper variant: WideResNet-28-10 on CIFAR-100, SGD momentum 0.9 at batch 128 (learning rate 0.1, weight decay
5e-4, 200 epochs, 1 GPU); the paper's VGG-16 / WRN runs over batch sizes are its figures.
"""
from lbrl import config as common

EPOCHS, N = 20, 4000


def get_config(arg=None):
  c, variant = common.base(arg)
  smoke = variant == "smoke"
  steps = lambda b: 2 if smoke else EPOCHS * N // b
  c.data.update(name="mnist1d", batch_size=32, eval_batch_size=1000)
  c.model = common.free(name="mlp", hidden=(256, 256))
  c.loss = common.free(name="cross_entropy")
  c.optimizer = common.free(name="sgd", learning_rate=0.3)
  c.steps = steps(32)
  c.log_every = 1 if smoke else 100
  c.paper.update(
      title="Learning Rates as a Function of Batch Size: A Random Matrix Theory Approach to Neural Network "
            "Training", year=2022, arxiv="2006.09092", slug="lr_batch_rmt", provides="transform",
      code="SGD/Adam (optimizers 'sgd', 'adam') with lbrl.optim.batch_rules.scale_learning_rate "
           "(linear for SGD, sqrt for Adam), batch_hessian_extremal_eigenvalue, max_stable_lr_sgd",
      claim="the maximal learning rate scales linearly with the batch for SGD and as its square root for Adam",
      expected="linear (SGD) and square-root (Adam) scaling of the best learning rate with batch size "
               "(Figures of the paper, VGG-16 / WRN-28-10 on CIFAR-100; no single number)",
      setting="VGG-16 and WideResNet-28-10 on CIFAR-100 and ImageNet over batch sizes",
      hardware="GPUs (paper)")
  c.sweep.seeds = [0, 1, 2]
  c.sweep.metric = "eval/accuracy"
  big = {"data": {"batch_size": 256}, "steps": steps(256), "log_every": 1 if smoke else 20}
  c.sweep.arms = {
      "sgd_b32": {},
      "sgd_b256_linear": {**big, "optimizer": {"name": "sgd", "learning_rate": 0.3 * 8}},
      "adam_b32": {"optimizer": {"name": "adam", "learning_rate": 3e-3}},
      "adam_b256_sqrt": {**big, "optimizer": {"name": "adam", "learning_rate": 3e-3 * 8 ** 0.5}},
      "adam_b256_linear": {**big, "optimizer": {"name": "adam", "learning_rate": 3e-3 * 8}},
  }
  c.sweep.rules = [
      {"arm": "sgd_b256_linear", "op": "not_worse", "than": "sgd_b32", "margin": 0.02},
      {"arm": "adam_b256_sqrt", "op": "not_worse", "than": "adam_b32", "margin": 0.02},
      {"arm": "adam_b256_sqrt", "op": ">", "than": "adam_b256_linear", "margin": 0.01},
  ]
  c.max_skipped_fraction = 1.0
  c.sweep.partly_testable = ("the stability limit is probed at one base rate per optimizer (not located by a "
                             "search over rates), on an MLP instead of VGG/WRN on CIFAR-100")
  if variant == "paper":
    common.cifar(c, model=dict(name="wide_resnet", depth=28, widen=10), dataset="cifar100", batch=128,
                 epochs=200, optimizer=dict(name="sgd", learning_rate=0.1, momentum=0.9, weight_decay=5e-4))
  return common.finalize(c)
