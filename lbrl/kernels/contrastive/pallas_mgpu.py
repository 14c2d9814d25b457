"""Tiled contrastive losses on Mosaic GPU (``jax.experimental.pallas.mosaic_gpu``, Hopper warpgroup MMA), the
embedding dimension D tiled: no B x B similarity matrix in global memory and no D-wide operand tile.

The same maths as :mod:`lbrl.kernels.contrastive.pallas_gpu` (Triton), rearranged for Mosaic GPU as the fused
cross-entropy kernels of :mod:`lbrl.kernels.fused_ce.pallas_mgpu` are (why: no ``dot_general`` lowering on
jax 0.10.2, so matmuls are ``wgmma`` on swizzled SMEM tiles; whole-D tiles outgrow SMEM). Grid (row blocks) x
(column blocks), all parallel, tiles of 128 rows x 128 columns x 64 columns of D:
  rows  (kernel ``<kind>_rows_mgpu``): s = a_i b_j^T over D tiles (``emit_pipeline`` + ``wgmma``), l = t s + b
    masked to the real rows and columns; per row and column block the (max, sum exp) pair (clip) or the sum of
    softplus(l) (siglip), written as [C / 128, R] partials that XLA merges.
  grads (kernel ``<kind>_grads_mgpu``): l again, dl = :func:`lbrl.kernels.contrastive.reference.tile_dlogits`
    (shared maths, full-tile operands), the per-row sums of dl * s and dl as partials, and da_i += t dl b_j,
    D tile by D tile (dl cast to the inputs' 16-bit type in SMEM, ``wgmma``, float32 TMA reduce-add into a
    [R, D] accumulator in global memory).
The column side of each loss is the same kernels on the swapped pair (:mod:`lbrl.kernels.contrastive.pallas`).
Operands must be bfloat16 or float16 (wgmma); the caller pads R, C to 128 and D to 64.

Status: opt-in (``impl="pallas_mgpu"``); no interpreter runs ``wgmma`` on CPU, so the CPU tests check that the
kernels lower for ``cuda`` (``jax.export``) and the numerics are checked only on a GPU.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax.experimental import pallas as pl
from jax.experimental.pallas import mosaic_gpu as plgpu

from lbrl.kernels.contrastive import reference as ref
from lbrl.kernels.fused_ce.pallas_mgpu import BD, _transforms
from lbrl.kernels.twopass import reference as tp

BR = BC = 128
WG = plgpu.Layout.WGMMA


def _vec(r, axis: int, shape=(BR, BC)):
  """A per-row (axis 0) or per-column (axis 1) vector ref [128], broadcast to ``shape`` (default the tile)."""
  v = plgpu.load(r, (), layout=WG.reduce(1 - axis), optimized=False)
  return jax.lax.broadcast_in_dim(v, shape, (axis,))


def _similarities(a_rows, b_rows):
  """s [BR, BC] float32 = a_rows @ b_rows^T, D streamed in BD-column tiles."""
  ts = plgpu.BlockSpec((BR, BD), lambda k: (0, k), transforms=_transforms(a_rows.dtype, BD))

  def body(_, a_smem, b_smem, acc):
    def mma(acc_ref):
      plgpu.wgmma(acc_ref, a_smem, plgpu.transpose_ref(b_smem, (1, 0)))
    return pl.run_state(mma)(plgpu.ACC.init(acc))

  acc0 = plgpu.layout_cast(jnp.zeros((BR, BC), jnp.float32), WG)
  return plgpu.emit_pipeline(body, grid=(a_rows.shape[1] // BD,), in_specs=[ts, ts], max_concurrent_steps=2,
                             init_carry=acc0)(a_rows, b_rows)


def _tile(a_ref, b_ref, t_ref, bias_ref, n_rows, n_cols):
  """(s, l = t s + b, mask of the real entries) for this program's tile."""
  i, j = pl.program_id(0), pl.program_id(1)
  s = _similarities(a_ref.at[pl.ds(i * BR, BR)], b_ref.at[pl.ds(j * BC, BC)])
  r = i * BR + plgpu.broadcasted_iota(jnp.int32, (BR, BC), 0, layout=WG)
  c = j * BC + plgpu.broadcasted_iota(jnp.int32, (BR, BC), 1, layout=WG)
  return s, _vec(t_ref, 0) * s + _vec(bias_ref, 0), (r < n_rows) & (c < n_cols)


