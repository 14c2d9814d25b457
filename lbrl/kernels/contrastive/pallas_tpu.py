"""Tiled contrastive losses as Pallas TPU (Mosaic) kernels (one device; the ring uses the reference).

rows:  grid (row blocks "parallel", column blocks "arbitrary"); each step forms the [br, bc] logit tile
       t a_i . b_j + bias in VMEM and merges it into its rows' state: the two-pass (max, sum-exp) pair
       (clip) or the sum of softplus (siglip). For clip the column statistics are the same kernel on
       the swapped pair (y, x).
grads: grid (row blocks, column blocks); recomputes each tile, forms dl (``tile_dlogits``) and
       accumulates t dl @ b_tile into d_rows[br, D] in VMEM, plus the tile sums of dl * s and dl
       (for dt, db). The column gradient is the same kernel on the transposed problem.
The scalars (t, bias) live in SMEM. Inputs are padded by the caller; ``n_rows``/``n_cols`` mask the pad.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax.experimental import pallas as pl
from jax.experimental.pallas import tpu as pltpu

from lbrl.kernels.contrastive import reference as ref
from lbrl.kernels.twopass import reference as tp


def _mask(i, j, br, bc, n_rows, n_cols):
  r = i * br + jax.lax.broadcasted_iota(jnp.int32, (br, bc), 0)
  c = j * bc + jax.lax.broadcasted_iota(jnp.int32, (br, bc), 1)
  return (r < n_rows) & (c < n_cols)


def _tile(tb_ref, a_ref, b_ref):
  s = jax.lax.dot_general(a_ref[...], b_ref[...], (((1,), (1,)), ((), ())), preferred_element_type=jnp.float32)
  return s, tb_ref[0] * s + tb_ref[1]


def _rows_kernel(tb_ref, a_ref, b_ref, out_ref, mx, se, *, kind, n_rows, n_cols):
  i, j = pl.program_id(0), pl.program_id(1)

  @pl.when(j == 0)
  def _():
    mx[...] = jnp.full(mx.shape, tp.NEG_BIG, jnp.float32)
    se[...] = jnp.zeros(se.shape, jnp.float32)

  _, l = _tile(tb_ref, a_ref, b_ref)
  ok = _mask(i, j, *l.shape, n_rows, n_cols)
  if kind == "clip":
    blk = tp.lse_block(l, axis=1, where=ok)
    st = tp.lse_combine(tp.LSEState(mx[...], se[...]), tp.LSEState(blk.max[:, None], blk.sumexp[:, None]))
    mx[...], se[...] = st.max, st.sumexp
  else:
    se[...] += jnp.sum(jnp.where(ok, jax.nn.softplus(l), 0.0), axis=1, keepdims=True)

  @pl.when(j == pl.num_programs(1) - 1)
  def _():
    out_ref[...] = tp.lse_finalize(tp.LSEState(mx[...], se[...])) if kind == "clip" else se[...]


def _grads_kernel(tb_ref, a_ref, b_ref, lr_ref, gr_ref, lc_ref, gc_ref, da_ref, dts_ref, dbs_ref, acc, dts, dbs,
                  *, kind, n_rows, n_cols, g_on_rows):
  i, j = pl.program_id(0), pl.program_id(1)

  @pl.when(j == 0)
  def _():
    acc[...] = jnp.zeros(acc.shape, jnp.float32)
    dts[...] = jnp.zeros(dts.shape, jnp.float32)
    dbs[...] = jnp.zeros(dbs.shape, jnp.float32)

  s, l = _tile(tb_ref, a_ref, b_ref)
  dl = ref.tile_dlogits(l, kind, lr_ref[...], gr_ref[...], lc_ref[...], gc_ref[...], g_on_rows)
  dl = jnp.where(_mask(i, j, *l.shape, n_rows, n_cols), dl, 0.0)
  acc[...] += tb_ref[0] * jnp.dot(dl.astype(b_ref.dtype), b_ref[...], preferred_element_type=jnp.float32)
  dts[...] += jnp.sum(dl * s, axis=1, keepdims=True)
  dbs[...] += jnp.sum(dl, axis=1, keepdims=True)

  @pl.when(j == pl.num_programs(1) - 1)
  def _():
    da_ref[...] = acc[...]
    dts_ref[...] = dts[...]
    dbs_ref[...] = dbs[...]


def _specs(br, bc, d):
  smem = pl.BlockSpec(memory_space=pltpu.SMEM)
  rows = pl.BlockSpec((br, d), lambda i, j: (i, 0))
  cols = pl.BlockSpec((bc, d), lambda i, j: (j, 0))
  rstat = pl.BlockSpec((br, 1), lambda i, j: (i, 0))
  cstat = pl.BlockSpec((1, bc), lambda i, j: (0, j))
  return smem, rows, cols, rstat, cstat


_PARAMS = pltpu.CompilerParams(dimension_semantics=("parallel", "arbitrary"))


@functools.partial(jax.jit, static_argnames=("kind", "n_rows", "n_cols", "br", "bc", "interpret"))
def rows(tb, a, b, *, kind, n_rows, n_cols, br=256, bc=512, interpret=False):
  """Per-row statistic [R, 1] of the logits t a b^T + bias: log-sum-exp (clip) or sum softplus (siglip)."""
  smem, rspec, cspec, rstat, _ = _specs(br, bc, a.shape[1])
  return pl.pallas_call(
      functools.partial(_rows_kernel, kind=kind, n_rows=n_rows, n_cols=n_cols),
      grid=(a.shape[0] // br, b.shape[0] // bc), in_specs=[smem, rspec, cspec], out_specs=rstat,
      out_shape=jax.ShapeDtypeStruct((a.shape[0], 1), jnp.float32),
      scratch_shapes=[pltpu.VMEM((br, 1), jnp.float32)] * 2, compiler_params=_PARAMS,
      interpret=interpret, name=f"{kind}_rows")(tb, a, b)


@functools.partial(jax.jit, static_argnames=("kind", "n_rows", "n_cols", "g_on_rows", "br", "bc", "interpret"))
def grads(tb, a, b, lse_r, g_r, lse_c, g_c, *, kind, n_rows, n_cols, g_on_rows=True, br=256, bc=512,
          interpret=False):
  """(t dl @ b [R, D], per-row sums of dl * s and of dl [R, 1]); row stats [R, 1], column stats [1, C]."""
  smem, rspec, cspec, rstat, cstat = _specs(br, bc, a.shape[1])
  r, d = a.shape
  f32 = lambda *s: jax.ShapeDtypeStruct(s, jnp.float32)
  return pl.pallas_call(
      functools.partial(_grads_kernel, kind=kind, n_rows=n_rows, n_cols=n_cols, g_on_rows=g_on_rows),
      grid=(r // br, b.shape[0] // bc), in_specs=[smem, rspec, cspec, rstat, rstat, cstat, cstat],
      out_specs=[pl.BlockSpec((br, d), lambda i, j: (i, 0)), rstat, rstat],
      out_shape=[f32(r, d), f32(r, 1), f32(r, 1)],
      scratch_shapes=[pltpu.VMEM((br, d), jnp.float32), pltpu.VMEM((br, 1), jnp.float32),
                      pltpu.VMEM((br, 1), jnp.float32)],
      compiler_params=_PARAMS, interpret=interpret, name=f"{kind}_grads")(tb, a, b, lse_r, g_r, lse_c, g_c)
