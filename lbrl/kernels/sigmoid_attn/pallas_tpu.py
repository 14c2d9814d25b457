"""FlashSigmoid as Pallas TPU (Mosaic) kernels: sigmoid attention that never stores the T x S weights.

Sigmoid attention needs no row statistics (no max, no normaliser), so each (query block, key block)
tile is independent: forward o += sigmoid(q k^T c + b) v accumulated over key blocks in VMEM; backward
recomputes the tile, p = sigmoid(s), dp = do v^T, ds = dp p (1 - p), and accumulates dq += ds k c over
key blocks (one kernel) and dk += ds^T q c, dv += p^T do over query blocks (another). Under the causal
mask, tiles above the diagonal are skipped (``pl.when``). Keys past S (padding) weigh 0.
Layout: heads folded into the leading axis, ``[B*H, T, Dh]``; the caller pads T, S to the blocks.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax.experimental import pallas as pl
from jax.experimental.pallas import tpu as pltpu


class Static(tuple):
  """(b, scale, causal, s_len, bq, bk): hashable statics of one call."""


def _tile(q, k, i, j, st):
  b, scale, causal, s_len, bq, bk = st
  s = jax.lax.dot_general(q, k, (((1,), (1,)), ((), ())), preferred_element_type=jnp.float32) * scale + b
  p = jax.nn.sigmoid(s)
  rows = i * bq + jax.lax.broadcasted_iota(jnp.int32, (bq, bk), 0)
  cols = j * bk + jax.lax.broadcasted_iota(jnp.int32, (bq, bk), 1)
  keep = cols < s_len
  if causal:
    keep = keep & (cols <= rows)
  return jnp.where(keep, p, 0.0)


def _live(i, j, st):
  """Whether tile (i, j) has any unmasked entry (always, unless causal and above the diagonal)."""
  _, _, causal, _, bq, bk = st
  return (j * bk <= i * bq + bq - 1) if causal else True


def _fwd_kernel(q_ref, k_ref, v_ref, o_ref, acc, *, st):
  i, j = pl.program_id(1), pl.program_id(2)

  @pl.when(j == 0)
  def _():
    acc[...] = jnp.zeros(acc.shape, jnp.float32)

  @pl.when(_live(i, j, st))
  def _():
    p = _tile(q_ref[0], k_ref[0], i, j, st)
    acc[...] += jnp.dot(p.astype(v_ref.dtype), v_ref[0], preferred_element_type=jnp.float32)

  @pl.when(j == pl.num_programs(2) - 1)
  def _():
    o_ref[0] = acc[...].astype(o_ref.dtype)


def _dq_kernel(q_ref, k_ref, v_ref, do_ref, dq_ref, acc, *, st):
  i, j = pl.program_id(1), pl.program_id(2)

  @pl.when(j == 0)
  def _():
    acc[...] = jnp.zeros(acc.shape, jnp.float32)

  @pl.when(_live(i, j, st))
  def _():
    p = _tile(q_ref[0], k_ref[0], i, j, st)
    dp = jax.lax.dot_general(do_ref[0], v_ref[0], (((1,), (1,)), ((), ())), preferred_element_type=jnp.float32)
    ds = (dp * p * (1.0 - p)).astype(k_ref.dtype)
    acc[...] += jnp.dot(ds, k_ref[0], preferred_element_type=jnp.float32) * st[1]

  @pl.when(j == pl.num_programs(2) - 1)
  def _():
    dq_ref[0] = acc[...].astype(dq_ref.dtype)


def _dkv_kernel(q_ref, k_ref, v_ref, do_ref, dk_ref, dv_ref, acc_k, acc_v, *, st):
  j, i = pl.program_id(1), pl.program_id(2)

  @pl.when(i == 0)
  def _():
    acc_k[...] = jnp.zeros(acc_k.shape, jnp.float32)
    acc_v[...] = jnp.zeros(acc_v.shape, jnp.float32)

  @pl.when(_live(i, j, st))
  def _():
    p = _tile(q_ref[0], k_ref[0], i, j, st)
    do = do_ref[0]
    dp = jax.lax.dot_general(do, v_ref[0], (((1,), (1,)), ((), ())), preferred_element_type=jnp.float32)
    ds = (dp * p * (1.0 - p)).astype(q_ref.dtype)
    tn = (((0,), (0,)), ((), ()))
    acc_v[...] += jax.lax.dot_general(p.astype(do.dtype), do, tn, preferred_element_type=jnp.float32)
    acc_k[...] += jax.lax.dot_general(ds, q_ref[0], tn, preferred_element_type=jnp.float32) * st[1]

  @pl.when(i == pl.num_programs(2) - 1)
  def _():
    dk_ref[0] = acc_k[...].astype(dk_ref.dtype)
    dv_ref[0] = acc_v[...].astype(dv_ref.dtype)


def _params():
  return pltpu.CompilerParams(dimension_semantics=("parallel", "parallel", "arbitrary"))


@functools.partial(jax.jit, static_argnames=("st", "interpret"))
def forward(q, k, v, st: Static, interpret: bool = False):
  """o [BH, T, Dh] for padded q [BH, T, Dh], k, v [BH, S, Dh]."""
  bh, t, dh = q.shape
  bq, bk = st[4], st[5]
  qs = pl.BlockSpec((1, bq, dh), lambda b, i, j: (b, i, 0))
  ks = pl.BlockSpec((1, bk, dh), lambda b, i, j: (b, j, 0))
  return pl.pallas_call(
      functools.partial(_fwd_kernel, st=st), grid=(bh, t // bq, k.shape[1] // bk),
      in_specs=[qs, ks, ks], out_specs=qs, out_shape=jax.ShapeDtypeStruct(q.shape, q.dtype),
      scratch_shapes=[pltpu.VMEM((bq, dh), jnp.float32)], compiler_params=_params(),
      interpret=interpret, name="flash_sigmoid_forward")(q, k, v)


@functools.partial(jax.jit, static_argnames=("st", "interpret"))
def backward(q, k, v, do, st: Static, interpret: bool = False):
  """(dq, dk, dv) for padded inputs."""
  bh, t, dh = q.shape
  s_pad = k.shape[1]
  bq, bk = st[4], st[5]
  qs = pl.BlockSpec((1, bq, dh), lambda b, i, j: (b, i, 0))
  ks = pl.BlockSpec((1, bk, dh), lambda b, i, j: (b, j, 0))
  dq = pl.pallas_call(
      functools.partial(_dq_kernel, st=st), grid=(bh, t // bq, s_pad // bk),
      in_specs=[qs, ks, ks, qs], out_specs=qs, out_shape=jax.ShapeDtypeStruct(q.shape, q.dtype),
      scratch_shapes=[pltpu.VMEM((bq, dh), jnp.float32)], compiler_params=_params(),
      interpret=interpret, name="flash_sigmoid_backward_dq")(q, k, v, do)
  qs2 = pl.BlockSpec((1, bq, dh), lambda b, j, i: (b, i, 0))
  ks2 = pl.BlockSpec((1, bk, dh), lambda b, j, i: (b, j, 0))
  dk, dv = pl.pallas_call(
      functools.partial(_dkv_kernel, st=st), grid=(bh, s_pad // bk, t // bq),
      in_specs=[qs2, ks2, ks2, qs2], out_specs=[ks2, ks2],
      out_shape=[jax.ShapeDtypeStruct(k.shape, k.dtype), jax.ShapeDtypeStruct(v.shape, v.dtype)],
      scratch_shapes=[pltpu.VMEM((bk, dh), jnp.float32)] * 2, compiler_params=_params(),
      interpret=interpret, name="flash_sigmoid_backward_dkv")(q, k, v, do)
  return dq, dk, dv
