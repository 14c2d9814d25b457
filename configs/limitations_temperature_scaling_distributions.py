"""On the limitations of temperature scaling (Chidambaram & Ge, "On the Limitations of Temperature Scaling for
Distributions with Overlaps", ICLR 2024, arXiv:2306.00740).

Their theory: when class supports overlap, the empirical-risk minimiser stays badly calibrated after
temperature scaling (with many classes, asymptotically no better than a random forecaster), while training
on the Mixup-induced empirical risk gives good calibration. Their experiments induce overlap with label
noise (CIFAR) and with overlapping Gaussians, and show Mixup + TS beating ERM + TS on calibration metrics.

Claim tested: on overlapping classes, Mixup (+ TS) is better calibrated than ERM + TS (lower test ECE and
NLL), and ERM + TS is still far from calibrated.
cpu:   ``gaussian_mixture`` with 10 classes in 10 dimensions, orthonormal means at separation 1.5 (std 1, so the
       classes overlap heavily; Bayes accuracy well below 1), 2,000 training examples (train[:90%] trained,
       train[90%:] = 200 held out for TS), 2,000 test; MLP 10-256-256-10, Adam 3e-3, batch 64, 1500 steps, no
       regularisation (ERM interpolates). Mixup: alpha = 1 (the paper's), 8 statically mixed copies of the
       training split (lbrl.data.calibration_transforms.mixup). TS fitted on the held-out split for every arm.
       5 seeds. Rules fixed before the run: mixup_ts ECE lower than erm_ts by more than 0.01; mixup_ts NLL
       lower than erm_ts (margin 0.01 nats); erm_ts ECE stays >= 0.02.
paper: CIFAR-10/100 with 0-50% symmetric label noise, ResNet-18 (their Table 1 style comparison of ERM+TS and
       Mixup+TS, 5 seeds); the paper gives its results as plots and tables of ECE, not one headline number.
"""
from lbrl import config as common

HELD_OUT = "train[90%:]"


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="gaussian_mixture", batch_size=64, eval_batch_size=1000, split_train="train[:90%]")
  c.data.options = common.free(num_classes=10, dim=10, separation=1.5, std=1.0, num_train=2000, num_test=2000)
  c.model = common.free(name="mlp", hidden=(256, 256))
  c.optimizer = common.free(name="adam", learning_rate=3e-3)
  c.steps = common.by_variant(variant, smoke=3, cpu=1500, paper=1500)
  c.eval_every = 0
  c.log_every = common.by_variant(variant, smoke=1, cpu=500, paper=500)
  c.eval_metrics = ["loss", "accuracy", "ece", "nll", "classwise_ece", "smooth_ece"]
  c.post_training = [dict(name="temperature_scaling", split=HELD_OUT)]
  mixup = [dict(name="mixup", alpha=1.0, copies=common.by_variant(variant, smoke=1, cpu=8, paper=8))]
  c.paper.update(
      title="On the Limitations of Temperature Scaling for Distributions with Overlaps", year=2024,
      arxiv="2306.00740", slug="limitations_temperature_scaling_distributions",
      provides="tool", code="lbrl.data.calibration_transforms.mixup + lbrl.train.stages.temperature_scaling",
      claim="with overlapping classes, ERM + temperature scaling stays mis-calibrated while Mixup (+ TS) calibrates",
      expected="Mixup + TS below ERM + TS on ECE/NLL under label-noise overlap (plots/tables, no single number)",
      setting="CIFAR-10/100 with symmetric label noise, ResNet-18; synthetic overlapping Gaussians",
      hardware="GPU (paper)")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.metric = "eval/ece"
  c.sweep.arms = {"erm_ts": {}, "mixup_ts": {"data": {"transforms": mixup}}}
  c.sweep.rules = [
      {"arm": "mixup_ts", "op": "<", "than": "erm_ts", "margin": 0.01},
      {"arm": "mixup_ts", "op": "<", "than": "erm_ts", "metric": "eval/nll", "margin": 0.01, "better": "lower"},
      {"arm": "erm_ts", "op": ">=", "value": 0.02},
  ]
  c.sweep.partly_testable = ("the asymptotic many-class statement (TS no better than random as classes grow): "
                             "one class count here")
  if variant == "paper":
    common.cifar(c, model=dict(name="resnet18"), dataset="cifar10", batch=128, epochs=200,
                 optimizer=dict(name="sgd", learning_rate=0.1, momentum=0.9, weight_decay=5e-4),
                 transforms=[dict(name="label_noise", rate=0.4, kind="symmetric")])
    c.data.update(split_train="train[:90%]")
    c.post_training = [dict(name="temperature_scaling", split=HELD_OUT)]
    c.sweep.arms = {"erm_ts": {}, "mixup_ts": {"data": {"transforms": [
        dict(name="label_noise", rate=0.4, kind="symmetric"), dict(name="mixup", alpha=1.0, copies=8)]}}}
  return common.finalize(c)
