"""IResNet: the improved residual network of face recognition (ArcFace's "IR" backbone), with class proxies.

Deng, Guo, Xue & Zafeiriou, "ArcFace: Additive Angular Margin Loss for Deep Face Recognition", CVPR 2019,
arXiv:1801.07698, section 3.2 / Fig. 7 (the "improved residual unit" BN-Conv-BN-PReLU-Conv-BN, and the
"E" output BN-Dropout-FC-BN); the backbone of the face papers here (AdaFace, arXiv:2204.00964, slug
``adaface``; UNPG, arXiv:2203.11593, slug ``unpg``). Written from the authors' PyTorch definitions
(deepinsight/insightface ``recognition/arcface_torch/backbones/iresnet.py``; mk-minchul/AdaFace ``net.py``;
Jung-Jun-Uk/UNPG ``recognition/models/iresnet.py``), on 112 x 112 aligned face crops::

    stem:    y = PReLU(BN(conv3x3_64(x)))                                   (stride 1)
    block:   y = x' + BN(conv3x3_s(PReLU(BN(conv3x3(BN(x))))))              (stride s on the SECOND conv)
             x' = BN(conv1x1_s(x)) on the first block of a stage, or (``shortcut="subsample"`` where the
                  width does not change) x[:, ::s, ::s] (AdaFace's MaxPool2d(1, s))
    head:    z = BN_1d(Dense_512(flatten(dropout(BN(y)))))                   (the embedding, [B, 512])

stages of ``stage_sizes`` blocks (IResNet-100 / AdaFace's "IR-101": (3, 13, 30, 3); 50: (3, 4, 14, 3);
34: (3, 4, 6, 3); 18: (2, 2, 2, 2)) with widths 64, 128, 256, 512, every stage starting with a stride-2
block, so a 112 x 112 crop ends as a 7 x 7 x 512 map whose flattened 25,088 values feed the embedding
layer. PReLU is per channel (slopes start at 0.25, PyTorch's default); BatchNorm is PyTorch's (momentum
0.1 = flax 0.9, eps 1e-5), running statistics in ``batch_stats``.

The three releases differ in details, selected by fields (defaults: insightface's ``iresnet100``):

================  ======================  ==========================  ==========================
field             insightface arcface     AdaFace ``ir_101``          UNPG ``iresnet-100``
================  ======================  ==========================  ==========================
``shortcut``      ``"conv"``              ``"subsample"`` (stage 1)   ``"conv"``
``dropout``       0.0 (config option)     0.4                         0.0 (``--drop_lastfc``: 0.4)
``feature_bn``    ``"bias"`` (scale = 1)  ``"none"`` (affine=False)   ``"affine"``
``weight_init``   ``"insightface"``       ``"kaiming"``               ``"kaiming"``
================  ======================  ==========================  ==========================

``weight_init="insightface"``: convolutions N(0, 0.1^2), the embedding layer PyTorch's Linear default
U(+-1/sqrt(fan_in)); ``"kaiming"``: He normal, fan-out, for the convolutions (AdaFace also for the
embedding layer, lbrl's choice for both releases). lbrl flattens the last map in NHWC order (PyTorch's is
NCHW: loading a released checkpoint permutes the embedding kernel's rows).

Parameters (``params`` only; BatchNorm running statistics are in ``batch_stats``), backbone without class
proxies, on 112 x 112 x 3: insightface ``iresnet100`` **65,155,648** (its ``features`` BatchNorm's frozen
scale is a parameter in PyTorch: the PyTorch total is 65,156,160, the published "65.2M"); AdaFace IR-101
**65,150,912**; UNPG 65,156,160. The same counts, recorded from PyTorch re-typings of the three
definitions, are in ``tests/golden/models_iresnet.npz``. Forward cost of IResNet-100 per 112 x 112 crop:
12.08 G multiply-adds counted from the layers (insightface's "12.1" GFLOPs column counts multiply-adds); XLA's
cost analysis reports 2 x 11.2 G, as it leaves out the taps that fall on the convolutions' zero padding.

Outputs, like :class:`lbrl.models.metric.EmbeddingNet` (so the proxy / margin losses: ArcFace, CosFace,
AdaFace, UNPG train it): ``return_embeddings=True``: the embedding ``[B, 512]`` (it keeps its norm: AdaFace
reads it); ``return_hidden=True``: ``(embedding, proxies [num_classes, 512])``; default: the cosine logits
``embedding @ l2_normalize(proxies).T``. The proxies (the margin head's class centres, 85,742 x 512 = 43.9M
parameters on MS1MV2) are sharded over the ``"model"`` mesh axis (insightface's partial FC shards them the
same way over GPUs).

Example::

    model = IResNet100(num_classes=85742)
    variables = model.init(jax.random.key(0), jnp.zeros((1, 112, 112, 3)))
    (z, proxies), state = model.apply(variables, x, train=True, return_hidden=True, mutable=["batch_stats"],
                                      rngs={"dropout": key})
"""
from __future__ import annotations

