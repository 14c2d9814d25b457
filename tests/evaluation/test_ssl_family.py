"""The CON family's evaluations and data (issue 16, second pass) against independent computations."""
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.evaluation import ssl as E


def test_matched_accuracy_and_cluster_head_accuracy_match_a_bruteforce_matching():
  import itertools
  r = np.random.default_rng(0)
  y = r.integers(0, 3, 40)
  pred = (y + 1) % 3
  pred[:6] = r.integers(0, 3, 6)
  best = max(np.mean(np.array(p)[pred] == y) for p in itertools.permutations(range(3)))
  assert E.matched_accuracy(pred, y, num_classes=3) == pytest.approx(best)
  logits = np.eye(3)[pred] + 0.01
  assert E.cluster_head_accuracy(logits, y, num_classes=3) == pytest.approx(best)


def test_temperature_frequency_ranks_classes():
  y = np.repeat(np.arange(4), [40, 20, 10, 5])
  tau = np.array([0.9, 0.7, 0.6, 0.3])[y]                          # frequent classes warmer
  out = E.temperature_frequency(tau, y)
  assert out["spearman"] == pytest.approx(1.0) and out["head_minus_tail"] == pytest.approx(0.35)
  assert E.temperature_frequency(-tau, y)["spearman"] == pytest.approx(-1.0)
  with pytest.raises(ValueError, match="3 classes"):
    E.temperature_frequency(tau[:60], y[:60] % 2)


def test_frechet_distance_matches_the_gaussian_closed_form():
  r = np.random.default_rng(1)
  a = r.standard_normal((20000, 2)) * [1.0, 2.0]
  b = r.standard_normal((20000, 2)) * [3.0, 0.5] + [1.0, -1.0]
  # diagonal covariances: |mu|^2 + sum (s_a - s_b)^2
  want = 2.0 + (1 - 3) ** 2 + (2 - 0.5) ** 2
  assert E.frechet_distance(a, b) == pytest.approx(want, rel=0.03)
  assert E.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)


def test_offline_sets_superpose_radar_bags_and_tasks():
  from lbrl.data import core, ssl_faces, ssl_multilabel, ssl_multimodal, ssl_tasks
  r = np.random.default_rng(2)
  x, y = r.standard_normal((30, 8)).astype(np.float32), np.arange(30) % 5
  xs, hot = ssl_multilabel.superpose(x, y, np.random.default_rng(0), max_labels=3, num_classes=5)
  assert (hot[np.arange(30), y] == 1).all() and set(hot.sum(1)) <= {1.0, 2.0, 3.0}
  k1 = hot.sum(1) == 1
  np.testing.assert_array_equal(xs[k1], x[k1])                     # single-label examples are unchanged
  rv = ssl_multimodal.radar_view(x, np.random.default_rng(0), block=4, noise=0.0)
  coarse = x.reshape(30, 2, 4).mean(-1)
  ratio = rv[:, ::4] / coarse
  assert np.allclose(ratio, ratio[:, :1]) and (ratio > 0.49).all() and (ratio < 1.51).all()
  imgs = r.random((20, 4, 4)).astype(np.float32)
  packed, lab = ssl_faces.make_bags(imgs, np.arange(20) % 10, np.random.default_rng(0), slots=3)
  for i in range(20):
    for f in np.flatnonzero(lab[i] >= 0):
      assert packed[i, lab[i, f], -1] >= 0 and packed[i, f, -2] == 1
  d = core.Dataset("toy", "train", {"x": x, "label": y}, {"num_classes": 5})
  t = ssl_tasks.class_task(d, classes=[1, 3])
  assert set(t.arrays["label"].tolist()) == {1, 3} and t.num_classes == 5
  with pytest.raises(ValueError, match="no example"):
    ssl_tasks.class_task(d, classes=[7])
