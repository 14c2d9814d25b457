"""The input pipeline: deterministic, resumable, per-process batches placed on the mesh.

The batch for training step ``s`` is a pure function of ``(seed, s)``: epoch ``e = s // steps_per_epoch``
uses the permutation ``default_rng([seed, e]).permutation(N)`` and step ``s`` takes the next
``global_batch`` indices of it (the incomplete last batch of an epoch is dropped). The iterator's
position is therefore the train step itself, which the checkpoint stores, and a resumed run sees
exactly the batches an uninterrupted run would.

Each process gathers only the rows that its own devices hold (read from the sharding), and the global
array is assembled with ``jax.make_array_from_process_local_data``. A background thread keeps
``prefetch`` batches ready on the devices so the accelerator does not wait for the host.
"""
from __future__ import annotations

import queue
import threading
from typing import Iterator

import jax
import numpy as np

from lbrl.data.core import Dataset


def local_rows(sharding, global_batch: int) -> np.ndarray:
  """Rows of a ``[global_batch, ...]`` array that this process's devices hold (sorted, unique)."""
  index_map = sharding.addressable_devices_indices_map((global_batch,))
  rows = set()
  for idx in index_map.values():
    rows.update(range(*idx[0].indices(global_batch)))
  return np.array(sorted(rows), dtype=np.int64)


def to_global(sharding, local: dict[str, np.ndarray], global_batch: int) -> dict[str, jax.Array]:
  """Assembles per-process rows into global arrays sharded by ``sharding`` on the batch axis."""
  return {k: jax.make_array_from_process_local_data(sharding, v, (global_batch,) + v.shape[1:])
          for k, v in local.items()}


class TrainBatches:
  """Shuffled, drop-remainder batches indexed by train step; each process reads only its rows."""

  def __init__(self, data: Dataset, global_batch: int, sharding, seed: int):
    if global_batch > len(data):
      raise ValueError(f"data.batch_size={global_batch} is larger than the training set "
                       f"({len(data)} examples of {data.name!r})")
    self.data, self.global_batch, self.sharding, self.seed = data, global_batch, sharding, seed
    self.steps_per_epoch = len(data) // global_batch
    self.rows = local_rows(sharding, global_batch)
    self._epoch, self._perm = -1, None

  def indices(self, step: int) -> np.ndarray:
    """Global dataset indices of the batch at ``step`` (all processes agree)."""
    epoch, pos = divmod(int(step), self.steps_per_epoch)
    if epoch != self._epoch:
      self._epoch, self._perm = epoch, np.random.default_rng([self.seed, epoch]).permutation(len(self.data))
    return self._perm[pos * self.global_batch:(pos + 1) * self.global_batch]

  def host_batch(self, step: int) -> dict[str, np.ndarray]:
    return self.data.gather(self.indices(step)[self.rows])

  def __call__(self, start_step: int, num_steps: int, prefetch: int = 2) -> Iterator[dict[str, jax.Array]]:
    """Device batches for steps ``start_step, ..., start_step + num_steps - 1``."""
    make = lambda s: to_global(self.sharding, self.host_batch(s), self.global_batch)
    steps = range(start_step, start_step + num_steps)
    if prefetch <= 0:
      yield from map(make, steps)
      return
    q: queue.Queue = queue.Queue(maxsize=prefetch)
    stop = threading.Event()

    def worker():
      try:
        for s in steps:
          if stop.is_set():
            return
          q.put(make(s))
      except BaseException as e:  # surface pipeline errors in the training thread
        q.put(e)

    t = threading.Thread(target=worker, daemon=True)
    t.start()
    try:
      for _ in steps:
        item = q.get()
        if isinstance(item, BaseException):
          raise item
        yield item
    finally:
      stop.set()
      while not q.empty():
        q.get_nowait()


def eval_batches(data: Dataset, global_batch: int, sharding) -> Iterator[dict[str, jax.Array]]:
  """The whole split in order, in fixed-size batches; the last is padded and ``mask`` marks real rows."""
  rows = local_rows(sharding, global_batch)
  n = len(data)
  for start in range(0, n, global_batch):
    idx = np.arange(start, start + global_batch)
    mask = idx < n
    local = data.gather(np.minimum(idx, n - 1)[rows])
    local["mask"] = mask[rows]
    yield to_global(sharding, local, global_batch)
