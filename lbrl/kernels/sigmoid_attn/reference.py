"""Sigmoid attention, pure JAX (the CPU default and the kernels' oracle); see :mod:`lbrl.kernels.sigmoid_attn`."""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp

BIASES = ("-log n", "none")


def bias_value(bias, n: int) -> float:
  """The additive score bias: "-log n" -> -log(n), "none" -> 0, a number -> itself."""
  if isinstance(bias, str):
    if bias not in BIASES:
      raise ValueError(f"sigmoid_attention: bias must be one of {BIASES} or a number, got {bias!r}")
    return -math.log(n) if bias == "-log n" else 0.0
  return float(bias)


def attention(q, k, v, b: float, scale: float, causal: bool):
  """``sigmoid(q k^T scale + b) v`` on ``[B, T, H, Dh]`` heads; scores and weights in float32."""
  t, s = q.shape[1], k.shape[1]
  scores = jnp.einsum("bthd,bshd->bhts", q, k, preferred_element_type=jnp.float32) * scale + b
  w = jax.nn.sigmoid(scores)
  if causal:
    w = jnp.where(jnp.tril(jnp.ones((t, s), bool)), w, 0.0)
  return jnp.einsum("bhts,bshd->bthd", w.astype(v.dtype), v)
