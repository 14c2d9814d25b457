"""Calibration metrics, computed with JAX (on device), for classifiers and for Gaussian regressors.

Classification (``conf`` a confidence in ``[0, 1]``, ``correct`` 0/1, ``weights`` 0/1 marking the rows that
count, e.g. ``valid`` so padding and the ignore id ``-1`` drop out):

* :func:`calibration_error`: binned calibration error
  ``ECE = sum_b |B_b|/N * |acc(B_b) - conf(B_b)|`` (``norm="l1"``), ``MCE = max_b |acc(B_b) - conf(B_b)|``
  over the non-empty bins (``norm="max"``), or the root of the weighted squared gaps (``norm="l2"``).
  Bins ``scheme="width"``: ``num_bins`` equal-width intervals ``I_m = ((m-1)/M, m/M]`` (Guo et al., "On
  Calibration of Modern Neural Networks", ICML 2017, arXiv:1706.04599, section 2; the convention of
  ``sklearn.calibration.calibration_curve``), confidence exactly 0 in the first bin. ``scheme="mass"``:
  equal-mass (adaptive) bins, the counted rows sorted by confidence (stable) and cut into ``num_bins``
  consecutive groups whose sizes differ by at most one (``np.array_split`` sizes; Nixon et al., "Measuring
  Calibration in Deep Learning", 2019, arXiv:1904.01685). Empty bins contribute nothing.
* :func:`classwise_ece`: the mean over classes ``k`` of the equal-width ECE of ``p_k`` against ``1[y = k]``
  (Kull et al., "Beyond temperature scaling", NeurIPS 2019, arXiv:1910.12656).
* :func:`smooth_ece`: smooth ECE (Blasiok & Nakkiran, "Smooth ECE: Principled Reliability Diagrams via Kernel
  Smoothing", ICLR 2024, arXiv:2309.12236): the residuals ``y - f`` smoothed over ``[0, 1]`` with a
  reflected Gaussian kernel of bandwidth ``sigma``, ``smECE_sigma = int_0^1 |r_sigma(t)| dt`` (on a grid), at
  the fixed point ``smECE_sigma* = sigma*`` (found by bisection; the quantity is decreasing in ``sigma``).
* :func:`brier_score` ``sum_k (p_k - 1[y = k])^2`` and :func:`nll` ``-log p_y`` per example.
* :func:`reliability_diagram`: per-bin count, mean confidence and accuracy (for plots).

Regression with Gaussian predictions ``N(mean, std^2)`` (Kuleshov, Fenner & Ermon, "Accurate
Uncertainties for Deep Learning Using Calibrated Regression", ICML 2018, arXiv:1807.00263, section 3.5):
:func:`quantile_calibration_error` ``sum_j (p_j - phat_j)^2`` with ``phat_j`` the fraction of rows with
``Phi((y - mean) / std) <= p_j`` (``norm="l2"``; ``norm="l1"`` gives the mean ``|p_j - phat_j|``, the
miscalibration area), and :func:`sharpness` ``mean(std^2)``.

The ``*_stats`` / ``reduce_*`` pairs at the bottom are the eval-metric entries (the contract of
:mod:`lbrl.metrics`): the per-example statistics run in the jitted eval step, the reductions call the
functions above on the gathered statistics. Equal-width ECE as an eval metric stays ``lbrl.metrics:ece``.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy import stats as jstats

SCHEMES = ("width", "mass")
NORMS = ("l1", "l2", "max")


def _check(conf, correct, weights, num_bins, scheme="width", norm="l1"):
  conf = jnp.asarray(conf, jnp.float32)
  correct = jnp.asarray(correct, jnp.float32)
  if conf.ndim != 1 or correct.shape != conf.shape:
    raise ValueError(f"conf and correct must be 1-D arrays of one length, got shapes {conf.shape} and {correct.shape}")
  weights = jnp.ones_like(conf) if weights is None else jnp.asarray(weights, jnp.float32)
  if weights.shape != conf.shape:
    raise ValueError(f"weights must have conf's shape {conf.shape}, got {weights.shape}")
  if int(num_bins) < 1:
    raise ValueError(f"num_bins must be a positive integer, got {num_bins}")
  if scheme not in SCHEMES:
    raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
  if norm not in NORMS:
    raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
  return conf, correct, weights


def bin_index(conf, weights=None, *, num_bins: int = 15, scheme: str = "width"):
  """The bin of each row in ``[0, num_bins)`` (see the module docstring for the two schemes)."""
  conf, _, weights = _check(conf, conf, weights, num_bins, scheme)
  if scheme == "width":
    edges = jnp.linspace(0.0, 1.0, num_bins + 1, dtype=jnp.float32)
    return jnp.searchsorted(edges[1:-1], conf, side="left").astype(jnp.int32)
  counted = weights > 0
  order = jnp.argsort(jnp.where(counted, conf, jnp.inf), stable=True)
  rank = jnp.zeros(conf.shape, jnp.int32).at[order].set(jnp.arange(conf.shape[0], dtype=jnp.int32))
  n = jnp.maximum(jnp.sum(counted), 1)
  # np.array_split sizes: the first n % B bins hold q + 1 rows, the rest q rows.
  q, r = n // num_bins, n % num_bins
  big = r * (q + 1)
  idx = jnp.where(rank < big, rank // jnp.maximum(q + 1, 1), r + (rank - big) // jnp.maximum(q, 1))
  return jnp.clip(idx, 0, num_bins - 1).astype(jnp.int32)


def reliability_diagram(conf, correct, weights=None, *, num_bins: int = 15, scheme: str = "width"):
  """``(count [B], mean confidence [B], accuracy [B])`` per bin; empty bins have count 0 and NaN means."""
  conf, correct, weights = _check(conf, correct, weights, num_bins, scheme)
  return _reliability(conf, correct, weights, int(num_bins), scheme)


@functools.partial(jax.jit, static_argnums=(3, 4))
def _reliability(conf, correct, weights, num_bins, scheme):
  b = bin_index(conf, weights, num_bins=num_bins, scheme=scheme)
  count = jax.ops.segment_sum(weights, b, num_bins)
  s_conf = jax.ops.segment_sum(weights * conf, b, num_bins)
  s_acc = jax.ops.segment_sum(weights * correct, b, num_bins)
  safe = jnp.where(count > 0, count, 1.0)
  nan = jnp.full_like(count, jnp.nan)
  return count, jnp.where(count > 0, s_conf / safe, nan), jnp.where(count > 0, s_acc / safe, nan)


def calibration_error(conf, correct, weights=None, *, num_bins: int = 15, scheme: str = "width", norm: str = "l1"):
  """Binned calibration error: ECE (``norm="l1"``), MCE (``"max"``) or the l2 error; equal-width or
  equal-mass bins. Example: ``calibration_error(jnp.array([0.9, 0.6]), jnp.array([1., 0.]))`` is
  ``0.5 * 0.1 + 0.5 * 0.6 = 0.35`` (15 equal-width bins)."""
  conf, correct, weights = _check(conf, correct, weights, num_bins, scheme, norm)
  return _calibration_error(conf, correct, weights, int(num_bins), scheme, norm)


@functools.partial(jax.jit, static_argnums=(3, 4, 5))
def _calibration_error(conf, correct, weights, num_bins, scheme, norm):
  count, mconf, acc = _reliability(conf, correct, weights, num_bins, scheme)
  gap = jnp.where(count > 0, jnp.abs(acc - mconf), 0.0)
  frac = count / jnp.maximum(jnp.sum(count), 1.0)
  if norm == "l1":
    return jnp.sum(frac * gap)
  if norm == "l2":
    return jnp.sqrt(jnp.sum(frac * gap ** 2))
  return jnp.max(gap)


def probabilities(logits):
  """Softmax of ``logits [N, C]`` in float32."""
  return jax.nn.softmax(jnp.asarray(logits, jnp.float32), axis=-1)


def confidence_correct(logits, labels):
  """Max-probability confidence and 0/1 correctness (ties: the first maximal class is the prediction)."""
  p = probabilities(logits)
  return jnp.max(p, -1), (jnp.argmax(p, -1) == labels).astype(jnp.float32)


def classwise_ece(probs, labels, weights=None, *, num_bins: int = 15):
  """Classwise ECE: ``(1/K) sum_k ECE(p_k, 1[y = k])`` with equal-width bins (Kull et al., 2019)."""
  probs = jnp.asarray(probs, jnp.float32)
  labels = jnp.asarray(labels)
  if probs.ndim != 2 or labels.shape != probs.shape[:1]:
    raise ValueError(f"probs must be [N, C] and labels [N], got {probs.shape} and {labels.shape}")
  onehot = (labels[:, None] == jnp.arange(probs.shape[1])[None, :]).astype(jnp.float32)
  per_class = jax.vmap(lambda p, y: calibration_error(p, y, weights, num_bins=num_bins), in_axes=1)(probs, onehot)
  return jnp.mean(per_class)


def brier_score(probs, labels):
  """Per-example multi-class Brier score ``sum_k (p_k - 1[y = k])^2`` (Brier, 1950), in ``[0, 2]``."""
  probs = jnp.asarray(probs, jnp.float32)
  onehot = (labels[:, None] == jnp.arange(probs.shape[-1])[None, :]).astype(jnp.float32)
  return jnp.sum((probs - onehot) ** 2, -1)


def nll(logits, labels):
  """Per-example negative log-likelihood ``-log softmax(logits)_y``."""
  z = jnp.asarray(logits, jnp.float32)
  return -jnp.take_along_axis(jax.nn.log_softmax(z, -1), labels[:, None].astype(jnp.int32), -1)[:, 0]


def _reflected_kernel_residual(conf, resid, weights, sigma, grid):
  """``r_sigma(t) = sum_i w_i resid_i K_sigma(t, f_i) / sum_i w_i K_sigma(t, f_i)`` weighted by the kernel
  density at ``t`` (i.e. ``sum_i w_i resid_i K(t, f_i) / sum_i w_i``), K the Gaussian reflected at 0 and 1."""
  d = grid[:, None]
  f = conf[None, :]
  k = sum(jnp.exp(-0.5 * ((d - g) / sigma) ** 2) for g in (f, -f, 2.0 - f)) / (sigma * jnp.sqrt(2 * jnp.pi))
  return (k @ (weights * resid)) / jnp.maximum(jnp.sum(weights), 1.0)


def smooth_ece_at(conf, correct, weights=None, *, sigma, num_points: int = 512):
  """``smECE_sigma = int_0^1 |sum_i w_i (y_i - f_i) K_sigma(t, f_i)| / sum_i w_i dt`` (trapezoid rule on
  ``num_points`` grid points), K the reflected Gaussian kernel."""
  conf, correct, weights = _check(conf, correct, weights, 1)
  grid = jnp.linspace(0.0, 1.0, num_points, dtype=jnp.float32)
  r = jnp.abs(_reflected_kernel_residual(conf, correct - conf, weights, sigma, grid))
  return jnp.sum(0.5 * (r[1:] + r[:-1])) * (grid[1] - grid[0])


def smooth_ece(conf, correct, weights=None, *, num_points: int = 512, iters: int = 30):
  """Smooth ECE at its own bandwidth: the ``sigma`` with ``smECE_sigma = sigma``, by bisection on
  ``[1e-4, 1]`` (``smECE_sigma - sigma`` decreases in ``sigma``; Blasiok & Nakkiran, arXiv:2309.12236,
  section 4). lbrl's choice: a grid integral on ``num_points`` points rather than relplot's FFT."""
  conf, correct, weights = _check(conf, correct, weights, 1)
  return _smooth_ece(conf, correct, weights, int(num_points), int(iters))


@functools.partial(jax.jit, static_argnums=(3, 4))
def _smooth_ece(conf, correct, weights, num_points, iters):
  def body(_, lohi):
    lo, hi = lohi
    mid = 0.5 * (lo + hi)
    above = smooth_ece_at(conf, correct, weights, sigma=mid, num_points=num_points) > mid
    return jnp.where(above, mid, lo), jnp.where(above, hi, mid)

  lo, hi = jax.lax.fori_loop(0, iters, body, (jnp.float32(1e-4), jnp.float32(1.0)))
  return 0.5 * (lo + hi)


# ---------------------------------------------------------------- regression (Gaussian predictive)


def _gaussian_pit(mean, std, y):
  mean, std, y = (jnp.asarray(a, jnp.float32) for a in (mean, std, y))
  if not (mean.shape == std.shape == y.shape):
    raise ValueError(f"mean, std and y must have one shape, got {mean.shape}, {std.shape}, {y.shape}")
  return jstats.norm.cdf((y - mean) / std)


def quantile_calibration_error(mean, std, y, *, levels=None, norm: str = "l2"):
  """Kuleshov et al.'s calibration error of Gaussian forecasts ``N(mean, std^2)``: ``sum_j (p_j - phat_j)^2``
  (``norm="l2"``) or ``mean_j |p_j - phat_j|`` (``"l1"``), ``phat_j = mean_t 1[Phi((y_t - mean_t)/std_t) <= p_j]``,
  levels ``p_j`` default ``0.05, 0.10, ..., 0.95``."""
  if norm not in ("l1", "l2"):
    raise ValueError(f"norm must be 'l1' or 'l2', got {norm!r}")
  levels = jnp.linspace(0.05, 0.95, 19) if levels is None else jnp.asarray(levels, jnp.float32)
  pit = _gaussian_pit(mean, std, y)
  phat = jnp.mean((pit[None, :] <= levels[:, None]).astype(jnp.float32), -1)
  gap = levels - phat
  return jnp.sum(gap ** 2) if norm == "l2" else jnp.mean(jnp.abs(gap))


def pit_calibration_error(pit, *, levels=None):
  """Probabilistic calibration error of probability integral transforms ``pit = F_i(y_i)`` (Dheur & Ben Taieb,
  "A Large-Scale Study of Probabilistic Calibration in Neural Network Regression", ICML 2023, arXiv:2306.02738,
  slug ``large_scale_study_probabilistic``): ``PCE = mean_j |alpha_j - mean_i 1[pit_i <= alpha_j]|`` over the
  levels ``alpha_j`` (default ``0.01, 0.02, ..., 0.99``). It is 0 when the PITs are uniform, as they are for a
  probabilistically calibrated forecaster; for Gaussian forecasts with ``levels`` it equals
  :func:`quantile_calibration_error` with ``norm="l1"``."""
  pit = jnp.asarray(pit, jnp.float32)
  if pit.ndim != 1:
    raise ValueError(f"pit must be 1-D, got shape {pit.shape}")
  levels = jnp.linspace(0.01, 0.99, 99) if levels is None else jnp.asarray(levels, jnp.float32)
  phat = jnp.mean((pit[None, :] <= levels[:, None]).astype(jnp.float32), -1)
  return jnp.mean(jnp.abs(levels - phat))


def gaussian_crps(mean, std, y):
  """Per-row CRPS of ``N(mean, std^2)`` at ``y`` (Gneiting & Raftery 2007, closed form):
  ``std * (z (2 Phi(z) - 1) + 2 phi(z) - 1/sqrt(pi))`` with ``z = (y - mean) / std``."""
  mean, std, y = (jnp.asarray(a, jnp.float32) for a in (mean, std, y))
  z = (y - mean) / std
  return std * (z * (2 * jstats.norm.cdf(z) - 1) + 2 * jstats.norm.pdf(z) - 1 / jnp.sqrt(jnp.pi))


def sharpness(std):
  """Kuleshov et al.'s sharpness: the mean predictive variance ``mean(std^2)`` (lower is sharper)."""
  return jnp.mean(jnp.asarray(std, jnp.float32) ** 2)


