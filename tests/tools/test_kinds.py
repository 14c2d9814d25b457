"""The experiment kinds on tiny cases: grid (surface and the optimum_stable rule), fit (a known law, the
Chinchilla points), analysis (Hessian eigenvalue and loss along a line from restored checkpoints)."""
import json
import os

import numpy as np
import pytest

from lbrl.tools import experiment, reproduce, stats
from lbrl.tools.kinds import fit, grid

SCALING = "/work/shared/data/scaling_laws"
if not os.path.isdir(SCALING):
  SCALING = os.path.join(reproduce.REPO, "..", "shared", "data", "scaling_laws")

HEAD = '''"""A tiny {kind} experiment for tests."""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="mnist1d", batch_size=96, eval_batch_size=200)
  c.model = common.free(name="logreg")
  c.optimizer = common.free(name="adam", learning_rate=1e-2)
  c.steps = 2
  c.log_every = 1
  c.paper.update(title="Tiny {kind}", year=2020, arxiv="0000.00000", slug="tiny_{kind}", claim="a claim")
  c.sweep.kind = "{kind}"
'''


def write(tmp_path, kind, body):
  path = tmp_path / f"tiny_{kind}.py"
  path.write_text(HEAD.format(kind=kind) + body + "  return common.finalize(c)\n")
  return str(path)


# ---------------------------------------------------------------------------------------------- grid
def test_grid_runs_every_point_and_reports_a_surface(tmp_path):
  path = write(tmp_path, "grid", '''  c.model = common.free(name="mlp", hidden=(8,))
  c.sweep.update(seeds=[0])
  c.grid = dict(axes=[("model.hidden", [(4,), (8,)]), ("optimizer.learning_rate", [1e-1])])
  c.sweep.rules = [{"arm": "hidden=(8,),learning_rate=0.1", "op": ">=", "value": 0.0}]
''')
  cfg, _ = experiment.load_config(path)
  assert experiment.kind_of(cfg) == "grid"
  cfg.grid.axes = [("model.hidden", [(4,), (8,)]), ("optimizer.learning_rate", [1e-3, 1e-1])]
  assert set(grid.arms(cfg)) == {"hidden=(4,),learning_rate=0.001", "hidden=(4,),learning_rate=0.1",
                                 "hidden=(8,),learning_rate=0.001", "hidden=(8,),learning_rate=0.1"}
  res = reproduce.run_experiment(path, "cpu", out_dir=str(tmp_path / "out"), workdir_root=str(tmp_path / "wd"),
                                 quiet=True)           # the config's 2 x 1 grid: two runs
  assert res["kind"] == "grid" and len(res["surface"]["points"]) == 2
  assert all(p["n"] == 1 and 0 <= p["mean"] <= 1 for p in res["surface"]["points"])
  runs = {r["arm"]: r for r in res["runs"]}
  assert runs["hidden=(4,),learning_rate=0.1"]["overrides"] == {"model": {"hidden": [4]}, "optimizer": {"learning_rate": 0.1}} \
      or runs["hidden=(4,),learning_rate=0.1"]["overrides"] == {"model": {"hidden": (4,)}, "optimizer": {"learning_rate": 0.1}}
  text = open(res["report"]).read()
  assert "Surface of eval/accuracy" in text and "| model.hidden \\ optimizer.learning_rate | 0.1 |" in text
  assert res["verdict"] == "inconclusive at this scale"     # one seed: a threshold's interval needs two
  assert os.path.getsize(tmp_path / "out" / "grid.png") > 1000


