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


# ---------------------------------------------------------------- h-calibration


@functools.partial(jax.jit, static_argnames=("window", "epsilon", "num_bins", "leave_one_class_out"))
def hcalibration_loss(probs, labels, valid=None, *, window: int = 200, epsilon: float = 1e-20, num_bins: int = 15,
                      leave_one_class_out: bool = True):
  """The h-calibration objective (Huang, Cao, Xia, Chen, Wang & Zhang, "h-calibration: Rethinking Classifier
  Recalibration with Probabilistic Error-Bounded Objective", TPAMI 2025, arXiv:2506.17968, slug
  ``h_calibration``; the authors' ``loss/hCalib.py``).

  Every (example, class) pair is an event with probability ``p = probs[i, k]`` and outcome
  ``y = 1[labels_i = k]``. The ``N C`` events are sorted by ``p``; at each position the local calibration
  gap is the mean of ``p - y`` over the ``window + 1`` events centred on it (zero-padded at both ends, the
  authors' moving sum of ``p (1 - y) - (1 - p) y``), and the event's error is ``max(|gap| - epsilon, 0)``.
  The errors are averaged within ``num_bins`` equal-width probability bins (a bin holds the events with
  ``b/B <= p <= (b+1)/B``; an empty bin counts 0) and the bins averaged (the authors' ``aceweighted``
  weighting; their default clusters the probabilities with 15-means (faiss) instead: lbrl's choice is the
  equal-width bins of the same code). With ``leave_one_class_out`` (the authors' ``IsIter``, on by
  default) the objective is the mean over classes ``e`` of the objective on the examples whose label is not
  ``e``. The authors scale it by ``lossweight = 1e5`` for Adam; that constant is left out here.
  ``valid`` (0/1 ``[N]``) drops rows (padding). Returns a scalar."""
  p = jnp.asarray(probs, jnp.float32)
  if p.ndim != 2:
    raise ValueError(f"probs must be [N, C], got shape {p.shape}")
  labels = jnp.asarray(labels)
  n, c = p.shape
  valid = jnp.ones((n,), bool) if valid is None else jnp.asarray(valid, bool)
  if labels.shape != (n,) or valid.shape != (n,):
    raise ValueError(f"labels and valid must be [N] = [{n}], got {labels.shape} and {valid.shape}")
  if int(window) < 2 or int(window) % 2 or int(num_bins) < 1:
    raise ValueError(f"window must be an even integer >= 2 and num_bins >= 1, got {window} and {num_bins}")
  y = (labels[:, None] == jnp.arange(c)[None, :]).astype(jnp.float32)
  half = int(window) // 2

  def one(excluded):
    keep = jnp.broadcast_to((valid & (labels != excluded))[:, None], (n, c)).reshape(-1)
    pf = p.reshape(-1)
    order = jnp.argsort(jnp.where(keep, jnp.log(pf + 1e-20), jnp.inf), stable=True)
    ps, ks = pf[order], keep[order]
    d = jnp.where(ks, ps - y.reshape(-1)[order], 0.0)
    cs = jnp.concatenate([jnp.zeros((1,), jnp.float32), jnp.cumsum(d)])
    idx = jnp.arange(n * c)
    gap = (cs[jnp.minimum(idx + half + 1, n * c)] - cs[jnp.maximum(idx - half, 0)]) / (2 * half + 1)
    err = jax.nn.relu(jnp.abs(gap) - epsilon)
    lo = jnp.arange(num_bins, dtype=jnp.float32) / num_bins
    ind = (ps[None, :] >= lo[:, None]) & (ps[None, :] <= lo[:, None] + 1.0 / num_bins) & ks[None, :]
    binloss = jnp.sum(err[None, :] * ind, 1) / (jnp.sum(ind, 1) + 1e-5)
    return jnp.mean(binloss)

  if not leave_one_class_out:
    return one(-1)
  return jnp.mean(jax.vmap(one)(jnp.arange(c)))


def hcal_probs(params, logits):
  """The authors' linear calibrator (``models/tsensemble_linear.py``): a weighted mixture of ``K``
  temperature-scaled softmaxes, ``sum_k w_k softmax(|a_k| z)`` with ``w = |v| / sum |v|``. Each component
  keeps the arg-max, so the mixture does (accuracy preserving)."""
  z = jax.nn.log_softmax(jnp.asarray(logits, jnp.float32), -1)
  w = jnp.abs(params["weight"]) / jnp.sum(jnp.abs(params["weight"]))
  return jnp.sum(jax.nn.softmax(z[..., None] * jnp.abs(params["inv_temp"]), axis=-2) * w, -1)


@functools.partial(jax.jit, static_argnames=("num_temperatures", "steps", "learning_rate", "window", "num_bins",
                                             "seed"))
def fit_hcalibration(logits, labels, valid=None, *, num_temperatures: int = 16, steps: int = 1000,
                     learning_rate: float = 5e-3, window: int = 200, num_bins: int = 15, seed: int = 0):
  """``{"inv_temp": [K], "weight": [K]}`` of :func:`hcal_probs` minimising :func:`hcalibration_loss` on the
  held-out logits: full-batch Adam (the authors: Adam 5e-3, batch 5000, up to 2000 epochs with early
  stopping; here ``steps`` full-batch steps), both vectors initialised as torch's ``kaiming_uniform_(a=5**.5)``
  on a ``(1, 1, K)`` tensor, ``U(-1/sqrt(K), 1/sqrt(K))``, from ``seed``."""
  logits, labels, valid = _check(logits, labels, valid)
  k1, k2 = jax.random.split(jax.random.PRNGKey(seed))
  bound = 1.0 / np.sqrt(num_temperatures)
  params = {"inv_temp": jax.random.uniform(k1, (num_temperatures,), minval=-bound, maxval=bound),
            "weight": jax.random.uniform(k2, (num_temperatures,), minval=-bound, maxval=bound)}

  def loss(prm):
    return hcalibration_loss(hcal_probs(prm, logits), labels, valid, window=window, num_bins=num_bins)

  return _adam(loss, params, steps, learning_rate)


