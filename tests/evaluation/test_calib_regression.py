"""Regression calibration (large_scale_study_probabilistic): PCE, Gaussian CRPS, quantile recalibration and the
PCE-KDE surrogate against SciPy / NumPy float64 references."""
import types

import numpy as np
import pytest
from scipy import integrate, stats

from lbrl.evaluation import calibration as cal
from lbrl.evaluation import calibrators as C


def test_pce_is_the_l1_quantile_calibration_error_for_gaussian_forecasts():
  rng = np.random.default_rng(0)
  mean, std = rng.normal(size=300), rng.uniform(0.5, 2.0, 300)
  y = mean + 1.7 * std * rng.standard_normal(300)            # under-dispersed forecasts
  levels = np.linspace(0.01, 0.99, 99)
  pit = stats.norm.cdf((y - mean) / std)
  ref = np.mean(np.abs(levels - (pit[None, :] <= levels[:, None]).mean(1)))
  np.testing.assert_allclose(float(cal.pit_calibration_error(pit)), ref, rtol=1e-5)
  np.testing.assert_allclose(float(cal.quantile_calibration_error(mean, std, y, levels=levels, norm="l1")), ref,
                             rtol=1e-4)
  assert ref > 0.05
  assert float(cal.pit_calibration_error((np.arange(1000) + 0.5) / 1000)) < 0.002   # uniform PITs


def test_gaussian_crps_matches_numerical_integral():
  for m, s, y in [(0.0, 1.0, 0.3), (1.0, 0.5, -1.0), (-2.0, 3.0, 4.0)]:
    f = lambda t: (stats.norm.cdf(t, m, s) - (t >= y)) ** 2
    ref = integrate.quad(f, -60, y, limit=200)[0] + integrate.quad(f, y, 60, limit=200)[0]
    np.testing.assert_allclose(float(cal.gaussian_crps(m, s, y)), ref, rtol=1e-4)


def test_quantile_recalibration_uniformises_pits_and_kde_pce_approaches_pce():
  rng = np.random.default_rng(1)
  pit_cal = rng.beta(0.4, 0.4, 2000)                       # over-confident: PITs pile up at 0 and 1
  pit_test = rng.beta(0.4, 0.4, 2000)
  r = C.fit_quantile_recalibration(pit_cal)
  before = float(cal.pit_calibration_error(pit_test))
  after = float(cal.pit_calibration_error(C.apply_quantile_recalibration(r, pit_test)))
  assert before > 0.05 and after < 0.02
  np.testing.assert_allclose(C.apply_quantile_recalibration(r, r), np.arange(1, 2001) / 2000)
  np.testing.assert_allclose(float(C.pce_kde(pit_test, bandwidth=1e-4)), before, atol=2e-3)
  with pytest.raises(ValueError, match="pit_cal"):
    C.fit_quantile_recalibration([0.5])


@pytest.mark.heavy
def test_regression_calibration_study_tool_runs_and_reports_differences():
  out = C.regression_calibration_study(types.SimpleNamespace(seed=0), steps=25, hidden=(8,))
  for k in ("base/pce", "recal/pce", "reg/pce", "base/crps", "recal/width90"):
    assert np.isfinite(out[k])
  np.testing.assert_allclose(out["u/pce/recal"], out["recal/pce"] - out["base/pce"])
  np.testing.assert_allclose(out["p/pce/recal-reg"], out["recal/pce"] - out["reg/pce"])
  with pytest.raises(ValueError, match="dataset"):
    C.regression_calibration_study(types.SimpleNamespace(seed=0), dataset="nope")


def test_level_set_boost_predict_replays_training_and_improves_a_weak_tree():
  from sklearn.tree import DecisionTreeRegressor
  rng = np.random.default_rng(2)
  x = rng.uniform(-1, 1, (400, 3))
  y = np.sin(3 * x[:, 0]) + x[:, 1] ** 2 + 0.1 * rng.standard_normal(400)
  model, history = C.level_set_boost(x, y, weak_learner=DecisionTreeRegressor(max_depth=1), num_bins=8, rounds=20)
  pred = C.level_set_predict(model, x)
  np.testing.assert_allclose(np.mean((y - pred) ** 2), history[-1], rtol=1e-10)   # predict == training path
  stump = DecisionTreeRegressor(max_depth=1).fit(x, y).predict(x)
  assert history[-1] < 0.6 * np.mean((y - stump) ** 2)
  assert set(model["centers"]) >= {y.min(), y.max()} and len(model["centers"]) == 9
  with pytest.raises(ValueError, match="num_bins"):
    C.level_set_boost(x, y, weak_learner=DecisionTreeRegressor(), num_bins=0)


def test_multicalibration_error_by_hand():
  pred = np.array([0.1, 0.1, 0.9, 0.9])
  y = np.array([0.0, 0.4, 1.0, 1.0])
  groups = np.array([[True, True, True, True], [True, False, True, False]])
  # whole set: bins {0.1}: mean residual 0.1, {0.9}: 0.1 -> 0.1; group 2: rows 0 and 2: |-0.1|/2 + |0.1|/2 = 0.1
  np.testing.assert_allclose(C.multicalibration_error(pred, y, groups, num_bins=2), 0.1)
  groups2 = np.array([[False, True, False, True]])   # rows 1, 3: residuals 0.3, 0.1 -> 0.2
  np.testing.assert_allclose(C.multicalibration_error(pred, y, groups2, num_bins=2), 0.2)


def test_bayesian_bootstrap_linearisation_and_gaussian_predictive():
  rng = np.random.default_rng(3)
  x = np.c_[np.ones(60), rng.normal(size=(60, 2))]
  y = x @ np.array([1.0, -2.0, 0.5]) + rng.normal(size=60)
  n = len(y)
  theta, *_ = np.linalg.lstsq(x, y, rcond=None)
  r = y - x @ theta
  # the influence-function step equals the exact weighted least squares to first order in (w - 1/n)
  w = np.full(n, 1 / n) + 1e-4 * rng.normal(size=n)
  w /= w.sum()
  exact = np.linalg.solve(x.T @ (w[:, None] * x), x.T @ (w * y))
  lin = theta + np.linalg.solve(x.T @ x / n, x.T @ ((w - 1 / n) * r))
  assert np.abs(lin - exact).max() < 1e-2 * np.abs(exact - theta).max()
  # a huge concentration gives no parameter spread: the samples are x' theta + resampled residuals
  s = C.bb_linear_predictive(x, y, x[:2], alpha=1e7, draws=400)
  np.testing.assert_allclose(np.median(s - x[:2] @ theta, 0), np.median(r), atol=0.3)
  assert np.abs((s - x[:2] @ theta)[..., None] - r).min(-1).max() < 0.02   # each sample: theta' x + some r_i
  mu, sd = C.gaussian_linear_predictive(x, y, x[:3])
  s2 = r @ r / (n - 3)
  np.testing.assert_allclose(sd ** 2, s2 * (1 + np.einsum("mp,pq,mq->m", x[:3], np.linalg.inv(x.T @ x), x[:3])))
  with pytest.raises(ValueError, match="alpha"):
    C.bb_linear_predictive(x, y, x[:2], alpha=0.0)
