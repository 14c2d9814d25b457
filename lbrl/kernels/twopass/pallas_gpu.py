"""Two-Pass Softmax as Pallas GPU kernels on Mosaic GPU (``jax.experimental.pallas.mosaic_gpu``; the
Triton lowering this replaced is being retired by JAX). See :mod:`lbrl.kernels.twopass.reference` for the maths.

Mosaic GPU stages each block through shared memory (SMEM, ~227 KiB on an H100), so whole rows do not fit
for long rows: the columns are tiled too. Pass 1 (kernel ``two_pass_softmax_pass1``, grid rows x column
blocks, all parallel) writes one (mantissa, exponent) pair per row and column block; the pairs are merged
by XLA (``C / block_cols`` numbers per row, 1/``block_cols`` of the input); pass 2 (kernel
``two_pass_softmax_pass2``) reads the input a second time and writes ``(m_i / m) 2**(n_i - n)``. The input
is read twice and the output written once, the paper's two passes.

Mosaic GPU specifics: values live in the warpgroup-MMA register layout (``Layout.WGMMA``, rows in tiles
of 64, so ``block_rows`` is a multiple of 64 and per-row vectors take ``Layout.WGMMA.reduce(1)``; row
vectors broadcast with ``lax.broadcast_in_dim``); there is no ``floor`` lowering, so n = round(x / ln 2)
uses the float "magic number" 1.5 * 2**23 (exact round-to-nearest-even for |x / ln 2| < 2**22, XNNPACK's
trick); the f32 loads from unswizzled SMEM use ``optimized=False`` (bank conflicts allowed). In interpret
mode (CPU tests) the refs are read with plain indexing: Pallas's HLO interpreter has no rule for
``plgpu.load`` and Mosaic GPU's own interpreter takes only whole-array blocks.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax.experimental import pallas as pl
from jax.experimental.pallas import mosaic_gpu as plgpu

from lbrl.kernels.twopass import reference as ref

MAGIC = 12582912.0   # 1.5 * 2**23: (v + MAGIC) - MAGIC rounds v to the nearest integer (|v| < 2**22)


def _load(r, layout, interpret: bool):
  return r[...] if interpret else plgpu.load(r, (), layout=layout, optimized=False)


def _bcast(v, shape):
  return jax.lax.broadcast_in_dim(v, shape, (0,))


def split(x):
  """exp(x) = m 2**n elementwise (as :func:`lbrl.kernels.twopass.reference._split`, rounding by MAGIC)."""
  finite = x > -jnp.inf
  xs = jnp.where(finite, x, 0.0)
  n = (xs * ref.LOG2E + MAGIC) - MAGIC
  m = jnp.exp((xs - n * ref.LN2_HI) - n * ref.LN2_LO)
  return jnp.where(finite, m, 0.0), jnp.where(finite, n, ref.NEG_BIG)


def _pass1_kernel(x_ref, m_ref, n_ref, *, interpret):
  mi, ni = split(_load(x_ref, plgpu.Layout.WGMMA, interpret).astype(jnp.float32))
  nb = jnp.max(ni, axis=1)
  m_ref[...] = jnp.sum(mi * jnp.exp2(ni - _bcast(nb, ni.shape)), axis=1)
  n_ref[...] = nb


def _pass2_kernel(x_ref, m_ref, n_ref, y_ref, *, interpret):
  mi, ni = split(_load(x_ref, plgpu.Layout.WGMMA, interpret).astype(jnp.float32))
  row = plgpu.Layout.WGMMA.reduce(1)
  m, n = _load(m_ref, row, interpret), _load(n_ref, row, interpret)
  y_ref[...] = ((mi / _bcast(m, mi.shape)) * jnp.exp2(ni - _bcast(n, ni.shape))).astype(y_ref.dtype)


@functools.partial(jax.jit, static_argnames=("block_rows", "block_cols", "interpret"))
def softmax_2d(x, *, block_rows: int = 128, block_cols: int = 64, interpret: bool = False):
  """(y, m, n): row softmax of ``x[R, C]`` and its pass-1 pair (sum_j exp x_ij = m 2**n); R a multiple of
  ``block_rows`` (a multiple of 128: per-row SMEM vectors hold 128 floats at least), C of ``block_cols``."""
  r, c = x.shape
  if block_rows % 128 or r % block_rows or c % block_cols:
    raise ValueError(f"two_pass_softmax (Mosaic GPU): block_rows must be a multiple of 128 dividing R and "
                     f"block_cols must divide C, got x {x.shape}, blocks ({block_rows}, {block_cols})")
  grid = (r // block_rows, c // block_cols)
  xs = pl.BlockSpec((block_rows, block_cols), lambda i, j: (i, j))
  part = pl.BlockSpec((None, block_rows), lambda i, j: (j, i))
  parts = jax.ShapeDtypeStruct((grid[1], r), jnp.float32)
  params = plgpu.CompilerParams(dimension_semantics=("parallel", "parallel"))
  mp, np_ = pl.pallas_call(functools.partial(_pass1_kernel, interpret=interpret), grid=grid, in_specs=[xs],
                           out_specs=[part, part], out_shape=[parts, parts], compiler_params=params,
                           interpret=interpret, name="two_pass_softmax_pass1")(x)
  n = jnp.max(np_, axis=0)                               # merge the column blocks' pairs (extended range)
  m = jnp.sum(mp * jnp.exp2(np_ - n), axis=0)
  row = pl.BlockSpec((block_rows,), lambda i, j: (i,))
  y = pl.pallas_call(functools.partial(_pass2_kernel, interpret=interpret), grid=grid, in_specs=[xs, row, row],
                     out_specs=xs, out_shape=jax.ShapeDtypeStruct(x.shape, x.dtype), compiler_params=params,
                     interpret=interpret, name="two_pass_softmax_pass2")(x, m, n)
  return y, m, n
