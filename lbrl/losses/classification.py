"""Classification losses (catalog family CLS): softmax-family, margin, spherical and distance losses.

Every loss here is a pure per-example function::

    loss(logits[..., C], labels, *, <hyperparameters>, where=None) -> values[...]

``labels`` are integer class ids shaped ``logits.shape[:-1]`` or (where the paper allows it) one-hot /
soft targets shaped like ``logits``. Integer ids outside ``[0, C)`` mark ignored positions: their loss
is 0 and they are never used to index (they are replaced by class 0 before any gather and masked
afterwards). To *catch* such ids instead, run the loss under ``jax.experimental.checkify`` after
:func:`check_labels`. Inputs of any float dtype are computed in at least float32.

The robust-to-noise losses (normalized losses, LDR, comp-sum) live in :mod:`lbrl.losses.robust`, the
binary ones in :mod:`lbrl.losses.binary`, the tagging ones in :mod:`lbrl.losses.tagging` and the
language-model ones in :mod:`lbrl.losses.lm`.
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.experimental import checkify

from lbrl.kernels import _dispatch
from lbrl.losses import _common

Array = jax.Array


# ----------------------------------------------------------------------------------------------
# Shared plumbing (used by every module of this family).


def check_labels(labels, num_classes: int, *, ignore_index: int | None = None) -> None:
  """Opt-in check that integer ``labels`` lie in ``[0, num_classes)``, usable under checkify.

  Call it inside a function transformed by ``jax.experimental.checkify.checkify``; the error names the
  first offending flat position and its value::

      def step(logits, labels):
        check_labels(labels, logits.shape[-1])
        return cross_entropy(logits, labels).mean()
      err, out = checkify.checkify(jax.jit(step))(logits, labels)
      err.throw()   # ValueError: labels out of range [0, 10): labels.flat[3] = 12 ...

  Without checkify, out-of-range ids are masked (loss 0) by every loss of this family.

  Args:
    labels: integer array of class ids.
    num_classes: number of classes ``C``.
    ignore_index: an id that is allowed (and masked) even though it is out of range, e.g. ``-1``.
  """
  labels = jnp.asarray(labels)
  if not jnp.issubdtype(labels.dtype, jnp.integer):
    raise TypeError(f"check_labels: labels must be integer class ids, got dtype {labels.dtype}")
  bad = ~_common.valid_labels(labels, num_classes)
  if ignore_index is not None:
    bad = bad & (labels != ignore_index)
  flat = bad.reshape(-1)
  first = jnp.argmax(flat) if flat.size else jnp.int32(0)
  value = labels.reshape(-1)[first] if flat.size else jnp.int32(0)
  checkify.check(~jnp.any(flat), f"labels out of range [0, {num_classes}): "
                 "labels.flat[{pos}] = {val} (shape " + str(labels.shape) + ")", pos=first, val=value)


def prepare(name: str, logits, labels, *, allow_soft: bool = True):
  """Validates inputs and returns ``(logits_f32, targets_f32, valid)``.

  ``targets`` is one-hot for integer labels (out-of-range ids replaced by class 0) and the given soft
  targets otherwise; ``valid`` is the boolean per-example mask of in-range ids (None for soft labels).
  """
  logits = jnp.asarray(logits)
  labels = jnp.asarray(labels)
  _common.check_logits_labels(name, logits, labels)
  logits = _common.as_float32(logits)
  num_classes = logits.shape[-1]
  if jnp.issubdtype(labels.dtype, jnp.integer):
    valid = _common.valid_labels(labels, num_classes)
    safe = jnp.where(valid, labels, 0)
    return logits, jax.nn.one_hot(safe, num_classes, dtype=logits.dtype), valid
  if not allow_soft:
    raise TypeError(f"{name}: labels must be integer class ids (the paper defines this loss for hard "
                    f"labels), got float labels of shape {labels.shape}")
  return logits, labels.astype(logits.dtype), None


def finish(values, valid, where):
  """Zeroes ignored (out-of-range) labels and ``where=False`` entries; returns float32 values."""
  if valid is not None:
    values = jnp.where(valid, values, 0.0)
  return _common.apply_where(values, where)


def keep_mask(valid, where, shape):
  """``valid & where`` as a boolean ``shape`` array (either may be None); checks ``where``'s shape."""
  keep = jnp.ones(shape, bool) if valid is None else valid
  if where is not None:
    where = jnp.asarray(where)
    if where.shape != tuple(shape):
      raise ValueError(f"where must have the per-example shape {tuple(shape)}, got {where.shape}")
    keep = keep & where
  return keep


