"""Scaled quantizers: per-tensor, per-channel and block (microscaling) quantize / dequantize, with
round-to-nearest or stochastic rounding and straight-through gradients.

Symmetric scaled quantization of ``x`` to a format with largest value ``qmax`` (:mod:`lbrl.quant.formats`):

  s = amax / qmax          amax = max |x| over the scale's group (the tensor, a channel or a block)
  q = round_fmt(x / s)     (saturated at +-qmax; ints use [-qmax, qmax], so int8 never takes -128)
  x_hat = q * s

Groups (``QuantSpec.granularity``):

* ``"tensor"``: one scale;
* ``"channel"``: one scale per index of ``axis`` (a Dense kernel ``[in, out]``: ``axis=-1``, per output);
* ``"block"``: blocks of ``block_size`` consecutive entries along ``axis`` (the contraction axis),
  one scale each: the OCP microscaling formats (MX v1.0 spec, 2023) and NVIDIA's NVFP4.

Scale formats (``QuantSpec.scale_format``): ``"float32"`` (``s = amax / qmax``); ``"e8m0"`` (the MX
rule: ``s = 2^(floor(log2 amax) - emax_elem)``, a power of two, elements above ``qmax`` after scaling
saturate; :func:`lbrl.quant.formats.e8m0_floor`); ``"e4m3"`` (NVFP4's two levels: a float32 tensor
scale ``g = amax_tensor / (qmax * 448)`` and per-block e4m3 scales ``round_e4m3(amax_b / qmax / g)``,
so ``s_b = round_e4m3(amax_b / (qmax g)) * g``); ``"pow2"`` (``s = 2^ceil(log2(amax / qmax))``, the smallest
power of two that does not saturate, as qwix's MX rule); ``"shift"`` (per-channel or per-block scales that are
the tensor's float scale shifted down by a power of two, ``s_g = (amax_t / qmax) 2^-k_g`` with the largest
``k_g >= 0`` that keeps the group unsaturated, ``2^k_g <= amax_t / amax_g``: each group's step is at most the
per-tensor one, and groups differ by shifts, lbrl's reading of ShiftQuant, slug ``accurate_efficient_sub_8``;
a per-tensor spec is the float32 scale); ``"none"`` (``s = 1``:
a plain cast to the format, the naive low-precision baseline without scaling). A zero group gets ``s = 1``.

Presets: :data:`MXFP8` (e4m3, block 32, e8m0), :data:`MXFP4` (e2m1, block 32, e8m0), :data:`NVFP4`
(e2m1, block 16, e4m3 scales), :data:`INT8` / :data:`INT4` (per channel, float32 scales).

qwix (``qwix.quantize_api``, used by :mod:`lbrl.train.precision`) implements the same groups with two
departures pinned in ``tests/quant/test_quantizers.py``: its symmetric int bound is ``qmax + 0.5``
(``s = amax / 127.5`` for int8) and its MX scale is ``2^ceil(log2(amax / qmax))`` (never saturates,
may waste one binade) instead of the spec's floor rule; this module follows the spec and the papers.

Delayed per-tensor scaling (fp8 training with an amax history, NVIDIA Transformer Engine's recipe):
keep the history with flax's ``flax.linen.fp8_ops.compute_amax_history`` and pass ``amax=max(history)``
to :func:`quantize` / :func:`fake_quantize` of a per-tensor spec; the result equals flax's ``fp8_ops.qdq``
bit for bit (pinned in the tests). Dynamic scaling is the default (``amax`` of the tensor itself).

Gradients (:func:`fake_quantize`, a ``jax.custom_vjp``): ``"ste"`` passes the cotangent unchanged
(straight-through estimator, Bengio et al. 2013, arXiv:1308.3432); ``"clipped"`` zeroes it where
``|x| > s * qmax`` (saturated entries, as in PACT / LSQ-style QAT).

Example::

  >>> x_hat = fake_quantize(w, MXFP4._replace(axis=0))     # a [in, out] kernel, blocks along `in`
  >>> bits_per_value(MXFP4)                                # 4.25
"""
from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp

from lbrl.quant.formats import e8m0_floor, get_format, round_to_format, ROUNDINGS

GRANULARITIES = ("tensor", "channel", "block")
SCALE_FORMATS = {"float32": 32, "e8m0": 8, "e4m3": 8, "pow2": 8, "shift": 8, "none": 0}
GRADIENTS = ("ste", "clipped")
E4M3_MAX = 448.0


class QuantSpec(NamedTuple):
  fmt: str = "int8"
  granularity: str = "channel"
  axis: int = -1
  block_size: int = 32
  scale_format: str = "float32"
  rounding: str = "nearest"


MXFP8 = QuantSpec("float8_e4m3fn", "block", -1, 32, "e8m0")
MXFP4 = QuantSpec("float4_e2m1fn", "block", -1, 32, "e8m0")
NVFP4 = QuantSpec("float4_e2m1fn", "block", -1, 16, "e4m3")
INT8 = QuantSpec("int8", "channel", -1)
INT4 = QuantSpec("int4", "channel", -1)
FP8_TENSOR = QuantSpec("float8_e4m3fn", "tensor")
PRESETS = {"mxfp8": MXFP8, "mxfp4": MXFP4, "nvfp4": NVFP4, "int8": INT8, "int4": INT4, "fp8": FP8_TENSOR}


