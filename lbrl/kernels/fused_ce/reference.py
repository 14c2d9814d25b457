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
    dz = dz * (1.0 - jnp.square(z / hy.softcap))
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


fused_ce = _dispatch.custom_vjp4(_loss_and_lse, _bwd, n_static=1)
fused_ce.__doc__ = """fused_ce(h, w, labels, valid, hy): per-row loss of ``h[N, D]`` against ``w[V(_local), D]``;
``valid`` rows only (others 0). See the module docstring for the formula."""