def test_grid_tunes_one_shared_setting_at_its_probes_and_applies_it_to_every_point(tmp_path):
  """A grid's ``sweep.tune``: each candidate runs at every probe on the selection split; the best mean over
  probes and seeds is the one setting every grid point then trains with (the grid's axes stay the test)."""
  path = write(tmp_path, "grid", '''  c.sweep.update(seeds=[0])
  c.optimizer = common.free(name="adamw", learning_rate=1e-2, weight_decay=0.0)
  c.grid = dict(axes=[("data.batch_size", [32, 64]), ("optimizer.weight_decay", [0.0])])
  c.sweep.rules = [{"arm": "batch_size=32,weight_decay=0.0", "op": ">=", "value": 0.0}]
  c.sweep.tune = dict(grids={"grid": [("optimizer.learning_rate", [1e-5, 1e-1])]},
                      probes=[{"data.batch_size": 32}, {"data.batch_size": 64}], split="train[80%:]",
                      train_split="train[:80%]", metric="eval/loss", seeds=[5])
''')
  res = reproduce.run_experiment(path, "cpu", out_dir=str(tmp_path / "out"), workdir_root=str(tmp_path / "wd"),
                                 quiet=True)
  t = res["tuning"]
  sel = t["runs"]
  assert sorted(r["arm"] for r in sel) == ["grid@learning_rate=0.1|batch_size=32", "grid@learning_rate=0.1|batch_size=64",
                                           "grid@learning_rate=1e-05|batch_size=32", "grid@learning_rate=1e-05|batch_size=64"]
  assert all(r["overrides"]["data"]["split_eval"] == "train[80%:]" and r["seed"] == 5 for r in sel)
  assert {r["arm"].split("|")[1]: r["overrides"]["data"]["batch_size"] for r in sel} == {"batch_size=32": 32, "batch_size=64": 64}
  rows = t["table"]["grid"]
  by_lr = {r["point"]["optimizer.learning_rate"]: r for r in rows}
  for lr, row in by_lr.items():        # the mean is over both probes
    vals = [r["final"]["eval/loss"] for r in sel if r["arm"].startswith(f"grid@learning_rate={lr}|")]
    assert row["n"] == 2 and abs(row["mean"] - np.mean(vals)) < 1e-12
  chosen = min(rows, key=lambda r: r["mean"])["point"]["optimizer.learning_rate"]
  assert chosen == 0.1 and t["chosen"]["grid"] == {"optimizer.learning_rate": 0.1}   # two Adam steps: the larger rate
  assert {r["arm"]: r["overrides"]["optimizer"]["learning_rate"] for r in res["runs"]} == \
      {"batch_size=32,weight_decay=0.0": chosen, "batch_size=64,weight_decay=0.0": chosen}
  assert all("data" not in r["overrides"] or "split_eval" not in r["overrides"]["data"] for r in res["runs"])
  text = open(res["report"]).read()
  assert "## Tuning" in text and "at each of 2 probe(s)" in text and "(chosen)" in text
  cfg, _ = experiment.load_config(path)
  from lbrl.tools.kinds import tuning
  cfg.sweep.tune.grids = {"points": [("optimizer.learning_rate", [1e-3])]}
  with pytest.raises(ValueError, match="single key 'grid'"):
    tuning.spec_of(cfg)


def _grid_records(means, sd=0.002, seeds=3):
  """Records of a 2 x 3 grid (width x lr) with the given means per (width, lr index) and seed noise."""
  rng = np.random.default_rng(0)
  recs = []
  for (w, i), m in means.items():
    for s in range(seeds):
      recs.append({"arm": experiment.point_name({"model.width": w, "optimizer.learning_rate": [0.01, 0.1, 1.0][i]}),
                   "seed": s, "final": {"eval/accuracy": m + rng.normal(0, sd)}})
  return recs


class _Cfg(dict):
  """The two config fields optimum_stable reads."""
  def __getattr__(self, k):
    return self[k]


