"""The MLP of the grokking experiments on one-hot operands (Prieto et al., "Grokking at the Edge of
Numerical Stability", ICLR 2025, arXiv:2501.04697, catalog slug ``stablemax``; its released ``models.MLP``
with ``use_embedding=False`` and ``bias=False``).

Each of the first ``num_inputs`` integer tokens ``x[:, t]`` (the operands ``a, b`` of ``a op b = c``) is
one-hot encoded over ``num_values`` values; the one-hots are concatenated (``num_inputs * num_values``
inputs) and fed to ReLU layers of widths ``hidden`` and a linear output layer. The first layer is computed
as a gather of rows of its kernel (``onehot(x) @ W == sum_t W[t * num_values + x_t]``), which is the same
function and gradient as the matmul on the one-hot vector at a fraction of the cost.

``weight_init="torch"`` draws every kernel (and bias) from ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``,
PyTorch's ``nn.Linear`` default that the paper's runs use; ``weight_init="lecun"`` is Flax's default
(truncated normal with variance ``1/fan_in``, about 1.7 times larger per layer). The scale of the initial
weights sets the initial logit scale, which the paper's account of grokking depends on.
"""
from __future__ import annotations

import math
from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp


INITS = ("torch", "lecun")


def torch_uniform(fan_in: int):
  """PyTorch's ``nn.Linear`` initialiser: ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` (kernels and biases)."""
  bound = 1.0 / math.sqrt(fan_in)
  return lambda key, shape, dtype=jnp.float32: jax.random.uniform(key, shape, dtype, -bound, bound)


class OneHotMLP(nn.Module):
  """``[B, T]`` integer tokens -> logits ``[B, num_classes]`` through one-hot(x[:, :num_inputs]) and an MLP.

  Default (p = 113 modular arithmetic, the paper's): 226-200-200-113, no biases, 107,800 parameters.
  """
  num_classes: int | None = None
  num_values: int | None = None    # one-hot size per input; None: num_classes (operands mod p)
  num_inputs: int = 2
  hidden: Sequence[int] = (200, 200)
  use_bias: bool = False
  weight_init: str = "torch"
  dtype: str = "float32"
  param_dtype: str = "float32"

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    if self.weight_init not in INITS:
      raise ValueError(f"onehot_mlp: weight_init must be one of {INITS}, got {self.weight_init!r}")
    if x.ndim != 2 or x.shape[1] < self.num_inputs:
      raise ValueError(f"onehot_mlp: x must be integer tokens [batch, >= {self.num_inputs}], got {x.shape}")
    values = self.num_values or self.num_classes
    fan_in = self.num_inputs * values
    like_torch = self.weight_init == "torch"
    kernel_init = lambda fan: torch_uniform(fan) if like_torch else nn.initializers.lecun_normal()
    bias_init = lambda fan: torch_uniform(fan) if like_torch else nn.initializers.zeros
    widths = list(self.hidden) + [self.num_classes]
    w = self.param("embed_kernel", kernel_init(fan_in), (fan_in, widths[0]), self.param_dtype)
    rows = x[:, :self.num_inputs].astype(jnp.int32) + values * jnp.arange(self.num_inputs, dtype=jnp.int32)
    h = jnp.sum(jnp.take(w, rows, axis=0), axis=1).astype(self.dtype)
    if self.use_bias:
      h = h + self.param("embed_bias", bias_init(fan_in), (widths[0],), self.param_dtype).astype(self.dtype)
    for i, width in enumerate(widths[1:]):
      h = nn.relu(h)
      h = nn.Dense(width, use_bias=self.use_bias, kernel_init=kernel_init(widths[i]),
                   bias_init=bias_init(widths[i]), dtype=self.dtype, param_dtype=self.param_dtype)(h)
    return h

