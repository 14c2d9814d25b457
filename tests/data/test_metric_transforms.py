"""lbrl.data.metric_transforms.hide_labels: the kept fraction per class, determinism, the true labels kept."""
import numpy as np
import pytest

from lbrl.data import core
from lbrl.data.metric_transforms import hide_labels


def test_hide_labels_keeps_a_fraction_of_each_class():
  y = np.repeat(np.arange(4), [100, 60, 40, 1]).astype(np.int32)
  data = core.Dataset("toy", "train", {"x": np.zeros((len(y), 2), np.float32), "label": y})
  out = hide_labels(data, seed=3, fraction=0.05)
  kept = out.arrays["label"] >= 0
  assert [int(kept[y == c].sum()) for c in range(4)] == [5, 3, 2, 1]       # round(5%), at least one per class
  assert np.all(out.arrays["label"][kept] == y[kept]) and np.all(out.arrays["clean_label"] == y)
  assert np.array_equal(hide_labels(data, seed=3, fraction=0.05).arrays["label"], out.arrays["label"])
  assert not np.array_equal(hide_labels(data, seed=4, fraction=0.05).arrays["label"], out.arrays["label"])
  with pytest.raises(ValueError, match="fraction"):
    hide_labels(data, seed=0, fraction=0.0)


def test_degrade_images_leaves_severity_zero_alone_and_loses_detail_with_severity():
  from lbrl.data.metric_transforms import degrade_images
  x = core.load("mnist5k", "test").arrays["x"][:8]                   # real digits
  sev = np.array([0, 1, 2, 3, 0, 1, 2, 3])
  out = degrade_images(x, sev, noise=0.0, seed=1)
  assert np.array_equal(out[sev == 0], x[sev == 0]) and out.min() >= 0 and out.max() <= 1
  # without noise, the distance to the original grows with the downscaling (14 -> 10 -> 7 px)
  err = [np.square(out[sev == s] - x[sev == s]).mean() for s in (1, 2, 3)]
  assert 0 < err[0] < err[1] < err[2]
  # a constant image survives resizing exactly; the noise then has std noise x severity (no clipping here)
  flat = np.full((3, 28, 28), 0.5, np.float32)
  noisy = degrade_images(flat, np.array([1, 2, 3]), noise=0.05, seed=2)
  np.testing.assert_allclose(noisy.reshape(3, -1).std(1), [0.05, 0.1, 0.15], rtol=0.08)
  assert np.array_equal(degrade_images(flat, np.array([1, 2, 3]), noise=0.05, seed=2), noisy)
  with pytest.raises(ValueError, match="severity"):
    degrade_images(x, sev + 1)


def test_degrade_split_records_the_severity_per_example():
  from lbrl.data.metric_transforms import degrade_split
  y = np.arange(400) % 4
  data = core.Dataset("toy", "test", {"x": np.zeros((400, 28, 28), np.float32), "label": y})
  out = degrade_split(data, fraction=0.5, seed=0)
  q = out.arrays["quality"]
  assert 0.4 < np.mean(q > 0) < 0.6 and set(np.unique(q)) == {0, 1, 2, 3}
  assert np.array_equal(degrade_split(data, fraction=0.5, seed=0).arrays["quality"], q)
  assert np.all(out.arrays["label"] == y) and np.all(degrade_split(data, fraction=0.0).arrays["quality"] == 0)
  with pytest.raises(ValueError, match="fraction"):
    degrade_split(data, fraction=1.5)
