"""BAQ ("BAQ: Efficient Bit Allocation Quantization for Large Language Models", 2025; authors' code
github.com/CSU-ModelCompression/BAQ).

Method: a Hessian proxy turns each layer's quantization loss into an explicit function of its width,
``L_l(b) = S_l 2^(-2 b)``; minimising the total under an average-bits budget is convex with a closed form
(every layer at the same loss per weight), rounded to integer widths; each layer is then quantized with
GPTQ at its width (:func:`lbrl.quant.allocation.baq_allocation`, :func:`lbrl.quant.allocation.layer_sensitivity`).
Claim: up to 56x lower perplexity than GPTQ at the same average bits (125M-30B LLMs), the gain largest at
low widths.
cpu:   the shared post-training protocol (:func:`lbrl.quant.analysis.ptq_protocol`): MLP on mnist5k per
       seed; RTN and GPTQ at uniform 4, 3, 2 bits vs GPTQ at BAQ's per-layer widths with the same average
       (the stored bits per weight, scales included, are reported for both), paired on the same model.
paper: OPT 125M-30B on WikiText-2 / C4 perplexity; the paper variant trains the LLaMA-60M C4 model.
observed (cpu run, 5 seeds): BAQ's allocation is within noise of uniform GPTQ at 4 and 3 average bits
       (-0.03 and -0.13 points; both hold as non-inferiority); at 2 average bits the allocation is forced uniform
       (every layer at the 2-bit floor b_min), so the 2-bit rule holds trivially (difference exactly 0): the
       three-layer MLP leaves BAQ nothing to reallocate, unlike the paper's hundreds of layers.
"""
from lbrl import config as common
from lbrl.quant.analysis import ptq_protocol


def get_config(arg=None):
  c, variant = common.base(arg)
  ptq_protocol(c, variant, ["rtn", "gptq", "baq"], pairs=[["baq", "gptq"]])
  c.paper.update(
      title="BAQ: Efficient Bit Allocation Quantization for Large Language Models", year=2025, arxiv="2506.05664",
      slug="baq", provides="analysis tool",
      code="lbrl.quant.allocation.baq_allocation (+ lbrl.quant.ptq.gptq) through the ptq analysis tool",
      claim="closed-form per-layer bit allocation from a Hessian proxy beats uniform-width GPTQ at the same "
            "average bits, most at low widths",
      expected="cpu: BAQ's allocation not worse than uniform GPTQ at 4 and 3 bits and better at 2 bits",
      setting="paper: OPT 125M-30B, WikiText-2 and C4 perplexity, 2-4 average bits",
      hardware="paper: GPUs; cpu: 2 cores")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.rules = ([{"arm": "float32", "metric": f"analysis/baq_minus_gptq_w{b}", "op": ">=", "value": -0.01}
                    for b in (4, 3)]
                   + [{"arm": "float32", "metric": "analysis/baq_minus_gptq_w2", "op": ">=", "value": 0.0}])
  c.sweep.partly_testable = "an MLP with three layers on MNIST digits stands in for LLMs with hundreds of layers"
  if variant == "paper":
    common.c4_llama(c, size="60m", optimizer=dict(name="adamw", learning_rate=1e-3, weight_decay=0.0))
    c.analysis.kwargs.update(bits=[4, 3, 2])
  return common.finalize(c)
