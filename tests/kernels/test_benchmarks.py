"""Each kernel paper's config (smoke variant) runs its benchmark at tiny shapes and writes its report."""
import json
import os

import pytest

from lbrl.kernels import benchmark
from lbrl.tools import reproduce, stats

SLUGS = {"cut_cross_entropy": "linear_ce", "inf_cl": "contrastive", "two_pass_softmax": "two_pass_softmax"}


@pytest.mark.parametrize("slug", sorted(SLUGS))
def test_smoke_benchmark_runs_and_writes_report(slug, tmp_path):
  cfg, _ = reproduce.load_config(os.path.join(reproduce.REPO, "configs", f"{slug}.py"), "smoke")
  assert cfg.benchmark.kind == SLUGS[slug] and not dict(cfg.sweep.arms)
  res = benchmark.run(cfg, log=lambda *_: None)
  assert res["verdict"] in stats.VERDICTS and res["rules"]
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
  path = benchmark.write_report(cfg, res, str(tmp_path), f"python benchmarks/kernels_{SLUGS[slug]}.py")
  text = open(path).read()
  assert "## Verdict" in text and res["verdict"] in text and cfg.paper.arxiv in text
  assert json.load(open(tmp_path / "results.json"))["verdict"] == res["verdict"]


@pytest.mark.parametrize("slug", sorted(SLUGS))
def test_committed_report_matches_its_results(slug):
  """The committed experiments/<slug>/README.md was written by the benchmark with the cpu variant."""
  out = os.path.join(reproduce.REPO, "experiments", slug)
  res = json.load(open(os.path.join(out, "results.json")))
  assert res["variant"] == "cpu" and res["verdict"] in stats.VERDICTS
  assert f"**{res['verdict']}.**" in open(os.path.join(out, "README.md")).read()
  rules = [stats.RuleResult(rule=r["rule"], passed=r["passed"], text=r["text"]) for r in res["rules"]]
  cfg, _ = reproduce.load_config(os.path.join(reproduce.REPO, "configs", f"{slug}.py"), "cpu")
  want = stats.verdict(rules, cfg.benchmark.get("not_testable", ""), cfg.benchmark.get("partly_testable", ""))
  assert res["verdict"] == want
