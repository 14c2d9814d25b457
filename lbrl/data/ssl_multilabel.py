"""A small multi-label retrieval set for DEXML's mechanism test (slug ``dexml``): superposed MNIST-1D.

Each example is the sum of ``k`` MNIST-1D signals of distinct classes (k uniform in 1..``max_labels``,
drawn once per split from ``default_rng([seed, split id])``), its label the multi-hot ``[10]`` float32
vector of those classes: a query whose relevant labels are several, as in extreme multi-label
classification, where a dual encoder scores every label. Registered as the dataset
``mnist1d_multilabel`` (``data.options``: ``max_labels``, ``seed``).
"""
from __future__ import annotations

import dataclasses
import zlib

import numpy as np

from lbrl.data import core


def superpose(x: np.ndarray, y: np.ndarray, rng: np.random.Generator, *, max_labels: int = 3, num_classes: int = 10):
  """``(x' [N, ...], multi-hot [N, C])``: example i is the sum of its own signal and k_i - 1 others of
  other, distinct classes."""
  if max_labels < 1:
    raise ValueError(f"superpose: max_labels must be >= 1, got {max_labels}")
  n = len(x)
  by_class = [np.flatnonzero(y == c) for c in range(num_classes)]
  out = np.array(x, np.float32, copy=True)
  hot = np.zeros((n, num_classes), np.float32)
  hot[np.arange(n), y] = 1.0
  ks = rng.integers(1, max_labels + 1, n)
  for i in range(n):
    others = rng.permutation([c for c in range(num_classes) if c != y[i]])[: ks[i] - 1]
    for c in others:
      out[i] += x[rng.choice(by_class[c])]
      hot[i, c] = 1.0
  return out, hot


def load(split: str, *, data_dir: str = "", max_labels: int = 3, seed: int = 0, **options):
  base = core.load("mnist1d", split, data_dir=data_dir, **options)
  rng = np.random.default_rng([int(seed), zlib.crc32(split.encode())])
  x, hot = superpose(np.asarray(base.arrays["x"]), np.asarray(base.arrays["label"]), rng, max_labels=max_labels,
                     num_classes=int(base.num_classes or 10))
  arrays = dict(base.arrays, x=x, label=hot)
  return dataclasses.replace(base, name="mnist1d_multilabel", arrays=arrays,
                             meta={**base.meta, "multilabel": dict(max_labels=max_labels, seed=seed)})
