"""Small models for tabular and 1-D sequence data: logistic regression, MLP, 1-D CNN, GRU.

The MNIST-1D baselines follow the reference models of the MNIST-1D paper (Greydanus & Kobak, "Scaling
Down Deep Learning with MNIST-1D", 2020/2024, arXiv:2011.14439): an MLP with two hidden layers of
100 units, a 3-layer 1-D CNN with 25 channels, and a bidirectional GRU with 6 hidden units whose
outputs at every time step feed the classifier.

Every model takes ``x`` ``[B, ...]`` and returns logits ``[B, num_classes]``; ``num_classes`` is filled
from the dataset by the trainer when the config leaves it unset.
"""
from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax.numpy as jnp

from lbrl.models import heads

_ACTIVATIONS = {"relu": nn.relu, "gelu": nn.gelu, "tanh": jnp.tanh, "silu": nn.silu}


def _activation(name: str):
  if name not in _ACTIVATIONS:
    raise ValueError(f"unknown activation {name!r}; known: {sorted(_ACTIVATIONS)}")
  return _ACTIVATIONS[name]


class LogReg(nn.Module):
  """Multinomial logistic regression: ``logits = W flatten(x) + b``. Parameters: (D + 1) * C."""
  num_classes: int | None = None
  dtype: str = "float32"
  param_dtype: str = "float32"

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    x = x.reshape(x.shape[0], -1).astype(self.dtype)
    return nn.Dense(self.num_classes, dtype=self.dtype, param_dtype=self.param_dtype)(x)



class MLP(nn.Module):
  """Multi-layer perceptron on the flattened input.

  Default (MNIST-1D, 40 inputs, 10 classes): 40-100-100-10 with ReLU, 15,210 parameters.
  """
  num_classes: int | None = None
  hidden: Sequence[int] = (100, 100)
  activation: str = "relu"
  dtype: str = "float32"
  param_dtype: str = "float32"

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    act = _activation(self.activation)
    x = x.reshape(x.shape[0], -1).astype(self.dtype)
    for width in self.hidden:
      x = act(nn.Dense(width, dtype=self.dtype, param_dtype=self.param_dtype)(x))
    return nn.Dense(self.num_classes, dtype=self.dtype, param_dtype=self.param_dtype)(x)

  @classmethod
  def sharding_rules(cls):
    """FSDP: shard each hidden kernel's output dimension."""
    return [(r"Dense_\d+/kernel", (None, "fsdp"))]


class CNN1D(nn.Module):
  """1-D CNN: ``depth`` conv layers (stride 2, padding 1), ReLU, flatten, linear classifier.

  Default (MNIST-1D): kernels 5, 3, 3 with 25 channels; 40 -> 19 -> 10 -> 5 positions, so the
  classifier sees 125 features; 5,210 parameters. ``head="cosine"`` replaces the linear classifier by
  :class:`lbrl.models.heads.CosineHead` (outputs ``cos(theta_k)`` in ``[-1, 1]``, no bias: LDAM-DRW's
  normalised classifier, to pair with a loss that scales them, e.g. ``ldam(scale=30)``).
  """
  num_classes: int | None = None
  channels: int = 25
  kernel_sizes: Sequence[int] = (5, 3, 3)
  stride: int = 2
  head: str = "linear"
  dtype: str = "float32"
  param_dtype: str = "float32"

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    if x.ndim == 2:
      x = x[..., None]  # [B, L] -> [B, L, 1]
    x = x.astype(self.dtype)
    for k in self.kernel_sizes:
      x = nn.Conv(self.channels, (k,), strides=(self.stride,), padding=[(1, 1)], dtype=self.dtype,
                  param_dtype=self.param_dtype)(x)
      x = nn.relu(x)
    x = x.reshape(x.shape[0], -1)
    return heads.classifier(self.head, self.num_classes, self.dtype, self.param_dtype)(x)



class GRU(nn.Module):
  """(Bi-directional) GRU over the sequence; the hidden states of every step feed a linear classifier.

  Default (MNIST-1D, length 40): hidden 6, bidirectional, 5,110 parameters.
  """
  num_classes: int | None = None
  hidden: int = 6
  bidirectional: bool = True
  dtype: str = "float32"
  param_dtype: str = "float32"

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    if x.ndim == 2:
      x = x[..., None]
    x = x.astype(self.dtype)
    cell = lambda: nn.RNN(nn.GRUCell(self.hidden, dtype=self.dtype, param_dtype=self.param_dtype))
    h = nn.Bidirectional(cell(), cell())(x) if self.bidirectional else cell()(x)
    return nn.Dense(self.num_classes, dtype=self.dtype, param_dtype=self.param_dtype)(
        h.reshape(h.shape[0], -1))

