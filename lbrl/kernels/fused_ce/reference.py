"""Fused linear cross-entropy (Cut Cross-Entropy), pure JAX: ``lax.scan`` over vocabulary blocks.

The math is shared with the Pallas kernels through the block functions below (plain ``jnp`` on arrays,
so a kernel body calls them on the blocks it loaded).

Per token i with hidden state h_i, classifier w (V x D) and label y_i:
  z_ij  = softcap(h_i . w_j),           softcap(u) = c tanh(u / c)   (identity when c is None)
  lse_i = log sum_j exp(z_ij)           (two-pass / online over vocabulary blocks)
  loss_i = lse_i - (1 - a) z_iy - (a / V) sum_j z_ij + zl * lse_i**2
Gradient, with cotangent g_i:
  dL/dz_ij = g_i [ (1 + 2 zl lse_i) p_ij - (1 - a) [j = y_i] - a / V ],  p_ij = exp(z_ij - lse_i)
  (times 1 - (z_ij / c)**2 under the softcap), dh_i = sum_j dz_ij w_j, dw_j = sum_i dz_ij h_i.

Two ways to get the gradient (``Hyper.backward``):
  * "recompute" (CCE's own scheme): the forward pass keeps only lse; the backward pass streams the
    vocabulary blocks again, recomputing each block's logits: 8NVD FLOPs (naive: 6NVD), memory one tile.
  * "fused" (the default when w is not sharded; Liger-Kernel's scheme): when the loss is differentiated,
    the forward pass walks token chunks, forms the chunk's [bn, V] logits once, its lse, and then, block
    by block of the vocabulary, dz, dh_chunk += dz @ w_block and dw_block += dz.T @ h_chunk (updated in
    place), i.e. dh and dw for a unit cotangent per valid token: 6NVD FLOPs, the naive count. The
    residuals are dh [N, D] and dw [V, D] (the inputs' size); the backward pass scales them by the
    upstream cotangent: dh_i by g_i exactly, dw by g when g is the same on every valid token (a mean or
    sum of the per-token losses, the training case; checked at run time), else it falls back to the
    recompute pass. The value alone (no differentiation) always uses the one-pass lse scan (2NVD).
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from lbrl.kernels import _dispatch
from lbrl.kernels.twopass import reference as tp

Array = jax.Array


class Hyper(NamedTuple):
  """Static settings of one fused cross-entropy call (hashable: used as a ``nondiff`` argument)."""
  vocab: int                 # V of the whole classifier (over every shard)
  block: int                 # vocabulary rows per block
  z_loss: float = 0.0
  label_smoothing: float = 0.0
  softcap: float | None = None
  filter_eps: float | None = None   # skip backward blocks whose gradient entries are all below this
  axis_name: str | None = None      # vocabulary sharded over this mesh axis (inside shard_map)
  token_block: int = 0              # tokens per chunk of the "fused" backward; 0: the "recompute" backward


def block_logits(h: Array, wb: Array, softcap: float | None) -> Array:
  """z = softcap(h @ wb.T), float32 accumulation."""
  z = jax.lax.dot_general(h, wb, (((1,), (1,)), ((), ())), preferred_element_type=jnp.float32)
  if softcap is not None:
    z = softcap * jnp.tanh(z / softcap)
  return z


def block_dlogits(z: Array, cols: Array, labels: Array, lse: Array, g: Array, hy: Hyper) -> Array:
  """dL/d(h @ wb.T) for one block; ``cols`` are the block's global vocabulary ids (broadcastable to z),
  ``labels``/``lse``/``g`` are per-row columns ``[n, 1]`` (g is 0 on ignored rows)."""
  a = hy.label_smoothing
  p = jnp.exp(z - lse)
  dz = (g * (1.0 + 2.0 * hy.z_loss * lse)) * p
  dz = dz - jnp.where(cols == labels, g * (1.0 - a), 0.0)
  if a:
    dz = dz - g * (a / hy.vocab)
  dz = jnp.where(cols < hy.vocab, dz, 0.0)
  if hy.softcap is not None:
    t = z / hy.softcap
    dz = dz * ((1.0 - t) * (1.0 + t))   # = 1 - t**2 without its cancellation near saturation
  return dz


def loss_from_stats(lse: Array, z_label: Array, z_sum: Array, hy: Hyper) -> Array:
  a = hy.label_smoothing
  loss = lse - (1.0 - a) * z_label
  if a:
    loss = loss - (a / hy.vocab) * z_sum
  if hy.z_loss:
    loss = loss + hy.z_loss * jnp.square(lse)
  return loss


def label_logits(h: Array, w: Array, labels: Array, offset, hy: Hyper) -> Array:
  """z_{i, y_i} from a gather of the label rows of (this shard of) w; 0 where the label is elsewhere."""
  local = labels - offset
  here = (local >= 0) & (local < w.shape[0])
  wy = jnp.take(w, jnp.clip(local, 0, w.shape[0] - 1), axis=0)
  z = jnp.einsum("nd,nd->n", h, wy, preferred_element_type=jnp.float32)
  if hy.softcap is not None:
    z = hy.softcap * jnp.tanh(z / hy.softcap)
  return jnp.where(here, z, 0.0)


def shard_offset(w: Array, hy: Hyper):
  return 0 if hy.axis_name is None else jax.lax.axis_index(hy.axis_name) * w.shape[0]


def varying(x: Array, hy: Hyper) -> Array:
  """Marks a fresh accumulator as varying over the vocabulary axis (scan carries must match in type)."""
  return x if hy.axis_name is None else jax.lax.pcast(x, (hy.axis_name,), to="varying")


def _blocks(w: Array, hy: Hyper) -> Array:
  vp = _dispatch.round_up(w.shape[0], hy.block)
  return _dispatch.pad_axis(w, 0, vp).reshape(vp // hy.block, hy.block, w.shape[1])


def _forward_stats(h, w, hy: Hyper):
  """(lse, sum_j z_ij) by a scan over vocabulary blocks; never more than [N, block] logits alive."""
  offset = shard_offset(w, hy)
  row = varying(jnp.zeros_like(h[:, 0], dtype=jnp.float32), hy)

  def step(carry, xs):
    state, zsum = carry
    j, wb = xs
    z = block_logits(h, wb, hy.softcap)
    cols = offset + j * hy.block + jnp.arange(hy.block)[None, :]
    ok = (cols < offset + w.shape[0])
    state = tp.lse_combine(state, tp.lse_block(z, axis=1, where=ok))
    if hy.label_smoothing:
      zsum = zsum + jnp.sum(jnp.where(ok, z, 0.0), axis=1)
    return (state, zsum), None

  wblocks = _blocks(w, hy)
  init = (tp.LSEState(row + tp.NEG_BIG, row), row)
  (state, zsum), _ = jax.lax.scan(step, init, (jnp.arange(wblocks.shape[0]), wblocks))
  if hy.axis_name is not None:
    state = tp.lse_allreduce(state, hy.axis_name)
    zsum = jax.lax.psum(zsum, hy.axis_name)
  return tp.lse_finalize(state), zsum


def _loss_and_lse(h, w, labels, valid, hy: Hyper):
  lse, zsum = _forward_stats(h, w, hy)
  zy = label_logits(h, w, labels, shard_offset(w, hy), hy)
  if hy.axis_name is not None:
    zy = jax.lax.psum(zy, hy.axis_name)
  loss = jnp.where(valid, loss_from_stats(lse, zy, zsum, hy), 0.0)
  return loss, lse


def _bwd(hy: Hyper, res, g):
  h, w, labels, valid, lse = res
  g = jnp.where(valid, g.astype(jnp.float32), 0.0)[:, None]
  lse_c, lab_c = lse[:, None], labels[:, None]
  offset = shard_offset(w, hy)
  skip_ok = hy.filter_eps is not None and not hy.label_smoothing

  def grads(z, cols, wb):
    # dz in the inputs' dtype for the two matmuls (as the naive path's bf16 cotangent), f32 accumulation
    dz = block_dlogits(z, cols, lab_c, lse_c, g, hy).astype(h.dtype)
    dh = jax.lax.dot_general(dz, wb, (((1,), (0,)), ((), ())), preferred_element_type=jnp.float32)
    dw = jax.lax.dot_general(dz, h, (((0,), (0,)), ((), ())), preferred_element_type=jnp.float32)
    return dh, dw

  def step(dh, xs):
    j, wb = xs
    z = block_logits(h, wb, hy.softcap)
    cols = offset + j * hy.block + jnp.arange(hy.block)[None, :]
    if skip_ok:
      # Skip the two gradient matmuls when no label falls in the block and every |dL/dz| is below eps.
      big = jnp.max(jnp.abs(g * (1.0 + 2.0 * hy.z_loss * lse_c)) * jnp.exp(z - lse_c)) >= hy.filter_eps
      has_label = jnp.any((lab_c >= cols[:, :1]) & (lab_c < cols[:, :1] + hy.block) & (g != 0))
      zeros = (jnp.zeros(h.shape, jnp.float32), jnp.zeros(wb.shape, jnp.float32))
      dhb, dwb = jax.lax.cond(big | has_label, grads, lambda *_: zeros, z, cols, wb)
    else:
      dhb, dwb = grads(z, cols, wb)
    return dh + dhb, dwb.astype(w.dtype)

  wblocks = _blocks(w, hy)
  dh, dw = jax.lax.scan(step, varying(jnp.zeros_like(h, dtype=jnp.float32), hy), (jnp.arange(wblocks.shape[0]), wblocks))
  dw = dw.reshape(-1, w.shape[1])[:w.shape[0]]
  # The label-logit gather of the forward pass is part of dz (the [j = y] term above), so no extra term.
  return _dispatch.match_vma(dh.astype(h.dtype), h), _dispatch.match_vma(dw, w), None, None


def _filter_on(hy: Hyper) -> bool:
  return hy.filter_eps is not None and not hy.label_smoothing


def _loss_and_grads(h, w, labels, valid, hy: Hyper, weights=None, dw_init=None, trips=None):
  """Per-token loss, lse and the gradients dh, dw_init + dw of sum_i weights_i loss_i (default weights:
  1 on valid tokens, 0 elsewhere; ``trips`` chunks, default all, a traced count allowed), in one pass
  over token chunks: each chunk's [bn, V] logits are formed once (6NVD FLOPs in all). dw is updated
  block by block in place (``dynamic_update_slice`` on the loop carry, which becomes the output), so
  the chunk's logits are the only large temporary. Nothing is padded or copied: a ragged vocabulary end
  (V % block rows) is one static tail block, and the last token chunk starts at N - bn, its rows already
  done by the previous chunk masked out (a second chunk shape would be a second [bn, V] buffer)."""
  (n, d), v = h.shape, w.shape[0]
  bn, bv = hy.token_block, hy.block
  acc = jnp.float32
  filt = _filter_on(hy)
  cut = lambda x, start, size, axis=0: jax.lax.dynamic_slice_in_dim(x, start, size, axis)
  put = lambda big, x, start: jax.lax.dynamic_update_slice_in_dim(big, x, start, 0)

  rows = bn = min(bn, n)

  def chunk(i, carry):
    """Tokens [i0, i0 + bn), i0 = min(i bn, N - bn): their logits, loss, lse, dh rows and share of dw;
    rows below i bn (done by the previous chunk) count nowhere and keep their values."""
    dw, dh, loss, lses = carry
    i0 = jnp.minimum(i * bn, n - bn)
    fresh = i0 + jnp.arange(bn) >= i * bn
    hb, yb, vb = cut(h, i0, rows), cut(labels, i0, rows)[:, None], cut(valid, i0, rows) & fresh
    g = jnp.where(vb, cut(weights, i0, rows), 0.0)[:, None]
    z = block_logits(hb, w, hy.softcap)                                    # [rows, V], the one large tile
    mx = jnp.max(z, axis=1, keepdims=True)
    lse = mx + jnp.log(jnp.sum(jnp.exp(z - mx), axis=1, keepdims=True))
    zy = jnp.take_along_axis(z, jnp.clip(yb, 0, v - 1), axis=1)[:, 0]
    zsum = jnp.sum(z, axis=1) if hy.label_smoothing else None
    lb = jnp.where(vb, loss_from_stats(lse[:, 0], zy, zsum, hy), 0.0)

    def grads(dz, wj):
      return (jnp.dot(dz, wj, preferred_element_type=acc),
              jax.lax.dot_general(dz, hb, (((0,), (0,)), ((), ())), preferred_element_type=acc))

    def block(j0, cols, c):
      dw, dhb = c
      dz = block_dlogits(cut(z, j0, cols, 1), j0 + jnp.arange(cols)[None, :], yb, lse, g, hy).astype(h.dtype)
      wj = cut(w, j0, cols)
      if filt:   # CCE's filter: skip the block when no label is in it and every |dL/dz| < eps
        needed = (jnp.max(jnp.abs(dz)) >= hy.filter_eps) | jnp.any((yb >= j0) & (yb < j0 + cols) & (g != 0))
        skip = lambda *_: (jnp.zeros((rows, d), acc), jnp.zeros((cols, d), acc))
        dhj, dwj = jax.lax.cond(needed, grads, skip, dz, wj)
      else:
        dhj, dwj = grads(dz, wj)
      return put(dw, cut(dw, j0, cols) + dwj, j0), dhb + dhj

    c0 = tuple(_vary_like(x, hb, z, w, g) for x in (dw, jnp.zeros((rows, d), acc)))
    c = jax.lax.fori_loop(0, v // bv, lambda j, c: block(j * bv, bv, c), c0)
    dw, dhb = block((v // bv) * bv, v % bv, c) if v % bv else c
    keep = lambda big, x: put(big, jnp.where(fresh.reshape((-1,) + (1,) * (x.ndim - 1)), x, cut(big, i0, bn)), i0)
    return dw, keep(dh, dhb), keep(loss, lb), keep(lses, lse[:, 0])

  weights = valid.astype(acc) if weights is None else weights
  dw_init = jnp.zeros((v, d), acc) if dw_init is None else dw_init
  init = (dw_init, jnp.zeros((n, d), acc), jnp.zeros((n,), acc), jnp.zeros((n,), acc))
  init = tuple(_vary_like(x, h, w, labels, valid, weights) for x in init)   # inside shard_map
  dw, dh, loss, lse = jax.lax.fori_loop(0, -(-n // bn) if trips is None else trips, chunk, init)
  return loss, lse, dh, dw


def _vary_like(x, *refs):
  """``x`` marked varying over every manual mesh axis some of ``refs`` vary over (loop carries must match)."""
  axes = frozenset().union(*(_dispatch.varying_axes(r) for r in refs)) - _dispatch.varying_axes(x)
  return jax.lax.pcast(x, tuple(sorted(axes)), to="varying") if axes else x


def _fwd(h, w, labels, valid, hy: Hyper):
  if not hy.token_block:
    loss, lse = _loss_and_lse(h, w, labels, valid, hy)
    return loss, (h, w, labels, valid, lse, None, None)
  loss, lse, dh, dw = _loss_and_grads(h, w, labels, valid, hy)
  return loss, (h, w, labels, valid, lse, dh, dw)


def _bwd_dispatch(hy: Hyper, res, g):
  h, w, labels, valid, lse, dh1, dw1 = res
  if dh1 is None:
    return _bwd(hy, (h, w, labels, valid, lse), g)
  gv = jnp.where(valid, g.astype(jnp.float32), 0.0)
  # dw = sum_i g_i dw_i = g0 dw1 when g is one value g0 on the valid tokens (a mean or a sum of the
  # per-token losses, the training case). Otherwise g0 = 0 and the fused pass runs again with weights g
  # (same chunks, so the same logits as lse's, bit for bit: a difference g - g0, or other blocks, would
  # cancel badly at large logits). Written as dw1 * g0 plus a loop of zero trips when not needed, so that
  # dw stays one buffer updated in place (a lax.cond would copy it: a [V, D] temporary).
  gmax = jnp.max(jnp.where(valid, gv, -jnp.inf))
  uniform = jnp.all(jnp.where(valid, gv == gmax, True))
  g0 = jnp.where(uniform & jnp.isfinite(gmax), gmax, 0.0)
  trips = jnp.where(uniform, 0, -(-h.shape[0] // min(hy.token_block, h.shape[0])))
  dw = _loss_and_grads(h, w, labels, valid, hy, weights=gv, dw_init=dw1 * g0, trips=trips)[3]
  dh, dw = (dh1 * gv[:, None]).astype(h.dtype), dw.astype(w.dtype)
  return _dispatch.match_vma(dh, h), _dispatch.match_vma(dw, w), None, None


def _primal(h, w, labels, valid, hy: Hyper):
  return _loss_and_lse(h, w, labels, valid, hy)[0]


fused_ce = jax.custom_vjp(_primal, nondiff_argnums=(4,))
fused_ce.defvjp(_fwd, _bwd_dispatch)
fused_ce.__doc__ = """fused_ce(h, w, labels, valid, hy): per-row loss of ``h[N, D]`` against ``w[V(_local), D]``;
``valid`` rows only (others 0). See the module docstring for the formula."""