def test_optimum_stable_three_ways():
  cfg = _Cfg(grid={"axes": [("model.width", [8, 64]), ("optimizer.learning_rate", [0.01, 0.1, 1.0])]})
  rule = {"op": "optimum_stable", "axis": "optimizer.learning_rate", "across": "model.width", "max_shift": 0}
  same = {(8, 0): 0.5, (8, 1): 0.9, (8, 2): 0.6, (64, 0): 0.5, (64, 1): 0.95, (64, 2): 0.7}
  assert grid.optimum_stable(rule, _grid_records(same), cfg, "eval/accuracy").outcome == stats.HOLDS
  moved = {(8, 0): 0.9, (8, 1): 0.6, (8, 2): 0.5, (64, 0): 0.5, (64, 1): 0.6, (64, 2): 0.9}
  r = grid.optimum_stable(rule, _grid_records(moved), cfg, "eval/accuracy")
  assert r.outcome == stats.CONTRADICTED
  assert grid.optimum_stable({**rule, "max_shift": 2}, _grid_records(moved), cfg, "eval/accuracy").outcome == stats.HOLDS
  flat = {(8, 0): 0.9, (8, 1): 0.9, (8, 2): 0.5, (64, 0): 0.5, (64, 1): 0.9, (64, 2): 0.9}   # ties at the top
  r = grid.optimum_stable(rule, _grid_records(flat, sd=0.02), cfg, "eval/accuracy")
  assert r.outcome == stats.INCONCLUSIVE and r.numbers["plausible_optima"]["8"] == [0, 1]
  # a direction: the optimum moves to larger rates as the width grows (moved), stays (same), or ties (flat)
  up = {**rule, "expect": "increases"}
  assert grid.optimum_stable(up, _grid_records(moved), cfg, "eval/accuracy").outcome == stats.HOLDS
  assert grid.optimum_stable({**rule, "expect": "decreases"}, _grid_records(moved), cfg,
                             "eval/accuracy").outcome == stats.CONTRADICTED
  assert grid.optimum_stable(up, _grid_records(same), cfg, "eval/accuracy").outcome == stats.CONTRADICTED
  assert grid.optimum_stable(up, _grid_records(flat, sd=0.02), cfg, "eval/accuracy").outcome == stats.INCONCLUSIVE
  with pytest.raises(ValueError, match="expect="):
    grid.optimum_stable({**rule, "expect": "up"}, _grid_records(same), cfg, "eval/accuracy")


# ----------------------------------------------------------------------------------------------- fit
# (parameter recovery for every law and the Chinchilla refit: tests/laws/test_fitting.py)


def test_fit_kind_writes_a_report_with_bootstrap_rules(tmp_path):
  rng = np.random.default_rng(1)
  x = np.geomspace(1e3, 1e6, 25)
  y = 2.0 + 30.0 * x ** -0.25 * np.exp(rng.normal(0, 0.003, x.shape))
  data = tmp_path / "points.csv"
  data.write_text("n,loss,split\n" + "".join(f"{a},{b},val\n" for a, b in zip(x, y)) + "5,99,train\n")
  path = write(tmp_path, "fit", f'''  c.fit = dict(law="power_law", data="points.csv", columns={{"x": "n", "y": "loss"}}, where={{"split": "val"}},
               bootstrap=40)
  c.sweep.rules = [{{"param": "alpha", "op": "between", "value": (0.2, 0.3)}}, {{"param": "E", "op": ">=", "value": 5}}]
''')
  res = reproduce.run_experiment(path, "cpu", out_dir=str(tmp_path / "out"), quiet=True)
  assert res["kind"] == "fit" and "25 points" in res["data"]            # the train row is filtered out
  assert [r["outcome"] for r in res["rules"]] == [stats.HOLDS, stats.CONTRADICTED]
  assert res["verdict"] == "partly reproduced"
  text = open(res["report"]).read()
  assert "| alpha |" in text and "bootstrap 95% CI" in text and "y = E + A * x^(-alpha)" in text


