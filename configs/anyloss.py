"""AnyLoss (Han et al., "AnyLoss: Transforming Classification Metrics into Loss Functions", 2024,
arXiv:2405.14745): a differentiable confusion matrix turns a metric into a loss.

Claim: on imbalanced binary data, optimising the AnyLoss of a metric (here balanced accuracy, and F1)
beats binary cross-entropy on that metric.
cpu:   scikit-learn breast cancer, training set subsampled to a 10:1 imbalance (170 malignant, 17
       benign; lbrl.data.transforms.long_tail, a new subsample per seed), test set untouched (114, 37%
       malignant). MLP 30-64-64-2 (score z_1 - z_0), Adam lr 1e-3, full batch, 500 steps. Metric: test
       balanced accuracy. Arms: BCE, AnyLoss(balanced accuracy), AnyLoss(F1). 5 seeds.
paper: 102 imbalanced tabular datasets (and 4 balanced ones), single-layer / MLP models, Adam; results
       are per-dataset tables (F1, balanced accuracy, geometric mean...).
observed (cpu run, 5 seeds): test balanced accuracy AnyLoss(balanced accuracy) 89.0 ± 2.4%,
       BCE 89.0 ± 2.0% (equal means over 5 seeds; per seed the two differ by up to 3.3 points either
       way), AnyLoss(F1) 87.0 ± 1.6%. At a 10:1 training imbalance on this easy, standardised
       tabular set BCE is not hurt enough for a metric-specific loss to help.
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="breast_cancer", batch_size=187, eval_batch_size=1000)
  c.data.transforms = [dict(name="long_tail", imbalance_ratio=10.0)]
  c.model = common.free(name="mlp", hidden=(64, 64))
  c.loss = common.free(name="anyloss", metric="balanced_accuracy")
  c.optimizer = common.free(name="adam", learning_rate=1e-3)
  c.steps = common.by_variant(variant, smoke=2, cpu=500, paper=500)
  c.eval_every = common.by_variant(variant, smoke=0, cpu=100, paper=100)
  c.log_every = common.by_variant(variant, smoke=1, cpu=100, paper=100)
  c.eval_metrics = ["loss", "accuracy", "balanced_accuracy", "macro_f1"]
  c.paper.update(
      title="AnyLoss: Transforming Classification Metrics into Loss Functions", year=2024,
      arxiv="2405.14745", slug="anyloss", provides="function", code="lbrl.losses.binary.anyloss",
      claim="on imbalanced binary data, AnyLoss of a metric beats BCE on that metric",
      expected="AnyLoss(balanced accuracy) above BCE in test balanced accuracy",
      setting="102 imbalanced tabular datasets, MLPs, Adam", hardware="CPU/GPU (paper)")
  c.sweep.metric = "eval/balanced_accuracy"
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.arms = {"bce": {"loss": {"name": "binary_logistic"}},
                  "anyloss_bacc": {"loss": {"name": "anyloss", "metric": "balanced_accuracy"}},
                  "anyloss_f1": {"loss": {"name": "anyloss", "metric": "f1"}}}
  c.sweep.rules = [{"arm": "anyloss_bacc", "op": ">", "than": "bce"}]
  common.cpu_sized(
      c, "the paper's runs are single-layer and MLP models on 102 small tabular datasets")
  return common.finalize(c)
