"""Datasets for deep metric learning: the held-out-class protocol over any registered dataset.

``load_held_out(split, base=..., num_held_out=...)`` is a dataset (declared as ``held_out_classes``): a
training split holds the *seen* classes of ``base``'s split, the eval split (``test`` or any split named in
``unseen_splits``) the *unseen* ones (every example of them, relabelled ``0..K-1``), so a config trains on
one half of the classes and retrieves on the other, the standard protocol of CUB-200 / Cars196 / SOP
(Oh Song et al. 2016). Built on :func:`lbrl.data.transforms.held_out_classes` (the last classes are held
out, or a ``seed``-random choice with ``random=True``). ``unseen_pool="all"`` evaluates on the unseen
classes' examples of both ``train`` and ``test`` (a larger retrieval gallery; nothing of them is trained on).
``degrade=dict(fraction, noise, seed)`` turns part of every split into low-quality images with a per-example
``quality`` level (:func:`degrade_split`; the adaface config's protocol). :func:`held_out_digits` writes the
protocol the metric-learning configs share into a config.
"""
from __future__ import annotations

import numpy as np

from lbrl.data import core, transforms


def load_held_out(split: str, *, data_dir: str = "", base: str = "mnist5k", num_held_out: int | None = None,
                  held_out=None, random: bool = False, seed: int = 0, unseen_splits=("test",),
                  unseen_pool: str = "split", degrade: dict | None = None, **options):
  """``degrade``: options of :func:`degrade_images` (``fraction``, ``seed``), applied to the split after the
  class selection (every split of a run, so training and evaluation both hold low-quality images)."""
  if unseen_pool not in ("split", "all"):
    raise ValueError(f"held_out_classes: unseen_pool must be 'split' or 'all', got {unseen_pool!r}")
  kw = dict(seed=seed, num_held_out=num_held_out, held_out=held_out, random=random)
  if split.split("[")[0] not in tuple(unseen_splits):
    out = transforms.held_out_classes(core.load(base, split, data_dir=data_dir, **options), keep="seen", **kw)
  else:
    data = core.load(base, split, data_dir=data_dir, **options)
    if unseen_pool == "all":
      other = core.load(base, "train", data_dir=data_dir, **options)
      arrays = {k: np.concatenate([other.arrays[k], data.arrays[k]]) for k in data.arrays if k in other.arrays}
      data = core.Dataset(data.name, split, arrays, dict(data.meta))
    out = transforms.held_out_classes(data, keep="unseen", **kw)
  return out if degrade is None else degrade_split(out, **dict(degrade))


SEVERITY_SIZES = (None, 14, 10, 7)    # severity 0..3: the side an image is downscaled to (None: untouched)


def degrade_images(x, severity, *, noise: float = 0.1, seed: int = 0) -> np.ndarray:
  """Low-quality versions of images ``x [N, H, W]`` (values in [0, 1]), per example ``severity`` in 0..3:
  severity ``s > 0`` downscales to ``SEVERITY_SIZES[s]`` pixels a side and back (bilinear,
  ``jax.image.resize``: the detail is lost, the size kept) and adds Gaussian pixel noise of standard
  deviation ``noise * s``, clipped to [0, 1]; severity 0 leaves the image unchanged. The synthetic image
  quality of lbrl's AdaFace protocol (configs/adaface.py): the paper's claim is about low-quality faces
  (blurred, low-resolution, noisy), where the feature norm should track quality."""
  import jax
  import jax.numpy as jnp
  x = np.asarray(x, np.float32)
  sev = np.asarray(severity)
  if x.ndim != 3 or sev.shape != x.shape[:1]:
    raise ValueError(f"degrade_images: x must be [N, H, W] and severity [N], got {x.shape} and {sev.shape}")
  if sev.size and (sev.min() < 0 or sev.max() >= len(SEVERITY_SIZES)):
    raise ValueError(f"degrade_images: severity must be in 0..{len(SEVERITY_SIZES) - 1}, got {sev.min()}..{sev.max()}")
  out = x.copy()
  rng = np.random.default_rng(seed)
  h, w = x.shape[1:]
  for s in range(1, len(SEVERITY_SIZES)):
    idx = np.flatnonzero(sev == s)
    if not len(idx):
      continue
    side = SEVERITY_SIZES[s]
    small = jax.image.resize(jnp.asarray(x[idx]), (len(idx), side, side), "linear")
    back = np.asarray(jax.image.resize(small, (len(idx), h, w), "linear"))
    out[idx] = np.clip(back + rng.normal(0.0, noise * s, back.shape), 0.0, 1.0)
  return out


