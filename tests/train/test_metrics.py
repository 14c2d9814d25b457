"""Evaluation metrics against direct per-example computations."""
import numpy as np
import optax

from lbrl import metrics


def test_top_k_accuracy_counts_labels_ranked_within_k():
  rng = np.random.default_rng(0)
  logits, labels = rng.normal(size=(500, 30)), rng.integers(0, 30, size=500)
  rank = np.array([np.sum(row > row[y]) for row, y in zip(logits, labels)])   # classes strictly above y
  for k in (5, 10):
    got = metrics.compute([f"top{k}_accuracy"], logits, labels, None)[f"top{k}_accuracy"]
    assert got == np.mean(rank < k)
  assert metrics.compute(["top5_accuracy"], logits, labels, None)["top5_accuracy"] < metrics.compute(["top10_accuracy"], logits, labels, None)["top10_accuracy"]
  np.testing.assert_allclose(metrics.compute(["accuracy"], logits, labels, None)["accuracy"], np.mean(rank == 0))


def test_softmax_collapse_and_zero_loss_fraction():
  # Logit gaps above ~17 make every exp(z_k - max) < 2^-24 relative to 1: the float32 sum rounds to 1.
  logits = np.array([[0.0, 0.0, 0.0],         # uniform: no collapse
                     [20.0, 0.0, 0.0],        # 2 e^-20 ~ 4e-9 < 2^-24 / 2: absorbed
                     [15.0, 0.0, 0.0],        # 2 e^-15 ~ 6e-7: not absorbed
                     [0.0, 200.0, -5.0]], np.float32)
  labels = np.array([0, 0, 0, 1])
  assert metrics.compute(["softmax_collapse"], logits, labels, None)["softmax_collapse"] == 0.5
  # float32 softmax cross-entropy is exactly 0 on the collapsed rows (their true loss is ~4e-9 and ~1e-87)
  ce = np.asarray(optax.softmax_cross_entropy_with_integer_labels(logits, labels))
  np.testing.assert_array_equal(ce == 0, [False, True, False, True])
  assert metrics.compute(["zero_loss_fraction"], logits, labels, ce)["zero_loss_fraction"] == 0.5
  assert metrics.compute(["zero_loss_fraction"], logits, labels, np.array([1.0, 1e-30, 0.0, 2.0]))["zero_loss_fraction"] == 0.25


def test_entity_f1_metric_skips_the_background_class():
  labels = np.array([0, 0, 1, 1, 2, 0, 2, 0])
  pred = np.array([0, 1, 1, 2, 2, 0, 0, 0])
  logits = np.eye(3)[pred]
  tp, fp, fn = 2, 2, 2           # tp: idx 2, 4; fp: idx 1 (O->1), 3 (1->2); fn: idx 3, 6
  assert metrics.compute(["entity_f1"], logits, labels, None)["entity_f1"] == 2 * tp / (2 * tp + fp + fn)
  binary = np.array([0, 1, 1, 0, 1])
  guess = np.array([0, 1, 0, 1, 1])
  want = 2 * 2 / (2 * 2 + 1 + 1)  # the F1 of class 1
  assert metrics.compute(["entity_f1"], np.eye(2)[guess], binary, None)["entity_f1"] == want
  assert metrics.compute(["entity_f1"], np.eye(2)[np.zeros(4, int)], np.zeros(4, int))["entity_f1"] == 0.0
