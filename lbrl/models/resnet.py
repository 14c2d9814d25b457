"""CIFAR-style ResNet (He, Zhang, Ren, Sun, "Deep Residual Learning for Image Recognition", 2015,
arXiv:1512.03385, section 4.2) with basic blocks, BatchNorm or no normalisation.

    stem:   y = relu(N(conv3x3_w(x)))
    block:  y = relu(x' + N(conv3x3(relu(N(conv3x3_s(x))))))   x' = x, or N(conv1x1_s(x)) on a shape change
    head:   logits = Dense(global_average_pool(y))

Stage ``i`` (0-based) has width ``width * 2^i`` and stride 2 from the second stage on. ``depth`` gives
the CIFAR family ``depth = 6n + 2`` (n blocks per stage, 3 stages: ResNet-20/32/44/56/110);
``stage_sizes`` overrides it, e.g. ``(2, 2, 2, 2)`` with ``width=64`` is the CIFAR ResNet-18
(registered as ``resnet18``). Shortcuts on a shape change are 1x1 projections (the paper's option B).

``norm="batch"``: BatchNorm (momentum 0.9, eps 1e-5) with running statistics in the ``batch_stats``
collection, updated when ``train=True`` (apply with ``mutable=["batch_stats"]``). ``norm="none"``: no
normalisation, convolutions get biases, and the last BatchNorm-free residual branch of each block is
scaled by a learnable scalar initialised at 0 (SkipInit, De & Smith, 2020, arXiv:2002.10444) so that
deep un-normalised networks start as the identity and train.

Any other name of :func:`lbrl.models.norm.make_norm` (``group``, ``instance``, ``layer``, ``evonorm_b0``,
``evonorm_s0``, ``alpha_batch``, ...) puts that layer where BatchNorm is (an EvoNorm replaces the BN-ReLU
pair, so the ReLU after it is dropped). GroupNorm and EvoNorm-S0 get min(32, C) groups (the papers' 32),
or ``C / norm_group_size`` groups of ``norm_group_size`` channels when it is set (timm's ``group_size``:
narrow networks whose 32 groups would hold one channel each); ``norm_options`` are further fields of the
norm layer (:func:`lbrl.models.norm.make_norm`'s ``options``).

Hyperparameters (defaults): ``num_classes`` (None: filled from the dataset), ``depth=20``,
``width=16``, ``stage_sizes=None``, ``norm="batch"``, ``norm_group_size=0``, ``norm_options=()``.

Parameter count at the defaults on 32x32x3 inputs with 10 classes (ResNet-20): **272,474**
(the paper's "0.27M"); ``resnet18`` on CIFAR-10: **11,173,962**.
Inputs ``[B, H, W, C]`` (``[B, H, W]`` gets a channel axis), any integer/float dtype.
"""
from __future__ import annotations

from typing import Any, Sequence

import flax.linen as nn
import jax.numpy as jnp

from lbrl.models import _layers as L


class _Norm(nn.Module):
  kind: str
  train: bool
  group_size: int = 0
  options: tuple = ()
  dtype: Any = jnp.float32
  param_dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x):
    if self.kind == "batch":
      return nn.BatchNorm(use_running_average=not self.train, momentum=0.9, epsilon=1e-5,
                          dtype=self.dtype, param_dtype=self.param_dtype, name="bn", **dict(self.options))(x)
    if self.kind == "none":
      return x
    from lbrl.models import norm as N
    return N.make_norm(self.kind, train=self.train, num_groups=N.group_count(x.shape[-1], group_size=self.group_size),
                       dtype=self.dtype, param_dtype=self.param_dtype, name=self.kind, options=self.options)(x)


def _post_norm_act(kind: str):
  """The ReLU after a normalization, except after an EvoNorm (a normalization-activation layer that replaces
  the BN-ReLU pair, Liu et al. 2020)."""
  return (lambda x: x) if kind.startswith("evonorm") else nn.relu


