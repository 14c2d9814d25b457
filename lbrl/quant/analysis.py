"""The ``ptq`` analysis tool: post-training weight quantization of a trained classifier, every method on
the same trained model, scored on held-out examples.

Registered as ``ANALYSIS_TOOLS["ptq"]`` (``fn(ctx, **kwargs)``, :mod:`lbrl.analysis.context`). A config::

    c.sweep.kind = "analysis"
    c.analysis = dict(tool="ptq", split="eval", batch_size=1000,
                      kwargs=dict(methods=["rtn", "gptq", "awq"], bits=[4, 3], calib_size=256))

The batch (``ctx.x``, ``ctx.labels``: the first ``batch_size`` examples of the split) is cut in two: the
first ``calib_size`` examples calibrate (the layers' inputs; PQI's loss), the rest score the quantized
model (accuracy and mean cross-entropy of its logits). Every Dense kernel is quantized, layers in call
order, each calibrated with the earlier ones already quantized (:func:`lbrl.quant.ptq.quantize_dense_layers`).

Methods (``methods``; each at every width of ``bits``):

* ``rtn``, ``gptq``, ``awq``, ``adaround``, ``adaquant``: :mod:`lbrl.quant.ptq` / :mod:`lbrl.quant.rounding`;
* ``bias_correction``: RTN plus the mean-output-shift correction of each layer's bias;
* ``adaquant_ip``: AdaQuant at per-layer widths from the integer program (choices 2, 3, 4, 8 bits, the
  measured loss increase of RTN on each layer alone, average ``bits``; :mod:`lbrl.quant.allocation`);
* ``baq``: GPTQ at BAQ's closed-form per-layer widths (average ``bits``);
* ``evolq``: RTN with scales found by Evol-Q's search (:mod:`lbrl.quant.search`);
* ``requant`` / ``sparse_magnitude``: RTN with the ``sparse_frac`` (default 0.5%) most sensitive weights of
  each kernel kept in float, ranked by PQI or by magnitude (:mod:`lbrl.quant.sensitivity`; bits per weight
  add 64 bits, value and index, per kept weight);
* ``l2``: entropy-coded uniform quantization at ``bits`` coded bits per weight (:mod:`lbrl.quant.compression`).

Scalars (``analysis/<key>``): ``float`` (accuracy of the unquantized model), and per method m and width b:
``m_w<b>`` (accuracy), ``m_w<b>_loss``, ``m_w<b>_bpw`` (mean stored bits per weight), ``m_w<b>_gap``
(accuracy minus float) and ``m_w<b>_gain`` (accuracy minus ``baseline``'s at the same width, a paired
difference on the same trained model: rules test it with ``op=">="``, ``value=0``); for each
``pairs`` entry ``[m1, m2]``: ``m1_minus_m2_w<b>``. With ``sensitivity_check=True``: ``actual_delta_w<b>``,
``taylor_delta_w<b>``, ``pqi_delta_w<b>`` (the calibration loss change of RTN at b bits, its second-order
Taylor estimate and its PQI sum) and their ratios ``taylor_ratio_w<b>``, ``pqi_ratio_w<b>`` (to the actual).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from lbrl.quant import allocation, compression, ptq, search, sensitivity

TOOL_METHODS = ("rtn", "gptq", "awq", "adaround", "adaquant", "bias_correction", "adaquant_ip", "baq", "evolq",
                "requant", "sparse_magnitude", "l2")


def _ce(logits, labels):
  lp = jax.nn.log_softmax(jnp.asarray(logits, jnp.float32), -1)
  return -jnp.mean(jnp.take_along_axis(lp, jnp.asarray(labels)[..., None], axis=-1))


def quantize(method: str, model, variables, calib_x, calib_y, bits: int, *, method_kwargs: dict | None = None,
             sparse_frac: float = 0.005, apply=None):
  """``(quantized variables, mean bits per weight)`` of one method (module docstring)."""
  kw = dict(method_kwargs or {})
  apply = apply or model.apply
  paths = list(ptq.dense_inputs(model, variables, calib_x))
  sizes = np.array([np.prod(ptq._get(variables["params"], p)["kernel"].shape) for p in paths], float)
  if method in ("rtn", "gptq", "awq", "adaround", "adaquant"):
    q, bpw = ptq.quantize_dense_layers(model, variables, calib_x, method, bits=bits, **kw)
    return q, ptq.mean_bits(bpw, q)
  if method == "bias_correction":
    q, bpw = ptq.quantize_dense_layers(model, variables, calib_x, "rtn", bits=bits, bias_correct=True)
    return q, ptq.mean_bits(bpw, q)
  if method == "adaquant_ip":
    choices = kw.pop("choices", (2, 3, 4, 8))
    base = float(_ce(apply(variables, calib_x), calib_y))
    dl = np.zeros((len(paths), len(choices)))
    for i, p in enumerate(paths):
      for k, b in enumerate(choices):
        q, _ = ptq.quantize_dense_layers(model, variables, calib_x, "rtn", bits=b, skip=lambda s, p=p: s != p)
        dl[i, k] = float(_ce(apply(q, calib_x), calib_y)) - base
    alloc = dict(zip(paths, allocation.integer_program(dl, sizes, choices, bits).tolist()))
    q, bpw = ptq.quantize_dense_layers(model, variables, calib_x, "adaquant", bits=alloc, **kw)
    return q, ptq.mean_bits(bpw, q)
  if method == "baq":
    xs = ptq.dense_inputs(model, variables, calib_x)
    sens = [allocation.layer_sensitivity(ptq._get(variables["params"], p)["kernel"], xs[p]) for p in paths]
    alloc = dict(zip(paths, allocation.baq_allocation(sens, sizes, bits, **kw).tolist()))
    q, bpw = ptq.quantize_dense_layers(model, variables, calib_x, "gptq", bits=alloc)
    return q, ptq.mean_bits(bpw, q)
  if method == "evolq":
    q, _ = search.evolq(model, variables, calib_x, bits=bits, apply=apply, **kw)
    return q, ptq.mean_bits({p: ptq.bits_per_weight(ptq._get(q["params"], p)["kernel"].shape, bits=bits)
                             for p in paths}, q)
  if method in ("requant", "sparse_magnitude"):
    r, bpw = ptq.quantize_dense_layers(model, variables, calib_x, "rtn", bits=bits)
    if method == "requant":
      loss = lambda prm: _ce(apply({**variables, "params": prm}, calib_x), calib_y)
      scores, _ = sensitivity.pqi(loss, variables["params"], r["params"], **kw)
    q = r
    for p in paths:
      w, wq = ptq._get(variables["params"], p)["kernel"], ptq._get(r["params"], p)["kernel"]
      score = jnp.abs(ptq._get(scores, p)["kernel"]) if method == "requant" else jnp.abs(w)
      q = ptq._set(q, ["params", *p.split("/"), "kernel"], sensitivity.dense_and_sparse(w, wq, score, sparse_frac))
    return q, ptq.mean_bits(bpw, q) + 64.0 * sparse_frac
  if method == "l2":
    q, total = variables, 0.0
    for p, n in zip(paths, sizes):
      w = ptq._get(variables["params"], p)["kernel"]
      w_hat, b = compression.entropy_constrained(w, float(bits), **kw)
      q = ptq._set(q, ["params", *p.split("/"), "kernel"], w_hat.astype(w.dtype))
      total += b * n
    return q, float(total / sizes.sum())
  raise ValueError(f"method must be one of {TOOL_METHODS}, got {method!r}")


def ptq_tool(ctx, *, methods=("rtn", "gptq", "awq"), bits=(4, 3), calib_size: int = 256, baseline: str = "rtn",
             method_kwargs: dict | None = None, sparse_frac: float = 0.005, sensitivity_check: bool = False,
             pairs=()):
  """The ``ptq`` tool (module docstring). Returns ``(scalars, {"table": rows})``."""
  methods, bits, pairs = list(methods), [int(b) for b in bits], [tuple(p) for p in pairs]
  if any(len(p) != 2 or p[0] not in methods or p[1] not in methods for p in pairs):
    raise ValueError(f"ptq: pairs must be [method, method] pairs of {methods}, got {pairs}")
  bad = [m for m in methods if m not in TOOL_METHODS]
  if bad:
    raise ValueError(f"ptq: methods {bad} unknown; known: {', '.join(TOOL_METHODS)}")
  if baseline not in methods:
    raise ValueError(f"ptq: baseline={baseline!r} must be one of methods {methods}")
  n = len(ctx.labels)
  if not 0 < calib_size < n:
    raise ValueError(f"ptq: calib_size must be in (0, {n}) (the batch holds {n} examples), got {calib_size!r}")
  mk = dict(method_kwargs or {})
  variables = {"params": ctx.params, **(ctx.model_state or {})}
  cx, cy = jnp.asarray(ctx.x[:calib_size]), jnp.asarray(ctx.labels[:calib_size])
  ex, ey = jnp.asarray(ctx.x[calib_size:]), np.asarray(ctx.labels[calib_size:])
  apply = lambda v, x: ctx.model.apply(v, x)

  def score(v):
    logits = apply(v, ex)
    return float(np.mean(np.argmax(np.asarray(logits), -1) == ey)), float(_ce(logits, ey))

  acc_f, loss_f = score(variables)
  out = {"float": acc_f, "float_loss": loss_f}
  rows = []
  for b in bits:
    for m in methods:
      q, bpw = quantize(m, ctx.model, variables, cx, cy, b, method_kwargs=mk.get(m), sparse_frac=sparse_frac,
                        apply=apply)
      acc, loss = score(q)
      key = f"{m}_w{b}"
      out.update({key: acc, f"{key}_loss": loss, f"{key}_bpw": bpw, f"{key}_gap": acc - acc_f})
      rows.append({"method": m, "bits": b, "accuracy": acc, "loss": loss, "bits_per_weight": bpw})
    for m in methods:
      out[f"{m}_w{b}_gain"] = out[f"{m}_w{b}"] - out[f"{baseline}_w{b}"]
    for m1, m2 in pairs:
      out[f"{m1}_minus_{m2}_w{b}"] = out[f"{m1}_w{b}"] - out[f"{m2}_w{b}"]
    if sensitivity_check:
      r, _ = ptq.quantize_dense_layers(ctx.model, variables, cx, "rtn", bits=b)
      loss = lambda prm: _ce(apply({**variables, "params": prm}, cx), cy)
      out[f"actual_delta_w{b}"] = float(loss(r["params"]) - loss(variables["params"]))
      out[f"taylor_delta_w{b}"] = float(sensitivity.taylor_delta(loss, variables["params"], r["params"]))
      out[f"pqi_delta_w{b}"] = float(sensitivity.pqi(loss, variables["params"], r["params"])[1])
      out[f"taylor_ratio_w{b}"] = out[f"taylor_delta_w{b}"] / out[f"actual_delta_w{b}"]
      out[f"pqi_ratio_w{b}"] = out[f"pqi_delta_w{b}"] / out[f"actual_delta_w{b}"]
  return out, {"table": rows}


def ptq_protocol(c, variant: str, methods, *, bits=(4, 3, 2), method_kwargs: dict | None = None, **tool_kwargs):
  """The shared post-training protocol of the PREC configs on config ``c`` (``common.base``'s): one float
  classifier per seed, then the ``ptq`` tool. cpu: an MLP 784-128-128-10 on mnist5k (4,000 real MNIST
  digits; Adam 1e-3, batch 128, 800 steps = 25 epochs), the tool on the 1,000 test digits (256 calibrate,
  744 score); smoke: a 16-unit MLP, 2 steps, one width, no optimisation loops worth waiting for. The
  ``paper`` variant is left to the config (its model and data)."""
  from lbrl import config as common
  c.data.update(name="mnist5k", batch_size=common.by_variant(variant, smoke=16, cpu=128, paper=128),
                eval_batch_size=1000)
  c.model = common.free(name="mlp", hidden=common.by_variant(variant, smoke=(16,), cpu=(128, 128), paper=(128, 128)))
  c.loss.name = "cross_entropy"
  c.optimizer = common.free(name="adam", learning_rate=1e-3)
  c.steps = common.by_variant(variant, smoke=2, cpu=800, paper=800)
  c.eval_every = 0
  c.log_every = common.by_variant(variant, smoke=1, cpu=200, paper=200)
  mk = dict(method_kwargs or {})
  if variant == "smoke":   # CI: every method runs, with the shortest loops
    mk = {m: {**mk.get(m, {}), **SMOKE_KWARGS.get(m, {})} for m in set(mk) | set(SMOKE_KWARGS) if m in methods}
  c.sweep.kind = "analysis"
  c.analysis = dict(tool="ptq", split="eval", batch_size=common.by_variant(variant, smoke=64, cpu=1000, paper=1000),
                    at="final", kwargs=common.free(methods=list(methods),
                                                   bits=list(common.by_variant(variant, smoke=(3,), cpu=bits, paper=bits)),
                                                   calib_size=common.by_variant(variant, smoke=32, cpu=256, paper=256),
                                                   method_kwargs=mk, **tool_kwargs))
  c.sweep.arms = common.free(float32=common.free())
  c.sweep.metric = "analysis/float"
  return c


SMOKE_KWARGS = {"adaround": {"iters": 2}, "adaquant": {"iters": 2}, "adaquant_ip": {"iters": 2},
                "evolq": {"passes": 1, "population": 1}, "awq": {"n_grid": 2}}
