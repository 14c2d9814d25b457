"""Helpers shared by every loss family: label handling, masking, reduction, input checks."""
from __future__ import annotations

import jax
import jax.numpy as jnp

Array = jax.Array


def check_logits_labels(name: str, logits: Array, labels: Array) -> None:
  """Trace-time shape/dtype checks for ``loss(logits[..., C], labels)``.

  ``labels`` is either integer class ids shaped ``logits.shape[:-1]`` or one-hot/soft targets shaped
  like ``logits``. Errors name the function and the offending argument.
  """
  if not jnp.issubdtype(logits.dtype, jnp.floating):
    raise TypeError(f"{name}: logits must be floating point, got dtype {logits.dtype}")
  if logits.ndim < 1:
    raise ValueError(f"{name}: logits must have a class axis, got shape {logits.shape}")
  if jnp.issubdtype(labels.dtype, jnp.integer):
    if labels.shape != logits.shape[:-1]:
      raise ValueError(f"{name}: integer labels must have shape logits.shape[:-1]={logits.shape[:-1]}, "
                       f"got labels.shape={labels.shape}")
  elif jnp.issubdtype(labels.dtype, jnp.floating):
    if labels.shape != logits.shape:
      raise ValueError(f"{name}: one-hot/soft labels must have the shape of logits {logits.shape}, "
                       f"got labels.shape={labels.shape}")
  else:
    raise TypeError(f"{name}: labels must be integer class ids or float targets, got dtype {labels.dtype}")


def as_float32(x: Array) -> Array:
  """Upcasts half-precision inputs to float32 (losses compute in at least float32)."""
  return x.astype(jnp.promote_types(x.dtype, jnp.float32))


def valid_labels(labels: Array, num_classes: int) -> Array:
  """Boolean mask of integer labels inside ``[0, num_classes)``."""
  return (labels >= 0) & (labels < num_classes)


def to_targets(labels: Array, num_classes: int, dtype=jnp.float32) -> Array:
  """Integer ids -> one-hot (out-of-range ids give an all-zero row); float targets pass through."""
  if jnp.issubdtype(labels.dtype, jnp.integer):
    return jax.nn.one_hot(labels, num_classes, dtype=dtype)
  return labels.astype(dtype)


def apply_where(values: Array, where: Array | None) -> Array:
  """Zeroes the entries where ``where`` is False (keeps the batch shape)."""
  if where is None:
    return values
  where = jnp.asarray(where)
  if where.shape != values.shape:
    raise ValueError(f"where must have the per-example shape {values.shape}, got {where.shape}")
  return jnp.where(where, values, jnp.zeros_like(values))


def reduce(values: Array, where: Array | None = None) -> Array:
  """Mean of per-example ``values`` over the entries where ``where`` is True.

  Safe when nothing is left to average (returns 0, with zero gradient). This is the one reduction the
  trainer uses, so a per-example loss and its masked mean always agree.
  """
  values = as_float32(values)
  if where is None:
    return jnp.mean(values)
  where = jnp.broadcast_to(jnp.asarray(where, bool), values.shape)
  total = jnp.sum(jnp.where(where, values, 0.0))
  count = jnp.sum(where)
  return total / jnp.maximum(count, 1)
