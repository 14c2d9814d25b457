"""Dataset transforms, applied to the training split from a config::

    c.data.transforms = [dict(name="label_noise", rate=0.4, kind="symmetric")]

Each is ``fn(data: Dataset, *, seed: int, **kwargs) -> Dataset`` registered in
:data:`lbrl.registry.TRANSFORMS`, pure given ``seed`` (numpy ``default_rng``), returning a new
Dataset; what a transform did is recorded in ``meta`` and, per example, in extra arrays.

- ``label_noise``: symmetric (a flipped label is uniform over the *other* classes) or asymmetric
  (a flipped label goes to ``mapping[y]``, default the next class ``(y + 1) mod C``; Patrini et al.,
  2017, arXiv:1609.03683, use class pairs such as truck->automobile on CIFAR-10). Each example is
  flipped independently with probability ``rate``. Adds ``clean_label`` and the boolean ``flipped``.
- ``long_tail``: keeps ``n_k = floor(n_max * ratio^(-k/(C-1)))`` examples of class ``k`` (the
  exponential profile of Cui et al., "Class-Balanced Loss Based on Effective Number of Samples", 2019,
  arXiv:1901.05555), so ``n_0 / n_{C-1} = imbalance_ratio``; ``n_max`` defaults to the smallest class
  count so that every class can supply its quota. ``order`` permutes which class is the head.
- ``held_out_classes``: the examples of a subset of classes, relabelled ``0..K-1`` (retrieval / open-set
  splits: train on ``seen``, evaluate retrieval on ``unseen``); by default the last
  ``num_held_out`` classes are unseen, as in CUB-200 retrieval (first 100 classes train, last 100 test).
- ``two_view``: ``x -> [N, 2, ...]`` two independent random augmentations of each example for
  contrastive learning (``augment_1d`` for sequences: random circular shift, scale, additive noise;
  ``augment_image``: random crop with padding, horizontal flip, additive noise). The views are drawn
  once, when the transform runs; ``copies=k`` stacks ``k`` independently augmented copies of the set.
- ``process_shard``: this process's share of a source (rows ``index::count``), for per-host input.
- ``subsample``: a random subset of ``size`` examples (or ``fraction``), optionally class-stratified.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from lbrl.data.core import Dataset


def _labels(data: Dataset, fn: str) -> tuple[np.ndarray, int]:
  if "label" not in data.arrays or data.arrays["label"].ndim != 1:
    raise ValueError(f"{fn}: dataset {data.name!r} has no per-example class 'label'")
  y = data.arrays["label"]
  c = data.num_classes if data.num_classes is not None else int(y.max()) + 1
  return y, int(c)


def _replace(data: Dataset, arrays: dict, **meta) -> Dataset:
  return dataclasses.replace(data, arrays=arrays, meta={**data.meta, **meta})


def _take(data: Dataset, idx: np.ndarray, **meta) -> Dataset:
  return _replace(data, data.gather(np.asarray(idx, np.int64)), **meta)


def label_noise(data: Dataset, *, seed: int, rate: float, kind: str = "symmetric",
                mapping: list[int] | None = None) -> Dataset:
  """Flips each label with probability ``rate`` (see the module doc); records ``flipped``/``clean_label``."""
  if not 0.0 <= rate <= 1.0:
    raise ValueError(f"label_noise: rate must be in [0, 1], got {rate}")
  if kind not in ("symmetric", "asymmetric"):
    raise ValueError(f"label_noise: kind must be 'symmetric' or 'asymmetric', got {kind!r}")
  y, c = _labels(data, "label_noise")
  rng = np.random.default_rng(seed)
  flip = rng.random(len(y)) < rate
  if kind == "symmetric":
    target = (y + rng.integers(1, c, len(y))) % c  # uniform over the c-1 other classes
  else:
    m = np.arange(1, c + 1) % c if mapping is None else np.asarray(mapping)
    if m.shape != (c,) or m.min() < 0 or m.max() >= c:
      raise ValueError(f"label_noise: mapping must list a target class in [0, {c}) for each of the {c} classes")
    target = m[y]
  noisy = np.where(flip, target, y).astype(y.dtype)
  flipped = noisy != y  # an asymmetric map may send a class to itself
  arrays = {**data.arrays, "label": noisy, "clean_label": y, "flipped": flipped}
  return _replace(data, arrays, label_noise=dict(kind=kind, rate=float(rate), realized_rate=float(flipped.mean())))


def long_tail(data: Dataset, *, seed: int, imbalance_ratio: float, n_max: int | None = None,
              order: list[int] | None = None) -> Dataset:
  """Exponential long-tailed subsample with head/tail count ratio ``imbalance_ratio``."""
  if imbalance_ratio < 1:
    raise ValueError(f"long_tail: imbalance_ratio must be >= 1, got {imbalance_ratio}")
  y, c = _labels(data, "long_tail")
  counts = np.bincount(y, minlength=c)
  n_max = int(counts.min() if n_max is None else n_max)
  order = np.arange(c) if order is None else np.asarray(order)
  if sorted(order.tolist()) != list(range(c)):
    raise ValueError(f"long_tail: order must be a permutation of range({c})")
  quota = np.floor(n_max * float(imbalance_ratio) ** (-np.arange(c) / max(c - 1, 1))).astype(int)
  quota = np.maximum(quota, 1)
  rng = np.random.default_rng(seed)
  keep = []
  for rank, k in enumerate(order):
    members = np.flatnonzero(y == k)
    if quota[rank] > len(members):
      raise ValueError(f"long_tail: class {k} has {len(members)} examples, fewer than its quota {quota[rank]} "
                       f"(lower n_max)")
    keep.append(rng.choice(members, quota[rank], replace=False))
  idx = np.sort(np.concatenate(keep))
  new_counts = np.bincount(y[idx], minlength=c)
  return _take(data, idx, long_tail=dict(imbalance_ratio=float(imbalance_ratio), counts=new_counts.tolist()))


def held_out_classes(data: Dataset, *, seed: int, keep: str = "seen", num_held_out: int | None = None,
                     held_out: list[int] | None = None, random: bool = False) -> Dataset:
  """Examples of the ``seen`` (or ``unseen``) classes only, relabelled to ``0..K-1`` in class order.

  The unseen classes are ``held_out`` if given, else ``num_held_out`` classes (default half): the last
  ones, or a ``seed``-random choice with ``random=True`` (use the same seed for both splits).
  """
  if keep not in ("seen", "unseen"):
    raise ValueError(f"held_out_classes: keep must be 'seen' or 'unseen', got {keep!r}")
  y, c = _labels(data, "held_out_classes")
  if held_out is None:
    k = c // 2 if num_held_out is None else int(num_held_out)
    if not 0 < k < c:
      raise ValueError(f"held_out_classes: num_held_out must be in (0, {c}), got {k}")
    held_out = (np.random.default_rng(seed).permutation(c)[:k] if random else np.arange(c - k, c))
  unseen = np.unique(np.asarray(held_out, int))
  if unseen.size == 0 or unseen.min() < 0 or unseen.max() >= c or unseen.size == c:
    raise ValueError(f"held_out_classes: held_out must be a proper non-empty subset of range({c}), got {held_out}")
  classes = unseen if keep == "unseen" else np.setdiff1d(np.arange(c), unseen)
  idx = np.flatnonzero(np.isin(y, classes))
  relabel = np.full(c, -1, np.int64)
  relabel[classes] = np.arange(len(classes))
  arrays = data.gather(idx)
  arrays["original_label"] = arrays["label"]
  arrays["label"] = relabel[arrays["label"]].astype(y.dtype)
  return _replace(data, arrays, num_classes=len(classes), classes=classes.tolist(), held_out=unseen.tolist())


def augment_1d(rng: np.random.Generator, x: np.ndarray, *, max_shift: int = 5, scale: tuple = (0.8, 1.2),
               noise: float = 0.05) -> np.ndarray:
  """Sequences ``[N, L]`` (or ``[N, L, C]``): circular shift by U{-max_shift..max_shift}, amplitude scale
  U(scale), additive N(0, noise^2)."""
  n, length = x.shape[:2]
  shift = rng.integers(-max_shift, max_shift + 1, n)
  idx = (np.arange(length)[None, :] - shift[:, None]) % length
  out = np.take_along_axis(x, idx.reshape(idx.shape + (1,) * (x.ndim - 2)), axis=1)
  s = rng.uniform(scale[0], scale[1], (n,) + (1,) * (x.ndim - 1))
  return (out * s + noise * rng.standard_normal(x.shape)).astype(x.dtype)


def augment_image(rng: np.random.Generator, x: np.ndarray, *, pad: int = 4, flip: bool = True,
                  noise: float = 0.0) -> np.ndarray:
  """Images ``[N, H, W(, C)]``: random crop of the zero-padded image (``pad`` pixels each side), random
  horizontal flip, additive N(0, noise^2)."""
  squeeze = x.ndim == 3
  if squeeze:
    x = x[..., None]
  n, h, w = x.shape[:3]
  padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
  dy, dx = rng.integers(0, 2 * pad + 1, n), rng.integers(0, 2 * pad + 1, n)
  rows = dy[:, None] + np.arange(h)[None, :]
  cols = dx[:, None] + np.arange(w)[None, :]
  out = padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]
  if flip:
    f = rng.random(n) < 0.5
    out[f] = out[f, :, ::-1]
  if noise:
    out = out + noise * rng.standard_normal(out.shape)
  out = out.astype(x.dtype)
  return out[..., 0] if squeeze else out


def two_view(data: Dataset, *, seed: int, kind: str = "1d", copies: int = 1, **aug) -> Dataset:
  """``x [N, ...] -> [copies*N, 2, ...]``: two independent augmentations per example (``kind`` "1d" or
  "image"; ``aug`` are the keyword arguments of :func:`augment_1d` / :func:`augment_image`)."""
  fn = {"1d": augment_1d, "image": augment_image}.get(kind)
  if fn is None:
    raise ValueError(f"two_view: kind must be '1d' or 'image', got {kind!r}")
  if int(copies) < 1:
    raise ValueError(f"two_view: copies must be >= 1, got {copies}")
  rng = np.random.default_rng(seed)
  x = data.arrays["x"]
  views = [np.stack([fn(rng, x, **aug), fn(rng, x, **aug)], axis=1) for _ in range(int(copies))]
  arrays = {k: np.concatenate([v] * int(copies)) for k, v in data.arrays.items() if k != "x"}
  arrays["x"] = np.concatenate(views)
  return _replace(data, arrays, two_view=dict(kind=kind, copies=int(copies), **aug))


def process_shard(data: Dataset, *, seed: int = 0, index: int | None = None, count: int | None = None) -> Dataset:
  """Rows ``index, index + count, ...`` (defaults: ``jax.process_index()`` of ``jax.process_count()``)."""
  if index is None or count is None:
    import jax
    index = jax.process_index() if index is None else index
    count = jax.process_count() if count is None else count
  if not 0 <= index < count:
    raise ValueError(f"process_shard: need 0 <= index < count, got index={index}, count={count}")
  return _take(data, np.arange(index, len(data), count), process_shard=dict(index=index, count=count))


def subsample(data: Dataset, *, seed: int, size: int | None = None, fraction: float | None = None,
              stratified: bool = False) -> Dataset:
  """A random subset of ``size`` examples (or ``round(fraction * N)``); class proportions kept if
  ``stratified``."""
  if (size is None) == (fraction is None):
    raise ValueError("subsample: give exactly one of size and fraction")
  n = int(size) if size is not None else int(round(float(fraction) * len(data)))
  if not 0 < n <= len(data):
    raise ValueError(f"subsample: size must be in (0, {len(data)}], got {n}")
  rng = np.random.default_rng(seed)
  if not stratified:
    idx = rng.choice(len(data), n, replace=False)
  else:
    y, c = _labels(data, "subsample")
    idx = np.concatenate([rng.choice(np.flatnonzero(y == k), int(round(n * np.mean(y == k))), replace=False)
                          for k in range(c)])
  return _take(data, np.sort(idx))
