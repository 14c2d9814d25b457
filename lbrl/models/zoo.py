"""The models of the papers' own runs: ResNet-50 (ImageNet), WideResNet-28-10 and PreActResNet-18
(CIFAR), ViT-S/16 and a GPT-2-small-sized decoder LM. The ``paper`` variants of the configs name them.

``resnet50`` (He, Zhang, Ren & Sun, "Deep Residual Learning for Image Recognition", CVPR 2016,
arXiv:1512.03385, Table 1): the ImageNet stem and bottleneck blocks::

    stem:        y = maxpool3x3_s2(relu(BN(conv7x7_s2_64(x))))
    bottleneck:  y = relu(x' + BN(conv1x1_4f(relu(BN(conv3x3_s(relu(BN(conv1x1_f(x)))))))))
                 x' = x, or BN(conv1x1_s_4f(x)) on a shape change (projection shortcut, option B)
    head:        logits = Dense(global_average_pool(y))

stages of (3, 4, 6, 3) blocks with f = 64, 128, 256, 512 (outputs 4f), stride 2 from the second stage
on, placed on the 3x3 convolution (the "ResNet v1.5" of the torchvision and MLPerf reference models,
which the papers here train). ``zero_init_residual`` starts each block's last BatchNorm scale at 0
(Goyal et al., 2017, arXiv:1706.02677), as large-batch ImageNet recipes do; default False (the 2016
paper). Parameters on 224 x 224 x 3 inputs, 1000 classes: **25,557,032** (the paper's "25.6M"; the
torchvision count). ``stage_sizes`` also gives ResNet-101 (3, 4, 23, 3) and ResNet-152 (3, 8, 36, 3).

``wide_resnet`` (Zagoruyko & Komodakis, "Wide Residual Networks", BMVC 2016, arXiv:1605.07146,
Table 1): WRN-d-k on 32 x 32 images, pre-activation basic blocks::

    stem:   y = conv3x3_16(x)
    block:  y = x' + conv3x3(dropout(relu(BN(conv3x3_s(relu(BN(x)))))))
            x' = x, or conv1x1_s(relu(BN(x))) on a shape change
    head:   logits = Dense(global_average_pool(relu(BN(y))))

three stages of n = (d - 4) / 6 blocks of widths 16k, 32k, 64k (stride 2 from the second stage).
Defaults ``depth=28``, ``widen=10``, ``dropout=0.0`` (the paper also reports 0.3). Parameters with 10
classes: **36,479,194** (the paper's "36.5M"); with 100 classes 36,536,884.

``vit_s16`` (Dosovitskiy et al., "An Image is Worth 16x16 Words", ICLR 2021, arXiv:2010.11929; the
"S" size from Touvron et al., DeiT, 2021, arXiv:2012.12877): :class:`lbrl.models.vit.ViT` with 16 x 16
patches, width 384, depth 12, 6 heads, MLP 1536. Parameters on 224 x 224 x 3, 1000 classes:
**22,050,664** (DeiT-S / timm ``vit_small_patch16_224``: "22M").

``gpt2_small`` (Radford et al., "Language Models are Unsupervised Multitask Learners", 2019, Table 2:
the 117M model, 124M when counted exactly): :class:`lbrl.models.transformer.TransformerLM` with 12
layers, 12 heads, width 768, learned positions over 1024 tokens, biases, tied embeddings, vocabulary
50,257. Parameters: 50257*768 + 1024*768 + 12*(12*768^2 + 13*768) + 2*768 = **124,439,808**.

Registered (declared in ``lbrl.registry``) as ``resnet50``, ``wide_resnet``, ``preact_resnet18``,
``vit_s16`` and ``gpt2_small``. Inputs ``[B, H, W, C]`` images (ResNet-50, WRN, ViT) or ``[B, T]``
token ids (GPT-2). Example::

    model = ResNet50(num_classes=1000)
    variables = model.init(jax.random.key(0), jnp.zeros((1, 224, 224, 3)))
    logits, state = model.apply(variables, x, train=True, mutable=["batch_stats"])
"""
from __future__ import annotations

from typing import Any, Sequence

import flax.linen as nn
import jax.numpy as jnp

from lbrl.models import _layers as L
from lbrl.models.transformer import TransformerLM
from lbrl.models.vit import ViT


