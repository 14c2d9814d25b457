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
Dense kernel ``W [in, out]`` in int8, ``s_j = max_i |W_ij| / 127`` and ``W_ij -> round(W_ij / s_j) s_j``.
"""
from __future__ import annotations


def apply_precision(model, precision):
  """``model`` with the quantization ``precision.rules`` applied (the model itself when there are none)."""
  rules = [dict(r) for r in (precision.get("rules", []) if precision else [])]
  if not rules:
    return model
  import qwix
  try:
    qt_rules = [qwix.QtRule(**r) for r in rules]
  except TypeError as e:
    raise ValueError(f"config.precision.rules: {e}; a rule takes the fields of qwix.QtRule "
                     "(module_path, weight_qtype, act_qtype, bwd_qtype, tile_size, ...)") from None
  return qwix.quantize_model(model, qwix.QtProvider(qt_rules))
