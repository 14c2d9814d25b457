"""Two towers for weakly supervised face naming (SECLA, slug ``weakly_supervised_face_naming``): a face
encoder (an MLP on the face crop's pixels; the paper uses frozen FaceNet features and a projection) and a
name embedding table (the paper uses frozen BERT features of the names and a one-layer projection),
both projected to ``embed_dim``. Input: the packed bags of :mod:`lbrl.data.ssl_faces`
(``[B, slots, P + 2]``). Output (``return_embeddings=True``): ``{"faces", "names", "face_mask",
"name_mask"}`` for :func:`lbrl.losses.contrastive.secla`; ``return_features=True``: the face
embeddings of every slot ``[B, slots, D]``."""
from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax.numpy as jnp


class FaceNameTowers(nn.Module):
  num_names: int = 10
  hidden: Sequence[int] = (256,)
  embed_dim: int = 64

  @nn.compact
  def __call__(self, x, *, train: bool = False, return_embeddings: bool = False, return_features: bool = False,
               use_predictor: bool = True):
    x = jnp.asarray(x, jnp.float32)
    if x.ndim != 3:
      raise ValueError(f"FaceNameTowers: x must be packed bags [batch, slots, pixels + 2], got shape {x.shape}")
    pixels, present, name_id = x[..., :-2], x[..., -2] > 0, x[..., -1].astype(jnp.int32)
    h = pixels
    for i, w in enumerate(self.hidden):
      h = nn.relu(nn.Dense(w, name=f"face_{i}")(h))
    faces = nn.Dense(self.embed_dim, name="face_proj")(h)
    if return_features:
      return faces
    table = nn.Embed(self.num_names, self.embed_dim, name="names")
    names = nn.Dense(self.embed_dim, name="name_proj")(table(jnp.maximum(name_id, 0)))
    return {"faces": faces, "names": names, "face_mask": present, "name_mask": name_id >= 0}
