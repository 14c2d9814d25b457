"""Unified Normalization (Yang, Wang, Ding, Chen, Zhou, Zhang & Pu, "Unified Normalization for Accelerating
and Stabilizing Transformers", ACM MM 2022, arXiv:2208.01313, slug unified_normalization_accelerating_stabilizing;
the authors' code: github.com/hikvision-research/Unified-Normalization, ``UN1d``).

A batch normalization for Transformers whose inference is a fixed per-channel affine map (so it folds into the
next linear layer, which LayerNorm cannot), made trainable by smoothing the batch statistic over a window of
iterations. Per channel ``c``, on the tokens of a training batch::

    x2_t   = mean_tokens(x^2)                                    (quadratic mean; no mean is subtracted)
    buffer = the last W values of x2 (W = window_size, default 4)
    var_t  = x2_t                                  while t <= W or t < warmup_iters
             exp(mean(log buffer))                 after: the geometric mean of the window (fluctuation smoothing)
    y      = weight * x / sqrt(var_t + eps) + bias
    running_var <- momentum * running_var + (1 - momentum) * var_t      (momentum 0.9)
  evaluation:  y = weight * x / sqrt(running_var + eps) + bias  =  a * x + bias,  a = weight / sqrt(running_var + eps)

Adaptive outlier filtration (``outlier_filtration=True``; the authors suggest it for vision, not for NLP): after
warm-up, when for some channel the window's arithmetic mean exceeds its geometric mean by more than
``W * var(sqrt(buffer before the update))`` (one unbiased variance over all of the window's entries), the batch is an outlier: its entry in the window is replaced by
``running_var`` and the batch is normalised by its own ``x2_t`` (as in the authors' forward).

Backward: the authors replace the gradient through the statistic by a windowed running estimate ``ema_gz`` (as
PowerNorm) and rescale it by ``r = sqrt(var + eps) / sqrt(running_var + eps)`` clipped to [1/5, 5]; lbrl's
trainer carries only forward state, so this module is differentiated exactly through the forward it computes
(the current ``x2_t`` enters ``var_t`` directly during warm-up and with weight ``1/W`` in the geometric mean
after; the stored window entries are constants). The forward and the running statistics are the authors'.

:func:`fold_into_dense` folds the evaluation-mode map into the following dense layer (``Dense(UN(x)) =
x @ (a[:, None] * K) + (bias @ K + b)``), the inference speed-up the paper measures on GPU.
Defaults (the authors'): ``window_size=4``, ``warmup_iters=4000``, ``outlier_filtration=False``, ``eps=1e-5``,
``momentum=0.9``.
"""
from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

Dtype = Any


class UnifiedNorm(nn.Module):
  """Unified Normalization over the last (channel) axis; variables ``params/scale, bias`` and
  ``batch_stats/running_var, buffer_x2 [W, C], iter, skips`` (see the module docstring)."""
  use_running_average: bool = True
  window_size: int = 4
  warmup_iters: int = 4000
  outlier_filtration: bool = False
  epsilon: float = 1e-5
  momentum: float = 0.9
  dtype: Dtype = None
  param_dtype: Dtype = jnp.float32

  @nn.compact
  def __call__(self, x):
    if self.window_size < 1:
      raise ValueError(f"UnifiedNorm.window_size must be >= 1, got {self.window_size}")
    c = x.shape[-1]
    w = self.window_size
    scale = self.param("scale", nn.initializers.ones, (c,), self.param_dtype)
    bias = self.param("bias", nn.initializers.zeros, (c,), self.param_dtype)
    running = self.variable("batch_stats", "running_var", lambda: jnp.ones((c,), jnp.float32))
    buffer = self.variable("batch_stats", "buffer_x2", lambda: jnp.zeros((w, c), jnp.float32))
    it = self.variable("batch_stats", "iter", lambda: jnp.zeros((), jnp.float32))  # float: state may be averaged
    skips = self.variable("batch_stats", "skips", lambda: jnp.zeros((), jnp.float32))
    xf = jnp.asarray(x, jnp.float32)
    if self.use_running_average:
      return (xf * jax.lax.rsqrt(running.value + self.epsilon) * scale + bias).astype(self.dtype or x.dtype)
    x2 = jnp.mean(xf.reshape(-1, c) ** 2, 0)
    t = it.value + 1
    slot = jnp.asarray(jnp.mod(t, w), jnp.int32)
    old = jax.lax.stop_gradient(buffer.value)
    recorded = jnp.var(jnp.sqrt(old), ddof=1) if w > 1 else jnp.zeros(())   # one scalar over the whole window
    new_buf = old.at[slot].set(x2)   # the current statistic enters the window differentiably
    skip = jnp.asarray(w <= 1)
    if self.outlier_filtration:
      nb = jax.lax.stop_gradient(new_buf)
      am = nb.mean(0)
      gm = jnp.exp(jnp.mean(jnp.log(jnp.maximum(nb, 1e-30)), 0))
      outlier = jnp.logical_and(t >= self.warmup_iters, jnp.any(am - gm > recorded * w))
      new_buf = jnp.where(outlier, old.at[slot].set(running.value), new_buf)
      skip = jnp.logical_or(skip, outlier)
    else:
      outlier = jnp.asarray(False)
    smoothed = jnp.exp(jnp.mean(jnp.log(jnp.maximum(new_buf, 1e-30)), 0))
    use_batch = jnp.logical_or(jnp.logical_or(t <= w, t < self.warmup_iters), skip)
    var = jnp.where(use_batch, x2, smoothed)
    y = xf * jax.lax.rsqrt(var + self.epsilon) * scale + bias
    if not self.is_initializing():
      sv = jax.lax.stop_gradient(var)
      running.value = self.momentum * running.value + (1 - self.momentum) * sv
      buffer.value = jax.lax.stop_gradient(new_buf)
      it.value = t
      skips.value = skips.value + outlier.astype(jnp.float32)
    return y.astype(self.dtype or x.dtype)


def fold_into_dense(norm_params, norm_stats, kernel, dense_bias=None, epsilon: float = 1e-5):
  """The dense layer equal to ``Dense(UnifiedNorm_eval(x))``: ``(kernel', bias')`` with
  ``kernel' = (scale / sqrt(running_var + eps))[:, None] * kernel`` (over the kernel's input axis 0, any
  output shape) and ``bias' = bias_norm @ kernel + dense_bias``."""
  a = jnp.asarray(norm_params["scale"], jnp.float32) * jax.lax.rsqrt(jnp.asarray(norm_stats["running_var"]) + epsilon)
  k = jnp.asarray(kernel, jnp.float32)
  if k.shape[0] != a.shape[0]:
    raise ValueError(f"fold_into_dense: kernel's input axis {k.shape[0]} != the norm's channels {a.shape[0]}")
  folded = a.reshape((-1,) + (1,) * (k.ndim - 1)) * k
  b = jnp.tensordot(jnp.asarray(norm_params["bias"], jnp.float32), k, axes=(0, 0))
  if dense_bias is not None:
    b = b + jnp.asarray(dense_bias, jnp.float32)
  return folded, b
