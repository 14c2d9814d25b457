"""Sigmoid self-attention (Ramapuram et al., "Theory, Analysis, and Best Practices for Sigmoid
Self-Attention", 2024, arXiv:2409.04431, catalog slug ``sigmoid_attention``).

    SigmoidAttn(X) = sigmoid(Q K^T / sqrt(d_h) + b) V,      b = -log(n)   (n: the sequence length)

Each score goes through an elementwise sigmoid instead of a row-wise softmax, so rows are no longer
normalised to sum 1. With ``b = -log n`` and scores near 0 (at initialisation) a row sums to
n * sigmoid(-log n) = n / (n + 1) ~ 1: the output norm starts where softmax attention's does, which is
the paper's fix for the large initial attention norms that otherwise destabilise training (their
Section 3; they add LayerScale / QK-norm as further stabilisers: ``qk_norm=True`` here). Under the causal
mask, masked entries get weight 0, and lbrl keeps one bias b = -log(n) with n the full sequence length
for every row (the paper's fixed-length choice), not a per-row -log(t).

:func:`sigmoid_attention` is the pure-JAX reference on ``[B, T, H, Dh]`` heads; :class:`SigmoidAttention`
is the Flax module, a drop-in for :class:`lbrl.models._layers.Attention` with the same parameters
(``query``, ``key``, ``value``, ``out``, initialised N(0, 0.02^2)), so sharding rules, muP and
checkpoints carry over.
"""
from __future__ import annotations

import math

import flax.linen as nn
import jax
import jax.numpy as jnp

from lbrl.models import _layers as L

BIASES = ("-log n", "none")


def sigmoid_attention(q, k, v, *, bias="-log n", causal: bool = False, scale: float | None = None):
  """``sigmoid(q k^T * scale + b) v`` per head; ``q [B, T, H, Dh]``, ``k, v [B, S, H, Dh]`` -> ``[B, T, H, Dh]``.

  ``bias``: "-log n" (b = -log S, the paper's default), "none" (b = 0, the unnormalised variant the
  paper shows to be unstable) or a number. ``scale`` defaults to 1/sqrt(Dh). ``causal`` (T == S): query
  t sees keys <= t, the others weigh 0. Scores and weights in float32; the output in ``v.dtype``.
  """
  q, k, v = jnp.asarray(q), jnp.asarray(k), jnp.asarray(v)
  if q.ndim != 4 or k.shape != v.shape or k.ndim != 4 or q.shape[::2] != k.shape[::2] or q.shape[-1] != k.shape[-1]:
    raise ValueError(f"sigmoid_attention: q must be [B, T, H, Dh] and k, v [B, S, H, Dh], got q {q.shape}, "
                     f"k {k.shape}, v {v.shape}")
  t, s = q.shape[1], k.shape[1]
  if causal and t != s:
    raise ValueError(f"sigmoid_attention: causal needs as many queries as keys, got {t} and {s}")
  b = bias_value(bias, s)
  scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
  scores = jnp.einsum("bthd,bshd->bhts", q, k, preferred_element_type=jnp.float32) * scale + b
  w = jax.nn.sigmoid(scores)
  if causal:
    w = jnp.where(jnp.tril(jnp.ones((t, s), bool)), w, 0.0)
  return jnp.einsum("bhts,bshd->bthd", w.astype(v.dtype), v)


def bias_value(bias, n: int) -> float:
  """The additive score bias: "-log n" -> -log(n), "none" -> 0, a number -> itself."""
  if isinstance(bias, str):
    if bias not in BIASES:
      raise ValueError(f"sigmoid attention: bias must be one of {BIASES} or a number, got {bias!r}")
    return -math.log(n) if bias == "-log n" else 0.0
  return float(bias)


class SigmoidAttention(L._AttentionFields):
  """Multi-head sigmoid self-attention (see the module docstring); fields of
  :class:`lbrl.models._layers.Attention` plus ``bias`` ("-log n" | "none" | a number) and ``qk_norm``
  (LayerNorm on each head's queries and keys, the paper's optional stabiliser; default False)."""
  bias: str | float = "-log n"
  qk_norm: bool = False

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    d = x.shape[-1]
    if d % self.num_heads:
      raise ValueError(f"width {d} is not divisible by num_heads {self.num_heads}")
    dh = d // self.num_heads
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype, use_bias=self.use_bias,
              kernel_init=nn.initializers.normal(0.02))
    q, k, v = (L.DenseGeneral((self.num_heads, dh), name=n, **kw)(x) for n in ("query", "key", "value"))
    if self.qk_norm:
      q = nn.LayerNorm(use_bias=False, name="q_norm", dtype=self.dtype, param_dtype=self.param_dtype)(q)
      k = nn.LayerNorm(use_bias=False, name="k_norm", dtype=self.dtype, param_dtype=self.param_dtype)(k)
    if self.use_rope:
      pos = jnp.arange(x.shape[-2])
      q, k = L.rope(q, pos), L.rope(k, pos)
    if self.dropout and train:
      raise ValueError("SigmoidAttention: attention dropout is not implemented (dropout must be 0 in training)")
    o = sigmoid_attention(q, k, v, bias=self.bias, causal=self.causal)
    return L.DenseGeneral(d, axis=(-2, -1), name="out", **kw)(o)
