"""Two-Pass Softmax as Pallas GPU kernels (Triton lowering): one program per block of rows loops over
column blocks; pass 1 accumulates (mantissa, exponent) pairs, pass 2 normalises.
See :mod:`lbrl.kernels.twopass.reference` for the maths.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax.experimental import pallas as pl
from jax.experimental.pallas import triton as pltr

from lbrl.kernels.twopass import reference as ref


def _kernel(x_ref, y_ref, m_ref, n_ref, *, block_cols: int):
  rows, cols = x_ref.shape
  nblocks = cols // block_cols

  def pass1(j, carry):
    mi, ni = ref._split(x_ref[:, pl.ds(j * block_cols, block_cols)].astype(jnp.float32))
    nb = jnp.max(ni, axis=1)
    mb = jnp.sum(mi * jnp.exp2(ni - nb[:, None]), axis=1)
    return ref.pairs_combine(carry, (mb, nb))

  init = (jnp.zeros((rows,), jnp.float32), jnp.full((rows,), ref.NEG_BIG, jnp.float32))
  m, n = jax.lax.fori_loop(0, nblocks, pass1, init)

  def pass2(j, _):
    sl = pl.ds(j * block_cols, block_cols)
    mi, ni = ref._split(x_ref[:, sl].astype(jnp.float32))
    y_ref[:, sl] = ((mi / m[:, None]) * jnp.exp2(ni - n[:, None])).astype(y_ref.dtype)
    return 0

  jax.lax.fori_loop(0, nblocks, pass2, 0)
  m_ref[...] = m
  n_ref[...] = n


@functools.partial(jax.jit, static_argnames=("block_rows", "block_cols", "interpret"))
def softmax_2d(x, *, block_rows: int = 16, block_cols: int = 256, interpret: bool = False):
  """Row softmax of ``x[R, C]``; R and C must be multiples of the (power-of-two) block sizes."""
  r, c = x.shape
  rowblock = pl.BlockSpec((block_rows, c), lambda i: (i, 0))
  stat = pl.BlockSpec((block_rows,), lambda i: (i,))
  return pl.pallas_call(
      functools.partial(_kernel, block_cols=block_cols), grid=(r // block_rows,),
      in_specs=[rowblock], out_specs=[rowblock, stat, stat],
      out_shape=[jax.ShapeDtypeStruct(x.shape, x.dtype), jax.ShapeDtypeStruct((r,), jnp.float32),
                 jax.ShapeDtypeStruct((r,), jnp.float32)],
      compiler_params=pltr.CompilerParams(num_warps=4, num_stages=1),
      interpret=interpret, name="two_pass_softmax")(x)
