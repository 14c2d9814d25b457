"""Unit scaling (Blake, Orr and Luschi, "Unit Scaling: Out-of-the-Box Low-Precision Training", ICML 2023,
arXiv:2303.11257).

Method: every op carries forward and backward scale factors chosen so that weights, activations and
gradients have unit variance at initialisation (:mod:`lbrl.quant.unit_scaling`: ``linear``,
``UnitScaledMLP`` = ``unit_scaled_mlp``), which centres them in a low-precision format's range, so that a
plain cast to FP8/FP16 (no loss scaling, no per-tensor scales) trains.
Claim: BERT-Large trained in FP16 and then FP8 with no loss of accuracy, without loss scaling.
cpu:   MNIST-1D, MLP 40-256-256-10 (:func:`lbrl.quant.policy.training_protocol`) standard vs unit-scaled,
       each in float32 and with the naive FP8 cast of every Dense matmul (E4M3 forward, E5M2 gradients,
       scale 1: :mod:`lbrl.quant.policy`), 5 seeds. Each arm's Adam learning rate is tuned on a validation
       split (``sweep.tune``: train[90%:], trained on train[:90%], one selection seed) before the test runs:
       the paper compares each model at its own swept learning rate, and with Adam a unit-variance kernel
       needs a larger rate than an ``N(0, 1/fan_in)`` one (the relative update ``lr / |w|`` is
       ``sqrt(fan_in)`` times smaller at the same rate); the grids reach past each optimum (standard
       1e-3 .. 3e-2, unit-scaled 3e-3 .. 3e-1). A first run with one shared rate (3e-3, not committed) put
       the unit-scaled MLP 9.8 points below the standard one even in float32: that rate, not the format.
       Both MLPs have biases (the package's ``Linear`` has one; a first tuned run without them, committed
       as 7e82304, put the bias-free unit-scaled MLP 4.9 points below the standard one in float32, and one
       seed with biases recovered 2.8 of them, so the unit arms were rerun with ``use_bias=True``).
observed (cpu run, 5 seeds, each arm at its tuned rate: standard 1e-2, unit-scaled 1e-1, interior to both grids):
       inconclusive. The unit-scaled MLP is 1.8 points [-0.6, 4.1] below the standard one in float32, its
       FP8 cast 1.4 points below its float32 (the standard MLP's cast costs 2.1), and the unit-scaled FP8
       model 3.1 points [0.3, 6.0] below float32 and 1.1 [-1.0, 3.2] below the standard FP8 cast: no
       contradiction, no support, at 5 seeds (minimum detectable effects 2.8-3.8 points). At this scale the
       naive E4M3/E5M2 cast barely hurts the standard MLP either (O(1) inputs, Adam), so there is little
       for unit scaling to fix.
paper: BERT-Base/Large pre-training on Wikipedia + BookCorpus in FP16 and FP8; lbrl has no unit-scaled
       transformer, so the paper variant is the cpu setting (said below).
"""
from lbrl import config as common
from lbrl.quant.policy import FP8_NAIVE, training_protocol


def get_config(arg=None):
  c, variant = common.base(arg)
  training_protocol(c, variant)
  c.paper.update(
      title="Unit Scaling: Out-of-the-Box Low-Precision Training", year=2023, arxiv="2303.11257",
      slug="unit_scaling", provides="baseline",
      code="lbrl.quant.unit_scaling (scale_fwd, scale_bwd, linear, UnitScaledMLP = unit_scaled_mlp); FP8 cast by "
           "lbrl.quant.policy; against lbrl.models.simple.MLP",
      claim="unit-scaled models train in FP8 by a plain cast (no loss or tensor scaling) without loss of accuracy",
      expected="cpu: the unit-scaled MLP with the naive FP8 cast within 1 point of the float32 standard MLP, and "
               "above the standard MLP with the same cast",
      setting="paper: BERT-Base/Large, FP16 and FP8 (E4M3/E5M2) without loss scaling, SQuAD / GLUE fine-tuning",
      hardware="paper: Graphcore IPUs; cpu: 2 cores, FP8 emulated")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  unit = {"model": {"name": "unit_scaled_mlp", "use_bias": True}}
  fp8 = {"precision": {"matmul": FP8_NAIVE}}
  c.sweep.arms = common.free(fp32={}, fp8_naive=fp8, unit_fp32=unit, unit_fp8_naive={**unit, **fp8})
  lr = "optimizer.learning_rate"
  sp_grid, unit_grid = [(lr, [1e-3, 3e-3, 1e-2, 3e-2])], [(lr, [3e-3, 1e-2, 3e-2, 1e-1, 3e-1])]
  c.sweep.tune = dict(grids=dict(fp32=sp_grid, fp8_naive=sp_grid, unit_fp32=unit_grid, unit_fp8_naive=unit_grid),
                      split="train[90%:]", train_split="train[:90%]", seeds=[1000])
  c.sweep.rules = [{"arm": "unit_fp8_naive", "op": "not_worse", "than": "fp32", "margin": 0.01},
                   {"arm": "unit_fp8_naive", "op": ">", "than": "fp8_naive", "margin": 0.01},
                   {"arm": "unit_fp32", "op": "not_worse", "than": "fp32", "margin": 0.01}]
  c.sweep.partly_testable = "an MNIST-1D MLP stands in for BERT; FP8 only (the FP16 stage is not separately run)"
  common.cpu_sized(c, "lbrl has no unit-scaled transformer for the paper's BERT runs; the paper variant is the "
                      "cpu MLP setting")
  return common.finalize(c)
