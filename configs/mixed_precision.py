"""Mixed precision training (Micikevicius, Narang, Alben, Diamos, Elsen, Garcia, Ginsburg, Houston,
Kuchaiev, Venkatesh and Wu, "Mixed Precision Training", ICLR 2018, arXiv:1710.03740).

Method: float16 activations, weights and gradients in the forward and backward passes, a float32 master
copy of the weights that the optimizer updates, float32 reductions, and loss scaling: the loss is
multiplied by S before back-propagation and the float32 gradients divided by S, so that small gradient
values are not flushed to zero by float16 (its smallest subnormal is 2^-24 ~ 6e-8, smallest normal
2^-14 ~ 6.1e-5). Dynamic scaling (the paper's Section 3.2, NVIDIA Apex / PyTorch GradScaler): start
large, halve S and skip the update on an overflow, double S after 2000 overflow-free steps.
lbrl: ``config.dtype = dict(param="float32", compute="float16")`` (every layer casts its float32
parameters to float16; losses compute in float32) and ``config.precision.loss_scale``
(:mod:`lbrl.train.precision`, flax's DynamicScale); the fraction of gradient values lost is logged by
the ``grad_underflow`` diagnostic (:mod:`lbrl.quant.diagnostics`).

Claim: without loss scaling, float16 training loses small gradient values (the paper's Figure 3: most
activation-gradient values of its SSD detector fall below float16's range) and can degrade or diverge;
with loss scaling (and float32 master weights) it matches float32 training accuracy.
cpu:   a small character-level Transformer LM on Tiny Shakespeare (2 layers x 64 wide, 4 heads, context
       64, batch 32 = 2048 tokens per step, so a token's logit gradient (p - y) / 2048 is often below
       float16's normal range), AdamW 3e-3, 600 steps; arms float32, float16 without scaling, float16
       with dynamic loss scaling (S0 = 2^15); 3 seeds; metric validation loss (nats/char).
       Emulated: XLA computes each float16 op with float16 inputs and outputs, as the hardware would.
paper: mixed precision matches float32 on ILSVRC (e.g. ResNet-50 top-1 75.92% float32 vs 76.04% mixed),
       detection, speech, translation and language modelling (bigLSTM on 1B words: loss scaling 128
       needed, without it training diverges); the paper variant is ResNet-50 on ImageNet, float16 with
       dynamic loss scaling on 8 GPUs.
Rules (fixed before the run): float16 + loss scaling ties float32 within 0.03 nats; float16 without
scaling is worse than float32 (the degradation part; the underflow fraction is reported from the logged
diagnostic either way).
observed (cpu run, 3 seeds; diagnostic ``grad_underflow`` averaged over each run's logged steps, then
       over seeds): float16 without loss scaling zeroes 0.028% of the parameter-gradient entries (0.27% at
       the first logged step) against 5e-9 in float32 and 8e-6 with dynamic loss scaling; 11% of the
       gradient values (21% early) lie below float16's smallest normal 2^-14, where they keep fewer than
       11 significant bits, and 0.018% of float32's gradient values (0.16% early) would flush to zero in
       float16. The loss does not show it at this scale: float16 without scaling ends 0.003 nats below
       float32 (95% interval [-0.021, +0.015], inconclusive), with scaling 0.0008 above ([-0.0017, +0.0033],
       a tie within 0.03).
"""
from lbrl import config as common

PUBLISHED = {}  # the paper reports no number for this CPU setting


def get_config(arg=None):
  c, variant = common.base(arg)
  common.char_lm(c, variant)
  c.loss = common.free(name="cross_entropy")
  if variant != "paper":
    c.model.update(num_layers=common.by_variant(variant, smoke=1, cpu=2), num_heads=4,
                   width=common.by_variant(variant, smoke=32, cpu=64))
    c.data.batch_size = common.by_variant(variant, smoke=8, cpu=32)
    c.optimizer.learning_rate = 3e-3
    c.steps = common.by_variant(variant, smoke=3, cpu=600)
    c.schedule.warmup_steps = common.by_variant(variant, smoke=1, cpu=50)
    c.log_every = common.by_variant(variant, smoke=1, cpu=50)
  c.eval_every = common.by_variant(variant, smoke=0, cpu=0, paper=1000)
  c.eval_metrics = ["loss", "accuracy"]
  c.dtype = dict(param="float32", compute="float16")
  c.precision = common.free(rules=[], loss_scale=common.free(kind="dynamic", scale=2.0 ** 15, growth_interval=2000))
  c.diagnostics = ["grad_underflow"]
  c.max_skipped_fraction = 0.2
  c.paper.update(
      title="Mixed Precision Training", year=2018, arxiv="1710.03740", slug="mixed_precision",
      # provides: the config schema has no "precision policy" kind yet; the base trains the paper's policy
      # (config.dtype float16 + config.precision.loss_scale) on the zoo's TransformerLM
      provides="baseline",
      code="lbrl.train.precision.loss_scaled (config.precision.loss_scale), lbrl.quant.diagnostics.grad_underflow, "
           "on lbrl.models.transformer.TransformerLM",
      claim="float16 training with float32 master weights and loss scaling matches float32; without loss "
            "scaling small gradients flush to zero and training can degrade",
      expected="cpu: float16 + dynamic loss scaling within 0.03 nats of float32; float16 without scaling "
               "loses a measurable fraction of gradient values and ends worse",
      setting="paper: ILSVRC ResNet-50 / Inception, SSD detection, DeepSpeech 2, NMT, bigLSTM; float16 tensor "
              "cores with float32 accumulation and master weights; loss scale 8 to 512 or dynamic",
      hardware="paper: NVIDIA Volta GPUs (8 x V100 for ImageNet); cpu: 2 cores, float16 emulated by XLA:CPU")
  c.sweep.update(seeds=[0, 1, 2], metric="eval/loss")
  c.sweep.arms = common.free(
      fp32={"dtype": {"compute": "float32"}, "precision": {"loss_scale": {"kind": "none"}}},
      fp16={"precision": {"loss_scale": {"kind": "none"}}},
      fp16_loss_scale={})
  c.sweep.published = common.free(**PUBLISHED)
  c.sweep.rules = [
      {"arm": "fp16_loss_scale", "op": "tie", "than": "fp32", "margin": 0.03},
      {"arm": "fp16", "op": ">", "than": "fp32", "margin": 0.01},
  ]
  c.sweep.partly_testable = (
      "the paper's divergence without loss scaling was on large models and datasets (SSD, bigLSTM on 1B "
      "words); a 2-layer character LM for 600 steps measures the lost gradient fraction and its effect "
      "on the loss at CPU scale only")
  if variant == "paper":
    # Goyal et al.'s / the paper's ResNet-50 recipe: SGD momentum 0.9, lr 0.1 per 256, 90 epochs, 8 GPUs
    common.imagenet_resnet50(c, optimizer=dict(name="sgd", learning_rate=0.1, momentum=0.9, weight_decay=1e-4),
                             batch=256, epochs=90, devices=8, compute_dtype="float16")
    c.diagnostics = ["grad_underflow"]
    c.precision = common.free(rules=[], loss_scale=common.free(kind="dynamic", scale=2.0 ** 15,
                                                               growth_interval=2000))
    c.paper.expected = "ResNet-50 top-1 76.04% mixed vs 75.92% float32 (the paper's Table 1)"
  return common.finalize(c)