def true_logit(logits, targets):
  """``z_y`` (or ``sum_k y_k z_k`` for soft targets)."""
  return jnp.sum(logits * targets, axis=-1)


def logit_margin(logits, targets):
  """``z_y - max_{k != y} z_k`` for one-hot targets (the SOVR / LDAM notion of margin)."""
  other = jnp.where(targets > 0, -jnp.inf, logits)
  return true_logit(logits, targets) - jnp.max(other, axis=-1)


def check_vector(name: str, arg: str, value, size: int):
  """A per-class vector (class counts, weights) as a float32 ``[size]`` array, with clear errors.

  Works on traced values (the trainer may pass ``class_counts`` as a jit argument): the shape is
  checked at trace time, the values (finite, non-negative) only when they are concrete.
  """
  if value is None:
    raise ValueError(f"{name}: {arg} is required (a length-{size} per-class array)")
  arr = jnp.asarray(value, jnp.float32)
  if arr.shape != (size,):
    raise ValueError(f"{name}: {arg} must have shape ({size},) to match logits.shape[-1], got {arr.shape}")
  try:
    concrete = np.asarray(value, np.float64)
  except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
    return arr
  if np.any(concrete < 0) or not np.all(np.isfinite(concrete)):
    raise ValueError(f"{name}: {arg} must be finite and non-negative, got {concrete}")
  return arr


# ----------------------------------------------------------------------------------------------
# Cross-entropy and the softmax-family variants.


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


def poly1_cross_entropy(logits, labels, *, epsilon: float = 2.0, where=None):
  """Poly-1 loss: cross-entropy plus ``epsilon`` times the first polynomial term.

  ``L = -log p_t + epsilon * (1 - p_t)``, ``p_t = sum_k y_k softmax(z)_k``. ``epsilon = 0`` is exactly
  cross-entropy; ``epsilon = -1`` removes the first Taylor term of CE. This wraps optax's
  ``poly_loss_cross_entropy`` (lbrl adds integer labels, masking and float32 internals).

  Args:
    logits: ``[..., C]``.
    labels: integer ids ``[...]`` or one-hot/soft targets ``[..., C]``.
    epsilon: weight of ``(1 - p_t)``; paper default for ImageNet is 2.0 (the optimum is task-dependent).
    where: optional boolean ``[...]``.

  Paper: Leng et al., "PolyLoss: A Polynomial Expansion Perspective of Classification Loss Functions",
  ICLR 2022, arXiv:2204.12511 (catalog slug ``polyloss``).
  """
  logits, targets, valid = prepare("poly1_cross_entropy", logits, labels)
  values = optax.losses.poly_loss_cross_entropy(logits, targets, epsilon=epsilon)
  return finish(values, valid, where)


def softmax_focal(logits, labels, *, gamma: float = 2.0, where=None):
  """Softmax focal loss: ``FL = -sum_k y_k (1 - p_k)^gamma log p_k`` (baseline for PolyLoss / APL).

  ``gamma = 0`` is cross-entropy. Paper: Lin et al., "Focal Loss for Dense Object Detection", 2017,
  arXiv:1708.02002 (used as the focal baseline of ``polyloss`` and as the active loss of
  ``normalized_losses``).
  """
  logits, targets, valid = prepare("softmax_focal", logits, labels)
  logp = jax.nn.log_softmax(logits)
  values = -jnp.sum(targets * focal_weight(logp, gamma) * logp, axis=-1)
  return finish(values, valid, where)


