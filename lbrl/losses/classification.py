"""Classification losses (catalog family CLS)."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from lbrl.losses import _common
from lbrl.registry import LOSSES


@LOSSES.register("cross_entropy")
def cross_entropy(logits, labels, *, label_smoothing: float = 0.0, where=None):
  """Softmax cross-entropy, per example: ``-sum_k y_k log softmax(z)_k``.

  Args:
    logits: ``[..., C]`` unnormalised scores (any float dtype; computed in float32 at least).
    labels: integer ids ``[...]`` or one-hot/soft targets ``[..., C]``. Integer ids outside
      ``[0, C)`` are treated as ignored positions (loss 0), never read out of bounds.
    label_smoothing: mixes the target with the uniform distribution, ``(1-a) y + a / C``.
    where: optional boolean ``[...]``; False entries give 0.
  """
  _common.check_logits_labels("cross_entropy", logits, labels)
  logits = _common.as_float32(logits)
  num_classes = logits.shape[-1]
  targets = _common.to_targets(labels, num_classes, logits.dtype)
  if label_smoothing:
    targets = optax.smooth_labels(targets, label_smoothing)
  values = optax.softmax_cross_entropy(logits, targets)
  if jnp.issubdtype(labels.dtype, jnp.integer):
    values = jnp.where(_common.valid_labels(labels, num_classes), values, 0.0)
  return _common.apply_where(values, where)
