"""Two-Pass Softmax as Pallas TPU (Mosaic) kernels: pass 1 accumulates (mantissa, exponent) pairs per row
over column blocks in VMEM, pass 2 normalises. See :mod:`lbrl.kernels.twopass.reference` for the maths.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax.experimental import pallas as pl
from jax.experimental.pallas import tpu as pltpu

from lbrl.kernels.twopass import reference as ref


def _pass1_kernel(x_ref, m_ref, n_ref, m_acc, n_acc):
  j = pl.program_id(1)

  @pl.when(j == 0)
  def _():
    m_acc[...] = jnp.zeros(m_acc.shape, jnp.float32)
    n_acc[...] = jnp.full(n_acc.shape, ref.NEG_BIG, jnp.float32)

  x = x_ref[...].astype(jnp.float32)
  mi, ni = ref._split(x)
  nb = jnp.max(ni, axis=1, keepdims=True)
  mb = jnp.sum(mi * jnp.exp2(ni - nb), axis=1, keepdims=True)
  m, n = ref.pairs_combine((m_acc[...], n_acc[...]), (mb, nb))
  m_acc[...] = m
  n_acc[...] = n

  @pl.when(j == pl.num_programs(1) - 1)
  def _():
    m_ref[...] = m_acc[...]
    n_ref[...] = n_acc[...]


def _pass2_kernel(x_ref, m_ref, n_ref, y_ref):
  mi, ni = ref._split(x_ref[...].astype(jnp.float32))
  y_ref[...] = ((mi / m_ref[...]) * jnp.exp2(ni - n_ref[...])).astype(y_ref.dtype)


@functools.partial(jax.jit, static_argnames=("block_rows", "block_cols", "interpret"))
def softmax_2d(x, *, block_rows: int = 8, block_cols: int = 512, interpret: bool = False):
  """Row softmax of ``x[R, C]``; R and C must be multiples of the block sizes (the caller pads)."""
  r, c = x.shape
  grid = (r // block_rows, c // block_cols)
  xspec = pl.BlockSpec((block_rows, block_cols), lambda i, j: (i, j))
  rowspec = pl.BlockSpec((block_rows, 1), lambda i, j: (i, 0))
  stat = jax.ShapeDtypeStruct((r, 1), jnp.float32)
  m, n = pl.pallas_call(
      _pass1_kernel, grid=grid, in_specs=[xspec], out_specs=[rowspec, rowspec], out_shape=[stat, stat],
      scratch_shapes=[pltpu.VMEM((block_rows, 1), jnp.float32)] * 2,
      compiler_params=pltpu.CompilerParams(dimension_semantics=("parallel", "arbitrary")),
      interpret=interpret, name="two_pass_softmax_pass1")(x)
  y = pl.pallas_call(
      _pass2_kernel, grid=grid, in_specs=[xspec, rowspec, rowspec], out_specs=xspec,
      out_shape=jax.ShapeDtypeStruct(x.shape, x.dtype),
      compiler_params=pltpu.CompilerParams(dimension_semantics=("parallel", "parallel")),
      interpret=interpret, name="two_pass_softmax_pass2")(x, m, n)
  return y, m[:, 0], n[:, 0]
