"""Scaling recipes as functions, and the models they scale: EfficientNet compound scaling and ResNet-RS.

**EfficientNet** (Tan & Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks",
ICML 2019, arXiv:1905.11946, slug ``efficientnet``). Compound scaling (eq. 3): with one coefficient
``phi``, depth ``d = alpha^phi``, width ``w = beta^phi``, resolution ``r = gamma^phi`` under
``alpha * beta^2 * gamma^2 ~ 2`` (FLOPs grow by about ``2^phi``); the grid search at ``phi = 1`` gave
``alpha = 1.2, beta = 1.1, gamma = 1.15`` (:func:`compound_coefficients`). The released B0-B7 use the
rounded (width, depth, resolution, dropout) of :data:`EFFICIENTNET` (the authors' ``efficientnet_params``);
a stage's channels are ``round_filters(c * w)`` (nearest multiple of 8, never below 90% of the scaled
value) and its layers ``ceil(d * L)`` (:func:`round_filters`, :func:`round_repeats`, applied to the
B0 stages of the paper's Table 1 by :func:`efficientnet_stages`). :class:`EfficientNet` is the network:
a 3x3 stride-2 stem, MBConv blocks (1x1 expansion, depthwise kxk, squeeze-and-excitation with
``max(1, int(0.25 * c_in))`` units, 1x1 projection; identity skip with stochastic depth when shapes
agree), a 1x1 head of ``round_filters(1280 w)`` channels, global pooling, dropout and a dense
classifier; SiLU, BatchNorm momentum 0.99 and epsilon 1e-3 as in the authors' code. Parameters
(1000 classes): B0 5,288,548 ... B7 66,347,960 (the paper's Table 2: 5.3M ... 66M).

**ResNet-RS** (Bello, Fedus, Du, Cubuk, Srinivas, Lin, Shlens & Zoph, "Revisiting ResNets: Improved
Training and Scaling Strategies", NeurIPS 2021, arXiv:2103.07579, slug ``revisiting_resnets``). The
scaling strategy: scale depth when training is long enough to overfit, width otherwise, and the image
resolution more slowly than EfficientNet; the resulting family is :data:`RESNET_RS` (depth, image size,
blocks per stage, published top-1). :class:`ResNetRS` is the architecture (the authors' TF code):
ResNet-D stem (3x3 convolutions of 32 (stride 2), 32 and 64 channels, then a stride-2 3x3 convolution
of 64 in place of the max-pool), bottleneck blocks with squeeze-and-excitation (ratio 0.25 of the
block's ``4f`` output channels), the ResNet-D shortcut (2x2 average pool then a 1x1 convolution) in
downsampling blocks, zero-initialised last BatchNorm scale, stochastic depth rising linearly over the
stages, dropout before the classifier.
"""
from __future__ import annotations

import math
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from lbrl.models import _layers as L

# --- EfficientNet ---------------------------------------------------------------------------------------

# (width coefficient, depth coefficient, resolution, dropout): the authors' efficientnet_params
EFFICIENTNET = {
    "b0": (1.0, 1.0, 224, 0.2), "b1": (1.0, 1.1, 240, 0.2), "b2": (1.1, 1.2, 260, 0.3),
    "b3": (1.2, 1.4, 300, 0.3), "b4": (1.4, 1.8, 380, 0.4), "b5": (1.6, 2.2, 456, 0.4),
    "b6": (1.8, 2.6, 528, 0.5), "b7": (2.0, 3.1, 600, 0.5),
}

