"""AdaRound (Nagel, Amjad, van Baalen, Louizos and Blankevoort, "Up or Down? Adaptive Rounding for
Post-Training Quantization", ICML 2020, arXiv:2004.10568).

Method: instead of rounding every weight to nearest, learn for each weight whether to round down or up
(a rectified-sigmoid relaxation ``h(V)`` pushed to 0/1 by an annealed regulariser) so that each layer's
output on a little unlabelled data stays close to the float layer's (:func:`lbrl.quant.rounding.adaround`,
the paper's zeta/gamma/lambda/beta schedule; 1,000 Adam steps at 1e-2 per layer instead of 10,000 at 1e-3).
Claim: ResNet-18/50 weights at 4 bits within 1% of float accuracy without fine-tuning; AdaRound beats
round-to-nearest at every width (and, in later comparisons, matches GPTQ-style methods).
cpu:   the shared post-training protocol (:func:`lbrl.quant.analysis.ptq_protocol`): an MLP on mnist5k per
       seed; RTN, GPTQ and AdaRound at 4, 3 and 2 bits per weight (per-channel int grid), paired on the
       same trained model.
paper: ResNet-18/50 ImageNet, 4-bit weights (first/last layer 8 bits), 1,024 unlabelled calibration images;
       the paper variant is the zoo's ImageNet ResNet-50 recipe (the ptq tool quantizes Dense kernels, so
       there only the classifier; convolutions are not covered by lbrl's PTQ pass yet).
observed (cpu run, 5 seeds, paired on the same trained model): AdaRound +0.54 points over RTN at 3 bits
       [0.23, 0.85] (holds), -0.30 [-0.74, +0.15] at 4 bits where RTN is at float (inconclusive); within 1 point
       of float at 4 bits (-0.11, holds); not worse than GPTQ at 3 bits (-0.16 [-0.76, +0.43], holds).
"""
from lbrl import config as common
from lbrl.quant.analysis import ptq_protocol


def get_config(arg=None):
  c, variant = common.base(arg)
  ptq_protocol(c, variant, ["rtn", "gptq", "adaround"], pairs=[["adaround", "gptq"]])
  c.paper.update(
      title="Up or Down? Adaptive Rounding for Post-Training Quantization", year=2020, arxiv="2004.10568",
      slug="up_or_down_adaptive", provides="analysis tool",
      code="lbrl.quant.rounding.adaround through the ptq analysis tool (lbrl.quant.analysis.ptq_tool)",
      claim="learned up/down rounding per weight beats round-to-nearest; 4-bit weights stay within 1% of float",
      expected="cpu: AdaRound above RTN at 4 and 3 bits; within 1 point of float at 4 bits; not worse than GPTQ "
               "by more than 1 point",
      setting="paper: ResNet-18/50, InceptionV3, MobileNetV2 on ImageNet; DeepLabV3; 4-bit per-tensor weights, "
              "1,024 calibration images, 10k iterations per layer",
      hardware="paper: one GPU; cpu: 2 cores")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.rules = ([{"arm": "float32", "metric": f"analysis/adaround_w{b}_gain", "op": ">=", "value": 0.0}
                    for b in (4, 3)]
                   + [{"arm": "float32", "metric": "analysis/adaround_w4_gap", "op": ">=", "value": -0.01},
                      {"arm": "float32", "metric": "analysis/adaround_minus_gptq_w3", "op": ">=", "value": -0.01}])
  c.sweep.partly_testable = "an MLP on MNIST digits stands in for ImageNet CNNs (lbrl's PTQ pass covers Dense kernels)"
  if variant == "paper":
    common.imagenet_resnet50(c, optimizer=dict(name="sgd", learning_rate=0.1, momentum=0.9, weight_decay=1e-4))
    c.analysis.kwargs.update(bits=[4], calib_size=256)
  return common.finalize(c)
