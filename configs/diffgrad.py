"""diffGrad (Dubey et al., "diffGrad: An Optimization Method for Convolutional Neural Networks", IEEE
TNNLS 2019, arXiv:1909.11015).

Claim: scaling Adam's step by the friction xi = sigmoid(|g_{t-1} - g_t|) (smaller steps where the
gradient barely changes) beats Adam on CNN image classification.
cpu:   MNIST-1D 1-D CNN, batch 128, 3000 steps, cosine schedule; diffGrad and Adam each at learning
       rates 3e-3, 1e-2, 3e-2 (matched tuning budget: the same three rates). 3 seeds, about 3 minutes on
       2 cores. The rules compare the two at each rate.
paper: ResNet-18/34/50 on CIFAR-10/100 (and with several activations); accuracies in the paper's tables.
"""
from configs import common

ADAM_LRS = (3e-3, 1e-2, 3e-2)


def versus(c, method: str, method_lrs, base: str = "adam", base_lrs=ADAM_LRS, **method_kwargs):
  """Arms ``<method>_lr<i>`` and ``<base>_lr<i>`` (i = 0, 1, 2: low, mid, high) and the rules
  ``method_lr<i> > base_lr<i>`` (the paper's "beats the baseline" at each point of the LR grid)."""
  arms, rules = {}, []
  for i, (lm, lb) in enumerate(zip(method_lrs, base_lrs)):
    arms[f"{method}_lr{i}"] = {"optimizer": {"name": method, "learning_rate": lm, **method_kwargs}}
    arms[f"{base}_lr{i}"] = {"optimizer": {"name": base, "learning_rate": lb}}
    rules.append({"arm": f"{method}_lr{i}", "op": ">", "than": f"{base}_lr{i}"})
  c.sweep.arms = arms
  c.sweep.rules = rules


def cnn_base(arg, name: str, lr: float):
  c, variant = common.base(arg)
  c.data.update(name="mnist1d", batch_size=128, eval_batch_size=1000)
  c.model = common.free(name="cnn1d")
  c.loss.name = "cross_entropy"
  c.optimizer = common.free(name=name, learning_rate=lr)
  c.schedule.name = "cosine"
  c.steps = common.by_variant(variant, smoke=2, cpu=3000, paper=3000)
  c.eval_every = common.by_variant(variant, smoke=0, cpu=500, paper=500)
  c.log_every = common.by_variant(variant, smoke=1, cpu=250, paper=250)
  return c


def get_config(arg=None):
  c = cnn_base(arg, "diffgrad", 1e-2)
  c.paper.update(
      title="diffGrad: An Optimization Method for Convolutional Neural Networks", year=2019,
      arxiv="1909.11015", slug="diffgrad", provides="transform", code="lbrl.optim.adaptive.diffgrad",
      claim="diffGrad beats Adam on CNN image classification",
      expected="diffGrad test accuracy above Adam's at each learning rate of the grid",
      setting="ResNet-18/34/50 on CIFAR-10/100", hardware="GPU (paper)")
  versus(c, "diffgrad", ADAM_LRS)
  return common.finalize(c)
