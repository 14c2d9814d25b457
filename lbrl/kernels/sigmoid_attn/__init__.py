"""Sigmoid attention (Ramapuram et al., "Theory, Analysis, and Best Practices for Sigmoid Self-Attention",
2024, arXiv:2409.04431, catalog slug ``sigmoid_attention``): the public, dispatching entry.

    o = sigmoid(q k^T / sqrt(Dh) + b) v,     b = -log(n) by default (n: the number of keys)

impl: "reference" (pure JAX, materialises the [B, H, T, S] weights; the CPU default and the oracle),
"pallas_tpu" (FlashSigmoid: :mod:`lbrl.kernels.sigmoid_attn.pallas_tpu`, tiles in VMEM, forward and
backward, causal tiles above the diagonal skipped; ``interpret=True`` runs it on CPU) or "pallas_gpu"
(:mod:`lbrl.kernels.sigmoid_attn.pallas_gpu`: the forward on Mosaic GPU with warpgroup MMAs, bf16/f16
and Dh a multiple of 64; the backward differentiates the reference; no interpret mode). "auto": Pallas on
TPU, the reference elsewhere: the Mosaic GPU forward is opt-in (``impl="pallas_gpu"``) until
``benchmarks/kernels_gpu.sh`` has checked it on a GPU (it lowers for cuda; no GPU was lent to run it).
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from lbrl.kernels import _dispatch
from lbrl.kernels.sigmoid_attn import reference
from lbrl.kernels.sigmoid_attn.reference import bias_value  # noqa: F401


def sigmoid_attention(q, k, v, *, bias="-log n", causal: bool = False, scale: float | None = None,
                      impl: str = "auto", interpret: bool = False, block_q: int = 128, block_k: int = 128):
  """``sigmoid(q k^T scale + b) v`` per head; ``q [B, T, H, Dh]``, ``k, v [B, S, H, Dh]`` -> ``[B, T, H, Dh]``.

  ``bias``: "-log n" (b = -log S, the paper's default), "none" (b = 0, the unnormalised variant the paper
  shows to be unstable) or a number. ``scale`` defaults to 1/sqrt(Dh). ``causal`` (T == S): query t sees
  keys <= t, the others weigh 0. Scores and weights in float32, the output in ``v.dtype``.
  ``block_q`` / ``block_k``: the Pallas tile (queries x keys).
  """
  fn = "sigmoid_attention"
  q, k, v = jnp.asarray(q), jnp.asarray(k), jnp.asarray(v)
  if q.ndim != 4 or k.ndim != 4 or k.shape != v.shape or q.shape[::2] != k.shape[::2] or q.shape[-1] != k.shape[-1]:
    raise ValueError(f"{fn}: q must be [B, T, H, Dh] and k, v [B, S, H, Dh], got q {q.shape}, k {k.shape}, "
                     f"v {v.shape}")
  t, s = q.shape[1], k.shape[1]
  if causal and t != s:
    raise ValueError(f"{fn}: causal needs as many queries as keys, got {t} and {s}")
  b = bias_value(bias, s)
  scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
  which = _dispatch.resolve_impl(impl, fn)
  if which == "pallas_gpu" and impl == "auto":   # opt-in until checked on a GPU (module docstring)
    which = "reference"
  if which == "pallas_gpu":
    if interpret:
      raise ValueError(f"{fn}: the Mosaic GPU kernel (impl='pallas_gpu') has no interpret mode (wgmma); "
                       "use impl='reference' on CPU")
    return _gpu(q, k, v, b, scale, causal)
  if which == "reference":
    return reference.attention(q, k, v, b, scale, causal)
  return _flash(q, k, v, b, scale, causal, int(block_q), int(block_k), interpret)


def _gpu(q, k, v, b, scale, causal):
  """Mosaic GPU forward (64 x 64 tiles: one warpgroup MMA tile; ``block_q``/``block_k`` are the TPU
  kernel's); the backward pass from the reference."""
  from lbrl.kernels.sigmoid_attn import pallas_gpu as K
  bsz, t, h, dh = q.shape
  s = k.shape[1]
  bq, bk = 64, 64
  st = (float(b), float(scale), bool(causal), int(s), bq, bk)
  tp, sp = _dispatch.round_up(t, bq), _dispatch.round_up(s, bk)

  @jax.custom_vjp
  def f(q, k, v):
    o = K.forward(_fold(q, tp), _fold(k, sp), _fold(v, sp), st)
    return jnp.transpose(o[:, :t].reshape(bsz, h, t, dh), (0, 2, 1, 3))

  def fwd(q, k, v):
    return f(q, k, v), (q, k, v)

  def bwd(res, do):
    return jax.vjp(lambda *a: reference.attention(*a, b, scale, causal), *res)[1](do)

  f.defvjp(fwd, bwd)
  return f(q, k, v)


def _fold(x, n_pad):
  """[B, T, H, Dh] -> [B*H, T_pad, Dh]."""
  bsz, t, h, dh = x.shape
  x = jnp.transpose(x, (0, 2, 1, 3)).reshape(bsz * h, t, dh)
  return _dispatch.pad_axis(x, 1, n_pad)


def _flash(q, k, v, b, scale, causal, bq, bk, interpret):
  from lbrl.kernels.sigmoid_attn import pallas_tpu as K
  bsz, t, h, dh = q.shape
  s = k.shape[1]
  bq, bk = min(bq, _dispatch.round_up(t, 8)), min(bk, _dispatch.round_up(s, 8))
  tp, sp = _dispatch.round_up(t, bq), _dispatch.round_up(s, bk)
  st = K.Static((float(b), float(scale), bool(causal), int(s), bq, bk))

  @jax.custom_vjp
  def f(q, k, v):
    return K.forward(_fold(q, tp), _fold(k, sp), _fold(v, sp), st, interpret=interpret)

  def fwd(q, k, v):
    return f(q, k, v), (q, k, v)

  def bwd(res, do):
    q, k, v = res
    dq, dk, dv = K.backward(_fold(q, tp), _fold(k, sp), _fold(v, sp), do, st, interpret=interpret)
    unfold = lambda x, n: jnp.transpose(x[:, :n].reshape(bsz, h, n, dh), (0, 2, 1, 3))
    return unfold(dq, t), unfold(dk, s), unfold(dv, s)

  f.defvjp(fwd, bwd)
  o = f(q, k, v)                                   # [B*H, T_pad, Dh]
  return jnp.transpose(o[:, :t].reshape(bsz, h, t, dh), (0, 2, 1, 3))
