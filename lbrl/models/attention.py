"""Sigmoid self-attention (Ramapuram et al., "Theory, Analysis, and Best Practices for Sigmoid
Self-Attention", 2024, arXiv:2409.04431, catalog slug ``sigmoid_attention``).

    SigmoidAttn(X) = sigmoid(Q K^T / sqrt(d_h) + b) V,      b = -log(n)   (n: the sequence length)

Each score goes through an elementwise sigmoid instead of a row-wise softmax, so rows are no longer
normalised to sum 1. With ``b = -log n`` and scores near 0 (at initialisation) a row sums to
n * sigmoid(-log n) = n / (n + 1) ~ 1: the output norm starts where softmax attention's does, which is
the paper's fix for the large initial attention norms that otherwise destabilise training (their
Section 3; they add LayerScale / QK-norm as further stabilisers: ``qk_norm=True`` here; their
hybrid-norm, a norm on the attention output before the residual add, is the zoo LM's
``placement="sandwich"``, which also norms the MLP output). Checked against the authors' code
(apple/ml-sigmoid-attention, attention_simulator/layers/attention.py): scores (q d^-1/2) k^T, mask, + a
fixed bias buffer, elementwise sigmoid, weights @ v; QK-norm is a LayerNorm over each head's features. Under the causal
mask, masked entries get weight 0, and lbrl keeps one bias b = -log(n) with n the full sequence length
for every row (the paper's fixed-length choice), not a per-row -log(t).

:func:`lbrl.kernels.sigmoid_attention` is the op on ``[B, T, H, Dh]`` heads (pure-JAX reference, or the
FlashSigmoid Pallas TPU kernel, or the Mosaic GPU forward, with ``impl=``); :class:`SigmoidAttention` is the Flax module, a drop-in for :class:`lbrl.models._layers.Attention` with the same parameters
(``query``, ``key``, ``value``, ``out``, initialised N(0, 0.02^2)), so sharding rules, muP and
checkpoints carry over.
"""
from __future__ import annotations

import flax.linen as nn
import jax.numpy as jnp

from lbrl.kernels.sigmoid_attn import sigmoid_attention  # noqa: F401  (re-exported: the reference and kernel)
from lbrl.models import _layers as L

class SigmoidAttention(L._AttentionFields):
  """Multi-head sigmoid self-attention (see the module docstring); fields of
  :class:`lbrl.models._layers.Attention` plus ``bias`` ("-log n" | "none" | a number) and ``qk_norm``
  (LayerNorm on each head's queries and keys, the paper's optional stabiliser; default False), ``impl``
  (of :func:`lbrl.kernels.sigmoid_attention`; default "auto")."""
  bias: str | float = "-log n"
  qk_norm: bool = False
  impl: str = "auto"

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
    o = sigmoid_attention(q, k, v, bias=self.bias, causal=self.causal, impl=self.impl)
    return L.DenseGeneral(d, axis=(-2, -1), name="out", **kw)(o)
