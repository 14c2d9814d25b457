"""Each kernel paper's config (smoke variant) runs its benchmark (the runner's ``benchmark`` kind) at tiny
shapes and writes its report through the one report writer."""
import json
import os

import pytest

from lbrl.tools import experiment, report, reproduce, stats, verdicts
from lbrl.tools.kinds import benchmark

SLUGS = {"cut_cross_entropy": "linear_ce", "inf_cl": "contrastive", "two_pass_softmax": "two_pass_softmax"}


def test_kernels_package_holds_kernels_only():
  kernels = os.path.join(reproduce.REPO, "lbrl", "kernels")
  assert not os.path.exists(os.path.join(kernels, "benchmark.py"))
  for root, _, files in os.walk(kernels):
    for f in files:
      if f.endswith(".py"):
        src = open(os.path.join(root, f)).read()
        assert "lbrl.tools" not in src and "from lbrl import tools" not in src, f


@pytest.mark.parametrize("slug", sorted(SLUGS))
def test_smoke_benchmark_runs_and_writes_report(slug, tmp_path):
  path = os.path.join(reproduce.REPO, "configs", f"{slug}.py")
  cfg, module = experiment.load_config(path, "smoke")
  assert cfg.benchmark.kind == SLUGS[slug] and experiment.kind_of(cfg) == "benchmark"
  res = benchmark.run(cfg, log=lambda *_: None)
  assert res["verdict"] == stats.SMOKE and res["rules"]          # a smoke run never gets a verdict
  assert all(r["outcome"] in stats.OUTCOMES for r in res["rules"])
  for row in res["rows"]:
    for value in row["time_s"].values():
      assert value > 0
  if slug == "cut_cross_entropy":
    row = res["rows"][0]
    assert row["naive"]["temp_mib"] > 0 and row["memory_ratio"] > 0 and row["time_ratio"] > 0
  if slug == "inf_cl":
    assert {r["kind"] for r in res["rows"]} == {"clip", "siglip"}
    assert set(res["rows"][0]["memory"]) == {"dense", "tiled", "ring"}
  if slug == "two_pass_softmax":
    assert res["exactness"]["finite"]
  res.update(kind="benchmark", command=reproduce.command_for(path, "smoke", None, str(tmp_path)))
  out = report.write(cfg, module, res, str(tmp_path), path)
  text = open(out["report"]).read()
  assert "Smoke test, no verdict" in text and cfg.paper.arxiv in text and "Experiment kind: `benchmark`" in text
  assert json.load(open(tmp_path / "results.json"))["verdict"] == stats.SMOKE


@pytest.mark.parametrize("slug", sorted(SLUGS))
def test_committed_report_matches_its_results(slug):
  """The committed experiments/<slug>/README.md states the verdict its results.json's rules give."""
  out = os.path.join(reproduce.REPO, "experiments", slug)
  res = json.load(open(os.path.join(out, "results.json")))
  assert res["variant"] == "cpu" and res["verdict"] in stats.VERDICTS and res["kind"] == "benchmark"
  assert f"**Verdict: {res['verdict']}.**" in open(os.path.join(out, "README.md")).read()
  cfg, _ = experiment.load_config(os.path.join(reproduce.REPO, "configs", f"{slug}.py"), "cpu")
  want = verdicts.decide(verdicts.from_json(res["rules"]), variant="cpu",
                         not_testable=cfg.benchmark.get("not_testable", ""),
                         partly_testable=cfg.benchmark.get("partly_testable", ""))
  assert res["verdict"] == want


def test_benchmark_script_writes_through_the_runner(tmp_path):
  """benchmarks/kernels_<op>.py run the benchmark kind through the runner and write the same page."""
  import runpy
  mod = runpy.run_path(os.path.join(reproduce.REPO, "benchmarks", "kernels_two_pass_softmax.py"))
  assert mod["reproduce"] is reproduce
  res = reproduce.benchmark_main(["--config", os.path.join(reproduce.REPO, "configs", "two_pass_softmax.py") + ":variant=smoke",
                        "--out", str(tmp_path)])
  assert res["verdict"] == stats.SMOKE and os.path.exists(tmp_path / "README.md")
  assert "python -m lbrl.reproduce" in res["command"] and "--variant smoke" in res["command"]