class Quantized(NamedTuple):
  values: jax.Array     # the codes in the format's dtype, shaped like x
  scale: jax.Array      # float32; tensor/channel: broadcastable to x; block: [..., n / block, 1] (axis last)
  spec: QuantSpec


def check_spec(spec: QuantSpec | str, ndim: int | None = None) -> QuantSpec:
  """``spec`` validated (a preset name is looked up in :data:`PRESETS`)."""
  if isinstance(spec, str):
    if spec not in PRESETS:
      raise ValueError(f"spec must be a QuantSpec or one of {', '.join(PRESETS)}; got {spec!r}")
    spec = PRESETS[spec]
  get_format(spec.fmt)
  if spec.granularity not in GRANULARITIES:
    raise ValueError(f"QuantSpec.granularity must be one of {GRANULARITIES}, got {spec.granularity!r}")
  if spec.scale_format not in SCALE_FORMATS:
    raise ValueError(f"QuantSpec.scale_format must be one of {tuple(SCALE_FORMATS)}, got {spec.scale_format!r}")
  if spec.scale_format == "e4m3" and spec.granularity != "block":
    raise ValueError("QuantSpec.scale_format='e4m3' (NVFP4's two-level scales) needs granularity='block'")
  if spec.rounding not in ROUNDINGS:
    raise ValueError(f"QuantSpec.rounding must be one of {ROUNDINGS}, got {spec.rounding!r}")
  if spec.granularity == "block" and (not isinstance(spec.block_size, int) or spec.block_size < 1):
    raise ValueError(f"QuantSpec.block_size must be a positive int, got {spec.block_size!r}")
  if ndim is not None and spec.granularity != "tensor" and not -ndim <= spec.axis < ndim:
    raise ValueError(f"QuantSpec.axis={spec.axis} is out of range for an array of rank {ndim}")
  return spec