from typing import Any, Sequence

import flax.linen as nn
import jax.numpy as jnp

from lbrl.models import _layers as L
from lbrl.models.heads import l2_normalize

_SHORTCUTS = ("conv", "subsample")
_FEATURE_BNS = ("bias", "affine", "none")
_INITS = ("insightface", "kaiming")


def _bn(train: bool, name: str, **kw):
  return nn.BatchNorm(use_running_average=not train, momentum=0.9, epsilon=1e-5, name=name, **kw)


class PReLU(nn.Module):
  """Per-channel parametric ReLU (PyTorch ``nn.PReLU(C)``): ``max(x, 0) + a_c min(x, 0)``, ``a_c`` from
  ``slope_init`` (0.25). flax's ``nn.PReLU`` has a single slope."""
  slope_init: float = 0.25
  param_dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x):
    a = self.param("slope", nn.initializers.constant(self.slope_init), (x.shape[-1],), self.param_dtype)
    return jnp.where(x >= 0, x, jnp.asarray(a, x.dtype) * x)


class IBasicBlock(nn.Module):
  """BN -> conv3x3 -> BN -> PReLU -> conv3x3 (stride) -> BN, plus the shortcut."""
  features: int
  strides: int = 1
  shortcut: str = "conv"
  conv_init: Any = nn.initializers.he_normal()
  dtype: Any = jnp.float32
  param_dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype)
    conv = lambda f, k, s, name: L.Conv(f, (k, k), strides=(s, s), padding=((k // 2, k // 2),) * 2,
                                        use_bias=False, kernel_init=self.conv_init, name=name, **kw)
    y = conv(self.features, 3, 1, "conv1")(_bn(train, "bn1", **kw)(x))
    y = PReLU(param_dtype=self.param_dtype, name="prelu")(_bn(train, "bn2", **kw)(y))
    y = _bn(train, "bn3", **kw)(conv(self.features, 3, self.strides, "conv2")(y))
    if x.shape[-1] == self.features and self.strides == 1:
      return x + y
    if self.shortcut == "subsample" and x.shape[-1] == self.features:
      return x[:, ::self.strides, ::self.strides] + y
    return _bn(train, "proj_bn", **kw)(conv(self.features, 1, self.strides, "proj")(x)) + y


class IResNet(nn.Module):
  """Face-recognition IResNet: ``x [B, H, W, C]`` -> embedding ``[B, embed_dim]`` (+ class proxies). See the
  module docstring for the architecture, the fields and the outputs.

  Fields (defaults): ``num_classes`` (None: from the dataset; the number of proxies), ``stage_sizes``
  ((3, 13, 30, 3): IResNet-100), ``widths`` ((64, 128, 256, 512)), ``embed_dim`` (512), ``dropout`` (0.0,
  before the embedding layer), ``shortcut`` ("conv" | "subsample"), ``feature_bn`` ("bias" | "affine" |
  "none"), ``weight_init`` ("insightface" | "kaiming")."""
  num_classes: int | None = None
  stage_sizes: Sequence[int] = (3, 13, 30, 3)
  widths: Sequence[int] = (64, 128, 256, 512)
  embed_dim: int = 512
  dropout: float = 0.0
  shortcut: str = "conv"
  feature_bn: str = "bias"
  weight_init: str = "insightface"
  dtype: Any = jnp.float32
  param_dtype: Any = jnp.float32

  def _check(self, x):
    for field, value, allowed in (("shortcut", self.shortcut, _SHORTCUTS), ("feature_bn", self.feature_bn, _FEATURE_BNS),
                                  ("weight_init", self.weight_init, _INITS)):
      if value not in allowed:
        raise ValueError(f"IResNet.{field} must be one of {', '.join(allowed)}, got {value!r}")
    if self.num_classes is None or int(self.num_classes) < 1:
      raise ValueError("IResNet.num_classes is unset: give model.num_classes or a dataset with class labels, "
                       f"got {self.num_classes}")
    if len(self.stage_sizes) != len(self.widths) or any(int(n) < 1 for n in self.stage_sizes):
      raise ValueError(f"IResNet.stage_sizes must be positive block counts, one per width in {tuple(self.widths)}, "
                       f"got {tuple(self.stage_sizes)}")
    if not 0.0 <= self.dropout < 1.0:
      raise ValueError(f"IResNet.dropout must be in [0, 1), got {self.dropout}")
    if x.ndim == 3:
      x = x[..., None]
    if x.ndim != 4:
      raise ValueError(f"IResNet expects images [batch, height, width, channels], got shape {x.shape}")
    down = 2 ** len(self.stage_sizes)
    if x.shape[1] % down or x.shape[2] % down:
      raise ValueError(f"IResNet: image height and width must be multiples of {down} (one stride 2 per stage; "
                       f"112 x 112 faces), got {x.shape[1:3]}")
    return x

  @nn.compact
  def __call__(self, x, *, train: bool = False, return_embeddings: bool = False, return_hidden: bool = False):
    x = jnp.asarray(self._check(x), self.dtype)
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype)
    if self.weight_init == "insightface":
      conv_init = nn.initializers.normal(0.1)
      dense_init = nn.initializers.variance_scaling(1 / 3, "fan_in", "uniform")   # torch.nn.Linear's default
    else:
      conv_init = dense_init = nn.initializers.variance_scaling(2.0, "fan_out", "normal")
    x = L.Conv(self.widths[0], (3, 3), padding=((1, 1), (1, 1)), use_bias=False, kernel_init=conv_init,
               name="stem", **kw)(x)
    x = PReLU(param_dtype=self.param_dtype, name="stem_prelu")(_bn(train, "stem_bn", **kw)(x))
    for i, (n, width) in enumerate(zip(self.stage_sizes, self.widths)):
      for j in range(int(n)):
        x = IBasicBlock(int(width), strides=2 if j == 0 else 1, shortcut=self.shortcut, conv_init=conv_init,
                        name=f"stage{i}_block{j}", **kw)(x, train=train)
    x = _bn(train, "final_bn", **kw)(x)
    x = nn.Dropout(self.dropout)(x.reshape(x.shape[0], -1), deterministic=not train)
    z = L.Dense(self.embed_dim, kernel_init=dense_init, bias_init=_torch_bias(x.shape[-1], self.weight_init),
                name="embed", **kw)(x)
    z = _bn(train, "feature_bn", use_scale=self.feature_bn == "affine", use_bias=self.feature_bn != "none", **kw)(z)
    if return_embeddings:
      return z
    proxies = self.param("proxies", nn.initializers.normal(1.0), (int(self.num_classes), self.embed_dim),
                         self.param_dtype).astype(self.dtype)
    if return_hidden:
      return z, proxies
    return z @ l2_normalize(proxies).T

  @classmethod
  def sharding_rules(cls) -> list[tuple[str, tuple]]:
    """FSDP: convolution kernels split over output channels, the embedding layer over its (25,088) inputs;
    the class proxies over the ``"model"`` axis (many identities)."""
    return [(r".*(stem|conv1|conv2|proj)/kernel", (None, None, None, "fsdp")),
            (r".*embed/kernel", ("fsdp", None)),
            (r".*proxies", ("model", None))]


def _torch_bias(fan_in: int, init: str):
  """torch.nn.Linear's bias U(+-1/sqrt(fan_in)) for insightface's layer; zeros after Kaiming (AdaFace)."""
  if init == "insightface":
    bound = fan_in ** -0.5
    return lambda key, shape, dtype=jnp.float32: nn.initializers.uniform(2 * bound)(key, shape, dtype) - bound
  return nn.initializers.zeros


class IResNet100(IResNet):
  """insightface's ``iresnet100`` (arcface_torch): stages (3, 13, 30, 3), conv shortcuts, frozen-scale
  embedding BatchNorm; 65,155,648 backbone parameters."""


class IR101(IResNet):
  """AdaFace's ``ir_101`` (mk-minchul/AdaFace net.py): IResNet-100 with a subsampling shortcut in the first
  stage, dropout 0.4 before the embedding layer, a non-affine embedding BatchNorm, Kaiming (fan-out)
  initialisation; 65,150,912 backbone parameters."""
  dropout: float = 0.4
  shortcut: str = "subsample"
  feature_bn: str = "none"
  weight_init: str = "kaiming"