def _rows_kernel(t_ref, bias_ref, a_ref, b_ref, *out_refs, kind, n_rows, n_cols):
  _, l, ok = _tile(a_ref, b_ref, t_ref, bias_ref, n_rows, n_cols)
  if kind == "clip":
    l = jnp.where(ok, l, tp.NEG_BIG)
    mb = jnp.max(l, axis=1)
    m_ref, s_ref = out_refs
    m_ref[...] = mb
    s_ref[...] = jnp.sum(jnp.where(ok, jnp.exp(l - jax.lax.broadcast_in_dim(mb, l.shape, (0,))), 0.0), axis=1)
  else:   # softplus(l) = max(l, 0) + log(1 + exp(-|l|))
    sp = jnp.maximum(l, 0.0) + jnp.log(1.0 + jnp.exp(-jnp.abs(l)))
    (s_ref,) = out_refs
    s_ref[...] = jnp.sum(jnp.where(ok, sp, 0.0), axis=1)


def _grads_kernel(t_ref, bias_ref, a_ref, b_ref, lr_ref, gr_ref, lc_ref, gc_ref, _da_in, da_ref, dts_ref, dbs_ref,
                  *, kind, n_rows, n_cols, g_on_rows):
  s, l, ok = _tile(a_ref, b_ref, t_ref, bias_ref, n_rows, n_cols)
  if kind == "clip":
    dl = ref.tile_dlogits(l, kind, _vec(lr_ref, 0), _vec(gr_ref, 0), _vec(lc_ref, 1), _vec(gc_ref, 1))
  else:       # tile_dlogits' sigmoid, written as 1 / (1 + exp(-l)) for Mosaic GPU
    dl = (_vec(gr_ref, 0) if g_on_rows else _vec(gc_ref, 1)) / (1.0 + jnp.exp(-l))
  dl = jnp.where(ok, dl, 0.0)
  dts_ref[...] = jnp.sum(dl * s, axis=1)
  dbs_ref[...] = jnp.sum(dl, axis=1)
  i, j = pl.program_id(0), pl.program_id(1)
  t = _vec(t_ref, 0, (BR, BD))
  dtype = a_ref.dtype

  def scoped(dl_smem, da_smem):
    dl_smem[...] = dl.astype(dtype)
    plgpu.commit_smem()
    bs = plgpu.BlockSpec((BC, BD), lambda k: (0, k), transforms=_transforms(dtype, BD))

    def body(idx, b_smem):
      (k,) = idx

      def mma(acc_ref):
        plgpu.wgmma(acc_ref, dl_smem, b_smem)                  # [BR, BC] @ [BC, BD]
      da = pl.run_state(mma)(plgpu.ACC.init(plgpu.layout_cast(jnp.zeros((BR, BD), jnp.float32), WG)))
      plgpu.wait_smem_to_gmem(0, wait_read_only=True)
      da_smem[...] = t * da
      plgpu.commit_smem()
      plgpu.copy_smem_to_gmem(da_smem, da_ref.at[pl.ds(i * BR, BR), pl.ds(k * BD, BD)], reduction_op="add")

    plgpu.emit_pipeline(body, grid=(a_ref.shape[1] // BD,), in_specs=[bs], max_concurrent_steps=2)(
        b_ref.at[pl.ds(j * BC, BC)])
    plgpu.wait_smem_to_gmem(0)

  pl.run_scoped(scoped, plgpu.SMEM((BR, BC), dtype, transforms=_transforms(dtype, BC)),
                plgpu.SMEM((BR, BD), jnp.float32, transforms=_transforms(jnp.float32, BD)))


def _check(a, b):
  if a.dtype not in (jnp.bfloat16, jnp.float16) or b.dtype != a.dtype:
    raise ValueError(f"contrastive loss (Mosaic GPU): x and y must both be bfloat16 or both float16 (wgmma), "
                     f"got {a.dtype} and {b.dtype}")
  if a.shape[0] % BR or b.shape[0] % BC or a.shape[1] % BD:
    raise ValueError(f"contrastive loss (Mosaic GPU): padded batch must be a multiple of {BR} and D of {BD}, "
                     f"got {a.shape}, {b.shape}")


_GMEM = pl.BlockSpec(memory_space=plgpu.GMEM)
_ROW = pl.BlockSpec((BR,), lambda i, j: (i,))
_COL = pl.BlockSpec((BC,), lambda i, j: (j,))
_SCALAR = pl.BlockSpec((BR,), lambda i, j: (0,))
_PART = pl.BlockSpec((None, BR), lambda i, j: (j, i))
_PARAMS = plgpu.CompilerParams(dimension_semantics=("parallel", "parallel"))


def _scalars(tb):
  return jnp.full((BR,), tb[0], jnp.float32), jnp.full((BR,), tb[1], jnp.float32)


@functools.partial(jax.jit, static_argnames=("kind", "n_rows", "n_cols", "br", "bc", "interpret"))
def rows(tb, a, b, *, kind, n_rows, n_cols, br=BR, bc=BC, interpret=False):
  """Per-row statistic [R] (log-sum-exp for clip, sum softplus for siglip); ``tb`` = (t, b)."""
  del br, bc, interpret
  _check(a, b)
  r, nc = a.shape[0], b.shape[0] // BC
  parts = jax.ShapeDtypeStruct((nc, r), jnp.float32)
  kern = functools.partial(_rows_kernel, kind=kind, n_rows=n_rows, n_cols=n_cols)
  nout = 2 if kind == "clip" else 1
  out = pl.pallas_call(kern, grid=(r // BR, nc), in_specs=[_SCALAR, _SCALAR, _GMEM, _GMEM], out_specs=[_PART] * nout,
                       out_shape=[parts] * nout, compiler_params=_PARAMS, name=f"{kind}_rows_mgpu")(*_scalars(tb), a, b)
  if kind != "clip":
    return jnp.sum(out[0], axis=0)
  mp, sp = out
  mx = jnp.max(mp, axis=0)
  return tp.lse_finalize(tp.LSEState(mx, jnp.sum(sp * jnp.exp(mp - mx), axis=0)))


@functools.partial(jax.jit, static_argnames=("kind", "n_rows", "n_cols", "g_on_rows", "br", "bc", "interpret"))
def grads(tb, a, b, lse_r, g_r, lse_c, g_c, *, kind, n_rows, n_cols, g_on_rows=True, br=BR, bc=BC, interpret=False):
  """(t dl @ b [R, D] float32, per-row sums of dl * s and dl [R]); the statistics are [R] / [C] vectors."""
  del br, bc, interpret
  _check(a, b)
  r, nc = a.shape[0], b.shape[0] // BC
  parts = jax.ShapeDtypeStruct((nc, r), jnp.float32)
  kern = functools.partial(_grads_kernel, kind=kind, n_rows=n_rows, n_cols=n_cols, g_on_rows=g_on_rows)
  f32 = lambda x: x.astype(jnp.float32)
  da, dts, dbs = pl.pallas_call(
      kern, grid=(r // BR, nc), in_specs=[_SCALAR, _SCALAR, _GMEM, _GMEM, _ROW, _ROW, _COL, _COL, _GMEM],
      out_specs=[_GMEM, _PART, _PART], out_shape=[jax.ShapeDtypeStruct(a.shape, jnp.float32), parts, parts],
      input_output_aliases={8: 0}, compiler_params=_PARAMS, name=f"{kind}_grads_mgpu")(
          *_scalars(tb), a, b, f32(lse_r), f32(g_r), f32(lse_c), f32(g_c), jnp.zeros(a.shape, jnp.float32))
  return da, jnp.sum(dts, axis=0), jnp.sum(dbs, axis=0)