def _blocked(x, spec):
  """``x`` with ``spec.axis`` moved last and split into ``[..., n / block, block]``."""
  xm = jnp.moveaxis(x, spec.axis, -1)
  n = xm.shape[-1]
  if n % spec.block_size:
    raise ValueError(f"block quantization needs axis {spec.axis} (size {n}) divisible by "
                     f"block_size={spec.block_size}")
  return xm.reshape(*xm.shape[:-1], n // spec.block_size, spec.block_size)


def _unblocked(xb, spec, shape):
  xm = xb.reshape(*xb.shape[:-2], -1)
  return jnp.moveaxis(xm, -1, spec.axis).reshape(shape)


def _scale(amax, f, scale_format, tensor_amax=None):
  if scale_format == "none":
    return jnp.ones_like(jnp.asarray(amax, jnp.float32))
  if scale_format == "pow2":
    _, e = jnp.frexp(jnp.asarray(amax, jnp.float32) / f.max)     # amax / qmax in [2^(e-1), 2^e)
    up = jnp.ldexp(jnp.float32(1.0), e)
    exact = jnp.ldexp(jnp.float32(1.0), e - 1) == amax / f.max
    return jnp.where(amax > 0, jnp.where(exact, up / 2, up), 1.0).astype(jnp.float32)
  if scale_format == "e8m0":
    return e8m0_floor(amax, f)
  if scale_format == "shift" and tensor_amax is not None:
    amax = jnp.asarray(amax, jnp.float32)
    ratio = jnp.where(amax > 0, tensor_amax / jnp.where(amax > 0, amax, 1.0), 1.0)
    _, e = jnp.frexp(ratio)                       # ratio in [2^(e-1), 2^e): k = e - 1 (ratio >= 1)
    s = jnp.ldexp(tensor_amax / f.max, -jnp.maximum(e - 1, 0))
    return jnp.where(tensor_amax > 0, s, 1.0).astype(jnp.float32)
  if scale_format == "e4m3":
    g = tensor_amax / (f.max * E4M3_MAX)
    g = jnp.where(g > 0, g, 1.0)
    sb = round_to_format(amax / (f.max * g), "float8_e4m3fn")
    s = sb * g
  else:
    s = amax / f.max
  return jnp.where(s > 0, s, 1.0).astype(jnp.float32)


def compute_scale(x: jax.Array, spec: QuantSpec | str, amax: jax.Array | None = None) -> jax.Array:
  """The scale(s) of ``x`` under ``spec`` (shapes as in :class:`Quantized`); ``amax`` replaces
  ``max |x|`` of a per-tensor spec (delayed scaling from an amax history)."""
  spec = check_spec(spec, jnp.ndim(x))
  f = get_format(spec.fmt)
  a = jnp.abs(jnp.asarray(x, jnp.float32))
  if spec.granularity == "tensor":
    m = jnp.max(a) if amax is None else jnp.asarray(amax, jnp.float32)
    return _scale(m, f, spec.scale_format)
  if amax is not None:
    raise ValueError("amax= is only for granularity='tensor' specs")
  if spec.granularity == "channel":
    ax = spec.axis % a.ndim
    m = jnp.max(a, axis=tuple(i for i in range(a.ndim) if i != ax), keepdims=True)
    return _scale(m, f, spec.scale_format, tensor_amax=jnp.max(a))
  m = jnp.max(_blocked(a, spec), axis=-1, keepdims=True)
  return _scale(m, f, spec.scale_format, tensor_amax=jnp.max(a))


def quantize(x: jax.Array, spec: QuantSpec | str = INT8, *, key: jax.Array | None = None,
             amax: jax.Array | None = None) -> Quantized:
  """Codes and scales of ``x`` (see the module docstring); ``key`` for stochastic rounding."""
  spec = check_spec(spec, jnp.ndim(x))
  f = get_format(spec.fmt)
  x = jnp.asarray(x, jnp.float32)
  s = compute_scale(x, spec, amax)
  if spec.granularity == "block":
    q = round_to_format(_blocked(x, spec) / s, f, rounding=spec.rounding, key=key)
    q = _unblocked(q, spec, x.shape)
  else:
    q = round_to_format(x / s, f, rounding=spec.rounding, key=key)
  return Quantized(q.astype(f.dtype), s, spec)


def dequantize(q: Quantized) -> jax.Array:
  """``codes * scale`` in float32, shaped like the quantized array."""
  v = q.values.astype(jnp.float32)
  if q.spec.granularity == "block":
    return _unblocked(_blocked(v, q.spec) * q.scale, q.spec, v.shape)
  return v * q.scale


def _fq(x, spec, key, amax):
  return dequantize(quantize(x, spec, key=key, amax=amax)).astype(x.dtype)


@partial(jax.custom_vjp, nondiff_argnums=(1, 2))
def _fake_quant(x, spec, gradient, key, amax):
  return _fq(x, spec, key, amax)


def _fake_quant_fwd(x, spec, gradient, key, amax):
  mask = None
  if gradient == "clipped":
    s = compute_scale(x, spec, amax)
    f = get_format(spec.fmt)
    if spec.granularity == "block":
      mask = _unblocked(jnp.abs(_blocked(x.astype(jnp.float32), spec)) <= s * f.max, spec, x.shape)
    else:
      mask = jnp.abs(x.astype(jnp.float32)) <= s * f.max
  return _fq(x, spec, key, amax), mask


def _fake_quant_bwd(spec, gradient, mask, g):
  if mask is not None:
    g = jnp.where(mask, g, jnp.zeros_like(g))
  return g, None, None


_fake_quant.defvjp(_fake_quant_fwd, _fake_quant_bwd)


def fake_quantize(x: jax.Array, spec: QuantSpec | str = INT8, *, gradient: str = "ste",
                  key: jax.Array | None = None, amax: jax.Array | None = None) -> jax.Array:
  """``dequantize(quantize(x))`` in ``x``'s dtype with the ``gradient`` rule (``"ste"`` or ``"clipped"``)."""
  spec = check_spec(spec, jnp.ndim(x))
  if gradient not in GRADIENTS:
    raise ValueError(f"gradient must be one of {GRADIENTS}, got {gradient!r}")
  if spec.rounding == "stochastic" and key is None:
    raise ValueError("a stochastic-rounding spec needs key=...")
  return _fake_quant(x, spec, gradient, key, amax)


def bits_per_value(spec: QuantSpec | str, numel: int | None = None, channels: int = 1) -> float:
  """Storage bits per quantized value: element bits plus the scales' share (a block's scale over
  ``block_size``; a tensor's or ``channels`` per-channel float32 scales over ``numel`` values when given;
  NVFP4 adds its float32 tensor scale the same way)."""
  spec = check_spec(spec)
  b = float(get_format(spec.fmt).bits)
  sb = SCALE_FORMATS[spec.scale_format]
  if spec.granularity == "block":
    b += sb / spec.block_size
    if spec.scale_format == "e4m3" and numel:
      b += 32.0 / numel
  elif numel:
    b += sb * (channels if spec.granularity == "channel" else 1) / numel
  if spec.scale_format == "shift" and spec.granularity != "tensor" and numel:
    b += 32.0 / numel   # the float32 tensor scale the shifts apply to
  return b


def int_absmax_scale(w_oi, bits: int):
  """qwix's symmetric absmax scale per row of ``w_oi [out, k]``: ``amax / (qmax + 0.5)`` with
  ``qmax = 2^(bits-1) - 1`` (1 where the row is all but zero); shared by the post-training methods
  (:mod:`lbrl.quant.ptq`, :mod:`lbrl.quant.rounding`, :mod:`lbrl.quant.search`)."""
  s = jnp.max(jnp.abs(w_oi), axis=1, keepdims=True) / (2 ** (bits - 1) - 0.5)
  return jnp.where(s < jnp.sqrt(jnp.finfo(jnp.float32).tiny), 1.0, s)

