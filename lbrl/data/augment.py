"""Per-batch random augmentations, deterministic in (seed, step): fresh views at every step, exact resume.

The ``two_view`` transform (:mod:`lbrl.data.transforms`) draws a fixed set of augmented pairs once;
self-supervised methods see new augmentations at every step. :class:`Augment` draws them per batch:
the views of training step ``s`` come from ``numpy.random.default_rng([seed, 0xA06, s])`` applied to the
step's *global* batch (each process fills in its own rows, then keeps them), so they depend only on
(seed, step) and not on the number of processes, and a resumed run sees exactly the views an
uninterrupted one would. :class:`lbrl.data.pipeline.TrainBatches` applies it to each chunk
(``augment=``).

Kinds (``x [B, ...]`` -> ``[B, views, ...]``):
* ``"1d"``: :func:`lbrl.data.transforms.augment_1d` (circular shift, amplitude scale, Gaussian noise);
* ``"image"``: :func:`lbrl.data.transforms.augment_image` (padded random crop, flip, noise);
* ``"tokens"``: :func:`mask_tokens` (BERT-style masking of a fraction of the positions).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from lbrl.data import transforms


def mask_tokens(rng: np.random.Generator, x: np.ndarray, *, rate: float = 0.15, mask_id: int = 0) -> np.ndarray:
  """Token ids ``[N, T]``: each position replaced by ``mask_id`` with probability ``rate``."""
  if not 0.0 <= rate <= 1.0:
    raise ValueError(f"mask_tokens: rate must be in [0, 1], got {rate}")
  return np.where(rng.random(x.shape) < rate, np.asarray(mask_id, x.dtype), x)


KINDS = {"1d": transforms.augment_1d, "image": transforms.augment_image, "tokens": mask_tokens}


@dataclasses.dataclass
class Augment:
  """``views`` random augmentations of kind ``kind`` per example and step; ``options`` are the keyword
  arguments of the kind's function. ``views=1`` returns ``[B, ...]`` (one augmented copy)."""
  seed: int
  kind: str = "1d"
  views: int = 2
  options: dict = dataclasses.field(default_factory=dict)

  def __post_init__(self):
    if self.kind not in KINDS:
      raise ValueError(f"augment: kind must be one of {sorted(KINDS)}, got {self.kind!r}")
    if int(self.views) < 1:
      raise ValueError(f"augment: views must be >= 1, got {self.views}")

  def step(self, x_local: np.ndarray, step: int, rows: np.ndarray, global_batch: int) -> np.ndarray:
    """Views of this process's rows ``x_local [len(rows), ...]`` of the global batch of ``step``."""
    rng = np.random.default_rng([int(self.seed), 0xA06, int(step)])
    full = np.zeros((global_batch,) + x_local.shape[1:], x_local.dtype)
    full[rows] = x_local
    fn = KINDS[self.kind]
    out = [fn(rng, full, **self.options)[rows] for _ in range(int(self.views))]
    return out[0] if int(self.views) == 1 else np.stack(out, axis=1)

  def chunk(self, x: np.ndarray, steps, rows: np.ndarray, global_batch: int) -> np.ndarray:
    """``x [k, len(rows), ...]`` of steps ``steps`` -> ``[k, len(rows), views, ...]``."""
    return np.stack([self.step(x[j], s, rows, global_batch) for j, s in enumerate(steps)])
