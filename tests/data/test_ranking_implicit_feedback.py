"""The synthetic implicit-feedback set (SimpleX): deterministic, disjoint splits, MovieLens-100k-like shape."""
import numpy as np
import pytest

from lbrl.data.builders import implicit_feedback as F

SMALL = dict(num_users=40, num_items=80, mean_interactions=15, min_interactions=6)


def test_deterministic_in_seed():
  a, b = F.generate.__wrapped__(**SMALL, seed=3), F.generate.__wrapped__(**SMALL, seed=3)
  c = F.generate.__wrapped__(**SMALL, seed=4)
  for split in ("train", "test"):
    np.testing.assert_array_equal(a[split], b[split])
  assert not np.array_equal(a["train"][:50], c["train"][:50])


def test_splits_disjoint_per_user_with_counts():
  d = F.generate(**SMALL)
  tr, te = d["train"], d["test"]
  pairs_tr, pairs_te = set(map(tuple, tr)), set(map(tuple, te))
  assert len(pairs_tr) == len(tr) and len(pairs_te) == len(te) and not pairs_tr & pairs_te
  per_user = np.bincount(np.concatenate([tr[:, 0], te[:, 0]]), minlength=40)
  assert per_user.min() >= 6 and per_user.max() <= 40
  assert np.all(np.bincount(te[:, 0], minlength=40) >= 1)
  assert 0.15 < len(te) / (len(tr) + len(te)) < 0.25


def test_popularity_skew():
  flat = F.generate.__wrapped__(**SMALL, popularity=0.0)["train"]
  skewed = F.generate.__wrapped__(**SMALL, popularity=1.0)["train"]
  top = lambda rows: np.sort(np.bincount(rows[:, 1], minlength=80))[::-1][:8].sum() / len(rows)
  assert top(skewed) > top(flat) + 0.1


def test_load_slices_labels_and_errors():
  full = F.load("train", **SMALL, num_negatives=3)
  head, tail = F.load("train[:90%]", **SMALL, num_negatives=3), F.load("train[90%:]", **SMALL, num_negatives=3)
  np.testing.assert_array_equal(np.concatenate([head.arrays["x"], tail.arrays["x"]]), full.arrays["x"])
  assert full.arrays["label"].shape == (len(full), 4)
  assert (full.arrays["label"][:, 0] == 1).all() and (full.arrays["label"][:, 1:] == 0).all()
  assert full.meta["num_users"] == 40 and full.meta["num_items"] == 80
  with pytest.raises(ValueError, match="split"):
    F.load("validation", **SMALL)
  with pytest.raises(ValueError, match="unknown option"):
    F.load("train", users=3)
  with pytest.raises(ValueError, match="test_fraction"):
    F.load("train", **SMALL, test_fraction=1.5)
  with pytest.raises(ValueError, match="num_negatives"):
    F.load("train", **SMALL, num_negatives=0)
