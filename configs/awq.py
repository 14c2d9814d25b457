"""AWQ (Lin, Tang, Tang, Yang, Chen, Wang, Xiao, Dang, Gan and Han, "AWQ: Activation-aware Weight
Quantization for LLM Compression and Acceleration", MLSys 2024, arXiv:2306.00978), with round-to-nearest
and GPTQ (Frantar et al., ICLR 2023, arXiv:2210.17323) as the baselines.

Method: weight-only post-training quantization; a per-input-channel scale ``s = s_X^alpha`` (``s_X`` the
mean |activation| of the channel on calibration data, ``alpha`` searched on a 20-point grid to minimise
the layer's output error) protects the salient weight channels before round-to-nearest quantization
(:func:`lbrl.quant.ptq.awq`; GPTQ: :func:`lbrl.quant.ptq.gptq`; RTN: :func:`lbrl.quant.ptq.rtn`, all
with qwix's symmetric per-output-channel int quantizer).
Claim: at 4 and 3 bits per weight AWQ keeps the float model's quality far better than round-to-nearest
and matches or beats GPTQ (the paper's Tables 4-5: OPT/Llama perplexity, INT3/INT4 with group 128).
cpu:   this config trains the float model: an MLP 784-256-256-10 on mnist5k (4,000 real MNIST digits,
       1,000 test), Adam 1e-3, batch 128, 1,500 steps, 3 seeds; ``benchmarks/prec_ptq.py`` then quantizes
       every Dense kernel of each seed's trained model with RTN, GPTQ and AWQ at 4 and 3 bits (per
       output channel; 512 training images for calibration; layers in order, each calibrated with the
       earlier ones quantized) and writes ``experiments/awq/README.md``: test accuracy per method and
       bits, paired over the seeds, with the rules below (fixed before the run).
paper: Llama-2 / OPT up to 70B, INT3/INT4 group 128, WikiText-2 perplexity; the paper variant here trains
       the LLaMA-60M C4 model of the GaLore protocol as the float model to quantize (lbrl has no
       pretrained Llama checkpoints).
"""
from lbrl import config as common

# Rules for the post-training comparison (benchmarks/prec_ptq.py), fixed before the run: accuracy
# differences of paired seeds, margin 1 point (the default for accuracy).
PTQ_RULES = [
    {"arm": "awq_w4", "op": ">", "than": "rtn_w4", "margin": 0.01},
    {"arm": "awq_w3", "op": ">", "than": "rtn_w3", "margin": 0.01},
    {"arm": "gptq_w4", "op": ">", "than": "rtn_w4", "margin": 0.01},
    {"arm": "gptq_w3", "op": ">", "than": "rtn_w3", "margin": 0.01},
    {"arm": "awq_w4", "op": "not_worse", "than": "gptq_w4", "margin": 0.01},
    {"arm": "awq_w3", "op": "not_worse", "than": "gptq_w3", "margin": 0.01},
]
PTQ = dict(methods=("rtn", "gptq", "awq"), bits=(8, 4, 3), calibration_examples=512)


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="mnist5k", batch_size=common.by_variant(variant, smoke=16, cpu=128, paper=128),
                eval_batch_size=1000)
  c.model = common.free(name="mlp", hidden=common.by_variant(variant, smoke=(16,), cpu=(256, 256), paper=(256, 256)))
  c.loss.name = "cross_entropy"
  c.optimizer = common.free(name="adam", learning_rate=1e-3)
  c.steps = common.by_variant(variant, smoke=2, cpu=1500, paper=1500)
  c.eval_every = 0
  c.log_every = common.by_variant(variant, smoke=1, cpu=250, paper=250)
  c.paper.update(
      title="AWQ: Activation-aware Weight Quantization for LLM Compression and Acceleration", year=2024,
      arxiv="2306.00978", slug="awq",
      # provides: the base trains the float baseline (lbrl.models.simple.MLP) that the post-training tool
      # quantizes; the schema has no "post-training tool" kind yet
      provides="baseline",
      code="lbrl.quant.ptq.awq (with lbrl.quant.ptq.gptq, lbrl.quant.ptq.rtn; benchmarks/prec_ptq.py) applied to "
           "lbrl.models.simple.MLP",
      claim="activation-aware per-channel scaling before weight quantization keeps INT4/INT3 models close to "
            "float and beats round-to-nearest; it matches or beats GPTQ",
      expected="cpu: AWQ and GPTQ above RTN at 4 and 3 bits per weight beyond the 1-point margin; AWQ not worse "
               "than GPTQ by more than 1 point",
      setting="paper: OPT / Llama / Llama-2 1.3B-70B, INT3 and INT4 weights with group size 128, 128 calibration "
              "sequences of 512 tokens from the Pile, WikiText-2 perplexity",
      hardware="paper: A100 GPUs; cpu: 2 cores")
  c.sweep.update(seeds=[0, 1, 2], metric="eval/accuracy")
  c.sweep.arms = common.free(float32=common.free())
  c.sweep.rules = [{"arm": "float32", "op": ">=", "value": 0.85}]
  c.sweep.partly_testable = (
      "the post-training comparison runs in benchmarks/prec_ptq.py on this sweep's trained models (the runner's "
      "analysis kind has no quantization tool yet); an MLP on MNIST digits stands in for the paper's LLMs")
  if variant == "paper":
    common.c4_llama(c, size="60m", optimizer=dict(name="adamw", learning_rate=1e-3, weight_decay=0.0))
  return common.finalize(c)