# EfficientNet-B0, Table 1: (expand ratio, kernel, stride, input channels, output channels, layers)
B0_STAGES = ((1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
             (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1))
B0_STEM, B0_HEAD = 32, 1280


def compound_coefficients(phi: float, alpha: float = 1.2, beta: float = 1.1, gamma: float = 1.15) -> dict:
  """Eq. 3: ``depth = alpha^phi``, ``width = beta^phi``, ``resolution = gamma^phi`` and the FLOPs factor
  ``(alpha beta^2 gamma^2)^phi``."""
  if min(alpha, beta, gamma) < 1:
    raise ValueError(f"alpha, beta, gamma must be >= 1, got {alpha}, {beta}, {gamma}")
  return {"depth": alpha ** phi, "width": beta ** phi, "resolution": gamma ** phi,
          "flops": (alpha * beta ** 2 * gamma ** 2) ** phi}


def round_filters(channels: int, width: float, divisor: int = 8) -> int:
  """``channels * width`` to the nearest multiple of ``divisor`` (at least ``divisor``), bumped up one
  multiple when rounding lost more than 10% (the authors' ``round_filters``)."""
  scaled = channels * width
  new = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
  if new < 0.9 * scaled:
    new += divisor
  return int(new)


def round_repeats(layers: int, depth: float) -> int:
  """``ceil(depth * layers)``."""
  return int(math.ceil(depth * layers))


def efficientnet_stages(width: float, depth: float) -> list[tuple[int, int, int, int, int, int]]:
  """The B0 stages scaled by ``width``/``depth``: (expand, kernel, stride, in, out, layers) per stage."""
  return [(e, k, s, round_filters(i, width), round_filters(o, width), round_repeats(n, depth))
          for e, k, s, i, o, n in B0_STAGES]


def _bn(train, name, momentum, eps, **kw):
  return nn.BatchNorm(use_running_average=not train, momentum=momentum, epsilon=eps, name=name, **kw)


def _drop_path(x, rate: float, train: bool, module: nn.Module):
  """Stochastic depth: drop the whole residual branch per example with probability ``rate``."""
  if not train or rate == 0.0:
    return x
  keep = 1.0 - rate
  mask = jax.random.bernoulli(module.make_rng("dropout"), keep, (x.shape[0],) + (1,) * (x.ndim - 1))
  return jnp.where(mask, x / keep, 0).astype(x.dtype)


class SqueezeExcite(nn.Module):
  """``x * sigmoid(W2 act(W1 mean_hw(x)))`` with ``reduced`` hidden units (1x1 convolutions with bias)."""
  reduced: int
  act: Any = nn.silu
  dtype: Any = jnp.float32
  param_dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x):
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype)
    s = jnp.mean(x, axis=(1, 2), keepdims=True)
    s = self.act(L.Conv(self.reduced, (1, 1), name="reduce", **kw)(s))
    s = L.Conv(x.shape[-1], (1, 1), name="expand", **kw)(s)
    return x * nn.sigmoid(s)


class MBConv(nn.Module):
  """Mobile inverted bottleneck with squeeze-and-excitation (EfficientNet's block)."""
  out: int
  expand: int
  kernel: int
  stride: int
  drop_rate: float = 0.0
  se_ratio: float = 0.25
  dtype: Any = jnp.float32
  param_dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype)
    bn = lambda name: _bn(train, name, 0.99, 1e-3, **kw)
    cin = x.shape[-1]
    h = x
    if self.expand != 1:
      h = nn.silu(bn("expand_bn")(L.Conv(cin * self.expand, (1, 1), use_bias=False, name="expand", **kw)(h)))
    mid = h.shape[-1]
    h = L.Conv(mid, (self.kernel, self.kernel), strides=(self.stride, self.stride), padding="SAME",
               feature_group_count=mid, use_bias=False, name="depthwise", **kw)(h)
    h = nn.silu(bn("depthwise_bn")(h))
    h = SqueezeExcite(max(1, int(cin * self.se_ratio)), name="se", **kw)(h)
    h = bn("project_bn")(L.Conv(self.out, (1, 1), use_bias=False, name="project", **kw)(h))
    if self.stride == 1 and cin == self.out:
      h = x + _drop_path(h, self.drop_rate, train, self)
    return h


class EfficientNet(nn.Module):
  """EfficientNet-``variant`` (b0..b7; or explicit ``width``/``depth`` coefficients): ``x [B, H, W, C]``
  -> logits ``[B, num_classes]``. ``drop_connect`` is the final stochastic-depth rate (0.2 in the
  paper), rising linearly over the blocks; ``dropout`` defaults to the variant's."""
  num_classes: int | None = None
  variant: str = "b0"
  width: float | None = None
  depth: float | None = None
  dropout: float | None = None
  drop_connect: float = 0.2
  dtype: Any = jnp.float32
  param_dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    if self.num_classes is None:
      raise ValueError("EfficientNet.num_classes is unset: give model.num_classes or a dataset with class labels")
    if self.variant not in EFFICIENTNET:
      raise ValueError(f"EfficientNet.variant must be one of {sorted(EFFICIENTNET)}, got {self.variant!r}")
    w0, d0, _, drop0 = EFFICIENTNET[self.variant]
    w = self.width if self.width is not None else w0
    d = self.depth if self.depth is not None else d0
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype)
    if x.ndim != 4:
      raise ValueError(f"EfficientNet expects images [batch, height, width, channels], got shape {x.shape}")
    x = jnp.asarray(x, self.dtype)
    x = L.Conv(round_filters(B0_STEM, w), (3, 3), strides=(2, 2), padding="SAME", use_bias=False, name="stem",
               **kw)(x)
    x = nn.silu(_bn(train, "stem_bn", 0.99, 1e-3, **kw)(x))
    stages = efficientnet_stages(w, d)
    total, b = sum(s[-1] for s in stages), 0
    for i, (e, k, s, _, o, n) in enumerate(stages):
      for j in range(n):
        x = MBConv(o, e, k, s if j == 0 else 1, drop_rate=self.drop_connect * b / total,
                   name=f"stage{i}_block{j}", **kw)(x, train=train)
        b += 1
    x = L.Conv(round_filters(B0_HEAD, w), (1, 1), use_bias=False, name="head_conv", **kw)(x)
    x = nn.silu(_bn(train, "head_bn", 0.99, 1e-3, **kw)(x))
    x = jnp.mean(x, axis=(1, 2))
    x = nn.Dropout(drop0 if self.dropout is None else self.dropout)(x, deterministic=not train)
    return L.Dense(self.num_classes, name="head", **kw)(x)

  @classmethod
  def sharding_rules(cls) -> list[tuple[str, tuple]]:
    """FSDP: dense convolution kernels stored split over output channels (depthwise kernels replicated)."""
    return [(r".*(stem|expand|project|head_conv)/kernel", (None, None, None, "fsdp")),
            (r".*head/kernel", ("fsdp", None))]


