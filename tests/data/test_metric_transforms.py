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