def test_fit_reads_points_from_a_sweeps_results():
  """A fit over a sweep's runs: x from each run's override, y from its final metric."""
  from lbrl.laws import fitting, forms
  law = forms.FORMS["power_law"]
  widths = [8, 16, 32, 64, 128, 256]
  runs = [{"arm": f"w{w}", "seed": 0, "overrides": {"model": {"hidden": w}},
           "final": {"eval/loss": float(law.fn({"E": 1.0, "A": 4.0, "alpha": 0.5}, {"x": np.float64(w)}))}}
          for w in widths]
  import tempfile
  with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "results.json")
    json.dump({"runs": runs}, open(path, "w"))
    X, y, _ = fit.load_points({"data": path, "columns": {"x": "overrides.model.hidden", "y": "final.eval/loss"}}, law)
  assert list(X["x"]) == widths and len(y) == 6
  params = fitting.fit(law, X, y).params
  assert np.allclose([params["E"], params["A"], params["alpha"]], [1.0, 4.0, 0.5], rtol=1e-3)


# ------------------------------------------------------------------------------------------ benchmark
def test_benchmark_kind_through_the_runner(tmp_path):
  path = os.path.join(reproduce.REPO, "configs", "two_pass_softmax.py")
  res = reproduce.run_experiment(path, "smoke", out_dir=str(tmp_path), quiet=True)
  assert res["kind"] == "benchmark" and res["verdict"] == stats.SMOKE and res["processors"]
  text = open(res["report"]).read()
  assert "Smoke test, no verdict" in text and "| rows x cols |" in text and "--variant smoke" in text
  assert os.path.getsize(tmp_path / "benchmark.png") > 1000


# ------------------------------------------------------------------------------------------ analysis
def test_analysis_restores_checkpoints_and_matches_a_dense_hessian(tmp_path):
  import jax
  from jax.flatten_util import ravel_pytree
  from lbrl.tools.kinds import analysis
  path = write(tmp_path, "analysis", '''  c.sweep.update(seeds=[0, 1], metric="analysis/hessian_top_eigenvalue")
  c.sweep.arms = {"logreg": {}}
  c.analysis = dict(tool="hessian_top_eigenvalue", kwargs={"iters": 200}, split="train", batch_size=128)
  c.sweep.rules = [{"arm": "logreg", "op": ">=", "value": 0.0}]
''')
  out, wd = str(tmp_path / "out"), str(tmp_path / "wd")
  res = reproduce.run_experiment(path, "cpu", out_dir=out, workdir_root=wd, quiet=True)
  assert res["kind"] == "analysis" and res["verdict"] == "reproduced"
  rec = res["runs"][0]
  lam = rec["final"]["analysis/hessian_top_eigenvalue"]
  # independent: the dense Hessian of the same loss at the restored parameters, its largest |eigenvalue|
  cfg = experiment.expand(experiment.load_config(path)[0], [rec["seed"]])[0]["config"]
  task, state, init, (train, _) = analysis.restore(cfg, rec["workdir"])
  loss = analysis._loss_fn(task, state, train.arrays, 128)
  flat, unravel = ravel_pytree(state.params)
  h = np.asarray(jax.hessian(lambda v: loss(unravel(v)))(flat), np.float64)
  eig = np.linalg.eigvalsh((h + h.T) / 2)
  assert np.isclose(lam, eig[np.argmax(np.abs(eig))], rtol=2e-2)
  assert not np.allclose(ravel_pytree(init.params)[0], flat)     # trained, not the initial state
  # the loss along the line from the initial to the trained parameters
  scalars, extra = analysis.apply(cfg, rec["workdir"], {"tool": "loss_along_line", "kwargs": {"num_points": 5},
                                                       "split": "train", "batch_size": 128})
  ts, values = extra["line"]
  assert ts == [0.0, 0.25, 0.5, 0.75, 1.0]
  assert np.isclose(values[0], float(loss(init.params)), rtol=1e-5)
  assert np.isclose(values[-1], float(loss(state.params)), rtol=1e-5)
  assert scalars["analysis/barrier"] >= -1e-6
  text = open(res["report"]).read()
  assert "analysis/hessian_top_eigenvalue" in text
  saved = json.load(open(os.path.join(out, "runs", "logreg__seed0.json")))
  assert "analysis/hessian_top_eigenvalue" in saved["final"]


