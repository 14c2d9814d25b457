"""G-SimCLR's pseudo-labels: k-means on the latent codes of a denoising autoencoder (a dataset transform).

G-SimCLR (Chakraborty, Gosthipaty, Paul, "G-SimCLR: Self-Supervised Contrastive Learning with Guided
Projection via Pseudo Labelling", ICDM Workshops 2020, arXiv:2009.12007, slug ``g_simclr``) trains a
denoising autoencoder on the unlabeled images, clusters its bottleneck codes with k-means into as many
clusters as the dataset has classes, and builds SimCLR batches in which no two images share a
pseudo-label, so no negative is (likely) of the anchor's own class.

:func:`pseudo_labels` (``c.data.transforms = [dict(name="pseudo_labels", ...)]``): the autoencoder is
scikit-learn's ``MLPRegressor`` (``hidden`` widths, the middle one the code; inputs corrupted by
Gaussian noise of std ``noise`` times the data's std, regressed onto the clean inputs), the clusters
scikit-learn's ``KMeans``. The pseudo-label replaces ``label`` (the true one is kept as ``clean_label``;
training never reads it), and the loss ``ntxent(exclude_same_label=True)`` drops the same-pseudo-label
negatives of each anchor: the per-anchor effect of G-SimCLR's batches (every negative of a different
pseudo-class) with the trainer's ordinary shuffled batches. :func:`distinct_label_batches` is the
paper's sampler itself (used to check that equivalence in the tests).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from lbrl.data.core import Dataset


def dae_codes(x: np.ndarray, *, seed: int, hidden=(64, 16, 64), noise: float = 0.3, iters: int = 200) -> np.ndarray:
  """Bottleneck codes ``[N, hidden[len//2]]`` of a denoising MLP autoencoder fitted on ``x [N, ...]``."""
  from sklearn.neural_network import MLPRegressor
  if len(hidden) % 2 != 1:
    raise ValueError(f"dae_codes: hidden must have an odd number of widths (a middle code layer), got {hidden}")
  x = np.asarray(x, np.float64).reshape(len(x), -1)
  x = (x - x.mean(0)) / (x.std(0) + 1e-8)
  rng = np.random.default_rng(seed)
  dae = MLPRegressor(hidden_layer_sizes=tuple(hidden), activation="relu", max_iter=int(iters),
                     random_state=int(seed) % (2 ** 31), early_stopping=False)
  dae.fit(x + noise * rng.standard_normal(x.shape), x)
  h = x
  for w, b in list(zip(dae.coefs_, dae.intercepts_))[: len(hidden) // 2 + 1]:
    h = np.maximum(h @ w + b, 0.0)
  return h


def pseudo_labels(data: Dataset, *, seed: int, num_clusters: int | None = None, hidden=(64, 16, 64),
                  noise: float = 0.3, iters: int = 200) -> Dataset:
  """Replaces ``label`` by the k-means cluster (``num_clusters``, default the number of classes) of the
  examples' denoising-autoencoder codes; keeps the true label as ``clean_label``."""
  from sklearn.cluster import KMeans
  if "label" not in data.arrays:
    raise ValueError(f"pseudo_labels: dataset {data.name!r} has no 'label' to replace")
  k = int(num_clusters or data.num_classes or int(data.arrays["label"].max()) + 1)
  if k < 2:
    raise ValueError(f"pseudo_labels: num_clusters must be >= 2, got {k}")
  codes = dae_codes(data.arrays["x"], seed=seed, hidden=hidden, noise=noise, iters=iters)
  pl = KMeans(n_clusters=k, n_init=4, random_state=int(seed) % (2 ** 31)).fit_predict(codes).astype(np.int32)
  arrays = dict(data.arrays, label=pl, clean_label=data.arrays["label"])
  purity = float(np.mean([np.bincount(data.arrays["label"][pl == c]).max() / max((pl == c).sum(), 1)
                          for c in range(k) if (pl == c).any()]))
  return dataclasses.replace(data, arrays=arrays, meta={**data.meta, "pseudo_labels": dict(
      num_clusters=k, hidden=list(hidden), noise=noise, cluster_purity=purity)})


def distinct_label_batches(labels: np.ndarray, batch_size: int, *, seed: int) -> list[np.ndarray]:
  """G-SimCLR's sampler: index batches of ``batch_size`` (<= the number of distinct labels) in which
  no two examples share a label, drawn round-robin from shuffled per-label queues until fewer than
  ``batch_size`` labels have examples left."""
  labels = np.asarray(labels)
  rng = np.random.default_rng(seed)
  queues = {int(c): list(rng.permutation(np.flatnonzero(labels == c))) for c in np.unique(labels)}
  if batch_size > len(queues):
    raise ValueError(f"distinct_label_batches: batch_size {batch_size} > {len(queues)} distinct labels")
  out = []
  while True:
    live = [c for c, q in queues.items() if q]
    if len(live) < batch_size:
      return out
    pick = rng.choice(live, batch_size, replace=False)
    out.append(np.array([queues[int(c)].pop() for c in pick]))
