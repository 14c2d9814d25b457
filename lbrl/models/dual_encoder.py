"""Dual encoder for paired data (two towers, in-batch similarity logits), as in CLIP (Radford et al.,
2021, arXiv:2103.00020) and DEXML (Gupta et al., 2023, arXiv:2310.10636, catalog slug ``dexml``).

    z_a = normalize(f_a(x_a)),  z_b = normalize(f_b(x_b))        (unit L2 norm, dimension embed_dim)
    logits[i, j] = exp(s) * <z_a[i], z_b[j]>                     (s learnable, init log(1/temperature))

so ``logits`` is ``[B, B]`` and the matching pairs are on the diagonal: cross-entropy with labels
``arange(B)`` is InfoNCE. ``shared=True`` uses one tower for both sides (siamese, e.g. two augmented
views). Input: a pair ``(x_a, x_b)`` or an array ``[B, 2, ...]`` holding both sides.

Towers: ``tower="mlp"`` (inputs ``[B, F]``, flattened: Dense layers of ``hidden`` widths with ReLU,
then a linear projection to ``embed_dim``) or ``tower="transformer"`` (token ids ``[B, T]``: embedding,
learned positions, ``num_layers`` bidirectional pre-LN blocks, final LayerNorm, mean pooling, projection).

Hyperparameters (defaults): ``embed_dim=128``, ``tower="mlp"``, ``hidden=(256, 256)``, ``shared=False``,
``temperature=0.07``, ``learn_temperature=True``; transformer tower: ``vocab_size`` (None: from the
dataset), ``width=128``, ``num_layers=2``, ``num_heads=4``, ``max_len=64``.

Parameter count at the defaults on 40-feature inputs (MNIST-1D pairs): two towers of
(40*256 + 256) + (256*256 + 256) + (256*128 + 128) = 108,416 each, plus the logit scale: **216,833**.
``return_embeddings=True`` returns ``(z_a, z_b)`` instead of the logits.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import flax.linen as nn
import jax.numpy as jnp

from lbrl.models import _layers as L


class MlpTower(nn.Module):
  hidden: Sequence[int]
  embed_dim: int
  dtype: Any = jnp.float32
  param_dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype)
    x = jnp.asarray(x, self.dtype).reshape(x.shape[0], -1)
    for i, h in enumerate(self.hidden):
      x = nn.relu(L.Dense(h, name=f"dense_{i}", **kw)(x))
    return L.Dense(self.embed_dim, name="proj", **kw)(x)


class TransformerTower(nn.Module):
  vocab_size: int
  width: int
  num_layers: int
  num_heads: int
  max_len: int
  embed_dim: int
  dtype: Any = jnp.float32
  param_dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    if x.ndim != 2 or x.shape[1] > self.max_len:
      raise ValueError(f"transformer tower expects token ids [batch, time <= max_len={self.max_len}], "
                       f"got shape {x.shape}")
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype)
    h = L.Embed(self.vocab_size, self.width, name="embed", **kw)(x)
    pos = self.param("pos_embed", nn.initializers.normal(0.02), (self.max_len, self.width), self.param_dtype)
    h = h + jnp.asarray(L.gather(pos)[: x.shape[1]], self.dtype)[None]
    for i in range(self.num_layers):
      h = L.Block(self.num_heads, mlp_dim=4 * self.width, name=f"block_{i}", **kw)(h, train=train)
    h = nn.LayerNorm(use_bias=False, name="ln_f", **kw)(h)
    return L.Dense(self.embed_dim, use_bias=False, name="proj", **kw)(jnp.mean(h, axis=1))


class DualEncoder(nn.Module):
  """Two towers and in-batch similarity logits: ``(x_a, x_b)`` -> ``[B, B]``."""
  embed_dim: int = 128
  tower: str = "mlp"
  hidden: Sequence[int] = (256, 256)
  shared: bool = False
  temperature: float = 0.07
  learn_temperature: bool = True
  vocab_size: int | None = None
  width: int = 128
  num_layers: int = 2
  num_heads: int = 4
  max_len: int = 64
  dtype: Any = jnp.float32
  param_dtype: Any = jnp.float32

  def _tower(self, name):
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype, name=name)
    if self.tower == "mlp":
      return MlpTower(tuple(self.hidden), self.embed_dim, **kw)
    if self.tower == "transformer":
      if self.vocab_size is None:
        raise ValueError("DualEncoder.vocab_size is unset (needed by tower='transformer')")
      return TransformerTower(self.vocab_size, self.width, self.num_layers, self.num_heads, self.max_len,
                              self.embed_dim, **kw)
    raise ValueError(f"DualEncoder.tower must be 'mlp' or 'transformer', got {self.tower!r}")

  @nn.compact
  def __call__(self, x, *, train: bool = False, return_embeddings: bool = False):
    if isinstance(x, (tuple, list)):
      if len(x) != 2:
        raise ValueError(f"DualEncoder expects a pair (x_a, x_b), got {len(x)} items")
      xa, xb = x
    else:
      if x.ndim < 2 or x.shape[1] != 2:
        raise ValueError(f"DualEncoder expects a pair or an array [batch, 2, ...], got shape {x.shape}")
      xa, xb = x[:, 0], x[:, 1]
    if self.temperature <= 0:
      raise ValueError(f"DualEncoder.temperature must be > 0, got {self.temperature}")
    ta = self._tower("tower_a")
    tb = ta if self.shared else self._tower("tower_b")
    za, zb = ta(xa, train=train), tb(xb, train=train)
    norm = lambda z: z / jnp.sqrt(jnp.sum(jnp.square(z.astype(jnp.float32)), -1, keepdims=True) + 1e-12)
    za, zb = norm(za), norm(zb)
    if return_embeddings:
      return za, zb
    log_scale = math.log(1.0 / self.temperature)
    if self.learn_temperature:
      log_scale = self.param("log_scale", nn.initializers.constant(log_scale), (), jnp.float32)
    sim = L.dot_general(za, L.gather(zb, keep=()), (((1,), (1,)), ((), ())))
    return jnp.exp(log_scale) * sim

  @classmethod
  def sharding_rules(cls) -> list[tuple[str, tuple]]:
    """FSDP storage of the MLP towers' kernels over their output units, Megatron transformer blocks."""
    return [
        (r".*tower_./(dense_\d+|proj)/kernel", (None, "fsdp")),
        (r".*tower_./embed/embedding", ("model", "fsdp")),
        (r".*tower_./pos_embed", (None, "fsdp")),
    ] + L.block_sharding_rules()


