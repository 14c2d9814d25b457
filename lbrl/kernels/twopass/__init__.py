"""Two-Pass Softmax (Dukhan & Ablavatski, 2020, arXiv:2001.04438, slug ``two_pass_softmax``).

``two_pass_softmax(x, axis=-1, impl="auto")`` dispatches to the pure-JAX reference or to the Pallas
TPU/GPU kernels; the blockwise state helpers (:class:`LSEState`, :func:`lse_block`, :func:`lse_combine`,
...) are what the fused cross-entropy and contrastive kernels share.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from lbrl.kernels import _dispatch
from lbrl.kernels.twopass import reference
from lbrl.kernels.twopass.reference import (LSEState, lse_allreduce, lse_block, lse_combine,  # noqa: F401
                                            lse_finalize, lse_init, two_pass_logsumexp)


@functools.partial(jax.custom_vjp, nondiff_argnums=(1, 2))
def _pallas_softmax_2d(x, platform, interpret):
  rows, cols = x.shape
  if platform == "pallas_tpu":
    from lbrl.kernels.twopass import pallas_tpu as mod
    br, bc = 8, min(512, _dispatch.round_up(cols, 128))
  else:
    from lbrl.kernels.twopass import pallas_gpu as mod
    br, bc = 128, min(64, max(16, 1 << (cols - 1).bit_length()))   # Mosaic GPU: SMEM holds 4 [128, bc] blocks
  xp = _dispatch.pad_axis(_dispatch.pad_axis(x, 1, _dispatch.round_up(cols, bc), -jnp.inf),
                          0, _dispatch.round_up(rows, br), 0)
  y = mod.softmax_2d(xp, block_rows=br, block_cols=bc, interpret=interpret)[0]
  return y[:rows, :cols]


def _fwd(x, platform, interpret):
  y = _pallas_softmax_2d(x, platform, interpret)
  return y, y


def _bwd(platform, interpret, y, dy):
  # d softmax: dx = y * (dy - sum(dy * y)); elementwise plus a row sum, which XLA fuses into one pass.
  yf, dyf = y.astype(jnp.float32), dy.astype(jnp.float32)
  return ((yf * (dyf - jnp.sum(dyf * yf, axis=-1, keepdims=True))).astype(y.dtype),)


_pallas_softmax_2d.defvjp(_fwd, _bwd)


def two_pass_softmax(x: jax.Array, axis: int = -1, *, impl: str = "auto", interpret: bool = False) -> jax.Array:
  """softmax(x) along ``axis`` by the Two-Pass algorithm (no max pass, no overflow).

  Formula: write exp(x_i) = m_i * 2**n_i (n_i = round(x_i / ln 2)); pass 1 sums the pairs in extended
  range to sum_j exp(x_j) = m * 2**n; pass 2 returns y_i = (m_i / m) * 2**(n_i - n).

  Args:
    x: floating-point array; computed in float32 at least, returned in ``x.dtype``.
    axis: the softmax axis (default -1).
    impl: "auto" (Pallas on TPU/GPU, reference on CPU) | "reference" | "pallas" | "pallas_tpu" |
      "pallas_gpu".
    interpret: run a Pallas kernel in interpret mode (for CPU tests).

  Reference: M. Dukhan, A. Ablavatski, "The Two-Pass Softmax Algorithm", 2020, arXiv:2001.04438
  (catalog slug ``two_pass_softmax``).
  """
  x = jnp.asarray(x)
  if not jnp.issubdtype(x.dtype, jnp.floating):
    raise TypeError(f"two_pass_softmax: x must be floating point, got dtype {x.dtype}")
  if x.ndim == 0:
    raise ValueError("two_pass_softmax: x must have at least one axis, got a scalar")
  which = _dispatch.resolve_impl(impl, "two_pass_softmax")
  if which == "reference":
    return reference.two_pass_softmax(x, axis)
  xm = jnp.moveaxis(x, axis, -1)
  y = _pallas_softmax_2d(xm.reshape(-1, xm.shape[-1]), which, interpret)
  return jnp.moveaxis(y.reshape(xm.shape), -1, axis)
