"""EfficientNet compound scaling (Tan & Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural
Networks", ICML 2019, arXiv:1905.11946).

Claim: scaling depth, width and resolution together with one coefficient (d = 1.2^phi, w = 1.1^phi,
r = 1.15^phi) from a searched baseline (B0) gives B1-B7; B7 reaches 84.3% ImageNet top-1, 8.4x smaller and
6.1x faster than the best existing ConvNet.
Here (lbrl.models.recipes): the scaling functions (compound_coefficients, round_filters, round_repeats,
efficientnet_stages) and the EfficientNet module reproduce the paper's Table 1 (B0 stages) and the released
B1-B7 exactly: the networks' parameter counts equal torchvision's (5,288,548 ... 66,347,960, unit-tested)
and round to the paper's Table 2 (5.3M ... 66M). The cpu variant runs the table tool (efficientnet_table,
nothing trained: at="init") over B0, B3 and B7; rule: every count rounds to its printed value.
The training claim (84.3% with B7 on ImageNet, 350 epochs on TPU pods) is not testable at this scale.
paper variant: EfficientNet-B0 at 224 x 224 on ImageNet (Table 2: 77.1% top-1, 5.3M parameters): RMSProp
(decay 0.9, momentum 0.9, epsilon 1e-3), batch 4096, learning rate 0.256 decayed by 0.97 every 2.4 epochs
(5-epoch warm-up; the authors' L2 weight decay 1e-5 is not applied: optax.rmsprop has no decay term), 350 epochs, stochastic depth 0.2, dropout 0.2 (AutoAugment is not
modelled), on 128 devices (a TPU v3 pod slice; the paper's exact slice is not stated: a choice).
"""
import math

from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="iris", batch_size=16, eval_batch_size=30)   # unused by the tool: a run needs data
  c.model = common.free(name="mlp", hidden=(4,))
  c.steps = 1
  c.sweep.kind = "analysis"
  variants = common.by_variant(variant, smoke=["b0"], cpu=["b0", "b3", "b7"], paper=["b0", "b3", "b7"])
  c.analysis = dict(tool="efficientnet_table", kwargs=common.free(variants=variants), split="train",
                    batch_size=16, at="init")
  c.paper.update(
      title="EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks", year=2019,
      arxiv="1905.11946", slug="efficientnet", provides="analysis tool",
      code="lbrl.models.recipes: compound_coefficients, round_filters, round_repeats, efficientnet_stages, "
           "EfficientNet (model 'efficientnet'); efficientnet_table",
      claim="compound scaling of depth/width/resolution from B0 gives B1-B7; B7: 84.3% ImageNet top-1, 8.4x "
            "smaller and 6.1x faster than the best existing ConvNet",
      expected="Table 2: B0 77.1% top-1 with 5.3M parameters ... B7 84.3% with 66M; the parameter counts "
               "5.3, 7.8, 9.2, 12, 19, 30, 43, 66 (M) for B0-B7",
      setting="ImageNet, 350 epochs, RMSProp, batch 4096, AutoAugment, stochastic depth 0.2",
      hardware="TPU v3 pods (paper)")
  c.sweep.seeds = [0, 1, 2]
  c.sweep.metric = "analysis/params_match"
  c.sweep.arms = {"recipe": {}}
  c.sweep.rules = [{"arm": "recipe", "op": ">=", "value": 1.0}]
  c.sweep.not_testable = ("the training claim needs ImageNet at up to 600 px for 350 epochs on TPU pods; what is "
                          "checked here is the recipe: the scaling functions and networks against the paper's tables")
  if variant == "paper":
    epochs, batch = 350, 4096
    decays = math.ceil(epochs / 2.4) - 1
    common.imagenet_resnet50(
        c, batch=batch, epochs=epochs, warmup_epochs=5, devices=128, compute_dtype="bfloat16",
        model=None, optimizer=dict(name="rmsprop", learning_rate=0.256, decay=0.9, momentum=0.9, eps=1e-3),
        schedule=dict(name="step", boundaries=[round(2.4 * (k + 1) / epochs, 6) for k in range(decays)],
                      factors=[0.97 ** (k + 1) for k in range(decays)]))
    c.model = common.free(name="efficientnet", variant="b0", drop_connect=0.2)
  return common.finalize(c)
