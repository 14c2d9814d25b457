"""The precision policy: which layers compute in which format, switched by config.

``config.dtype`` sets the parameter and compute dtypes of the whole model (float32, bfloat16, ...).
``config.precision.rules`` adds quantized training on top, through qwix (Google's JAX quantization
library): every matching ``dot_general``/``einsum``/``conv`` of a Flax module computes on
fake-quantized operands (quantize -> dequantize in the forward pass, straight-through gradients), so
a config reproduces what a format does to the numbers without a model change::

    c.precision.rules = [dict(module_path=".*", weight_qtype="int8"),                 # weight-only int8
                         dict(module_path="Dense_0", weight_qtype="float8_e4m3fn",
                              act_qtype="float8_e4m3fn")]                             # fp8 weights and inputs

Each rule is a ``qwix.QtRule`` (keys: ``module_path`` regex over the Flax module path, ``weight_qtype``,
``act_qtype``, ``bwd_qtype``, ``tile_size``, ``weight_calibration_method`` ...); the first matching rule
applies. Quantization is symmetric ``absmax`` per output channel by default (qwix's default): for a
Dense kernel ``W [in, out]`` in int8, ``s_j = max_i |W_ij| / 127.5`` (qwix's bound is ``qmax + 0.5``;
pinned in tests/quant/test_quantizers.py) and ``W_ij -> round(W_ij / s_j) s_j``.

``config.precision.matmul`` replaces qwix by :mod:`lbrl.quant.policy` where a paper's quantizer is not
qwix's: per-role specs for the input, the kernel and the output cotangent of every Dense matmul (MX
blocks, power-of-two or no scaling, stochastic rounding), the large-gradient interval quantizer and
block-Hadamard backward matmuls.

``config.precision.loss_scale`` adds loss scaling for float16 training (Micikevicius et al., "Mixed
Precision Training", ICLR 2018, arXiv:1710.03740, slug ``mixed_precision``): with
``config.dtype = dict(param="float32", compute="float16")`` the parameters stay float32 (the master
weights; each layer casts them to float16), and gradients of small magnitude flush to zero in the
float16 backward pass. Loss scaling differentiates ``S * loss`` and divides the float32 gradients by
``S``, which shifts the backward pass's values into float16's range::

    c.precision.loss_scale = dict(kind="dynamic")   # S0 = 2^15, x2 after 2000 finite steps, /2 on overflow
    c.precision.loss_scale = dict(kind="static", scale=1024.0)

The dynamic rule is flax's :class:`flax.training.dynamic_scale.DynamicScale` (used as is; its state
``scale``/``fin_steps`` is the gradient estimator's state, so it is checkpointed and resumed): when the
unscaled gradients are finite, ``fin_steps += 1`` and after ``growth_interval`` of them ``S *= 2``;
when not, the update is skipped by the trainer (its non-finite rule) and ``S /= 2`` (at least
``minimum``). The paper's defaults: "start with a large scaling factor ... decrease on overflow,
increase after N iterations without one" (its Section 3.2; N = 2000 as in NVIDIA Apex and PyTorch
``GradScaler``, whose initial scale is 2^16; lbrl starts at 2^15 as the paper's experiments that state
a factor used values up to 2^15 = 32768). Loss scaling needs the plain gradient estimator.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
from flax.training.dynamic_scale import DynamicScale

LOSS_SCALE_KINDS = ("dynamic", "static", "none")


def apply_precision(model, precision):
  """``model`` with the quantization ``precision.rules`` (qwix) or ``precision.matmul`` (lbrl's quantized
  training matmuls with the papers' gradient quantizers, :mod:`lbrl.quant.policy`) applied; the model
  itself when there are none."""
  rules = [dict(r) for r in (precision.get("rules", []) if precision else [])]
  matmul = precision.get("matmul") if precision else None
  if matmul:
    if rules:
      raise ValueError("config.precision: set either rules (qwix) or matmul (lbrl.quant.policy), not both")
    from lbrl.quant import policy
    return policy.quantized_model(model, policy.policy_from_config(matmul))
  if not rules:
    return model
  import qwix
  try:
    qt_rules = [qwix.QtRule(**r) for r in rules]
  except TypeError as e:
    raise ValueError(f"config.precision.rules: {e}; a rule takes the fields of qwix.QtRule "
                     "(module_path, weight_qtype, act_qtype, bwd_qtype, tile_size, ...)") from None
  return qwix.quantize_model(model, qwix.QtProvider(qt_rules))


class LossScaledEstimator(NamedTuple):
  """A gradient estimator (the interface of :class:`lbrl.optim.sharpness.GradEstimator`) computing
  loss-scaled gradients; ``select(finite, new, old)`` is the state the trainer keeps after a step (the
  new loss scale even when the update was skipped: an overflow must lower the scale)."""
  name: str
  grad_evals: float
  init: Callable[..., Any]
  value_and_grad: Callable[..., Any]
  select: Callable[..., Any]


def loss_scaled(estimator, precision):
  """``estimator`` with ``precision.loss_scale`` applied (itself when there is none); see the module
  docstring. Keys of ``loss_scale``: ``kind`` (``"dynamic"``, ``"static"`` or ``"none"``), ``scale`` (initial/static
  S, default 2^15), ``growth_interval`` (2000), ``growth_factor`` (2.0), ``backoff_factor`` (0.5),
  ``minimum`` (1.0)."""
  ls = precision.get("loss_scale") if precision else None
  if not ls:
    return estimator
  ls = dict(ls)
  kind = ls.pop("kind", "dynamic")
  if kind not in LOSS_SCALE_KINDS:
    raise ValueError(f"config.precision.loss_scale.kind must be one of {LOSS_SCALE_KINDS}, got {kind!r}")
  if kind == "none":
    return estimator
  scale = float(ls.pop("scale", 2.0 ** 15))
  growth_interval = int(ls.pop("growth_interval", 2000))
  growth, backoff = float(ls.pop("growth_factor", 2.0)), float(ls.pop("backoff_factor", 0.5))
  minimum = float(ls.pop("minimum", 1.0))
  if ls:
    raise ValueError(f"config.precision.loss_scale: unknown keys {sorted(ls)}; known: kind, scale, "
                     "growth_interval, growth_factor, backoff_factor, minimum")
  if not scale > 0 or growth_interval < 1 or not growth >= 1 or not 0 < backoff <= 1:
    raise ValueError("config.precision.loss_scale needs scale > 0, growth_interval >= 1, growth_factor >= 1 and "
                     f"0 < backoff_factor <= 1; got {scale}, {growth_interval}, {growth}, {backoff}")
  if kind == "static":
    growth, backoff = 1.0, 1.0
  if getattr(estimator, "name", None) != "plain":
    raise ValueError(f"config.precision.loss_scale needs the plain gradient estimator, got "
                     f"{getattr(estimator, 'name', estimator)!r}")

  def init(params=None, **_):
    del params
    return DynamicScale(growth_factor=growth, backoff_factor=backoff, growth_interval=growth_interval,
                        fin_steps=jnp.zeros((), jnp.int32), scale=jnp.asarray(scale, jnp.float32),
                        minimum_scale=minimum)

  def value_and_grad(loss_fn, params, batch, rng, state):
    new_state, _, (loss, aux), grads = state.value_and_grad(loss_fn, has_aux=True)(params, batch, rng)
    grads = jax.tree.map(lambda g, p: g.astype(p.dtype), grads, params)
    return (loss, aux), grads, new_state

  def select(finite, new, old):
    del finite, old
    return new

  return LossScaledEstimator(f"loss_scaled_{kind}", estimator.grad_evals, init, value_and_grad, select)
