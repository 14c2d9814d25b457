"""Output heads that replace the final linear layer: distance ("harmonic") heads and the cosine head.

A :class:`CosineHead` (LDAM-DRW's ``NormedLinear``) outputs ``cos(theta_k)`` between the L2-normalised
feature and the L2-normalised weight vector of class ``k``; a loss scales it (``ldam(scale=30)``).

A :class:`HarmonicHead` keeps one learnable centre ``w_k`` per class and outputs the distances
``d_k = dist(x, w_k)`` instead of logits; train it with :func:`lbrl.losses.harmonic_loss` (the harmonic
max ``p_k ∝ d_k^-n``) and predict with ``argmin_k d_k`` (equivalently ``argmax`` of ``-d``).

Distances (``distance=``):

- ``euclidean``: ``||x - w||_2`` (the original harmonic loss);
- ``squared_euclidean``: ``||x - w||_2^2``;
- ``manhattan``: ``||x - w||_1``; ``chebyshev``: ``||x - w||_inf``; ``minkowski``: ``||x - w||_p``;
- ``cosine``: ``1 - <x, w> / (||x|| ||w||)``;
- ``bray_curtis``: ``sum |x - w| / sum |x + w|``;
- ``mahalanobis``: ``||L (x - w)||_2`` with a learned ``L`` (initialised to the identity), i.e. the
  metric ``M = L^T L``.

Papers: Baek et al., "Harmonic Loss Trains Interpretable AI Models", 2025, arXiv:2502.01628
(``harmonic_loss``); "Rethinking the Harmonic Loss via Non-Euclidean Distance Layers", 2026, arXiv:2603.10225
(``harmonic_loss_distances``).
"""
from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp


DISTANCES = ("euclidean", "squared_euclidean", "manhattan", "chebyshev", "minkowski", "cosine",
             "bray_curtis", "mahalanobis")


def l2_normalize(v, axis: int = -1, eps: float = 1e-12):
  """``v / max(||v||_2, eps)`` along ``axis`` (``torch.nn.functional.normalize``); a zero vector stays
  zero with a finite (zero) gradient, since the floor is applied to the squared norm before ``rsqrt``."""
  return v * jax.lax.rsqrt(jnp.maximum(jnp.sum(v * v, axis, keepdims=True), eps * eps))


def pairwise_distance(x, centres, distance: str, *, p: float = 3.0, metric=None, eps: float = 1e-12):
  """Distances between ``x [..., D]`` and every row of ``centres [C, D]`` -> ``[..., C]``.

  Square roots and ratios carry ``eps`` so that gradients stay finite at ``x = w`` (the loss's optimum).
  """
  if distance not in DISTANCES:
    raise ValueError(f"unknown distance {distance!r}; known: {', '.join(DISTANCES)}")
  if distance == "cosine":
    return 1.0 - l2_normalize(x, -1, eps) @ l2_normalize(centres, -1, eps).T   # 1 - CosineHead's output
  if distance in ("euclidean", "mahalanobis", "squared_euclidean"):
    if distance == "mahalanobis":
      x, centres = x @ metric.T, centres @ metric.T       # ||L (x - w)|| = ||L x - L w||
    # ||x - w||^2 = ||x||^2 - 2 x.w + ||w||^2: a matmul, no [..., C, D] difference tensor.
    sq = (jnp.sum(x * x, -1, keepdims=True) - 2.0 * x @ centres.T + jnp.sum(centres * centres, -1))
    sq = jnp.maximum(sq, 0.0)
    return sq if distance == "squared_euclidean" else jnp.sqrt(sq + eps)
  diff = x[..., None, :] - centres                       # [..., C, D]
  if distance == "manhattan":
    return jnp.sum(jnp.sqrt(diff * diff + eps), -1)
  if distance == "chebyshev":
    return jnp.max(jnp.sqrt(diff * diff + eps), -1)
  if distance == "minkowski":
    return (jnp.sum((diff * diff + eps) ** (p / 2), -1) + eps) ** (1.0 / p)
  total = jnp.abs(x[..., None, :] + centres)
  return jnp.sum(jnp.sqrt(diff * diff + eps), -1) / (jnp.sum(total, -1) + eps)


class HarmonicHead(nn.Module):
  """Distance head: ``[..., D] -> [..., num_classes]`` distances to learnable class centres."""
  num_classes: int
  distance: str = "euclidean"
  p: float = 3.0                      # Minkowski exponent
  dtype: str = "float32"
  param_dtype: str = "float32"

  @nn.compact
  def __call__(self, x):
    if self.distance not in DISTANCES:
      raise ValueError(f"HarmonicHead: unknown distance {self.distance!r}; known: {', '.join(DISTANCES)}")
    x = x.astype(self.dtype)
    dim = x.shape[-1]
    centres = self.param("centres", nn.initializers.normal(1.0), (self.num_classes, dim),
                         self.param_dtype).astype(self.dtype)
    metric = None
    if self.distance == "mahalanobis":
      metric = self.param("metric", lambda k, s, d: jnp.eye(s[0], dtype=d), (dim, dim),
                          self.param_dtype).astype(self.dtype)
    return pairwise_distance(x, centres, self.distance, p=self.p, metric=metric)


