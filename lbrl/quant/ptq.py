"""Post-training weight quantization of a trained model's Dense layers: round-to-nearest, GPTQ and AWQ.

All three use one weight quantizer, qwix's (``qwix`` ``HowToQuantize``: symmetric absmax, one scale per
output channel, or per group of ``group_size`` inputs; int4 codes -8..7 with ``s = amax / 7.5``, int3
codes -4..3 with ``s = amax / 3.5``), so they differ only in the method. For a flax Dense kernel
``W [in, out]`` and calibration inputs ``X [n, in]`` (the layer's inputs on a calibration set):

* :func:`rtn`: ``W_hat = Q(W)``.
* :func:`gptq` (Frantar, Ashkboos, Hoefler and Alistarh, "GPTQ: Accurate Post-Training Quantization for
  Generative Pre-trained Transformers", ICLR 2023, arXiv:2210.17323): minimises ``||X W - X W_hat||^2``
  column by column over the inputs: ``H = X^T X + lambda I`` (``lambda = percdamp * mean diag H``),
  ``U = chol(H^-1)^T`` (upper), and for input row i in order: ``q_i = Q(w_i)``, ``err = (w_i - q_i) /
  U_ii``, ``w_j -= err U_ij`` for the later rows j. lbrl's version is a jitted loop (see :func:`gptq`
  for why not qwix's ``gptq_core``), checked against a float64 NumPy transcription of the authors'
  ``gptq.py`` in ``tests/quant/test_ptq.py``.
* :func:`awq` (Lin, Tang, Tang, Yang, Chen, Wang, Xiao, Dang, Gan and Han, "AWQ: Activation-aware Weight
  Quantization for LLM Compression and Acceleration", MLSys 2024, arXiv:2306.00978): a per-input-channel
  scale ``s = s_X^alpha / sqrt(max(s_X^alpha) min(s_X^alpha))`` with ``s_X = mean_n |X|`` (clamped at
  1e-4), ``alpha`` on a grid of ``n_grid`` points in ``[0, 1)``, chosen to minimise the layer's output
  error on the calibration inputs, ``mean((X W - X diag(1/s) Q(diag(s) W))^2)`` (the authors'
  ``auto_scale``: the scale is folded into the previous op, so the effective weight is
  ``diag(1/s) Q(diag(s) W)``). qwix's ``awq_core`` uses a diagonal proxy of that error,
  ``mean((s_X * (W - W_hat))^2)``; lbrl follows the paper (the proxy is what :func:`awq` with
  ``objective="proxy"`` computes, pinned against qwix in the tests).

:func:`quantize_dense_layers` applies a method to every Dense layer of a flax model in order, each
layer calibrated on its inputs with the earlier layers already quantized (GPTQ's sequential scheme),
and :func:`bits_per_weight` gives the storage cost (element bits plus the float32 scales' share).
"""
from __future__ import annotations

from functools import partial
from typing import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from qwix._src.core import qarray

from lbrl.quant.quantizers import int_absmax_scale

METHODS = ("rtn", "gptq", "awq", "adaround", "adaquant")
BITS = {8: jnp.int8, 4: jnp.int4, 3: "int3", 2: "int2"}


def how(bits: int, group_size: int | None = None) -> qarray.HowToQuantize:
  """qwix's quantizer for a ``[out, in]`` weight: per output channel, per ``group_size`` inputs if given."""
  if bits not in BITS:
    raise ValueError(f"bits must be one of {sorted(BITS)}, got {bits!r}")
  if group_size is not None and (not isinstance(group_size, int) or group_size < 1):
    raise ValueError(f"group_size must be a positive int or None, got {group_size!r}")
  return qarray.HowToQuantize(qtype=BITS[bits], channelwise_axes=(0,),
                              tiled_axes={1: group_size} if group_size else {})


def _q(w_oi, h):
  return qarray.dequantize(qarray.quantize(w_oi, h))