def focal_weight(logp, gamma):
  """``(1 - p)^gamma`` from log-probabilities; ``1 - p`` is floored at 1e-30 so that the gradient stays
  finite at ``p = 1`` for ``gamma < 1`` (the exact derivative there is 0)."""
  if gamma == 0:
    return jnp.ones_like(logp)
  one_minus_p = -jnp.expm1(logp)
  return jnp.power(jnp.maximum(one_minus_p, 1e-30), gamma)


def squentropy(logits, labels, *, where=None):
  """Squentropy: cross-entropy plus the average square loss over the incorrect classes.

  ``L = -log softmax(z)_y + 1/(C-1) * sum_{k != y} z_k^2``. For soft targets the square term weights
  each class by ``1 - y_k``. No hyperparameters: the paper trains with CE's own settings.

  Paper: Hui, Belkin and Wright, "Cut your Losses with Squentropy", ICML 2023, arXiv:2302.03952
  (catalog slug ``squentropy``).
  """
  logits, targets, valid = prepare("squentropy", logits, labels)
  num_classes = logits.shape[-1]
  if num_classes < 2:
    raise ValueError(f"squentropy: needs at least 2 classes, got logits.shape[-1]={num_classes}")
  ce = optax.softmax_cross_entropy(logits, targets)
  square = jnp.sum((1.0 - targets) * jnp.square(logits), axis=-1) / (num_classes - 1)
  return finish(ce + square, valid, where)


def spherical_zloss(logits, labels, *, a: float = 0.1, b: float = 10.0, eps: float = 1e-12, where=None):
  """The spherical-family Z-loss: a softplus of the z-normalised true-class score.

  ``mu = mean_k o_k``, ``sigma = sqrt(mean_k o_k^2 - mu^2)``, ``z_c = (o_c - mu) / sigma`` and
  ``L = (1/a) * log(1 + exp(a * (b - z_c)))``. It depends on ``o`` only through ``sum o``, ``sum o^2`` and
  ``o_c`` (the spherical family), and is invariant to ``o -> alpha * o + beta`` for ``alpha > 0``.
  Not the log-partition penalty of large LMs (that is :func:`lbrl.losses.lm.logit_zloss`).

  Args:
    logits: ``[..., C]`` pre-activations ``o``.
    labels: integer ids or soft targets (soft: ``z_c = sum_k y_k z_k``).
    a: sharpness of the softplus (the paper tunes ``a`` and ``b`` on validation data; with ``a`` small
      the loss is nearly linear in ``z_c``, with ``a`` large it is a hinge at ``b``).
    b: location of the softplus knee in units of standard deviations.
    eps: added to the variance (all-equal logits give ``z = 0`` instead of 0/0).

  Paper: de Brebisson and Vincent, "The Z-loss: a shift and scale invariant classification loss
  belonging to the Spherical Family", 2016, arXiv:1604.08859 (catalog slug ``spherical_zloss``).
  """
  logits, targets, valid = prepare("spherical_zloss", logits, labels)
  mu = jnp.mean(logits, axis=-1, keepdims=True)
  centred = logits - mu
  sigma = jnp.sqrt(jnp.mean(jnp.square(centred), axis=-1, keepdims=True) + eps)
  z_c = true_logit(centred / sigma, targets)
  values = jax.nn.softplus(a * (b - z_c)) / a
  return finish(values, valid, where)


