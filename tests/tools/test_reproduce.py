"""Reproduction runner: sweep expansion, resume, the report, smoke reports, the regenerate command, fair
tuning, re-evaluation, the index (fresh without ../shared) and the tools' layering."""
import ast
import glob
import json
import os
import shlex
import shutil

import pytest

from lbrl.tools import experiment, report, reproduce, stats

REPO = reproduce.REPO

TINY = '''"""A tiny sweep for tests."""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="mnist1d", batch_size=96, eval_batch_size=200)
  c.model = common.free(name="mlp", hidden=(16,))
  c.optimizer = common.free(name="adam", learning_rate=1e-2)
  c.steps = 3
  c.log_every = 1
  c.paper.update(title="Tiny", year=2020, arxiv="0000.00000", slug="tiny", claim="mlp beats logreg")
  c.sweep.update(seeds=[0, 1])
  c.sweep.arms = {"mlp": {}, "logreg": {"model": {"name": "logreg"}}, "wide": {"model": {"hidden": (32,)}}}
  c.sweep.rules = [{"arm": "mlp", "op": ">=", "value": 0.0},
                   {"arm": "mlp", "op": ">=", "value": 0.0, "metric": "eval/loss"}]
  EXTRA
  return common.finalize(c)
'''


def tiny(tmp_path, extra="", name="tiny.py"):
  path = tmp_path / name
  path.write_text(TINY.replace("EXTRA", extra or "pass"))
  return str(path)


def test_expand_applies_overrides_and_seeds(tmp_path):
  cfg, _ = experiment.load_config(tiny(tmp_path))
  runs = experiment.expand(cfg)
  assert [(r["arm"], r["seed"]) for r in runs] == [(a, s) for a in ("logreg", "mlp", "wide") for s in (0, 1)]
  by = {(r["arm"], r["seed"]): r["config"] for r in runs}
  assert by[("logreg", 1)].model.name == "logreg" and "hidden" not in by[("logreg", 1)].model  # replaced
  assert tuple(by[("wide", 0)].model.hidden) == (32,) and by[("wide", 0)].model.name == "mlp"   # merged
  assert by[("mlp", 1)].seed == 1
  with pytest.raises(KeyError, match="stesp"):
    experiment.merge(cfg, {"stesp": 3})
  assert experiment.combine({"model": {"name": "mlp"}}, {"optimizer.learning_rate": 0.1, "model.hidden": (8,)}) == \
      {"model": {"name": "mlp", "hidden": (8,)}, "optimizer": {"learning_rate": 0.1}}
  assert experiment.kind_of(cfg) == "sweep"


def saved_runs(out):
  return [json.load(open(p)) for p in glob.glob(os.path.join(out, "runs", "*.json"))]


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
  """One tiny sweep (3 arms x 2 seeds, 3 steps) shared by the tests that only read or re-render it."""
  tmp = tmp_path_factory.mktemp("swept")
  path = tiny(tmp)
  out, wds = str(tmp / "out"), str(tmp / "wd")
  res = reproduce.run_experiment(path, "cpu", out_dir=out, workdir_root=wds, quiet=True)
  return path, out, wds, res


