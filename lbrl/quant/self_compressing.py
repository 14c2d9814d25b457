"""Self-compressing networks: a differentiable quantizer with a learnable bit depth and exponent per output
channel, and a size penalty that removes channels and lowers the bits of the rest while training.

Cséfalvay and Imber, "Self-Compressing Neural Networks", 2023, arXiv:2301.13142, slug ``self_compressing``.
Each Dense kernel ``W [in, out]`` is used through

  q(W, b, e)_io = 2^e_o * round(clip(2^-e_o W_io, -2^(b_o - 1), 2^(b_o - 1) - 1))

with real ``b_o >= 0`` (bits) and ``e_o`` (exponent) per output channel, ``round`` straight-through (its
gradient 1), so that ``b`` and ``e`` get gradients through the clip bounds and the scale. A channel with
``b_o <= 0`` is all zeros and can be removed. The loss is ``task + gamma * Q`` with the network's size in
bits per weight ``Q = sum_l sum_o in_l max(b_lo, 0) / N`` (``N`` the number of kernel weights). The paper
initialises ``b = 2`` (CIFAR) and ``e = -8``; lbrl initialises ``b = b_init`` (default 8) and ``e`` from
the kernel's initial absmax per channel so that the initial quantizer is nearly lossless.

The zoo's losses see the outputs only, so :class:`SelfCompressingMLP` adds ``gamma * Q`` through its gradient:
the logits pass through :func:`size_penalty` (forward identity; backward adds ``gamma dQ/db`` to ``b``'s
cotangent), which gives every optimizer the gradient of ``task + gamma Q``; the logged loss is the task loss
and ``Q`` is measured after training by the ``self_compression`` analysis tool.
"""
from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from lbrl.quant.rounding import round_ste


def quantize(w, b, e):
  """``q(W, b, e)`` of the module docstring (``b``, ``e`` broadcast against ``w``'s last axis)."""
  b = jnp.maximum(b, 0.0)
  hi = 2.0 ** (b - 1.0)
  z = jnp.minimum(jnp.maximum(w * 2.0 ** -e, -hi), hi - 1.0)
  return 2.0 ** e * round_ste(z)


@jax.custom_vjp
def size_penalty(y, bits_tree, gamma, n_weights):
  """Forward ``y``; backward adds ``gamma * d(sum in_l max(b, 0)) / n_weights`` to ``bits_tree``'s cotangent
  (``bits_tree``: ``[(b [out], in_l), ...]``)."""
  return y


def _sp_fwd(y, bits_tree, gamma, n_weights):
  return y, (bits_tree, gamma, n_weights)


def _sp_bwd(res, g):
  bits_tree, gamma, n_weights = res
  grads = [(gamma * fan_in * (b > 0).astype(b.dtype) / n_weights, jnp.zeros_like(fan_in)) for b, fan_in in bits_tree]
  return g, grads, jnp.zeros_like(gamma), jnp.zeros_like(n_weights)


size_penalty.defvjp(_sp_fwd, _sp_bwd)


class SelfCompressingDense(nn.Module):
  """A Dense layer whose kernel goes through :func:`quantize` with learnable ``bits`` and ``exponent``."""
  features: int
  b_init: float = 8.0
  dtype: str = "float32"
  param_dtype: str = "float32"

  @nn.compact
  def __call__(self, x):
    kernel = self.param("kernel", nn.initializers.lecun_normal(), (x.shape[-1], self.features), self.param_dtype)
    bias = self.param("bias", nn.initializers.zeros, (self.features,), self.param_dtype)
    bits = self.param("bits", nn.initializers.constant(self.b_init), (self.features,), self.param_dtype)
    exponent = self.param(
        "exponent", lambda key, shape, dtype: initial_exponent(kernel, self.b_init).astype(dtype), (self.features,),
        self.param_dtype)
    w = quantize(kernel, bits, exponent)
    return (x.astype(self.dtype) @ w.astype(self.dtype)) + bias.astype(self.dtype), (bits, x.shape[-1])


def initial_exponent(kernel, b_init):
  """``e`` with ``2^e (2^(b-1) - 1) >= max |W|`` per output channel: the quantizer starts (nearly) lossless."""
  amax = jnp.maximum(jnp.max(jnp.abs(kernel), axis=0), 1e-8)
  return jnp.ceil(jnp.log2(amax / (2.0 ** (b_init - 1) - 1)))


class SelfCompressingMLP(nn.Module):
  """MLP of :class:`SelfCompressingDense` layers (``self_compressing_mlp``); ``gamma`` weighs the size term."""
  num_classes: int | None = None
  hidden: Sequence[int] = (256, 256)
  gamma: float = 0.01
  b_init: float = 8.0
  dtype: str = "float32"
  param_dtype: str = "float32"

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    if self.num_classes is None:
      raise ValueError("SelfCompressingMLP: num_classes is required")
    if self.gamma < 0:
      raise ValueError(f"SelfCompressingMLP: gamma must be >= 0, got {self.gamma}")
    x = x.reshape(x.shape[0], -1)
    bits, n = [], 0
    widths = [*self.hidden, self.num_classes]
    for i, width in enumerate(widths):
      fan_in = int(x.shape[-1])
      x, (b, _) = SelfCompressingDense(width, self.b_init, self.dtype, self.param_dtype)(x)
      bits.append((b, jnp.asarray(fan_in, jnp.float32)))
      n += width * fan_in
      if i < len(widths) - 1:
        x = nn.relu(x)
    return size_penalty(x, bits, jnp.asarray(self.gamma, jnp.float32), jnp.asarray(n, jnp.float32))


def compression_stats(params) -> dict[str, float]:
  """``{"bits_per_weight", "weights_remaining", "channels_remaining"}`` of a trained
  :class:`SelfCompressingMLP`'s parameters (a channel with ``b <= 0`` is removed; bits are ``max(b, 0)``,
  the paper's Q; the float32 bias and the per-channel ``b``, ``e`` are not counted, as in the paper)."""
  total_w = kept_w = bits = 0.0
  ch = kept_ch = 0
  for name, layer in params.items():
    if not isinstance(layer, dict) or "bits" not in layer:
      continue
    b = np.maximum(np.asarray(layer["bits"], np.float64), 0.0)
    fan_in = layer["kernel"].shape[0]
    total_w += b.size * fan_in
    kept_w += np.sum(b > 0) * fan_in
    bits += np.sum(b) * fan_in
    ch += b.size
    kept_ch += int(np.sum(b > 0))
  if not total_w:
    raise ValueError("compression_stats: no SelfCompressingDense layer in params")
  return {"bits_per_weight": bits / total_w, "weights_remaining": kept_w / total_w,
          "channels_remaining": kept_ch / ch}


def self_compression_tool(ctx) -> dict[str, float]:
  """The ``self_compression`` analysis tool: accuracy of the trained model on the batch, its size
  (:func:`compression_stats`) and the fraction of float32 bits kept (``bits_per_weight / 32``)."""
  logits = np.asarray(ctx.apply(ctx.params, ctx.x))
  acc = float(np.mean(np.argmax(logits, -1) == np.asarray(ctx.labels)))
  try:
    s = compression_stats(ctx.params)
  except ValueError:   # the float baseline arm: every weight in float32
    s = {"bits_per_weight": 32.0, "weights_remaining": 1.0, "channels_remaining": 1.0}
  return {"accuracy": acc, **s, "bits_fraction": s["bits_per_weight"] / 32.0}
