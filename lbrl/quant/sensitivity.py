"""Quantization sensitivity: the second-order Taylor estimate vs the post-quantization integral (PQI),
and dense-and-sparse quantization that keeps the most sensitive weights in float (ReQuant's idea).

Slug ``identifying_sensitive_weights_post`` ("Identifying Sensitive Weights via Post-quantization
Integral", 2025). For parameters ``w``, their quantized value ``w_q = w + Delta`` and a loss ``L``:

* :func:`taylor_delta`: ``g . Delta + 1/2 Delta^T H Delta`` (``g``, ``H``: gradient and Hessian at ``w``;
  the product by Hessian-vector product, exact, no diagonal approximation);
* :func:`pqi`: the path integral ``L(w_q) - L(w) = int_0^1 grad L(w + t Delta) . Delta dt``, split per
  weight: ``PQI_i = Delta_i int_0^1 dL/dw_i(w + t Delta) dt``, by the midpoint rule on ``n`` points (the
  sum over weights equals the actual loss change up to the quadrature error, which the paper's Taylor
  metric misses when ``Delta`` leaves the quadratic region);
* :func:`dense_and_sparse`: ``w_hat = where(top-k score, w, w_q)``: the ``frac`` most sensitive weights of each
  kernel stay in float (stored sparsely), the rest quantized. ``score="pqi"`` ranks by ``|PQI_i|``,
  ``"magnitude"`` by ``|w_i|`` (the outlier rule of SqueezeLLM-style dense-and-sparse methods).
  ReQuant's further steps (self-adaptive outlier count, step-wise detaching) are not reproduced.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp


def taylor_delta(loss, params, q_params) -> jax.Array:
  """Second-order Taylor estimate of ``loss(q_params) - loss(params)``."""
  delta = jax.tree.map(lambda q, p: q - p, q_params, params)
  g, hd = jax.jvp(jax.grad(loss), (params,), (delta,))
  dot = lambda a, b: sum(jnp.vdot(x, y) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)))
  return dot(g, delta) + 0.5 * dot(delta, hd)


def pqi(loss, params, q_params, n: int = 8):
  """``(per-weight PQI tree, their sum)`` by the midpoint rule on ``n`` points (module docstring)."""
  if not isinstance(n, int) or n < 1:
    raise ValueError(f"pqi: n must be a positive int, got {n!r}")
  delta = jax.tree.map(lambda q, p: q - p, q_params, params)
  grad = jax.grad(loss)

  def at(t):
    return grad(jax.tree.map(lambda p, d: p + t * d, params, delta))

  ts = (jnp.arange(n, dtype=jnp.float32) + 0.5) / n
  mean_g = jax.tree.map(lambda g: jnp.mean(g, axis=0), jax.lax.map(at, ts))
  per = jax.tree.map(lambda g, d: g * d, mean_g, delta)
  return per, sum(jnp.sum(x) for x in jax.tree.leaves(per))


def dense_and_sparse(w, w_q, score, frac: float) -> jax.Array:
  """``w`` where ``score`` is among the top ``frac`` of the kernel, ``w_q`` elsewhere."""
  w, w_q, score = (jnp.asarray(a, jnp.float32) for a in (w, w_q, score))
  if not (w.shape == w_q.shape == score.shape):
    raise ValueError(f"w, w_q and score must share a shape; got {w.shape}, {w_q.shape}, {score.shape}")
  if not 0 <= frac < 1:
    raise ValueError(f"frac must be in [0, 1), got {frac!r}")
  k = int(round(frac * w.size))
  if k == 0:
    return w_q
  thresh = jnp.sort(score.ravel())[-k]
  return jnp.where(score >= thresh, w, w_q)
