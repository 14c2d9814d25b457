"""Input pipeline: deterministic batches by step, epochs cover the data, per-process row slicing."""
import jax
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec as P

from lbrl.data import pipeline
from lbrl.data.core import Dataset


def toy(n=50):
  return Dataset("toy", "train", {"x": np.arange(n, dtype=np.float32)[:, None], "label": np.arange(n) % 3},
                 {"num_classes": 3})


def sharding(n=8):
  mesh = jax.make_mesh((n,), ("data",), axis_types=(jax.sharding.AxisType.Auto,),
                       devices=jax.devices()[:n])
  return NamedSharding(mesh, P("data"))


def test_batches_are_a_function_of_seed_and_step():
  a = pipeline.TrainBatches(toy(), 8, sharding(), seed=1)
  b = pipeline.TrainBatches(toy(), 8, sharding(), seed=1)
  np.testing.assert_array_equal(a.indices(13), b.indices(13))
  later = [b.indices(s) for s in (20, 3, 13)]  # any access order
  np.testing.assert_array_equal(later[2], a.indices(13))
  assert not np.array_equal(a.indices(13), pipeline.TrainBatches(toy(), 8, sharding(), seed=2).indices(13))


def test_an_epoch_visits_each_example_at_most_once():
  tb = pipeline.TrainBatches(toy(50), 8, sharding(), seed=0)
  assert tb.steps_per_epoch == 6
  seen = np.concatenate([tb.indices(s) for s in range(6)])
  assert len(set(seen)) == 48  # drop-remainder: 2 of 50 unseen this epoch
  assert not np.array_equal(tb.indices(0), tb.indices(6))  # reshuffled next epoch


def test_device_chunks_match_host_indices_and_prefetch():
  """Steps 4..10 with chunks of 3 (aligned at 3, 6, 9): chunks 1, 2, 3; chunk c holds step s at s - 3c."""
  tb = pipeline.TrainBatches(toy(), 8, sharding(), seed=0, steps_per_chunk=3)
  got = list(tb.chunks(start_step=4, num_steps=7, prefetch=2))
  assert [c for c, _ in got] == [1, 2, 3]
  for c, chunk in got:
    assert chunk["x"].shape == (3, 8, 1) and chunk["x"].sharding.spec == P(None, "data")
    for i in range(3):
      np.testing.assert_array_equal(np.asarray(chunk["x"])[i, :, 0], tb.indices(3 * c + i).astype(np.float32))
      np.testing.assert_array_equal(np.asarray(chunk["index"])[i], tb.indices(3 * c + i))
  assert list(tb.chunks(start_step=5, num_steps=0)) == []


def test_each_process_reads_only_its_rows():
  """local_rows of a 2-process layout: each process's devices hold a disjoint half of the batch."""
  s = sharding()
  rows = pipeline.local_rows(s, 16)
  np.testing.assert_array_equal(rows, np.arange(16))  # one process here holds every row
  idx = s.devices_indices_map((16,))
  half = [d for d in s.mesh.devices.flat][:4]
  first_half = sorted(r for d in half for r in range(*idx[d][0].indices(16)))
  assert first_half == list(range(8))


def test_eval_batches_pad_and_mask():
  batches = list(pipeline.eval_batches(toy(50), 16, sharding()))
  assert len(batches) == 4
  mask = np.concatenate([np.asarray(b["mask"]) for b in batches])
  assert mask.sum() == 50 and not mask[50:].any()
  xs = np.concatenate([np.asarray(b["x"])[:, 0] for b in batches])[mask]
  np.testing.assert_array_equal(xs, np.arange(50))