class BasicBlock(nn.Module):
  """Two 3x3 convolutions with a residual connection."""
  features: int
  strides: int = 1
  norm: str = "batch"
  norm_group_size: int = 0
  norm_options: tuple = ()
  weight_reparam: str = "none"   # lbrl.models.norm_reparam.ReparamConv: "compander" | "conditioning"
  reparam_options: tuple = ()
  dtype: Any = jnp.float32
  param_dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    bias = self.norm == "none"
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype)
    conv = lambda f, k, s, name: L.Conv(f, (k, k), strides=(s, s), padding="SAME" if k > 1 else "VALID",
                                        use_bias=bias, kernel_init=nn.initializers.he_normal(),
                                        name=name, **kw)
    if self.weight_reparam != "none":
      from lbrl.models.norm_reparam import ReparamConv
      conv = lambda f, k, s, name: ReparamConv(f, (k, k), kind=self.weight_reparam, options=self.reparam_options,
                                               conv=(("strides", (s, s)), ("padding", "SAME" if k > 1 else "VALID"),
                                                     ("use_bias", bias), ("kernel_init", nn.initializers.he_normal())),
                                               name=name, **kw)
    norm = lambda name: _Norm(self.norm, train, self.norm_group_size, self.norm_options, name=name, **kw)
    y = _post_norm_act(self.norm)(norm("norm1")(conv(self.features, 3, self.strides, "conv1")(x)))
    y = norm("norm2")(conv(self.features, 3, 1, "conv2")(y))
    if self.norm == "none":
      y = y * jnp.asarray(self.param("skip_gain", nn.initializers.zeros, (), self.param_dtype), self.dtype)
    if x.shape[-1] != self.features or self.strides != 1:
      x = norm("proj_norm")(conv(self.features, 1, self.strides, "proj")(x))
    return nn.relu(x + y)


class ResNet(nn.Module):
  """CIFAR ResNet: ``x [B, H, W, C]`` -> logits ``[B, num_classes]``."""
  num_classes: int | None = None
  depth: int = 20
  width: int = 16
  stage_sizes: Sequence[int] | None = None
  norm: str = "batch"
  norm_group_size: int = 0     # channels per GroupNorm / EvoNorm-S0 group (0: min(32, C) groups)
  norm_options: Any = ()       # further fields of the norm layer (lbrl.models.norm.make_norm's options)
  weight_reparam: str = "none"  # every conv and the head: lbrl.models.norm_reparam (compander, conditioning)
  reparam_options: Any = ()
  dtype: Any = jnp.float32
  param_dtype: Any = jnp.float32

  def _stages(self) -> tuple[int, ...]:
    if self.stage_sizes is not None:
      return tuple(int(s) for s in self.stage_sizes)
    if self.depth < 8 or (self.depth - 2) % 6:
      raise ValueError(f"ResNet.depth must be 6n+2 with n >= 1 (20, 32, 44, 56, 110...), got {self.depth}")
    return ((self.depth - 2) // 6,) * 3

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    if self.num_classes is None:
      raise ValueError("ResNet.num_classes is unset: give model.num_classes or a dataset with class labels")
    from lbrl.models import norm as N
    if self.norm not in N.NORMS:
      raise ValueError(f"ResNet.norm must be one of {', '.join(N.NORMS)}, got {self.norm!r}")
    if x.ndim == 3:
      x = x[..., None]
    if x.ndim != 4:
      raise ValueError(f"ResNet expects images [batch, height, width, channels], got shape {x.shape}")
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype)
    x = jnp.asarray(x, self.dtype)
    reparam = tuple(sorted(dict(self.reparam_options).items()))
    if self.weight_reparam == "none":
      x = L.Conv(self.width, (3, 3), padding="SAME", use_bias=self.norm == "none",
                 kernel_init=nn.initializers.he_normal(), name="stem", **kw)(x)
    else:
      from lbrl.models.norm_reparam import ReparamConv
      x = ReparamConv(self.width, (3, 3), kind=self.weight_reparam, options=reparam, name="stem", **kw,
                      conv=(("use_bias", self.norm == "none"), ("kernel_init", nn.initializers.he_normal())))(x)
    options = N.norm_options(self.norm_options)
    x = _post_norm_act(self.norm)(_Norm(self.norm, train, self.norm_group_size, options, name="stem_norm", **kw)(x))
    for i, n in enumerate(self._stages()):
      for j in range(n):
        x = BasicBlock(self.width * 2 ** i, strides=2 if (i > 0 and j == 0) else 1, norm=self.norm,
                       norm_group_size=self.norm_group_size, norm_options=options,
                       weight_reparam=self.weight_reparam, reparam_options=reparam,
                       name=f"stage{i}_block{j}", **kw)(x, train=train)
    x = jnp.mean(x, axis=(1, 2))
    if self.weight_reparam != "none":
      from lbrl.models.norm_reparam import make_dense
      return make_dense(self.weight_reparam, self.num_classes, name="head", options=reparam, **kw)(x)
    return L.Dense(self.num_classes, name="head", **kw)(x)

  @classmethod
  def sharding_rules(cls) -> list[tuple[str, tuple]]:
    """FSDP: convolution kernels stored split over output channels, the head over its input."""
    return [
        (r".*(stem|conv1|conv2|proj)/kernel", (None, None, None, "fsdp")),
        (r".*head/kernel", ("fsdp", None)),
    ]


class ResNet18(ResNet):
  """The CIFAR ResNet-18: stages (2, 2, 2, 2) of widths 64..512, 3x3 stem, no max-pool."""
  stage_sizes: Sequence[int] | None = (2, 2, 2, 2)
  width: int = 64