def apply_hcalibration(params, logits):
  """Log-probabilities of the fitted mixture (logits of the calibrated distribution)."""
  return jnp.log(jnp.maximum(hcal_probs(params, logits), 1e-30))


def _adam(loss, params, steps: int, learning_rate: float):
  opt = optax.adam(learning_rate)

  def body(carry, _):
    prm, s = carry
    g = jax.grad(loss)(prm)
    u, s = opt.update(g, s, prm)
    return (optax.apply_updates(prm, u), s), None

  (params, _), _ = jax.lax.scan(body, (params, opt.init(params)), None, length=int(steps))
  return params


# ---------------------------------------------------------------- correctness-aware calibration


def correctness_features(logits, view_logits, *, top_k: int = 4):
  """The correctness cues of Liu, Wang, Zou, Zou & Zheng ("Optimizing Calibration by Gaining Aware of
  Prediction Correctness", 2024, arXiv:2404.13016, slug ``optimizing_calibration_gaining_aware``; the
  authors' ``src/run_cal.py``): for each transformed view ``v`` of an input, the view's softmax
  probabilities at the original input's ``top_k`` classes (largest first). ``logits [N, C]``,
  ``view_logits [V, N, C]`` -> ``[N, V * top_k]`` (the authors: 3 views x top 4 = 12 features)."""
  z = jnp.asarray(logits, jnp.float32)
  zv = jnp.asarray(view_logits, jnp.float32)
  if zv.ndim != 3 or zv.shape[1:] != z.shape:
    raise ValueError(f"view_logits must be [V, N, C] with [N, C] = {z.shape}, got {zv.shape}")
  if not 1 <= int(top_k) <= z.shape[-1]:
    raise ValueError(f"top_k must be in [1, {z.shape[-1]}], got {top_k}")
  _, top = jax.lax.top_k(z, int(top_k))
  pv = jax.nn.softmax(zv, -1)
  feats = jnp.take_along_axis(pv, jnp.broadcast_to(top[None], (zv.shape[0],) + top.shape), -1)
  return jnp.transpose(feats, (1, 0, 2)).reshape(z.shape[0], -1)


def ca_temperature(params, feats):
  """The authors' per-example temperature network: ``Linear(F, 5) - ReLU - Linear(5, 1)``, clamped to
  ``[0.1, 10]``."""
  h = jax.nn.relu(feats @ params["w1"] + params["b1"])
  return jnp.clip(h @ params["w2"] + params["b2"], 0.1, 10.0)


def correctness_aware_loss(cal_logits, labels, orig_logits, valid=None):
  """The CA loss: ``(max softmax(cal_logits) - c)^2`` with ``c = 1[argmax orig_logits = y]`` the original
  prediction's correctness, weighted so that correct and wrong examples carry equal total weight (correct
  ones ``1 - acc``, wrong ones ``acc``; the authors' ``set_temperature``), normalised by the weights."""
  correct = (jnp.argmax(orig_logits, -1) == labels).astype(jnp.float32)
  w = jnp.ones_like(correct) if valid is None else jnp.asarray(valid, jnp.float32)
  acc = jnp.sum(w * correct) / jnp.maximum(jnp.sum(w), 1.0)
  weights = w * jnp.where(correct > 0, 1.0 - acc, acc)
  conf = jnp.max(jax.nn.softmax(cal_logits, -1), -1)
  return jnp.sum(weights * (conf - correct) ** 2) / jnp.maximum(jnp.sum(weights), 1e-12)


@functools.partial(jax.jit, static_argnames=("hidden", "steps", "learning_rate", "objective", "seed"))
def fit_correctness_aware(logits, labels, feats, valid=None, *, hidden: int = 5, steps: int = 500,
                          learning_rate: float = 1e-2, objective: str = "ca", seed: int = 0):
  """Parameters of :func:`ca_temperature` fitted on held-out ``logits``, ``labels`` and the correctness
  features ``feats`` (:func:`correctness_features`), with the CA loss (``objective="ca"``) or, as the
  paper's comparison, the cross-entropy of ``softmax(z / T(x))`` (``"ce"``). lbrl's choices where the
  authors' ImageNet recipe (Adam 1e-4, 10 epochs of batches of 1000, torch's default init, which can start
  below the clamp) does not carry over to 400 held-out examples: full-batch Adam ``learning_rate`` for
  ``steps`` steps, first layer torch's default ``U(-1/sqrt(F), 1/sqrt(F))``, last layer zero weights and bias
  1 (the identity map ``T = 1`` at the start)."""
  logits, labels, valid = _check(logits, labels, valid)
  feats = jnp.asarray(feats, jnp.float32)
  if feats.ndim != 2 or feats.shape[0] != logits.shape[0]:
    raise ValueError(f"feats must be [N, F] with N = {logits.shape[0]}, got {feats.shape}")
  if objective not in ("ca", "ce"):
    raise ValueError(f"objective must be 'ca' or 'ce', got {objective!r}")
  f = feats.shape[1]
  k1, k2 = jax.random.split(jax.random.PRNGKey(seed))
  b = 1.0 / np.sqrt(f)
  params = {"w1": jax.random.uniform(k1, (f, hidden), minval=-b, maxval=b),
            "b1": jax.random.uniform(k2, (hidden,), minval=-b, maxval=b),
            "w2": jnp.zeros((hidden, 1), jnp.float32), "b2": jnp.ones((1,), jnp.float32)}

  def loss(prm):
    cal = logits / ca_temperature(prm, feats)
    if objective == "ca":
      return correctness_aware_loss(cal, labels, logits, valid)
    return mean_nll(cal, labels, valid)

  return _adam(loss, params, steps, learning_rate)