def test_analysis_at_init_trains_nothing_and_sees_the_initialisation(tmp_path):
  """``at="init"``: no workdir, the tool sees the seed's initial parameters (the dense Hessian of the
  initial loss agrees), the record is reused on a rerun, and unknown keys/tools are refused."""
  import jax
  from jax.flatten_util import ravel_pytree
  from lbrl.tools.kinds import analysis
  path = write(tmp_path, "analysis", '''  c.sweep.update(seeds=[3], metric="analysis/hessian_top_eigenvalue")
  c.sweep.arms = {"logreg": {}}
  c.analysis = dict(tool="hessian_top_eigenvalue", kwargs={"iters": 200}, split="eval", batch_size=64, at="init")
  c.sweep.rules = [{"arm": "logreg", "op": ">=", "value": 0.0}]
''')
  out, wd = str(tmp_path / "out"), str(tmp_path / "wd")
  res = reproduce.run_experiment(path, "cpu", out_dir=out, workdir_root=wd, quiet=True)
  assert not os.path.exists(wd)                           # nothing trained
  rec = res["runs"][0]
  assert rec["workdir"] is None and rec["analysis_spec"]["at"] == "init"
  cfg = experiment.expand(experiment.load_config(path)[0], [3])[0]["config"]
  ctx = analysis.context(cfg, None, analysis.spec_of(cfg))
  assert ctx.x.shape[0] == 64 and ctx.at == "init"
  assert all(np.array_equal(a, b) for a, b in zip(jax.tree.leaves(ctx.params), jax.tree.leaves(ctx.init_params)))
  flat, unravel = ravel_pytree(ctx.params)
  h = np.asarray(jax.hessian(lambda v: ctx.loss(unravel(v)))(flat), np.float64)
  eig = np.linalg.eigvalsh((h + h.T) / 2)
  assert np.isclose(rec["final"]["analysis/hessian_top_eigenvalue"], eig[np.argmax(np.abs(eig))], rtol=2e-2)
  mtime = os.path.getmtime(os.path.join(out, "runs", "logreg__seed3.json"))
  res2 = reproduce.run_experiment(path, "cpu", out_dir=out, workdir_root=wd, quiet=True)
  assert os.path.getmtime(os.path.join(out, "runs", "logreg__seed3.json")) == mtime   # reused, not recomputed
  assert res2["runs"][0]["final"] == rec["final"]
  assert "initialisation (no training)" in open(res["report"]).read()
  cfg.analysis.at = "middle"
  with pytest.raises(ValueError, match="config.analysis.at"):
    analysis.spec_of(cfg)
  cfg.analysis.at = "init"
  cfg.analysis.tool = "no_such_tool"
  with pytest.raises(ValueError, match="config.analysis.tool"):
    analysis.spec_of(cfg)


def test_a_diverged_run_is_recorded_and_the_sweep_goes_on(tmp_path):
  """An arm whose loss turns non-finite is recorded as diverged (no eval metric, ``diverged = 1``), the
  other arm's runs still train, the report lists it, and a rule on ``diverged`` sees the rate."""
  path = write(tmp_path, "sweep", '''  c.sweep.update(seeds=[0, 1], metric="eval/accuracy")
  c.on_nonfinite = "stop"
  c.optimizer = common.free(name="sgd", learning_rate=1e-2)
  c.sweep.arms = {"ok": {}, "blowup": {"optimizer": {"learning_rate": 1e38}}}
  c.sweep.rules = [{"arm": "blowup", "op": ">=", "value": 1.0, "metric": "diverged"},
                   {"arm": "ok", "op": "<=", "value": 0.0, "metric": "diverged"}]
''')
  res = reproduce.run_experiment(path, "cpu", out_dir=str(tmp_path / "out"), workdir_root=str(tmp_path / "wd"),
                                 quiet=True)
  by = {(r["arm"], r["seed"]): r for r in res["runs"]}
  assert by[("blowup", 0)]["final"] == {"diverged": 1.0} and "non-finite" in by[("blowup", 1)]["diverged_reason"]
  assert by[("ok", 0)]["final"]["diverged"] == 0.0 and "eval/accuracy" in by[("ok", 1)]["final"]
  assert [r["outcome"] for r in res["rules"]] == [stats.HOLDS, stats.HOLDS]
  assert "Diverged runs" in open(res["report"]).read()