def spherical_zloss_linear(h, w, labels, *, a: float = 0.1, b: float = 10.0, eps: float = 1e-12, where=None):
  """:func:`spherical_zloss` of the logits ``o = h @ w.T`` computed without forming them.

  A spherical-family loss sees ``o`` only through ``o_c``, ``sum_k o_k`` and ``sum_k o_k^2`` (Vincent,
  de Brebisson and Bouthillier, 2015, arXiv:1412.7091). For a linear output layer ``o_k = h . w_k`` these
  come from ``D``-dimensional summaries of ``w``, here in centred (cancellation-free) form::

      m = (1/V) sum_k w_k                       mu      = h . m
      C = (1/V) sum_k (w_k - m)(w_k - m)^T      sigma^2 = h^T C h  (= mean_k (o_k - mu)^2)
      z_c = h . (w_c - m) / sqrt(sigma^2 + eps),   L = (1/a) log(1 + exp(a (b - z_c)))

  Values and gradients equal :func:`spherical_zloss` on ``h @ w.T`` (up to rounding). Cost of loss +
  gradient: ``O(V D^2)`` once per batch (forming ``C`` and back-propagating into ``w``) plus ``O(D^2)``
  per example, against ``O(V D)`` per example for the logits; memory: no ``[N, V]`` array. So a step
  costs ``O((N + V) D^2)`` instead of ``O(N V D)``, a saving whenever ``N V > (N + V) D``. The per-batch
  ``O(V D^2)`` term is what remains of the class count; Vincent et al.'s factored SGD update of ``w``
  (``w = V U`` with ``w^T w`` maintained) removes it too, but ties the output layer to plain SGD, so
  lbrl does not implement it (this form works with any optimizer and any sharding of the batch).

  Args:
    h: ``[..., D]`` hidden states (float32 or bf16; computed in float32).
    w: ``[V, D]`` output / unembedding matrix (no bias).
    labels: integer ids ``[...]``; ids outside ``[0, V)`` give loss 0 and no gradient. (Soft targets
      would need ``h . (y @ w)``, an ``O(V D)`` per-example term, so they are not accepted here: use
      :func:`spherical_zloss` on logits.)
    a, b, eps: as in :func:`spherical_zloss`.
    where: optional boolean ``[...]`` mask.

  Paper: de Brebisson and Vincent, "The Z-loss: a shift and scale invariant classification loss
  belonging to the Spherical Family", 2016, arXiv:1604.08859 (catalog slug ``spherical_zloss``).
  """
  name = "spherical_zloss_linear"
  h, w, labels = _dispatch.check_linear_inputs(name, h, w, labels, where)
  h, w = _common.as_float32(h), _common.as_float32(w)
  num_classes = w.shape[0]
  valid = _common.valid_labels(labels, num_classes)
  m = jnp.mean(w, axis=0)
  centred = w - m
  cov = centred.T @ centred / num_classes                       # [D, D]
  var = jnp.maximum(jnp.einsum("...d,de,...e->...", h, cov, h), 0.0)
  o_c = jnp.einsum("...d,...d->...", h, jnp.take(centred, jnp.where(valid, labels, 0), axis=0))
  values = jax.nn.softplus(a * (b - o_c / jnp.sqrt(var + eps))) / a
  return finish(values, valid, where)


def sparsemax_loss(logits, labels, *, where=None):
  """Sparsemax loss (the Fenchel-Young loss of sparsemax), per example.

  For a target distribution ``q`` (one-hot for a class id; ``y / sum(y)`` for multi-label targets):
  ``L(z; q) = -q.z + 1/2 sum_{j in S(z)} (z_j^2 - tau(z)^2) + 1/2 ||q||^2`` where ``sparsemax(z) =
  max(z - tau, 0)`` is the Euclidean projection onto the simplex and ``S(z)`` its support. The loss is
  zero iff ``sparsemax(z) = q`` and its gradient is ``sparsemax(z) - q``. Integer labels use optax's
  ``multiclass_sparsemax_loss``; multi-label targets reuse it via the identity
  ``L(z; q) = L(z; e_0) + z_0 - q.z + (||q||^2 - 1)/2`` (no second implementation).

  Args:
    logits: ``[..., C]``.
    labels: integer ids ``[...]`` or non-negative multi-label targets ``[..., C]``, normalised to sum 1
      as in the paper's multi-label setting (an all-zero row has nothing to predict and is masked).

  Paper: Martins and Astudillo, "From Softmax to Sparsemax: A Sparse Model of Attention and Multi-Label
  Classification", ICML 2016, arXiv:1602.01908 (catalog slug ``sparsemax``).
  """
  raw_labels = jnp.asarray(labels)
  logits, targets, valid = prepare("sparsemax", logits, labels)
  batch_shape, num_classes = logits.shape[:-1], logits.shape[-1]
  flat = logits.reshape(-1, num_classes)
  if jnp.issubdtype(raw_labels.dtype, jnp.integer):
    ids = jnp.argmax(targets, axis=-1).reshape(-1)
    values = optax.losses.multiclass_sparsemax_loss(flat, ids).reshape(batch_shape)
    return finish(values, valid, where)
  mass = jnp.sum(targets, axis=-1, keepdims=True)
  q = targets / jnp.where(mass > 0, mass, 1.0)
  base = optax.losses.multiclass_sparsemax_loss(flat, jnp.zeros(flat.shape[0], jnp.int32))
  values = (base.reshape(batch_shape) + logits[..., 0] - jnp.sum(q * logits, axis=-1)
            + 0.5 * (jnp.sum(q * q, axis=-1) - 1.0))
  return finish(values, mass[..., 0] > 0, where)