def apply_correctness_aware(params, logits, feats):
  return jnp.asarray(logits, jnp.float32) / ca_temperature(params, jnp.asarray(feats, jnp.float32))


# ---------------------------------------------------------------- one trained model, several calibrators

METHODS = ("uncalibrated", "temperature", "vector", "matrix", "hcal", "ca", "ca_ce")
_VIEWS_1D = ({"max_shift": 5, "scale": (1.0, 1.0), "noise": 0.0},     # shift (the authors' images: rotation,
             {"max_shift": 0, "scale": (0.7, 1.3), "noise": 0.0},     # greyscale and colour jitter; MNIST-1D
             {"max_shift": 0, "scale": (1.0, 1.0), "noise": 0.15})    # signals get shift, scale and noise)


def posthoc_setting(c, variant: str, *, heldout: str = "train[90%:]", **tool_kwargs) -> None:
  """The protocol the post-hoc calibration configs share (h_calibration, optimizing_calibration_gaining_aware):
  the over-confident MNIST-1D MLP of ``lbrl.config.overfit_mnist1d`` trained on ``train[:90%]``, then the
  ``posthoc_calibration`` tool on its final checkpoint, calibrators fitted on ``heldout`` and scored on the
  1,000 test examples against temperature scaling; ``tool_kwargs`` are the tool's other arguments."""
  from lbrl import config as common
  common.overfit_mnist1d(c, variant)
  c.eval_metrics = ["loss", "accuracy", "ece"]
  c.sweep.kind = "analysis"
  c.analysis = dict(tool="posthoc_calibration", split="eval", batch_size=1000, at="final",
                    kwargs=common.free(reference="temperature", heldout=heldout, **tool_kwargs))


def eval_scores(logits, labels, *, num_bins: int = 15) -> dict:
  """``accuracy``, ``ece`` (equal-width), ``ece_mass``, ``classwise_ece``, ``nll``, ``brier`` and ``auroc``
  (of the confidence for the prediction's correctness) of ``logits [N, C]`` (host floats)."""
  from lbrl.evaluation import calibration as cal
  from lbrl.evaluation import ranking
  z = jnp.asarray(logits, jnp.float32)
  y = jnp.asarray(labels)
  conf, correct = cal.confidence_correct(z, y)
  probs = cal.probabilities(z)
  out = {"accuracy": jnp.mean(correct),
         "ece": cal.calibration_error(conf, correct, num_bins=num_bins),
         "ece_mass": cal.calibration_error(conf, correct, num_bins=num_bins, scheme="mass"),
         "classwise_ece": cal.classwise_ece(probs, y, num_bins=num_bins),
         "nll": jnp.mean(cal.nll(z, y)), "brier": jnp.mean(cal.brier_score(probs, y)),
         "auroc": ranking.auc(conf[None], correct[None])[0]}
  return {k: float(v) for k, v in out.items()}


