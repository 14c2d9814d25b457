"""EQ-Net: elastic quantization supernet (Xu, Zhang, Li, Wang, Wang and Guo, "EQ-Net: Elastic Quantization
Neural Networks", ICCV 2023, arXiv:2308.07650; authors' code github.com/xuke225/EQ-Net).

Method: one network is trained over an elastic quantization space (bit-width, granularity, symmetry), so
that any configuration drawn from it works without retraining; two losses (weight distribution
regularisation, group progressive guidance) close the gaps between widths, and a predictor with a genetic
algorithm searches mixed precision. lbrl's mechanism (:mod:`lbrl.quant.policy`, ``elastic_bits``): every
Dense layer draws its int width from {2, 3, 4, 8} at each training step (per-tensor symmetric fake
quantization of input and kernel, straight-through), and the ``elastic_eval`` tool measures the trained
network at each width. The two auxiliary losses, the granularity/symmetry axes and the search are not
reproduced.
Claim: the supernet at each width is close to or better than static QAT at that width (no single number).
cpu:   MNIST-1D MLP 40-256-256-10 (:func:`lbrl.quant.policy.training_protocol`): the elastic supernet vs static
       QAT at 4 bits and at 2 bits vs float32, 3 seeds, each trained model evaluated at 2/3/4/8 bits on the
       1,000 test examples.
paper: ResNet-18/50, MobileNetV2 on ImageNet; the paper variant is the zoo's ImageNet ResNet-50 recipe
       (Dense matmuls only in lbrl's policy).
"""
from lbrl import config as common
from lbrl.quant.policy import paper_recipe, training_protocol


def get_config(arg=None):
  c, variant = common.base(arg)
  training_protocol(c, variant)
  c.sweep.kind = "analysis"
  c.analysis = dict(tool="elastic_eval", kwargs={"widths": [2, 3, 4, 8]}, split="eval",
                    batch_size=common.by_variant(variant, smoke=64, cpu=1000, paper=1000), at="final")
  c.paper.update(
      title="EQ-Net: Elastic Quantization Neural Networks", year=2023, arxiv="2308.07650", slug="eq_net",
      provides="analysis tool",
      code="lbrl.quant.policy (elastic_bits: a supernet over per-layer int widths; elastic_eval_tool) on "
           "lbrl.models.simple.MLP",
      claim="one elastic-quantization supernet is close to or better than static QAT at each width",
      expected="cpu: the supernet within 1 point of static 4-bit QAT at 4 bits and within 2 points of static 2-bit "
               "QAT at 2 bits",
      setting="paper: ImageNet ResNet-18/50, MobileNetV2; 2-8 bits, channel/tensor, symmetric/asymmetric",
      hardware="paper: 8 GPUs; cpu: 2 cores")
  c.sweep.seeds = [0, 1, 2]
  c.sweep.metric = "analysis/acc_w4"
  c.sweep.arms = common.free(
      fp32={}, static4={"precision": {"matmul": {"elastic_bits": [4]}}},
      static2={"precision": {"matmul": {"elastic_bits": [2]}}},
      supernet={"precision": {"matmul": {"elastic_bits": [2, 3, 4, 8]}}})
  c.sweep.rules = [{"arm": "supernet", "op": "not_worse", "than": "static4", "metric": "analysis/acc_w4", "margin": 0.01},
                   {"arm": "supernet", "op": "not_worse", "than": "static2", "metric": "analysis/acc_w2", "margin": 0.02}]
  c.sweep.partly_testable = ("no weight-distribution or progressive-guidance losses, no granularity/symmetry axes "
                             "and no mixed-precision search; an MNIST-1D MLP for ImageNet CNNs")
  paper_recipe(c, variant, "imagenet_resnet50", {"elastic_bits": [2, 3, 4, 8]})
  return common.finalize(c)
