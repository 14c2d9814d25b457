"""The small MNIST-1D config the trainer tests share."""
from lbrl import config as common


def small_config(steps=20, model="mlp", **over):
  c, _ = common.base("variant=cpu")
  c.data.update(name="mnist1d", batch_size=64, eval_batch_size=200)
  c.model = common.free(name=model)
  c.optimizer = common.free(name="adam", learning_rate=3e-3)
  c.steps = steps
  c.log_every = 5
  for k, v in over.items():
    c[k] = v
  return common.finalize(c)
