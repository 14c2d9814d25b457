"""Post-hoc calibrators against scikit-learn, SciPy and a float64 transcription of online Platt scaling."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import optimize, special
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV, _sigmoid_calibration
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression

from lbrl.evaluation import calibrators as C
from lbrl.train import stages


def _overconfident(n=600, c=3, seed=0):
  rng = np.random.default_rng(seed)
  labels = rng.integers(0, c, n)
  base = rng.normal(0, 1, (n, c)) + 1.5 * np.eye(c)[labels]
  return (3.0 * base + np.array([0.5, 0.0, -0.5][:c])).astype(np.float32), labels


def _nll64(z, y):
  return -np.mean(special.log_softmax(z, -1)[np.arange(len(y)), y])


def test_matrix_scaling_is_unregularised_multinomial_logistic_regression():
  z, y = _overconfident()
  got = C.apply_matrix_scaling(C.fit_matrix_scaling(z, y), jnp.asarray(z))
  lr = LogisticRegression(C=np.inf, tol=1e-10, max_iter=5000).fit(z.astype(np.float64), y)
  np.testing.assert_allclose(np.asarray(jax.nn.softmax(got)), lr.predict_proba(z), atol=2e-3)


def test_vector_and_temperature_scaling_reach_the_float64_optimum():
  z, y = _overconfident(seed=1)
  z64 = z.astype(np.float64)
  res = optimize.minimize(lambda p: _nll64(z64 * p[:3] + p[3:], y), np.r_[np.ones(3), np.zeros(3)], method="BFGS",
                          options={"gtol": 1e-9})
  got = C.apply_vector_scaling(C.fit_vector_scaling(z, y), jnp.asarray(z))
  np.testing.assert_allclose(_nll64(np.asarray(got, np.float64), y), res.fun, rtol=1e-4)
  t = optimize.minimize_scalar(lambda t: _nll64(z64 / t, y), bounds=(0.05, 50), method="bounded",
                               options={"xatol": 1e-9}).x
  np.testing.assert_allclose(float(C.fit_temperature(z, y)), t, rtol=1e-3)
  assert t > 1.5                                               # the scores were over-confident


def test_platt_matches_sklearn_sigmoid_calibration():
  rng = np.random.default_rng(2)
  s = rng.normal(0, 2, 500)
  y = (rng.uniform(size=500) < special.expit(0.4 * s - 0.3)).astype(int)
  a_sk, b_sk = _sigmoid_calibration(s, y)                    # P = 1 / (1 + exp(a s + b))
  ab = C.fit_platt_binary(s, y)
  np.testing.assert_allclose(np.asarray(ab), [-a_sk, -b_sk], rtol=2e-3, atol=2e-4)
  z = np.stack([np.zeros(500), s], -1).astype(np.float32)     # binary logits: score z1 - z0
  p = C.fit_platt(z, y)
  np.testing.assert_allclose(np.asarray(jax.nn.softmax(C.apply_platt(p, jnp.asarray(z)))[:, 1]),
                             special.expit(-(a_sk * s + b_sk)), atol=1e-3)


class _Logits(ClassifierMixin, BaseEstimator):
  """A fitted 'classifier' whose decision function is its input (the logits)."""
  def fit(self, x, y):
    self.classes_ = np.unique(y)
    return self

  def decision_function(self, x):
    return x

  def predict(self, x):
    return x.argmax(1)


def test_one_vs_rest_platt_matches_calibrated_classifier_cv():
  z, y = _overconfident(seed=3)
  zt, _ = _overconfident(n=300, seed=4)
  want = CalibratedClassifierCV(FrozenEstimator(_Logits().fit(z, y)), method="sigmoid").fit(z, y).predict_proba(zt)
  got = jax.nn.softmax(C.apply_platt(C.fit_platt(z, y), jnp.asarray(zt)))
  np.testing.assert_allclose(np.asarray(got), want, atol=1e-3)


def _ops64(f, y, gamma=0.1, eps=1.0, radius=100.0, bins=10):
  theta, a = np.array([1.0, 0.0]), eps * np.eye(2)
  bsum, bcnt, ops, tops = np.zeros(bins), np.zeros(bins), [], []
  for ft, yt in zip(f, y):
    x = np.array([np.log(ft / (1 - ft)), 1.0])
    p = special.expit(x @ theta)
    b = min(int(p * bins), bins - 1)
    ops.append(p)
    tops.append(bsum[b] / bcnt[b] if bcnt[b] else p)
    g = (p - yt) * x
    a = a + np.outer(g, g)
    theta = theta - np.linalg.solve(a, g) / gamma
    theta = theta * min(1.0, radius / np.linalg.norm(theta))
    bsum[b] += yt
    bcnt[b] += 1
  return np.array(ops), np.array(tops)


def test_online_platt_and_calibeating_against_a_float64_loop():
  rng = np.random.default_rng(4)
  true = rng.uniform(0.05, 0.95, 400)
  f = special.expit(3 * special.logit(true))                 # over-confident forecasts
  y = (rng.uniform(size=400) < true).astype(float)
  ops, tops, state = C.online_platt(f, y)
  want_ops, want_tops = _ops64(f, y)
  np.testing.assert_allclose(np.asarray(ops), want_ops, atol=2e-3)
  np.testing.assert_allclose(np.asarray(tops), want_tops, atol=2e-3)
  assert float(state["theta"][0]) < 0.7                      # learns to shrink the over-confident logit
  # padding rows change nothing
  ops_w, _, state_w = C.online_platt(np.r_[f, 0.9, 0.1], np.r_[y, 1, 0], where=np.r_[np.ones(400), 0, 0] > 0)
  np.testing.assert_allclose(np.asarray(state_w["theta"]), np.asarray(state["theta"]), rtol=1e-6)


def test_stages_apply_and_describe():
  z, y = _overconfident(seed=5)
  for stage in (stages.vector_scaling(), stages.matrix_scaling(l2=0.01), stages.platt_scaling(),
                stages.online_platt_scaling()):
    cal = jax.jit(lambda a, b, v: stage.fit_fn(a, b, v, **stage.options))(z, y, jnp.ones(len(y), bool))
    out = stage.apply(cal, jnp.asarray(z))
    assert out.shape == z.shape and bool(jnp.all(jnp.isfinite(out)))
    assert _nll64(np.asarray(out, np.float64), y) < _nll64(z.astype(np.float64), y)   # fitted on these rows
    assert all(np.isfinite(v) for v in stage.describe(cal).values())
  # the top-label map keeps the prediction wherever the calibrated confidence is at least 1/C
  out = stages.online_platt_scaling().apply(cal, jnp.asarray(z))
  conf = np.asarray(jnp.max(jax.nn.softmax(out), -1))
  same = np.asarray(jnp.argmax(out, -1) == jnp.argmax(jnp.asarray(z), -1))
  assert same[conf >= 1 / 3 + 1e-6].all()


def test_bad_input():
  with pytest.raises(ValueError, match="logits must be"):
    C.fit_temperature(np.zeros(5), np.zeros(5, int))
  with pytest.raises(ValueError, match="labels must be integer"):
    C.fit_vector_scaling(np.zeros((5, 3)), np.zeros(5))
  with pytest.raises(ValueError, match="l2"):
    C.fit_matrix_scaling(np.zeros((5, 3)), np.zeros(5, int), l2=-1)
  with pytest.raises(ValueError, match="gamma"):
    C.online_platt(np.full(3, 0.5), np.ones(3), gamma=0)


# ---------------------------------------------------------------- FRACAL


def _authors_box_dim(cx, cy, g, num_classes, grid):
  """Float64 transcription of kostas1515/FRACAL stat_files/calculate_fractality.py (variant box_dim)."""
  from scipy import optimize
  dims = np.arange(grid) + 1
  freq = np.bincount(g, minlength=num_classes)
  boxes = []
  for dim in dims:
    step = 1 / dim
    loc = np.zeros((dim, dim, num_classes))
    for j in range(dim):
      for i in range(dim):
        m = (cx >= i * step) & (cx < (i + 1) * step) & (cy >= j * step) & (cy < (j + 1) * step)
        loc[j, i] = np.bincount(g[m], minlength=num_classes)
    boxes.append((loc > 0).sum(0).sum(0))
  out = []
  for k in range(num_classes):
    n = np.array([b[k] for b in boxes], np.float64)
    cut = freq[k] >= dims * dims
    if freq[k] < 4:
      out.append(1.0)
      continue
    popt, _ = optimize.curve_fit(lambda x, a, df: df * x + a, np.log(dims)[cut], np.log(n)[cut], maxfev=100000)
    out.append(max(1.0, popt[1]))
  return np.array(out)


def test_box_counting_dimension_matches_authors_and_geometry():
  rng = np.random.default_rng(0)
  n = 3000
  uniform = rng.uniform(0, 1, (n, 2))
  line = np.stack([rng.uniform(0, 1, n), np.full(n, 0.5)], 1)
  cluster = np.clip(rng.normal(0.3, 0.01, (n, 2)), 0, 0.999)
  pts = np.concatenate([uniform, line, cluster, rng.uniform(0, 1, (3, 2))])
  g = np.repeat([0, 1, 2, 3], [n, n, n, 3])
  got = C.box_counting_dimension(pts[:, 0], pts[:, 1], g, 4, max_grid=16)
  np.testing.assert_allclose(got, _authors_box_dim(pts[:, 0], pts[:, 1], g, 4, 16), rtol=1e-6)
  assert got[0] > 1.8 and abs(got[1] - 1.0) < 0.1 and got[3] == 1.0
  with pytest.raises(ValueError, match="labels"):
    C.box_counting_dimension(pts[:, 0], pts[:, 1], g, 3)


def test_apply_fracal_matches_numpy():
  rng = np.random.default_rng(1)
  z, d = rng.normal(size=(5, 4)), np.array([2.0, 1.0, 1.5, 1.2])
  prior = np.log(np.array([0.6, 0.2, 0.15, 0.05]))
  p = np.exp(z - prior) / np.exp(z - prior).sum(1, keepdims=True) / d ** 2
  p /= p.sum(1, keepdims=True)
  got = np.asarray(C.apply_fracal(jnp.asarray(z, jnp.float32), fractal_dims=d, log_prior=prior))
  np.testing.assert_allclose(np.exp(got), p, rtol=1e-5, atol=1e-6)
  with pytest.raises(ValueError, match="fractal_dims"):
    C.apply_fracal(z, fractal_dims=d[:3])
