"""Calibration metrics against scikit-learn, scipy and float64 NumPy transcriptions, edge cases included."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special, stats
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss, log_loss

from lbrl import metrics
from lbrl.evaluation import calibration as cal


def _np_ece(conf, correct, bins, norm="l1"):
  """float64 ECE/MCE from per-bin groups given as index arrays."""
  n, out = len(conf), []
  for idx in bins:
    if len(idx):
      out.append((len(idx) / n, abs(correct[idx].mean() - conf[idx].mean())))
  if norm == "max":
    return max(g for _, g in out)
  return sum(w * g for w, g in out)


def _sample(n=400, seed=0):
  rng = np.random.default_rng(seed)
  conf = rng.uniform(0, 1, n)
  conf[:6] = [0.0, 1.0, 1.0, 0.0, 0.5, 0.2]          # exact 0/1 and exact bin edges (10 bins)
  correct = (rng.uniform(size=n) < conf ** 1.5).astype(np.float64)
  return conf, correct


@pytest.mark.parametrize("num_bins", [10, 15])
def test_equal_width_bins_match_sklearn_calibration_curve(num_bins):
  conf, correct = _sample()
  prob_true, prob_pred = calibration_curve(correct, conf, n_bins=num_bins, strategy="uniform")
  count, mconf, acc = (np.asarray(a) for a in cal.reliability_diagram(conf, correct, num_bins=num_bins))
  np.testing.assert_allclose(acc[count > 0], prob_true, atol=1e-6)
  np.testing.assert_allclose(mconf[count > 0], prob_pred, atol=1e-6)
  edges = np.linspace(0, 1, num_bins + 1)
  ids = np.searchsorted(edges[1:-1], conf)   # sklearn's binning: (a, b], 0 in the first bin
  want = _np_ece(conf, correct, [np.flatnonzero(ids == b) for b in range(num_bins)])
  np.testing.assert_allclose(float(cal.calibration_error(conf, correct, num_bins=num_bins)), want, atol=1e-6)
  mce = _np_ece(conf, correct, [np.flatnonzero(ids == b) for b in range(num_bins)], norm="max")
  np.testing.assert_allclose(float(cal.calibration_error(conf, correct, num_bins=num_bins, norm="max")), mce, atol=1e-6)


def test_edge_confidences_and_empty_bins():
  conf = np.array([0.0, 1.0, 1.0, 0.5])
  correct = np.array([0.0, 1.0, 0.0, 1.0])
  count, mconf, acc = (np.asarray(a) for a in cal.reliability_diagram(conf, correct, num_bins=10))
  assert count[0] == 1 and count[4] == 1 and count[9] == 2 and count.sum() == 4   # 0.5 in (0.4, 0.5]
  assert np.isnan(mconf[1]) and np.isnan(acc[1])                                  # empty bin
  # bins: {0}: gap 0; {0.5}: gap 0.5; {1, 1}: gap 0.5 -> ECE = 1/4 * 0.5 + 2/4 * 0.5
  assert float(cal.calibration_error(conf, correct, num_bins=10)) == pytest.approx(0.375)
  assert float(cal.calibration_error(conf, correct, num_bins=10, norm="max")) == pytest.approx(0.5)
  assert float(cal.calibration_error(np.ones(3), np.ones(3))) == 0.0
  # ignore ids: weight 0 rows change nothing
  w = np.array([1, 1, 1, 1, 0, 0.0])
  got = cal.calibration_error(np.r_[conf, 0.3, 0.9], np.r_[correct, 1, 0], w, num_bins=10)
  assert float(got) == pytest.approx(0.375)


@pytest.mark.parametrize("n,num_bins", [(400, 15), (37, 4), (10, 10)])
def test_equal_mass_bins_are_array_split_groups(n, num_bins):
  conf, correct = _sample(n, seed=n)
  order = np.argsort(conf, kind="stable")
  want = _np_ece(conf, correct, np.array_split(order, num_bins))
  got = cal.calibration_error(conf, correct, num_bins=num_bins, scheme="mass")
  np.testing.assert_allclose(float(got), want, atol=1e-6)
  w = np.r_[np.ones(n), np.zeros(5)]     # ignored rows neither count nor shift the groups
  got_w = cal.calibration_error(np.r_[conf, np.zeros(5)], np.r_[correct, np.ones(5)], w, num_bins=num_bins,
                                scheme="mass")
  np.testing.assert_allclose(float(got_w), want, atol=1e-6)


def test_classwise_ece_brier_nll_against_references():
  rng = np.random.default_rng(1)
  logits = rng.normal(0, 3, (300, 4))
  logits[0] = [80.0, -80, 0, 0]                       # a probability exactly 1 (and 0) in float32
  labels = rng.integers(0, 4, 300)
  p = special.softmax(logits, -1)
  want = np.mean([_np_ece(p[:, k], (labels == k).astype(float),
                          [np.flatnonzero(np.searchsorted(np.linspace(0, 1, 16)[1:-1], p[:, k]) == b)
                           for b in range(15)]) for k in range(4)])
  np.testing.assert_allclose(float(cal.classwise_ece(p, labels)), want, atol=1e-5)
  brier = brier_score_loss(labels, p, labels=[0, 1, 2, 3], scale_by_half=False)
  np.testing.assert_allclose(float(jnp.mean(cal.brier_score(p, labels))), brier, rtol=1e-5)
  np.testing.assert_allclose(float(jnp.mean(cal.nll(logits, labels))),
                             -np.mean(special.log_softmax(logits, -1)[np.arange(300), labels]), rtol=1e-5)
  out = metrics.compute(["brier", "nll", "classwise_ece", "ece_mass", "mce", "smooth_ece"], logits, labels)
  np.testing.assert_allclose(out["brier"], brier, rtol=1e-5)
  rest = metrics.compute(["nll"], logits[1:], labels[1:])["nll"]   # log_loss clips p at eps: row 0 left out
  np.testing.assert_allclose(rest, log_loss(labels[1:], p[1:], labels=[0, 1, 2, 3]), rtol=1e-4)
  assert all(np.isfinite(v) for v in out.values())


def test_equal_width_ece_agrees_with_lbrl_metrics_ece_off_the_edges():
  rng = np.random.default_rng(2)
  logits, labels = rng.normal(0, 2, (500, 5)), rng.integers(0, 5, 500)
  s = jax.tree.map(np.asarray, metrics.ece(jnp.asarray(logits, jnp.float32), jnp.asarray(labels), None))
  assert cal.reduce_ece_width(s) == pytest.approx(metrics.reduce_ece(s), abs=1e-6)


def test_smooth_ece_properties():
  conf, correct = _sample(1000, seed=3)
  s = float(cal.smooth_ece(conf, correct))
  # the fixed point: smECE at its own bandwidth equals the bandwidth
  np.testing.assert_allclose(float(cal.smooth_ece_at(conf, correct, sigma=s)), s, rtol=1e-3)
  # perfectly calibrated outcomes (y ~ Bernoulli(f)) give a small value; a constant shift a large one
  rng = np.random.default_rng(4)
  f = rng.uniform(0, 1, 4000)
  y = (rng.uniform(size=f.size) < f).astype(float)
  assert float(cal.smooth_ece(f, y)) < 0.02
  assert float(cal.smooth_ece(np.clip(f + 0.2, 0, 1), y)) > 0.12
  assert float(cal.smooth_ece(np.full(50, 1.0), np.ones(50))) < 1e-3


def test_quantile_calibration_error_and_sharpness():
  rng = np.random.default_rng(5)
  mean, std = rng.normal(size=3000), rng.uniform(0.5, 2, 3000)
  y = mean + std * rng.normal(size=3000) * 2.0        # under-dispersed forecasts
  levels = np.linspace(0.05, 0.95, 19)
  phat = (stats.norm.cdf((y - mean) / std)[None] <= levels[:, None]).mean(1)
  np.testing.assert_allclose(float(cal.quantile_calibration_error(mean, std, y)), np.sum((levels - phat) ** 2),
                             rtol=1e-4)
  np.testing.assert_allclose(float(cal.quantile_calibration_error(mean, std, y, norm="l1")),
                             np.mean(np.abs(levels - phat)), rtol=1e-4)
  good = mean + std * rng.normal(size=3000)
  assert float(cal.quantile_calibration_error(mean, std, good)) < 0.1 * float(cal.quantile_calibration_error(mean, std, y))
  np.testing.assert_allclose(float(cal.sharpness(std)), np.mean(std ** 2), rtol=1e-5)


def test_jit_and_bad_input():
  conf, correct = _sample(64)
  f = jax.jit(lambda c, y: cal.calibration_error(c, y, num_bins=8, scheme="mass"))
  np.testing.assert_allclose(f(conf, correct), cal.calibration_error(conf, correct, num_bins=8, scheme="mass"))
  with pytest.raises(ValueError, match="scheme"):
    cal.calibration_error(conf, correct, scheme="quantile")
  with pytest.raises(ValueError, match="num_bins"):
    cal.calibration_error(conf, correct, num_bins=0)
  with pytest.raises(ValueError, match="conf and correct"):
    cal.calibration_error(conf, correct[:3])
  with pytest.raises(ValueError, match="norm"):
    cal.quantile_calibration_error(conf, conf + 1, conf, norm="l3")