def test_sweep_resumes_and_writes_report(swept):
  path, out, wds, res = swept
  assert res["verdict"] == "reproduced" and len(res["runs"]) == 6 and res["kind"] == "sweep"
  first = os.path.getmtime(os.path.join(out, "runs", "mlp__seed0.json"))
  os.remove(os.path.join(out, "runs", "logreg__seed1.json"))   # an interrupted sweep
  with open(os.path.join(out, "benchmark.md"), "w") as f:     # a benchmark script's companion table
    f.write("| V | time ratio |\n|---|---|\n| 64 | 0.5x |\n")
  res2 = reproduce.run_experiment(path, "cpu", out_dir=out, workdir_root=wds, quiet=True)
  assert os.path.getmtime(os.path.join(out, "runs", "mlp__seed0.json")) == first  # not rerun
  assert os.path.exists(os.path.join(out, "runs", "logreg__seed1.json"))
  text = open(os.path.join(out, "README.md")).read()
  assert "**Verdict: reproduced.**" in text and "| mlp |" in text and "python -m lbrl.reproduce" in text
  assert "**holds**: [eval/loss] mean(mlp) =" in text  # a rule on a metric other than the sweep's
  assert "## Companion benchmark" in text and "| 64 | 0.5x |" in text
  assert "2 seeds per arm (seeds 0, 1)" in text
  from lbrl.train import record
  if hasattr(record, "processor"):          # runs record their processor in run.json; the report states it
    assert all(r["processor"] == record.processor() for r in saved_runs(out))
    assert f"processor: {record.processor()}" in text
  import importlib.util
  if importlib.util.find_spec("lbrl.train.lowering"):   # the paper variant's footprint, from its lowering
    assert "## Paper variant footprint" in text and "FLOPs / step" in text
  assert os.path.getsize(os.path.join(out, "sweep.png")) > 1000
  saved = json.load(open(os.path.join(out, "results.json")))
  assert saved["arms"]["mlp"]["n"] == 2 and saved["verdict"] == res2["verdict"]
  os.remove(os.path.join(out, "benchmark.md"))


def test_regenerate_command_reproduces_the_report_exactly(swept):
  path, out, wds, res = swept
  reproduce.run_experiment(path, "cpu", out_dir=out, workdir_root=wds, quiet=True)
  before = open(os.path.join(out, "README.md")).read()
  argv = shlex.split(json.load(open(os.path.join(out, "results.json")))["command"])
  assert argv[:3] == ["python", "-m", "lbrl.reproduce"] and argv[argv.index("--seeds") + 1] == "0,1"
  reproduce.main(argv[3:])
  assert open(os.path.join(out, "README.md")).read() == before


def test_reevaluate_recomputes_from_results_and_says_what_changed(swept, tmp_path):
  path, src, _, _ = swept
  out = str(tmp_path / "copy")
  shutil.copytree(src, out)
  res = json.load(open(os.path.join(out, "results.json")))
  # pretend an old evaluation said something else, with the old result format (passed only)
  res["verdict"] = "not reproduced"
  res["rules"] = [{"rule": r["rule"], "passed": False, "text": "old text"} for r in res["rules"]]
  json.dump(res, open(os.path.join(out, "results.json"), "w"))
  shutil.rmtree(os.path.join(out, "runs"))     # no runs needed: results.json holds them
  new = reproduce.reevaluate(path, out)
  assert new["previous"]["verdict"] == "not reproduced" and new["verdict"] == "reproduced"
  text = open(new["report"]).read()
  assert "Verdict: **not reproduced -> reproduced**" in text and "old text" in text
  again = reproduce.reevaluate(path, out)          # idempotent: the first evaluation is kept
  assert again["previous"]["verdict"] == "not reproduced" and open(again["report"]).read() == text



def test_regenerating_from_the_same_runs_keeps_the_reevaluation_history(swept, tmp_path):
  """``python -m lbrl.reproduce`` on a finished experiment re-renders its report from the same runs: a
  re-evaluation's "what changed" stays; once a run's result differs, the history no longer applies."""
  path, src, wds, _ = swept
  out = str(tmp_path / "copy")
  shutil.copytree(src, out)
  res = json.load(open(os.path.join(out, "results.json")))
  res["verdict"] = "not reproduced"
  res["rules"] = [{"rule": r["rule"], "passed": False, "text": "old text"} for r in res["rules"]]
  json.dump(res, open(os.path.join(out, "results.json"), "w"))
  first = reproduce.reevaluate(path, out)
  again = reproduce.run_experiment(path, "cpu", out_dir=out, workdir_root=wds, quiet=True)   # nothing trains
  assert again["previous"] == first["previous"] and "Verdict: **not reproduced -> reproduced**" in open(again["report"]).read()
  rec_path = sorted(glob.glob(os.path.join(out, "runs", "*.json")))[0]
  rec = json.load(open(rec_path))
  rec["final"] = {**rec["final"], "eval/accuracy": 0.5}      # a different result for one run
  json.dump(rec, open(rec_path, "w"))
  assert "previous" not in reproduce.run_experiment(path, "cpu", out_dir=out, workdir_root=wds, quiet=True)

