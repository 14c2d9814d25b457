"""Normalized LR+GD (Tyurin, "From Logistic Regression to the Perceptron Algorithm: Exploring Gradient
Descent with Large Step Sizes", 2024, arXiv:2412.08424).

Claim: on separable data, logistic regression with full-batch GD separates the data sooner with larger
steps (even though its logistic loss is higher: the loss is an unreliable progress measure), and the
proposed Normalized LR+GD (step lr / f(w_t)) needs fewer iterations still.
cpu:   scikit-learn digits (1,437 training images, 64 features, 10 classes), multinomial logistic
       regression, full-batch GD for 40 steps; the metric is accuracy on the *training* set (progress
       towards separation), with the training loss beside it. GD at steps 0.1, 1 and 10; Normalized
       LR+GD at 1. 3 seeds (the initialisation), under a minute on 2 cores. Differences from the paper:
       10 classes (softmax) instead of binary labels, and within 40 steps no arm separates the set
       (best training accuracy about 96%), so this is the early, pre-separation regime.
paper: synthetic separable binary data and LIBSVM sets, iteration counts of LR+GD vs step size and of
       Normalized LR+GD (figures; no single number).
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="digits", batch_size=1437, eval_batch_size=1437, split_eval="train")
  c.model = common.free(name="logreg")
  c.loss.name = "cross_entropy"
  c.optimizer = common.free(name="normalized_lr_gd", learning_rate=1.0)  # the method; GD arms are baselines
  c.steps = common.by_variant(variant, smoke=2, cpu=40, paper=40)
  c.eval_every = common.by_variant(variant, smoke=0, cpu=5, paper=5)
  c.log_every = common.by_variant(variant, smoke=1, cpu=5, paper=5)
  c.paper.update(
      title="From Logistic Regression to the Perceptron Algorithm: Exploring Gradient Descent with "
            "Large Step Sizes", year=2024, arxiv="2412.08424", slug="normalized_lr_gd",
      provides="transform", code="lbrl.optim.descent.normalized_lr_gd",
      claim="larger GD steps separate the data sooner (despite a higher logistic loss); Normalized "
            "LR+GD separates sooner than LR+GD",
      expected="training accuracy after 40 steps: GD step 10 > GD step 0.1, and Normalized LR+GD > GD "
               "at the same base step",
      setting="separable synthetic and LIBSVM binary data, full-batch", hardware="CPU (paper)")
  gd = lambda lr: {"optimizer": {"name": "sgd", "learning_rate": lr}}
  c.sweep.arms = {"gd_lr0p1": gd(0.1), "gd_lr1": gd(1.0), "gd_lr10": gd(10.0),
                  "normalized_lr1": {"optimizer": {"name": "normalized_lr_gd", "learning_rate": 1.0}}}
  c.sweep.rules = [{"arm": "gd_lr10", "op": ">", "than": "gd_lr0p1"},
                   {"arm": "normalized_lr1", "op": ">", "than": "gd_lr1"}]
  common.cpu_sized(
      c, "the paper's experiments are full-batch logistic regression on small separable synthetic and LIBSVM sets (it ran on a CPU)")
  return common.finalize(c)
