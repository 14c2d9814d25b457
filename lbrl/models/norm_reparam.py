"""Weight reparameterizations of a dense layer, selectable by name: weight compander and weight conditioning.

Both papers' method sections were not reachable offline (only their abstracts: the search store returns
the first part of the arXiv pages, and neither paper released code). The formulas below are lbrl's
readings of the abstracts, with every choice stated; tests check them against float64 NumPy
transcriptions of these formulas and against the properties the abstracts state.

* ``"compander"`` -- :class:`CompandedDense`, weight compander (Cakaj, Mehnert & Yang, "Weight Compander: A
  Simple Weight Reparameterization for Regularization", IJCNN 2023, arXiv:2306.16993, slug
  weight_compander). The abstract: a nonlinear function applied to each weight that restricts the weight's
  magnitude while forcing it away from zero, whose hyperparameters may be learned. lbrl's function of the
  trained parameter ``theta``::

      w = f(theta) = sign(theta) * a * (1 - exp(-|theta| / b))

  ``|w| < a`` (the magnitude is capped at ``a``), ``f'(0) = a / b`` (with ``a / b > 1`` small parameters are
  expanded away from zero, and the gradient into ``theta`` of a weight near its cap vanishes: the
  compressor). ``a = cap * s`` and ``b = a / slope`` with ``s`` the standard deviation of the layer's
  plain initialisation (``sqrt(1 / fan_in)``, flax's LeCun normal), so ``cap`` and ``slope`` are unitless;
  defaults ``cap=3``, ``slope=2``. ``theta`` is initialised at ``f^-1(w0)`` with ``w0`` the plain
  layer's draw (``kernel_init``, default LeCun normal) clipped to ``|w0| <= 0.99 a``, so the layer equals
  the plain layer at initialisation (up to that clipping). ``learn=True`` makes ``log a`` and ``log b``
  learned scalars per layer (parameters ``log_cap``, ``log_scale``; the paper's learned-hyperparameter
  variant), else they are fixed.
  The bias is not reparameterized.

* ``"conditioning"`` -- :class:`ConditionedDense`, weight conditioning (Saratchandran, Wang & Lucey,
  "Weight Conditioning for Smooth Optimization of Neural Networks", ECCV 2024, arXiv:2409.03424, slug
  weight_conditioning_smooth_optimization). The abstract: a normalization of each weight matrix that narrows
  the gap between its smallest and largest singular values, inspired by preconditioning in numerical linear
  algebra. lbrl's reading is the classical diagonal preconditioner that does this, equilibration (van der
  Sluis, 1969: scaling every column of ``W`` to unit 2-norm brings ``kappa(W D)`` within ``sqrt(n)`` of the
  best diagonal scaling). With ``W = kernel^T`` (``[out, in]``; flax's kernel is ``[in, out]``)::

      "column": W_hat = gain * sqrt(out / in) * W diag(1 / ||W[:, i]||)      (default; each input's fan-out)
      "row":    W_hat = gain * diag(1 / ||W[j, :]||) W                        (each unit's fan-in)

  ``gain`` is fixed (default ``sqrt(2)``, He's ReLU gain), chosen so that the entries of ``W_hat`` have
  the scale ``gain / sqrt(in)`` of He initialisation; no parameter is added (the paper presents weight
  conditioning as distinct from weight normalization, whose per-unit gain ``g`` is learned: ``"row"`` is
  WeightNorm with ``g`` frozen at ``gain``). ``eps = 1e-12`` guards zero columns.

:func:`make_dense` builds a dense layer by name for the zoo's models (``"none"``: ``nn.Dense``;
``"weight_norm"``: ``flax.linen.WeightNorm(nn.Dense)``, Salimans & Kingma 2016; ``"compander"``;
``"conditioning"``); ``options`` are the layer's fields.
"""
from __future__ import annotations

import math
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

REPARAMS = ("none", "weight_norm", "compander", "conditioning")


def compand(theta, cap, scale):
  """The compander ``sign(theta) * cap * (1 - exp(-|theta| / scale))`` (cap and scale positive)."""
  return jnp.sign(theta) * cap * -jnp.expm1(-jnp.abs(theta) / scale)


