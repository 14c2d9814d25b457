"""Fused linear cross-entropy on Mosaic GPU (``jax.experimental.pallas.mosaic_gpu``, Hopper warpgroup MMA),
with the hidden dimension D tiled: the N x V logits never reach global memory and no operand tile is D wide.

Why a redesign and not a translation of :mod:`lbrl.kernels.fused_ce.pallas_gpu` (Triton), checked on
jax 0.10.2: Mosaic GPU lowers no ``dot_general`` under either lowering semantics ("Unimplemented primitive
in Pallas Mosaic GPU lowering: dot_general for lowering semantics LoweringSemantics.Lane" and the same for
``LoweringSemantics.Warpgroup``), so every matmul is a ``plgpu.wgmma`` on 128-byte-swizzled shared-memory
(SMEM) tiles; and the Triton kernels' whole-D tiles (64 tokens and 128 rows x D, double-buffered) outgrow an
H100's ~227 KiB of SMEM past D ~ 300 in bf16. Here every tile is 64 columns of D (one swizzle row of bf16).

Grid (N / 128 token blocks) x (V / 128 vocabulary blocks), every program independent ("parallel"):
  forward  (kernel ``cce_forward_mgpu``): z = softcap(h_i w_j^T) accumulated over D tiles streamed through
    SMEM by ``emit_pipeline`` (wgmma into a float32 accumulator), then this block's (max, sum exp) pair per
    token (and sum z for label smoothing), written as [V / 128, N] partials that XLA merges (1/128 of the
    logits' size): lse = m + log sum_j s_j exp(m_j - m), the two-pass merge of
    :mod:`lbrl.kernels.twopass`.
  backward (kernel ``cce_backward_mgpu``): z again (over D tiles), dz = dL/dz from
    :func:`lbrl.kernels.fused_ce.reference.block_dlogits` (the maths shared with the reference, on full-tile
    operands), cast to the inputs' 16-bit type and stored to SMEM; then, D tile by D tile, dh_i += dz w_j
    and dw_j += dz^T h_i (two wgmmas), each partial added to float32 [N, D] / [V, D] accumulators in global
    memory by a TMA reduce-add (``copy_smem_to_gmem(..., reduction_op="add")``), CCE's atomic scheme.
    FLOPs: 2NVD (forward) + 6NVD (backward), the "recompute" count of CCE.
Cost: each program adds its partials to global memory, 4 N V D (1/128 + 1/128) bytes of reduce-add traffic in
all (~N V D / 16 bytes: 8.6 GB at N=8192, V=32768, D=512, about the matmuls' time on an H100 at its HBM rate);
larger token blocks (two warpgroups) would halve it: a tuning step for a GPU session.
No gradient filtering here (every block does its two gradient matmuls: ``grad_filter_eps`` is ignored).
Operands must be bfloat16 or float16 (wgmma); the caller pads N and V to 128 and D to 64.

Status: opt-in (``impl="pallas_mgpu"``). Pallas's interpreters cannot run ``wgmma`` (no CPU discharge rule),
so the CPU tests check that forward and backward lower for ``cuda`` (``jax.export``); the numerics are
checked only on a GPU (``tests/kernels/test_fused_ce.py``'s GPU-only test, ``benchmarks/kernels_gpu.sh``).
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax.experimental import pallas as pl
from jax.experimental.pallas import mosaic_gpu as plgpu

from lbrl.kernels.fused_ce import reference as ref
from lbrl.kernels.twopass import reference as tp

BN, BV, BD = 128, 128, 64     # tokens, vocabulary rows, hidden columns per tile (BD: one 128-byte bf16 row)


def _transforms(dtype, cols: int):
  swizzle = plgpu.find_swizzle(cols * jnp.dtype(dtype).itemsize * 8)
  return (plgpu.TilingTransform((8, swizzle // jnp.dtype(dtype).itemsize)), plgpu.SwizzleTransform(swizzle))


def _row(r, dtype=None):
  """A per-token vector ref [BN] loaded in the accumulator's row layout and broadcast to [BN, BV]."""
  v = plgpu.load(r, (), layout=plgpu.Layout.WGMMA.reduce(1), optimized=False)
  return jax.lax.broadcast_in_dim(v, (BN, BV), (0,))


