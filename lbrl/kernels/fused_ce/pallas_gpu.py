"""Fused linear cross-entropy as Pallas GPU kernels (Triton lowering).

One program per block of tokens loops over the vocabulary blocks (forward: running (max, sum-exp)
pair in registers; backward dh: accumulates dz @ w_block), and one program per vocabulary block loops
over the token blocks (backward dw: accumulates dz.T @ h_block), recomputing the logit tiles; the
N x V logits never reach global memory. Block sizes are powers of two (Triton); the caller pads N, V
and D. With ``filter_eps`` a tile whose |dz| are all below eps and that holds no label skips its matmul.
The maths (``block_logits``, ``block_dlogits``, ``tile_needed``) is shared with the reference and TPU kernels.

Triton stays the default GPU path (issue 22, checked on jax 0.10.2): Mosaic GPU has no ``dot_general``
lowering under either lowering semantics ("Unimplemented primitive in Pallas Mosaic GPU lowering: dot_general
for lowering semantics LoweringSemantics.Lane", the same for ``Warpgroup``), so its kernels write matmuls as
``plgpu.wgmma`` on swizzled shared-memory tiles, which Pallas's interpreters cannot run on CPU, and the whole-D
tiles kept here outgrow an H100's ~227 KiB of shared memory past D ~ 300 in bf16. The Mosaic GPU port, with D
tiled, is :mod:`lbrl.kernels.fused_ce.pallas_mgpu` (``impl="pallas_mgpu"``, opt-in until a GPU run checks its
numerics; it lowers for cuda).
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax.experimental import pallas as pl
from jax.experimental.pallas import triton as pltr

from lbrl.kernels.fused_ce import reference as ref
from lbrl.kernels.fused_ce.pallas_tpu import tile_needed
from lbrl.kernels.twopass import reference as tp


def _cols(j, bv):
  return j * bv + jnp.arange(bv, dtype=jnp.int32)[None, :]


def _fwd_kernel(h_ref, w_ref, lse_ref, zsum_ref, *, hy: ref.Hyper):
  h = h_ref[...]
  bv = hy.block

  def body(j, carry):
    st, zs = carry
    z = ref.block_logits(h, w_ref[pl.ds(j * bv, bv), :], hy.softcap)
    ok = _cols(j, bv) < hy.vocab
    st = tp.lse_combine(st, tp.lse_block(z, axis=1, where=ok))
    if hy.label_smoothing:
      zs = zs + jnp.sum(jnp.where(ok, z, 0.0), axis=1)
    return st, zs

  n = h.shape[0]
  init = (tp.LSEState(jnp.full((n,), tp.NEG_BIG, jnp.float32), jnp.zeros((n,), jnp.float32)),
          jnp.zeros((n,), jnp.float32))
  st, zs = jax.lax.fori_loop(0, w_ref.shape[0] // bv, body, init)
  lse_ref[...] = tp.lse_finalize(st)
  zsum_ref[...] = zs


def _dz(h, wb, lab, lse, g, j, hy):
  z = ref.block_logits(h, wb, hy.softcap)
  dz = ref.block_dlogits(z, _cols(j, hy.block), lab[:, None], lse[:, None], g[:, None], hy)
  filt = hy.filter_eps is not None and not hy.label_smoothing
  return dz, (tile_needed(dz, lab, j, hy.block, hy.filter_eps) if filt else None)


def _maybe(needed, fn, acc, *args):
  if needed is None:
    return fn(acc, *args)
  return jax.lax.cond(needed, fn, lambda acc, *_: acc, acc, *args)


def _dh_kernel(h_ref, w_ref, lab_ref, lse_ref, g_ref, dh_ref, *, hy: ref.Hyper):
  h, lab, lse, g = h_ref[...], lab_ref[...], lse_ref[...], g_ref[...]
  bv = hy.block

  def body(j, acc):
    wb = w_ref[pl.ds(j * bv, bv), :]
    dz, needed = _dz(h, wb, lab, lse, g, j, hy)
    upd = lambda acc, dz, wb: acc + jnp.dot(dz.astype(wb.dtype), wb, preferred_element_type=jnp.float32)
    return _maybe(needed, upd, acc, dz, wb)

  acc = jax.lax.fori_loop(0, w_ref.shape[0] // bv, body, jnp.zeros(h.shape, jnp.float32))
  dh_ref[...] = acc.astype(dh_ref.dtype)


def _dw_kernel(h_ref, w_ref, lab_ref, lse_ref, g_ref, dw_ref, *, hy: ref.Hyper, bn: int):
  wb = w_ref[...]
  j = pl.program_id(0)

  def body(i, acc):
    rows = pl.ds(i * bn, bn)
    h = h_ref[rows, :]
    dz, needed = _dz(h, wb, lab_ref[rows], lse_ref[rows], g_ref[rows], j, hy)
    upd = lambda acc, dz, h: acc + jnp.dot(dz.T.astype(h.dtype), h, preferred_element_type=jnp.float32)
    return _maybe(needed, upd, acc, dz, h)

  acc = jax.lax.fori_loop(0, h_ref.shape[0] // bn, body, jnp.zeros(wb.shape, jnp.float32))
  dw_ref[...] = acc.astype(dw_ref.dtype)


def _call(kernel, grid, in_specs, out_specs, out_shape, name, interpret):
  return pl.pallas_call(kernel, grid=grid, in_specs=in_specs, out_specs=out_specs, out_shape=out_shape,
                        compiler_params=pltr.CompilerParams(num_warps=4, num_stages=2),
                        interpret=interpret, name=name)


@functools.partial(jax.jit, static_argnames=("hy", "bn", "interpret"))
def forward(h, w, hy: ref.Hyper, bn: int = 64, interpret: bool = False):
  """(lse[N], sum_j z[N]) for padded h[N, D], w[V, D]."""
  n, d = h.shape
  full = lambda a: pl.BlockSpec(a.shape, lambda i: (0,) * a.ndim)
  vec = pl.BlockSpec((bn,), lambda i: (i,))
  stat = jax.ShapeDtypeStruct((n,), jnp.float32)
  return _call(functools.partial(_fwd_kernel, hy=hy), (n // bn,),
               [pl.BlockSpec((bn, d), lambda i: (i, 0)), full(w)], [vec, vec], [stat, stat],
               "cce_forward", interpret)(h, w)


@functools.partial(jax.jit, static_argnames=("hy", "bn", "interpret"))
def backward(h, w, labels, lse, g, hy: ref.Hyper, bn: int = 64, interpret: bool = False):
  """(dh[N, D], dw[V, D]) for padded inputs; labels, lse, g are [N]."""
  n, d = h.shape
  full = lambda a: pl.BlockSpec(a.shape, lambda i: (0,) * a.ndim)
  vec = pl.BlockSpec((bn,), lambda i: (i,))
  dh = _call(functools.partial(_dh_kernel, hy=hy), (n // bn,),
             [pl.BlockSpec((bn, d), lambda i: (i, 0)), full(w), vec, vec, vec],
             pl.BlockSpec((bn, d), lambda i: (i, 0)), jax.ShapeDtypeStruct(h.shape, h.dtype),
             "cce_backward_dh", interpret)(h, w, labels, lse, g)
  dw = _call(functools.partial(_dw_kernel, hy=hy, bn=bn), (w.shape[0] // hy.block,),
             [full(h), pl.BlockSpec((hy.block, d), lambda j: (j, 0)), full(labels), full(lse), full(g)],
             pl.BlockSpec((hy.block, d), lambda j: (j, 0)), jax.ShapeDtypeStruct(w.shape, w.dtype),
             "cce_backward_dw", interpret)(h, w, labels, lse, g)
  return dh, dw
