"""Temperature scaling (Guo, Pleiss, Sun & Weinberger, "On Calibration of Modern Neural Networks", ICML 2017,
arXiv:1706.04599): one scalar ``T`` fitted by NLL on a held-out split divides the logits; the arg-max, hence
accuracy, is unchanged. Compared with vector and matrix scaling (same paper) and one-vs-rest Platt scaling.

Claim: an over-confident network's ECE drops sharply after temperature scaling while its accuracy is
unchanged; vector/matrix scaling are no better than temperature scaling (matrix scaling overfits with
few held-out examples per parameter).
cpu:   MNIST-1D, MLP 40-256-256-10 trained without regularisation to interpolation (Adam 3e-3, batch 64,
       1500 steps on train[:90%] = 3,600 examples) so that it is over-confident; calibrators fitted on the
       held-out train[90%:] (400 examples), ECE (15 equal-width bins) and NLL on the 1,000 test examples;
       5 seeds, every arm the same trained network per seed (same seed, same data order), only the stage
       differs. Rules fixed before the run: TS lowers ECE by more than 0.02 (absolute) against the
       uncalibrated network; accuracy tie within 0.1 point (TS keeps the arg-max exactly); vector scaling
       not worse than TS on NLL by more than 0.02 nats; matrix scaling worse than TS on NLL (overfit).
paper: CIFAR-100 ResNet-110, 45,000/5,000 train/validation split, SGD momentum 0.9, batch 128, 500
       epochs, lr 0.1 divided by 10 at epochs 250 and 375 (the authors' training); Table 1 reports ECE
       (15 bins) 16.53% uncalibrated and 1.26% after temperature scaling. lbrl's zoo has no ResNet-110: the
       paper variant trains the zoo's wide_resnet (WRN-28-10) in its place.
"""
from lbrl import config as common

HELD_OUT = "train[90%:]"


def get_config(arg=None):
  c, variant = common.base(arg)
  common.overfit_mnist1d(c, variant)
  c.eval_metrics = ["loss", "accuracy", "ece", "nll", "brier", "mce"]
  c.post_training = [dict(name="temperature_scaling", split=HELD_OUT)]
  c.paper.update(
      title="On Calibration of Modern Neural Networks", year=2017, arxiv="1706.04599", slug="temperature_scaling",
      provides="tool", code="lbrl.evaluation.calibrators.fit_temperature (stage lbrl.train.stages.temperature_scaling)",
      claim="an over-confident network's ECE drops sharply after temperature scaling, accuracy unchanged; vector "
            "and matrix scaling do not beat it",
      expected="CIFAR-100 ResNet-110 ECE 16.53% -> 1.26% after temperature scaling (Table 1, 15 bins)",
      setting="CIFAR-10/100, SVHN, ImageNet, text; ResNet/WRN/DenseNet/LeNet; 10-25% of train held out",
      hardware="GPU (paper)")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.metric = "eval/ece"
  c.sweep.arms = {
      "uncalibrated": {"post_training": []},
      "temperature": {"post_training": [dict(name="temperature_scaling", split=HELD_OUT)]},
      "vector": {"post_training": [dict(name="vector_scaling", split=HELD_OUT)]},
      "matrix": {"post_training": [dict(name="matrix_scaling", split=HELD_OUT)]},
  }
  c.sweep.rules = [
      {"arm": "temperature", "op": "<", "than": "uncalibrated", "margin": 0.02},
      {"arm": "temperature", "op": "tie", "than": "uncalibrated", "metric": "eval/accuracy", "margin": 0.001},
      {"arm": "vector", "op": "not_worse", "than": "temperature", "metric": "eval/nll", "margin": 0.02,
       "better": "lower"},
      {"arm": "matrix", "op": ">", "than": "temperature", "metric": "eval/nll", "margin": 0.0, "better": "lower"},
  ]
  c.sweep.partly_testable = ("the paper's depth/width/BatchNorm/weight-decay study of what makes networks "
                             "over-confident: here only one over-fitted MLP")
  if variant == "paper":
    common.cifar(c, model=dict(name="wide_resnet", depth=28, widen=10), dataset="cifar100", batch=128, epochs=500,
                 optimizer=dict(name="sgd", learning_rate=0.1, momentum=0.9, weight_decay=1e-4),
                 schedule=dict(name="step", boundaries=(0.5, 0.75), factors=(0.1, 0.1)), train_size=45_000)
    c.data.update(split_train="train[:90%]")
    c.post_training = [dict(name="temperature_scaling", split=HELD_OUT)]
  return common.finalize(c)
