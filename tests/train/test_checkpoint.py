"""Checkpoint repair: a damaged checkpoint is moved aside with one line, the step is saved again, the
metrics of re-trained steps appear once, and a changed config is an error rather than damage."""
import glob
import json
import logging
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl import config as common
from lbrl.train import train
from lbrl.train.checkpoint import CheckpointMismatchError, Checkpointer, latest_step


def small_config(steps, **over):
  c, _ = common.base("variant=cpu")
  c.data.update(name="mnist1d", batch_size=64, eval_batch_size=200)
  c.model = common.free(name="mlp")
  c.optimizer = common.free(name="adam", learning_rate=3e-3)
  c.steps = steps
  c.log_every = 1
  for k, v in over.items():
    c[k] = v
  return common.finalize(c)


def truncate_largest_file(step_dir: str) -> str:
  """Cuts the largest data file of a checkpoint to 100 bytes (a copy interrupted mid-file)."""
  files = [os.path.join(r, f) for r, _, fs in os.walk(step_dir) for f in fs]
  big = max(files, key=os.path.getsize)
  with open(big, "r+b") as fh:
    fh.truncate(100)
  return big


def damage_lines(records):
  return [r for r in records if r.levelno >= logging.WARNING and "damaged" in r.getMessage()]


def state(scale):
  """Random weights: their data file is the checkpoint's largest (zeros would compress to nothing)."""
  w = np.random.default_rng(scale).normal(size=(64, 256)).astype(np.float32)
  return {"w": jnp.asarray(w), "b": jnp.arange(8, dtype=jnp.int32) * scale}


def test_damaged_checkpoint_is_moved_aside_with_one_line(tmp_path, caplog):
  ck = Checkpointer(str(tmp_path / "ck"), keep=5)
  ck.save(1, state(1))
  ck.save(2, state(2))
  ck.wait()
  truncate_largest_file(str(tmp_path / "ck" / "2"))
  abstract = jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype), state(0))
  with caplog.at_level(logging.WARNING):
    restored, step = ck.restore_latest(abstract)
  assert step == 1
  np.testing.assert_array_equal(restored["w"], state(1)["w"])
  lines = damage_lines(caplog.records)
  assert len(lines) == 1
  msg = lines[0].getMessage()
  assert "\n" not in msg and len(msg) < 1000, msg
  assert "checkpoint step 2 in " in msg and " is damaged (" in msg
  moved = glob.glob(str(tmp_path / "ck" / "damaged_2_*"))
  assert len(moved) == 1 and f"moved to {os.path.basename(moved[0])}" in msg
  assert 'reading "w/' in msg  # TensorStore's line names the unreadable array and its database
  assert ck.manager.all_steps() == [1] and latest_step(str(tmp_path / "ck")) == 1
  ck.save(2, state(2))  # the step is saved again (save skips steps it still lists)
  ck.wait()
  ck.close()
  again = Checkpointer(str(tmp_path / "ck"), keep=5)
  caplog.clear()
  restored, step = again.restore_latest(abstract)
  assert step == 2 and not damage_lines(caplog.records)
  np.testing.assert_array_equal(restored["b"], state(2)["b"])
  again.close()


def test_unreadable_metadata_is_damage_too(tmp_path, caplog):
  ck = Checkpointer(str(tmp_path / "ck"), keep=5)
  ck.save(1, state(1))
  ck.save(2, state(2))
  ck.wait()
  for f in glob.glob(str(tmp_path / "ck" / "2" / "default" / "*METADATA*")):
    open(f, "w").write("{not json")
  abstract = jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype), state(0))
  with caplog.at_level(logging.WARNING):
    _, step = ck.restore_latest(abstract)
  assert step == 1 and len(damage_lines(caplog.records)) == 1
  msg = damage_lines(caplog.records)[0].getMessage()
  assert "\n" not in msg and "/default/_METADATA: JSONDecodeError" in msg, msg
  ck.close()


def test_a_different_state_is_an_error_not_damage(tmp_path):
  """A changed model in the same workdir: the checkpoint is fine; nothing may be moved aside."""
  ck = Checkpointer(str(tmp_path / "ck"), keep=5)
  ck.save(1, state(1))
  ck.wait()
  wider = {"w": jax.ShapeDtypeStruct((64, 512), jnp.float32), "b": jax.ShapeDtypeStruct((8,), jnp.int32)}
  with pytest.raises(CheckpointMismatchError, match=r"w has shape \(64, 256\) in the checkpoint and \(64, 512\)"):
    ck.restore_latest(wider)
  other = {"w": jax.ShapeDtypeStruct((64, 256), jnp.float32), "c": jax.ShapeDtypeStruct((8,), jnp.int32)}
  with pytest.raises(CheckpointMismatchError, match="only in"):
    ck.restore_latest(other)
  assert os.listdir(tmp_path / "ck") == ["1"]
  ck.close()


def test_relaunches_after_damage_repair_the_checkpoint(tmp_path, caplog):
  """Truncate a file of the latest checkpoint, relaunch twice: one line on the first relaunch only,
  the damaged step moved aside and saved again, each (step, metric) once in metrics.jsonl, and the
  final parameters equal to an uninterrupted run's."""
  cfg = small_config(steps=6, checkpoint_every=3, keep_checkpoints=3)
  ref = train(small_config(steps=6), str(tmp_path / "ref"), progress=False)
  wd = str(tmp_path / "wd")
  train(cfg, wd, progress=False)
  truncate_largest_file(os.path.join(wd, "checkpoints", "6"))
  with caplog.at_level(logging.WARNING):
    first = train(cfg, wd, progress=False)
  lines = damage_lines(caplog.records)
  assert len(lines) == 1 and "checkpoint step 6 in " in lines[0].getMessage()
  assert "\n" not in lines[0].getMessage()
  assert len(glob.glob(os.path.join(wd, "checkpoints", "damaged_6_*"))) == 1
  assert latest_step(os.path.join(wd, "checkpoints")) == 6  # saved again
  caplog.clear()
  with caplog.at_level(logging.WARNING):
    second = train(cfg, wd, progress=False)
  assert not damage_lines(caplog.records)  # repaired: no fallback the second time
  for out in (first, second):
    for a, b in zip(jax.tree.leaves(ref["state"].params), jax.tree.leaves(out["state"].params)):
      np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
  # metrics.jsonl holds the uninterrupted run's rows, each once (timings aside)
  timing = ("time", "train/steps_per_sec", "wall_time_sec")
  rows = lambda d: [{k: v for k, v in json.loads(line).items() if k not in timing}
                    for line in open(os.path.join(d, "metrics.jsonl"))]
  assert rows(wd) == rows(tmp_path / "ref")


def test_a_checkpoint_that_cannot_be_moved_is_still_skipped(tmp_path, caplog, monkeypatch):
  ck = Checkpointer(str(tmp_path / "ck"), keep=5)
  ck.save(1, state(1))
  ck.save(2, state(2))
  ck.wait()
  truncate_largest_file(str(tmp_path / "ck" / "2"))

  def read_only(src, dst):
    raise PermissionError(13, "Permission denied", src)

  monkeypatch.setattr(os, "rename", read_only)
  abstract = jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype), state(0))
  with caplog.at_level(logging.WARNING):
    _, step = ck.restore_latest(abstract)
  assert step == 1
  (line,) = damage_lines(caplog.records)
  assert "could not be moved aside (PermissionError" in line.getMessage() and "\n" not in line.getMessage()
  ck.close()
