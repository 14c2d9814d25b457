"""Object-level SSL network for 1-D signals (CrIBo's mechanism test, slug ``cribo``).

A signal ``[L]`` is split into ``segments`` contiguous "objects" (the stand-in for CrIBo's object masks,
which cluster a ViT's patch tokens); each object's samples, with a one-hot of its position, go through a
shared MLP encoder and projector to an object representation o [D]; a DINO-style head (l2-normalise,
then a linear map to ``prototypes`` logits) gives its prototype scores.

Outputs (default / ``return_embeddings=True``): ``{"embeddings": head logits [B, V, K, P], "objects":
o [B, V, K, D]}`` (loss :func:`lbrl.losses.contrastive.cribo`, and its EMA teacher through
``apply_kwargs=dict(return_embeddings=True)``); ``return_features=True``: the concatenated object
encodings of one view ``[B, K * H]`` (what the linear probe reads).
"""
from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax.numpy as jnp

from lbrl.models.ssl import per_view


class ObjectSSLNet(nn.Module):
  """Defaults: 4 segments, encoder (128,), projector (128, 32), 64 prototypes."""
  segments: int = 4
  hidden: Sequence[int] = (128,)
  projector: Sequence[int] = (128, 32)
  prototypes: int = 64

  def _objects(self, x):
    """x [N, L] -> encodings [N, K, H]."""
    n, length = x.shape
    if length % self.segments:
      raise ValueError(f"ObjectSSLNet: length {length} is not divisible by segments {self.segments}")
    seg = x.reshape(n, self.segments, length // self.segments)
    pos = jnp.broadcast_to(jnp.eye(self.segments), (n, self.segments, self.segments))
    h = jnp.concatenate([seg, pos], -1)
    for i, w in enumerate(self.hidden):
      h = nn.relu(nn.Dense(w, name=f"encoder_{i}")(h))
    return h

  @nn.compact
  def __call__(self, x, *, train: bool = False, return_embeddings: bool = False, return_features: bool = False,
               use_predictor: bool = True):
    x = jnp.asarray(x, jnp.float32)
    if return_features:
      return per_view(lambda xv: self._objects(xv).reshape(xv.shape[0], -1), x, 1)
    if x.ndim == 2:
      x = jnp.stack([x, x], axis=1)
    b, v, n = x.shape
    h = self._objects(x.reshape(b * v, n))
    for i, w in enumerate(self.projector[:-1]):
      h = nn.gelu(nn.Dense(w, name=f"projector_{i}")(h))
    o = nn.Dense(self.projector[-1], name="projector_out")(h)
    on = o / jnp.sqrt(jnp.sum(o * o, -1, keepdims=True) + 1e-12)
    logits = nn.Dense(self.prototypes, use_bias=False, name="prototypes")(on)
    return {"embeddings": logits.reshape(b, v, self.segments, -1), "objects": o.reshape(b, v, self.segments, -1)}
