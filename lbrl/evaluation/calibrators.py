"""Post-hoc calibrators as pure fitting functions (JAX, jittable): fit on held-out logits, apply to new ones.

Each ``fit_*`` takes ``logits [N, C]`` (float32), integer ``labels [N]`` and a 0/1 ``valid [N]`` mask (rows
that count) and returns a dict of arrays; the matching ``apply_*(params, logits) -> logits`` is the map.
:mod:`lbrl.train.stages` wraps them as post-training stages.

* Temperature scaling ``z / T`` (Guo et al., "On Calibration of Modern Neural Networks", ICML 2017,
  arXiv:1706.04599, slug ``temperature_scaling``, section 4.2).
* Vector scaling ``z * w + b`` and matrix scaling ``W z + b`` (the same paper, section 4.2), all three fitted
  by minimising the held-out NLL with L-BFGS (``optax.lbfgs``, zoom line search) from the identity map.
  ``l2`` (default 0, as in Guo et al.) adds ``l2 * ||W - I||^2`` for matrix scaling (lbrl's option; Kull et
  al. 2019 regularise the off-diagonal instead).
* Platt scaling (Platt, "Probabilistic Outputs for Support Vector Machines", 1999): a binary score ``s``
  becomes ``sigmoid(a s + b)``, fitted by NLL against Platt's smoothed targets ``(N+ + 1)/(N+ + 2)`` and
  ``1/(N- + 2)`` (the targets of ``sklearn.calibration._sigmoid_calibration``; ``smooth_targets=False`` fits
  the 0/1 labels). For ``C > 2`` classes :func:`fit_platt` fits one-vs-rest on each logit column and
  :func:`apply_platt` renormalises the probabilities (as ``CalibratedClassifierCV(method="sigmoid")``);
  for ``C = 2`` it fits the score ``z_1 - z_0``.
* Online Platt scaling with calibeating (Gupta & Ramdas, "Online Platt Scaling with Calibeating", ICML 2023,
  arXiv:2305.00070, slug ``online_platt_scaling_calibeating``): :func:`online_platt` runs Platt's
  logistic model on the features ``(logit f_t, 1)`` over a stream with the Online Newton Step
  (``A_t = A_{t-1} + g_t g_t^T``, ``theta_{t+1} = theta_t - A_t^{-1} g_t / gamma``, ``A_0 = eps I``,
  ``theta_1 = (1, 0)`` the identity; lbrl's defaults ``gamma=0.1, eps=1``, iterates kept in the ball of radius
  ``radius=100``), forecasting each ``y_t`` before seeing it; calibeating by tracking (TOPS) replaces
  the forecast by the mean of the past outcomes whose OPS forecast fell in the same of ``num_bins``
  equal-width bins (the OPS forecast while that bin is empty). As a post-training stage the stream is the
  held-out split and the final ``theta`` and bin means are applied to the eval split.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lbrl.evaluation._common import lbfgs_minimize  # noqa: F401  (re-exported)


def _check(logits, labels, valid):
  logits = jnp.asarray(logits, jnp.float32)
  if logits.ndim != 2 or logits.shape[1] < 2:
    raise ValueError(f"logits must be [N, C] with C >= 2, got shape {logits.shape}")
  labels = jnp.asarray(labels)
  if labels.shape != logits.shape[:1] or not jnp.issubdtype(labels.dtype, jnp.integer):
    raise ValueError(f"labels must be integer [N] = {logits.shape[:1]}, got {labels.dtype}{labels.shape}")
  valid = jnp.ones(labels.shape, bool) if valid is None else jnp.asarray(valid, bool)
  if valid.shape != labels.shape:
    raise ValueError(f"valid must have labels' shape {labels.shape}, got {valid.shape}")
  return logits, labels, valid


def mean_nll(logits, labels, valid):
  """Mean ``-log softmax(logits)_y`` over the valid rows."""
  w = valid.astype(jnp.float32)
  ce = optax.softmax_cross_entropy_with_integer_labels(logits, jnp.where(valid, labels, 0))
  return jnp.sum(ce * w) / jnp.maximum(jnp.sum(w), 1.0)


# ---------------------------------------------------------------- temperature, vector and matrix scaling


@functools.partial(jax.jit, static_argnames="iters")
def fit_temperature(logits, labels, valid=None, *, iters: int = 100):
  """The temperature ``T > 0`` minimising the mean NLL of ``softmax(logits / T)`` over the valid rows, by
  L-BFGS on ``log T`` from ``T = 1``."""
  logits, labels, valid = _check(logits, labels, valid)
  log_t = lbfgs_minimize(lambda x: mean_nll(logits / jnp.exp(x), labels, valid), jnp.zeros((), jnp.float32),
                         iters=iters)
  return jnp.exp(log_t)


def apply_temperature(params, logits):
  return logits / params["temperature"]


@functools.partial(jax.jit, static_argnames="iters")
def fit_vector_scaling(logits, labels, valid=None, *, iters: int = 200):
  """``{"w": [C], "b": [C]}`` minimising the NLL of ``softmax(z * w + b)`` (from ``w = 1, b = 0``)."""
  logits, labels, valid = _check(logits, labels, valid)
  c = logits.shape[1]
  x0 = {"w": jnp.ones((c,), jnp.float32), "b": jnp.zeros((c,), jnp.float32)}
  return lbfgs_minimize(lambda p: mean_nll(apply_vector_scaling(p, logits), labels, valid), x0, iters=iters)


def apply_vector_scaling(params, logits):
  return logits * params["w"] + params["b"]


@functools.partial(jax.jit, static_argnames=("l2", "iters"))
def fit_matrix_scaling(logits, labels, valid=None, *, l2: float = 0.0, iters: int = 300):
  """``{"W": [C, C], "b": [C]}`` minimising ``NLL(softmax(z W^T + b)) + l2 ||W - I||^2`` from ``W = I, b = 0``."""
  logits, labels, valid = _check(logits, labels, valid)
  if float(l2) < 0:
    raise ValueError(f"l2 must be >= 0, got {l2}")
  c = logits.shape[1]
  eye = jnp.eye(c, dtype=jnp.float32)
  x0 = {"W": eye, "b": jnp.zeros((c,), jnp.float32)}

  def loss(p):
    return mean_nll(apply_matrix_scaling(p, logits), labels, valid) + l2 * jnp.sum((p["W"] - eye) ** 2)

  return lbfgs_minimize(loss, x0, iters=iters)


def apply_matrix_scaling(params, logits):
  return logits @ params["W"].T + params["b"]


# ---------------------------------------------------------------- Platt scaling


@functools.partial(jax.jit, static_argnames=("smooth_targets", "iters"))
def fit_platt_binary(scores, targets, valid=None, *, smooth_targets: bool = True, iters: int = 100):
  """``(a, b)`` of ``sigmoid(a s + b)`` minimising the NLL against Platt's targets (see module docstring)."""
  s = jnp.asarray(scores, jnp.float32)
  y = jnp.asarray(targets, jnp.float32)
  w = jnp.ones_like(s) if valid is None else jnp.asarray(valid, jnp.float32)
  if s.ndim != 1 or y.shape != s.shape or w.shape != s.shape:
    raise ValueError(f"scores, targets and valid must be 1-D of one length, got {s.shape}, {y.shape}, {w.shape}")
  if smooth_targets:
    n_pos, n_neg = jnp.sum(w * y), jnp.sum(w * (1 - y))
    y = jnp.where(y > 0, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))

  def nll(p):
    z = p[0] * s + p[1]
    return jnp.sum(w * (jax.nn.softplus(z) - y * z)) / jnp.maximum(jnp.sum(w), 1.0)

  return lbfgs_minimize(nll, jnp.array([1.0, 0.0], jnp.float32), iters=iters)


