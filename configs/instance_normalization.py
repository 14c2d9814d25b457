"""Instance Normalization (Ulyanov, Vedaldi & Lempitsky, "Instance Normalization: The Missing Ingredient for
Fast Stylization", 2016, arXiv:1607.08022).

Claim: in a feed-forward stylization generator, replacing batch normalization by instance normalization
(per-image, per-channel statistics over the spatial axes, the same at training and test time) gives
significantly better stylized images. The evidence is qualitative (images); there is no number.
Not testable here: lbrl has no stylization generator, style/content losses or a perceptual measure of
stylization quality. What lbrl provides and tests: ``nn.InstanceNorm`` (flax) selectable in every
zoo model (``norm="instance"``), pinned against a float64 NumPy transcription (per-example, per-channel
statistics, train = test) in tests/models/test_norm_flax_layers.py.
cpu:   a classification run that shows the layer trains in the zoo (not the paper's claim): mnist5k digits
       (28x28), lbrl CIFAR-style ``resnet`` depth 8 width 8, batch 32, SGD momentum 0.9 lr 0.05 cosine, 500
       steps, BatchNorm vs InstanceNorm, 3 seeds, no rules (the verdict is "not testable").
paper: the texture-network generator on MS-COCO content images with one style image per network; the paper
       variant trains lbrl's ResNet with InstanceNorm on CIFAR-10 (lbrl has no generator).
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="mnist5k", batch_size=common.by_variant(variant, smoke=8, cpu=32, paper=32), eval_batch_size=1000)
  c.model = common.free(name="resnet", depth=8, width=common.by_variant(variant, smoke=4, cpu=8, paper=8),
                        norm="instance")
  if variant == "smoke":
    c.model.stage_sizes = (1,)  # one basic block: the smoke run compiles and trains in about a second
  c.loss = common.free(name="cross_entropy")
  c.optimizer = common.free(name="sgd", learning_rate=0.05, momentum=0.9)
  c.schedule.name = "cosine"
  c.steps = common.by_variant(variant, smoke=2, cpu=500, paper=500)
  c.paper.update(
      title="Instance Normalization: The Missing Ingredient for Fast Stylization", year=2016, arxiv="1607.08022",
      slug="instance_normalization", provides="module", code="ResNet(norm='instance'): flax.linen.InstanceNorm via make_norm",
      claim="instance normalization instead of batch normalization in a stylization generator gives significantly "
            "better stylized images (qualitative)",
      expected="no number: qualitative stylized images (their Figures 1-5)",
      setting="texture-network stylization generator, MS-COCO content images", hardware="GPU (paper)")
  c.sweep.arms = {"batch": {"model": {"norm": "batch"}}, "instance": {"model": {"norm": "instance"}}}
  c.sweep.rules = []
  c.sweep.not_testable = ("the claim is a qualitative comparison of stylized images; lbrl has no stylization "
                          "generator, style/content losses or a measure of stylization quality")
  if variant == "paper":
    common.cifar(c, model=dict(name="resnet", depth=20, norm="instance"),
                 optimizer=dict(name="sgd", learning_rate=0.1, momentum=0.9, weight_decay=5e-4))
  return common.finalize(c)