class LabelDualEncoder(nn.Module):
  """A dual encoder for multi-label classification (DEXML's setting): a query tower (MLP) and one
  learned embedding per label (the label tower of a label set without text: an embedding table), both
  l2-normalised; ``logits [B, L] = exp(s) <q, e_l>`` with ``s`` learnable (init log(1/temperature)).
  Defaults: ``embed_dim=64``, ``hidden=(128, 128)``, ``temperature=0.05`` (a fixed scale of 20: lbrl's choice for
  unit-norm embeddings), ``learn_temperature=False``."""
  num_classes: int
  embed_dim: int = 64
  hidden: Sequence[int] = (128, 128)
  temperature: float = 0.05
  learn_temperature: bool = False
  dtype: Any = jnp.float32
  param_dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    if self.temperature <= 0:
      raise ValueError(f"LabelDualEncoder.temperature must be > 0, got {self.temperature}")
    q = MlpTower(tuple(self.hidden), self.embed_dim, dtype=self.dtype, param_dtype=self.param_dtype,
                 name="query_tower")(x.reshape(x.shape[0], -1), train=train)
    e = self.param("label_embeddings", nn.initializers.normal(1.0), (self.num_classes, self.embed_dim), self.param_dtype)
    norm = lambda z: z / jnp.sqrt(jnp.sum(jnp.square(z.astype(jnp.float32)), -1, keepdims=True) + 1e-12)
    log_scale = math.log(1.0 / self.temperature)
    if self.learn_temperature:
      log_scale = self.param("log_scale", nn.initializers.constant(log_scale), (), jnp.float32)
    return jnp.exp(log_scale) * norm(q) @ norm(e).T