@functools.partial(jax.jit, static_argnames=("smooth_targets", "iters"))
def fit_platt(logits, labels, valid=None, *, smooth_targets: bool = True, iters: int = 100):
  """``{"a": [K], "b": [K]}``: Platt scaling of ``z_1 - z_0`` (``C = 2``, ``K = 1``) or one-vs-rest of each
  logit column (``C > 2``, ``K = C``)."""
  logits, labels, valid = _check(logits, labels, valid)
  c = logits.shape[1]
  if c == 2:
    ab = fit_platt_binary(logits[:, 1] - logits[:, 0], labels == 1, valid, smooth_targets=smooth_targets, iters=iters)
    return {"a": ab[:1], "b": ab[1:]}
  onehot = (labels[:, None] == jnp.arange(c)[None, :])
  ab = jax.vmap(lambda s, y: fit_platt_binary(s, y, valid, smooth_targets=smooth_targets, iters=iters),
                in_axes=1)(logits, onehot)
  return {"a": ab[:, 0], "b": ab[:, 1]}


def apply_platt(params, logits):
  """Logits of the calibrated probabilities (binary: ``(0, a s + b)``; one-vs-rest: ``log`` of the
  renormalised ``sigmoid(a_k z_k + b_k)``)."""
  if params["a"].shape[0] == 1:
    z = params["a"][0] * (logits[..., 1] - logits[..., 0]) + params["b"][0]
    return jnp.stack([jnp.zeros_like(z), z], -1)
  return jax.nn.log_sigmoid(logits * params["a"] + params["b"])   # softmax of these renormalises


