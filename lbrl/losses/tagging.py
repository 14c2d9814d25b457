"""Losses for data-imbalanced token tagging: self-adjusting dice and Tversky losses (Li et al., 2020).

``logits [..., C]`` per token, integer tag ids ``[...]`` (out-of-range ids, e.g. padding ``-1``, are
masked) or one-hot/soft targets. Conventions as in :mod:`lbrl.losses.classification`.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from lbrl.losses.classification import finish, keep_mask, prepare


def _adjusted(logits, alpha):
  """``(1 - p)^alpha p``: the dynamic weight that de-emphasises easy (confident) examples.

  ``(1 - p_k)^alpha`` is ``exp(alpha log(1 - p_k))``: ``log1p(-p_k)`` for every class but the most likely,
  whose ``p_k <= 1/2`` makes it exact, and ``logsumexp_{j != top} z_j - logsumexp_j z_j`` for the most likely
  one. So the value and gradient stay finite when ``p_top`` rounds to 1 in float32, where ``(1 - p)^alpha``
  with ``0 < alpha < 1`` (the authors' released ``alpha = 0.01``) has an infinite derivative (NaN
  gradients); cost O(C) per token.
  """
  p = jax.nn.softmax(logits)
  if alpha == 0:
    return p
  top = jax.nn.one_hot(jnp.argmax(logits, axis=-1), logits.shape[-1], dtype=bool)
  log_rest_top = (jax.nn.logsumexp(jnp.where(top, -jnp.inf, logits), axis=-1, keepdims=True)
                  - jax.nn.logsumexp(logits, axis=-1, keepdims=True))
  log_rest = jnp.where(top, log_rest_top, jnp.log1p(-jnp.where(top, 0.0, p)))
  return jnp.exp(alpha * log_rest) * p


def _tversky_index(q, y, keep, fp_weight, fn_weight, gamma, mode, square):
  """Per-class index ``(I + g) / (I + a FP + b FN + g)``; token mode ``[..., C]``, batch mode ``[C]``."""
  q_den, y_den = (q * q, y * y) if square else (q, y)
  inter, fp, fn = q * y, q * (1.0 - y), (1.0 - q) * y
  if mode == "batch":
    k = keep[..., None].astype(q.dtype)
    axes = tuple(range(q.ndim - 1))
    inter, fp, fn = (jnp.sum(k * t, axis=axes) for t in (inter, fp, fn))
    q_den, y_den = (jnp.sum(k * t, axis=axes) for t in (q_den, y_den))
  if fp_weight is None:   # dice: 2 I / (sum q + sum y)
    return (2.0 * inter + gamma) / (q_den + y_den + gamma)
  return (inter + gamma) / (inter + fp_weight * fp + fn_weight * fn + gamma)


def _dice_family(name, logits, labels, *, alpha, gamma, mode, square, fp_weight, fn_weight, background,
                 where):
  if mode not in ("batch", "token"):
    raise ValueError(f"{name}: mode must be 'batch' or 'token', got {mode!r}")
  logits, targets, valid = prepare(name, logits, labels)
  c = logits.shape[-1]
  if c < 2 or (background is not None and not 0 <= int(background) < c):
    raise ValueError(f"{name}: need >= 2 classes and background in [0, {c}) or None; got {c} classes, "
                     f"background={background!r}")
  keep = keep_mask(valid, where, logits.shape[:-1])
  q = _adjusted(logits, alpha)
  index = _tversky_index(q, targets, keep, fp_weight, fn_weight, gamma, mode, square)
  scored = jnp.arange(c) != (-1 if background is None else int(background))  # classes in the mean
  loss = jnp.sum(jnp.where(scored, 1.0 - index, 0.0), axis=-1) / jnp.sum(scored)
  values = loss if mode == "token" else jnp.broadcast_to(loss, keep.shape)
  return finish(values, keep, None)


def dice_nlp(logits, labels, *, alpha: float = 1.0, gamma: float = 1.0, mode: str = "batch",
             square_denominator: bool = False, background: int | None = None, where=None):
  """Self-adjusting dice loss, averaged over the scored tag classes.

  With ``p = softmax(z)`` and the dynamic weight ``q = (1 - p)^alpha p`` (``alpha = 0``: plain dice), the
  per-class Sorensen-Dice coefficient is ``DSC_k = (2 sum_i q_ik y_ik + gamma) / (sum_i q_ik +
  sum_i y_ik + gamma)`` and ``L = mean_k (1 - DSC_k)`` over every class but ``background``.

  ``mode="batch"`` sums over the batch's kept tokens: a set-level soft F1, as the authors' ``DiceLoss``
  computes it for a sigmoid output (one dice over all tokens of the batch). It is not a per-example loss:
  each kept token carries the same batch value, so the masked mean of the returned ``[batch]`` array is the
  batch loss (and its gradient), and the value depends on which tokens share the batch.
  ``mode="token"`` is the paper's per-token form ``DSC(x_i) = (2 q_i y_i + gamma) / (q_i + y_i + gamma)``.
  ``square_denominator`` uses ``q^2`` and ``y^2`` in the denominator (Milletari's variant; the authors'
  ``--dice_square``, set in every released training script).

  Args:
    alpha: exponent of the self-adjusting factor ``(1 - p)^alpha`` (0 disables it). The paper writes
      ``(1 - p) p`` (alpha = 1); the authors' released scripts use ``alpha = 0.01``.
    gamma: smoothing added to numerator and denominator (the authors' ``smooth``, 1 in their scripts).
    background: a class left out of the mean (the "O" / negative tag): with two classes and
      ``background=0`` this is the authors' binary dice of the positive class, ``p_1 = sigmoid(z_1 - z_0)``
      (their NER, MRC and paraphrase setting). None (default) averages over every class.

  Paper: Li et al., "Dice Loss for Data-imbalanced NLP Tasks", ACL 2020, arXiv:1911.02855 (catalog
  slug ``dice_nlp``); authors' code github.com/ShannonAI/dice_loss_for_NLP (``loss/dice_loss.py``).
  """
  return _dice_family("dice_nlp", logits, labels, alpha=alpha, gamma=gamma, mode=mode,
                      square=square_denominator, fp_weight=None, fn_weight=None, background=background,
                      where=where)


def tversky_nlp(logits, labels, *, fp_weight: float = 0.5, fn_weight: float = 0.5, alpha: float = 1.0,
                gamma: float = 1.0, mode: str = "batch", background: int | None = None, where=None):
  """Self-adjusting Tversky loss: ``L = mean_k (1 - TI_k)`` over every class but ``background``.

  ``TI_k = (sum q y + gamma) / (sum q y + a sum q (1 - y) + b sum (1 - q) y + gamma)`` with the dynamic
  ``q = (1 - p)^alpha p``; ``a = fp_weight`` and ``b = fn_weight`` trade false positives against false
  negatives (``a = b = 0.5`` is dice). Modes and ``background`` as in :func:`dice_nlp`.

  Paper: Li et al., "Dice Loss for Data-imbalanced NLP Tasks", ACL 2020, arXiv:1911.02855 (catalog
  slug ``dice_nlp``).
  """
  return _dice_family("tversky_nlp", logits, labels, alpha=alpha, gamma=gamma, mode=mode,
                      square=False, fp_weight=fp_weight, fn_weight=fn_weight, background=background,
                      where=where)
