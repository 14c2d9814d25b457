"""Datasets for deep metric learning: the held-out-class protocol over any registered dataset.

``load_held_out(split, base=..., num_held_out=...)`` is a dataset (declared as ``held_out_classes``): a
training split holds the *seen* classes of ``base``'s split, the eval split (``test`` or any split named in
``unseen_splits``) the *unseen* ones (every example of them, relabelled ``0..K-1``), so a config trains on
one half of the classes and retrieves on the other, the standard protocol of CUB-200 / Cars196 / SOP
(Oh Song et al. 2016). Built on :func:`lbrl.data.transforms.held_out_classes` (the last classes are held
out, or a ``seed``-random choice with ``random=True``). ``unseen_pool="all"`` evaluates on the unseen
classes' examples of both ``train`` and ``test`` (a larger retrieval gallery; nothing of them is trained on).
"""
from __future__ import annotations

import numpy as np

from lbrl.data import core, transforms


def load_held_out(split: str, *, data_dir: str = "", base: str = "mnist5k", num_held_out: int | None = None,
                  held_out=None, random: bool = False, seed: int = 0, unseen_splits=("test",),
                  unseen_pool: str = "split", **options):
  if unseen_pool not in ("split", "all"):
    raise ValueError(f"held_out_classes: unseen_pool must be 'split' or 'all', got {unseen_pool!r}")
  kw = dict(seed=seed, num_held_out=num_held_out, held_out=held_out, random=random)
  if split.split("[")[0] not in tuple(unseen_splits):
    return transforms.held_out_classes(core.load(base, split, data_dir=data_dir, **options), keep="seen", **kw)
  data = core.load(base, split, data_dir=data_dir, **options)
  if unseen_pool == "all":
    other = core.load(base, "train", data_dir=data_dir, **options)
    arrays = {k: np.concatenate([other.arrays[k], data.arrays[k]]) for k in data.arrays if k in other.arrays}
    data = core.Dataset(data.name, split, arrays, dict(data.meta))
  return transforms.held_out_classes(data, keep="unseen", **kw)