def compand_inverse(w, cap, scale):
  """``theta`` with ``compand(theta) = w`` for ``|w| < cap``: ``-sign(w) * scale * log(1 - |w| / cap)``."""
  return -jnp.sign(w) * scale * jnp.log1p(-jnp.abs(w) / cap)


def condition_kernel(kernel, conditioner: str = "column", gain: float = math.sqrt(2.0), eps: float = 1e-12):
  """The equilibrated kernel of :class:`ConditionedDense` (``kernel`` ``[in, out]``, see the module docstring;
  a convolution's ``[..., in, out]`` kernel is its ``[prod(...) * in, out]`` matrix)."""
  if conditioner not in ("column", "row"):
    raise ValueError(f"conditioner must be 'column' or 'row', got {conditioner!r}")
  shape = kernel.shape
  kernel = kernel.reshape(-1, shape[-1])
  fan_in, fan_out = kernel.shape
  if conditioner == "column":     # W's column i is the kernel's row i (input i's outgoing weights)
    norm = jnp.sqrt(jnp.sum(jnp.square(kernel), axis=-1, keepdims=True) + eps)
    return (kernel / norm * (gain * math.sqrt(fan_out / fan_in))).reshape(shape)
  norm = jnp.sqrt(jnp.sum(jnp.square(kernel), axis=-2, keepdims=True) + eps)   # "row": unit j's incoming weights
  return (kernel / norm * gain).reshape(shape)


def companded_kernel(module: nn.Module, shape: tuple, cap: float, slope: float, learn: bool, base_init):
  """Inside ``module``'s compact call: the parameter ``kernel`` (theta, initialised at ``f^-1`` of
  ``base_init``'s draw clipped to 0.99 a), with ``log_cap`` / ``log_scale`` when ``learn``; returns
  ``f(theta)``. ``a = cap / sqrt(fan_in)``, ``fan_in = prod(shape[:-1])``, ``b = a / slope``."""
  a0 = cap / math.sqrt(math.prod(shape[:-1]))
  b0 = a0 / slope
  a, b = a0, b0
  if learn:
    a = jnp.exp(module.param("log_cap", nn.initializers.constant(math.log(a0)), (), module.param_dtype))
    b = jnp.exp(module.param("log_scale", nn.initializers.constant(math.log(b0)), (), module.param_dtype))

  def theta_init(key, shp, dtype):
    return compand_inverse(jnp.clip(base_init(key, shp, jnp.float32), -0.99 * a0, 0.99 * a0), a0, b0).astype(dtype)
  return compand(module.param("kernel", theta_init, shape, module.param_dtype), a, b)


class CompandedDense(nn.Module):
  """Dense layer whose kernel is ``compand(theta)`` elementwise (weight compander; module docstring)."""
  features: int
  cap: float = 3.0
  slope: float = 2.0
  learn: bool = False
  use_bias: bool = True
  kernel_init: Any = nn.initializers.lecun_normal()   # the plain layer's init, drawn for w0
  dtype: Any = jnp.float32
  param_dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x):
    if self.cap <= 0 or self.slope <= 0:
      raise ValueError(f"CompandedDense needs cap > 0 and slope > 0, got cap={self.cap}, slope={self.slope}")
    kernel = companded_kernel(self, (x.shape[-1], self.features), self.cap, self.slope, self.learn, self.kernel_init)
    y = jnp.dot(x.astype(self.dtype), kernel.astype(self.dtype))
    if self.use_bias:
      y = y + self.param("bias", nn.initializers.zeros, (self.features,), self.param_dtype).astype(self.dtype)
    return y


class ConditionedDense(nn.Module):
  """Dense layer whose kernel is equilibrated before use (weight conditioning; module docstring)."""
  features: int
  conditioner: str = "column"
  gain: float = math.sqrt(2.0)
  use_bias: bool = True
  kernel_init: Any = nn.initializers.lecun_normal()
  dtype: Any = jnp.float32
  param_dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x):
    kernel = self.param("kernel", self.kernel_init, (x.shape[-1], self.features), self.param_dtype)
    kernel = condition_kernel(kernel, self.conditioner, self.gain)
    y = jnp.dot(x.astype(self.dtype), kernel.astype(self.dtype))
    if self.use_bias:
      y = y + self.param("bias", nn.initializers.zeros, (self.features,), self.param_dtype).astype(self.dtype)
    return y


