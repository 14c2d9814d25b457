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
cpu:   the shared post-training protocol (:func:`lbrl.quant.analysis.ptq_protocol`): one MLP 784-128-128-10
       trained per seed on mnist5k, then the ``ptq`` analysis tool quantizes every Dense kernel with RTN,
       GPTQ and AWQ at 4, 3 and 2 bits (per output channel; 256 test digits calibrate, the other 744 score),
       paired over the seeds on the same trained model.
paper: Llama-2 / OPT up to 70B, INT3/INT4 group 128, WikiText-2 perplexity; the paper variant trains the
       LLaMA-60M C4 model of the GaLore protocol as the float model (lbrl has no pretrained Llama
       checkpoints) and quantizes it with group size 128.
observed (cpu run, 5 seeds, paired on the same trained model; float 93.5%): at 3 bits AWQ +0.40 points over RTN
       [0.09, 0.72] and GPTQ +0.70 [0.14, 1.26] (both hold); at 4 bits RTN is already at float (+0.2 points) and
       neither method gains (inconclusive); AWQ not worse than GPTQ at 4 bits (holds), at 3 bits -0.30 [-1.03,
       +0.44] (inconclusive); at 2 bits GPTQ keeps -0.5 points of float where RTN loses 4.1 and AWQ 2.9.
"""
from lbrl import config as common
from lbrl.quant.analysis import ptq_protocol


def get_config(arg=None):
  c, variant = common.base(arg)
  ptq_protocol(c, variant, ["rtn", "gptq", "awq"], pairs=[["awq", "gptq"]])
  c.paper.update(
      title="AWQ: Activation-aware Weight Quantization for LLM Compression and Acceleration", year=2024,
      arxiv="2306.00978", slug="awq", provides="analysis tool",
      code="lbrl.quant.ptq.awq (baselines lbrl.quant.ptq.gptq, lbrl.quant.ptq.rtn) through the ptq analysis tool "
           "(lbrl.quant.analysis.ptq_tool)",
      claim="activation-aware per-channel scaling before weight quantization keeps INT4/INT3 models close to "
            "float and beats round-to-nearest; it matches or beats GPTQ",
      expected="cpu: AWQ and GPTQ above RTN at 4 and 3 bits per weight; AWQ not worse than GPTQ by more than 1 point",
      setting="paper: OPT / Llama / Llama-2 1.3B-70B, INT3 and INT4 weights with group size 128, 128 calibration "
              "sequences of 512 tokens from the Pile, WikiText-2 perplexity",
      hardware="paper: A100 GPUs; cpu: 2 cores")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  # fixed before the run: paired accuracy differences on the same trained model (one-sample intervals)
  c.sweep.rules = [
      {"arm": "float32", "metric": f"analysis/{m}_w{b}_gain", "op": ">=", "value": 0.0}
      for m in ("awq", "gptq") for b in (4, 3)] + [
      {"arm": "float32", "metric": f"analysis/awq_minus_gptq_w{b}", "op": ">=", "value": -0.01} for b in (4, 3)]
  c.sweep.partly_testable = ("an MLP on MNIST digits stands in for the paper's LLMs (WikiText-2 perplexity); "
                             "per-channel scales, not the paper's group size 128")
  if variant == "paper":
    common.c4_llama(c, size="60m", optimizer=dict(name="adamw", learning_rate=1e-3, weight_decay=0.0))
    c.analysis.kwargs.update(bits=[4, 3], method_kwargs={m: {"group_size": 128} for m in ("rtn", "gptq", "awq")})
  return common.finalize(c)