def rtn(w: jax.Array, *, bits: int = 4, group_size: int | None = None) -> jax.Array:
  """Round-to-nearest ``Q(W)`` of a ``[in, out]`` kernel (float32). Widths qwix has no type for (5, 6, 7
  bits, from a mixed-precision allocation) use the same grid per output channel (:func:`_int_quant`)."""
  w = jnp.asarray(w, jnp.float32)
  if bits not in BITS and group_size is None:
    _check_bits(bits)
    return _int_quant(w.T, bits, _int_scale(w.T, bits)).T
  return _q(w.T, how(bits, group_size)).T


def _check_bits(bits):
  if not isinstance(bits, int) or not 2 <= bits <= 8:
    raise ValueError(f"bits must be an int in [2, 8], got {bits!r}")


def _int_quant(w_oi, bits, scale):
  """qwix's symmetric int rounding of ``[out, k]`` values with per-row ``scale [out, 1]``."""
  qmax = 2 ** (bits - 1) - 1
  return jnp.clip(jnp.round(w_oi / scale), -qmax - 1, qmax) * scale


_int_scale = int_absmax_scale   # qwix's absmax scale per row (lbrl.quant.quantizers)


def gptq(w: jax.Array, x: jax.Array, *, bits: int = 4, group_size: int | None = None,
         percdamp: float = 0.01) -> jax.Array:
  """GPTQ's ``W_hat`` for a ``[in, out]`` kernel given calibration inputs ``x [n, in]`` (module docstring).

  A ``lax.fori_loop`` over the input rows (the authors' lazy block updates only reorder the same float
  operations, so they are left out); with ``group_size`` the scales of a group are taken from the
  error-updated weights when the loop reaches its first row, as in the authors' code. qwix's
  ``gptq_core.quantize_weight`` unrolls the loop in Python (impractical past a few hundred inputs
  here) and cannot hold int3 codes, hence this version; both are checked against the authors'
  algorithm in float64 (tests/quant/test_ptq.py). Any width in [2, 8] bits."""
  _check_bits(bits)
  if group_size is not None:
    how(2, group_size)
  w = jnp.asarray(w, jnp.float32)
  x = _check_x(x, w)
  if not 0 <= percdamp < 1:
    raise ValueError(f"percdamp must be in [0, 1), got {percdamp!r}")
  n_in = w.shape[0]
  g = group_size or n_in
  if n_in % g:
    raise ValueError(f"group_size={group_size} must divide the kernel's input size {n_in}")
  return _gptq(w.T, x, bits, g, float(percdamp)).T


@partial(jax.jit, static_argnums=(2, 3, 4))
def _gptq(W, x, bits, g, percdamp):
  cols = W.shape[1]
  H = x.T @ x
  dead = jnp.diag(H) == 0
  H = jnp.where(jnp.diag(dead), 1.0, H)
  W = jnp.where(dead[None, :], 0.0, W)
  H = H + percdamp * jnp.mean(jnp.diag(H)) * jnp.eye(cols)
  U = jnp.linalg.cholesky(jax.scipy.linalg.cho_solve((jnp.linalg.cholesky(H), True), jnp.eye(cols))).T
  idx = jnp.arange(cols)

  def body(i, carry):
    W, s = carry
    s = jax.lax.cond(i % g == 0, lambda: _int_scale(jax.lax.dynamic_slice_in_dim(W, i, g, axis=1), bits), lambda: s)
    w = W[:, i]
    q = _int_quant(w[:, None], bits, s)[:, 0]
    err = (w - q) / U[i, i]
    W = W - jnp.outer(err, jnp.where(idx >= i, U[i], 0.0))
    return W.at[:, i].set(q), s

  W, _ = jax.lax.fori_loop(0, cols, body, (W, jnp.ones((W.shape[0], 1), W.dtype)))
  return W


