"""Tiled contrastive losses as Pallas GPU kernels (Triton lowering; one device).

Same decomposition as :mod:`lbrl.kernels.contrastive.pallas_tpu`: one program per block of rows loops
over column tiles, (rows) merging the tile into the rows' log-sum-exp pair (clip) or softplus sum
(siglip), (grads) accumulating t dl @ b_tile and the per-row sums of dl * s and dl in registers. The
column side is the same kernel on the swapped pair. Power-of-two blocks; the caller pads.

Triton stays the default GPU path for the reason given in :mod:`lbrl.kernels.fused_ce.pallas_gpu` (no
``dot_general`` lowering on Mosaic GPU; wgmma has no interpreter; whole-D tiles outgrow shared memory); the
Mosaic GPU port with D tiled is :mod:`lbrl.kernels.contrastive.pallas_mgpu` (opt-in ``impl="pallas_mgpu"``).
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax.experimental import pallas as pl
from jax.experimental.pallas import triton as pltr

from lbrl.kernels.contrastive import reference as ref
from lbrl.kernels.twopass import reference as tp


def _tile(tb_ref, a, bt):
  s = jax.lax.dot_general(a, bt, (((1,), (1,)), ((), ())), preferred_element_type=jnp.float32)
  return s, tb_ref[0] * s + tb_ref[1]


def _mask(i, j, br, bc, n_rows, n_cols):
  r = i * br + jnp.arange(br, dtype=jnp.int32)[:, None]
  c = j * bc + jnp.arange(bc, dtype=jnp.int32)[None, :]
  return (r < n_rows) & (c < n_cols)


def _rows_kernel(tb_ref, a_ref, b_ref, out_ref, *, kind, n_rows, n_cols, bc):
  a = a_ref[...]
  i, br = pl.program_id(0), a.shape[0]

  def body(j, st):
    _, l = _tile(tb_ref, a, b_ref[pl.ds(j * bc, bc), :])
    ok = _mask(i, j, br, bc, n_rows, n_cols)
    if kind == "clip":
      return tp.lse_combine(st, tp.lse_block(l, axis=1, where=ok))
    return tp.LSEState(st.max, st.sumexp + jnp.sum(jnp.where(ok, jax.nn.softplus(l), 0.0), axis=1))

  init = tp.LSEState(jnp.full((br,), tp.NEG_BIG, jnp.float32), jnp.zeros((br,), jnp.float32))
  st = jax.lax.fori_loop(0, b_ref.shape[0] // bc, body, init)
  out_ref[...] = tp.lse_finalize(st) if kind == "clip" else st.sumexp


def _grads_kernel(tb_ref, a_ref, b_ref, lr_ref, gr_ref, lc_ref, gc_ref, da_ref, dts_ref, dbs_ref,
                  *, kind, n_rows, n_cols, g_on_rows, bc):
  a, lr, gr = a_ref[...], lr_ref[...][:, None], gr_ref[...][:, None]
  i, br = pl.program_id(0), a.shape[0]

  def body(j, carry):
    acc, dts, dbs = carry
    cols = pl.ds(j * bc, bc)
    bt = b_ref[cols, :]
    s, l = _tile(tb_ref, a, bt)
    dl = ref.tile_dlogits(l, kind, lr, gr, lc_ref[cols][None, :], gc_ref[cols][None, :], g_on_rows)
    dl = jnp.where(_mask(i, j, br, bc, n_rows, n_cols), dl, 0.0)
    acc = acc + tb_ref[0] * jnp.dot(dl.astype(bt.dtype), bt, preferred_element_type=jnp.float32)
    return acc, dts + jnp.sum(dl * s, axis=1), dbs + jnp.sum(dl, axis=1)

  init = (jnp.zeros(a.shape, jnp.float32), jnp.zeros((br,), jnp.float32), jnp.zeros((br,), jnp.float32))
  acc, dts, dbs = jax.lax.fori_loop(0, b_ref.shape[0] // bc, body, init)
  da_ref[...] = acc
  dts_ref[...] = dts
  dbs_ref[...] = dbs


def _call(kernel, a, ins, out_shape, br, name, interpret):
  full = lambda x: pl.BlockSpec(x.shape, lambda i: (0,) * x.ndim)
  rows = lambda x: pl.BlockSpec((br,) + x.shape[1:], lambda i: (i,) + (0,) * (x.ndim - 1))
  in_specs = [rows(x) if kind == "rows" else full(x) for kind, x in ins]
  return pl.pallas_call(kernel, grid=(a.shape[0] // br,), in_specs=in_specs,
                        out_specs=[rows(o) for o in out_shape] if isinstance(out_shape, list) else rows(out_shape),
                        out_shape=out_shape, compiler_params=pltr.CompilerParams(num_warps=4, num_stages=2),
                        interpret=interpret, name=name)(*[x for _, x in ins])


@functools.partial(jax.jit, static_argnames=("kind", "n_rows", "n_cols", "br", "bc", "interpret"))
def rows(tb, a, b, *, kind, n_rows, n_cols, br=64, bc=64, interpret=False):
  """Per-row statistic [R] (log-sum-exp for clip, sum softplus for siglip)."""
  kern = functools.partial(_rows_kernel, kind=kind, n_rows=n_rows, n_cols=n_cols, bc=bc)
  return _call(kern, a, [("full", tb), ("rows", a), ("full", b)],
               jax.ShapeDtypeStruct((a.shape[0],), jnp.float32), br, f"{kind}_rows", interpret)


@functools.partial(jax.jit, static_argnames=("kind", "n_rows", "n_cols", "g_on_rows", "br", "bc", "interpret"))
def grads(tb, a, b, lse_r, g_r, lse_c, g_c, *, kind, n_rows, n_cols, g_on_rows=True, br=64, bc=64,
          interpret=False):
  """(t dl @ b [R, D], per-row sums of dl * s and dl [R]); all stats are vectors."""
  kern = functools.partial(_grads_kernel, kind=kind, n_rows=n_rows, n_cols=n_cols, g_on_rows=g_on_rows, bc=bc)
  r, d = a.shape
  f32 = lambda *s: jax.ShapeDtypeStruct(s, jnp.float32)
  return _call(kern, a, [("full", tb), ("rows", a), ("full", b), ("rows", lse_r), ("rows", g_r),
                         ("full", lse_c), ("full", g_c)], [f32(r, d), f32(r), f32(r)], br,
               f"{kind}_grads", interpret)
