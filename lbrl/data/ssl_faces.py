"""Weakly labelled face-name bags from real MNIST digits, for SECLA's mechanism test (slug
``weakly_supervised_face_naming``): the ten digit classes play ten people.

Each example is an "image-caption pair": 1..``slots`` faces (digit images of distinct classes, from
mnist5k) and the caption's names (their class ids, in a random order, so which name belongs to which
face is unknown: weak supervision). ``x [N, slots, 28 * 28 + 2]`` packs, per slot, the face's pixels, a
face-present flag and the name id of the caption's slot (-1 when empty); ``label [N, slots]`` is the
caption slot holding each face's true name (-1 for an empty face slot), used only to score the naming.
Registered as the dataset ``face_name_bags`` (``data.options``: ``slots``, ``seed``).
"""
from __future__ import annotations

import dataclasses
import zlib

import numpy as np

from lbrl.data import core


def make_bags(x: np.ndarray, y: np.ndarray, rng: np.random.Generator, *, slots: int = 3, num_ids: int = 10):
  """``(packed [N, slots, P + 2], label [N, slots])`` with one bag per source image (see the module doc)."""
  n = len(x)
  flat = np.asarray(x, np.float32).reshape(n, -1)
  by_id = [np.flatnonzero(y == c) for c in range(num_ids)]
  packed = np.zeros((n, slots, flat.shape[1] + 2), np.float32)
  packed[:, :, -1] = -1.0
  label = -np.ones((n, slots), np.int32)
  for i in range(n):
    k = rng.integers(1, slots + 1)
    ids = [int(y[i])] + list(rng.permutation([c for c in range(num_ids) if c != y[i]])[: k - 1])
    order = rng.permutation(k)                 # caption slot of each face's name
    for f, c in enumerate(ids):
      img = flat[i] if f == 0 else flat[rng.choice(by_id[c])]
      packed[i, f, :-2] = img
      packed[i, f, -2] = 1.0
      packed[i, order[f], -1] = c
      label[i, f] = order[f]
  return packed, label


def load(split: str, *, data_dir: str = "", slots: int = 3, seed: int = 0, **options):
  base = core.load("mnist5k", split, data_dir=data_dir, **options)
  rng = np.random.default_rng([int(seed), zlib.crc32(split.encode())])
  packed, label = make_bags(base.arrays["x"], np.asarray(base.arrays["label"]), rng, slots=slots)
  return dataclasses.replace(base, name="face_name_bags", arrays={"x": packed, "label": label},
                             meta={**base.meta, "num_classes": slots, "face_names": dict(slots=slots, seed=seed)})