def sparsemax(logits, axis: int = -1):
  """``sparsemax(z) = argmin_{p in simplex} ||p - z||^2`` (optax's ``projection_simplex``)."""
  logits = jnp.moveaxis(_common.as_float32(jnp.asarray(logits)), axis, -1)
  flat = logits.reshape(-1, logits.shape[-1])
  out = jax.vmap(optax.projections.projection_simplex)(flat).reshape(logits.shape)
  return jnp.moveaxis(out, -1, axis)


# ----------------------------------------------------------------------------------------------
# Long-tail: LDAM and deferred re-weighting (DRW).


def ldam_margins(class_counts, *, max_margin: float = 0.5):
  """LDAM per-class margins ``Delta_j = C / n_j^(1/4)`` with ``C`` set so that ``max_j Delta_j = max_margin``.

  Classes with zero training examples get the largest margin (their count is treated as 1).
  Traceable (``class_counts`` may be a jit argument); returns float32 ``[C]``.
  """
  counts = jnp.maximum(jnp.asarray(class_counts, jnp.float32), 1.0)
  raw = counts ** -0.25
  return max_margin * raw / jnp.max(raw)


def class_balanced_weights(class_counts, *, beta: float = 0.9999):
  """Effective-number weights ``w_j = (1 - beta) / (1 - beta^n_j)``, normalised to ``sum_j w_j = C``.

  (Cui et al., "Class-Balanced Loss Based on Effective Number of Samples", 2019), the re-weighting that
  LDAM-DRW defers. ``beta = 0`` gives uniform weights; ``beta -> 1`` gives inverse class frequency.
  Traceable; ``1 - beta^n`` is computed as ``-expm1(n log beta)`` so that ``beta = 0.9999`` keeps its digits.
  """
  if not 0.0 <= beta < 1.0:
    raise ValueError(f"beta must be in [0, 1), got {beta}")
  counts = jnp.maximum(jnp.asarray(class_counts, jnp.float32), 1.0)
  if beta == 0.0:
    return jnp.ones_like(counts)
  w = (1.0 - beta) / -jnp.expm1(counts * math.log(beta))
  return w * counts.shape[0] / jnp.sum(w)


def drw_weights(class_counts, step, *, start_step: int, beta: float = 0.9999) -> Array:
  """The deferred re-weighting schedule: uniform weights before ``start_step``, class-balanced after.

  ``step`` may be a traced int array (the trainer passes its step counter). Returns ``[C]`` float32.
  """
  balanced = class_balanced_weights(class_counts, beta=beta)
  on = jnp.asarray(step) >= start_step
  return jnp.where(on, balanced, jnp.ones_like(balanced))


def _ldam_values(name, logits, labels, class_counts, max_margin, scale, class_weights, where):
  logits, targets, valid = prepare(name, logits, labels, allow_soft=False)
  counts = check_vector(name, "class_counts", class_counts, logits.shape[-1])
  margins = ldam_margins(counts, max_margin=max_margin).astype(logits.dtype)
  shifted = scale * (logits - targets * margins)
  values = optax.softmax_cross_entropy(shifted, targets)
  if class_weights is not None:
    values = values * jnp.sum(targets * class_weights, axis=-1)
  return finish(values, valid, where)


