"""Training-time calibration methods: the static mixup transform (lbrl.data.calibration_transforms)."""
import numpy as np
import pytest

from lbrl.data.calibration_transforms import mixup
from lbrl.data.core import Dataset


def _data(n=50, c=3, seed=0):
  rng = np.random.default_rng(seed)
  y = rng.integers(0, c, n)
  x = (np.eye(c)[y] * 10 + rng.normal(size=(n, c))).astype(np.float32)
  return Dataset("toy", "train", {"x": x, "label": y}, {"num_classes": c})


def test_mixup_makes_convex_combinations_with_matching_soft_labels():
  d = _data()
  m = mixup(d, seed=1, alpha=1.0, copies=3)
  x, y = m.arrays["x"], m.arrays["label"]
  assert x.shape == (150, 3) and y.shape == (150, 3) and y.dtype == np.float32
  np.testing.assert_allclose(y.sum(1), 1.0, rtol=1e-6)
  i, j, lam = m.arrays["mix_source"], m.arrays["mix_partner"], m.arrays["mix_lambda"]
  x0, e = d.arrays["x"], np.eye(3)[d.arrays["label"]]
  np.testing.assert_allclose(x, lam[:, None] * x0[i] + (1 - lam[:, None]) * x0[j], rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(y, lam[:, None] * e[i] + (1 - lam[:, None]) * e[j], atol=1e-6)
  np.testing.assert_array_equal(i, np.tile(np.arange(50), 3))
  again = mixup(d, seed=1, alpha=1.0, copies=3)
  np.testing.assert_array_equal(again.arrays["x"], x)          # pure given the seed
  assert len(mixup(d, seed=1, copies=2, keep_original=True).arrays["x"]) == 150
  assert m.meta["mixup"]["copies"] == 3


def test_mixup_lambda_distribution_is_beta():
  from scipy import stats
  m = mixup(_data(n=3000), seed=3, alpha=0.4, copies=1)
  assert stats.kstest(m.arrays["mix_lambda"], stats.beta(0.4, 0.4).cdf).pvalue > 0.01


def test_mixup_bad_input():
  d = _data()
  with pytest.raises(ValueError, match="alpha"):
    mixup(d, seed=0, alpha=0.0)
  with pytest.raises(ValueError, match="integer class labels"):
    mixup(Dataset("t", "train", {"x": d.arrays["x"], "label": np.eye(3)[d.arrays["label"]]}, {}), seed=0)
