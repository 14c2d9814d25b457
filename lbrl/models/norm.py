"""Normalization layers, weight reparameterizations and residual-network inits, selectable by name.

The zoo's models take ``norm`` (a name of :func:`make_norm`), a ``placement`` (pre/post/sandwich, for
Transformer blocks), a ``residual_scale`` and an ``init`` from the config. Where flax has the layer it is
used as is (``layer`` = ``nn.LayerNorm``, ``rms`` = ``nn.RMSNorm``, ``batch`` = ``nn.BatchNorm``,
``group`` = ``nn.GroupNorm``, ``instance`` = ``nn.InstanceNorm``, both refusing one-element statistics);
the rest are written here:

* ``crms`` -- :class:`CRMSNorm` (Jiang et al., "Pre-RMSNorm and Pre-CRMSNorm Transformers: Equivalent and
  Efficient Pre-LN Transformers", NeurIPS 2023, arXiv:2305.14858, slug crmsnorm): RMSNorm of the
  zero-mean vector ``x = [z, -sum(z)]`` stored compressed as its first ``d - 1`` coordinates ``z``::

      CRMSNorm(z) = gamma * z / sqrt((sum z_i^2 + (sum z_i)^2) / d + eps)

  :func:`preln_to_prermsnorm` converts a Pre-LN :class:`lbrl.models.transformer.TransformerLM` into the
  equal Pre-RMSNorm one (the paper's Section 3: fold the LayerNorm gains into the next linear layers,
  recentre everything that writes into the residual stream, so the stream is zero-mean and LayerNorm's
  centring is the identity).
* ``scale`` -- :class:`ScaleNorm` (Nguyen & Salazar, "Transformers without Tears: Improving the
  Normalization of Self-Attention", IWSLT 2019, arXiv:1910.05895, slug scalenorm):
  ``g * x / max(||x||_2, eps)`` with one learned scalar ``g`` initialised at ``sqrt(d)``.
* :class:`ScaledStdConv` -- Scaled Weight Standardization (Brock, De & Smith, "Characterizing signal
  propagation to close the performance gap in unnormalized ResNets", ICLR 2021, arXiv:2101.08692, slug
  scaled_weight_standardization): the kernel used is
  ``W_hat = gain * (W - mean(W)) / sqrt(max(N * var(W), eps))`` per output channel over its fan-in ``N``
  (the authors' JAX code, eps 1e-4), learned per-channel ``gain`` initialised at 1.
* :func:`agc` -- adaptive gradient clipping (Brock, De, Smith & Simonyan, "High-Performance Large-Scale
  Image Recognition Without Normalization", ICML 2021, arXiv:2102.06171, slug nfnets_agc):
  ``optax.adaptive_grad_clip`` (unit-wise ``G <- lambda * max(||W||, eps) / ||G|| * G`` where
  ``||G|| / max(||W||, eps) > lambda``) masked so that the final classifier is not clipped, as the paper
  does (Section 4.1); :func:`sgd_agc` is the paper's optimizer (SGD with Nesterov momentum 0.9).
* :class:`AlphaBatchNorm` (test-time BN statistic mixing), :class:`EvoNormS0` / :class:`EvoNormB0`,
  :class:`GDN` (and IGDN, :func:`gdn_inverse`): see their docstrings.
* Residual-branch scaling and inits for residual stacks (:func:`residual_scale_value`,
  :func:`fixup_branch_scale`): Fixup (Zhang, Dauphin & Ma, "Fixup Initialization: Residual Learning
  Without Normalization", ICLR 2019, arXiv:1901.09321, slug fixup) and the per-branch scale of "On
  residual network depth" (slug residual_network_depth); the models apply them (see
  :class:`lbrl.models.simple.ResMLP`).

Example::

    norm = make_norm("crms", name="ln1")
    y = norm.apply(norm.init(jax.random.key(0), z), z)
"""
from __future__ import annotations

import functools
import math
import re
from typing import Any, Callable

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

Dtype = Any

NORMS = ("layer", "rms", "crms", "scale", "batch", "alpha_batch", "group", "instance", "evonorm_s0", "evonorm_b0",
         "power", "unified", "none")
PLACEMENTS = ("pre", "post", "sandwich")


class Identity(nn.Module):
  """No normalization: ``y = x`` (no parameters)."""

  @nn.compact
  def __call__(self, x, **_):
    return x


def _check_statistic_size(kind: str, x, n: int) -> None:
  if n <= 1:
    raise ValueError(
        f"{kind} over input of shape {tuple(x.shape)} normalizes each statistic over {n} element: every output "
        "is its offset and the gradient carries nothing. On dense features [batch, C] use fewer groups "
        "(num_groups < C, or the model's norm_group_size) or a LayerNorm; instance norm needs spatial axes.")