# --- ResNet-RS ---------------------------------------------------------------------------------------

# blocks per stage of each depth (the authors' model_params)
RESNET_RS_LAYERS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3), 200: (3, 24, 36, 3),
                    270: (4, 29, 53, 4), 350: (4, 36, 72, 4), 420: (4, 44, 87, 4)}
# The released family (authors' README): (depth, image size) -> published ImageNet top-1 (%)
RESNET_RS = {(50, 160): 78.8, (101, 160): 80.3, (101, 192): 81.2, (152, 192): 82.0, (152, 224): 82.2,
             (152, 256): 83.0, (200, 256): 83.4, (270, 256): 83.8, (350, 256): 84.0, (350, 320): 84.2,
             (420, 320): 84.4}


def resnet_rs_config(depth: int, image_size: int) -> dict:
  """A released ResNet-RS: blocks per stage, image size and published top-1 (``ValueError`` for a
  (depth, image size) pair the paper did not release)."""
  if (depth, image_size) not in RESNET_RS:
    raise ValueError(f"no released ResNet-RS-{depth} at {image_size}px; released: {sorted(RESNET_RS)}")
  return {"layers": RESNET_RS_LAYERS[depth], "image_size": image_size, "top1": RESNET_RS[(depth, image_size)]}


class RSBottleneck(nn.Module):
  """ResNet-RS bottleneck: 1x1 (f) -> 3x3 (f, stride) -> 1x1 (4f, zero-init BN) -> SE -> drop path, with
  the ResNet-D shortcut (avg-pool 2x2 then 1x1 conv) when downsampling."""
  features: int
  strides: int = 1
  se_ratio: float = 0.25
  drop_rate: float = 0.0
  dtype: Any = jnp.float32
  param_dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype)
    conv = lambda f, k, s, name: L.Conv(f, (k, k), strides=(s, s), padding="SAME" if k > 1 else "VALID",
                                        use_bias=False, kernel_init=nn.initializers.he_normal(), name=name, **kw)
    bn = lambda name, **a: _bn(train, name, 0.9, 1e-5, **a, **kw)
    out = 4 * self.features
    sc = x
    if x.shape[-1] != out or self.strides != 1:
      if self.strides == 2:
        sc = nn.avg_pool(sc, (2, 2), strides=(2, 2), padding="SAME")
      sc = bn("proj_bn")(conv(out, 1, 1, "proj")(sc))
    y = nn.relu(bn("bn1")(conv(self.features, 1, 1, "conv1")(x)))
    y = nn.relu(bn("bn2")(conv(self.features, 3, self.strides, "conv2")(y)))
    y = bn("bn3", scale_init=nn.initializers.zeros)(conv(out, 1, 1, "conv3")(y))
    y = SqueezeExcite(max(1, int(out * self.se_ratio)), act=nn.relu, name="se", **kw)(y)
    return nn.relu(sc + _drop_path(y, self.drop_rate, train, self))


