"""Every config: loads in all variants, states its paper and claim, its sweep arms apply, and its smoke
variant trains, evaluates and round-trips through a checkpoint."""
import glob
import math
import os

import jax
import pytest

from lbrl.tools import reproduce

REPO = reproduce.REPO
CONFIGS = sorted(p for p in glob.glob(os.path.join(REPO, "configs", "*.py"))
                 if not os.path.basename(p).startswith(("_", "common")))


def _id(p):
  return os.path.basename(p)[:-3]


def test_there_are_configs():
  assert CONFIGS


@pytest.mark.parametrize("path", CONFIGS, ids=_id)
def test_config_variants_and_paper_block(path):
  slug = _id(path)
  for variant in ("smoke", "cpu", "paper"):
    cfg, _ = reproduce.load_config(path, variant)
    assert cfg.variant == variant
    p = cfg.paper
    assert p.slug == slug, f"paper.slug {p.slug!r} must equal the file name {slug!r}"
    for field in ("title", "arxiv", "claim", "expected", "provides", "code"):
      assert getattr(p, field), f"{slug}: paper.{field} is empty"
    assert p.year > 1990
  with pytest.raises(AttributeError):
    cfg.no_such_field = 1  # locked
  with pytest.raises(ValueError, match="unknown variant"):
    reproduce.load_config(path, "tpu")


@pytest.mark.parametrize("path", CONFIGS, ids=_id)
def test_sweep_is_well_formed(path):
  from lbrl.tools import experiment
  cfg, _ = reproduce.load_config(path, "cpu")
  kind = experiment.kind_of(cfg)
  if kind == "benchmark":  # memory/speed papers: the benchmark script is the reproduction
    return
  if kind == "fit":        # a law fitted to points: rules on its parameters (lbrl.tools.kinds.fit)
    assert cfg.sweep.rules or cfg.sweep.not_testable
    assert all("param" in r for r in cfg.sweep.rules), cfg.sweep.rules
    return
  assert cfg.sweep.rules or cfg.sweep.not_testable, "a sweep needs verdict rules or a not_testable reason"
  if cfg.sweep.rules:   # arms compared by rules: paired over >= 3 seeds (a measurement grid for a fit has none)
    assert len(cfg.sweep.seeds) >= 3, "at least 3 seeds per arm"
  from lbrl.tools.kinds import grid
  if kind == "grid":   # the grid's points are its arms
    arms = set(grid.arms(cfg))
  else:
    arms = {r["arm"] for r in reproduce.expand(cfg)}
  from lbrl.tools.kinds import tuning
  spec = tuning.spec_of(cfg)   # a tuned sweep's selection runs: valid overrides on a non-test split
  if spec:
    sel = {name: ov for pts in tuning.candidates(cfg, spec).values() for _, s in pts for name, ov in s.items()}
    assert all(r["config"].data.split_eval == spec["split"] for r in reproduce.expand(cfg, spec["seeds"], sel))
  for rule in cfg.sweep.rules:
    if rule.get("op") == "optimum_stable":   # a grid rule over axes, not arms
      axes = dict(grid.spec_of(cfg)["axes"])
      assert rule["axis"] in axes and rule["across"] in axes, rule
      assert all(p in axes and v in axes[p] for p, v in dict(rule.get("where") or {}).items()), rule
      continue
    assert rule["arm"] in arms and rule.get("than", rule["arm"]) in arms, rule


def _fit_mesh(cfg):
  """Data-parallel size that divides both batch sizes (configs state paper batch sizes)."""
  n = math.gcd(jax.device_count(), cfg.data.batch_size // cfg.grad_accum_steps, cfg.data.eval_batch_size)
  if tuple(cfg.mesh.axes) == ("data",):
    cfg.mesh.shape = (n,)


@pytest.mark.parametrize("path", CONFIGS, ids=_id)
def test_smoke_trains_evaluates_and_resumes(path, tmp_path):
  from lbrl.train import train
  from lbrl.tools import experiment
  cfg, _ = reproduce.load_config(path, "smoke")
  if "benchmark" in cfg:
    pytest.skip("benchmark config: exercised by its kernel tests")
  if experiment.kind_of(cfg) == "fit":
    pytest.skip("fit config: trains nothing (its fits are tested in tests/laws and tests/tools)")
  assert cfg.steps <= 20, "the smoke variant must take a few steps"
  _fit_mesh(cfg)
  first = train(cfg, str(tmp_path), progress=False)
  assert all(math.isfinite(v) for k, v in first.items() if k.startswith("eval/") and not isinstance(v, str))
  again = train(cfg, str(tmp_path), progress=False)  # restores the final checkpoint, trains nothing
  assert int(again["state"].step) == cfg.steps
  assert again["eval/loss"] == first["eval/loss"]