class ReparamConv(nn.Module):
  """A convolution (lbrl's mesh-aware ``conv_general_dilated``, NHWC / HWIO) whose kernel is reparameterized
  like :class:`CompandedDense` (``kind="compander"``, fan-in ``prod(kernel_size) * in``) or
  :class:`ConditionedDense` (``"conditioning"``): the stored kernel is ``theta`` (compander; initialised at
  ``f^-1`` of the plain draw) or ``W`` (conditioning), the convolution uses ``f(theta)`` / ``W_hat``.
  ``options``: the dense layer's fields (``cap``, ``slope``, ``learn``; ``conditioner``, ``gain``);
  ``conv``: ``strides``, ``padding`` ("SAME" | "VALID"), ``use_bias``, ``kernel_init`` (plain init)."""
  features: int
  kernel_size: tuple
  kind: str = "conditioning"
  options: Any = ()
  conv: Any = ()
  dtype: Any = jnp.float32
  param_dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x):
    from lbrl.models import _layers as L
    opts, conv = dict(self.options), dict(self.conv)
    strides = tuple(conv.pop("strides", (1,) * len(self.kernel_size)))
    padding, use_bias = conv.pop("padding", "SAME"), conv.pop("use_bias", True)
    base_init = conv.pop("kernel_init", nn.initializers.lecun_normal())
    if conv:
      raise ValueError(f"ReparamConv.conv takes strides, padding, use_bias, kernel_init; got {sorted(conv)}")
    shape = (*self.kernel_size, x.shape[-1], self.features)
    if self.kind == "conditioning":
      kernel = condition_kernel(self.param("kernel", base_init, shape, self.param_dtype), **opts)
    elif self.kind == "compander":
      cap, slope, learn = opts.pop("cap", 3.0), opts.pop("slope", 2.0), opts.pop("learn", False)
      if opts or cap <= 0 or slope <= 0:
        raise ValueError(f"ReparamConv compander takes cap > 0, slope > 0, learn; got {dict(self.options)}")
      kernel = companded_kernel(self, shape, cap, slope, learn, base_init)
    else:
      raise ValueError(f"ReparamConv.kind must be 'compander' or 'conditioning', got {self.kind!r}")
    sp = "HWD"[:len(self.kernel_size)]
    dims = jax.lax.conv_dimension_numbers(x.shape, shape, (f"N{sp}C", f"{sp}IO", f"N{sp}C"))
    y = L.conv_general_dilated(jnp.asarray(x, self.dtype), jnp.asarray(kernel, self.dtype), strides, padding,
                               dimension_numbers=dims)
    if use_bias:
      y = y + self.param("bias", nn.initializers.zeros, (self.features,), self.param_dtype).astype(self.dtype)
    return y


def make_dense(kind: str, features: int, *, name: str | None = None, options: Any = (), **kw) -> nn.Module:
  """A dense layer with the weight reparameterization ``kind`` (one of :data:`REPARAMS`); ``options``
  (a dict or ``(name, value)`` pairs) are the layer's fields (e.g. ``{"cap": 3.0, "learn": True}``);
  ``kw`` (dtype, param_dtype, kernel_init, use_bias) go to the dense layer."""
  opts = dict(options)
  if kind == "none":
    return nn.Dense(features, name=name, **opts, **kw)
  if kind == "weight_norm":
    return nn.WeightNorm(nn.Dense(features, name=name, **kw), **opts)   # as ResMLP(weight_norm=True) names it
  if kind == "compander":
    return CompandedDense(features, name=name, **opts, **kw)
  if kind == "conditioning":
    return ConditionedDense(features, name=name, **opts, **kw)
  raise ValueError(f"unknown weight reparameterization {kind!r}; known: {REPARAMS}")


def kernel_condition_numbers(kernels) -> jax.Array:
  """``sigma_max / sigma_min`` of each 2-D kernel in a list (the quantity weight conditioning narrows)."""
  out = []
  for k in kernels:
    s = jnp.linalg.svd(jnp.asarray(k, jnp.float32), compute_uv=False)
    out.append(s[0] / jnp.maximum(s[-1], 1e-30))
  return jnp.stack(out)
