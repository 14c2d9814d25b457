"""A paired two-modality version of MNIST-1D for Radical's mechanism test (slug
``bootstrapping_autonomous_driving_radars``): channel 0 is a "radar" rendering of each signal (coarse
resolution, strong noise, a random gain), channel 1 the clean signal (the "camera"), co-registered so a
per-step augmentation shifts both alike.

``radar = gain * repeat(mean over blocks of ``block`` samples) + noise * std(x) * N(0, 1)``, with gain ~
U(0.5, 1.5) and the noise drawn once per example from ``default_rng([seed, split id])`` (a fixed radar
"measurement" per example). Registered as the dataset ``mnist1d_radar`` (``data.options``: ``block``,
``noise``, ``seed``); ``x`` is ``[N, 40, 2]``.
"""
from __future__ import annotations

import dataclasses
import zlib

import numpy as np

from lbrl.data import core


def radar_view(x: np.ndarray, rng: np.random.Generator, *, block: int = 4, noise: float = 0.5) -> np.ndarray:
  """The degraded channel of ``x [N, L]`` (see the module docstring)."""
  n, length = x.shape
  if length % block:
    raise ValueError(f"radar_view: length {length} is not divisible by block {block}")
  coarse = np.repeat(x.reshape(n, length // block, block).mean(-1), block, axis=1)
  gain = rng.uniform(0.5, 1.5, (n, 1))
  return (gain * coarse + noise * x.std() * rng.standard_normal(x.shape)).astype(np.float32)


def load(split: str, *, data_dir: str = "", block: int = 4, noise: float = 0.5, seed: int = 0, **options):
  base = core.load("mnist1d", split, data_dir=data_dir, **options)
  x = np.asarray(base.arrays["x"], np.float32).reshape(len(base), -1)
  rng = np.random.default_rng([int(seed), zlib.crc32(split.encode())])
  arrays = dict(base.arrays, x=np.stack([radar_view(x, rng, block=block, noise=noise), x], axis=-1))
  return dataclasses.replace(base, name="mnist1d_radar", arrays=arrays,
                             meta={**base.meta, "radar": dict(block=block, noise=noise, seed=seed)})


def load_char_windows(split: str, *, data_dir: str = "", **options):
  """Tiny Shakespeare windows with TFDS-style slices of its splits (``"train[:95%]"``): the offline
  builder has only whole splits; the slice is taken over its windows in order. Registered as the dataset
  ``tiny_shakespeare_sliced`` (the masked-token probe of ``mean_berts_make_erratic`` needs a held-out
  part of the training split)."""
  name, _, _ = core.parse_split(split)
  base = core.load("tiny_shakespeare", name, data_dir=data_dir, **options)
  _, lo, hi = core.split_range(split, len(base))
  return dataclasses.replace(base, split=split, arrays={k: v[lo:hi] for k, v in base.arrays.items()})
