"""Instance Normalization (Ulyanov, Vedaldi & Lempitsky, "Instance Normalization: The Missing Ingredient for
Fast Stylization", 2016, arXiv:1607.08022).

Claim: in a feed-forward stylization generator, replacing batch normalization by instance normalization
(per-image, per-channel statistics over the spatial axes, the same at training and test time) gives
significantly better stylized images. The evidence is qualitative (images); there is no number.
What the claim rests on and lbrl can measure (rules fixed before the run): the paper's Section 2 argues that
the stylized result should not depend on the content image's contrast and that instance normalization, the
same at training and test time, removes each image's contrast, where batch normalization at test time applies
fixed population statistics. So a network with InstanceNorm should give (nearly) the same outputs for an
image and a contrast-changed copy (``x' = m + c (x - m)``, ``m`` the image's mean), a BatchNorm one should not.
Not testable here: the stylization quality itself (lbrl has no stylization generator, style/content losses or
a perceptual measure). ``nn.InstanceNorm`` (flax) is selectable in every zoo model (``norm="instance"``) and
pinned against a float64 NumPy transcription in tests/models/test_norm_flax_layers.py.
cpu:   mnist5k digits (28x28), lbrl CIFAR-style ``resnet`` depth 8 width 8, batch 32, SGD momentum 0.9 lr 0.05
       cosine, 500 steps, BatchNorm vs InstanceNorm in every norm position, 3 seeds; after training, the
       analysis tool ``contrast_invariance`` (lbrl.analysis.norm_contrast) predicts the 1,000 test digits and
       their copies at contrast x0.25 and x4 (eval mode). Rules: the fraction of test digits whose predicted
       class survives the x0.25 contrast reduction is higher with InstanceNorm than with BatchNorm by more
       than 0.05, and likewise for the x4 increase. Clean accuracy is reported, not ruled on (the paper
       makes no classification claim).
observed (cpu run, 3 seeds, 2026-12-02): predictions unchanged under the x0.25 contrast reduction 0.914 with
       InstanceNorm vs 0.150 with BatchNorm, +0.763, 95% interval [+0.578, +0.949]; under x4 0.982 vs 0.192,
       +0.790 [+0.613, +0.966]: both rules hold (partly reproduced: stylization not measured). Clean test
       accuracy (not ruled on) 0.910 with InstanceNorm vs 0.951 with BatchNorm.
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
      slug="instance_normalization", provides="module", code="ResNet(norm='instance'): flax.linen.InstanceNorm via make_norm; "
           "lbrl.analysis.norm_contrast:contrast_invariance",
      claim="instance normalization instead of batch normalization in a stylization generator gives significantly "
            "better stylized images (qualitative)",
      expected="no number: qualitative stylized images (their Figures 1-5); measured here: predictions with "
               "InstanceNorm survive a x0.25 / x4 contrast change more often than with BatchNorm, by > 0.05",
      setting="texture-network stylization generator, MS-COCO content images", hardware="GPU (paper)")
  c.sweep.kind = "analysis"
  c.analysis = dict(tool="contrast_invariance", kwargs=common.free(factors=[0.25, 4.0]), split="eval",
                    batch_size=common.by_variant(variant, smoke=64, cpu=1000, paper=1000), at="final")
  c.sweep.metric = "analysis/agreement_c0.25"
  c.sweep.arms = {"batch": {"model": {"norm": "batch"}}, "instance": {"model": {"norm": "instance"}}}
  c.sweep.rules = [{"arm": "instance", "op": ">", "than": "batch", "margin": 0.05, "metric": f"analysis/agreement_c{f}"}
                   for f in ("0.25", "4")]
  c.sweep.partly_testable = ("the claim is a qualitative comparison of stylized images; lbrl has no stylization "
                             "generator, style/content losses or a measure of stylization quality, so only the "
                             "contrast invariance the paper argues from is measured, on a digit classifier")
  if variant == "paper":
    common.cifar(c, model=dict(name="resnet", depth=20, norm="instance"),
                 optimizer=dict(name="sgd", learning_rate=0.1, momentum=0.9, weight_decay=5e-4))
  return common.finalize(c)