def test_analysis_arms_may_override_the_tools_arguments(tmp_path):
  path = write(tmp_path, "analysis", '''  c.sweep.update(seeds=[0], metric="analysis/loss_at_end")
  c.analysis = dict(tool="loss_along_line", kwargs={"num_points": 3}, split="eval", batch_size=32, at="init")
  c.sweep.arms = {"three": {}, "five": {"analysis": {"kwargs": {"num_points": 5}}}}
  c.sweep.rules = [{"arm": "batch_size=32,weight_decay=0.0", "op": ">=", "value": 0.0}]
  c.sweep.not_testable = "a test"
''')
  res = reproduce.run_experiment(path, "cpu", out_dir=str(tmp_path / "out"), workdir_root=str(tmp_path / "wd"),
                                 quiet=True)
  lines = {r["arm"]: r["line"][0] for r in res["runs"]}
  assert lines == {"three": [0.0, 0.5, 1.0], "five": [0.0, 0.25, 0.5, 0.75, 1.0]}


def test_analysis_metric_tunes_each_arm_on_its_selection_split(tmp_path):
  """``sweep.tune`` with ``metric="analysis/<key>"``: the tool runs on every selection run (trained on
  the selection training split, analysed on the selection split when the tool reads the eval split), and
  the chosen point is the one whose analysed value is best; at initialisation tuning is refused."""
  path = write(tmp_path, "analysis", '''  c.sweep.update(seeds=[0], metric="analysis/barrier")
  c.sweep.arms = {"logreg": {}}
  c.analysis = dict(tool="loss_along_line", kwargs={"num_points": 3}, split="eval", batch_size=64)
  c.sweep.tune = dict(grids={"logreg": [("optimizer.learning_rate", [1e-3, 1e-1])]}, split="train[80%:]",
                      train_split="train[:80%]", metric="analysis/loss_at_end", mode="min", seeds=[5])
  c.sweep.rules = [{"arm": "logreg", "op": ">=", "value": -1.0}]
''')
  out, wd = str(tmp_path / "out"), str(tmp_path / "wd")
  res = reproduce.run_experiment(path, "cpu", out_dir=out, workdir_root=wd, quiet=True)
  t = res["tuning"]
  rows = t["table"]["logreg"]
  assert all(np.isfinite(r["mean"]) for r in rows)
  sel = {r["overrides"]["optimizer"]["learning_rate"]: r for r in t["runs"]}
  assert all("analysis/loss_at_end" in r["final"] for r in sel.values())
  best = min(sel, key=lambda lr: sel[lr]["final"]["analysis/loss_at_end"])
  assert t["chosen"]["logreg"] == {"optimizer.learning_rate": best}
  at_init = write(tmp_path, "analysis", '''  c.sweep.update(seeds=[0], metric="analysis/barrier")
  c.sweep.arms = {"logreg": {}}
  c.analysis = dict(tool="loss_along_line", split="eval", batch_size=64, at="init")
  c.sweep.tune = dict(grids={"logreg": [("optimizer.learning_rate", [1e-3, 1e-1])]}, split="train[80%:]",
                      train_split="train[:80%]", metric="analysis/loss_at_end", seeds=[5])
''')
  with pytest.raises(ValueError, match="nothing to tune"):
    reproduce.run_experiment(at_init, "cpu", out_dir=str(tmp_path / "o2"), workdir_root=str(tmp_path / "w2"),
                             quiet=True)