def _bn(train: bool, name: str, scale_init=nn.initializers.ones, **kw):
  return nn.BatchNorm(use_running_average=not train, momentum=0.9, epsilon=1e-5, scale_init=scale_init,
                      name=name, **kw)


def _images(x, who: str):
  if x.ndim == 3:
    x = x[..., None]
  if x.ndim != 4:
    raise ValueError(f"{who} expects images [batch, height, width, channels], got shape {x.shape}")
  return x


class Bottleneck(nn.Module):
  """1x1 (f) -> 3x3 (f, stride s) -> 1x1 (4f), BatchNorm after each, projection shortcut on a shape change."""
  features: int
  strides: int = 1
  zero_init_residual: bool = False
  dtype: Any = jnp.float32
  param_dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype)
    conv = lambda f, k, s, name: L.Conv(f, (k, k), strides=(s, s), padding="SAME" if k > 1 else "VALID",
                                        use_bias=False, kernel_init=nn.initializers.he_normal(), name=name, **kw)
    out = 4 * self.features
    y = nn.relu(_bn(train, "bn1", **kw)(conv(self.features, 1, 1, "conv1")(x)))
    y = nn.relu(_bn(train, "bn2", **kw)(conv(self.features, 3, self.strides, "conv2")(y)))
    last = nn.initializers.zeros if self.zero_init_residual else nn.initializers.ones
    y = _bn(train, "bn3", scale_init=last, **kw)(conv(out, 1, 1, "conv3")(y))
    if x.shape[-1] != out or self.strides != 1:
      x = _bn(train, "proj_bn", **kw)(conv(out, 1, self.strides, "proj")(x))
    return nn.relu(x + y)


class ResNet50(nn.Module):
  """ImageNet ResNet-50 (bottleneck blocks, 7x7 stride-2 stem and max-pool): ``x [B, H, W, C]`` ->
  logits ``[B, num_classes]``. See the module docstring."""
  num_classes: int | None = None
  stage_sizes: Sequence[int] = (3, 4, 6, 3)
  width: int = 64
  zero_init_residual: bool = False
  dtype: Any = jnp.float32
  param_dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    if self.num_classes is None:
      raise ValueError("ResNet50.num_classes is unset: give model.num_classes or a dataset with class labels")
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype)
    x = jnp.asarray(_images(x, "ResNet50"), self.dtype)
    x = L.Conv(self.width, (7, 7), strides=(2, 2), padding=((3, 3), (3, 3)), use_bias=False,
               kernel_init=nn.initializers.he_normal(), name="stem", **kw)(x)
    x = nn.relu(_bn(train, "stem_bn", **kw)(x))
    x = nn.max_pool(x, (3, 3), strides=(2, 2), padding=((1, 1), (1, 1)))
    for i, n in enumerate(self.stage_sizes):
      for j in range(int(n)):
        x = Bottleneck(self.width * 2 ** i, strides=2 if (i > 0 and j == 0) else 1,
                       zero_init_residual=self.zero_init_residual, name=f"stage{i}_block{j}", **kw)(x, train=train)
    x = jnp.mean(x, axis=(1, 2))
    return L.Dense(self.num_classes, name="head", **kw)(x)

  @classmethod
  def sharding_rules(cls) -> list[tuple[str, tuple]]:
    """FSDP: convolution kernels stored split over output channels, the head over its input."""
    return [(r".*(stem|conv1|conv2|conv3|proj)/kernel", (None, None, None, "fsdp")),
            (r".*head/kernel", ("fsdp", None))]


class WideBlock(nn.Module):
  """Pre-activation basic block of a wide ResNet (BN-ReLU-conv3x3, dropout, BN-ReLU-conv3x3)."""
  features: int
  strides: int = 1
  dropout: float = 0.0
  dtype: Any = jnp.float32
  param_dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype)
    conv = lambda f, k, s, name: L.Conv(f, (k, k), strides=(s, s), padding="SAME" if k > 1 else "VALID",
                                        use_bias=False, kernel_init=nn.initializers.he_normal(), name=name, **kw)
    o = nn.relu(_bn(train, "bn1", **kw)(x))
    y = conv(self.features, 3, self.strides, "conv1")(o)
    y = nn.relu(_bn(train, "bn2", **kw)(y))
    y = nn.Dropout(self.dropout)(y, deterministic=not train)
    y = conv(self.features, 3, 1, "conv2")(y)
    if x.shape[-1] != self.features or self.strides != 1:
      x = conv(self.features, 1, self.strides, "proj")(o)
    return x + y


