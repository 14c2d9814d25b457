"""The workdir record: metrics.jsonl after resumes (each step once), TensorBoard restarts, the one line
when TensorBoard is missing, and run.json's hardware fields."""
import json
import logging
import os
import sys

import jax
import ml_collections as mlc
import numpy as np
import pytest

from lbrl import parallel
from lbrl.train import record
from lbrl.train.record import MetricWriter, read_metrics, write_workdir_record


def write_run(wd, steps, resume_step=None, final_at=None):
  """A launch: train rows at ``steps``, and a final eval row at ``final_at``."""
  w = MetricWriter(str(wd), resume_step=resume_step)
  for s in steps:
    w.write(s, {"train/loss": 1.0 / s, "train/skipped_nonfinite": 0})
  if final_at is not None:
    w.write(final_at, {"eval/loss": 0.5 + final_at, "train/skipped_nonfinite": 0, "wall_time_sec": 1.0})
  w.close()


def kinds(wd):
  """(step, the row's metric names) of every row: a row written twice by two launches repeats one."""
  return [(r["step"], frozenset(r) - {"step", "time"}) for r in read_metrics(str(wd))]


def test_resume_drops_the_rows_after_the_restored_step(tmp_path):
  write_run(tmp_path, range(1, 11), final_at=10)   # a run to 10 whose checkpoint 10 is later lost
  write_run(tmp_path, range(6, 11), resume_step=5, final_at=10)  # resumed from 5: redoes 6..10
  write_run(tmp_path, range(6, 11), resume_step=5, final_at=10)  # and again
  seen = kinds(tmp_path)
  assert len(seen) == len(set(seen)) == 11
  rows = read_metrics(str(tmp_path))
  assert [r["step"] for r in rows if "train/loss" in r] == list(range(1, 11))
  assert [r["eval/loss"] for r in rows if "eval/loss" in r] == [10.5]


def test_relaunching_a_finished_run_supersedes_its_final_row(tmp_path):
  """Resumed at the last step: no training, the final eval is written again at that step."""
  write_run(tmp_path, range(1, 6), final_at=5)
  write_run(tmp_path, [], resume_step=5, final_at=5)
  seen = kinds(tmp_path)
  assert len(seen) == len(set(seen)) == 6, seen
  rows = read_metrics(str(tmp_path))
  assert [r["step"] for r in rows if "train/loss" in r] == [1, 2, 3, 4, 5]  # the train row at 5 stays whole
  assert rows[4]["train/skipped_nonfinite"] == 0
  assert [r["step"] for r in rows if "eval/loss" in r] == [5]


def test_default_resume_step_is_the_latest_checkpoint(tmp_path):
  write_run(tmp_path, range(1, 9))
  for step in (3, 6):
    os.makedirs(tmp_path / "checkpoints" / str(step))
  os.makedirs(tmp_path / "checkpoints" / "damaged_8_20260101T000000Z")
  write_run(tmp_path, [7])
  assert [r["step"] for r in read_metrics(str(tmp_path))] == [1, 2, 3, 4, 5, 6, 7]


def test_a_line_cut_short_by_a_kill_is_dropped(tmp_path):
  write_run(tmp_path, range(1, 4))
  with open(tmp_path / "metrics.jsonl", "a") as f:
    f.write('{"step": 4, "train/lo')
  write_run(tmp_path, [4], resume_step=3)
  assert [r["step"] for r in read_metrics(str(tmp_path))] == [1, 2, 3, 4]


def test_only_process_zero_writes(tmp_path, monkeypatch):
  write_run(tmp_path, range(1, 5))
  monkeypatch.setattr(jax, "process_index", lambda: 1)
  write_run(tmp_path, [2, 3], resume_step=1)
  assert [r["step"] for r in read_metrics(str(tmp_path))] == [1, 2, 3, 4]


def test_tensorboard_shows_each_step_once_after_a_resume(tmp_path):
  from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
  write_run(tmp_path, range(1, 11))
  write_run(tmp_path, range(6, 9), resume_step=5)
  acc = EventAccumulator(str(tmp_path))
  acc.Reload()
  assert [e.step for e in acc.Scalars("train/loss")] == list(range(1, 9))


def test_missing_tensorboard_is_said_once(tmp_path, monkeypatch, caplog):
  for name in ("tensorboard", "tensorboard.compat.proto", "tensorboard.summary.writer.event_file_writer"):
    monkeypatch.setitem(sys.modules, name, None)  # import fails as if not installed
  monkeypatch.setattr(record, "_TENSORBOARD_MISSING_SAID", False)
  with caplog.at_level(logging.WARNING):
    write_run(tmp_path / "a", [1])
    write_run(tmp_path / "b", [1])
  said = [r.getMessage() for r in caplog.records if "tensorboard" in r.getMessage().lower()]
  assert len(said) == 1 and "lbrl[tensorboard]" in said[0] and "\n" not in said[0]
  assert not [f for f in os.listdir(tmp_path / "a") if "tfevents" in f]
  assert [r["step"] for r in read_metrics(str(tmp_path / "a"))] == [1]


@pytest.fixture(autouse=True)
def _workdirs(tmp_path):
  for d in ("a", "b"):
    os.makedirs(tmp_path / d, exist_ok=True)


def test_run_json_names_the_processor_and_device_kind(tmp_path):
  cfg = mlc.ConfigDict({"seed": 0})
  mesh = parallel.make_mesh((-1,), ("data",))
  write_workdir_record(str(tmp_path), cfg, mesh, {"w": np.zeros((3, 4))})
  run = json.load(open(tmp_path / "run.json"))
  assert run["device_kind"] == jax.devices()[0].device_kind and run["platform"] == "cpu"
  assert run["processor"] == record.processor() and run["processor"] not in ("", "unknown")
  assert run["cpu_count"] == os.cpu_count() and run["num_params"] == 12
  if os.path.exists("/proc/cpuinfo"):
    models = [l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")]
    if models:
      assert run["processor"] == models[0]