# ------------------------------------------------------------------------------- training diagnostics
def test_training_diagnostics_are_kept_plotted_and_tabled(tmp_path):
  """A config's ``diagnostics`` reach the run records as curves read from the run's own log, the report
  tables each arm's first/last mean over seeds and plots them; loss spikes are counted on the logged
  training loss."""
  path = write(tmp_path, "sweep", '''  c.model = common.free(name="mlp", hidden=(8,))
  c.steps = 3
  c.diagnostics = ["layer_gradient_norms"]
  c.sweep.update(seeds=[0, 1], metric="eval/accuracy")
  c.sweep.arms = {"slow": {}, "fast": {"optimizer": {"learning_rate": 1e-1}}}
  c.sweep.rules = [{"arm": "fast", "op": ">=", "value": 0.0}]
''')
  res = reproduce.run_experiment(path, "cpu", out_dir=str(tmp_path / "out"), workdir_root=str(tmp_path / "wd"),
                                 quiet=True)
  from lbrl.train.record import read_metrics
  logged = {}
  for r in res["runs"]:
    rows = read_metrics(r["workdir"])
    diag = {k for row in rows for k in row if k.startswith("diag/layer_gradient_norms/")}
    assert diag and set(r["diagnostics"]) == diag | {"train/loss"}
    for k in diag:
      assert r["diagnostics"][k] == [[row["step"], row[k]] for row in rows if k in row]
      logged.setdefault((r["arm"], k), []).append([row[k] for row in rows if k in row])
  text = open(res["report"]).read()
  assert "## Training diagnostics" in text and "loss spikes" in text
  assert os.path.getsize(tmp_path / "out" / "diagnostics.png") > 1000
  (arm, key), vals = sorted(logged.items())[0]
  first, last = np.mean([v[0] for v in vals]), np.mean([v[-1] for v in vals])
  row = next(line for line in text.splitlines() if line.startswith(f"| `{key.removeprefix('diag/')}` |"))
  cells = dict(zip(list(res["arms"]), [c.strip() for c in row.strip("|").split("|")[1:]]))
  assert cells[arm] == f"{first:.4g} → {last:.4g}"


def test_loss_spike_counts_follow_the_signal_tool():
  from lbrl.tools import report
  flat = [[s, 1.0] for s in range(60)]
  spiky = [[s, 3.0 if s in (20, 40) else 1.0] for s in range(60)]
  runs = [{"arm": "a", "diagnostics": {"train/loss": flat}}, {"arm": "a", "diagnostics": {"train/loss": spiky}},
          {"arm": "b", "diagnostics": {}}]
  assert report.loss_spike_counts({"runs": runs}) == {"a": 1.0}


def test_plotted_diagnostics_show_every_diagnostic_before_a_third_panel():
  from lbrl.tools import plots
  keys = sorted([f"diag/{n}/{s}" for n in ("a", "b", "c") for s in ("first", "last", "max", "ratio")] + ["train/loss"])
  shown = plots.plotted_diagnostics(keys)
  assert len(shown) == plots.MAX_DIAGNOSTIC_PANELS and "train/loss" in shown
  assert {f"diag/{n}/{s}" for n in "abc" for s in ("last", "ratio")} <= set(shown)
  assert shown == sorted(shown, key=keys.index)
  assert plots.plotted_diagnostics(keys[:3]) == keys[:3]