class WideResNet(nn.Module):
  """WRN-depth-widen for 32 x 32 images: ``x [B, H, W, C]`` -> logits ``[B, num_classes]``."""
  num_classes: int | None = None
  depth: int = 28
  widen: int = 10
  dropout: float = 0.0
  dtype: Any = jnp.float32
  param_dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    if self.num_classes is None:
      raise ValueError("WideResNet.num_classes is unset: give model.num_classes or a dataset with class labels")
    if self.depth < 10 or (self.depth - 4) % 6:
      raise ValueError(f"WideResNet.depth must be 6n+4 with n >= 1 (10, 16, 22, 28, 40...), got {self.depth}")
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype)
    x = jnp.asarray(_images(x, "WideResNet"), self.dtype)
    x = L.Conv(16, (3, 3), padding="SAME", use_bias=False, kernel_init=nn.initializers.he_normal(),
               name="stem", **kw)(x)
    n = (self.depth - 4) // 6
    for i in range(3):
      for j in range(n):
        x = WideBlock(16 * self.widen * 2 ** i, strides=2 if (i > 0 and j == 0) else 1, dropout=self.dropout,
                      name=f"stage{i}_block{j}", **kw)(x, train=train)
    x = nn.relu(_bn(train, "final_bn", **kw)(x))
    x = jnp.mean(x, axis=(1, 2))
    return L.Dense(self.num_classes, name="head", **kw)(x)

  @classmethod
  def sharding_rules(cls) -> list[tuple[str, tuple]]:
    """FSDP: convolution kernels stored split over output channels, the head over its input."""
    return [(r".*(stem|conv1|conv2|proj)/kernel", (None, None, None, "fsdp")),
            (r".*head/kernel", ("fsdp", None))]


class PreActResNet18(nn.Module):
  """PreActResNet-18 for 32 x 32 images: ``x [B, H, W, C]`` -> logits ``[B, num_classes]``.

  He, Zhang, Ren & Sun, "Identity Mappings in Deep Residual Networks", ECCV 2016, arXiv:1603.05027:
  the CIFAR ResNet-18 layout (3x3 stem of 64, stages (2, 2, 2, 2) of widths 64..512, stride 2 from the
  second stage) with pre-activation basic blocks (:class:`WideBlock` without dropout) and a final
  BN-ReLU before pooling. Parameters with 10 classes: **11,172,170** (the 11,171,146 of the common
  PyTorch CIFAR implementation, which leaves out the final BN-ReLU, plus that BatchNorm's 1,024).
  """
  num_classes: int | None = None
  stage_sizes: Sequence[int] = (2, 2, 2, 2)
  width: int = 64
  dtype: Any = jnp.float32
  param_dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    if self.num_classes is None:
      raise ValueError("PreActResNet18.num_classes is unset: give model.num_classes or a dataset with class labels")
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype)
    x = jnp.asarray(_images(x, "PreActResNet18"), self.dtype)
    x = L.Conv(self.width, (3, 3), padding="SAME", use_bias=False, kernel_init=nn.initializers.he_normal(),
               name="stem", **kw)(x)
    for i, n in enumerate(self.stage_sizes):
      for j in range(int(n)):
        x = WideBlock(self.width * 2 ** i, strides=2 if (i > 0 and j == 0) else 1, name=f"stage{i}_block{j}",
                      **kw)(x, train=train)
    x = nn.relu(_bn(train, "final_bn", **kw)(x))
    x = jnp.mean(x, axis=(1, 2))
    return L.Dense(self.num_classes, name="head", **kw)(x)

  sharding_rules = WideResNet.sharding_rules


class ViTS16(ViT):
  """ViT-S/16 (DeiT-S): 16 x 16 patches, width 384, depth 12, 6 heads, MLP 1536."""
  patch_size: int = 16
  width: int = 384
  depth: int = 12
  num_heads: int = 6
  mlp_dim: int = 1536


class GPT2Small(TransformerLM):
  """GPT-2 small: 12 layers, 12 heads, width 768, learned positions over 1024, biases, tied, V=50257."""
  vocab_size: int | None = 50257
  num_layers: int = 12
  num_heads: int = 12
  width: int = 768
  max_len: int = 1024
  positions: str = "learned"
  tie_embeddings: bool = True
  use_bias: bool = True