class ResNetRS(nn.Module):
  """ResNet-RS-``depth`` (50 ... 420): ``x [B, H, W, C]`` -> logits. ``drop_connect``: the final
  stochastic-depth rate (stage ``i`` of 4 uses ``rate * (i + 2) / 5``, the authors' schedule; 0.0 for
  RS-50/101, 0.1 and up for the deeper models), ``dropout`` before the classifier (0.25)."""
  num_classes: int | None = None
  depth: int = 50
  dropout: float = 0.25
  drop_connect: float = 0.0
  se_ratio: float = 0.25
  dtype: Any = jnp.float32
  param_dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    if self.num_classes is None:
      raise ValueError("ResNetRS.num_classes is unset: give model.num_classes or a dataset with class labels")
    if self.depth not in RESNET_RS_LAYERS:
      raise ValueError(f"ResNetRS.depth must be one of {sorted(RESNET_RS_LAYERS)}, got {self.depth}")
    if x.ndim != 4:
      raise ValueError(f"ResNetRS expects images [batch, height, width, channels], got shape {x.shape}")
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype)
    x = jnp.asarray(x, self.dtype)
    for i, (f, s) in enumerate(((32, 2), (32, 1), (64, 1), (64, 2))):   # ResNet-D stem + max-pool replaced
      x = L.Conv(f, (3, 3), strides=(s, s), padding="SAME", use_bias=False,
                 kernel_init=nn.initializers.he_normal(), name=f"stem{i}", **kw)(x)
      x = nn.relu(_bn(train, f"stem{i}_bn", 0.9, 1e-5, **kw)(x))
    for i, n in enumerate(RESNET_RS_LAYERS[self.depth]):
      rate = self.drop_connect * (i + 2) / 5
      for j in range(n):
        x = RSBottleneck(64 * 2 ** i, strides=2 if (i > 0 and j == 0) else 1, se_ratio=self.se_ratio,
                         drop_rate=rate, name=f"stage{i}_block{j}", **kw)(x, train=train)
    x = jnp.mean(x, axis=(1, 2))
    x = nn.Dropout(self.dropout)(x, deterministic=not train)
    return L.Dense(self.num_classes, kernel_init=nn.initializers.normal(0.01), name="head", **kw)(x)

  @classmethod
  def sharding_rules(cls) -> list[tuple[str, tuple]]:
    return [(r".*(stem\d|conv1|conv2|conv3|proj)/kernel", (None, None, None, "fsdp")),
            (r".*head/kernel", ("fsdp", None))]


def count_params(module: nn.Module, image_size: int, channels: int = 3) -> int:
  """Trainable parameters of ``module`` on ``image_size`` square images (shape-only: no compute)."""
  shapes = jax.eval_shape(lambda: module.init(jax.random.key(0), jnp.zeros((1, image_size, image_size, channels))))
  return L.count_params(shapes["params"])


# --- analysis tools: the recipes against the papers' tables --------------------------------------------

# EfficientNet, Table 2: parameters (millions) of B0..B7 as printed
EFFICIENTNET_PUBLISHED_PARAMS = dict(zip(sorted(EFFICIENTNET), (5.3, 7.8, 9.2, 12, 19, 30, 43, 66)))
# ResNet-RS parameters (millions) as printed in the paper for the depths checked here
RESNET_RS_PUBLISHED_PARAMS = {50: 35.7, 101: 63.6, 200: 93.2, 420: 191.9}


def _digits(value: float) -> int:
  """Decimal places of a printed number (12 -> 0, 5.3 -> 1)."""
  text = f"{value}"
  return 0 if float(value).is_integer() else len(text.split(".")[1])


def efficientnet_table(ctx=None, *, variants=("b0",)):
  """Analysis tool ``efficientnet_table``: builds EfficientNet-``v`` (1000 classes) for each variant,
  counts its parameters and compares them with the paper's Table 2 *as printed* (rounded to the
  printed digits: ``params_match`` is 1.0 when every variant rounds to its printed value); also the
  compound-scaling FLOPs factor at ``phi = 1`` (the paper's "~2"). ``ctx`` is unused (the recipe is the
  object under test)."""
  del ctx
  out, match = {}, 1.0
  for v in variants:
    n = count_params(EfficientNet(num_classes=1000, variant=v), 32) / 1e6
    pub = EFFICIENTNET_PUBLISHED_PARAMS[v]
    out[f"params_m_{v}"] = n
    match = min(match, float(round(n, _digits(pub)) == pub))
  out["params_match"] = match
  out["flops_factor_phi1"] = compound_coefficients(1.0)["flops"]
  return out


def resnet_rs_table(ctx=None, *, depths=(50,)):
  """Analysis tool ``resnet_rs_table``: ResNet-RS-``depth`` parameter counts against the paper's printed
  millions (``params_match`` 1.0 when all round to them)."""
  del ctx
  out, match = {}, 1.0
  for d in depths:
    n = count_params(ResNetRS(num_classes=1000, depth=int(d)), 32) / 1e6
    pub = RESNET_RS_PUBLISHED_PARAMS[int(d)]
    out[f"params_m_rs{d}"] = n
    match = min(match, float(round(n, _digits(pub)) == pub))
  out["params_match"] = match
  return out