def test_optimum_location_recovers_a_sub_step_drift_per_seed():
  """Losses exactly quadratic in log10(lr) around a per-seed optimum: the parabola's vertex recovers each
  seed's optimum between grid points (the drift of 0.3 decades is under one half-decade step), the drift is
  paired over seeds, and a best point at the grid's end is flagged instead of extrapolated."""
  lrs = [1e-3, 10 ** -2.5, 1e-2, 10 ** -1.5, 1e-1]
  cfg = _Cfg(grid={"axes": [("model.width", [8, 64, 512]), ("optimizer.learning_rate", lrs)]})
  truth = {8: -2.1, 64: -1.95, 512: -1.8}
  jitter = {0: 0.0, 1: 0.04, 2: -0.03, 3: 0.02}
  recs = [{"arm": experiment.point_name({"model.width": w, "optimizer.learning_rate": lr}), "seed": s,
           "final": {"eval/loss": 0.7 + 3.0 * (np.log10(lr) - (x0 + j)) ** 2}}
          for w, x0 in truth.items() for s, j in jitter.items() for lr in lrs]
  rule = {"op": "optimum_stable", "axis": "optimizer.learning_rate", "across": "model.width", "mode": "min"}
  loc = grid.optimum_location(rule, recs, cfg, "eval/loss")
  for row in loc["rows"]:
    want = {s: truth[row["across"]] + j for s, j in jitter.items()}
    assert row["log10_optimum"] == pytest.approx(want, abs=1e-9) and not row["at_grid_end"]
    assert row["lo"] < row["mean"] < row["hi"]
  assert loc["drift"]["decades"] == pytest.approx(0.3, abs=1e-9)
  assert loc["drift"]["lo"] == pytest.approx(0.3, abs=1e-9)          # the same jitter at every width: no spread
  edge = [dict(r, final={"eval/loss": -np.log10(float(r["arm"].split("learning_rate=")[1]))}) for r in recs]
  row = grid.optimum_location(rule, edge, cfg, "eval/loss")["rows"][0]
  assert row["at_grid_end"] == [0, 1, 2, 3] and row["mean"] == pytest.approx(-1.0)   # best at 0.1, not beyond
  zero = _Cfg(grid={"axes": [("model.width", [8, 64, 512]), ("optimizer.learning_rate", [0.0] + lrs[1:])]})
  assert grid.optimum_location(rule, recs, zero, "eval/loss") is None     # an axis from 0: no log scale
  text = "\n".join(grid.location_section(loc))
  assert "+0.30 decades (95% [+0.30, +0.30], paired over 4 seeds)" in text


def test_tuning_never_chooses_a_setting_that_diverged_on_a_selection_seed():
  """Three selection seeds: 3e-2 has the best mean over the seeds that finished, but diverged on one; it is
  not chosen (the mean of its survivors would hide the instability), and the table says so."""
  from lbrl.tools.kinds import tuning
  spec = {"metric": "eval/loss", "mode": "min", "grids": {"a": [("optimizer.learning_rate", [1e-2, 3e-2, 1e-1])]}}
  cand = {"a": [({"optimizer.learning_rate": lr}, {f"a@learning_rate={lr}": {}}) for lr in (1e-2, 3e-2, 1e-1)]}
  final = {1e-2: [2.1, 2.2, 2.15], 3e-2: [2.0, None, 2.05], 1e-1: [None, None, None]}
  recs = [{"arm": f"a@learning_rate={lr}", "seed": s,
           "final": {"diverged": 1.0} if v is None else {"eval/loss": v, "diverged": 0.0}}
          for lr, vs in final.items() for s, v in enumerate(vs)]
  res = tuning.choose(recs, cand, spec)
  assert res["chosen"]["a"] == {"optimizer.learning_rate": 1e-2}
  rows = res["table"]["a"]
  assert rows[1]["diverged"] == 1 and rows[1]["n"] == 2 and rows[2]["diverged"] == 3
  text = "\n".join(tuning.section({**res, "seeds": [0, 1, 2], "split": "v", "metric": "eval/loss", "mode": "min"}))
  assert "diverged on 1 of 3 seeds" in text and "diverged on 3 of 3 seeds" in text