def posthoc_calibration(ctx, *, methods=("uncalibrated", "temperature"), reference: str = "temperature",
                        heldout: str = "train[90%:]", num_bins: int = 15, options=None, views=None,
                        view_kind: str = "1d", scores=None, pairs=()):
  """Analysis tool: several post-hoc calibrators fitted on ONE trained model's held-out logits and scored on
  the eval split, so that they are compared paired within each run (one training per seed serves every
  calibrator; the runner's rules then test the per-seed differences).

  ``ctx`` is the :class:`~lbrl.analysis.context.AnalysisContext` of the run with ``split="eval"`` (its
  ``x``/``labels``: the eval examples scored); the calibrators are fitted on the ``heldout`` split of the
  config's dataset (it must not overlap ``cfg.data.split_train``). ``methods`` (:data:`METHODS`):
  ``uncalibrated``, ``temperature`` / ``vector`` / ``matrix`` scaling (Guo et al., 2017), ``hcal``
  (:func:`fit_hcalibration`), ``ca`` (:func:`fit_correctness_aware` with the CA loss) and ``ca_ce`` (the same
  per-example temperature network trained with cross-entropy). ``options[method]`` are the fitting
  function's keyword arguments. ``views`` (for ``ca``/``ca_ce``): one options dict per transformed view of
  :func:`lbrl.data.transforms.augment_1d` (``view_kind="1d"``) or ``augment_image`` (``"image"``), drawn
  with ``numpy.random.default_rng([seed, view])``; default: a shift, an amplitude scaling and additive noise.

  Returns ``{"<method>/<score>": value}`` for every score of :func:`eval_scores` (or those in ``scores``),
  ``{"d/<score>/<method>": value(method) - value(reference)}`` for every other method and, when
  ``uncalibrated`` is among the methods, ``{"u/<score>/<method>": value(method) - value(uncalibrated)}``, and
  ``{"p/<score>/<a>-<b>": value(a) - value(b)}`` for each ``(a, b)`` in ``pairs``."""
  from lbrl.data import core, transforms
  options = dict(options or {})
  unknown = set(methods) - set(METHODS)
  if unknown or reference not in methods or any(a not in methods or b not in methods for a, b in pairs):
    raise ValueError(f"methods must be a subset of {METHODS} containing reference={reference!r} and the "
                     f"methods of pairs={pairs}, got {methods}")
  if core.splits_overlap(heldout, ctx.cfg.data.split_train):
    raise ValueError(f"heldout={heldout!r} overlaps the training split {ctx.cfg.data.split_train!r}")
  if view_kind not in ("1d", "image"):
    raise ValueError(f"view_kind must be '1d' or 'image', got {view_kind!r}")
  data = core.load(ctx.cfg.data.name, heldout, data_dir=ctx.cfg.data.data_dir, **dict(ctx.cfg.data.options))
  xh, yh = np.asarray(data.arrays["x"]), np.asarray(data.arrays["label"])
  xe, ye = np.asarray(ctx.x), np.asarray(ctx.labels)

  def logits_of(x):
    return jnp.asarray(ctx.apply(ctx.params, jnp.asarray(x)), jnp.float32)

  zh, ze = logits_of(xh), logits_of(xe)
  feats = {}
  if {"ca", "ca_ce"} & set(methods):
    fn = transforms.augment_1d if view_kind == "1d" else transforms.augment_image
    vs = list(views) if views is not None else list(_VIEWS_1D)

    def view_logits(x, salt):
      return jnp.stack([logits_of(fn(np.random.default_rng([int(ctx.seed), salt, v]), x, **dict(o)))
                        for v, o in enumerate(vs)])
    k = min(4, zh.shape[-1])
    feats = {"h": correctness_features(zh, view_logits(xh, 0), top_k=k),
             "e": correctness_features(ze, view_logits(xe, 1), top_k=k)}
  calibrated = {}
  for m in methods:
    kw = dict(options.get(m, {}))
    if m == "uncalibrated":
      calibrated[m] = ze
    elif m == "temperature":
      calibrated[m] = ze / fit_temperature(zh, yh, **kw)
    elif m == "vector":
      calibrated[m] = apply_vector_scaling(fit_vector_scaling(zh, yh, **kw), ze)
    elif m == "matrix":
      calibrated[m] = apply_matrix_scaling(fit_matrix_scaling(zh, yh, **kw), ze)
    elif m == "hcal":
      calibrated[m] = apply_hcalibration(fit_hcalibration(zh, yh, **kw), ze)
    else:
      prm = fit_correctness_aware(zh, yh, feats["h"], objective="ca" if m == "ca" else "ce", **kw)
      calibrated[m] = apply_correctness_aware(prm, ze, feats["e"])
  keep = None if scores is None else set(scores)
  scores = {m: {k: v for k, v in eval_scores(z, ye, num_bins=num_bins).items() if keep is None or k in keep}
            for m, z in calibrated.items()}
  out = {f"{m}/{k}": v for m, s in scores.items() for k, v in s.items()}
  for m in methods:
    if m not in (reference, "uncalibrated"):
      out.update({f"d/{k}/{m}": scores[m][k] - scores[reference][k] for k in scores[m]})
    if m != "uncalibrated" and "uncalibrated" in scores:
      out.update({f"u/{k}/{m}": scores[m][k] - scores["uncalibrated"][k] for k in scores[m]})
  for a, b in pairs:
    out.update({f"p/{k}/{a}-{b}": scores[a][k] - scores[b][k] for k in scores[a]})
  return out


# ---------------------------------------------------------------- regression: quantile recalibration, PCE-KDE


def fit_quantile_recalibration(pit_cal):
  """Quantile recalibration (Kuleshov, Fenner & Ermon, ICML 2018, arXiv:1807.00263; the post-hoc method of
  Dheur & Ben Taieb, 2023, arXiv:2306.02738): the calibration split's PITs, sorted. The recalibrated forecast
  is ``R(F(y))`` with ``R`` their empirical CDF (:func:`apply_quantile_recalibration`)."""
  pit_cal = np.sort(np.asarray(pit_cal, np.float64))
  if pit_cal.ndim != 1 or pit_cal.size < 2:
    raise ValueError(f"pit_cal must be 1-D with at least 2 values, got shape {pit_cal.shape}")
  return pit_cal


def apply_quantile_recalibration(sorted_pit_cal, pit):
  """``R(pit) = #{calibration PITs <= pit} / n``: the recalibrated PIT of each forecast."""
  return np.searchsorted(sorted_pit_cal, np.asarray(pit, np.float64), side="right") / sorted_pit_cal.size


def pce_kde(pit, *, levels=None, bandwidth: float = 0.05):
  """Differentiable PCE (Dheur & Ben Taieb's PCE-KDE regulariser, lbrl's reading): the indicator
  ``1[pit <= alpha]`` of :func:`lbrl.evaluation.calibration.pit_calibration_error` replaced by the CDF of a
  logistic kernel, ``sigmoid((alpha - pit) / bandwidth)``. lbrl's choices (the paper's exact kernel and
  bandwidth were not reachable): logistic kernel, ``bandwidth=0.05``, 99 levels."""
  levels = jnp.linspace(0.01, 0.99, 99) if levels is None else jnp.asarray(levels, jnp.float32)
  phat = jnp.mean(jax.nn.sigmoid((levels[:, None] - pit[None, :]) / bandwidth), -1)
  return jnp.mean(jnp.abs(levels - phat))