def test_smoke_run_gives_no_verdict_and_reports_the_numbers_used(tmp_path):
  """13.6: a smoke run printed "partly reproduced"; its report said 3 seeds while n was 2; its command
  omitted --seeds and --out; its config link broke outside experiments/."""
  path = tiny(tmp_path, 'c.sweep.update(seeds=[0, 1, 2])\n  c.sweep.arms = {"mlp": {}, "logreg": {"model": {"name": "logreg"}}}\n'
              '  c.sweep.rules = [{"arm": "mlp", "op": ">", "than": "logreg"}]')
  out = str(tmp_path / "elsewhere" / "report")
  res = reproduce.run_experiment(path, "smoke", seeds=[0, 1], out_dir=out, workdir_root=str(tmp_path / "wd"),
                                 quiet=True)
  assert res["verdict"] == stats.SMOKE and res["verdict"] not in stats.VERDICTS
  text = open(res["report"]).read()
  assert "Smoke test, no verdict" in text and "**Verdict:" not in text
  assert "2 seeds per arm (seeds 0, 1)" in text and "| seeds | [0, 1] |" in text
  assert "3 seeds" not in text and "[0, 1, 2]" not in text
  argv = shlex.split(res["command"])
  assert argv[argv.index("--variant") + 1] == "smoke" and argv[argv.index("--seeds") + 1] == "0,1"
  assert os.path.abspath(argv[argv.index("--out") + 1]) == os.path.abspath(out)
  link = text.split("Config: [`tiny.py`](")[1].split(")")[0]
  assert os.path.samefile(os.path.join(out, link), path)
  # without --out, a smoke test writes beside the committed report, never over it
  cfg, _ = experiment.load_config(path, "smoke")
  assert reproduce.default_out(cfg, path, "smoke").endswith(os.path.join("experiments", "tiny", "smoke"))
  assert reproduce.default_out(cfg, path, "cpu").endswith(os.path.join("experiments", "tiny"))


def test_tuning_selects_on_the_selection_split_and_runs_seeds_at_the_choice(tmp_path):
  extra = ('c.sweep.arms = {"mlp": {}}\n'
           '  c.sweep.tune = {"grids": {"mlp": [("optimizer.learning_rate", [1e-4, 3e-2])]}, "split": "train[80%:]",'
           ' "train_split": "train[:80%]", "metric": "eval/loss", "seeds": [7]}')
  path = tiny(tmp_path, extra)
  out = str(tmp_path / "out")
  res = reproduce.run_experiment(path, "cpu", out_dir=out, workdir_root=str(tmp_path / "wd"), quiet=True)
  t = res["tuning"]
  assert t["mode"] == "min" and t["split"] == "train[80%:]" and set(t["table"]) == {"mlp"}
  rows = t["table"]["mlp"]
  best = min(rows, key=lambda r: r["mean"])
  assert best.get("chosen") and t["chosen"]["mlp"] == best["point"]
  sel = [r for r in t["runs"]]
  assert len(sel) == 2 and all(r["overrides"]["data"]["split_eval"] == "train[80%:]" for r in sel)
  assert all(r["overrides"]["data"]["split_train"] == "train[:80%]" for r in sel)
  assert all(r["seed"] == 7 for r in sel)
  chosen_lr = best["point"]["optimizer.learning_rate"]
  assert [r["arm"] for r in res["runs"]] == ["mlp", "mlp"]
  for r in res["runs"]:
    if r["arm"] == "mlp":
      assert r["overrides"]["optimizer"]["learning_rate"] == chosen_lr and "data" not in r["overrides"]
  assert t["edges"]                    # a two-point grid: the choice is at an end
  text = open(res["report"]).read()
  assert "## Tuning" in text and "(chosen)" in text and "not the verdict" in text
  # selecting on the test split is refused
  bad = tiny(tmp_path, extra.replace('"split": "train[80%:]"', '"split": "test"'), name="bad.py")
  cfg, _ = experiment.load_config(bad)
  from lbrl.tools.kinds import tuning
  with pytest.raises(ValueError, match="test split"):
    tuning.spec_of(cfg)
  # selecting on examples the selection runs train on is refused
  leak = tiny(tmp_path, extra.replace('"train_split": "train[:80%]", ', ''), name="leak.py")
  with pytest.raises(ValueError, match="overlaps the selection runs' training split"):
    tuning.spec_of(experiment.load_config(leak)[0])


