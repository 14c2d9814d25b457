"""A run's record is reused only for the same training: same overrides and, where the record stores it, the
same training config (a protocol edit that keeps an arm's overrides, e.g. more steps, reruns the arm)."""
import json

from lbrl import config as common
from lbrl.tools.kinds import sweep


def _config(steps=10, expected="x"):
  c, _ = common.base("variant=cpu")
  c.steps = steps
  c.paper.expected = expected
  return c


def test_training_hash_follows_the_training_not_the_description():
  base = sweep.training_hash(_config())
  assert sweep.training_hash(_config()) == base
  assert sweep.training_hash(_config(steps=20)) != base                 # the protocol changed
  assert sweep.training_hash(_config(expected="reworded")) == base       # the paper block only describes


def test_done_compares_overrides_and_the_stored_training_hash(tmp_path):
  path = str(tmp_path / "arm__seed0.json")
  run = {"overrides": {"optimizer": {"learning_rate": 1.0}}, "config": _config()}
  assert not sweep._done(path, run)                                      # no record yet
  write = lambda rec: open(path, "w").write(json.dumps(rec))
  write({"overrides": run["overrides"]})                                 # an old record without a hash
  assert sweep._done(path, run)
  write({"overrides": run["overrides"], "training_hash": sweep.training_hash(run["config"])})
  assert sweep._done(path, run)
  assert not sweep._done(path, dict(run, config=_config(steps=20)))     # same arm, longer protocol: rerun
  assert not sweep._done(path, dict(run, overrides={"optimizer": {"learning_rate": 2.0}}))


def test_grid_points_added_or_removed_keep_the_other_points_records(tmp_path):
  """The grid block describes the experiment: editing its axes keeps a point's record (its own values are
  in its overrides), and records hashed when the grid block was still part of the digest stay valid."""
  def grid_config(widths):
    c = _config()
    c.grid = dict(axes=[("model.width", list(widths))], base={})
    return c
  a, b = grid_config([32, 64]), grid_config([32, 64, 128])
  assert sweep.training_hash(a) == sweep.training_hash(b)
  path = str(tmp_path / "width=32__seed0.json")
  run = {"overrides": {"model": {"width": 32}}, "config": b}
  legacy = sweep.training_hash(a, exclude=("paper", "sweep"))           # the digest before this change
  assert legacy != sweep.training_hash(a)
  open(path, "w").write(json.dumps({"overrides": run["overrides"], "training_hash": legacy}))
  assert sweep._done(path, dict(run, config=a))


def test_old_records_are_checked_against_the_config_their_run_trained(tmp_path):
  """A legacy-hashed (or hashless) record whose workdir still holds the run's config.json is kept when that
  config is the current one (its hash is updated in place, so a later grid edit keeps it), rerun when not."""
  def grid_config(lrs, steps=10):
    c = _config(steps=steps)
    c.grid = dict(axes=[("optimizer.learning_rate", list(lrs))], base={})
    return c
  old, extended = grid_config([1e-3, 1e-2]), grid_config([1e-3, 1e-2, 1e-1])
  workdir = tmp_path / "wd"
  workdir.mkdir()
  (workdir / "config.json").write_text(old.to_json_best_effort(indent=2, sort_keys=True))
  path = str(tmp_path / "learning_rate=0.001__seed0.json")
  run = {"overrides": {"optimizer": {"learning_rate": 1e-3}}, "config": extended}
  legacy = sweep.training_hash(old, exclude=("paper", "sweep"))
  assert legacy != sweep.training_hash(extended, exclude=("paper", "sweep"))   # the grid edit broke the old check
  for stored in ({"training_hash": legacy}, {}):
    open(path, "w").write(json.dumps({"overrides": run["overrides"], "workdir": str(workdir), **stored}))
    assert sweep._done(path, run)
    assert json.load(open(path))["training_hash"] == sweep.training_hash(extended)
  open(path, "w").write(json.dumps({"overrides": run["overrides"], "workdir": str(workdir), "training_hash": legacy}))
  assert not sweep._done(path, dict(run, config=grid_config([1e-3], steps=20)))   # the run trained 10 steps
