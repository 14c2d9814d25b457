"""Vision Transformer (Dosovitskiy et al., "An Image is Worth 16x16 Words", 2020, arXiv:2010.11929),
ViT-Tiny widths (Touvron et al., DeiT, 2020, arXiv:2012.12877) with small patches for 32x32 images.

    z_0 = [cls; patches(x) W_e] + P            (non-overlapping p x p patches, learned positions P)
    z_l = z_{l-1} + MSA(LN(z_{l-1})),  z_l = z_l + MLP(LN(z_l))      l = 1..depth   (pre-LN)
    logits = LN(z_L)[cls] W_head               (or the mean over patch tokens with pool="mean")

Hyperparameters (defaults): ``num_classes`` (None: from the dataset), ``patch_size=4``, ``width=192``,
``depth=12``, ``num_heads=3``, ``mlp_dim=768``, ``pool="cls"``, ``dropout=0.0``; ``norm="layer"``,
``placement="pre"``, ``residual_scale=1.0``, ``norm_options=()`` (further fields of every norm layer, e.g.
``{"warmup_iters": 4000}`` for ``norm="power"``) as in :class:`lbrl.models.transformer.TransformerLM`. The position table is
sized from the input at ``init`` (``(H/p) * (W/p) + 1`` tokens).

Parameter count at the defaults on 32x32x3 inputs with 10 classes: patch embedding 4*4*3*192 + 192,
cls 192, positions 65*192, 12 blocks of 12*192^2 + 13*192, final LayerNorm 2*192, head 192*10 + 10:
**5,362,762**.
"""
from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax.numpy as jnp

from lbrl.models import _layers as L
from lbrl.models import norm as N


class ViT(nn.Module):
  """ViT classifier: ``x [B, H, W, C]`` -> logits ``[B, num_classes]``."""
  num_classes: int | None = None
  patch_size: int = 4
  width: int = 192
  depth: int = 12
  num_heads: int = 3
  mlp_dim: int = 768
  pool: str = "cls"
  dropout: float = 0.0
  dtype: Any = jnp.float32
  param_dtype: Any = jnp.float32
  norm: str = "layer"
  placement: str = "pre"
  residual_scale: Any = 1.0
  norm_options: Any = ()       # extra norm-layer fields (lbrl.models.norm.make_norm's options)

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    if self.num_classes is None:
      raise ValueError("ViT.num_classes is unset: give model.num_classes or a dataset with class labels")
    if self.pool not in ("cls", "mean"):
      raise ValueError(f"ViT.pool must be 'cls' or 'mean', got {self.pool!r}")
    if x.ndim == 3:
      x = x[..., None]
    if x.ndim != 4 or x.shape[1] % self.patch_size or x.shape[2] % self.patch_size:
      raise ValueError(f"ViT expects images [batch, H, W, C] with H and W divisible by patch_size="
                       f"{self.patch_size}, got shape {x.shape}")
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype)
    p = self.patch_size
    x = L.Conv(self.width, (p, p), strides=(p, p), padding="VALID", name="patch_embed", **kw)(
        jnp.asarray(x, self.dtype))
    b = x.shape[0]
    x = x.reshape(b, -1, self.width)
    cls = self.param("cls", nn.initializers.zeros, (1, 1, self.width), self.param_dtype)
    x = jnp.concatenate([jnp.zeros_like(x[:, :1]) + jnp.asarray(cls, self.dtype), x], axis=1)  # keeps x's layout
    pos = self.param("pos_embed", nn.initializers.normal(0.02), (x.shape[1], self.width), self.param_dtype)
    x = x + jnp.asarray(L.gather(pos), self.dtype)[None]
    x = nn.Dropout(self.dropout)(x, deterministic=not train)
    alpha = N.residual_scale_value(self.residual_scale, 2 * self.depth)
    options = N.norm_options(self.norm_options)
    for i in range(self.depth):
      x = L.Block(self.num_heads, mlp_dim=self.mlp_dim, use_bias=True, dropout=self.dropout, norm=self.norm,
                  placement=self.placement, residual_scale=alpha, norm_options=options, name=f"block_{i}",
                  **kw)(x, train=train)
    if self.placement != "post":
      x = N.make_norm(self.norm, train=train, name="ln_f", options=options, **kw)(x)
    x = x[:, 0] if self.pool == "cls" else jnp.mean(x[:, 1:], axis=1)
    return L.Dense(self.num_classes, kernel_init=nn.initializers.zeros, name="head", **kw)(x)

  @classmethod
  def sharding_rules(cls) -> list[tuple[str, tuple]]:
    """Megatron blocks over ``"model"``, FSDP storage over ``"fsdp"``."""
    return [
        (r".*patch_embed/kernel", (None, None, None, "fsdp")),
        (r".*pos_embed", (None, "fsdp")),
        (r".*head/kernel", ("fsdp", None)),
    ] + L.block_sharding_rules()