def _gaussian_mlp(params, x):
  h = x
  for w, b in params[:-1]:
    h = jnp.tanh(h @ w + b)
  out = h @ params[-1][0] + params[-1][1]
  return out[:, 0], jax.nn.softplus(out[:, 1]) + 1e-3


def _gaussian_objective(prm, x, y, regularization):
  mean, std = _gaussian_mlp(prm, x)
  nll = jnp.mean(jnp.log(std) + 0.5 * ((y - mean) / std) ** 2) + 0.5 * jnp.log(2 * jnp.pi)
  if regularization:
    nll = nll + regularization * pce_kde(jax.scipy.stats.norm.cdf((y - mean) / std))
  return nll


@functools.partial(jax.jit, static_argnames=("hidden", "steps", "learning_rate", "regularization", "seed",
                                             "eval_every"))
def fit_gaussian_mlp(x, y, x_val, y_val, *, hidden=(64, 64), steps: int = 1000, learning_rate: float = 3e-3,
                     regularization: float = 0.0, seed: int = 0, eval_every: int = 25):
  """A heteroscedastic Gaussian MLP (tanh layers ``hidden``, outputs mean and ``softplus + 1e-3`` std)
  trained full-batch with Adam on the Gaussian NLL ``+ regularization * pce_kde(PIT)`` (the regularised
  objective of Dheur & Ben Taieb, lbrl's reading), with early stopping: the parameters of the checkpoint
  (every ``eval_every`` steps) with the lowest objective on ``(x_val, y_val)``. Layers LeCun-normal, biases 0."""
  x, y, x_val, y_val = (jnp.asarray(a, jnp.float32) for a in (x, y, x_val, y_val))
  sizes = (x.shape[1],) + tuple(hidden) + (2,)
  keys = jax.random.split(jax.random.PRNGKey(seed), len(sizes) - 1)
  params = [(jax.random.normal(k, (a, b)) / jnp.sqrt(a), jnp.zeros((b,))) for k, a, b in zip(keys, sizes[:-1], sizes[1:])]
  opt = optax.adam(learning_rate)

  def step(_, ps):
    prm, s = ps
    u, s = opt.update(jax.grad(_gaussian_objective)(prm, x, y, regularization), s, prm)
    return optax.apply_updates(prm, u), s

  def chunk(carry, _):
    prm, s, best, best_prm = carry
    prm, s = jax.lax.fori_loop(0, eval_every, step, (prm, s))
    val = _gaussian_objective(prm, x_val, y_val, regularization)
    better = val < best
    best_prm = jax.tree.map(lambda a, b: jnp.where(better, a, b), prm, best_prm)
    return (prm, s, jnp.where(better, val, best), best_prm), None

  init = (params, opt.init(params), _gaussian_objective(params, x_val, y_val, regularization), params)
  (_, _, _, best_prm), _ = jax.lax.scan(chunk, init, None, length=max(1, int(steps) // int(eval_every)))
  return best_prm


def _regression_split(name: str, seed: int, fractions=(0.5, 0.15, 0.15)):
  """``(train, validation, calibration, test)`` of a regression set (``diabetes``: scikit-learn's bundled
  442-row set; ``friedman``: ``make_friedman1`` with 2,000 rows and skewed heteroscedastic gamma noise), a
  random permutation per ``seed`` cut by ``fractions`` (the rest is the test part), features and target
  standardised with the training part's statistics."""
  from sklearn import datasets
  loaders = {"diabetes": datasets.load_diabetes}
  if name == "friedman":
    x, y = datasets.make_friedman1(n_samples=2000, noise=0.0, random_state=0)
    y = y + np.random.default_rng(1).gamma(2.0, 1.0 + x[:, 0] * 2, len(y))     # skewed, heteroscedastic noise
  elif name in loaders:
    x, y = loaders[name](return_X_y=True)
  else:
    raise ValueError(f"dataset must be one of {sorted(loaders) + ['friedman']}, got {name!r}")
  perm = np.random.default_rng(seed).permutation(len(y))
  cuts = (np.cumsum(fractions) * len(y)).astype(int)
  parts = np.split(perm, cuts)
  mx, sx, my, sy = x[parts[0]].mean(0), x[parts[0]].std(0) + 1e-12, y[parts[0]].mean(), y[parts[0]].std()
  return [((x[i] - mx) / sx, (y[i] - my) / sy) for i in parts]


def regression_calibration_study(ctx, *, dataset: str = "diabetes", hidden=(64, 64), steps: int = 1000,
                                 learning_rate: float = 3e-3, regularization: float = 1.0):
  """Analysis tool (``at="init"``: it fits its own models) for Dheur & Ben Taieb's study
  (arXiv:2306.02738, slug ``large_scale_study_probabilistic``) on one split of a tabular regression set
  (``_regression_split``: 50% train, 15% validation for early stopping, 15% calibration, 20% test, random
  per ``ctx.seed``): a Gaussian MLP trained by NLL (``base``), the same network with quantile recalibration
  fitted on the calibration part (``recal``, post-hoc), and the MLP trained with the PCE-KDE regulariser
  (``reg``), both with early stopping on their objective on the validation part. Scores on the test part:
  ``pce`` (:func:`~lbrl.evaluation.calibration.pit_calibration_error`), ``width90`` (mean width of the
  central 90% interval: sharpness), and for the Gaussian forecasts ``nll`` and ``crps``. Differences:
  ``u/<score>/<method>`` against ``base`` and ``p/<score>/recal-reg``."""
  from jax.scipy.stats import norm

  from lbrl.evaluation import calibration as cal
  (xtr, ytr), (xv, yv), (xc, yc), (xte, yte) = _regression_split(dataset, int(ctx.seed))
  hidden = tuple(int(h) for h in hidden)
  fits = {m: fit_gaussian_mlp(xtr, ytr, xv, yv, hidden=hidden, steps=int(steps), learning_rate=float(learning_rate),
                              regularization=r, seed=int(ctx.seed))
          for m, r in (("base", 0.0), ("reg", float(regularization)))}
  out = {}
  for m, prm in fits.items():
    mean, std = _gaussian_mlp(prm, jnp.asarray(xte, jnp.float32))
    pit = jnp.clip(norm.cdf((jnp.asarray(yte, jnp.float32) - mean) / std), 1e-6, 1 - 1e-6)
    out.update({f"{m}/pce": cal.pit_calibration_error(pit), f"{m}/width90": jnp.mean(2 * 1.6448536 * std),
                f"{m}/nll": jnp.mean(jnp.log(std) + 0.5 * ((yte - mean) / std) ** 2) + 0.5 * jnp.log(2 * jnp.pi),
                f"{m}/crps": jnp.mean(cal.gaussian_crps(mean, std, yte))})
    if m == "base":
      mc, sc = _gaussian_mlp(prm, jnp.asarray(xc, jnp.float32))
      r = fit_quantile_recalibration(jnp.clip(norm.cdf((jnp.asarray(yc, jnp.float32) - mc) / sc), 1e-6, 1 - 1e-6))
      lo, hi = np.quantile(r, 0.05), np.quantile(r, 0.95)     # R^{-1}: the recalibrated 5% and 95% quantiles
      out.update({"recal/pce": cal.pit_calibration_error(apply_quantile_recalibration(r, pit)),
                  "recal/width90": jnp.mean(std * (norm.ppf(hi) - norm.ppf(lo)))})
  out = {k: float(v) for k, v in out.items()}
  for m in ("recal", "reg"):
    for k in ("pce", "width90", "nll", "crps"):
      if f"{m}/{k}" in out:
        out[f"u/{k}/{m}"] = out[f"{m}/{k}"] - out[f"base/{k}"]
  out["p/pce/recal-reg"] = out["recal/pce"] - out["reg/pce"]
  out["p/width90/recal-reg"] = out["recal/width90"] - out["reg/width90"]
  return out


# ---------------------------------------------------------------- multicalibration by level-set boosting


def _snap(f, centers):
  idx = np.abs(f[:, None] - centers[None, :]).argmin(1)
  return centers[idx], idx


def level_set_boost(x, y, *, weak_learner, num_bins: int = 10, rounds: int = 100, learning_rate: float = 1.0,
                    gamma: float = 0.1, min_group_size: int = 1):
  """LSBoost (Globus-Harris, Harrison, Kearns, Roth & Sorrell, "Multicalibration as Boosting for Regression",
  ICML 2023, arXiv:2301.13767, slug ``multicalibration_boosting_regression``; a transcription of the authors'
  ``LSBoost.py`` defaults: equal-width level sets, centre rounding, no validation).

  ``f_0`` is ``weak_learner`` (an unfitted scikit-learn regressor, cloned) fitted on all data, clipped to
  ``[min y, max y]`` and rounded to the nearest of the ``num_bins + 1`` equally spaced centres. Each round
  fixes the level sets ``{x : f(x) = v}``, fits a fresh weak learner ``h_v`` on each level set holding more
  than ``min_group_size`` points, sets ``f = (1 - lr) f + lr h_v`` there and rounds again. Rounds 1 and 2
  always run; afterwards the boosting stops once the training MSE falls by at most ``gamma / num_bins``
  (or after ``rounds``); the last round's update is not rounded. Returns the model for
  :func:`level_set_predict` and the training MSE after each round."""
  from sklearn.base import clone
  x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
  if x.ndim != 2 or y.shape != (len(x),) or int(num_bins) < 1 or int(rounds) < 1:
    raise ValueError(f"need x [N, F], y [N], num_bins >= 1 and rounds >= 1, got {x.shape}, {y.shape}, "
                     f"{num_bins}, {rounds}")
  lo, hi = y.min(), y.max()
  centers = np.linspace(lo, hi, int(num_bins) + 1)
  init = clone(weak_learner).fit(x, y)
  f, idx = _snap(np.clip(init.predict(x), lo, hi), centers)
  history, steps = [np.mean((y - f) ** 2)], []
  for i in range(int(rounds)):
    last = i == int(rounds) - 1 or (i >= 2 and history[-2] - history[-1] <= gamma / num_bins)
    learners, new = {}, f.copy()
    for v in np.unique(idx):
      m = idx == v
      if m.sum() > min_group_size:
        learners[int(v)] = clone(weak_learner).fit(x[m], y[m])
        new[m] = learners[int(v)].predict(x[m])
    f = (1 - learning_rate) * f + learning_rate * new
    if not last:
      f, idx = _snap(f, centers)
    steps.append(learners)
    history.append(np.mean((y - f) ** 2))
    if last:
      break
  return {"init": init, "lo": lo, "hi": hi, "centers": centers, "rounds": steps, "lr": learning_rate}, history


def level_set_predict(model, x):
  """Predictions of a :func:`level_set_boost` model (the rounds replayed; the last one unrounded, clipped)."""
  x = np.asarray(x, np.float64)
  f, idx = _snap(np.clip(model["init"].predict(x), model["lo"], model["hi"]), model["centers"])
  for r, learners in enumerate(model["rounds"]):
    new = f.copy()
    for v, h in learners.items():
      m = idx == v
      if m.any():
        new[m] = h.predict(x[m])
    f = (1 - model["lr"]) * f + model["lr"] * new
    if r < len(model["rounds"]) - 1:
      f, idx = _snap(f, model["centers"])
  return np.clip(f, model["lo"], model["hi"])


def multicalibration_error(pred, y, groups, *, num_bins: int = 10):
  """``max_g sum_v P(v | g) |E[y - f | f in v, g]|``: the worst group's level-set calibration error, level
  sets ``num_bins`` equal-width bins of the predictions' range; ``groups [G, N]`` boolean membership."""
  pred, y, groups = np.asarray(pred, np.float64), np.asarray(y, np.float64), np.asarray(groups, bool)
  edges = np.linspace(pred.min(), pred.max() + 1e-12, int(num_bins) + 1)
  v = np.clip(np.searchsorted(edges, pred, side="right") - 1, 0, int(num_bins) - 1)
  worst = 0.0
  for g in groups:
    if g.sum() == 0:
      continue
    err = sum(abs(np.mean((y - pred)[g & (v == b)])) * np.sum(g & (v == b)) for b in range(int(num_bins))
              if np.any(g & (v == b))) / g.sum()
    worst = max(worst, err)
  return float(worst)


def lsboost_study(ctx, *, dataset: str = "friedman", depth: int = 2, num_bins: int = 10, rounds: int = 100,
                  gamma: float = 0.1, estimators: int = 100):
  """Analysis tool (``at="init"``) for LSBoost on one split (80% train / 20% test, random per ``ctx.seed``) of
  a regression set (see ``_regression_split``): the depth-``depth`` regression tree alone (``tree``, LSBoost's
  initial model), LSBoost with that tree as its oracle (``lsboost``), and scikit-learn's
  ``GradientBoostingRegressor`` with ``estimators`` trees of the same depth (``gbr``, the paper's
  comparison). Scores on the test part: ``mse`` and ``mcal`` (:func:`multicalibration_error` over the groups
  "feature j above / below its training median", j over all features, and the whole set). Differences:
  ``p/<score>/lsboost-tree`` and ``p/<score>/lsboost-gbr``."""
  from sklearn.ensemble import GradientBoostingRegressor
  from sklearn.tree import DecisionTreeRegressor
  (xtr, ytr), (xte, yte) = _regression_split(dataset, int(ctx.seed), fractions=(0.8,))
  tree = DecisionTreeRegressor(max_depth=int(depth), random_state=0)
  model, _ = level_set_boost(xtr, ytr, weak_learner=tree, num_bins=num_bins, rounds=rounds, gamma=gamma)
  gbr = GradientBoostingRegressor(n_estimators=int(estimators), max_depth=int(depth), random_state=int(ctx.seed))
  preds = {"tree": model["init"].predict(xte), "lsboost": level_set_predict(model, xte),
           "gbr": gbr.fit(xtr, ytr).predict(xte)}
  med = np.median(xtr, 0)
  above = xte > med
  groups = np.concatenate([above.T, ~above.T, np.ones((1, len(yte)), bool)])
  out = {}
  for m, p in preds.items():
    out[f"{m}/mse"] = float(np.mean((yte - p) ** 2))
    out[f"{m}/mcal"] = multicalibration_error(p, yte, groups, num_bins=num_bins)
  out["lsboost/rounds"] = float(len(model["rounds"]))
  for other in ("tree", "gbr"):
    for k in ("mse", "mcal"):
      out[f"p/{k}/lsboost-{other}"] = out[f"lsboost/{k}"] - out[f"{other}/{k}"]
  return out


# ---------------------------------------------------------------- Bayesian-bootstrap conformal prediction


def bb_linear_predictive(x, y, x_new, *, alpha: float, draws: int = 1000, rng=None):
  """Predictive samples ``[draws, M]`` of the influence-function Bayesian bootstrap for least squares
  (Gibson, "Bayesian Conformal Prediction via the Bayesian Bootstrap", 2025, arXiv:2508.01418, slug
  ``bayesian_conformal_prediction_bayesian``): weights ``w ~ Dirichlet(alpha 1_n)``, the weighted
  least-squares fit linearised at the OLS fit ``theta_w = theta + (X'X/n)^{-1} sum_i (w_i - 1/n) x_i r_i``
  (the influence-function approximation), and a new outcome ``x_new' theta_w + e`` with ``e`` drawn from the
  residuals ``r`` with probabilities ``w`` (the Bayesian bootstrap's predictive). Smaller ``alpha`` spreads
  the weights (``alpha = 1`` is Rubin's Bayesian bootstrap). ``x`` should include an intercept column."""
  rng = np.random.default_rng(0) if rng is None else rng
  x, y, x_new = (np.asarray(a, np.float64) for a in (x, y, x_new))
  if alpha <= 0 or x.ndim != 2 or y.shape != (len(x),) or x_new.shape[1:] != x.shape[1:]:
    raise ValueError(f"need alpha > 0, x [n, p], y [n], x_new [m, p]; got {alpha}, {x.shape}, {y.shape}, "
                     f"{x_new.shape}")
  n = len(y)
  theta, *_ = np.linalg.lstsq(x, y, rcond=None)
  r = y - x @ theta
  infl = np.linalg.solve(x.T @ x / n, (x * r[:, None]).T).T          # [n, p]: (X'X/n)^{-1} x_i r_i
  w = rng.dirichlet(np.full(n, float(alpha)), size=int(draws))       # [B, n]
  thetas = theta + (w - 1.0 / n) @ infl                              # [B, p]
  cum = np.cumsum(w, 1)
  u = rng.random((int(draws), x_new.shape[0]))
  pick = np.stack([np.searchsorted(c, ub, side="right") for c, ub in zip(cum, u)])
  e = r[np.minimum(pick, n - 1)]                                     # [B, M]: residuals drawn with prob. w
  return thetas @ x_new.T + e


def gaussian_linear_predictive(x, y, x_new):
  """The standard Bayesian predictive of linear regression (flat prior, plug-in noise variance
  ``s^2 = |r|^2 / (n - p)``): ``N(x_new' theta, s^2 (1 + x_new' (X'X)^{-1} x_new))``. Returns ``(mean, std)``."""
  x, y, x_new = (np.asarray(a, np.float64) for a in (x, y, x_new))
  theta, *_ = np.linalg.lstsq(x, y, rcond=None)
  r = y - x @ theta
  s2 = r @ r / max(len(y) - x.shape[1], 1)
  lev = np.einsum("mp,pq,mq->m", x_new, np.linalg.inv(x.T @ x), x_new)
  return x_new @ theta, np.sqrt(s2 * (1 + lev))


def _interval_scores(samples, y, level):
  lo, hi = np.quantile(samples, [(1 - level) / 2, (1 + level) / 2], axis=0)
  mu, sd = samples.mean(0), samples.std(0) + 1e-12
  logp = -0.5 * np.log(2 * np.pi * sd ** 2) - 0.5 * ((y - mu) / sd) ** 2
  return float(np.mean((y >= lo) & (y <= hi))), float(np.mean(hi - lo)), float(np.mean(logp))


def bayesian_bootstrap_conformal_study(ctx, *, n_train: int = 40, n_cal: int = 200, n_test: int = 2000,
                                       features: int = 3, level: float = 0.9, draws: int = 1000,
                                       alphas=(0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)):
  """Analysis tool (``at="init"``) for Gibson's Bayesian-bootstrap conformal prediction on a misspecified
  linear regression: ``x ~ U(-2, 2)^features``, ``y = x' beta + (0.5 + |x_1|) t_3`` (heteroscedastic,
  heavy-tailed noise; ``beta ~ N(0, 1)``), drawn from ``ctx.seed``. Methods on the test draws: ``bayes`` (the
  standard Gaussian predictive, :func:`gaussian_linear_predictive`), ``bb1`` (the Bayesian bootstrap,
  ``alpha = 1``) and ``bb_cov`` / ``bb_log`` (``alpha`` chosen from ``alphas`` on a calibration sample to
  bring the ``level`` interval's coverage nearest ``level`` / to maximise the mean log predictive density, the
  paper's two tuning criteria). Scores: ``cov`` (coverage of the central ``level`` interval), ``gap``
  (``|cov - level|``), ``width`` and ``logp`` (mean log predictive density; for the bootstrap a Gaussian fitted
  to its samples, lbrl's choice). Differences ``p/<score>/<method>-bayes``."""
  rng = np.random.default_rng([int(ctx.seed), 0xBB])
  beta = rng.normal(size=features + 1)

  def sample(n):
    x = np.c_[np.ones(n), rng.uniform(-2, 2, (n, features))]
    return x, x @ beta + (0.5 + np.abs(x[:, 1])) * rng.standard_t(3, n)

  (xtr, ytr), (xc, yc), (xte, yte) = sample(int(n_train)), sample(int(n_cal)), sample(int(n_test))
  scores = {}
  mu, sd = gaussian_linear_predictive(xtr, ytr, xte)
  z = 1.6448536269514722 if level == 0.9 else float(__import__("scipy").stats.norm.ppf((1 + level) / 2))
  scores["bayes"] = (float(np.mean(np.abs(yte - mu) <= z * sd)), float(np.mean(2 * z * sd)),
                     float(np.mean(-0.5 * np.log(2 * np.pi * sd ** 2) - 0.5 * ((yte - mu) / sd) ** 2)))
  cal = {a: _interval_scores(bb_linear_predictive(xtr, ytr, xc, alpha=a, draws=draws,
                                                  rng=np.random.default_rng([int(ctx.seed), 1, i])), yc, level)
         for i, a in enumerate(alphas)}
  chosen = {"bb1": 1.0, "bb_cov": min(alphas, key=lambda a: abs(cal[a][0] - level)),
            "bb_log": max(alphas, key=lambda a: cal[a][2])}
  for m, a in chosen.items():
    scores[m] = _interval_scores(bb_linear_predictive(xtr, ytr, xte, alpha=a, draws=draws,
                                                      rng=np.random.default_rng([int(ctx.seed), 2])), yte, level)
  out = {}
  for m, (cov, width, logp) in scores.items():
    out.update({f"{m}/cov": cov, f"{m}/gap": abs(cov - level), f"{m}/width": width, f"{m}/logp": logp})
  for m in ("bb_cov", "bb_log"):
    out[f"{m}/alpha"] = float(chosen[m])
  for m in ("bb1", "bb_cov", "bb_log"):
    for k in ("gap", "logp", "width"):
      out[f"p/{k}/{m}-bayes"] = out[f"{m}/{k}"] - out[f"bayes/{k}"]
  return out