def awq(w: jax.Array, x: jax.Array, *, bits: int = 4, group_size: int | None = None, n_grid: int = 20,
        objective: str = "output") -> jax.Array:
  """AWQ's effective weight ``diag(1/s) Q(diag(s) W)`` for a ``[in, out]`` kernel (module docstring).
  ``objective="output"``: the paper's output error on ``x``; ``"proxy"``: qwix's diagonal proxy."""
  w = jnp.asarray(w, jnp.float32)
  x = _check_x(x, w)
  if objective not in ("output", "proxy"):
    raise ValueError(f"objective must be 'output' or 'proxy', got {objective!r}")
  if not isinstance(n_grid, int) or n_grid < 1:
    raise ValueError(f"n_grid must be a positive int, got {n_grid!r}")
  h = how(bits, group_size)
  sx = jnp.mean(jnp.abs(x), axis=0)
  y = x @ w
  if objective == "proxy":   # qwix.contrib.awq_core: normalised s_X, linspace(0, 1, n_grid), weighted weight error
    ratios = jnp.linspace(0.0, 1.0, n_grid)
    base = jnp.clip(sx / (sx.max() + 1e-8), 1e-4)
  else:                      # llm-awq auto_scale: ratio = k / n_grid, k = 0..n_grid-1
    ratios = jnp.arange(n_grid, dtype=jnp.float32) / n_grid
    base = sx

  def candidate(r):
    s = jnp.clip(base ** r, 1e-4)
    s = s / jnp.sqrt(jnp.maximum(s.max() * s.min(), 1e-8))
    w_hat = (_q((w * s[:, None]).T, h).T) / s[:, None]
    if objective == "proxy":
      err = jnp.mean(((w - w_hat) * sx[:, None]) ** 2)
    else:
      err = jnp.mean((y - x @ w_hat) ** 2)
    return err, w_hat

  errs, w_hats = jax.lax.map(candidate, ratios)
  return w_hats[jnp.argmin(errs)]


def _check_x(x, w):
  x = jnp.asarray(x, jnp.float32)
  if x.ndim != 2 or x.shape[1] != w.shape[0]:
    raise ValueError(f"x must be [n, in] with in = {w.shape[0]} (the kernel's input size); got {x.shape}")
  return x


def bits_per_weight(shape: tuple[int, int], *, bits: int, group_size: int | None = None) -> float:
  """Storage bits per weight of a ``[in, out]`` kernel: ``bits`` plus one float32 scale per output channel
  and group (``32 / group_size``, or ``32 / in`` per channel)."""
  n_in = shape[0]
  return bits + 32.0 / (group_size or n_in)


def dense_inputs(model: nn.Module, variables, x) -> dict[str, jax.Array]:
  """``{module path: inputs [n, in]}`` of every ``nn.Dense`` call of ``model.apply(variables, x)``
  (leading axes flattened), in call order."""
  seen = {}

  def interceptor(next_fun, args, kwargs, context):
    if isinstance(context.module, nn.Dense) and context.method_name == "__call__":
      path = "/".join(context.module.path)
      a = jnp.asarray(args[0], jnp.float32)
      seen[path] = a.reshape(-1, a.shape[-1])
    return next_fun(*args, **kwargs)

  with nn.intercept_methods(interceptor):
    model.apply(variables, x)
  return seen