# ------------------------------------------------------------------------------------------ the index
def test_catalog_is_packaged_and_matches_shared_when_present():
  cat = report.catalog()
  assert os.path.dirname(report.CATALOG) == os.path.join(REPO, "lbrl", "tools")
  assert "catalog.json" in open(os.path.join(REPO, "setup.py")).read()
  if not os.path.exists(report.SHARED_CATALOG):
    pytest.skip("no ../shared beside the repository")
  shared = json.load(open(report.SHARED_CATALOG))
  assert {p["slug"]: {"cat": p["cat"], "title": p["title"]} for p in shared} == cat["papers"]


def test_index_does_not_read_outside_the_repository(monkeypatch):
  monkeypatch.setattr(report, "SHARED_CATALOG", "/nonexistent/catalog.json")
  src = open(os.path.join(REPO, "lbrl", "tools", "report.py")).read()
  body = src.split("def render_index")[1]
  assert "SHARED_CATALOG" not in body and "shared" not in body.split("def write_index")[0]
  text = report.render_index()
  assert "| `mnist1d` |" in text and "| kind |" in text


def test_index_is_fresh():
  """experiments/README.md must equal what `python -m lbrl.reproduce --index` would write."""
  path = os.path.join(REPO, "experiments", "README.md")
  assert os.path.exists(path), "run: python -m lbrl.reproduce --index"
  assert open(path).read() == report.render_index(), "stale index: run python -m lbrl.reproduce --index"


def test_committed_reports_use_the_five_labels_and_explain_them():
  for path in glob.glob(os.path.join(REPO, "experiments", "*", "results.json")):
    res = json.load(open(path))
    assert res["verdict"] in stats.VERDICTS, path
    text = open(os.path.join(os.path.dirname(path), "README.md")).read()
    for r in res["rules"]:
      assert r["outcome"] in stats.OUTCOMES, path
      if r["outcome"] == stats.INCONCLUSIVE and res.get("kind") in ("sweep", "grid", "analysis") and "than" in r["rule"]:
        assert "minimum detectable effect" in r["text"] or "smallest margin TOST confirms" in r["text"], path
    if res["verdict"] == "not reproduced":
      assert "Contradicted:" in text, path


# --------------------------------------------------------------------------------------------- layers
def _imports(path):
  tree = ast.parse(open(path).read())
  out = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
  out += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
  out += [f"lbrl.{a.name}" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == "lbrl"
          for a in n.names]
  return out


def test_tools_layering():
  tools = os.path.join(REPO, "lbrl", "tools")
  assert not [m for m in _imports(os.path.join(tools, "report.py")) if m.endswith("reproduce")]
  for f in ("experiment.py", "stats.py", "verdicts.py", "plots.py"):
    assert not [m for m in _imports(os.path.join(tools, f)) if m.endswith(("reproduce", "report"))], f
  for layer in ("losses", "optim", "kernels", "models", "data", "parallel"):
    for path in glob.glob(os.path.join(REPO, "lbrl", layer, "**", "*.py"), recursive=True):
      assert not [m for m in _imports(path) if m.startswith("lbrl.tools")], path
  for path in glob.glob(os.path.join(REPO, "benchmarks", "*.py")):
    assert not [m for m in _imports(path) if m.split(".")[0] == "tests"], path