def _logits(h_rows, w_rows, softcap):
  """z [BN, BV] float32 (WGMMA layout) = softcap(h_rows @ w_rows^T), D streamed in BD-column tiles."""
  d = h_rows.shape[1]
  hs = plgpu.BlockSpec((BN, BD), lambda k: (0, k), transforms=_transforms(h_rows.dtype, BD))
  ws = plgpu.BlockSpec((BV, BD), lambda k: (0, k), transforms=_transforms(w_rows.dtype, BD))

  def body(_, h_smem, w_smem, acc):
    def mma(acc_ref):
      plgpu.wgmma(acc_ref, h_smem, plgpu.transpose_ref(w_smem, (1, 0)))
    return pl.run_state(mma)(plgpu.ACC.init(acc))

  acc0 = plgpu.layout_cast(jnp.zeros((BN, BV), jnp.float32), plgpu.Layout.WGMMA)
  z = plgpu.emit_pipeline(body, grid=(d // BD,), in_specs=[hs, ws], max_concurrent_steps=2,
                          init_carry=acc0)(h_rows, w_rows)
  return z if softcap is None else softcap * jnp.tanh(z / softcap)


def _cols(j):
  return j * BV + plgpu.broadcasted_iota(jnp.int32, (BN, BV), 1, layout=plgpu.Layout.WGMMA)


def _fwd_kernel(h_ref, w_ref, m_ref, s_ref, zs_ref, *, hy: ref.Hyper):
  i, j = pl.program_id(0), pl.program_id(1)
  z = _logits(h_ref.at[pl.ds(i * BN, BN)], w_ref.at[pl.ds(j * BV, BV)], hy.softcap)
  ok = _cols(j) < hy.vocab
  z = jnp.where(ok, z, tp.NEG_BIG)
  mb = jnp.max(z, axis=1)
  m_ref[...] = mb
  s_ref[...] = jnp.sum(jnp.where(ok, jnp.exp(z - jax.lax.broadcast_in_dim(mb, z.shape, (0,))), 0.0), axis=1)
  zs_ref[...] = jnp.sum(jnp.where(ok, z, 0.0), axis=1)


def _bwd_kernel(h_ref, w_ref, lab_ref, lse_ref, g_ref, _dh_in, _dw_in, dh_ref, dw_ref, *, hy: ref.Hyper):
  i, j = pl.program_id(0), pl.program_id(1)
  h_rows, w_rows = h_ref.at[pl.ds(i * BN, BN)], w_ref.at[pl.ds(j * BV, BV)]
  z = _logits(h_rows, w_rows, hy.softcap)
  dz = ref.block_dlogits(z, _cols(j), _row(lab_ref), _row(lse_ref), _row(g_ref), hy)
  dtype = h_ref.dtype
  f32 = _transforms(jnp.float32, BD)

  def scoped(dz_smem, dh_smem, dw_smem):
    dz_smem[...] = dz.astype(dtype)
    plgpu.commit_smem()                                   # registers -> SMEM visible to the wgmma's async proxy
    hs = plgpu.BlockSpec((BN, BD), lambda k: (0, k), transforms=_transforms(dtype, BD))
    ws = plgpu.BlockSpec((BV, BD), lambda k: (0, k), transforms=_transforms(dtype, BD))

    def body(idx, h_smem, w_smem):
      (k,) = idx

      def mma(refs):
        dh_acc, dw_acc = refs
        plgpu.wgmma(dh_acc, dz_smem, w_smem)                                  # [BN, BV] @ [BV, BD]
        plgpu.wgmma(dw_acc, plgpu.transpose_ref(dz_smem, (1, 0)), h_smem)     # [BV, BN] @ [BN, BD]
      zero = lambda m: plgpu.ACC.init(plgpu.layout_cast(jnp.zeros((m, BD), jnp.float32), plgpu.Layout.WGMMA))
      dh, dw = pl.run_state(mma)((zero(BN), zero(BV)))
      plgpu.wait_smem_to_gmem(0, wait_read_only=True)     # the previous tile's reduce-adds have read SMEM
      dh_smem[...] = dh
      dw_smem[...] = dw
      plgpu.commit_smem()
      cols = pl.ds(k * BD, BD)
      plgpu.copy_smem_to_gmem(dh_smem, dh_ref.at[pl.ds(i * BN, BN), cols], reduction_op="add")
      plgpu.copy_smem_to_gmem(dw_smem, dw_ref.at[pl.ds(j * BV, BV), cols], reduction_op="add")

    plgpu.emit_pipeline(body, grid=(h_ref.shape[1] // BD,), in_specs=[hs, ws], max_concurrent_steps=2)(h_rows, w_rows)
    plgpu.wait_smem_to_gmem(0)

  pl.run_scoped(scoped, plgpu.SMEM((BN, BV), dtype, transforms=_transforms(dtype, BV)),
                plgpu.SMEM((BN, BD), jnp.float32, transforms=f32), plgpu.SMEM((BV, BD), jnp.float32, transforms=f32))


def _check(h, w):
  n, d = h.shape
  if h.dtype not in (jnp.bfloat16, jnp.float16) or w.dtype != h.dtype:
    raise ValueError(f"linear_cross_entropy (Mosaic GPU): h and w must both be bfloat16 or both float16 (wgmma), "
                     f"got {h.dtype} and {w.dtype}")
  if n % BN or w.shape[0] % BV or d % BD:
    raise ValueError(f"linear_cross_entropy (Mosaic GPU): padded N, V must be multiples of {BN}, {BV} and D of {BD}, "
                     f"got h {h.shape}, w {w.shape}")


_GMEM = pl.BlockSpec(memory_space=plgpu.GMEM)
_PARAMS = plgpu.CompilerParams(dimension_semantics=("parallel", "parallel"))


@functools.partial(jax.jit, static_argnames=("hy", "bn", "interpret"))
def forward(h, w, hy: ref.Hyper, bn: int = BN, interpret: bool = False):
  """(lse[N], sum_j z[N]) for padded 16-bit h[N, D], w[V, D] (``bn``, ``interpret``: the common signature;
  the token block is fixed at 128 and there is no interpret mode)."""
  del bn, interpret
  _check(h, w)
  n, nv = h.shape[0], w.shape[0] // BV
  part = pl.BlockSpec((None, BN), lambda i, j: (j, i))
  parts = jax.ShapeDtypeStruct((nv, n), jnp.float32)
  mp, sp, zp = pl.pallas_call(functools.partial(_fwd_kernel, hy=hy), grid=(n // BN, nv), in_specs=[_GMEM, _GMEM],
                              out_specs=[part] * 3, out_shape=[parts] * 3, compiler_params=_PARAMS,
                              name="cce_forward_mgpu")(h, w)
  mx = jnp.max(mp, axis=0)                                     # merge the vocabulary blocks' pairs
  return tp.lse_finalize(tp.LSEState(mx, jnp.sum(sp * jnp.exp(mp - mx), axis=0))), jnp.sum(zp, axis=0)


@functools.partial(jax.jit, static_argnames=("hy", "bn", "interpret"))
def backward(h, w, labels, lse, g, hy: ref.Hyper, bn: int = BN, interpret: bool = False):
  """(dh[N, D], dw[V, D]) for padded 16-bit inputs; labels, lse, g are [N] (g is 0 on ignored rows)."""
  del bn, interpret
  _check(h, w)
  n, nv = h.shape[0], w.shape[0] // BV
  row = pl.BlockSpec((BN,), lambda i, j: (i,))
  zeros = (jnp.zeros(h.shape, jnp.float32), jnp.zeros(w.shape, jnp.float32))    # the reduce-adds' accumulators
  dh, dw = pl.pallas_call(functools.partial(_bwd_kernel, hy=hy), grid=(n // BN, nv),
                          in_specs=[_GMEM, _GMEM, row, row, row, _GMEM, _GMEM], out_specs=[_GMEM, _GMEM],
                          out_shape=[jax.ShapeDtypeStruct(a.shape, jnp.float32) for a in zeros],
                          input_output_aliases={5: 0, 6: 1}, compiler_params=_PARAMS,
                          name="cce_backward_mgpu")(h, w, labels.astype(jnp.int32), lse, g.astype(jnp.float32), *zeros)
  return dh.astype(h.dtype), dw.astype(w.dtype)
