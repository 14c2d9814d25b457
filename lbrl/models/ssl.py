"""Self-supervised networks: encoder -> projector -> (predictor), applied to every view of a batch.

    features  h_v = f(x_v)                     (encoder: an MLP on the flattened view; ``hidden`` widths, ReLU)
                                               (``encoder="resnet50"``: a ResNet-50 trunk, the papers' encoder)
    embedding z_v = g(h_v)                     (projector: Linear - BatchNorm - ReLU - Linear, BYOL/SimCLR)
    output    q_v = q(z_v)  or z_v             (predictor of the same form, BYOL; none when ``predictor=()``)

Inputs: ``x [B, V, ...]`` (V views, e.g. from the ``two_view`` transform) or ``x [B, ...]`` (one view,
e.g. an un-augmented eval split; it is then used as two identical views, so the losses stay defined and
the eval loss measures the pairs' agreement without augmentation). ``example_rank`` is the number of
axes of one view (1 for MNIST-1D's 40 samples, 2 for 8x8 digits).

Calls: default / ``return_embeddings=True``: ``[B, V, D]`` (through the predictor unless
``use_predictor=False``, which the EMA target uses: BYOL's target has no predictor);
``return_features=True``: the encoder's features ``[B, F]`` of a single-view input (or ``[B, V, F]``),
what linear probes and kNN read (:mod:`lbrl.evaluation.ssl`). With ``learn_temperature`` /
``learn_bias`` the embeddings come back as ``{"embeddings", "log_temperature", "bias"}`` for the
SigLIP / CLIP losses (:mod:`lbrl.losses.contrastive`). ``predictor_output="both"`` returns
``{"embeddings": z, "predictions": q(z)}`` (Sy-CON's predictor beside the projections). ``input_channel=c`` reads only channel ``c`` of a
multi-channel view (one modality of a paired input: Radical's radar and camera channels). ``shared=False`` gives view 1 its own encoder
(a second modality, e.g. SigLIP's text tower on paired data).

Defaults: ``hidden=(256, 256)``, ``projector=(256, 64)``, ``predictor=()``, ``batch_norm=True``,
``normalize=False``; SigLIP's ``temperature=10``, ``bias=-10`` (log t learnt when ``learn_temperature``).
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import flax.linen as nn
import jax.numpy as jnp

from lbrl.models import _layers as L


def per_view(encode, x, example_rank: int):
  """A shared encoder's features of every view: ``encode([N, ...]) -> [N, F]`` applied to the single
  view ``x [B, ...]`` (``example_rank`` axes per view) -> ``[B, F]``, or to the flattened views of
  ``x [B, V, ...]`` -> ``[B, V, F]``: the ``return_features`` call of the SSL networks."""
  if jnp.ndim(x) == example_rank + 1:
    return encode(x)
  b, v = x.shape[:2]
  return encode(x.reshape((b * v,) + x.shape[2:])).reshape(b, v, -1)


class MlpHead(nn.Module):
  """Linear - BatchNorm - ReLU - ... - Linear (the projector and predictor of BYOL/SimCLR)."""
  widths: Sequence[int]
  batch_norm: bool = True
  dtype: Any = jnp.float32
  param_dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype)
    for i, w in enumerate(self.widths[:-1]):
      x = L.Dense(w, name=f"dense_{i}", **kw)(x)
      if self.batch_norm:
        x = nn.BatchNorm(use_running_average=not train, momentum=0.9, name=f"bn_{i}", **kw)(x)
      x = nn.relu(x)
    return L.Dense(self.widths[-1], name="out", **kw)(x)


class Encoder(nn.Module):
  hidden: Sequence[int]
  dtype: Any = jnp.float32
  param_dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype)
    x = jnp.asarray(x, self.dtype).reshape(x.shape[0], -1)
    for i, h in enumerate(self.hidden):
      x = nn.relu(L.Dense(h, name=f"dense_{i}", **kw)(x))
    return x


def _encoder(kind, hidden, name, kw):
  if kind == "mlp":
    return Encoder(tuple(hidden), name=name, **kw)
  if kind == "resnet50":  # ResNet-50 trunk + a linear map to hidden[-1] features (2048 in the papers)
    from lbrl.models.zoo import ResNet50
    return ResNet50(num_classes=int(hidden[-1]), name=name, **kw)
  raise ValueError(f"SSLNet.encoder must be 'mlp' or 'resnet50', got {kind!r}")


class SSLNet(nn.Module):
  """Encoder, projector and optional predictor over views (see the module docstring)."""
  encoder: str = "mlp"
  hidden: Sequence[int] = (256, 256)
  projector: Sequence[int] = (256, 64)
  predictor: Sequence[int] = ()
  batch_norm: bool = True
  normalize: bool = False
  shared: bool = True
  example_rank: int = 1
  learn_temperature: bool = False
  temperature: float = 10.0
  learn_bias: bool = False
  bias: float = -10.0
  predictor_output: str = "replace"
  input_channel: int = -1
  dtype: Any = jnp.float32
  param_dtype: Any = jnp.float32

  def _views(self, x):
    x = jnp.asarray(x)
    if x.ndim == self.example_rank + 2:
      return x
    if x.ndim == self.example_rank + 1:
      return jnp.stack([x, x], axis=1)
    raise ValueError(f"SSLNet: x must be [batch, views, ...] or [batch, ...] with {self.example_rank} axes per "
                     f"view (example_rank), got shape {x.shape}")

  @nn.compact
  def __call__(self, x, *, train: bool = False, return_embeddings: bool = False, return_features: bool = False,
               use_predictor: bool = True):
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype)
    if self.input_channel >= 0:   # one modality of a multi-channel input [..., C] (example_rank counts C)
      x = jnp.asarray(x)[..., self.input_channel:self.input_channel + 1]
    if self.temperature <= 0:
      raise ValueError(f"SSLNet.temperature must be > 0, got {self.temperature}")
    enc_a = _encoder(self.encoder, self.hidden, "encoder", kw)
    enc_b = enc_a if self.shared else _encoder(self.encoder, self.hidden, "encoder_b", kw)
    if return_features:
      if self.shared:
        return per_view(lambda xv: enc_a(xv, train=train), x, self.example_rank)
      single = jnp.ndim(x) == self.example_rank + 1
      xv = x[:, None] if single else x
      h = jnp.stack([(enc_a if v == 0 else enc_b)(xv[:, v], train=train) for v in range(xv.shape[1])], 1)
      return h[:, 0] if single else h
    xv = self._views(x)
    b, v = xv.shape[:2]
    if self.shared:
      h = enc_a(xv.reshape(b * v, *xv.shape[2:]), train=train).reshape(b, v, -1)
    else:
      h = jnp.stack([(enc_a if i == 0 else enc_b)(xv[:, i], train=train) for i in range(v)], 1)
    proj = MlpHead(tuple(self.projector), self.batch_norm, name="projector", **kw)
    z = proj(h.reshape(b * v, -1), train=train)
    if self.predictor_output not in ("replace", "both"):
      raise ValueError(f"SSLNet.predictor_output must be 'replace' or 'both', got {self.predictor_output!r}")
    pred = MlpHead(tuple(self.predictor), self.batch_norm, name="predictor", **kw) if self.predictor else None
    if pred is not None and (use_predictor or self.is_initializing()):
      q = pred(z, train=train)
      if self.predictor_output == "both" and use_predictor:
        return {"embeddings": z.reshape(b, v, -1).astype(jnp.float32),
                "predictions": q.reshape(b, v, -1).astype(jnp.float32)}
      z = q if use_predictor else z
    z = z.reshape(b, v, -1).astype(jnp.float32)
    if self.normalize:
      z = z * (1.0 / jnp.sqrt(jnp.maximum(jnp.sum(z * z, -1, keepdims=True), 1e-12)))
    if not (self.learn_temperature or self.learn_bias):
      return z
    out = {"embeddings": z}
    if self.learn_temperature:
      out["log_temperature"] = self.param("log_temperature", nn.initializers.constant(math.log(self.temperature)),
                                          (), jnp.float32)
    if self.learn_bias:
      out["bias"] = self.param("bias", nn.initializers.constant(self.bias), (), jnp.float32)
    return out