class CosineHead(nn.Module):
  """Cosine head: ``[..., D] -> [..., num_classes]``, ``out_k = <x, w_k> / (||x|| ||w_k||) = cos(theta_k)``.

  The ``NormedLinear`` classifier of LDAM-DRW (Cao et al., "Learning Imbalanced Datasets with
  Label-Distribution-Aware Margin Loss", NeurIPS 2019, arXiv:1906.07413; the authors'
  ``models/resnet_cifar.py``): the feature and each class's weight column ``kernel[:, k]`` are
  L2-normalised, so every output lies in ``[-1, 1]`` and the loss supplies the scale ``s`` (LDAM:
  ``s * (cos(theta_y) - Delta_y)``, ``s = 30``). No bias. ``kernel`` is ``[D, num_classes]`` like a
  ``Dense`` kernel; only its column directions matter.
  """
  num_classes: int
  eps: float = 1e-12
  dtype: str = "float32"
  param_dtype: str = "float32"

  @nn.compact
  def __call__(self, x):
    x = x.astype(self.dtype)
    kernel = self.param("kernel", nn.initializers.lecun_normal(), (x.shape[-1], self.num_classes),
                        self.param_dtype).astype(self.dtype)
    return l2_normalize(x, -1, self.eps) @ l2_normalize(kernel, 0, self.eps)


def classifier(head: str, num_classes: int, dtype, param_dtype):
  """The final layer a model's ``head`` field names: ``"linear"`` (``nn.Dense``, logits) or ``"cosine"``
  (:class:`CosineHead`, cosines in ``[-1, 1]``)."""
  if head == "linear":
    return nn.Dense(num_classes, dtype=dtype, param_dtype=param_dtype)
  if head == "cosine":
    return CosineHead(num_classes, dtype=dtype, param_dtype=param_dtype)
  raise ValueError(f"unknown head {head!r}; known: 'linear', 'cosine'")


def _trunk(x, hidden, vocab_size, embed_dim, dtype, param_dtype):
  """Optional token embedding (concatenated), then ReLU MLP layers."""
  if vocab_size is not None:
    x = nn.Embed(vocab_size, embed_dim, param_dtype=param_dtype)(x.astype(jnp.int32))
  x = x.reshape(x.shape[0], -1).astype(dtype)
  for width in hidden:
    x = nn.relu(nn.Dense(width, dtype=dtype, param_dtype=param_dtype)(x))
  return x


class EmbedMLP(nn.Module):
  """The same trunk as :class:`HarmonicMLP` with a linear (logit) head: the cross-entropy baseline of the
  harmonic-loss and grokking experiments (token inputs ``[B, T]`` when ``vocab_size`` is set)."""
  num_classes: int | None = None
  hidden: Sequence[int] = (100, 100)
  vocab_size: int | None = None
  embed_dim: int = 32
  dtype: str = "float32"
  param_dtype: str = "float32"

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    x = _trunk(x, self.hidden, self.vocab_size, self.embed_dim, self.dtype, self.param_dtype)
    return nn.Dense(self.num_classes, dtype=self.dtype, param_dtype=self.param_dtype)(x)



class HarmonicMLP(nn.Module):
  """MLP trunk (optionally with a token embedding) followed by a :class:`HarmonicHead`.

  Returns distances ``[B, num_classes]`` (``output="distance"``) or the harmonic logits
  ``-log(d + 1e-12)`` (``output="neg_log_distance"``, so that argmax-based metrics and the trainer's
  evaluation read them like logits; pair with ``harmonic_loss(..., inputs="neg_log_distances")``).
  With ``vocab_size`` set, integer inputs ``[B, T]`` are embedded
  (``embed_dim`` each) and concatenated, as in the modular-arithmetic grokking setups; otherwise the
  input is flattened. ``hidden=()`` gives the paper's linear-map + distance-layer model.
  """
  num_classes: int | None = None
  hidden: Sequence[int] = (100, 100)
  distance: str = "euclidean"
  p: float = 3.0
  vocab_size: int | None = None
  embed_dim: int = 32
  output: str = "distance"
  dtype: str = "float32"
  param_dtype: str = "float32"

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    if self.output not in ("distance", "neg_log_distance"):
      raise ValueError(f"HarmonicMLP: output must be 'distance' or 'neg_log_distance', got {self.output!r}")
    x = _trunk(x, self.hidden, self.vocab_size, self.embed_dim, self.dtype, self.param_dtype)
    d = HarmonicHead(self.num_classes, self.distance, self.p, self.dtype, self.param_dtype)(x)
    return d if self.output == "distance" else -jnp.log(jnp.maximum(d, 0.0) + 1e-12)

