"""Noise-robust classification losses (catalog family CLS): normalized losses and APL, the comp-sum
family (CE, generalized CE, MAE as members) and the label-distributionally robust (LDR) losses.

Conventions as in :mod:`lbrl.losses.classification`: per-example values, integer or soft labels where
the paper allows them, out-of-range integer ids masked, float32 internals.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from lbrl.losses.classification import cross_entropy, finish, focal_weight, prepare, softmax_focal


# ----------------------------------------------------------------------------------------------
# Normalized losses and Active-Passive Loss (Ma et al., 2020).


def _per_class_ce(logp):
  return -logp


def _per_class_focal(logp, gamma):
  return -focal_weight(logp, gamma) * logp


def normalized_cross_entropy(logits, labels, *, where=None):
  """Normalized cross-entropy: ``NCE = log p_y / sum_k log p_k`` (values in ``[0, 1]``).

  The normalisation ``L(f, y) / sum_k L(f, k)`` makes any loss robust to symmetric label noise; NCE is
  robust but underfits alone (use it as the active term of :func:`active_passive`). Soft targets:
  ``sum_k y_k (-log p_k) / sum_k (-log p_k)``.

  Paper: Ma et al., "Normalized Loss Functions for Deep Learning with Noisy Labels", ICML 2020,
  arXiv:2006.13554 (catalog slug ``normalized_losses``).
  """
  logits, targets, valid = prepare("normalized_cross_entropy", logits, labels)
  per_class = _per_class_ce(jax.nn.log_softmax(logits))
  values = jnp.sum(targets * per_class, axis=-1) / jnp.sum(per_class, axis=-1)
  return finish(values, valid, where)


def normalized_focal(logits, labels, *, gamma: float = 0.5, where=None):
  """Normalized focal loss: ``NFL = FL(f, y) / sum_k FL(f, k)``, ``FL(f, k) = -(1 - p_k)^gamma log p_k``.

  Paper: Ma et al., ICML 2020, arXiv:2006.13554 (catalog slug ``normalized_losses``; the paper uses
  ``gamma = 0.5``).
  """
  logits, targets, valid = prepare("normalized_focal", logits, labels)
  per_class = _per_class_focal(jax.nn.log_softmax(logits), gamma)
  values = jnp.sum(targets * per_class, axis=-1) / jnp.sum(per_class, axis=-1)
  return finish(values, valid, where)


def reverse_cross_entropy(logits, labels, *, log_zero: float = -4.0, where=None):
  """Reverse cross-entropy: ``RCE = -sum_k p_k log q_k`` with ``q`` the label and ``log 0 := A``.

  For one-hot labels ``RCE = -A (1 - p_y)`` (``A = log_zero = -4`` in the paper); its normalised form is
  ``(1 - p_y) / (C - 1)``, a rescaling. The paper defines it for hard labels; soft targets use
  ``log q_k`` where ``q_k > 0`` and ``A`` elsewhere.

  Papers: Wang et al., "Symmetric Cross Entropy for Robust Learning with Noisy Labels", ICCV 2019,
  arXiv:1908.06112; used as the passive loss of APL (Ma et al., 2020, ``normalized_losses``).
  """
  logits, targets, valid = prepare("reverse_cross_entropy", logits, labels)
  p = jax.nn.softmax(logits)
  log_q = jnp.where(targets > 0, jnp.log(jnp.where(targets > 0, targets, 1.0)), log_zero)
  return finish(-jnp.sum(p * log_q, axis=-1), valid, where)


def mean_absolute_error(logits, labels, *, where=None):
  """MAE between softmax probabilities and the label: ``sum_k |p_k - y_k|`` (``= 2 (1 - p_y)`` one-hot).

  Papers: Ghosh et al., "Robust Loss Functions under Label Noise for Deep Neural Networks", AAAI 2017,
  arXiv:1712.09482; the passive loss of APL (Ma et al., 2020, ``normalized_losses``).
  """
  logits, targets, valid = prepare("mean_absolute_error", logits, labels)
  return finish(jnp.sum(jnp.abs(jax.nn.softmax(logits) - targets), axis=-1), valid, where)


_ACTIVE = {"ce": cross_entropy, "fl": softmax_focal, "nce": normalized_cross_entropy, "nfl": normalized_focal}
_PASSIVE = {"mae": mean_absolute_error, "rce": reverse_cross_entropy}


def active_passive(logits, labels, *, active: str = "nce", passive: str = "rce", alpha: float = 1.0,
                   beta: float = 1.0, gamma: float = 0.5, where=None):
  """Active Passive Loss: ``APL = alpha * L_active + beta * L_passive``.

  Active losses (push up ``p_y``): ``nce``, ``nfl`` (normalised, robust) or ``ce``, ``fl``; passive
  losses (push down the other classes): ``mae``, ``rce``. The paper's recommended pairs are NCE+RCE,
  NCE+MAE, NFL+RCE, NFL+MAE; its CIFAR-10 setting is ``alpha = beta = 1`` (MNIST: 1 and 100;
  CIFAR-100: 10 and 0.1). ``gamma`` is the focal exponent of ``fl``/``nfl``.

  Paper: Ma et al., "Normalized Loss Functions for Deep Learning with Noisy Labels", ICML 2020,
  arXiv:2006.13554 (catalog slug ``normalized_losses``).
  """
  if active not in _ACTIVE:
    raise ValueError(f"active_passive: unknown active loss {active!r}; known: {sorted(_ACTIVE)}")
  if passive not in _PASSIVE:
    raise ValueError(f"active_passive: unknown passive loss {passive!r}; known: {sorted(_PASSIVE)}")
  active_fn = _ACTIVE[active]
  kwargs = {"gamma": gamma} if active in ("fl", "nfl") else {}
  values = alpha * active_fn(logits, labels, **kwargs)
  values = values + beta * _PASSIVE[passive](logits, labels)
  return finish(values, None, where)


# ----------------------------------------------------------------------------------------------
# The comp-sum family (Mao, Mohri and Zhong, 2023).


def _comp_sum_from_logp(logp_y, tau):
  """``Phi^tau(u)`` with ``1 + u = 1 / p_y``, written in ``log p_y`` (stable for every tau)."""
  if tau == 1.0:
    return -logp_y
  # (1 - p_y^(tau-1)) / (tau - 1) = -expm1((tau-1) log p_y) / (tau - 1). For tau < 1 the value grows
  # like p_y^-(1-tau); clip the exponent so it stays inside float32 (the gradient is 0 past the clip).
  t = (tau - 1.0) * logp_y
  if tau < 1.0:
    t = jnp.minimum(t, 80.0)
  return -jnp.expm1(t) / (tau - 1.0)


def comp_sum(logits, labels, *, tau: float = 1.0, where=None):
  """Comp-sum loss: ``L_tau = Phi^tau( sum_{k != y} exp(z_k - z_y) )``.

  ``Phi^tau(u) = log(1 + u)`` for ``tau = 1`` and ``((1 + u)^(1 - tau) - 1) / (1 - tau)`` otherwise.
  Since ``1 + u = 1 / p_y`` (softmax), members are: ``tau = 0`` the sum-exponential loss
  ``sum_{k != y} exp(z_k - z_y)``; ``tau = 1`` cross-entropy; ``tau in (1, 2)`` generalized
  cross-entropy ``(1 - p_y^q) / q`` with ``q = tau - 1``; ``tau = 2`` the mean absolute error
  ``1 - p_y``. Soft targets: ``sum_k y_k Phi^tau(1/p_k - 1)``. For ``tau < 1`` values beyond
  ``exp(80) / (1 - tau)`` are clipped (otherwise they overflow float32).

  Paper: Mao, Mohri and Zhong, "Cross-Entropy Loss Functions: Theoretical Analysis and Applications",
  ICML 2023, arXiv:2304.07288 (catalog slug ``comp_sum_losses``).
  """
  if tau < 0:
    raise ValueError(f"comp_sum: tau must be >= 0, got {tau}")
  logits, targets, valid = prepare("comp_sum", logits, labels)
  per_class = _comp_sum_from_logp(jax.nn.log_softmax(logits), float(tau))
  return finish(jnp.sum(targets * per_class, axis=-1), valid, where)


def generalized_cross_entropy(logits, labels, *, q: float = 0.7, where=None):
  """Generalized cross-entropy ``(1 - p_y^q) / q`` (``q -> 0``: CE, ``q = 1``: MAE ``1 - p_y``).

  The comp-sum member ``tau = 1 + q`` (see :func:`comp_sum`). Paper: Zhang and Sabuncu, "Generalized
  Cross Entropy Loss for Training Deep Neural Networks with Noisy Labels", NeurIPS 2018,
  arXiv:1805.07836 (default ``q = 0.7``); baseline of ``ldr_loss`` and member of ``comp_sum_losses``.
  """
  if not 0.0 < q <= 1.0:
    raise ValueError(f"generalized_cross_entropy: q must be in (0, 1], got {q}")
  return comp_sum(logits, labels, tau=1.0 + q, where=where)


# ----------------------------------------------------------------------------------------------
# Label-distributionally robust losses (Zhu, Ying and Yang, 2023).


def _ldr_scores(logits, targets, margin):
  """``c_k = delta_{k,y} + z_k - z_y`` with ``delta = margin`` off the label and 0 on it."""
  z_y = jnp.sum(logits * targets, axis=-1, keepdims=True)
  return margin * (1.0 - targets) + logits - z_y


OUTPUT_NORMS = (None, "softplus_mean", "l1_mean")


def _normalize_outputs(name, logits, output_norm):
  """The authors' rescaling of the network outputs before an LDR loss (their ``loss.py``):

  ``softplus_mean``: ``z <- softplus(z) / mean_k softplus(z)`` (``LDRLoss_V1``); ``l1_mean``:
  ``z <- z / mean_k |z|`` (``ALDRLoss_V1``). Both fix the scale of ``z``, without which a temperature
  ``lambda`` means little: a network can rescale its logits instead.
  """
  if output_norm not in OUTPUT_NORMS:
    raise ValueError(f"{name}: output_norm must be one of {OUTPUT_NORMS}, got {output_norm!r}")
  if output_norm is None:
    return logits
  if output_norm == "softplus_mean":
    logits = jax.nn.softplus(logits)
    scale = jnp.mean(logits, axis=-1, keepdims=True)
  else:
    scale = jnp.mean(jnp.abs(logits), axis=-1, keepdims=True)
  return logits / jnp.maximum(scale, 1e-12)   # all-zero outputs stay 0, with finite gradients


def _kl_dro(scores, lam):
  """``max_{p in simplex} p.c - lam KL(p, uniform) = lam log( mean_k exp(c_k / lam) )``."""
  num_classes = scores.shape[-1]
  lam = jnp.asarray(lam, scores.dtype)
  return lam * (jax.nn.logsumexp(scores / lam[..., None], axis=-1) - jnp.log(num_classes))


def ldr_kl(logits, labels, *, lam: float = 1.0, margin: float = 0.1, output_norm: str | None = None,
           where=None):
  """LDR-KL loss: the worst case over label distributions ``p`` of the margin-shifted scores.

  ``L = max_{p in simplex} sum_k p_k (delta_{k,y} + z_k - z_y) - lam KL(p, 1/C)
      = lam * log( (1/C) sum_k exp((delta_{k,y} + z_k - z_y) / lam) )``
  with ``delta_{k,y} = margin`` for ``k != y`` and 0 for ``k = y`` (the margin is added to the non-target
  classes only); the ``1/C`` inside the log (a ``- lam log C`` shift against cross-entropy) comes from
  the KL to the uniform distribution, and the maximiser is ``p* = softmax((delta + z - z_y) / lam)``.
  Special cases: ``lam -> 0`` gives the Crammer-Singer SVM loss ``max_k (delta_{k,y} + z_k - z_y)``;
  ``margin = 0`` gives the temperature-scaled cross-entropy ``lam * CE(z / lam) - lam log C``;
  ``lam -> inf`` the mean of the scores.

  Args:
    lam: the KL regularisation (temperature) ``lambda``. The authors tune it over ``{0.1, 1, 10}`` by
      cross-validation (their released runs use 10); 1 is the middle of that grid.
    margin: ``delta`` (the paper's margin ``c``); the authors' experiments use ``c = 0.1``.
    output_norm: None (default: ``z`` as given), or the authors' rescaling of ``z`` before the loss:
      ``"softplus_mean"`` (``softplus(z) / mean_k softplus(z)``, their ``LDRLoss_V1``) or ``"l1_mean"``
      (``z / mean_k |z|``); see :func:`_normalize_outputs`.

  Checked against the paper's abstract and the authors' released implementation
  (github.com/Optimization-AI/ICML2023_LDR, ``loss.py`` ``LDRLoss_V1`` and the ``--margin`` default of
  ``experiment.py``), which computes exactly this value from its (softplus-mean normalised) inputs.

  Paper: Zhu, Ying and Yang, "Label Distributionally Robust Losses for Multi-class Classification:
  Consistency, Robustness and Adaptivity", ICML 2023, arXiv:2112.14869 (catalog slug ``ldr_loss``).
  """
  if lam <= 0:
    raise ValueError(f"ldr_kl: lam must be > 0, got {lam}")
  logits, targets, valid = prepare("ldr_kl", logits, labels, allow_soft=False)
  logits = _normalize_outputs("ldr_kl", logits, output_norm)
  return finish(_kl_dro(_ldr_scores(logits, targets, margin), lam), valid, where)


def _kl_to_uniform(scores, lam):
  """``KL(p, 1/C)`` for ``p = softmax(scores / lam)``, clipped to its range ``[0, log C]``."""
  num_classes = scores.shape[-1]
  logp = jax.nn.log_softmax(scores / lam[..., None], axis=-1)
  kl = jnp.sum(jnp.exp(logp) * logp, axis=-1) + jnp.log(num_classes)
  return jnp.clip(kl, 0.0, jnp.log(num_classes))


def aldr_kl(logits, labels, *, lam0: float = 1.0, alpha: float = 2.0, margin: float = 0.1,
            iterations: int = 10, output_norm: str | None = None, where=None):
  """Adaptive LDR-KL: LDR-KL with a per-example temperature ``lambda_i`` chosen by the same worst case.

  ``L = max_{lam > 0} max_{p in simplex} [ sum_k p_k c_k - lam KL(p, 1/C) - beta/2 (lam - lam0)^2 ]``,
  ``c_k = delta_{k,y} + z_k - z_y`` and ``beta = alpha log(C) / lam0``. For fixed ``lam`` the inner max is
  :func:`ldr_kl` (``p* = softmax(c / lam)``); for fixed ``p`` the best temperature is
  ``lam = lam0 (1 - KL(p, 1/C) / (alpha log C))``. Since ``0 <= KL <= log C``, ``lambda_i`` stays in
  ``[lam0 (1 - 1/alpha), lam0]`` (positive for ``alpha > 1``): examples whose worst-case label
  distribution is far from uniform (confidently contradicted labels, i.e. likely noise) get a smaller
  temperature, a more SVM-like, bounded loss.

  There is no closed form for the joint maximum. The authors' algorithm keeps ``lambda_i`` per training
  example (initialised at ``lam0``) and applies the update above once each time the example is visited;
  a pure per-batch function cannot keep that state, so we start at ``lam0`` and apply the same update
  ``iterations`` times (a monotone fixed-point iteration to the stationary point nearest ``lam0``), then
  evaluate the objective there. ``lam`` is not differentiated: at a stationary point the gradient is the
  partial gradient (Danskin). With ``alpha = 2``, 10 updates reach the maximum to about ``1e-5 lam0``;
  for ``alpha`` close to 1 the objective can be flat or non-concave in ``lam`` and convergence is slow.

  Args:
    lam0: the reference temperature ``lambda_0`` (the authors tune it like ``lam`` of :func:`ldr_kl`).
    alpha: strength of the ``(lam - lam0)^2`` penalty, in the authors' scale-free form
      ``alpha log(C) / (2 lam0)``; must be > 1. The authors use ``alpha = 2``.
    margin: ``delta`` as in :func:`ldr_kl` (the authors use 0.1).
    iterations: updates of ``lam`` per call.
    output_norm: as in :func:`ldr_kl`; the authors' ``ALDRLoss_V1`` uses ``"l1_mean"``.

  Checked against the paper's abstract and the authors' released implementation
  (github.com/Optimization-AI/ICML2023_LDR, ``loss.py`` ``ALDRLoss_V1`` and the ``--alpha`` and
  ``--margin`` defaults of ``experiment.py``): same update of ``lambda_i``, same penalty scale, same
  objective; its rescaling of the outputs by their per-example mean absolute value is
  ``output_norm="l1_mean"``. One detail is not reproduced: it computes ``p`` for the update from the
  logits without the margin (we use the maximiser ``softmax(c / lam)``).

  Paper: Zhu, Ying and Yang, ICML 2023, arXiv:2112.14869 (catalog slug ``ldr_loss``).
  """
  if lam0 <= 0 or alpha <= 1:
    raise ValueError(f"aldr_kl: need lam0 > 0 and alpha > 1 (so lambda_i stays positive), got {lam0}, "
                     f"{alpha}")
  if iterations < 1:
    raise ValueError(f"aldr_kl: iterations must be >= 1, got {iterations}")
  logits, targets, valid = prepare("aldr_kl", logits, labels, allow_soft=False)
  scores = _ldr_scores(_normalize_outputs("aldr_kl", logits, output_norm), targets, margin)
  log_c = jnp.log(scores.shape[-1])
  fixed = jax.lax.stop_gradient(scores)
  lam = jnp.full(scores.shape[:-1], float(lam0), scores.dtype)
  for _ in range(iterations):
    lam = lam0 * (1.0 - _kl_to_uniform(fixed, lam) / (alpha * log_c))
  penalty = 0.5 * alpha * log_c / lam0 * jnp.square(lam - lam0)
  return finish(_kl_dro(scores, lam) - penalty, valid, where)