# ---------------------------------------------------------------- eval-metric entries (lbrl.metrics contract)


def brier_stats(logits, labels, per_example_loss):
  return brier_score(probabilities(logits), labels)


def nll_stats(logits, labels, per_example_loss):
  return nll(logits, labels)


def classwise_stats(logits, labels, per_example_loss):
  """The probabilities ``[N, C]`` and labels (the classwise ECE needs every class's probability; meant for
  classification with few classes, not for LM vocabularies)."""
  return {"probs": probabilities(logits), "label": labels.astype(jnp.int32)}


def reduce_ece_mass(s, num_bins: int = 15) -> float:
  return float(calibration_error(s["conf"], s["correct"], num_bins=num_bins, scheme="mass"))


def reduce_ece_width(s, num_bins: int = 15) -> float:
  return float(calibration_error(s["conf"], s["correct"], num_bins=num_bins, scheme="width"))


def reduce_mce(s, num_bins: int = 15) -> float:
  return float(calibration_error(s["conf"], s["correct"], num_bins=num_bins, norm="max"))


def reduce_smooth_ece(s) -> float:
  return float(smooth_ece(s["conf"], s["correct"]))


def reduce_classwise_ece(s, num_bins: int = 15) -> float:
  return float(classwise_ece(s["probs"], s["label"], num_bins=num_bins))


def reliability_table(conf, correct, *, num_bins: int = 15) -> dict[str, list[float]]:
  """A report's reliability diagram as plain lists: bin edges, count, mean confidence, accuracy."""
  count, mconf, acc = reliability_diagram(conf, correct, num_bins=num_bins)
  return {"edges": np.linspace(0, 1, num_bins + 1).tolist(), "count": np.asarray(count).tolist(),
          "confidence": np.asarray(mconf).tolist(), "accuracy": np.asarray(acc).tolist()}
