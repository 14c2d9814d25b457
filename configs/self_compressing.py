"""Self-compressing networks (Cséfalvay and Imber, "Self-Compressing Neural Networks", 2023, arXiv:2301.13142).

Method: every weight channel is quantized with a learnable bit depth ``b`` and exponent ``e``
(straight-through rounding), and the loss adds ``gamma`` times the network's size in bits per weight, so
that training removes channels (``b -> 0``) and lowers the bits of the rest at the same time
(:mod:`lbrl.quant.self_compressing`: ``SelfCompressingMLP`` = ``self_compressing_mlp``; the size term enters
through its gradient; the ``self_compression`` analysis tool measures accuracy, bits per weight and the
weights remaining of each trained model).
Claim: floating-point accuracy with as few as 3% of the bits and 18% of the weights remaining (CIFAR-10).
cpu:   mnist5k (4,000 real MNIST digits), MLP 784-128-128-10, Adam 3e-3, batch 128, 2,000 steps, 3 seeds:
       the float MLP vs the self-compressing MLP (b initialised at 4 bits) at gamma 0 (quantization-aware
       only), 0.01 and 0.05; the tool on the 1,000 test digits.
paper: CIFAR-10 with a small CNN (the paper's own setting is single-GPU sized); lbrl's self-compressing
       layer is Dense-only, so the paper variant is the cpu setting.
observed (cpu run, 3 seeds): the float MLP 94.53%; self-compressing at gamma 0.01 94.17% with 3.02 bits per
       weight (9.4% of float32's bits; both rules hold) but 93.6% of the weights kept (the "at most half" rule is
       contradicted: the size term lowers bits, it removes few channels in 2,000 steps); gamma 0.05 94.50% at
       2.47 bits and 92.7% of the weights; gamma 0 (QAT only) 94.07% at 4.15 bits.
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="mnist5k", batch_size=common.by_variant(variant, smoke=16, cpu=128, paper=128), eval_batch_size=1000)
  hidden = common.by_variant(variant, smoke=(16,), cpu=(128, 128), paper=(128, 128))
  c.model = common.free(name="self_compressing_mlp", hidden=hidden, gamma=0.01, b_init=4.0)
  c.loss.name = "cross_entropy"
  c.optimizer = common.free(name="adam", learning_rate=3e-3)
  c.steps = common.by_variant(variant, smoke=2, cpu=2000, paper=2000)
  c.eval_every = 0
  c.log_every = common.by_variant(variant, smoke=1, cpu=500, paper=500)
  c.sweep.kind = "analysis"
  c.analysis = dict(tool="self_compression", kwargs={}, split="eval",
                    batch_size=common.by_variant(variant, smoke=64, cpu=1000, paper=1000), at="final")
  c.paper.update(
      title="Self-Compressing Neural Networks", year=2023, arxiv="2301.13142", slug="self_compressing",
      provides="analysis tool",
      code="lbrl.quant.self_compressing (SelfCompressingMLP = self_compressing_mlp, quantize, size_penalty; tool "
           "self_compression_tool)",
      claim="a learnable bit depth per channel with a size penalty keeps float accuracy with 3% of the bits and 18% "
            "of the weights",
      expected="cpu: gamma 0.01 within 1 point of the float MLP's test accuracy with at most 10% of the float32 bits "
               "and at most half the weights",
      setting="paper: CIFAR-10, a small CNN, Adam; bits and weights remaining vs accuracy curves",
      hardware="paper: one GPU; cpu: 2 cores")
  c.sweep.seeds = [0, 1, 2]
  c.sweep.metric = "analysis/accuracy"
  c.sweep.arms = common.free(float32={"model": {"name": "mlp", "hidden": hidden}},
                             sc_gamma0={"model": {"gamma": 0.0}}, sc={}, sc_strong={"model": {"gamma": 0.05}})
  c.sweep.rules = [{"arm": "sc", "op": "not_worse", "than": "float32", "margin": 0.01},
                   {"arm": "sc", "metric": "analysis/bits_fraction", "op": "<=", "value": 0.1},
                   {"arm": "sc", "metric": "analysis/weights_remaining", "op": "<=", "value": 0.5}]
  c.sweep.partly_testable = "an MLP on MNIST digits stands in for the paper's CIFAR-10 CNN"
  common.cpu_sized(c, "the paper's CIFAR-10 network is a small CNN; lbrl's self-compressing layer is Dense-only, "
                      "so the paper variant is this MLP setting")
  return common.finalize(c)
