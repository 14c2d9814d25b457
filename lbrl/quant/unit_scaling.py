"""Unit scaling (Blake, Orr and Luschi, "Unit Scaling: Out-of-the-Box Low-Precision Training", ICML 2023,
arXiv:2303.11257, slug ``unit_scaling``): scale factors in the forward and backward passes chosen so that
activations, weights and gradients have unit variance at initialisation, which centres them in a
low-precision format's range (float16, float8) without loss scaling.

Scaled ops (the paper's Section 4; the authors' ``unit_scaling`` package, v0.1 API):

* :func:`scale_fwd` ``(x, s)``: forward ``s x``, backward the cotangent unchanged;
* :func:`scale_bwd` ``(x, s)``: forward ``x``, backward ``s g``;
* :func:`linear` ``(x [..., fan_in], w [fan_in, fan_out], b)``: ``y = s_out (x w + b)`` with
  ``s_out = fan_in^-1/2``; the cotangent of ``x`` is scaled by ``s_x = fan_out^-1/2``, of ``w`` and ``b``
  by ``s_w = batch^-1/2`` (``batch`` = the number of rows of ``x``). ``x`` and ``y`` are not on a cut edge
  of the graph, so their two scales are constrained to one value, by default the geometric mean
  ``s_out = s_x = (fan_in fan_out)^-1/4`` (``constraint="gmean"``; ``"to_output_scale"`` keeps
  ``fan_in^-1/2`` for both, ``None`` leaves them apart, which is exact only where x's gradient is not
  also an input's forward value). Weights are initialised with unit variance (:func:`unit_normal_init`).

lbrl differs from the package's weight layout only: a flax kernel is ``[fan_in, fan_out]`` (torch's is
``[fan_out, fan_in]``).

Example::

  >>> y = linear(x, w)          # x, w ~ N(0, 1): std(y) ~ (fan_in / fan_out)^(1/4) under gmean
"""
from __future__ import annotations

import math
from functools import partial
from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

CONSTRAINTS = ("gmean", "to_output_scale", "to_grad_input_scale", None)


@partial(jax.custom_vjp, nondiff_argnums=(1,))
def scale_fwd(x, s: float):
  """Forward ``s x``; backward identity."""
  return x * jnp.asarray(s, x.dtype)


scale_fwd.defvjp(lambda x, s: (x * jnp.asarray(s, x.dtype), None), lambda s, _, g: (g,))


@partial(jax.custom_vjp, nondiff_argnums=(1,))
def scale_bwd(x, s: float):
  """Forward identity; backward ``s g``."""
  return x


scale_bwd.defvjp(lambda x, s: (x, None), lambda s, _, g: (g * jnp.asarray(s, g.dtype),))


def constrain(output_scale: float, grad_input_scale: float, constraint: str | None) -> tuple[float, float]:
  """The two scales of a non-cut edge after ``constraint`` (see the module docstring)."""
  if constraint not in CONSTRAINTS:
    raise ValueError(f"constraint must be one of {CONSTRAINTS}, got {constraint!r}")
  if constraint == "gmean":
    s = math.sqrt(output_scale * grad_input_scale)
    return s, s
  if constraint == "to_output_scale":
    return output_scale, output_scale
  if constraint == "to_grad_input_scale":
    return grad_input_scale, grad_input_scale
  return output_scale, grad_input_scale


def linear_scales(fan_in: int, fan_out: int, batch: int, constraint: str | None = "gmean") -> dict[str, float]:
  """``{"output", "grad_input", "grad_weight"}`` scales of :func:`linear`."""
  out, gin = constrain(fan_in ** -0.5, fan_out ** -0.5, constraint)
  return {"output": out, "grad_input": gin, "grad_weight": batch ** -0.5}


def linear(x: jax.Array, w: jax.Array, b: jax.Array | None = None, *, constraint: str | None = "gmean") -> jax.Array:
  """Unit-scaled ``x @ w + b`` (module docstring). ``x [..., fan_in]``, ``w [fan_in, fan_out]``."""
  if w.ndim != 2 or x.shape[-1] != w.shape[0]:
    raise ValueError(f"linear: w must be [fan_in, fan_out] with fan_in = x.shape[-1] = {x.shape[-1]}; got {w.shape}")
  fan_in, fan_out = w.shape
  batch = max(1, math.prod(x.shape[:-1]))
  s = linear_scales(fan_in, fan_out, batch, constraint)
  x = scale_bwd(x, s["grad_input"])
  w = scale_bwd(w, s["grad_weight"])
  y = x @ w
  if b is not None:
    y = y + scale_bwd(b, s["grad_weight"])
  return scale_fwd(y, s["output"])


def unit_normal_init(key, shape, dtype=jnp.float32):
  """Unit-variance weights ``N(0, 1)`` (unit scaling puts the fan-in factor into the op, not the init)."""
  return jax.random.normal(key, shape, dtype)


class UnitScaledMLP(nn.Module):
  """An MLP built from unit-scaled linear layers (``unit_scaled_mlp``): unit-normal kernels, with zero-initialised
  biases when ``use_bias`` (``y = s_out (x W + b)`` as :func:`linear`; default False, as lbrl first read it);
  layer l computes ``scale_fwd(scale_bwd(x, s_x) W_l, s_out)`` with the scales of :func:`linear_scales`
  (``constraint``, default gmean), ReLU between layers, and the logits' cotangent multiplied by the batch
  size (``scale_bwd(logits, batch)``: the mean cross-entropy's gradient ``(p - y) / batch`` back to unit
  scale, the unit-scaled loss of the paper's Section 4). The weight-gradient scale ``batch^-1/2`` of
  :func:`linear` is not applied: the kernels live in ``nn.Dense`` (so precision policies see them), and
  with Adam a constant gradient scale leaves the update unchanged. Compare with ``mlp`` (``lbrl.models.simple.MLP``)."""
  num_classes: int | None = None
  hidden: Sequence[int] = (256, 256)
  constraint: str | None = "gmean"
  use_bias: bool = False   # True: y = s_out (x W + b), b zero-initialised (the package's Linear(bias=True))
  dtype: str = "float32"
  param_dtype: str = "float32"

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    if self.num_classes is None:
      raise ValueError("UnitScaledMLP: num_classes is required")
    x = x.reshape(x.shape[0], -1).astype(self.dtype)
    batch = x.shape[0]
    widths = [*self.hidden, self.num_classes]
    for i, width in enumerate(widths):
      s = linear_scales(x.shape[-1], width, batch, self.constraint)
      x = scale_bwd(x, s["grad_input"])
      x = nn.Dense(width, use_bias=self.use_bias, kernel_init=nn.initializers.normal(1.0), dtype=self.dtype,
                   param_dtype=self.param_dtype)(x)
      x = scale_fwd(x, s["output"])
      if i < len(widths) - 1:
        x = nn.relu(x)
    return scale_bwd(x, float(batch))