# ---------------------------------------------------------------- online Platt scaling with calibeating


@functools.partial(jax.jit, static_argnames=("gamma", "eps", "radius", "num_bins", "clip"))
def online_platt(probs, outcomes, *, gamma: float = 0.1, eps: float = 1.0, radius: float = 100.0,
                 num_bins: int = 10, clip: float = 1e-6, where=None):
  """Online Platt scaling (OPS) and its calibeating by tracking (TOPS) over a stream of binary forecasts.

  Returns ``(ops [T], tops [T], state)``: the forecasts made before each outcome was revealed, and the final
  state ``{"theta": [2], "bin_sum": [B], "bin_count": [B]}`` (see :func:`apply_online_platt`). Rows where
  ``where`` is False (padding) still get forecasts but change nothing.
  """
  f = jnp.clip(jnp.asarray(probs, jnp.float32), clip, 1 - clip)
  y = jnp.asarray(outcomes, jnp.float32)
  if f.ndim != 1 or y.shape != f.shape:
    raise ValueError(f"probs and outcomes must be 1-D of one length, got {f.shape} and {y.shape}")
  if gamma <= 0 or eps <= 0 or radius <= 0 or int(num_bins) < 1:
    raise ValueError(f"need gamma, eps, radius > 0 and num_bins >= 1, got {gamma}, {eps}, {radius}, {num_bins}")
  x = jnp.stack([jnp.log(f) - jnp.log1p(-f), jnp.ones_like(f)], -1)
  w = jnp.ones_like(f) if where is None else jnp.asarray(where, jnp.float32)

  def step(carry, xyw):
    theta, a_mat, bsum, bcnt = carry
    xt, yt, wt = xyw
    p = jax.nn.sigmoid(xt @ theta)
    b = _bin(p, num_bins)
    tops = jnp.where(bcnt[b] > 0, bsum[b] / jnp.maximum(bcnt[b], 1.0), p)
    g = wt * (p - yt) * xt
    a_mat = a_mat + jnp.outer(g, g)
    theta = theta - jnp.linalg.solve(a_mat, g) / gamma
    theta = theta * jnp.minimum(1.0, radius / jnp.maximum(jnp.linalg.norm(theta), 1e-12))
    return (theta, a_mat, bsum.at[b].add(wt * yt), bcnt.at[b].add(wt)), (p, tops)

  init = (jnp.array([1.0, 0.0], jnp.float32), eps * jnp.eye(2, dtype=jnp.float32),
          jnp.zeros((num_bins,), jnp.float32), jnp.zeros((num_bins,), jnp.float32))
  (theta, _, bsum, bcnt), (ops, tops) = jax.lax.scan(step, init, (x, y, w))
  return ops, tops, {"theta": theta, "bin_sum": bsum, "bin_count": bcnt}


def _bin(p, num_bins):
  return jnp.clip((p * num_bins).astype(jnp.int32), 0, num_bins - 1)


def apply_online_platt(state, probs, *, calibeat: bool = True, clip: float = 1e-6):
  """The final OPS map (and, with ``calibeat``, the tracked bin means) applied to new forecasts."""
  f = jnp.clip(jnp.asarray(probs, jnp.float32), clip, 1 - clip)
  p = jax.nn.sigmoid(state["theta"][0] * (jnp.log(f) - jnp.log1p(-f)) + state["theta"][1])
  if not calibeat:
    return p
  b = _bin(p, state["bin_sum"].shape[0])
  cnt = state["bin_count"][b]
  return jnp.where(cnt > 0, state["bin_sum"][b] / jnp.maximum(cnt, 1.0), p)


