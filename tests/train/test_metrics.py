"""Evaluation metrics against direct per-example computations."""
import numpy as np

from lbrl.train.metrics import METRICS


def test_top_k_accuracy_counts_labels_ranked_within_k():
  rng = np.random.default_rng(0)
  logits, labels = rng.normal(size=(500, 30)), rng.integers(0, 30, size=500)
  rank = np.array([np.sum(row > row[y]) for row, y in zip(logits, labels)])   # classes strictly above y
  for k in (5, 10):
    got = METRICS.get(f"top{k}_accuracy")(logits, labels, None)
    assert got == np.mean(rank < k)
  assert METRICS.get("top5_accuracy")(logits, labels, None) < METRICS.get("top10_accuracy")(logits, labels, None)
  np.testing.assert_allclose(METRICS.get("accuracy")(logits, labels, None), np.mean(rank == 0))