def quantize_dense_layers(model: nn.Module, variables, calib_x, method: str = "rtn", *, bits: int | dict = 4,
                          group_size: int | None = None, skip: Callable[[str], bool] | None = None,
                          bias_correct: bool = False, **kwargs) -> tuple[dict, dict]:
  """``(variables with every Dense kernel replaced by its quantized value, {path: bits per weight})``.

  Layers are processed in call order; each is calibrated on its inputs with the earlier layers already
  quantized. ``method``: ``"rtn"``, ``"gptq"``, ``"awq"`` (this module) or ``"adaround"``, ``"adaquant"``
  (:mod:`lbrl.quant.rounding`; AdaQuant also sets the bias). ``bits``: one width, or ``{path: bits}`` (a
  mixed-precision allocation, :mod:`lbrl.quant.allocation`). ``bias_correct``: the quantized layer's mean
  output shift is folded into its bias (:func:`lbrl.quant.rounding.bias_correction`). ``skip(path)``
  leaves a layer in float32. ``kwargs`` go to the method."""
  from lbrl.quant import rounding
  if method not in METHODS:
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")
  if group_size is not None and method in ("adaround", "adaquant"):
    raise ValueError(f"method={method!r} quantizes per output channel; group_size must be None")
  variables = jax.tree.map(lambda a: a, dict(variables))
  order = list(dense_inputs(model, variables, calib_x))
  if isinstance(bits, dict) and set(order) - set(bits) - {p for p in order if skip is not None and skip(p)}:
    raise ValueError(f"bits={bits!r} lacks Dense layers {sorted(set(order) - set(bits))}")
  bpw = {}
  for path in order:
    if skip is not None and skip(path):
      continue
    b_l = int(bits[path]) if isinstance(bits, dict) else bits
    node = _get(variables["params"], path)
    w, bias = node["kernel"], node.get("bias")
    new_bias = None
    xs = None if method == "rtn" and not bias_correct else dense_inputs(model, variables, calib_x)[path]
    if method == "rtn":
      w_hat = rtn(w, bits=b_l, group_size=group_size)
    elif method in ("gptq", "awq"):
      w_hat = (gptq if method == "gptq" else awq)(w, xs, bits=b_l, group_size=group_size, **kwargs)
    elif method == "adaround":
      w_hat = rounding.adaround(w, xs, bits=b_l, **kwargs)
    else:
      w_hat, new_bias = rounding.adaquant(w, xs, bias, bits=b_l, **kwargs)
    if bias_correct and bias is not None:
      new_bias = rounding.bias_correction(w, w_hat, xs, bias if new_bias is None else new_bias)
    variables = _set(variables, ["params", *path.split("/"), "kernel"], w_hat.astype(w.dtype))
    if new_bias is not None and bias is not None:
      variables = _set(variables, ["params", *path.split("/"), "bias"], new_bias.astype(bias.dtype))
    bpw[path] = bits_per_weight(w.shape, bits=b_l, group_size=group_size)
  return variables, bpw


def _get(params, path: str):
  node = params
  for k in path.split("/"):
    node = node[k]
  return node


def _set(tree, keys, value):
  out = dict(tree)
  out[keys[0]] = value if len(keys) == 1 else _set(tree[keys[0]], keys[1:], value)
  return out


def mean_bits(bpw: dict, variables) -> float:
  """The weight-count-weighted mean bits per weight over the quantized kernels."""
  sizes = {}
  for path in bpw:
    node = variables["params"]
    for k in path.split("/"):
      node = node[k]
    sizes[path] = int(np.prod(node["kernel"].shape))
  total = sum(sizes.values())
  return float(sum(bpw[p] * sizes[p] for p in bpw) / max(total, 1))


def accuracy_after(model: nn.Module, variables, calib_x, eval_x, eval_y, method: str = "rtn", *, bits: int = 4,
                   group_size: int | None = None, **kwargs) -> dict[str, float]:
  """``{"accuracy", "bits_per_weight"}`` of ``model`` after :func:`quantize_dense_layers` (``method``,
  ``bits``) calibrated on ``calib_x``, on ``(eval_x, eval_y)`` (integer labels; logits from
  ``model.apply(variables, x)``). The entry point of a post-training analysis on a trained checkpoint."""
  q, bpw = quantize_dense_layers(model, variables, jnp.asarray(calib_x), method, bits=bits, group_size=group_size,
                                 **kwargs)
  logits = np.asarray(model.apply(q, jnp.asarray(eval_x)))
  eval_y = np.asarray(eval_y)
  if logits.shape[:-1] != eval_y.shape:
    raise ValueError(f"eval_y must have the logits' leading shape {logits.shape[:-1]}, got {eval_y.shape}")
  return {"accuracy": float(np.mean(np.argmax(logits, -1) == eval_y)), "bits_per_weight": mean_bits(bpw, q)}