def ldam(logits, labels, *, class_counts, max_margin: float = 0.5, scale: float = 30.0, where=None):
  """LDAM: cross-entropy with a label-distribution-aware margin subtracted from the true logit.

  ``L = -log( exp(s (z_y - Delta_y)) / (exp(s (z_y - Delta_y)) + sum_{j != y} exp(s z_j)) )`` with
  ``Delta_j = C / n_j^(1/4)`` (``n_j`` the training count of class ``j``; ``C`` makes the largest margin
  ``max_margin``). The paper applies it to cosine logits (normalised features and weights) with
  ``s = 30``; with unnormalised logits use a small ``scale`` (e.g. 1). lbrl's cosine head:
  ``lbrl.models.heads.CosineHead`` (``config.model.head="cosine"`` on ``cnn1d``).

  Args:
    class_counts: ``[C]`` training-set label counts (the trainer passes them automatically).
    max_margin: the largest margin (paper: 0.5).
    scale: ``s`` (paper code: 30).

  Paper: Cao et al., "Learning Imbalanced Datasets with Label-Distribution-Aware Margin Loss",
  NeurIPS 2019, arXiv:1906.07413 (catalog slug ``ldam_drw``).
  """
  return _ldam_values("ldam", logits, labels, class_counts, max_margin, scale, None, where)


def ldam_drw(logits, labels, *, class_counts, step, drw_start_step: int, beta: float = 0.9999,
             max_margin: float = 0.5, scale: float = 30.0, where=None):
  """LDAM with deferred re-weighting: ``w_y * LDAM`` where ``w = drw_weights(counts, step, ...)``.

  Before ``drw_start_step`` all weights are 1 (plain LDAM); afterwards the class-balanced weights
  ``w_j ∝ (1 - beta) / (1 - beta^n_j)`` (normalised to sum to C; paper: ``beta = 0.9999``, deferral at
  epoch 160 of 200). Per-example values are ``w_y * loss``; the paper's PyTorch mean additionally
  divides by the batch's summed weights (a per-batch rescaling of the step size).

  Paper: Cao et al., NeurIPS 2019, arXiv:1906.07413 (catalog slug ``ldam_drw``).
  """
  weights = drw_weights(class_counts, step, start_step=drw_start_step, beta=beta)
  return _ldam_values("ldam_drw", logits, labels, class_counts, max_margin, scale, weights, where)


def cross_entropy_drw(logits, labels, *, class_counts, step, drw_start_step: int, beta: float = 0.9999,
                      where=None):
  """Cross-entropy with deferred re-weighting (the CE+DRW arm of LDAM-DRW): ``w_y(step) * CE``.

  Weights as in :func:`ldam_drw` (uniform before ``drw_start_step``, class-balanced after). Per-example
  values are ``w_y * CE``; the authors' PyTorch mean divides by the batch's summed weights instead of
  the batch size (``sum_i w_i l_i / sum_i w_i``), so the same sum over the batch divided by
  ``sum_i w_{y_i}`` gives their number.

  Paper: Cao et al., NeurIPS 2019, arXiv:1906.07413 (catalog slug ``ldam_drw``).
  """
  logits, targets, valid = prepare("cross_entropy_drw", logits, labels, allow_soft=False)
  check_vector("cross_entropy_drw", "class_counts", class_counts, logits.shape[-1])
  weights = drw_weights(class_counts, step, start_step=drw_start_step, beta=beta)
  values = optax.softmax_cross_entropy(logits, targets) * jnp.sum(targets * weights, axis=-1)
  return finish(values, valid, where)


# ----------------------------------------------------------------------------------------------
# One-vs-the-rest and its switching variant (SOVR).


def one_vs_rest(logits, labels, *, where=None):
  """One-vs-the-rest (OVR) loss: independent logistic losses, positive for ``y`` and negative for the rest.

  ``L = log(1 + exp(-z_y)) + sum_{k != y} log(1 + exp(z_k))`` (binary cross-entropy of every logit
  against the one-hot label, summed over classes; soft targets use the same per-class form).

  NOT checked against the paper's body text: only its abstract and OpenReview summary could be read,
  and they name the loss without giving its formula. This is the standard one-vs-the-rest loss; in
  particular it is unverified whether the paper sums over all non-target classes (as here) or uses
  another reduction. On two classes every such form coincides, so the two-class margin test in
  ``tests/losses/test_classification.py`` does not depend on it.

  Paper: Kanai et al., "One-vs-the-Rest Loss to Focus on Important Samples in Adversarial Training",
  ICML 2023, arXiv:2207.10283 (catalog slug ``sovr``).
  """
  logits, targets, valid = prepare("one_vs_rest", logits, labels)
  values = jnp.sum(optax.sigmoid_binary_cross_entropy(logits, targets), axis=-1)
  return finish(values, valid, where)


