"""Reproduction runner: statistics, verdict rules, sweep expansion, resume, report, index staleness."""
import json
import os

import numpy as np
import pytest
from scipy import stats as sps

from lbrl.tools import report, reproduce, stats

REPO = reproduce.REPO


def test_summary_matches_numpy_and_t_interval():
  v = [0.91, 0.93, 0.96, 0.94]
  s = stats.summarize(v)
  assert s.n == 4 and np.isclose(s.mean, np.mean(v)) and np.isclose(s.std, np.std(v, ddof=1))
  half = 3.182446305284263 * np.std(v, ddof=1) / 2  # t_{0.975, 3}
  assert np.isclose(s.hi - s.mean, half) and np.isclose(s.mean - s.lo, half)


def test_welch_interval_matches_scipy():
  a, b = [0.9, 0.92, 0.95], [0.8, 0.85, 0.83, 0.86]
  d, lo, hi = stats.diff_interval(a, b)
  res = sps.ttest_ind(a, b, equal_var=False)
  ci = res.confidence_interval(0.95)
  assert np.isclose(d, np.mean(a) - np.mean(b)) and np.isclose(lo, ci.low) and np.isclose(hi, ci.high)


def test_rules_and_tie_within_noise():
  vals = {"a": [0.90, 0.91, 0.92], "b": [0.80, 0.81, 0.82], "noisy": [0.85, 0.95, 0.75]}
  assert stats.check_rule({"arm": "a", "op": ">", "than": "b"}, vals).passed
  assert not stats.check_rule({"arm": "b", "op": ">", "than": "a"}, vals).passed
  assert "opposite" in stats.check_rule({"arm": "b", "op": ">", "than": "a"}, vals).text
  # a 0.0 mean difference inside big seed noise is a tie, never a win
  r = stats.check_rule({"arm": "noisy", "op": ">", "than": "b"}, vals)
  assert not r.passed and "within noise" in r.text
  assert stats.check_rule({"arm": "noisy", "op": "tie", "than": "a"}, vals).passed
  assert stats.check_rule({"arm": "a", "op": ">=", "value": 0.9}, vals).passed
  assert not stats.check_rule({"arm": "a", "op": "between", "value": (0.5, 0.6)}, vals).passed
  assert not stats.check_rule({"arm": "missing", "op": ">=", "value": 0}, vals).passed


def test_verdicts():
  ok, bad = stats.RuleResult({}, True, ""), stats.RuleResult({}, False, "")
  assert stats.verdict([ok, ok]) == "reproduced"
  assert stats.verdict([ok, bad]) == "partly reproduced"
  assert stats.verdict([bad]) == "not reproduced"
  assert stats.verdict([], "needs ImageNet") == "not testable at this scale"
  assert stats.verdict([ok, ok], partly_testable="speed needs a GPU") == "partly reproduced"
  assert stats.verdict([bad], partly_testable="speed needs a GPU") == "not reproduced"
  with pytest.raises(ValueError):
    stats.verdict([])


TINY = '''"""A tiny sweep for tests."""
from configs import common


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="mnist1d", batch_size=96, eval_batch_size=200)
  c.model = common.free(name="mlp", hidden=(16,))
  c.optimizer = common.free(name="adam", learning_rate=1e-2)
  c.steps = 3
  c.paper.update(title="Tiny", year=2020, arxiv="0000.00000", slug="tiny", claim="mlp beats logreg")
  c.sweep.update(seeds=[0, 1])
  c.sweep.arms = {"mlp": {}, "logreg": {"model": {"name": "logreg"}}, "wide": {"model": {"hidden": (32,)}}}
  c.sweep.rules = [{"arm": "mlp", "op": ">=", "value": 0.0},
                   {"arm": "mlp", "op": ">=", "value": 0.0, "metric": "eval/loss"}]
  return common.finalize(c)
'''


def test_expand_applies_overrides_and_seeds(tmp_path):
  path = tmp_path / "tiny.py"
  path.write_text(TINY)
  cfg, _ = reproduce.load_config(str(path))
  runs = reproduce.expand(cfg)
  assert [(r["arm"], r["seed"]) for r in runs] == [(a, s) for a in ("logreg", "mlp", "wide") for s in (0, 1)]
  by = {(r["arm"], r["seed"]): r["config"] for r in runs}
  assert by[("logreg", 1)].model.name == "logreg" and "hidden" not in by[("logreg", 1)].model  # replaced
  assert tuple(by[("wide", 0)].model.hidden) == (32,) and by[("wide", 0)].model.name == "mlp"   # merged
  assert by[("mlp", 1)].seed == 1
  with pytest.raises(KeyError, match="stesp"):
    reproduce._merge(cfg, {"stesp": 3})


def test_sweep_resumes_and_writes_report(tmp_path):
  path = tmp_path / "tiny.py"
  path.write_text(TINY)
  out, wds = str(tmp_path / "out"), str(tmp_path / "wd")
  res = reproduce.run_sweep(str(path), "cpu", out_dir=out, workdir_root=wds, quiet=True)
  assert res["verdict"] == "reproduced" and len(res["runs"]) == 6
  first = os.path.getmtime(os.path.join(out, "runs", "mlp__seed0.json"))
  os.remove(os.path.join(out, "runs", "logreg__seed1.json"))   # an interrupted sweep
  with open(os.path.join(out, "benchmark.md"), "w") as f:     # a benchmark script's companion table
    f.write("| V | time ratio |\n|---|---|\n| 64 | 0.5x |\n")
  res2 = reproduce.run_sweep(str(path), "cpu", out_dir=out, workdir_root=wds, quiet=True)
  assert os.path.getmtime(os.path.join(out, "runs", "mlp__seed0.json")) == first  # not rerun
  assert os.path.exists(os.path.join(out, "runs", "logreg__seed1.json"))
  text = open(os.path.join(out, "README.md")).read()
  assert "**Verdict: reproduced.**" in text and "| mlp |" in text and "python -m lbrl.reproduce" in text
  assert "PASS: [eval/loss] mean(mlp) =" in text  # a rule on a metric other than the sweep's
  assert "## Companion benchmark" in text and "| 64 | 0.5x |" in text
  assert os.path.getsize(os.path.join(out, "curves.png")) > 1000
  saved = json.load(open(os.path.join(out, "results.json")))
  assert saved["arms"]["mlp"]["n"] == 2 and saved["verdict"] == res2["verdict"]


def test_index_is_fresh():
  """experiments/README.md must equal what `python -m lbrl.reproduce --index` would write."""
  path = os.path.join(REPO, "experiments", "README.md")
  assert os.path.exists(path), "run: python -m lbrl.reproduce --index"
  assert open(path).read() == report.render_index(), "stale index: run python -m lbrl.reproduce --index"
