"""The multi-label split of an offline classification set (lbrl.data.builders.ranking)."""
import numpy as np
import pytest

from lbrl.data.builders.ranking import load_multilabel


def test_multilabel_maps_classes_to_groups():
  d = load_multilabel("test", base="iris", groups=[[0], [1, 2]])
  y, c = d.arrays["label"], d.arrays["class_label"]
  assert d.num_classes == 2 and y.dtype == np.float32 and y.shape == (len(c), 2)
  np.testing.assert_array_equal(y[:, 0], c == 0)
  np.testing.assert_array_equal(y[:, 1], c > 0)
  with pytest.raises(ValueError, match="groups"):
    load_multilabel("test", base="iris", groups=[[0], [3]])