class GroupNorm(nn.GroupNorm):
  """``nn.GroupNorm`` (same parameters and auto-name) that refuses groups of one element: on dense features
  ``[batch, C]`` with one channel per group (a width-8 block at ``num_groups=8``) flax's layer returns its
  offset for every input, silently; this raises a ValueError naming the shape instead."""

  @nn.compact
  def __call__(self, x, *args, **kwargs):
    groups = self.num_groups or (x.shape[-1] // self.group_size)
    _check_statistic_size("GroupNorm", x, math.prod(x.shape[1:-1]) * (x.shape[-1] // max(groups, 1)))
    return super().__call__(x, *args, **kwargs)


class InstanceNorm(nn.InstanceNorm):
  """``nn.InstanceNorm`` (same parameters and auto-name) that refuses inputs without spatial axes, where
  each channel's statistic is one element (the output is the offset whatever the input)."""

  @nn.compact
  def __call__(self, x, *args, **kwargs):
    _check_statistic_size("InstanceNorm", x, math.prod(x.shape[1:-1]))
    return super().__call__(x, *args, **kwargs)


class CRMSNorm(nn.Module):
  """Compressed RMSNorm on ``z [..., d-1]``: the RMSNorm of the zero-mean ``[z, -sum z]`` restricted to ``z``.

  ``y = scale * z / sqrt((sum z^2 + (sum z)^2) / d + epsilon)``, ``d = z.shape[-1] + 1``. ``epsilon=1e-6``
  (flax's LayerNorm/RMSNorm default, so that a converted Pre-LN model is equal); ``scale`` per feature
  (``d - 1`` of them), initialised at 1.
  """
  epsilon: float = 1e-6
  use_scale: bool = True
  dtype: Dtype = None
  param_dtype: Dtype = jnp.float32

  @nn.compact
  def __call__(self, z):
    d = z.shape[-1] + 1
    zf = jnp.asarray(z, jnp.float32)
    ms = (jnp.sum(zf * zf, -1, keepdims=True) + jnp.sum(zf, -1, keepdims=True) ** 2) / d
    y = zf * jax.lax.rsqrt(ms + self.epsilon)
    if self.use_scale:
      y = y * self.param("scale", nn.initializers.ones, (z.shape[-1],), self.param_dtype)
    return y.astype(self.dtype or z.dtype)


def compress(x):
  """``x [..., d]`` (zero-mean over the last axis) -> ``z = x[..., :d-1]`` (CRMSNorm's lossless storage)."""
  return x[..., :-1]


def decompress(z):
  """``z [..., d-1]`` -> the zero-mean ``x = [z, -sum z]`` of :func:`compress`."""
  return jnp.concatenate([z, -jnp.sum(z, -1, keepdims=True)], -1)


class ScaleNorm(nn.Module):
  """``g * x / max(||x||_2, epsilon)`` over the last axis, one learned scalar ``g`` (init ``sqrt(d)``).

  Nguyen & Salazar (2019), arXiv:1910.05895, eq. (10); their code clamps the norm at ``eps=1e-5``.
  """
  epsilon: float = 1e-5
  scale_init: float | None = None
  dtype: Dtype = None
  param_dtype: Dtype = jnp.float32

  @nn.compact
  def __call__(self, x):
    d = x.shape[-1]
    g0 = math.sqrt(d) if self.scale_init is None else float(self.scale_init)
    g = self.param("scale", nn.initializers.constant(g0), (), self.param_dtype)
    xf = jnp.asarray(x, jnp.float32)
    n = jnp.maximum(jnp.linalg.norm(xf, axis=-1, keepdims=True), self.epsilon)
    return (g * xf / n).astype(self.dtype or x.dtype)


def fixnorm(e, length: float = 1.0, epsilon: float = 1e-5):
  """FixNorm (Nguyen & Salazar, 2019): word embeddings ``e [..., d]`` rescaled to the fixed length ``length``."""
  ef = jnp.asarray(e, jnp.float32)
  return (length * ef / jnp.maximum(jnp.linalg.norm(ef, axis=-1, keepdims=True), epsilon)).astype(e.dtype)


def make_norm(kind: str, *, name: str | None = None, use_bias: bool = True, train: bool = False,
              dtype: Dtype = jnp.float32, param_dtype: Dtype = jnp.float32, num_groups: int = 32,
              epsilon: float | None = None, options=()) -> nn.Module:
  """The normalization layer called ``kind`` (one of :data:`NORMS`), as a Flax module.

  ``use_bias`` gives LayerNorm/GroupNorm/InstanceNorm/BatchNorm their offset; ``train`` makes BatchNorm use
  batch statistics and update its running ones (momentum 0.9, eps 1e-5, as the ResNets here);
  ``num_groups`` for GroupNorm (Wu & He: 32); ``epsilon`` overrides each layer's default; ``options``
  (a dict or ``(key, value)`` pairs) are further fields of the layer (``alpha`` of ``alpha_batch``,
  ``warmup_iters`` of ``power``...). ``layer``
  with the defaults is exactly the ``nn.LayerNorm`` the Transformer blocks had before (same parameter
  names and values), so configs that do not name a norm are unchanged.
  """
  kw = dict(dtype=dtype, param_dtype=param_dtype, name=name, **dict(options))
  eps = {} if epsilon is None else {"epsilon": float(epsilon)}
  if kind == "layer":
    return nn.LayerNorm(use_bias=use_bias, **eps, **kw)
  if kind == "rms":
    return nn.RMSNorm(**eps, **kw)
  if kind == "crms":
    return CRMSNorm(**eps, **kw)
  if kind == "scale":
    return ScaleNorm(**eps, **kw)
  if kind == "batch":
    return nn.BatchNorm(use_running_average=not train, momentum=0.9, use_bias=use_bias,
                        **({"epsilon": 1e-5} | eps), **kw)
  if kind == "alpha_batch":
    return AlphaBatchNorm(use_running_average=not train, **eps, **kw)
  if kind == "power":
    return PowerNorm(use_running_average=not train, **eps, **kw)
  if kind == "unified":   # Unified Normalization (lbrl.models.norm_unified): foldable into the next linear layer
    from lbrl.models.norm_unified import UnifiedNorm
    return UnifiedNorm(use_running_average=not train, **eps, **kw)
  if kind == "evonorm_s0":
    return EvoNormS0(groups=num_groups, **eps, **kw)
  if kind == "evonorm_b0":
    return EvoNormB0(use_running_average=not train, **eps, **kw)
  if kind == "group":
    return GroupNorm(num_groups=num_groups, use_bias=use_bias, **eps, **kw)
  if kind == "instance":
    return InstanceNorm(use_bias=use_bias, **eps, **kw)
  if kind == "none":
    return Identity(name=name)
  raise ValueError(f"unknown norm {kind!r}; known: {', '.join(NORMS)}")


def norm_options(options) -> tuple:
  """A norm layer's extra fields (a dict, a ConfigDict or ``(key, value)`` pairs) as hashable
  ``((key, value), ...)`` pairs, the form module fields and :func:`make_norm`'s ``options`` take."""
  items = options.items() if hasattr(options, "items") else (options or ())
  return tuple((str(k), v) for k, v in items)


def group_count(channels: int, *, num_groups: int = 32, group_size: int = 0) -> int:
  """Groups of a GroupNorm / EvoNorm-S0 over ``channels``: ``channels // group_size`` channels-per-group
  groups when ``group_size > 0`` (timm's ``group_size``), else ``min(num_groups, channels)`` (Wu & He's
  and the EvoNorm paper's 32 groups)."""
  if group_size < 0 or num_groups < 1:
    raise ValueError(f"group_count: group_size must be >= 0 and num_groups >= 1, got {group_size}, {num_groups}")
  if group_size:
    if channels % group_size:
      raise ValueError(f"norm_group_size={group_size} does not divide the {channels} channels of a norm layer")
    return channels // group_size
  return min(num_groups, channels)


def check_placement(placement: str) -> str:
  if placement not in PLACEMENTS:
    raise ValueError(f"placement must be one of {', '.join(PLACEMENTS)}, got {placement!r}")
  return placement


# ------------------------------------------------------------------------------------------ residual inits
def residual_scale_value(scale: float | str, num_branches: int) -> float:
  """The constant multiplying every residual branch, ``x <- x + alpha * f(x)``.

  ``scale`` is a number, or ``"1/sqrt(L)"`` / ``"1/L"`` with ``L = num_branches`` (the scalings that keep
  the output variance of an ``L``-branch stack bounded: "On residual network depth", whose Residual
  Expansion Theorem writes the stack as a sum over ``2^L`` paths, path ``S`` weighted ``alpha^|S|``; with
  ``alpha = 1`` the output grows like ``(1 + Var f)^(L/2)``).
  """
  if num_branches < 1:
    raise ValueError(f"num_branches must be >= 1, got {num_branches}")
  if isinstance(scale, str):
    table = {"1/sqrt(L)": 1.0 / math.sqrt(num_branches), "1/L": 1.0 / num_branches}
    if scale not in table:
      raise ValueError(f"residual_scale must be a number or one of {sorted(table)}, got {scale!r}")
    return table[scale]
  if not math.isfinite(float(scale)) or float(scale) < 0:
    raise ValueError(f"residual_scale must be a finite number >= 0, got {scale!r}")
  return float(scale)


def embed_scale_value(scale: float | str, width: int) -> float:
  """The embedding multiplier of Spike No More's Scaled Embed (Takase, Kiyono, Kobayashi & Suzuki, "Spike No
  More: Stabilizing the Pre-training of Large Language Models", 2023, arXiv:2312.16903, Section 4): a number,
  or ``"sqrt(d)"`` which brings N(0, 0.02^2)-initialised embeddings of width ``d`` to a standard deviation
  near 1 (their requirement of a large shortcut: the LayerNorm Jacobian is ~ 1/std of its input)."""
  if isinstance(scale, str):
    if scale != "sqrt(d)":
      raise ValueError(f"embed_scale must be a number or 'sqrt(d)', got {scale!r}")
    return math.sqrt(width)
  if not math.isfinite(float(scale)) or float(scale) <= 0:
    raise ValueError(f"embed_scale must be a finite number > 0, got {scale!r}")
  return float(scale)


def fixup_branch_scale(num_branches: int, layers_per_branch: int) -> float:
  """Fixup's rescaling ``L^(-1/(2m-2))`` of the standard init of the weight layers inside each branch
  (Zhang et al., 2019, Section 3, rule 2; ``L`` branches of ``m`` layers; the last layer is zero)."""
  if num_branches < 1 or layers_per_branch < 2:
    raise ValueError(f"fixup needs num_branches >= 1 and layers_per_branch >= 2, got {num_branches}, "
                     f"{layers_per_branch}")
  return float(num_branches) ** (-1.0 / (2 * layers_per_branch - 2))


def scaled_init(init: Callable, factor: float) -> Callable:
  """An initializer whose draws are ``factor`` times ``init``'s."""
  def f(key, shape, dtype=jnp.float32):
    return init(key, shape, dtype) * jnp.asarray(factor, dtype)
  return f


# ------------------------------------------------------------------------------- Scaled Weight Standardization
def standardize_weight(w, gain=None, eps: float = 1e-4):
  """Scaled WS of a kernel ``w [..., fan_in..., out]`` (out last, flax layout): per output channel,
  ``(w - mean) / sqrt(max(fan_in * var, eps)) * gain`` over all other axes."""
  axes = tuple(range(w.ndim - 1))
  fan_in = math.prod(w.shape[:-1])
  mean = jnp.mean(w, axes, keepdims=True)
  var = jnp.var(w, axes, keepdims=True)
  out = (w - mean) * jax.lax.rsqrt(jnp.maximum(var * fan_in, eps))
  return out if gain is None else out * gain


class ScaledStdConv(nn.Module):
  """Convolution with a Scaled-Weight-Standardized kernel (Brock, De & Smith, 2021, arXiv:2101.08692, eq. 4).

  ``y = conv(x, gain * (W - mu) / sqrt(max(N sigma^2, eps))) + b``; ``N`` the fan-in, ``gain`` learned
  per output channel (init 1), ``eps=1e-4`` (the authors' ``nfnets/base.py``). The standardized kernel
  has per-channel mean 0 and variance 1/N, so with a ReLU the activation needs the gain
  ``gamma = sqrt(2 / (1 - 1/pi))`` (the paper's Table/Appendix value 1.7139), which the model applies to
  its nonlinearity (:data:`RELU_GAMMA`). ``conv_general_dilated``: the convolution (the zoo's models
  pass the mesh-aware :func:`lbrl.models._layers.conv_general_dilated`).
  """
  features: int
  kernel_size: tuple[int, ...]
  strides: tuple[int, ...] | int = 1
  padding: Any = "SAME"
  use_bias: bool = True
  eps: float = 1e-4
  kernel_init: Callable = nn.initializers.lecun_normal()
  conv_general_dilated: Callable = jax.lax.conv_general_dilated
  dtype: Dtype = jnp.float32
  param_dtype: Dtype = jnp.float32

  @nn.compact
  def __call__(self, x):
    k = tuple(self.kernel_size)
    w = self.param("kernel", self.kernel_init, k + (x.shape[-1], self.features), self.param_dtype)
    gain = self.param("gain", nn.initializers.ones, (self.features,), self.param_dtype)
    w = standardize_weight(jnp.asarray(w, jnp.float32), gain, self.eps).astype(self.dtype)
    s = (self.strides,) * len(k) if isinstance(self.strides, int) else tuple(self.strides)
    dn = ("NHWC", "HWIO", "NHWC") if len(k) == 2 else None
    if dn is None:
      raise ValueError(f"ScaledStdConv supports 2-D kernels, got kernel_size={self.kernel_size}")
    y = self.conv_general_dilated(jnp.asarray(x, self.dtype), w, s, self.padding, dimension_numbers=dn)
    if self.use_bias:
      y = y + jnp.asarray(self.param("bias", nn.initializers.zeros, (self.features,), self.param_dtype),
                          self.dtype)
    return y


class ScaledStdDense(nn.Module):
  """Dense layer with a Scaled-Weight-Standardized kernel (the dense form of :class:`ScaledStdConv`):
  ``y = x @ (gain * (W - mean_in W) / sqrt(max(N var_in W, eps))) + b``, statistics over the fan-in ``N``
  per output unit, learned ``gain`` (init 1), ``eps=1e-4`` (Brock, De & Smith, 2021, arXiv:2101.08692).
  Used by :class:`lbrl.models.simple.ResMLP` with ``weight_standardization=True``.
  """
  features: int
  use_bias: bool = True
  eps: float = 1e-4
  kernel_init: Callable = nn.initializers.lecun_normal()
  dtype: Dtype = jnp.float32
  param_dtype: Dtype = jnp.float32

  @nn.compact
  def __call__(self, x):
    w = self.param("kernel", self.kernel_init, (x.shape[-1], self.features), self.param_dtype)
    gain = self.param("gain", nn.initializers.ones, (self.features,), self.param_dtype)
    w = standardize_weight(jnp.asarray(w, jnp.float32), gain, self.eps).astype(self.dtype)
    y = jnp.asarray(x, self.dtype) @ w
    if self.use_bias:
      y = y + jnp.asarray(self.param("bias", nn.initializers.zeros, (self.features,), self.param_dtype), self.dtype)
    return y


RELU_GAMMA = math.sqrt(2.0 / (1.0 - 1.0 / math.pi))  # 1.7139: Var(relu(z)) = (1 - 1/pi)/2 for z ~ N(0, 1)


# ----------------------------------------------------------------------------------------- AGC (NFNets)
def _path(keys) -> str:
  return "/".join(str(getattr(k, "key", getattr(k, "name", getattr(k, "idx", k)))) for k in keys)


# ------------------------------------------------------------------------- Pre-LN -> Pre-RMSNorm conversion
def preln_to_prermsnorm(params: dict, *, num_layers: int) -> dict:
  """Converts the parameters of a Pre-LN :class:`lbrl.models.transformer.TransformerLM` (``norm="layer"``,
  ``use_bias=False``) to those of the equal Pre-RMSNorm model (``norm="rms"``, ``tie_embeddings=False``).

  Jiang et al. (2023), Section 3 (Pre-LN -> Pre-RMSNorm), the transformations applied here:
    1. every LayerNorm gain ``gamma`` is folded into the linear maps reading its output
       (``W <- diag(gamma) W`` for q, k, v after ``ln1``, the MLP's ``up`` after ``ln2``, the
       unembedding after ``ln_f``), and the RMSNorm gains are 1;
    2. every map writing into the residual stream is recentred so the stream is zero-mean: the token
       (and learned position) embeddings ``E <- E - mean_j E[:, j]``, the attention output and MLP ``down``
       kernels ``W <- W - mean over the output (model-width) axis``.
  On a zero-mean vector LayerNorm without gain is RMSNorm (same ``eps``), so the two models compute the
  same function. The unembedding is untied (``unembed = E * gamma_f``) because step 2 changes ``E``
  while step 1 changes the copy read by the output. With biases the offsets would fold the same way;
  lbrl's LM uses ``use_bias=False`` and only that case is implemented.
  """
  p = jax.tree.map(jnp.asarray, params)
  leaves = jax.tree_util.tree_flatten_with_path(p)[0]
  if any("bias" in _path(k) for k, _ in leaves):
    raise ValueError("preln_to_prermsnorm: only bias-free Pre-LN models (use_bias=False) are supported")
  center = lambda w: w - jnp.mean(w, axis=-1, keepdims=True)
  out: dict = {}
  emb = p["embed"]["embedding"]
  tied_unembed = p["unembed"] if "unembed" in p else emb
  out["embed"] = {"embedding": center(emb)}
  if "pos_embed" in p:
    out["pos_embed"] = center(p["pos_embed"])
  for i in range(num_layers):
    b = p[f"block_{i}"]
    g1, g2 = b["ln1"]["scale"], b["ln2"]["scale"]
    attn = {n: {"kernel": g1[:, None, None] * b["attn"][n]["kernel"]} for n in ("query", "key", "value")}
    attn["out"] = {"kernel": center(b["attn"]["out"]["kernel"])}
    mlp = {"up": {"kernel": g2[:, None] * b["mlp"]["up"]["kernel"]}, "down": {"kernel": center(b["mlp"]["down"]["kernel"])}}
    out[f"block_{i}"] = {"ln1": {"scale": jnp.ones_like(g1)}, "ln2": {"scale": jnp.ones_like(g2)},
                         "attn": attn, "mlp": mlp}
  gf = p["ln_f"]["scale"]
  out["ln_f"] = {"scale": jnp.ones_like(gf)}
  out["unembed"] = tied_unembed * gf[None, :]
  return out


# ----------------------------------------------------------------------------- test-time BN statistic mixing
class AlphaBatchNorm(nn.Module):
  """BatchNorm whose evaluation statistics mix the test batch's with the running (source) ones: alpha-BN
  (You, Li, Lin & Wang, "Test-time Batch Statistics Calibration for Covariate Shift", 2021,
  arXiv:2110.04065, eq. 5, slug test_time_batch_statistics)::

      mu = alpha * mu_test_batch + (1 - alpha) * mu_running
      sigma^2 = alpha * sigma^2_test_batch + (1 - alpha) * sigma^2_running
      y = scale * (x - mu) / sqrt(sigma^2 + epsilon) + bias

  ``alpha=0`` is standard BN inference, ``alpha=1`` normalises with the test batch alone. Training
  (``use_running_average=False``) is ``nn.BatchNorm``'s (momentum 0.9, eps 1e-5) and the variables have
  ``nn.BatchNorm``'s names (``params/scale, bias``; ``batch_stats/mean, var``), so a model trained with
  BatchNorm is evaluated with alpha-BN on the same variables. The paper's default is ``alpha=0.1``.
  """
  use_running_average: bool = True
  alpha: float = 0.1
  momentum: float = 0.9
  epsilon: float = 1e-5
  dtype: Dtype = None
  param_dtype: Dtype = jnp.float32

  @nn.compact
  def __call__(self, x):
    if not 0.0 <= self.alpha <= 1.0:
      raise ValueError(f"AlphaBatchNorm.alpha must be in [0, 1], got {self.alpha}")
    if not self.use_running_average:
      return nn.BatchNorm(use_running_average=False, momentum=self.momentum, epsilon=self.epsilon,
                          dtype=self.dtype, param_dtype=self.param_dtype, name="bn")(x)
    bn = nn.BatchNorm(use_running_average=True, dtype=self.dtype, param_dtype=self.param_dtype, name="bn")
    bn(x)  # creates (or reads) the same variables as in training
    f = x.shape[-1]
    mean_r = self.get_variable("batch_stats", "bn")["mean"]
    var_r = self.get_variable("batch_stats", "bn")["var"]
    p = self.get_variable("params", "bn")
    xf = jnp.asarray(x, jnp.float32).reshape(-1, f)
    mu = self.alpha * xf.mean(0) + (1 - self.alpha) * mean_r
    var = self.alpha * xf.var(0) + (1 - self.alpha) * var_r
    y = (jnp.asarray(x, jnp.float32) - mu) * jax.lax.rsqrt(var + self.epsilon) * p["scale"] + p["bias"]
    return y.astype(self.dtype or x.dtype)


# ------------------------------------------------------------------------------------------------ PowerNorm
def group_scaling(x, groups: int = 1, eps: float = 1e-5):
  """PowerNorm's ``GroupScaling1D``: each example/position divided by the root mean square of its features in
  each of ``groups`` groups (``groups=1``: RMSNorm without gain), ``x / sqrt(mean_group(x^2) + eps)``."""
  c = x.shape[-1]
  if c % groups:
    raise ValueError(f"group_scaling: channels {c} not divisible by groups={groups}")
  g = x.reshape(x.shape[:-1] + (groups, c // groups))
  g = g * jax.lax.rsqrt(jnp.mean(g * g, -1, keepdims=True) + eps)
  return g.reshape(x.shape)


@functools.partial(jax.custom_vjp, nondiff_argnums=(6, 7))
def power_norm_train(x, weight, bias, running_phi, ema_gz, use_batch_stats, abkw: float = 0.9, eps: float = 1e-5):
  """PowerNorm's training-mode forward with its approximate backward (Shen, Yao, Gholami, Mahoney & Keutzer,
  2020, arXiv:2003.07845, Algorithm 1; the authors' ``PowerFunction``), on ``x [N, C]``::

      var = mean_N x^2                       (quadratic mean of the batch, per channel)
      z   = x / sqrt(var + eps)  if use_batch_stats (warm-up)  else  x / sqrt(running_phi + eps)
      y   = weight * z + bias
    backward, with g = dL/dy * weight:
      g~  = g - (1 - abkw) * ema_gz * z      (the running estimate of the term the exact gradient has)
      dL/dx = g~ / sqrt(var + eps);  dL/dweight = sum_N dL/dy * z;  dL/dbias = sum_N dL/dy

  ``use_batch_stats`` is a float 1.0 (warm-up) or 0.0. The backward's running statistic is carried
  explicitly: the cotangent returned for ``ema_gz`` is not a gradient but its increment
  ``mean_N(g~ * z)`` (the authors' in-place ``ema_gz += ...``), so that
  ``ema_gz <- ema_gz + jax.grad(..., argnums=4)`` is their update. ``running_phi`` and ``use_batch_stats``
  get zero cotangents. See :class:`PowerNorm` for what the trainer uses.
  """
  return _pn_fwd(x, weight, bias, running_phi, ema_gz, use_batch_stats, abkw, eps)[0]


def _pn_fwd(x, weight, bias, running_phi, ema_gz, use_batch_stats, abkw, eps):
  var = jnp.mean(x * x, 0)
  denom = use_batch_stats * var + (1 - use_batch_stats) * running_phi
  z = x * jax.lax.rsqrt(denom + eps)
  return weight * z + bias, (z, var, weight, ema_gz, running_phi, use_batch_stats)


def _pn_bwd(abkw, eps, res, dy):
  z, var, weight, ema_gz, running_phi, use_batch_stats = res
  g = dy * weight
  approx = g - (1 - abkw) * ema_gz * z
  gx = approx * jax.lax.rsqrt(var + eps)
  return (gx, jnp.sum(dy * z, 0), jnp.sum(dy, 0), jnp.zeros_like(running_phi), jnp.mean(approx * z, 0),
          jnp.zeros_like(use_batch_stats))


power_norm_train.defvjp(_pn_fwd, _pn_bwd)


class PowerNorm(nn.Module):
  """Power Normalization (Shen, Yao, Gholami, Mahoney & Keutzer, "PowerNorm: Rethinking Batch Normalization in
  Transformers", ICML 2020, arXiv:2003.07845, slug powernorm; the authors' ``MaskPowerNorm``)::

      x <- x / sqrt(mean_features(x^2) + eps)                      (GroupScaling1D, groups=1)
      train:  var = mean over batch and positions of x^2 (per channel)
              z = x / sqrt(var + eps) during warm-up, else x / sqrt(running_phi + eps)
              running_phi <- (warm-up: the cumulative average, then) afwd * running_phi + (1 - afwd) * var
      eval:   z = x / sqrt(running_phi + eps)
      y = weight * z + bias

  Defaults (the authors'): ``alpha_fwd=0.9``, ``alpha_bkw=0.9``, ``eps=1e-5``, ``warmup_iters=4000`` (their
  IWSLT setting; the iteration counter is ``batch_stats/iter``), ``groups=1``. No mean is subtracted (the
  paper's point: the batch mean fluctuates in NLP batches).

  Backward: PowerNorm's approximate backpropagation needs a running statistic ``ema_gz`` updated *from the
  backward pass*; lbrl's trainer returns only the forward pass's state, so the module keeps ``ema_gz`` at
  its initial 0 and its backward is ``dL/dx = weight * dL/dy / sqrt(var + eps)`` (the gradient through
  the quadratic mean treated as a constant: the paper's approximation with the correction term
  switched off). :func:`power_norm_train` is the full forward/backward with ``ema_gz`` carried
  explicitly (input, and its increment as the cotangent), tested against a NumPy transcription of the
  authors' update over several steps; a training loop that threads ``ema_gz`` can use it.
  """
  use_running_average: bool = True
  alpha_fwd: float = 0.9
  alpha_bkw: float = 0.9
  epsilon: float = 1e-5
  warmup_iters: int = 4000
  groups: int = 1
  dtype: Dtype = None
  param_dtype: Dtype = jnp.float32

  @nn.compact
  def __call__(self, x):
    c = x.shape[-1]
    weight = self.param("scale", nn.initializers.ones, (c,), self.param_dtype)
    bias = self.param("bias", nn.initializers.zeros, (c,), self.param_dtype)
    phi = self.variable("batch_stats", "running_phi", lambda: jnp.ones((c,), jnp.float32))
    ema_gz = self.variable("batch_stats", "ema_gz", lambda: jnp.zeros((c,), jnp.float32))
    it = self.variable("batch_stats", "iter", lambda: jnp.zeros((), jnp.float32))  # float: state is averaged
    xf = group_scaling(jnp.asarray(x, jnp.float32), self.groups, self.epsilon)
    if self.use_running_average:
      return (xf * jax.lax.rsqrt(phi.value + self.epsilon) * weight + bias).astype(self.dtype or x.dtype)
    flat = xf.reshape(-1, c)
    t = it.value + 1
    warm = (t <= self.warmup_iters).astype(jnp.float32)
    y = power_norm_train(flat, weight, bias, phi.value, ema_gz.value, warm, self.alpha_bkw, self.epsilon)
    if not self.is_initializing():
      var = jax.lax.stop_gradient(jnp.mean(flat * flat, 0))
      avg = jnp.where(t < self.warmup_iters, phi.value * (t - 1) / t + var / t, phi.value)
      phi.value = self.alpha_fwd * avg + (1 - self.alpha_fwd) * var
      it.value = t
    return y.reshape(x.shape).astype(self.dtype or x.dtype)


# ------------------------------------------------------------------------------------------------- EvoNorms
def _group_moments(x, groups: int):
  """Mean and variance of ``x [B, ..., C]`` over the spatial axes and the ``C / groups`` channels of each
  group, broadcast back to ``x``'s shape."""
  c = x.shape[-1]
  if c % groups:
    raise ValueError(f"EvoNorm: channels {c} not divisible by groups={groups}")
  g = x.reshape(x.shape[:-1] + (groups, c // groups))
  axes = tuple(range(1, x.ndim - 1)) + (x.ndim,)
  mean = jnp.mean(g, axes, keepdims=True)
  var = jnp.var(g, axes, keepdims=True)
  return jnp.broadcast_to(mean, g.shape).reshape(x.shape), jnp.broadcast_to(var, g.shape).reshape(x.shape)


def _evonorm_params(module: nn.Module, c: int):
  """EvoNorm's per-channel ``v`` and ``gamma`` (init 1) and ``beta`` (init 0)."""
  return (module.param("v", nn.initializers.ones, (c,), module.param_dtype),
          module.param("scale", nn.initializers.ones, (c,), module.param_dtype),
          module.param("bias", nn.initializers.zeros, (c,), module.param_dtype))


class EvoNormS0(nn.Module):
  """EvoNorm-S0 (Liu, Brock, Simonyan & Le, "Evolving Normalization-Activation Layers", NeurIPS 2020,
  arXiv:2004.02967, Table 1 / Figure 5, slug evonorm): a batch-independent normalization-activation::

      y = x * sigmoid(v * x) / sqrt(group_var(x) + eps) * gamma + beta

  per-channel ``v``, ``gamma`` (init 1) and ``beta`` (init 0); ``groups=32`` (min with the channels),
  ``eps=1e-5``. Replaces a BN-ReLU pair.
  """
  groups: int = 32
  epsilon: float = 1e-5
  dtype: Dtype = None
  param_dtype: Dtype = jnp.float32

  @nn.compact
  def __call__(self, x):
    c = x.shape[-1]
    v, gamma, beta = _evonorm_params(self, c)
    xf = jnp.asarray(x, jnp.float32)
    _, var = _group_moments(xf, min(self.groups, c))
    y = xf * jax.nn.sigmoid(v * xf) * jax.lax.rsqrt(var + self.epsilon) * gamma + beta
    return y.astype(self.dtype or x.dtype)


class EvoNormB0(nn.Module):
  """EvoNorm-B0 (Liu et al., 2020, arXiv:2004.02967): batch-dependent, with running statistics::

      y = x / max(sqrt(batch_var(x) + eps), v * x + sqrt(instance_var(x) + eps)) * gamma + beta

  ``batch_var`` over batch and spatial axes per channel (its running average, momentum 0.9, at
  evaluation, in ``batch_stats/var``), ``instance_var`` over the spatial axes per example and channel;
  per-channel ``v``, ``gamma`` (init 1), ``beta`` (init 0); ``eps=1e-5``.
  """
  use_running_average: bool = True
  momentum: float = 0.9
  epsilon: float = 1e-5
  dtype: Dtype = None
  param_dtype: Dtype = jnp.float32

  @nn.compact
  def __call__(self, x):
    c = x.shape[-1]
    v, gamma, beta = _evonorm_params(self, c)
    running = self.variable("batch_stats", "var", lambda: jnp.ones((c,), jnp.float32))
    xf = jnp.asarray(x, jnp.float32)
    if self.use_running_average:
      bvar = running.value
    else:
      bvar = jnp.var(xf.reshape(-1, c), 0)
      if not self.is_initializing():
        running.value = self.momentum * running.value + (1 - self.momentum) * bvar
    ivar = jnp.var(xf, tuple(range(1, x.ndim - 1)), keepdims=True) if x.ndim > 2 else jnp.zeros_like(xf)
    den = jnp.maximum(jnp.sqrt(bvar + self.epsilon), v * xf + jnp.sqrt(ivar + self.epsilon))
    return (xf / den * gamma + beta).astype(self.dtype or x.dtype)


# ----------------------------------------------------------------------------------------------------- GDN
class GDN(nn.Module):
  """Generalized divisive normalization (Balle, Laparra & Simoncelli, "Density Modeling of Images using a
  Generalized Normalization Transformation", ICLR 2016, arXiv:1511.06281, eq. 4, slug
  density_modeling_images_generalized), over the channel axis::

      y_i = x_i / (beta_i + sum_j gamma_ij |x_j|^alpha)^epsilon

  The paper learns ``alpha`` and ``epsilon``; lbrl fixes them (``alpha=2``, ``epsilon=1/2``, the form used
  by the later compression models and compressai) and learns ``beta`` (init 1, floored at
  ``beta_min=1e-6``) and ``gamma`` (init ``0.1 * I``, floored at 0). ``inverse=True`` gives IGDN,
  ``y_i = x_i * (beta_i + sum_j gamma_ij |x_j|^alpha)^epsilon`` (the decoder's approximate inverse);
  :func:`gdn_inverse` is the exact inverse by the paper's fixed-point iteration.
  """
  inverse: bool = False
  alpha: float = 2.0
  epsilon: float = 0.5
  beta_min: float = 1e-6
  gamma_init: float = 0.1
  dtype: Dtype = None
  param_dtype: Dtype = jnp.float32

  @nn.compact
  def __call__(self, x):
    c = x.shape[-1]
    beta = self.param("beta", nn.initializers.ones, (c,), self.param_dtype)
    gamma = self.param("gamma", lambda k, s, d: self.gamma_init * jnp.eye(s[0], dtype=d), (c, c), self.param_dtype)
    xf = jnp.asarray(x, jnp.float32)
    norm = gdn_pool(xf, beta, gamma, self.alpha, self.epsilon, self.beta_min)
    return (xf * norm if self.inverse else xf / norm).astype(self.dtype or x.dtype)


def gdn_pool(x, beta, gamma, alpha=2.0, epsilon=0.5, beta_min=1e-6):
  """``(max(beta, beta_min) + |x|^alpha @ max(gamma, 0)^T)^epsilon`` over the last axis."""
  pooled = jnp.maximum(beta, beta_min) + jnp.abs(x) ** alpha @ jnp.maximum(gamma, 0.0).T
  return pooled ** epsilon


def gdn_inverse(y, beta, gamma, alpha=2.0, epsilon=0.5, beta_min=1e-6, iters: int = 50):
  """The ``x`` with ``GDN(x) = y``, by the fixed-point iteration ``x <- y * pool(x)`` (Balle et al., 2016,
  Section 3, which converges for the small ``gamma`` of a trained model); ``iters`` steps from ``x = y``."""
  def body(_, x):
    return y * gdn_pool(x, beta, gamma, alpha, epsilon, beta_min)
  return jax.lax.fori_loop(0, iters, body, y)
