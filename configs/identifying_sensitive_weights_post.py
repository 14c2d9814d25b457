"""PQI and dense-and-sparse quantization ("Identifying Sensitive Weights via Post-quantization Integral",
2025).

Method: the sensitivity of the loss to quantizing a weight is measured by the post-quantization
integral ``PQI_i = Delta_i int_0^1 dL/dw_i(w + t Delta) dt`` (exact in sum: the actual loss change), not
by the gradient/Hessian Taylor estimate, whose small convergence radius makes it underestimate the
change (:func:`lbrl.quant.sensitivity.pqi`, :func:`lbrl.quant.sensitivity.taylor_delta`); ReQuant keeps the
most sensitive weights in float (dense-and-sparse; :func:`lbrl.quant.sensitivity.dense_and_sparse`).
Claim: Taylor metrics underestimate quantization's loss change by orders of magnitude; PQI-guided
dense-and-sparse detachment improves the quantized model (2.66 perplexity on Llama 3.2 1B with QTIP).
cpu:   the shared post-training protocol (:func:`lbrl.quant.analysis.ptq_protocol`): MLP on mnist5k per
       seed; the calibration loss change of RTN at 4/3/2 bits vs its Taylor estimate and its PQI sum, and
       RTN vs RTN keeping 0.5% of the weights in float chosen by PQI or by magnitude.
paper: Llama 3.2 1B / 3B, Llama 3 8B with SqueezeLLM / QTIP, WikiText-2 perplexity; the paper variant
       trains the LLaMA-60M C4 model.
"""
from lbrl import config as common
from lbrl.quant.analysis import ptq_protocol


def get_config(arg=None):
  c, variant = common.base(arg)
  ptq_protocol(c, variant, ["rtn", "sparse_magnitude", "requant"], pairs=[["requant", "sparse_magnitude"]],
               sensitivity_check=True)
  c.paper.update(
      title="Identifying Sensitive Weights via Post-quantization Integral", year=2025, arxiv="",
      slug="identifying_sensitive_weights_post", provides="analysis tool",
      code="lbrl.quant.sensitivity (pqi, taylor_delta, dense_and_sparse) through the ptq analysis tool",
      claim="second-order Taylor sensitivity underestimates the loss change of quantization; the post-quantization "
            "integral measures it, and keeping the PQI-sensitive weights in float beats round-to-nearest",
      expected="cpu: Taylor estimate below half the actual loss change at 3 bits; PQI sum within 10% of it; "
               "PQI dense-and-sparse above RTN at 3 bits and not worse than magnitude selection",
      setting="paper: Llama 3.2 1B/3B, Llama 3 8B; SqueezeLLM and QTIP bases; WikiText-2 / C4 perplexity",
      hardware="paper: GPUs; cpu: 2 cores")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.rules = [
      {"arm": "float32", "metric": "analysis/taylor_ratio_w3", "op": "<=", "value": 0.5},
      {"arm": "float32", "metric": "analysis/pqi_ratio_w3", "op": "between", "value": [0.9, 1.1]},
      {"arm": "float32", "metric": "analysis/requant_w3_gain", "op": ">=", "value": 0.0},
      {"arm": "float32", "metric": "analysis/requant_minus_sparse_magnitude_w3", "op": ">=", "value": -0.01}]
  c.sweep.partly_testable = ("ReQuant's self-adaptive outlier count and step-wise detaching are not reproduced "
                             "(a fixed 0.5% kept in float); an MLP on MNIST digits stands in for Llama models")
  if variant == "paper":
    common.c4_llama(c, size="60m", optimizer=dict(name="adamw", learning_rate=1e-3, weight_decay=0.0))
    c.analysis.kwargs.update(bits=[4, 3])
  return common.finalize(c)
