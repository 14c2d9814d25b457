"""lbrl.data.augment: per-step views deterministic in (seed, step), independent of the process split and
of the chunking (so resume is exact), and the pipeline hook leaves un-augmented batches unchanged."""
import jax
import numpy as np
import pytest
from jax.sharding import NamedSharding, PartitionSpec as P

from lbrl.data import augment, pipeline, transforms
from lbrl.data.core import Dataset


def toy(n=40, length=12):
  x = np.sin(np.arange(n)[:, None] + np.arange(length)[None, :] / 3).astype(np.float32)
  return Dataset("toy", "train", {"x": x, "label": np.arange(n) % 3}, {"num_classes": 3})


def sharding():
  mesh = jax.make_mesh((8,), ("data",), axis_types=(jax.sharding.AxisType.Auto,))
  return NamedSharding(mesh, P("data"))


def test_views_depend_only_on_seed_and_step_and_not_on_the_process_split():
  aug = augment.Augment(seed=3, kind="1d", views=2, options=dict(max_shift=3, noise=0.1))
  x = toy().arrays["x"][:8]
  full = aug.step(x, 5, np.arange(8), 8)
  assert full.shape == (8, 2, 12)
  np.testing.assert_array_equal(full, aug.step(x, 5, np.arange(8), 8))
  assert not np.allclose(full, aug.step(x, 6, np.arange(8), 8))
  assert not np.allclose(full[:, 0], full[:, 1])
  # a process holding rows 2, 3, 6 gets exactly those rows of the global views
  rows = np.array([2, 3, 6])
  np.testing.assert_array_equal(aug.step(x[rows], 5, rows, 8), full[rows])
  # the same draws as the two_view transform's functions with the step's generator
  rng = np.random.default_rng([3, 0xA06, 5])
  np.testing.assert_array_equal(full[:, 0], transforms.augment_1d(rng, x, max_shift=3, noise=0.1))


def test_token_masking_rate_and_identity():
  rng = np.random.default_rng(0)
  x = rng.integers(1, 50, (200, 30))
  m = augment.mask_tokens(rng, x, rate=0.25, mask_id=0)
  assert abs(np.mean(m == 0) - 0.25) < 0.02 and np.all((m == 0) | (m == x))
  with pytest.raises(ValueError, match="rate"):
    augment.mask_tokens(rng, x, rate=1.5)
  with pytest.raises(ValueError, match="kind"):
    augment.Augment(seed=0, kind="audio")


def test_pipeline_hook_is_exact_across_chunkings_and_inert_when_absent():
  aug = augment.Augment(seed=1, kind="1d", views=2)
  a = pipeline.TrainBatches(toy(), 8, sharding(), seed=0, steps_per_chunk=2, augment=aug)
  b = pipeline.TrainBatches(toy(), 8, sharding(), seed=0, steps_per_chunk=4, augment=aug)
  xa = np.asarray(a.chunk(1)["x"])[1]      # step 3
  xb = np.asarray(b.chunk(0)["x"])[3]      # step 3
  assert xa.shape == (8, 2, 12)
  np.testing.assert_array_equal(xa, xb)
  plain = pipeline.TrainBatches(toy(), 8, sharding(), seed=0, steps_per_chunk=2)
  np.testing.assert_array_equal(np.asarray(plain.chunk(1)["x"])[1], toy().arrays["x"][plain.indices(3)])
