"""Normalized LR+GD (Tyurin, "From Logistic Regression to the Perceptron Algorithm: Exploring Gradient
Descent with Large Step Sizes", 2024, arXiv:2412.08424).

Claim: on separable data, logistic regression with full-batch GD separates the data sooner with larger
steps (even though its logistic loss is higher: the loss is an unreliable progress measure), and the
proposed Normalized LR+GD (step lr / f(w_t)) needs fewer iterations still.
cpu:   scikit-learn digits (1,437 training images, 64 features, 10 classes; separable by a linear
       multinomial model), multinomial logistic regression, full-batch GD for at most 2,000 steps,
       training accuracy evaluated every 20 steps. The metric is the paper's: iterations to solve the
       classification problem, measured as the first logged step at which the training accuracy is
       100% (``sweep.reach``; resolution 20 steps). GD at steps 1, 10 and 100; Normalized LR+GD at 1.
       3 seeds (the initialisation; the batch is the whole set), about 5 minutes on 2 cores.
       Difference from the paper: 10 classes (softmax) instead of binary labels.
protocol (changed for issue 14, rules fixed before the rerun): the first run scored training accuracy
       after 40 steps, where no arm separates the data (best about 96%): that is the pre-separation
       regime and not the paper's quantity. The rerun measures steps to 100% training accuracy within a
       2,000-step budget. A run that never separates is censored: its value is the budget (a lower
       bound) and the rules treat it as such (lbrl.tools.verdicts.censor: an outcome is kept only if
       it rests on an interval end that censoring cannot move, e.g. "A separates sooner than B" still
       holds when B never separates, but cannot hold when A does not). The step sizes move up one
       decade (1, 10, 100 instead of 0.1, 1, 10): in a float64 transcription GD at 0.1 and 1 does not
       separate digits within 3,000 steps, so they would only be censored runs. Margin: 100 steps
       (5 evaluation intervals, 5% of the budget), fixed before the run.
observed (this run, 3 seeds): GD at step 1 never separates within 2,000 steps (99.1% training
       accuracy; censored in every seed), GD at 10 separates at step 1,733 (mean), GD at 100 at 393, and
       Normalized LR+GD at base step 1 at 1,227: larger steps separate sooner and Normalized LR+GD beats
       GD at the same base step, each by far more than the 100-step margin (intervals in the rules).
       Two things the rules do not score: Normalized LR+GD at 1 is slower than plain GD at 100 (the
       paper's comparison is at the same base step), and after separating it does not stay separated
       (final training accuracy 98.6 ± 1.3%: with eps = 0 its step lr / f grows as the loss falls, and
       the iterates oscillate); the paper's guarantee is for reaching a separating point, which is what
       the metric counts (the first logged step at 100%). The first run's verdict (reproduced, from
       accuracy after 40 steps, re-evaluated with paired rules) is replaced by this run's.
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
  c.steps = common.by_variant(variant, smoke=2, cpu=2000, paper=2000)
  c.eval_every = common.by_variant(variant, smoke=0, cpu=20, paper=20)
  c.log_every = common.by_variant(variant, smoke=1, cpu=20, paper=20)
  c.paper.update(
      title="From Logistic Regression to the Perceptron Algorithm: Exploring Gradient Descent with "
            "Large Step Sizes", year=2024, arxiv="2412.08424", slug="normalized_lr_gd",
      provides="transform", code="lbrl.optim.descent.normalized_lr_gd",
      claim="larger GD steps separate the data sooner (despite a higher logistic loss); Normalized "
            "LR+GD separates sooner than LR+GD",
      expected="steps to 100% training accuracy: GD step 10 < GD step 1, GD step 100 < GD step 10, and "
               "Normalized LR+GD < GD at the same base step",
      setting="separable synthetic and LIBSVM binary data, full-batch", hardware="CPU (paper)")
  # the first logged step with 100% training accuracy (eval on the training split), censored at c.steps
  c.sweep.reach = {"steps_to_separate": {"metric": "eval/accuracy", "threshold": 1.0, "op": ">="}}
  c.sweep.metric = "steps_to_separate"
  gd = lambda lr: {"optimizer": {"name": "sgd", "learning_rate": lr}}
  c.sweep.arms = {"gd_lr1": gd(1.0), "gd_lr10": gd(10.0), "gd_lr100": gd(100.0),
                  "normalized_lr1": {"optimizer": {"name": "normalized_lr_gd", "learning_rate": 1.0}}}
  m = {"margin": 100}   # steps: 5 evaluation intervals, 5% of the budget
  c.sweep.rules = [{"arm": "gd_lr10", "op": "<", "than": "gd_lr1", **m},
                   {"arm": "gd_lr100", "op": "<", "than": "gd_lr10", **m},
                   {"arm": "normalized_lr1", "op": "<", "than": "gd_lr1", **m}]
  common.cpu_sized(
      c, "the paper's experiments are full-batch logistic regression on small separable synthetic and LIBSVM sets (it ran on a CPU)")
  return common.finalize(c)
