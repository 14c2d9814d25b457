"""INT4 fixed-point training with a large-gradient interval (Kim, Lee, Jeon, Moon and Ham, "Toward INT4
Fixed-Point Training via Exploring Quantization Error for Gradients", ECCV 2024, arXiv:2407.12637).

Method: gradients are quantized to low-bit fixed point with a clipping interval ``c_g = gamma g_max``
chosen to keep the quantization error of the large-magnitude gradients small (the paper bounds that error
in terms of the interval and updates gamma adaptively); weights and activations are quantized too
(:mod:`lbrl.quant.policy`: int4 per-tensor input and kernel, ``grad_quantizer="large_gradient"``, a
stateless per-step choice of gamma on a grid; the min-max baseline is the int4 per-tensor absmax gradient).
Claim: 4/4/4-bit (weights/activations/gradients) training close to full precision on classification,
detection and super-resolution; minimising the large gradients' error beats min-max and whole-distribution
intervals (no single number).
cpu:   MNIST-1D MLP 40-256-256-10 (:func:`lbrl.quant.policy.training_protocol`), float32 vs W4A4G4 with the
       min-max gradient interval vs with the large-gradient interval, 5 seeds. The "close to full precision"
       part is ruled on against the same int4 forward with float gradients (arm ``w4a4``), not float32:
       the first run (2026-12-02) had that rule against float32, and both int4 arms lost ~11 points to it
       alike (large-gradient -10.6 [-13.2, -8.0], min-max -11.9), i.e. lbrl's per-tensor absmax int4 forward
       quantizer, which is not the paper's, not the gradient interval under test. The rule's reference was
       changed then, before the ``w4a4`` arm ran (the other arms' runs are unchanged); the gap to float32 is
       reported, not ruled on. That first run shared the protocol's rate 3e-3 across arms (large-gradient
       -5.0 [-7.2, -2.7] points below ``w4a4``, +1.2 [-2.9, +5.4] above min-max); it was not committed, and
       each arm's Adam rate is now tuned on a validation split first (``sweep.tune``: train[90%:], trained
       on train[:90%], grid 1e-3 .. 3e-2, one selection seed), as in accurate_efficient_sub_8. The
       large-gradient arm was slow on CPU (~150 s a run: ``jnp.quantile`` sorted each gradient); its large set
       is now the entries at or above the k-th largest ``|g|`` found by bisection on the float bits (the same
       set, tested; ~15x faster per quantizer call).
paper: ResNet-18/34/50 ImageNet, 4/4/4 bits; the paper variant is the zoo's ImageNet ResNet-50 recipe
       (lbrl's policy quantizes Dense matmuls; the convolutions stay float: said in the rules' caveat).
"""
from lbrl import config as common
from lbrl.quant.policy import W4A4, matmul_arms, paper_recipe, spec, training_protocol

MINMAX = {**W4A4, "grad": spec("int4")}
LARGE = {**W4A4, "grad_quantizer": "large_gradient", "grad_bits": 4}


def get_config(arg=None):
  c, variant = common.base(arg)
  training_protocol(c, variant)
  c.paper.update(
      title="Toward INT4 Fixed-Point Training via Exploring Quantization Error for Gradients", year=2024,
      arxiv="2407.12637", slug="int4_fixed_point_training", provides="baseline",
      code="lbrl.quant.policy.large_gradient_quantize (config.precision.matmul grad_quantizer='large_gradient') on lbrl.models.simple.MLP",
      claim="a gradient interval that keeps the large gradients' quantization error small makes 4/4/4-bit "
            "fixed-point training work better than min-max intervals",
      expected="cpu: the large-gradient interval above the min-max interval at 4/4/4 bits and within 2 points of "
               "the same int4 forward with float gradients",
      setting="paper: ResNet-18/34/50, MobileNetV2 ImageNet; RetinaNet COCO; EDSR super-resolution; 4/4/4 and 5/5/5",
      hardware="paper: GPUs (fixed point emulated); cpu: 2 cores, int4 emulated")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.arms = common.free(**matmul_arms(w4a4=W4A4, int4_minmax=MINMAX, int4_large_gradient=LARGE))
  grid = [("optimizer.learning_rate", [1e-3, 3e-3, 1e-2, 3e-2])]
  c.sweep.tune = dict(grids={arm: grid for arm in c.sweep.arms}, split="train[90%:]", train_split="train[:90%]",
                      seeds=[1000])
  c.sweep.rules = [{"arm": "int4_large_gradient", "op": ">", "than": "int4_minmax", "margin": 0.01},
                   {"arm": "int4_large_gradient", "op": "not_worse", "than": "w4a4", "margin": 0.02}]
  c.sweep.partly_testable = ("gamma is re-chosen each step from the current gradient (the paper updates it across "
                             "iterations); lbrl's per-tensor int4 forward quantizer, not the paper's (the gradient "
                             "interval is ruled on against the same forward with float gradients); an MNIST-1D MLP "
                             "stands in for ImageNet ResNets")
  paper_recipe(c, variant, "imagenet_resnet50", LARGE)
  return common.finalize(c)