def sovr(logits, labels, *, fraction: float = 0.4, where=None):
  """Switching one-vs-the-rest loss: OVR for the batch's smallest-margin examples, CE for the others.

  The logit margin is ``m = z_y - max_{k != y} z_k``. Among the kept examples of the batch (valid
  labels and ``where``; all leading axes together), the ``floor(fraction * n_kept)`` with the smallest
  margins ("important samples") get the OVR loss (:func:`one_vs_rest`), the others cross-entropy; masked
  examples are neither ranked nor counted. The selection is not differentiated. This is a batch-wide
  loss: vmapping it over an axis selects within each slice.

  What the paper's abstract and OpenReview summary state, and this follows: the switch is made by the
  logit margin, the gap between the true logit and the largest other logit; small-margin samples get
  OVR and the rest cross-entropy (computed on the adversarial examples in the paper's adversarial
  training). NOT checked, because the paper's body text could not be retrieved: that the important
  samples are a fixed fraction ``M`` of each minibatch rather than those below a margin threshold, and
  the paper's value of ``M`` (``fraction = 0.4`` is lbrl's choice, not a verified default).

  Args:
    fraction: the share of the kept examples switched to OVR (lbrl's reading of the paper's ``M``).

  Paper: Kanai et al., ICML 2023, arXiv:2207.10283 (catalog slug ``sovr``).
  """
  if not 0.0 <= fraction <= 1.0:
    raise ValueError(f"sovr: fraction must be in [0, 1], got {fraction}")
  logits, targets, valid = prepare("sovr", logits, labels, allow_soft=False)
  keep = keep_mask(valid, where, logits.shape[:-1])
  margin = jax.lax.stop_gradient(logit_margin(logits, targets))
  flat = jnp.where(keep, margin, jnp.inf).reshape(-1)
  rank = jnp.argsort(jnp.argsort(flat)).reshape(margin.shape)
  n_switch = jnp.floor(fraction * jnp.sum(keep)).astype(rank.dtype)
  use_ovr = rank < n_switch
  ce = optax.softmax_cross_entropy(logits, targets)
  ovr = jnp.sum(optax.sigmoid_binary_cross_entropy(logits, targets), axis=-1)
  return finish(jnp.where(use_ovr, ovr, ce), valid, where)


# ----------------------------------------------------------------------------------------------
# StableMax (grokking at the edge of numerical stability).


def stablemax(logits, axis: int = -1):
  """``StableMax(x)_i = s(x_i) / sum_j s(x_j)`` with ``s(x) = x + 1`` for ``x >= 0`` and ``1/(1-x)`` else."""
  s = _stable_s(_common.as_float32(jnp.asarray(logits)))
  return s / jnp.sum(s, axis=axis, keepdims=True)


def _stable_s(x):
  # Both branches see safe inputs, so neither produces inf/NaN in the unused branch's gradient.
  pos = jnp.maximum(x, 0.0)
  neg = jnp.minimum(x, 0.0)
  return jnp.where(x >= 0, pos + 1.0, 1.0 / (1.0 - neg))


