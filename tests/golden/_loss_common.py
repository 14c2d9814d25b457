"""Shared inputs of the loss regeneration scripts (float64 logits with a few extreme rows)."""
import numpy as np


def classification_inputs(seed=0, n=12, c=5):
  rng = np.random.default_rng(seed)
  logits = rng.normal(size=(n, c)) * 2.0
  logits[0] = [8.0, -8.0, 0.0, 1.0, -1.0]        # confident and right/wrong rows
  logits[1] = [-6.0, 7.0, 0.0, 0.5, 0.0]
  logits[2] = 0.0                                 # ties
  labels = rng.integers(0, c, size=n)
  labels[0], labels[1] = 0, 0
  counts = np.asarray([500, 120, 40, 10, 3], np.float64)
  return logits, labels, counts
