"""Binary classification losses: EnsLoss (random calibrated loss-derivatives) and AnyLoss (confusion-
matrix metrics made differentiable). Conventions as in :mod:`lbrl.losses.classification`.

Binary scores: ``logits`` may be ``[...]`` (one score per example), ``[..., 1]`` or ``[..., 2]`` (two-class
logits; the score is ``z_1 - z_0``); ``labels`` are ``{0, 1}`` shaped ``[...]`` (integer, or float in
``[0, 1]`` where the loss allows soft labels). Integer labels outside ``{0, 1}`` are masked.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from lbrl.losses import _common
from lbrl.losses.classification import finish, keep_mask


def binary_scores(name: str, logits, labels, *, allow_soft: bool = True):
  """Returns ``(score_f32 [...], y01_f32 [...], valid [...] or None)`` with trace-time checks."""
  logits = jnp.asarray(logits)
  labels = jnp.asarray(labels)
  if not jnp.issubdtype(logits.dtype, jnp.floating):
    raise TypeError(f"{name}: logits must be floating point, got dtype {logits.dtype}")
  if logits.shape == labels.shape:
    score = logits
  elif logits.shape == labels.shape + (1,):
    score = logits[..., 0]
  elif logits.shape == labels.shape + (2,):
    score = logits[..., 1] - logits[..., 0]
  else:
    raise ValueError(f"{name}: logits must have shape labels.shape={labels.shape} (+ (1,) or (2,)), "
                     f"got logits.shape={logits.shape}")
  score = _common.as_float32(score)
  if jnp.issubdtype(labels.dtype, jnp.integer) or labels.dtype == jnp.bool_:
    valid = (labels == 0) | (labels == 1)
    return score, jnp.where(valid, labels, 0).astype(score.dtype), valid
  if not jnp.issubdtype(labels.dtype, jnp.floating):
    raise TypeError(f"{name}: labels must be 0/1 integers or floats, got dtype {labels.dtype}")
  if not allow_soft:
    raise TypeError(f"{name}: labels must be 0/1 integers (hard labels), got dtype {labels.dtype}")
  return score, labels.astype(score.dtype), None



# ----------------------------------------------------------------------------------------------
# EnsLoss.


def calibrated_derivatives(margins, keep, key):
  """Random loss-derivatives ``g_i = phi'(m_i)`` of a convex, classification-calibrated loss ``phi``.

  The convexity-and-calibration (CC) conditions on a margin loss ``phi`` read, on its derivative:
  ``phi'`` non-decreasing (convex) and ``phi'(0) < 0`` (calibrated). We draw ``n + 1`` values
  ``-exp(N(0, 1))`` (the inverse Box-Cox transform at ``lambda = 0`` of Gaussians), sort them and assign
  them in margin order to the batch's margins plus an anchor at 0 (so ``phi'`` is non-decreasing on the
  batch), then scale so ``phi'(0) = -1``. Entries with ``keep=False`` are ranked last and do not shift
  the others' derivatives. Returns ``[...]`` float32, all negative.
  """
  flat = jnp.where(keep, margins, jnp.inf).reshape(-1)
  points = jnp.concatenate([flat, jnp.zeros((1,), flat.dtype)])
  draws = jnp.sort(-jnp.exp(jax.random.normal(key, points.shape, flat.dtype)))
  ranks = jnp.argsort(jnp.argsort(points, stable=True), stable=True)
  assigned = draws[ranks]
  derivs = assigned[:-1] / jnp.abs(assigned[-1])
  return derivs.reshape(margins.shape)


@jax.custom_vjp
def _random_derivative_loss(margins, derivs):
  return jax.nn.softplus(-margins)


def _rdl_fwd(margins, derivs):
  return jax.nn.softplus(-margins), derivs


def _rdl_bwd(derivs, cotangent):
  return cotangent * derivs, jnp.zeros_like(derivs)


_random_derivative_loss.defvjp(_rdl_fwd, _rdl_bwd)


def ensloss(logits, labels, *, rng, where=None):
  """EnsLoss: each step trains with a fresh random convex calibrated loss, through its derivative.

  With margins ``m_i = (2 y_i - 1) f(x_i)``, SGD only sees a margin loss ``phi`` through ``phi'(m_i)``,
  so EnsLoss draws random derivatives satisfying the CC conditions (see
  :func:`calibrated_derivatives`) for every batch and back-propagates them: "doubly stochastic"
  gradients, random batches and random calibrated losses, like Dropout over losses. Implemented with a
  ``jax.custom_vjp``: the reported value is the logistic loss ``log(1 + exp(-m))`` (for monitoring);
  the gradient with respect to ``m_i`` is the random ``phi'(m_i)``. The randomness comes from ``rng``
  (the trainer passes a key that differs per step and per seed), so a run is reproducible and each
  step gets a new loss. Batch-wide (ranks margins).

  Args:
    logits: binary scores (see module docstring); labels: 0/1 integers.
    rng: a PRNG key that draws this batch's random calibrated loss (supplied by the trainer).

  Paper: Dai, "EnsLoss: Stochastic Calibrated Loss Ensembles for Preventing Overfitting in
  Classification", ICML 2025, arXiv:2409.00908 (catalog slug ``ensloss``).
  """
  score, y, valid = binary_scores("ensloss", logits, labels, allow_soft=False)
  margins = (2.0 * y - 1.0) * score
  keep = keep_mask(valid, where, margins.shape)
  derivs = calibrated_derivatives(jax.lax.stop_gradient(margins), keep, rng)
  return finish(_random_derivative_loss(margins, derivs), valid, where)


def binary_logistic(logits, labels, *, where=None):
  """Logistic loss on the binary margin: ``log(1 + exp(-(2y - 1) f))`` (= BCE with logits)."""
  score, y, valid = binary_scores("binary_logistic", logits, labels)
  values = jax.nn.softplus(score) - y * score
  return finish(values, valid, where)


def binary_hinge(logits, labels, *, where=None):
  """Hinge loss on the binary margin: ``max(0, 1 - (2y - 1) f)`` (EnsLoss's fixed-loss baseline)."""
  score, y, valid = binary_scores("binary_hinge", logits, labels, allow_soft=False)
  return finish(jax.nn.relu(1.0 - (2.0 * y - 1.0) * score), valid, where)


# ----------------------------------------------------------------------------------------------
# AnyLoss.


def _safe_div(a, b):
  return a / jnp.maximum(b, 1e-12)


def soft_confusion(score, y, keep, *, amplifier: float = 73.0):
  """Differentiable confusion matrix ``(TP, FN, FP, TN)`` over the kept examples.

  ``p = sigmoid(f)`` and the AnyLoss approximation ``A(p) = 1 / (1 + exp(-L (p - 1/2)))`` pushes ``p`` to
  0 or 1 (``L = amplifier``); ``TP = sum y A``, ``FN = sum y (1 - A)``, ``FP = sum (1 - y) A``,
  ``TN = sum (1 - y)(1 - A)``.
  """
  approx = jax.nn.sigmoid(amplifier * (jax.nn.sigmoid(score) - 0.5))
  k = keep.astype(score.dtype)
  tp = jnp.sum(k * y * approx)
  fn = jnp.sum(k * y * (1.0 - approx))
  fp = jnp.sum(k * (1.0 - y) * approx)
  tn = jnp.sum(k * (1.0 - y) * (1.0 - approx))
  return tp, fn, fp, tn


_METRICS = ("accuracy", "f1", "fbeta", "geometric_mean", "balanced_accuracy")


def anyloss(logits, labels, *, metric: str = "f1", amplifier: float = 73.0, beta: float = 1.0,
            where=None):
  """AnyLoss: ``1 - metric(soft confusion matrix)`` for a confusion-matrix metric of the batch.

  Metrics on ``(TP, FN, FP, TN)`` from :func:`soft_confusion`: ``accuracy = (TP + TN) / n``;
  ``f1``/``fbeta = (1 + b^2) TP / ((1 + b^2) TP + b^2 FN + FP)``; ``geometric_mean = sqrt(TPR * TNR)``;
  ``balanced_accuracy = (TPR + TNR) / 2`` with ``TPR = TP / (TP + FN)``, ``TNR = TN / (TN + FP)``.

  The metric is a property of the whole batch, so the per-example value is that batch loss repeated
  on every kept example (0 elsewhere): the masked mean (:func:`lbrl.losses.reduce`) is exactly
  ``1 - metric`` and its gradient is the paper's. Do not sum it over the batch.

  Args:
    metric: one of ``accuracy, f1, fbeta, geometric_mean, balanced_accuracy``.
    amplifier: ``L`` of the approximation function (paper: 73).
    beta: ``b`` of the F-beta score (``f1`` forces 1).

  Paper: Han et al., "AnyLoss: Transforming Classification Metrics into Loss Functions", 2024,
  arXiv:2405.14745 (catalog slug ``anyloss``).
  """
  if metric not in _METRICS:
    raise ValueError(f"anyloss: unknown metric {metric!r}; known: {', '.join(_METRICS)}")
  score, y, valid = binary_scores("anyloss", logits, labels)
  keep = keep_mask(valid, where, score.shape)
  tp, fn, fp, tn = soft_confusion(score, y, keep, amplifier=amplifier)
  tpr, tnr = _safe_div(tp, tp + fn), _safe_div(tn, tn + fp)
  if metric == "accuracy":
    value = _safe_div(tp + tn, tp + fn + fp + tn)
  elif metric in ("f1", "fbeta"):
    b2 = 1.0 if metric == "f1" else beta ** 2
    value = _safe_div((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp)
  elif metric == "geometric_mean":
    value = jnp.sqrt(tpr * tnr + 1e-12)
  else:
    value = 0.5 * (tpr + tnr)
  values = jnp.broadcast_to(1.0 - value, score.shape)
  return finish(values, keep, None)
