"""Embedding models and proxy / margin heads for deep metric learning.

:class:`EmbeddingNet` maps an input to an embedding ``[B, embed_dim]`` through an MLP trunk (flattened
input) or a small CNN (images ``[B, H, W, C]``), and owns one learnable proxy per class (``proxies
[num_classes, embed_dim]``, sharded over the ``"model"`` mesh axis for many classes). Its outputs, per the
loss's declared input kind (:data:`lbrl.registry.INPUT_KINDS`):

* ``return_embeddings=True``: the embedding ``[B, D]`` (pair losses: :mod:`lbrl.losses.metric`);
* ``return_hidden=True``: ``(embedding [B, D], proxies [C, D])`` (proxy / margin losses: normalised
  softmax, CosFace, ArcFace, AdaFace, UNPG, CE + OPL); the embedding keeps its norm (AdaFace reads it);
* ``return_aux=True`` (a model with a ``decoder``): ``(logits, (embedding, proxies, reconstruction error
  [B]))``, the squared error ``||x - dec(z)||^2`` (summed over the input) of an MLP decoder ``embed_dim -> decoder... -> input`` (an autoencoder's
  latent space, as ClusterNet's: :func:`lbrl.losses.metric.clusternet_autoencoder`);
* default: ``embedding @ l2_normalize(proxies).T``, whose arg-max is the nearest proxy by cosine.

:class:`lbrl.losses.metric.MarginHead` is the insightface-style module for user code: it owns the proxies and returns the
per-example margin loss given the labels (``kind``: normalized_softmax | cosface | arcface | adaface | unpg),
or the cosine logits without labels.
"""
from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax.numpy as jnp

from lbrl.models.heads import l2_normalize



class EmbeddingNet(nn.Module):
  """Trunk -> linear embedding ``[B, embed_dim]``, plus class proxies ``[num_classes, embed_dim]``.

  trunk: ``"mlp"`` (ReLU layers of ``hidden`` on the flattened input) or ``"cnn"`` (conv layers of
  ``channels``, 3x3, stride 2, ReLU, global average pool; images ``[B, H, W, C]`` or ``[B, H, W]``).
  ``relu_features``: a ReLU on the embedding (OPL's features are post-ReLU: the paper's penultimate layer).
  ``decoder``: hidden widths of an MLP decoder back to the flattened input (``None``: no decoder); used only
  with ``return_aux=True``.
  """
  num_classes: int | None = None
  embed_dim: int = 32
  trunk: str = "mlp"
  hidden: Sequence[int] = (256, 256)
  channels: Sequence[int] = (32, 64)
  relu_features: bool = False
  decoder: Sequence[int] | None = None
  dtype: str = "float32"
  param_dtype: str = "float32"

  @nn.compact
  def __call__(self, x, *, train: bool = False, return_embeddings: bool = False, return_hidden: bool = False,
               return_aux: bool = False):
    if self.trunk not in ("mlp", "cnn"):
      raise ValueError(f"EmbeddingNet: trunk must be 'mlp' or 'cnn', got {self.trunk!r}")
    if self.num_classes is None:
      raise ValueError("EmbeddingNet.num_classes is unset: give model.num_classes or a dataset with class labels")
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype)
    x = jnp.asarray(x, self.dtype)
    target = x.reshape(x.shape[0], -1)
    if self.trunk == "mlp":
      x = x.reshape(x.shape[0], -1)
      for width in self.hidden:
        x = nn.relu(nn.Dense(width, **kw)(x))
    else:
      if x.ndim == 3:
        x = x[..., None]
      if x.ndim != 4:
        raise ValueError(f"EmbeddingNet(trunk='cnn'): x must be [B, H, W(, C)], got shape {x.shape}")
      for ch in self.channels:
        x = nn.relu(nn.Conv(ch, (3, 3), strides=(2, 2), **kw)(x))
      x = jnp.mean(x, axis=(1, 2))
    z = nn.Dense(self.embed_dim, name="embed", **kw)(x)
    if self.relu_features:
      z = nn.relu(z)
    proxies = self.param("proxies", nn.initializers.normal(1.0), (self.num_classes, self.embed_dim),
                         self.param_dtype).astype(self.dtype)
    error = None
    if self.decoder is not None:    # built in every call, so that init creates its parameters
      r = z
      for width in self.decoder:
        r = nn.relu(nn.Dense(width, **kw)(r))
      r = nn.Dense(target.shape[-1], name="reconstruction", **kw)(r)
      error = jnp.sum(jnp.square(r.astype(jnp.float32) - target.astype(jnp.float32)), -1)
    if return_embeddings:
      return z
    if return_hidden:
      return z, proxies
    logits = z @ l2_normalize(proxies).T
    if return_aux:
      if error is None:
        raise ValueError("EmbeddingNet(return_aux=True) needs a decoder (model.decoder: hidden widths)")
      return logits, (z, proxies, error)
    return logits

  @classmethod
  def sharding_rules(cls):
    """Class proxies split over the ``"model"`` axis (many classes), trunk kernels over ``"fsdp"``."""
    return [(r".*proxies", ("model", None)), (r"Dense_\d+/kernel", (None, "fsdp"))]
