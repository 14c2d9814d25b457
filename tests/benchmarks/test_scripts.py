"""The benchmark scripts run end to end at tiny shapes and write what their docstrings promise."""
import json
import os
import runpy
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _main(script):
  sys.path.insert(0, REPO)
  return runpy.run_path(os.path.join(REPO, "benchmarks", script))["main"]


def test_losses_cost_does_not_import_tests_and_covers_the_battery():
  """The benchmark keeps its own cases (no test fixtures imported) and times the battery's losses."""
  import ast
  from tests.losses.cases import CASES
  src = open(os.path.join(REPO, "benchmarks", "losses_cost.py")).read()
  imported = [n.module or "" for n in ast.walk(ast.parse(src)) if isinstance(n, ast.ImportFrom)]
  imported += [a.name for n in ast.walk(ast.parse(src)) if isinstance(n, ast.Import) for a in n.names]
  assert not [m for m in imported if m.split(".")[0] == "tests"], imported
  from lbrl.registry import LOSSES
  bench = runpy.run_path(os.path.join(REPO, "benchmarks", "losses_cost.py"))["CASES"]
  # the battery also covers the distillation losses (given a teacher's logits); the benchmark times the rest
  battery = {k: v for k, v in CASES.items() if "teacher_outputs" not in LOSSES.spec(k).needs}
  assert set(bench) == set(battery)
  assert {k: v[0] for k, v in bench.items()} == {k: v[0] for k, v in battery.items()}


def test_losses_cost_tables_every_loss(tmp_path):
  CASES = runpy.run_path(os.path.join(REPO, "benchmarks", "losses_cost.py"))["CASES"]
  out = str(tmp_path / "cost.json")
  res = _main("losses_cost.py")(["--repeats", "1", "--inner", "1", "--shapes", "8x5,4x12", "--out", out])
  first, second = res["results"]["B8xC5"]["ratio_to_cross_entropy"], res["results"]["B4xC12"]["ratio_to_cross_entropy"]
  assert set(first) == set(CASES)                     # every loss, binary ones on the first shape only
  assert set(second) == {n for n, (kind, _) in CASES.items() if kind != "binary"}
  assert all(r > 0 for r in first.values())
  table = open(str(tmp_path / "cost.md")).read()
  assert "| `squentropy` |" in table and json.load(open(out))["results"]


def test_spherical_zloss_cost_shows_the_gram_form_without_logits(tmp_path):
  res = _main("spherical_zloss_cost.py")(["--n", "512", "--d", "16", "--v", "256,2048", "--rounds", "1",
                                          "--out", str(tmp_path)])
  big = res["rows"][-1]
  assert set(big["seconds"]) == {"ce", "zloss", "zloss_gram", "ce_fused"}
  assert big["temp_mib"]["zloss_gram"] < 0.25 * big["temp_mib"]["ce"]   # no [N, V] buffers
  assert big["flop_ratio_gram_to_ce"] == pytest.approx((2 * 2048 * 256 + 2 * 512 * 256 + 3 * 512 * 16)
                                                      / (3 * 512 * 2048 * 16))
  assert "| 2048 |" in open(tmp_path / "benchmark.md").read()
