"""Number formats for emulated low-precision training and quantization, on ``ml_dtypes``.

A :class:`Format` names a storage type (float8 e4m3fn / e5m2, float4 e2m1fn, float16, bfloat16,
int8, int4) with its largest finite value, its number of explicit mantissa bits and its smallest
normal exponent. :func:`round_to_format` maps float32 values onto the format's grid and returns them
in float32 (the "fake-quantized" value an emulated kernel computes with):

* ``rounding="nearest"``: the cast ``x.astype(format)`` (round half to even, as ml_dtypes/XLA cast),
  with saturation at ``+-max`` first (the fn formats have no infinity; e4m3fn would give NaN);
  integers: ``round_half_even(x)`` clipped to ``[min, max]``;
* ``rounding="stochastic"``: ``q = sign(x) * ulp(x) * floor(|x| / ulp(x) + u)``, ``u ~ U[0, 1)``,
  with ``ulp(x) = 2^(max(floor(log2|x|), emin) - mantissa_bits)`` (integers: ulp 1), so ``q`` is one
  of the two grid neighbours of ``x`` with ``P(upper) = (|x| - lower) / ulp`` and ``E[q] = x``
  inside the range (Gupta et al., "Deep Learning with Limited Numerical Precision", 2015,
  arXiv:1502.02551); ``|x| > max`` saturates to ``max``.

The e8m0 exponent-only scale type of the OCP microscaling (MX) formats is :data:`E8M0` (values
``2^k``, ``k = -127..127``); :func:`e8m0_floor` is the OCP MX v1.0 rule for a block's shared scale.

Example::

  >>> round_to_format(jnp.array([0.3, 500.0]), "float8_e4m3fn")   # [0.3125, 448.]
"""
from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np


@dataclasses.dataclass(frozen=True)
class Format:
  name: str
  dtype: np.dtype        # the ml_dtypes / numpy storage type
  kind: str              # "float" or "int"
  bits: int
  max: float             # largest finite value
  min: float             # smallest value (-max for floats)
  mantissa_bits: int     # explicit mantissa bits (0 for int)
  emin: int              # exponent of the smallest normal number (floats)

  @property
  def emax(self) -> int:
    """Exponent of the largest normal binade (OCP MX ``emax_elem``): floor(log2(max)); 0 for ints."""
    return int(np.floor(np.log2(self.max))) if self.kind == "float" else 0


def _float(name, dtype):
  f = ml_dtypes.finfo(dtype)
  return Format(name, np.dtype(dtype), "float", int(f.bits), float(f.max), -float(f.max), int(f.nmant),
                int(f.minexp))


def _int(name, dtype):
  i = ml_dtypes.iinfo(dtype)
  return Format(name, np.dtype(dtype), "int", int(i.bits), float(i.max), float(i.min), 0, 0)


FORMATS = {f.name: f for f in [
    _float("float8_e4m3fn", ml_dtypes.float8_e4m3fn), _float("float8_e5m2", ml_dtypes.float8_e5m2),
    _float("float4_e2m1fn", ml_dtypes.float4_e2m1fn), _float("float16", np.float16),
    _float("bfloat16", ml_dtypes.bfloat16), _int("int8", np.int8), _int("int4", ml_dtypes.int4)]}
ALIASES = {"e4m3": "float8_e4m3fn", "e5m2": "float8_e5m2", "fp4": "float4_e2m1fn", "e2m1": "float4_e2m1fn",
           "fp16": "float16", "bf16": "bfloat16"}
E8M0 = np.dtype(ml_dtypes.float8_e8m0fnu)
ROUNDINGS = ("nearest", "stochastic")


def get_format(fmt: str | Format) -> Format:
  """The :class:`Format` named ``fmt`` (a key of :data:`FORMATS` or an alias such as ``"e4m3"``)."""
  if isinstance(fmt, Format):
    return fmt
  name = ALIASES.get(fmt, fmt)
  if name not in FORMATS:
    raise ValueError(f"format must be one of {', '.join([*FORMATS, *ALIASES])}; got {fmt!r}")
  return FORMATS[name]


def grid(fmt: str | Format) -> np.ndarray:
  """Every finite value of ``fmt`` in float64, sorted and unique (from the ml_dtypes codes)."""
  f = get_format(fmt)
  if f.kind == "int":
    return np.arange(f.min, f.max + 1, dtype=np.float64)
  if f.bits > 8:
    raise ValueError(f"grid() enumerates formats of at most 8 bits; {f.name} has {f.bits}")
  vals = np.arange(2 ** f.bits, dtype=np.uint8).view(f.dtype)   # one byte per code, 4-bit types too
  v = vals.astype(np.float64)
  return np.unique(v[np.isfinite(v)])


def ulp(x: jax.Array, fmt: str | Format) -> jax.Array:
  """The spacing of ``fmt``'s grid at ``|x|`` (float32): ``2^(max(floor(log2|x|), emin) - mantissa)``."""
  f = get_format(fmt)
  if f.kind == "int":
    return jnp.ones_like(x, jnp.float32)
  _, e = jnp.frexp(jnp.abs(x).astype(jnp.float32))   # |x| = m 2^e, m in [0.5, 1): floor(log2|x|) = e - 1
  return jnp.ldexp(jnp.float32(1.0), jnp.maximum(e - 1, f.emin) - f.mantissa_bits)


def round_to_format(x: jax.Array, fmt: str | Format, *, rounding: str = "nearest",
                    key: jax.Array | None = None) -> jax.Array:
  """``x`` on ``fmt``'s grid, saturated at its range, returned in float32 (see the module docstring).

  ``rounding``: ``"nearest"`` (half to even, the ml_dtypes cast) or ``"stochastic"`` (needs ``key``).
  """
  f = get_format(fmt)
  if rounding not in ROUNDINGS:
    raise ValueError(f"rounding must be one of {ROUNDINGS}, got {rounding!r}")
  x = jnp.asarray(x, jnp.float32)
  if rounding == "nearest":
    if f.kind == "int":
      return jnp.clip(jnp.round(x), f.min, f.max)
    return jnp.clip(x, f.min, f.max).astype(f.dtype).astype(jnp.float32)
  if key is None:
    raise ValueError("rounding='stochastic' needs a PRNG key (key=...)")
  u = jax.random.uniform(key, x.shape, jnp.float32)
  if f.kind == "int":
    return jnp.clip(jnp.floor(x + u), f.min, f.max)
  a = jnp.minimum(jnp.abs(x), f.max)
  step = ulp(a, f)
  q = jnp.minimum(jnp.floor(a / step + u) * step, f.max)
  return jnp.sign(x) * q


def e8m0_floor(amax: jax.Array, fmt: str | Format) -> jax.Array:
  """OCP MX v1.0 shared scale of a block with largest magnitude ``amax`` for element format ``fmt``:
  ``2^(floor(log2(amax)) - emax_elem)``, the exponent clamped to e8m0's ``[-127, 127]``; 1 where
  ``amax == 0``. Values above the element format's max after scaling saturate (the spec's choice)."""
  f = get_format(fmt)
  _, e = jnp.frexp(jnp.asarray(amax, jnp.float32))
  k = jnp.clip(e - 1 - f.emax, -127, 127)
  return jnp.where(amax > 0, jnp.ldexp(jnp.float32(1.0), k), jnp.float32(1.0))
