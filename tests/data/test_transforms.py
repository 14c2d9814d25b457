"""Dataset transforms: noise rates, imbalance ratio, disjoint held-out classes, two-view augmentations,
process shards and subsampling, each checked on its statistics."""
import numpy as np
import pytest

from lbrl.data import core, transforms


def _toy(n=20000, c=10, seed=0):
  rng = np.random.default_rng(seed)
  y = np.repeat(np.arange(c), n // c)
  return core.Dataset("toy", "train", {"x": rng.standard_normal((len(y), 6)).astype(np.float32), "label": y},
                      {"num_classes": c})


@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_symmetric_noise_rate_and_uniform_targets(rate):
  d = transforms.label_noise(_toy(), seed=1, rate=rate)
  f, y, clean = d.arrays["flipped"], d.arrays["label"], d.arrays["clean_label"]
  n = len(y)
  assert abs(f.mean() - rate) < 4 * np.sqrt(rate * (1 - rate) / n)
  assert d.meta["label_noise"]["realized_rate"] == pytest.approx(f.mean())
  np.testing.assert_array_equal(f, y != clean)
  np.testing.assert_array_equal(clean, _toy().arrays["label"])
  # flipped labels are uniform over the 9 other classes
  off = (y[f] - clean[f]) % 10
  assert off.min() == 1
  counts = np.bincount(off, minlength=10)[1:]
  expected = f.sum() / 9
  assert ((counts - expected) ** 2 / expected).sum() < 30  # chi^2, 8 dof: p ~ 2e-4


def test_asymmetric_noise_follows_mapping():
  mapping = [1, 0, 3, 2, 4, 5, 6, 7, 8, 9]  # pairs (0,1), (2,3); classes 4.. map to themselves
  d = transforms.label_noise(_toy(), seed=2, rate=0.4, kind="asymmetric", mapping=mapping)
  y, clean, f = d.arrays["label"], d.arrays["clean_label"], d.arrays["flipped"]
  np.testing.assert_array_equal(y[f], np.asarray(mapping)[clean[f]])
  assert not f[clean >= 4].any()
  assert abs(f[clean < 4].mean() - 0.4) < 0.03
  default = transforms.label_noise(_toy(), seed=2, rate=0.3, kind="asymmetric")
  g = default.arrays["flipped"]
  np.testing.assert_array_equal(default.arrays["label"][g], (default.arrays["clean_label"][g] + 1) % 10)
  with pytest.raises(ValueError, match="rate"):
    transforms.label_noise(_toy(), seed=0, rate=1.5)


def test_noise_is_deterministic_in_seed():
  a = transforms.label_noise(_toy(), seed=5, rate=0.3).arrays["label"]
  b = transforms.label_noise(_toy(), seed=5, rate=0.3).arrays["label"]
  c = transforms.label_noise(_toy(), seed=6, rate=0.3).arrays["label"]
  np.testing.assert_array_equal(a, b)
  assert (a != c).any()


@pytest.mark.parametrize("ratio", [10, 100])
def test_long_tail_counts_follow_the_exponential_profile(ratio):
  d = transforms.long_tail(_toy(), seed=0, imbalance_ratio=ratio)
  counts = d.class_counts()
  np.testing.assert_array_equal(counts, np.floor(2000 * ratio ** (-np.arange(10) / 9)).astype(int))
  assert counts[0] / counts[-1] == pytest.approx(ratio, rel=0.02)
  assert (np.diff(counts) <= 0).all() and d.meta["long_tail"]["counts"] == counts.tolist()
  rev = transforms.long_tail(_toy(), seed=0, imbalance_ratio=ratio, order=list(range(9, -1, -1)))
  np.testing.assert_array_equal(rev.class_counts(), counts[::-1])
  # kept rows are unchanged rows of the source
  src = _toy()
  rows = {r.tobytes() for r in src.arrays["x"]}
  assert all(r.tobytes() in rows for r in d.arrays["x"])


def test_held_out_classes_are_disjoint_and_relabelled():
  src = _toy()
  seen = transforms.held_out_classes(src, seed=3, keep="seen", num_held_out=4)
  unseen = transforms.held_out_classes(src, seed=3, keep="unseen", num_held_out=4)
  assert set(seen.arrays["original_label"]) == set(range(6)) and set(unseen.arrays["original_label"]) == {6, 7, 8, 9}
  assert seen.num_classes == 6 and unseen.num_classes == 4
  assert set(seen.arrays["label"]) == set(range(6)) and set(unseen.arrays["label"]) == set(range(4))
  assert len(seen) + len(unseen) == len(src)
  r1 = transforms.held_out_classes(src, seed=3, keep="seen", num_held_out=5, random=True)
  r2 = transforms.held_out_classes(src, seed=3, keep="unseen", num_held_out=5, random=True)
  assert not set(r1.arrays["original_label"]) & set(r2.arrays["original_label"])
  assert len(set(r1.arrays["original_label"]) | set(r2.arrays["original_label"])) == 10


def test_two_view_1d_and_image():
  rng = np.random.default_rng(0)
  seq = core.Dataset("s", "train", {"x": rng.standard_normal((50, 40)).astype(np.float32),
                                    "label": np.arange(50) % 10}, {"num_classes": 10})
  d = transforms.two_view(seq, seed=0, kind="1d", max_shift=3, scale=(1.0, 1.0), noise=0.0, copies=2)
  assert d.arrays["x"].shape == (100, 2, 40) and len(d.arrays["label"]) == 100
  # with no scale or noise, each view is a circular shift of its source by at most 3
  for i in range(100):
    src = seq.arrays["x"][i % 50]
    for v in range(2):
      assert any(np.array_equal(np.roll(src, s), d.arrays["x"][i, v]) for s in range(-3, 4))
  assert not np.array_equal(d.arrays["x"][:, 0], d.arrays["x"][:, 1])
  noisy = transforms.two_view(seq, seed=0, kind="1d", max_shift=0, scale=(1.0, 1.0), noise=0.1)
  assert np.std(noisy.arrays["x"][:, 0] - seq.arrays["x"]) == pytest.approx(0.1, rel=0.1)
  img = core.Dataset("i", "train", {"x": rng.random((30, 8, 8, 3)).astype(np.float32),
                                    "label": np.zeros(30, int)}, {"num_classes": 1})
  d = transforms.two_view(img, seed=1, kind="image", pad=2, flip=True)
  assert d.arrays["x"].shape == (30, 2, 8, 8, 3)
  # every view is a crop of the padded source, possibly flipped
  for i in range(30):
    padded = np.pad(img.arrays["x"][i], ((2, 2), (2, 2), (0, 0)))
    crops = [padded[a:a + 8, b:b + 8] for a in range(5) for b in range(5)]
    for v in range(2):
      assert any(np.array_equal(c, d.arrays["x"][i, v]) or np.array_equal(c[:, ::-1], d.arrays["x"][i, v])
                 for c in crops)


def test_process_shard_and_subsample():
  src = _toy(n=100)
  parts = [transforms.process_shard(src, index=i, count=4) for i in range(4)]
  assert [len(p) for p in parts] == [25] * 4
  np.testing.assert_array_equal(np.sort(np.concatenate([p.arrays["x"][:, 0] for p in parts])),
                                np.sort(src.arrays["x"][:, 0]))
  assert len(transforms.process_shard(src)) == 100  # one process here
  with pytest.raises(ValueError, match="index"):
    transforms.process_shard(src, index=4, count=4)
  s = transforms.subsample(_toy(), seed=0, fraction=0.1, stratified=True)
  assert s.class_counts().tolist() == [200] * 10
  assert len(transforms.subsample(_toy(), seed=0, size=123)) == 123


def test_apply_transforms_from_a_config_list():
  d = core.apply_transforms(_toy(), [dict(name="long_tail", imbalance_ratio=10),
                                     dict(name="label_noise", rate=0.2)], seed=0)
  assert "flipped" in d.arrays and d.meta["long_tail"]["counts"][0] == 2000
