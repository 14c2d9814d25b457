"""The input pipeline: deterministic, resumable, per-process batches placed on the mesh.

The batch for training step ``s`` is a pure function of ``(seed, s)``: epoch ``e = s // steps_per_epoch``
uses the permutation ``default_rng([seed, e]).permutation(N)`` and step ``s`` takes the next
``global_batch`` indices of it (the incomplete last batch of an epoch is dropped). The iterator's
position is therefore the train step itself, which the checkpoint stores, and a resumed run sees
exactly the batches an uninterrupted run would.

Batches reach the devices in chunks of consecutive steps (see :class:`TrainBatches`). Each process gathers only the rows that its own devices hold (read from the sharding), and the global
array is assembled with ``jax.make_array_from_process_local_data``. A background thread keeps
``prefetch`` chunks ready on the devices so the accelerator does not wait for the host.
"""
from __future__ import annotations

import queue
import threading
from typing import Iterator

import jax
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec as P

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
  """Shuffled, drop-remainder batches indexed by train step; each process reads only its rows.

  Batches travel to the devices in chunks of ``steps_per_chunk`` consecutive steps (one host->device
  transfer of a ``[k, global_batch, ...]`` array, sharded on its batch axis), and the trainer runs the
  steps of a chunk in one dispatch. Chunk ``c`` holds steps ``c*k ... c*k+k-1`` (aligned on absolute
  steps, so resuming at any step finds the same batches). On small models this removes the per-step
  transfer that otherwise dominates the step time; ``k`` defaults to what fits in ``chunk_bytes``.

  ``augment``: an :class:`lbrl.data.augment.Augment` (or any object with its ``chunk`` method) applied to
  each chunk's ``x``: random views drawn per step from (its seed, step), so they too are exact on
  resume. ``None`` (the default) leaves the batches as they were.
  """

  def __init__(self, data: Dataset, global_batch: int, sharding, seed: int, steps_per_chunk: int = 0,
               chunk_bytes: int = 64 << 20, augment=None):
    if global_batch > len(data):
      raise ValueError(f"data.batch_size={global_batch} is larger than the training set "
                       f"({len(data)} examples of {data.name!r})")
    self.data, self.global_batch, self.seed = data, global_batch, seed
    self.steps_per_epoch = len(data) // global_batch
    self.rows = local_rows(sharding, global_batch)
    self.sharding = NamedSharding(sharding.mesh, P(None, *sharding.spec))
    row_bytes = sum(v[:1].nbytes for v in data.arrays.values())
    if augment is not None:   # the views multiply the input's bytes
      row_bytes += data.arrays["x"][:1].nbytes * (int(getattr(augment, "views", 1)) - 1)
    self.k = int(steps_per_chunk) or int(np.clip(chunk_bytes // max(row_bytes * len(self.rows), 1), 1, 64))
    self._epoch, self._perm = -1, None
    self.augment = augment

  def indices(self, step: int) -> np.ndarray:
    """Global dataset indices of the batch at ``step`` (all processes agree)."""
    epoch, pos = divmod(int(step), self.steps_per_epoch)
    if epoch != self._epoch:
      self._epoch, self._perm = epoch, np.random.default_rng([self.seed, epoch]).permutation(len(self.data))
    return self._perm[pos * self.global_batch:(pos + 1) * self.global_batch]

  def chunk(self, c: int) -> dict[str, jax.Array]:
    """Device arrays ``[k, global_batch, ...]`` for steps ``c*k ... c*k+k-1``, plus ``index``."""
    idx = np.stack([self.indices(s)[self.rows] for s in range(c * self.k, (c + 1) * self.k)])
    local = self.data.gather(idx)
    if self.augment is not None:
      local["x"] = self.augment.chunk(local["x"], range(c * self.k, (c + 1) * self.k), self.rows, self.global_batch)
    local["index"] = idx.astype(np.int32)  # each example's position in the training set (e.g. for SAF)
    return {key: jax.make_array_from_process_local_data(
                self.sharding, v, (self.k, self.global_batch) + v.shape[2:]) for key, v in local.items()}

  def chunks(self, start_step: int, num_steps: int, prefetch: int = 2) -> Iterator[tuple[int, dict[str, jax.Array]]]:
    """``(c, chunk c)`` for every chunk holding a step in ``[start_step, start_step + num_steps)``,
    ``prefetch`` chunks ahead in a background thread (closing the iterator stops and joins it)."""
    end = start_step + num_steps
    ids = range(start_step // self.k, (end - 1) // self.k + 1) if num_steps > 0 else range(0)
    source = _prefetched(map(self.chunk, ids), prefetch) if prefetch > 0 else map(self.chunk, ids)
    try:
      yield from zip(ids, source)
    finally:  # closing this iterator (e.g. on SIGTERM) stops and joins the prefetch thread now
      if prefetch > 0:
        source.close()


def _prefetched(items: Iterator, size: int) -> Iterator:
  """Runs ``items`` in a background thread, ``size`` ahead; errors surface in the consumer. Closing the
  generator stops the thread and waits for it, so no thread is still placing arrays on devices while
  the interpreter shuts down (which can abort the process)."""
  q: queue.Queue = queue.Queue(maxsize=size)
  stop = threading.Event()
  done = object()

  def worker():
    try:
      for item in items:
        if stop.is_set():
          return
        q.put(item)
      q.put(done)
    except BaseException as e:
      q.put(e)

  thread = threading.Thread(target=worker, daemon=True)
  thread.start()
  try:
    while True:
      item = q.get()
      if item is done:
        return
      if isinstance(item, BaseException):
        raise item
      yield item
  finally:
    stop.set()
    while thread.is_alive():  # unblock a pending put until the worker sees the stop flag
      try:
        q.get(timeout=0.05)
      except queue.Empty:
        pass
    thread.join()


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
