"""Fused linear cross-entropy as Pallas TPU (Mosaic) kernels.

forward:  grid (token blocks "parallel", vocabulary blocks "arbitrary"); each step loads h[bn, D] and
          w[bv, D] into VMEM, forms the [bn, bv] logits on the MXU and merges them into the running
          (max, sum-exp) pair of its rows (the two-pass state); the last step writes lse (and sum z for
          label smoothing). Logits never leave VMEM.
backward: two kernels recompute the logit tiles. dh: grid (token blocks, vocabulary blocks), dh[bn, D]
          accumulates dz @ w_block in VMEM. dw: grid (vocabulary blocks, token blocks), dw[bv, D]
          accumulates dz.T @ h_block. With ``filter_eps`` a tile whose |dz| are all below eps and that
          holds no label skips its matmul (``pl.when``).
Inputs are padded by the caller: N to a multiple of bn, V to a multiple of bv; D is one block.
The maths (``block_logits``, ``block_dlogits``) is shared with the reference.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax.experimental import pallas as pl
from jax.experimental.pallas import tpu as pltpu

from lbrl.kernels.fused_ce import reference as ref
from lbrl.kernels.twopass import reference as tp


def _cols(j, bv):
  return j * bv + jax.lax.broadcasted_iota(jnp.int32, (1, bv), 1)


def _fwd_kernel(h_ref, w_ref, lse_ref, zsum_ref, mx, se, zs, *, hy: ref.Hyper):
  j = pl.program_id(1)

  @pl.when(j == 0)
  def _():
    mx[...] = jnp.full(mx.shape, tp.NEG_BIG, jnp.float32)
    se[...] = jnp.zeros(se.shape, jnp.float32)
    zs[...] = jnp.zeros(zs.shape, jnp.float32)

  z = ref.block_logits(h_ref[...], w_ref[...], hy.softcap)
  ok = _cols(j, w_ref.shape[0]) < hy.vocab
  blk = tp.lse_block(z, axis=1, where=ok)
  st = tp.lse_combine(tp.LSEState(mx[...], se[...]), tp.LSEState(blk.max[:, None], blk.sumexp[:, None]))
  mx[...] = st.max
  se[...] = st.sumexp
  if hy.label_smoothing:
    zs[...] += jnp.sum(jnp.where(ok, z, 0.0), axis=1, keepdims=True)

  @pl.when(j == pl.num_programs(1) - 1)
  def _():
    lse_ref[...] = tp.lse_finalize(tp.LSEState(mx[...], se[...]))
    zsum_ref[...] = zs[...]


def _dz_tile(h_ref, w_ref, lab_ref, lse_ref, g_ref, j, hy):
  z = ref.block_logits(h_ref[...], w_ref[...], hy.softcap)
  cols = _cols(j, w_ref.shape[0])
  dz = ref.block_dlogits(z, cols, lab_ref[...], lse_ref[...], g_ref[...], hy)
  if hy.filter_eps is None or hy.label_smoothing:
    return dz, None
  return dz, tile_needed(dz, lab_ref[...], j, w_ref.shape[0], hy.filter_eps)


def tile_needed(dz, labels, j, bv, eps):
  """The gradient filter: a tile is computed if some |dz| >= eps or a label falls in it."""
  has_label = jnp.max(jnp.where((labels >= j * bv) & (labels < (j + 1) * bv), 1, 0)) > 0
  return (jnp.max(jnp.abs(dz)) >= eps) | has_label


def _run_if(needed, fn):
  if needed is None:
    fn()
  else:
    pl.when(needed)(fn)


def _dh_kernel(h_ref, w_ref, lab_ref, lse_ref, g_ref, dh_ref, acc, *, hy: ref.Hyper):
  j = pl.program_id(1)

  @pl.when(j == 0)
  def _():
    acc[...] = jnp.zeros(acc.shape, jnp.float32)

  dz, needed = _dz_tile(h_ref, w_ref, lab_ref, lse_ref, g_ref, j, hy)

  def update():
    acc[...] += jnp.dot(dz.astype(w_ref.dtype), w_ref[...], preferred_element_type=jnp.float32)

  _run_if(needed, update)

  @pl.when(j == pl.num_programs(1) - 1)
  def _():
    dh_ref[...] = acc[...].astype(dh_ref.dtype)


def _dw_kernel(h_ref, w_ref, lab_ref, lse_ref, g_ref, dw_ref, acc, *, hy: ref.Hyper):
  i, j = pl.program_id(1), pl.program_id(0)

  @pl.when(i == 0)
  def _():
    acc[...] = jnp.zeros(acc.shape, jnp.float32)

  dz, needed = _dz_tile(h_ref, w_ref, lab_ref, lse_ref, g_ref, j, hy)

  def update():
    acc[...] += jax.lax.dot_general(dz.astype(h_ref.dtype), h_ref[...], (((0,), (0,)), ((), ())),
                                    preferred_element_type=jnp.float32)

  _run_if(needed, update)

  @pl.when(i == pl.num_programs(1) - 1)
  def _():
    dw_ref[...] = acc[...].astype(dw_ref.dtype)


def _params(*sem):
  return pltpu.CompilerParams(dimension_semantics=sem)


@functools.partial(jax.jit, static_argnames=("hy", "bn", "interpret"))
def forward(h, w, hy: ref.Hyper, bn: int = 256, interpret: bool = False):
  """(lse[N, 1], sum_j z[N, 1]) for padded h[N, D], w[V, D] (bv = hy.block)."""
  n, d = h.shape
  bv = hy.block
  row = pl.BlockSpec((bn, 1), lambda i, j: (i, 0))
  stat = jax.ShapeDtypeStruct((n, 1), jnp.float32)
  return pl.pallas_call(
      functools.partial(_fwd_kernel, hy=hy), grid=(n // bn, w.shape[0] // bv),
      in_specs=[pl.BlockSpec((bn, d), lambda i, j: (i, 0)), pl.BlockSpec((bv, d), lambda i, j: (j, 0))],
      out_specs=[row, row], out_shape=[stat, stat],
      scratch_shapes=[pltpu.VMEM((bn, 1), jnp.float32)] * 3,
      compiler_params=_params("parallel", "arbitrary"), interpret=interpret, name="cce_forward")(h, w)


@functools.partial(jax.jit, static_argnames=("hy", "bn", "interpret"))
def backward(h, w, labels, lse, g, hy: ref.Hyper, bn: int = 256, interpret: bool = False):
  """(dh[N, D], dw[V, D]) for padded inputs; labels, lse, g are [N, 1]."""
  n, d = h.shape
  v, bv = w.shape[0], hy.block
  # token-major grid (i, j) for dh, vocabulary-major grid (j, i) for dw
  specs = lambda order: [
      pl.BlockSpec((bn, d), lambda a, b: (order(a, b)[0], 0)),
      pl.BlockSpec((bv, d), lambda a, b: (order(a, b)[1], 0))] + [
      pl.BlockSpec((bn, 1), lambda a, b: (order(a, b)[0], 0))] * 3

  def call(kernel, grid, order, like, rows, name):
    """One gradient kernel: output ``like`` accumulated in a [rows, D] VMEM tile over the inner grid axis."""
    return pl.pallas_call(
        functools.partial(kernel, hy=hy), grid=grid, in_specs=specs(order),
        out_specs=pl.BlockSpec((rows, d), lambda a, b: (a, 0)), out_shape=jax.ShapeDtypeStruct(like.shape, like.dtype),
        scratch_shapes=[pltpu.VMEM((rows, d), jnp.float32)],
        compiler_params=_params("parallel", "arbitrary"), interpret=interpret, name=name,
    )(h, w, labels, lse, g)

  dh = call(_dh_kernel, (n // bn, v // bv), lambda a, b: (a, b), h, bn, "cce_backward_dh")
  dw = call(_dw_kernel, (v // bv, n // bn), lambda a, b: (b, a), w, bv, "cce_backward_dw")
  return dh, dw
