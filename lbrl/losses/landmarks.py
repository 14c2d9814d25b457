"""Facial-landmark regression: L2, the two-teacher KD-Loss and the normalised mean error (slug
``facial_landmark_points_detection``).

Fard and Mahoor, "Facial Landmark Points Detection Using Knowledge Distillation-Based Neural Networks"
(CVIU 2022, arXiv:2111.07047; authors' code github.com/aliprf/KD-Loss, ``custom_Losses.kd_loss``). The
model regresses ``2K`` coordinates ``(x_1, y_1, ..., x_K, y_K)``; ``labels`` are the annotated
("Hard") landmarks ``[B, 2K]``. Two frozen teachers, trained with L2 beforehand: the Tough-Teacher on the
Hard-landmarks (keyword ``teacher_outputs``) and the Tolerant-Teacher on the Soft-landmarks, their
projection on an active shape model (keyword ``tolerant_teacher_outputs``; lbrl.data.landmarks).

Per-example values are means over the ``2K`` coordinates, so their batch mean is the authors' mean over
batch and coordinates.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from lbrl.losses import _common

Array = jax.Array


def _check(name: str, logits: Array, labels: Array, **teachers: Array) -> None:
  if logits.ndim != 2 or labels.shape != logits.shape:
    raise ValueError(f"{name}: logits (the predicted coordinates) and labels must both be [B, 2K], got "
                     f"{logits.shape} and {labels.shape}")
  if logits.shape[-1] % 2:
    raise ValueError(f"{name}: the last axis must hold 2K coordinates (x, y per landmark), got {logits.shape[-1]}")
  if not jnp.issubdtype(labels.dtype, jnp.floating):
    raise TypeError(f"{name}: labels must be float landmark coordinates, got dtype {labels.dtype}")
  for key, t in teachers.items():
    if t.shape != logits.shape:
      raise ValueError(f"{name}: {key} must have the prediction's shape {logits.shape}, got {t.shape}")


def landmark_l2(logits: Array, labels: Array, *, where: Array | None = None) -> Array:
  """Squared error averaged over the ``2K`` coordinates, per example (the teachers' loss and the plain
  student baseline; the authors' ``tf.losses.mean_squared_error``)."""
  _check("landmark_l2", logits, labels)
  d = _common.as_float32(logits) - _common.as_float32(labels)
  return _common.apply_where(jnp.mean(d * d, -1), where)


def landmark_l1(logits: Array, labels: Array, *, where: Array | None = None) -> Array:
  """Absolute error averaged over the ``2K`` coordinates, per example: a teacher-free control for KD-Loss,
  whose main term is linear (``3|g - p|``) wherever the student is nearer the truth than the
  Tolerant-Teacher (lbrl's control, not in the paper)."""
  _check("landmark_l1", logits, labels)
  return _common.apply_where(jnp.mean(jnp.abs(_common.as_float32(logits) - _common.as_float32(labels)), -1), where)


def kd_landmark(logits: Array, labels: Array, *, teacher_outputs: Array, tolerant_teacher_outputs: Array,
                alpha_tough: float = 1.9, beta_tough: float = -0.45, alpha_tolerant: float = 1.8,
                beta_tolerant: float = -0.4, main_weight: float = 2.0, tough_weight: float = 1.0,
                tolerant_weight: float = 1.0, band: float = 0.15, where: Array | None = None) -> dict[str, Array]:
  """KD-Loss, per example: ``{"main": ..., "tough": ..., "tolerant": ...}`` (the trainer trains their sum).

  Per coordinate, with prediction ``p``, Hard-landmark ``g`` and a teacher's prediction ``t``, the
  teacher is first reflected to the prediction's side of the ground truth, ``t' = g + sign(p - g)|t - g|``,
  and ``b = g + band sign(p - g)|t - g|``. The Assistive Loss of a teacher is

      ALoss = w_teacher * mean(m * |t' - p|),  m = alpha   where p lies beyond t' (|p - g| > |t - g|),
                                                  beta    where p lies between b and t' (inclusive),
                                                  0       between g and b,

  so the student is pulled towards the teacher when it is farther from the truth than the teacher and,
  with ``beta < 0``, pushed past the teacher towards ``g`` when it is nearer. The main term uses the
  Tolerant-Teacher's distance ``a = |g - t_tol|`` as the switch from a linear to a quadratic penalty::

      main = main_weight * mean( 3|g - p|                   if |g - p| <= a
                                 (g - p)^2 + 3a - a^2       otherwise )

  Defaults are the authors' (``student_train.py``: alpha 1.9 / -0.45 for the Tough-Teacher, 1.8 / -0.4 for
  the Tolerant-Teacher, band 0.15; README: main weight 2, teacher weights 1). No gradient flows into the
  teachers or the masks.

  Example::

    parts = kd_landmark(pred, hard, teacher_outputs=tough, tolerant_teacher_outputs=tolerant)
  """
  _check("kd_landmark", logits, labels, teacher_outputs=teacher_outputs,
         tolerant_teacher_outputs=tolerant_teacher_outputs)
  if not 0.0 <= band <= 1.0:
    raise ValueError(f"kd_landmark: band must be in [0, 1], got {band}")
  p = _common.as_float32(logits)
  g = _common.as_float32(labels)
  side = jax.lax.stop_gradient(jnp.sign(p - g))

  def assist(t, alpha, beta):
    t = jax.lax.stop_gradient(_common.as_float32(t))
    dist = jnp.abs(t - g)
    tr = g + side * dist
    b = g + side * dist * band
    ps = jax.lax.stop_gradient(p)
    m = (jnp.where(jnp.sign(ps - tr) * jnp.sign(tr - g) > 0, alpha, 0.0)
         + jnp.where(jnp.sign(tr - ps) * jnp.sign(ps - b) >= 0, beta, 0.0))
    return jnp.mean(m * jnp.abs(tr - p), -1)

  a = jnp.abs(g - jax.lax.stop_gradient(_common.as_float32(tolerant_teacher_outputs)))
  e = jnp.abs(g - p)
  main = jnp.where(e <= a, 3.0 * e, (g - p) ** 2 + 3.0 * a - a ** 2)
  keep = lambda v: _common.apply_where(v, where)
  return {"main": keep(main_weight * jnp.mean(main, -1)),
          "tough": keep(tough_weight * assist(teacher_outputs, alpha_tough, beta_tough)),
          "tolerant": keep(tolerant_weight * assist(tolerant_teacher_outputs, alpha_tolerant, beta_tolerant))}


def normalized_mean_error(pred: Array, labels: Array, *, eyes: tuple[int, int] = (5, 10)) -> Array:
  """NME per example: the mean Euclidean error over the ``K`` landmarks divided by the inter-ocular
  distance of the ground truth (the distance between landmarks ``eyes``, the outer eye corners; 300W's
  68-point scheme: ``(36, 45)``). ``pred``/``labels`` are ``[B, 2K]``."""
  p = _common.as_float32(pred).reshape(pred.shape[0], -1, 2)
  g = _common.as_float32(labels).reshape(labels.shape[0], -1, 2)
  io = jnp.linalg.norm(g[:, eyes[0]] - g[:, eyes[1]], axis=-1)
  return jnp.mean(jnp.linalg.norm(p - g, axis=-1), -1) / jnp.maximum(io, 1e-12)


def landmark_nme(ctx, *, eyes: tuple[int, int] = (5, 10)) -> dict[str, float]:
  """Analysis tool ``landmark_nme``: the trained model's mean NME (:func:`normalized_mean_error`) and mean
  squared coordinate error on the context's batch (``ctx.x``, ``ctx.labels [N, 2K]``; a config sets the
  batch to the whole test split). ``eyes``: the outer eye corners (the synthetic faces': 5 and 10).

  A tool rather than an eval metric because the trainer's eval metrics see float labels as soft class
  targets (their arg-max); regression metrics need the coordinates themselves.
  """
  labels = np.asarray(ctx.labels, np.float32)
  pred = np.asarray(ctx.apply(ctx.params, ctx.x, train=False), np.float32)
  if pred.shape != labels.shape:
    raise ValueError(f"landmark_nme: the model's outputs {pred.shape} must match the landmark labels {labels.shape}")
  err = normalized_mean_error(jnp.asarray(pred), jnp.asarray(labels), eyes=tuple(eyes))
  return {"nme": float(jnp.mean(err)), "mse": float(np.mean((pred - labels) ** 2))}
