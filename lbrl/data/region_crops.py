"""Region crops of 1-D signals, drawn once per example as FKD/FerKD pre-generate them (slug ``ferkd``).

FKD (Shen and Xing, "A Fast Knowledge Distillation Framework for Visual Recognition", ECCV 2022,
arXiv:2112.01528) and FerKD (Shen, "FerKD: Surgical Label Adaptation for Efficient Distillation", ICCV
2023, arXiv:2312.17473) train the student on RandomResizedCrop regions of each image whose crop
coordinates (and teacher soft labels) were generated once, before training. :func:`region_crops` is that
for sequences ``[N, L]`` / ``[N, L, C]``: ``copies`` random-resized crops per example, each a window of
``round(s * L)`` positions, ``s ~ U(scale)``, at a uniform offset, resampled to ``L`` positions by linear
interpolation (the 1-D analogue of RandomResizedCrop without the aspect ratio). Small windows often miss
the informative part of the signal: the "hard negatives" FerKD recalibrates.

SelfMix (FerKD): a mixing augmentation inside one image, so the mixed regions and their soft
labels vary less than with CutMix across images. lbrl's 1-D reading: with probability ``selfmix`` a crop
gets a contiguous segment of ``round((1 - lam) * L)`` positions, ``lam ~ U(0, 1)`` (CutMix's Beta(1, 1)),
at a uniform offset, replaced by the same positions of a second crop of the *same* example; the class
label is unchanged (both regions come from one example) and the teacher, evaluated online on the mixed
input, gives its soft label. The paper's exact region-matching rule ("mixing similar regions") was not
reachable offline; this is the plain same-image CutMix.

Registered as the TRANSFORMS entry ``region_crops``::

    c.data.transforms = [dict(name="region_crops", copies=4, scale=(0.25, 1.0), selfmix=0.0)]

Records per example ``crop_start``, ``crop_width`` (in input positions) and ``selfmix_lambda`` (1 where
not mixed); ``source_index`` is the example a crop came from.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from lbrl.data.core import Dataset


def resized_crop(x: np.ndarray, start: np.ndarray, width: np.ndarray) -> np.ndarray:
  """``x [N, L, ...]``: row ``i``'s window ``[start_i, start_i + width_i)`` linearly resampled to ``L``
  positions (sample ``j`` at ``start + (j + 0.5) * width / L - 0.5``, clipped to the window)."""
  n, length = x.shape[:2]
  start = np.asarray(start, np.float64)[:, None]
  width = np.asarray(width, np.float64)[:, None]
  pos = start + (np.arange(length)[None, :] + 0.5) * width / length - 0.5
  pos = np.clip(pos, start, start + width - 1)
  lo = np.floor(pos).astype(np.int64)
  hi = np.minimum(lo + 1, length - 1)
  frac = (pos - lo).reshape(pos.shape + (1,) * (x.ndim - 2))
  rows = np.arange(n)[:, None]
  return ((1.0 - frac) * x[rows, lo] + frac * x[rows, hi]).astype(x.dtype)


def _draw(rng: np.random.Generator, n: int, length: int, scale) -> tuple[np.ndarray, np.ndarray]:
  width = np.clip(np.round(rng.uniform(scale[0], scale[1], n) * length), 2, length).astype(np.int64)
  start = rng.integers(0, length - width + 1)
  return start, width


def region_crops(data: Dataset, *, seed: int, copies: int = 4, scale=(0.25, 1.0), selfmix: float = 0.0) -> Dataset:
  """``copies`` random-resized crops per example (``x [N, L, ...] -> [copies * N, L, ...]``; see the
  module doc). ``scale``: the range of the window's fraction of ``L``; ``selfmix``: the probability that a
  crop is mixed with another crop of its own example."""
  if int(copies) < 1:
    raise ValueError(f"region_crops: copies must be >= 1, got {copies}")
  lo, hi = (float(v) for v in scale)
  if not 0.0 < lo <= hi <= 1.0:
    raise ValueError(f"region_crops: scale must be (lo, hi) with 0 < lo <= hi <= 1, got {tuple(scale)}")
  if not 0.0 <= float(selfmix) <= 1.0:
    raise ValueError(f"region_crops: selfmix must be a probability in [0, 1], got {selfmix}")
  x = np.asarray(data.arrays["x"])
  if x.ndim < 2 or x.shape[1] < 2:
    raise ValueError(f"region_crops: x must be sequences [N, L >= 2, ...], got shape {x.shape}")
  n, length = x.shape[:2]
  rng = np.random.default_rng([int(seed), 0xC40B])
  source = np.tile(np.arange(n), int(copies))
  start, width = _draw(rng, len(source), length, (lo, hi))
  out = resized_crop(x[source], start, width)
  lam = np.ones(len(source))
  mixed = rng.random(len(source)) < float(selfmix)
  if mixed.any():
    m = np.flatnonzero(mixed)
    s2, w2 = _draw(rng, len(m), length, (lo, hi))
    other = resized_crop(x[source[m]], s2, w2)
    lam[m] = rng.uniform(0.0, 1.0, len(m))
    cut = np.round((1.0 - lam[m]) * length).astype(np.int64)
    off = rng.integers(0, length - cut + 1)
    inside = (np.arange(length)[None, :] >= off[:, None]) & (np.arange(length)[None, :] < (off + cut)[:, None])
    inside = inside.reshape(inside.shape + (1,) * (x.ndim - 2))
    out[m] = np.where(inside, other, out[m])
    lam[m] = 1.0 - cut / length
  arrays = {k: np.asarray(v)[source] for k, v in data.arrays.items() if k != "x"}
  arrays.update(x=out, source_index=source, crop_start=start, crop_width=width, selfmix_lambda=lam.astype(np.float32))
  meta = {**data.meta, "region_crops": dict(copies=int(copies), scale=(lo, hi), selfmix=float(selfmix))}
  return dataclasses.replace(data, arrays=arrays, meta=meta)