def stablemax_cross_entropy(logits, labels, *, where=None):
  """Cross-entropy on StableMax probabilities: ``L = -sum_k y_k log( s(z_k) / sum_j s(z_j) )``.

  ``s`` grows linearly (not exponentially) for positive logits, so the probabilities do not round to
  exactly 0/1 in float32 as logits grow ("Softmax Collapse"), and learning continues without weight
  decay. Pair with :func:`lbrl.optim.perpgrad.perpgrad` for the paper's perpGrad.

  Precision: ``-log p_k`` is computed as ``log1p(sum_{j != k} s(z_j) / s(z_k))`` for the largest
  ``s(z_k)`` and as ``log sum_j s(z_j) - log s(z_k)`` for the others (where ``p_k <= 1/2``, so no
  cancellation). The naive ``log s_y - log sum_j s_j`` in float32 rounds the loss and the true class's
  gradient to exactly 0 once ``p_y > 1 - 2^-24`` (the absorption the paper calls Softmax Collapse); the
  authors avoid it by computing this loss in float64. This form keeps float32 losses and gradients
  accurate to float32 relative precision down to the smallest normal numbers.

  Paper: Prieto et al., "Grokking at the Edge of Numerical Stability", ICLR 2025, arXiv:2501.04697
  (catalog slug ``stablemax``).
  """
  logits, targets, valid = prepare("stablemax_cross_entropy", logits, labels)
  s = _stable_s(logits)
  top = jax.nn.one_hot(jnp.argmax(s, axis=-1), s.shape[-1], dtype=bool)
  rest = jnp.sum(jnp.where(top, 0.0, s), axis=-1, keepdims=True)        # sum of all but the largest
  s_top = jnp.sum(jnp.where(top, s, 0.0), axis=-1, keepdims=True)
  nll_top = jnp.log1p(rest / s_top)                                      # accurate as p_top -> 1
  nll_other = jnp.log(jnp.sum(s, axis=-1, keepdims=True)) - jnp.log(s)  # p_k <= 1/2: no cancellation
  values = jnp.sum(targets * jnp.where(top, nll_top, nll_other), axis=-1)
  return finish(values, valid, where)


# ----------------------------------------------------------------------------------------------
# Harmonic loss (distance-based output layer, see lbrl.models.heads).


def harmonic_loss(distances, labels, *, exponent: float = 1.0, eps: float = 1e-12,
                  inputs: str = "distances", where=None):
  """Harmonic loss: cross-entropy of the "harmonic max" of distances to class centres.

  ``p_k = d_k^(-n) / sum_j d_j^(-n)`` and ``L = -log p_y``, i.e. cross-entropy on the logits
  ``-n log(d_k + eps)``. Invariant to rescaling all distances; its minimiser puts the representation at
  the class centre (``d_y -> 0``). ``distances`` come from a distance head
  (:class:`lbrl.models.heads.HarmonicHead`), Euclidean in the original paper and cosine, Bray-Curtis,
  Mahalanobis, ... in the follow-up.

  Args:
    distances: ``[..., C]`` non-negative distances ``d_k`` to each class centre (the model's outputs).
    labels: integer ids or soft targets.
    exponent: the harmonic exponent ``n`` (the paper suggests ``n`` around ``sqrt(embedding dim)`` for
      Euclidean distances in high dimension; tune it per task).
    eps: added to distances before the log (``d = 0`` is the loss's optimum).
    inputs: ``"distances"`` (``d``) or ``"neg_log_distances"`` (``-log d``, the harmonic logits that
      :class:`lbrl.models.heads.HarmonicMLP` emits with ``output="neg_log_distance"``).

  Papers: Baek et al., "Harmonic Loss Trains Interpretable AI Models", 2025, arXiv:2502.01628
  (catalog slug ``harmonic_loss``); "Rethinking the Harmonic Loss via Non-Euclidean Distance Layers",
  2026, arXiv:2603.10225 (catalog slug ``harmonic_loss_distances``).
  """
  if inputs not in ("distances", "neg_log_distances"):
    raise ValueError(f"harmonic_loss: inputs must be 'distances' or 'neg_log_distances', got {inputs!r}")
  distances, targets, valid = prepare("harmonic_loss", distances, labels)
  if inputs == "distances":
    logits = -exponent * jnp.log(jnp.maximum(distances, 0.0) + eps)
  else:
    logits = exponent * distances
  return finish(optax.softmax_cross_entropy(logits, targets), valid, where)


def harmonic_probabilities(distances, *, exponent: float = 1.0, eps: float = 1e-12):
  """``p_k = d_k^(-n) / sum_j d_j^(-n)``: the harmonic max (predict with argmin distance)."""
  distances = _common.as_float32(jnp.asarray(distances))
  return jax.nn.softmax(-exponent * jnp.log(jnp.maximum(distances, 0.0) + eps), axis=-1)
