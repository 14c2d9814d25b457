"""Contrast invariance of a trained model's predictions (an analysis tool, :data:`lbrl.registry.ANALYSIS_TOOLS`
``contrast_invariance``).

Ulyanov, Vedaldi & Lempitsky, "Instance Normalization: The Missing Ingredient for Fast Stylization", 2016,
arXiv:1607.08022 (slug instance_normalization), Section 2: the result should not depend on the contrast of
the input image, and instance normalization (per image and channel, over the spatial axes, the same at
training and test time) removes instance-specific contrast, where batch normalization at test time applies
fixed population statistics. The tool measures it on a classifier: each image's contrast is changed about
its own mean,

    x' = m + c (x - m),     m = mean over the image's pixels and channels,

and the predictions on ``x'`` are compared with those on ``x``.
"""
from __future__ import annotations

import numpy as np


def change_contrast(x, factor: float):
  """``m + factor * (x - m)`` per example (``m`` the mean of each example over all its non-batch axes);
  ``factor`` < 1 lowers the contrast, > 1 raises it."""
  if not factor > 0:
    raise ValueError(f"contrast factor must be > 0, got {factor}")
  x = np.asarray(x, np.float32)
  m = x.reshape(x.shape[0], -1).mean(1).reshape((-1,) + (1,) * (x.ndim - 1))
  return (m + np.float32(factor) * (x - m)).astype(np.float32)


def contrast_invariance(ctx, *, factors=(0.25, 4.0)) -> tuple[dict, dict]:
  """Predictions of ``ctx.apply`` (eval mode) on ``ctx.x`` and on :func:`change_contrast` of it per factor.

  Scalars: ``clean_acc``; per factor ``c``: ``acc_c<c>`` (accuracy on the changed images) and
  ``agreement_c<c>`` (the fraction of examples whose predicted class is unchanged).
  """
  import jax
  import jax.numpy as jnp
  if not factors or any(not float(f) > 0 for f in factors):
    raise ValueError(f"factors must be a non-empty list of positive contrast factors, got {factors}")
  labels = np.asarray(ctx.labels)
  f = jax.jit(lambda p, x: ctx.apply(p, x, train=False))
  predict = lambda x: np.argmax(np.asarray(f(ctx.params, jnp.asarray(x))), -1)
  clean = predict(ctx.x)
  out = {"clean_acc": float(np.mean(clean == labels))}
  for c in (float(v) for v in factors):
    pred = predict(change_contrast(ctx.x, c))
    out[f"acc_c{c:g}"] = float(np.mean(pred == labels))
    out[f"agreement_c{c:g}"] = float(np.mean(pred == clean))
  return out, {"factors": [float(v) for v in factors]}
