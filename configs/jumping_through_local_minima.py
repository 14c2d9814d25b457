"""Evol-Q (Frumkin, Gope and Marculescu, "Jumping through Local Minima: Quantization in the Loss Landscape
of Vision Transformers", ICCV 2023, arXiv:2308.10814; authors' code github.com/enyac-group/evol-q).

Method: the loss over quantization scales is jagged, so small scale perturbations found by an
evolutionary search on a contrastive (InfoNCE) objective between the quantized and the float model's
outputs, on a small calibration set, lower it where gradient-based scale tuning stalls
(:func:`lbrl.quant.search.evolq`, starting from the RTN scales).
Claim: small scale perturbations give 0.5-0.8 points for 4-bit ViTs; fully quantized ViT-Base top-1 +10.30
/ +0.78 / +0.15 points at 3 / 4 / 8-bit weights over the starting point.
cpu:   the shared post-training protocol (:func:`lbrl.quant.analysis.ptq_protocol`): MLP on mnist5k per
       seed; RTN vs RTN with Evol-Q's scales at 4, 3 and 2 bits, paired on the same trained model.
paper: DeiT / ViT / LeViT on ImageNet with FQ-ViT as the starting point, 1,000 calibration images; the
       paper variant is the zoo's ViT-B/16 ImageNet recipe when present (otherwise ResNet-50).
observed (cpu run, 5 seeds): Evol-Q's scale search +0.27 points over RTN at 3 bits ([-0.23, +0.77],
       inconclusive), -0.16 at 4 bits (not worse: holds), +1.3 +- 1.9 at 2 bits; the InfoNCE objective always
       falls, but on an MLP the RTN scales are already near a good point.
"""
from lbrl import config as common
from lbrl.quant.analysis import ptq_protocol


def get_config(arg=None):
  c, variant = common.base(arg)
  ptq_protocol(c, variant, ["rtn", "evolq"])
  c.paper.update(
      title="Jumping through Local Minima: Quantization in the Loss Landscape of Vision Transformers", year=2023,
      arxiv="2308.10814", slug="jumping_through_local_minima", provides="analysis tool",
      code="lbrl.quant.search.evolq through the ptq analysis tool",
      claim="an evolutionary search over quantization scales on an InfoNCE objective beats the starting scales, "
            "most at 3 bits",
      expected="cpu: Evol-Q above RTN at 3 bits, not worse at 4 bits (the paper: +0.78 at 4, +10.3 at 3 bits)",
      setting="paper: ViT/DeiT/LeViT ImageNet, FQ-ViT start, 1,000 calibration images, 10 passes",
      hardware="paper: one GPU; cpu: 2 cores")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.rules = [{"arm": "float32", "metric": "analysis/evolq_w3_gain", "op": ">=", "value": 0.0},
                   {"arm": "float32", "metric": "analysis/evolq_w4_gain", "op": ">=", "value": -0.01}]
  c.sweep.partly_testable = "an MLP on MNIST digits stands in for vision transformers; weights only"
  if variant == "paper":
    common.imagenet_resnet50(c, optimizer=dict(name="sgd", learning_rate=0.1, momentum=0.9, weight_decay=1e-4))
    c.analysis.kwargs.update(bits=[4, 3], calib_size=256)
  return common.finalize(c)