# ---------------------------------------------------------------- FRACAL (fractal calibration)


def box_counting_dimension(cx, cy, labels, num_classes: int, *, max_grid: int = 64, min_count: int = 4):
  """Per-class box-counting (fractal) dimension of object centres ``(cx, cy)`` in ``[0, 1)^2`` (NumPy, host).

  FRACAL (Alexandridis, Elezi, Deng, Nguyen & Luo, "Fractal Calibration for long-tailed object detection", CVPR
  2025, arXiv:2410.11774, slug ``fractal_calibration_long_tailed``; the authors'
  ``stat_files/calculate_fractality.py``, variant ``box_dim``): for grid sizes ``d = 1..max_grid`` count
  ``N_c(d)``, the ``d x d`` cells holding at least one centre of class ``c``; the dimension is the slope of
  ``log N_c(d)`` against ``log d``, fitted by least squares over the sizes with ``count_c >= d^2`` (at least
  as many objects as cells). A class with fewer than ``min_count`` objects gets 1, and slopes below 1 are
  raised to 1 (as the authors). A class spread uniformly over the image tends to 2, one on a line to 1.
  Cells are closed on the left, open on the right (centres at exactly 1.0 fall in no cell, as the authors').
  Returns ``[num_classes]`` float64.
  """
  cx, cy, labels = np.asarray(cx, np.float64), np.asarray(cy, np.float64), np.asarray(labels, np.int64)
  if cx.shape != cy.shape or cx.shape != labels.shape or cx.ndim != 1:
    raise ValueError(f"cx, cy and labels must be 1-D of one length, got {cx.shape}, {cy.shape}, {labels.shape}")
  if int(max_grid) < 2 or (labels.size and (labels.min() < 0 or labels.max() >= num_classes)):
    raise ValueError(f"need max_grid >= 2 and labels in [0, {num_classes}), got max_grid={max_grid}")
  dims = np.arange(1, int(max_grid) + 1)
  counts = np.bincount(labels, minlength=num_classes)
  inside = (cx >= 0) & (cx < 1) & (cy >= 0) & (cy < 1)
  boxes = np.zeros((len(dims), num_classes))
  for i, d in enumerate(dims):
    cell = np.floor(cy[inside] * d).astype(np.int64) * d + np.floor(cx[inside] * d).astype(np.int64)
    occupied = np.unique(labels[inside] * d * d + cell)
    boxes[i] = np.bincount(occupied // (d * d), minlength=num_classes)
  out = np.ones(num_classes)
  for c in range(num_classes):
    use = counts[c] >= dims ** 2
    if counts[c] >= min_count and use.sum() >= 2:
      out[c] = max(1.0, np.polyfit(np.log(dims[use]), np.log(boxes[use, c]), 1)[0])
  return out


def apply_fracal(logits, *, fractal_dims, log_prior=None, power: float = 2.0):
  """FRACAL's post-hoc transform of a softmax classifier, as log-probabilities:
  ``p'_c ∝ softmax(z - log_prior)_c / D_c^power`` (the authors' softmax branch of
  ``fracal_bbox_head.py``: logit adjustment by the class prior, then division by the fractal dimension
  to the power ``fractal_l = 2`` and renormalisation). ``log_prior`` (``[C]``, default none) is the log of
  the training class frequencies; classes spread uniformly in space (``D`` near 2) lose the most.
  lbrl's choice: the authors read the prior term from per-dataset statistics files; here it is the
  plain ``log`` frequency (the post-hoc logit adjustment of Menon et al., 2021)."""
  z = jnp.asarray(logits, jnp.float32)
  d = jnp.asarray(fractal_dims, jnp.float32)
  if d.shape != z.shape[-1:]:
    raise ValueError(f"fractal_dims must be [C] = {z.shape[-1:]}, got {d.shape}")
  if log_prior is not None:
    z = z - jnp.asarray(log_prior, jnp.float32)
  return jax.nn.log_softmax(jax.nn.log_softmax(z, -1) - power * jnp.log(d), -1)