def degrade_split(data: core.Dataset, *, fraction: float = 0.5, noise: float = 0.1, seed: int = 0) -> core.Dataset:
  """Degrades a ``fraction`` of a split's images (:func:`degrade_images`), each chosen one with a severity
  drawn uniformly from 1..3 (the rest keep severity 0); the severity is kept per example in
  ``arrays["quality"]`` (the retrieval stage reports Recall@1 per quality level and the correlation of the
  embedding norm with it). Deterministic in (``seed``, split name)."""
  import zlib
  if not 0.0 <= fraction <= 1.0:
    raise ValueError(f"degrade: fraction must be in [0, 1], got {fraction!r}")
  n = len(data.arrays["label"])
  rng = np.random.default_rng([int(seed), zlib.crc32(data.split.encode())])
  sev = np.where(rng.random(n) < fraction, rng.integers(1, len(SEVERITY_SIZES), n), 0).astype(np.int32)
  x = degrade_images(data.arrays["x"], sev, noise=noise, seed=int(rng.integers(2**31)))
  return core.Dataset(data.name, data.split, dict(data.arrays, x=x, quality=sev), dict(data.meta))


def hide_labels(data: core.Dataset, *, seed: int, fraction: float = 0.05) -> core.Dataset:
  """Semi-supervised labels: keeps the label of a ``fraction`` of each class's examples (at least one,
  a ``seed``-random choice) and sets every other label to ``-1`` (unlabelled); the true labels stay in
  ``clean_label``. The semi_supervised_clustering_neural paper's "fewer than 5% labelled" setting."""
  if not 0.0 < fraction <= 1.0:
    raise ValueError(f"hide_labels: fraction must be in (0, 1], got {fraction!r}")
  y = np.asarray(data.arrays["label"])
  rng = np.random.default_rng(seed)
  keep = np.zeros(len(y), bool)
  for c in np.unique(y[y >= 0]):
    idx = np.flatnonzero(y == c)
    keep[rng.choice(idx, max(1, int(round(fraction * len(idx)))), replace=False)] = True
  arrays = dict(data.arrays, label=np.where(keep, y, -1).astype(y.dtype), clean_label=y)
  return core.Dataset(data.name, data.split, arrays, {**data.meta, "labelled_fraction": float(keep.mean())})


def held_out_digits(c, variant: str, *, hidden=(256, 256), steps: int = 400, paper_batch: int = 128,
                    embed_dim: int = 64, log_every: int = 100, smoke_eval_batch: int = 1000, **post) -> None:
  """The unseen-class protocol the metric-learning configs share (``configs/multi_similarity.py`` and the
  others of issue 15), written into config ``c`` in place for ``variant``: mnist5k, train on digits 0-4
  (``train[:90%]``), retrieve among every example of digits 5-9 (``unseen_pool="all"``: 2,500 embeddings;
  the smoke variant only the test split's); EmbeddingNet MLP ``784-hidden-embed_dim``, Adam lr 1e-3, batch
  128 (``paper_batch`` in the paper variant), ``steps`` updates; eval loss only; the retrieval stage on the
  eval split (``post``: its extra options; the smoke variant one k-means restart for the NMI). A config
  adds its loss, arms and rules, and ``model`` options such as ``num_classes`` with ``c.model.update``."""
  from lbrl import config as common
  c.data.update(name="held_out_classes", batch_size=common.by_variant(variant, smoke=16, cpu=128, paper=paper_batch),
                eval_batch_size=common.by_variant(variant, smoke=smoke_eval_batch, cpu=1000, paper=1000),
                split_train="train[:90%]", split_eval="test")
  c.data.options = common.free(base="mnist5k", num_held_out=5,
                               unseen_pool=common.by_variant(variant, smoke="split", cpu="all", paper="all"))
  c.model = common.free(name="embedding_net", embed_dim=embed_dim,
                        hidden=common.by_variant(variant, smoke=(16,), cpu=tuple(hidden), paper=tuple(hidden)))
  c.optimizer = common.free(name="adam", learning_rate=1e-3)
  c.steps = common.by_variant(variant, smoke=2, cpu=steps, paper=steps)
  c.log_every = common.by_variant(variant, smoke=1, cpu=log_every, paper=log_every)
  c.eval_metrics = ["loss"]
  # smoke: one k-means restart for the NMI (the key stays out of the cpu config: its training_hash is unchanged)
  c.post_training = [dict(name="retrieval", split="train[90%:]", on="eval", **post,
                          **({"nmi_restarts": 1} if variant == "smoke" else {}))]
