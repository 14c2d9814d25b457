"""Reproduction report pages (``experiments/<slug>/``) and the index (``experiments/README.md``)."""
from __future__ import annotations

import glob
import json
import os
import platform
import textwrap

import numpy as np

from lbrl.tools import stats

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CATALOG = os.path.join(REPO, "..", "shared", "papers", "catalog.json")


def _pm(s: stats.Summary) -> str:
  return f"{s.mean:.4f} ± {s.std:.4f}" if s.n > 1 else f"{s.mean:.4f}"


def _machine() -> str:
  import jax
  return (f"{jax.devices()[0].platform.upper()} ({os.cpu_count()} cores, {platform.machine()}), "
          f"jax {jax.__version__}")


def _plot(records, arms, metric, published, path):
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
  for arm in arms:
    curves = [np.asarray(r["curve"]) for r in records if r["arm"] == arm and len(r["curve"])]
    if curves:
      n = min(len(c) for c in curves)
      steps = curves[0][:n, 0]
      ax1.plot(steps, np.mean([c[:n, 1] for c in curves], 0), marker=".", label=arm)
  ax1.set_xlabel("step"); ax1.set_ylabel(metric); ax1.set_title(f"{metric} during training (mean over seeds)")
  ax1.legend(fontsize=7)
  vals = [[r["final"][metric] for r in records if r["arm"] == a] for a in arms]
  x = np.arange(len(arms))
  ax2.bar(x, [np.mean(v) for v in vals], yerr=[np.std(v, ddof=1) if len(v) > 1 else 0 for v in vals],
          capsize=3, color="tab:blue", alpha=0.8, label="lbrl (mean ± std)")
  for i, a in enumerate(arms):
    ax2.scatter([i] * len(vals[i]), vals[i], color="k", s=8, zorder=3)
    if a in published:
      ax2.scatter([i], [published[a]], marker="_", s=400, color="tab:red", zorder=4,
                  label="paper" if i == min(j for j, b in enumerate(arms) if b in published) else None)
  ax2.set_xticks(x, arms, rotation=30, ha="right", fontsize=8)
  ax2.set_title(f"final {metric}"); ax2.legend(fontsize=7)
  fig.tight_layout()
  fig.savefig(path, dpi=110)
  plt.close(fig)


def _describe(cfg) -> list[tuple[str, str]]:
  d = lambda sub: ", ".join(f"{k}={v}" for k, v in sorted(sub.to_dict().items()))
  return [("data", f"{cfg.data.name} {d(cfg.data.options) or ''} batch {cfg.data.batch_size}"
                   + (f", transforms {cfg.data.transforms}" if cfg.data.transforms else "")),
          ("model (base)", d(cfg.model)), ("loss (base)", d(cfg.loss)),
          ("optimizer (base)", d(cfg.optimizer) + f"; schedule {d(cfg.schedule)}"),
          ("steps", str(cfg.steps)), ("seeds", str(list(cfg.sweep.seeds)))]


def write(cfg, module, records, out_dir, config_path, variant) -> dict:
  """Writes results.json, curves.png and README.md for a finished sweep; returns the results."""
  metric = cfg.sweep.metric
  arms = list(cfg.sweep.arms.keys())
  published = cfg.sweep.published.to_dict()
  per_metric = lambda m: {a: [r["final"][m] for r in records if r["arm"] == a and m in r["final"]]
                          for a in arms}
  values = per_metric(metric)
  summaries = {a: stats.summarize(v) for a, v in values.items()}
  # a rule may name its own metric (e.g. "eval/ece"); the default is the sweep metric
  rules = [stats.check_rule(r, per_metric(dict(r).get("metric", metric))) for r in cfg.sweep.rules]
  verdict = stats.verdict(rules, cfg.sweep.not_testable, cfg.sweep.partly_testable)
  other = sorted({k for r in records for k in r["final"] if k.startswith("eval/") and k != metric})
  rel = os.path.relpath(os.path.abspath(config_path), REPO)
  command = f"python -m lbrl.reproduce {rel} --variant {variant}"
  wall = sum(r["wall_time_sec"] for r in records)
  results = {
      "slug": cfg.paper.slug, "variant": variant, "metric": metric, "verdict": verdict,
      "rules": [{"rule": dict(r.rule), "passed": r.passed, "text": r.text} for r in rules],
      "arms": {a: {"n": s.n, "mean": s.mean, "std": s.std, "ci95": [s.lo, s.hi],
                   "published": published.get(a)} for a, s in summaries.items()},
      "runs": records, "total_wall_time_sec": wall, "command": command, "machine": _machine(),
  }
  with open(os.path.join(out_dir, "results.json"), "w") as f:
    json.dump(results, f, indent=1, default=float)
  _plot(records, arms, metric, published, os.path.join(out_dir, "curves.png"))

  p = cfg.paper
  lines = [f"# {p.title} (`{p.slug}`)", "",
           f"*{p.title}*, {p.year}, [arXiv:{p.arxiv}](https://arxiv.org/abs/{p.arxiv}). "
           f"Config: [`{rel}`](../../{rel}). lbrl provides: {p.provides or '—'} (`{p.code or '—'}`).", "",
           f"**Claim under test.** {p.claim}", "",
           f"**Verdict: {verdict}.** " + _reasoning(verdict, rules, cfg), "",
           "## Setting", "", "| | this reproduction | the paper |", "|---|---|---|"]
  rows = _describe(cfg)
  lines += [f"| {k} | {v} | |" for k, v in rows]
  lines += [f"| hardware | {_machine()}; {wall / 60:.1f} min for {len(records)} runs | {p.hardware} |",
            f"| setting | variant `{variant}` | {p.setting} |", "",
            "How it differs from the paper (from the config's docstring):", "",
            textwrap.indent((module.__doc__ or "").strip(), "> ", lambda _: True), "",
            f"## Results ({metric}, {len(cfg.sweep.seeds)} seeds per arm)", ""]
  head = ["arm", f"{metric} mean ± std", "95% CI", "paper", "n"] + [o for o in other]
  lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
  for a in arms:
    s = summaries[a]
    ext = []
    for o in other:
      v = [r["final"][o] for r in records if r["arm"] == a and o in r["final"]]
      ext.append(_pm(stats.summarize(v)) if v else "—")
    pub = published.get(a)
    lines.append(f"| {a} | {_pm(s)} | [{s.lo:.4f}, {s.hi:.4f}] | {'—' if pub is None else pub} | {s.n} | "
                 + " | ".join(ext) + (" |" if ext else "|"))
  lines += ["", "Arm overrides: " + "; ".join(f"`{a}`: `{json.dumps(v)}`" for a, v in
                                             cfg.sweep.arms.to_dict().items()), "",
            "## Rules (evaluated by code from `config.sweep.rules`)", ""]
  lines += [f"- {'PASS' if r.passed else 'FAIL'}: {r.text}" for r in rules] or ["- (none)"]
  lines += ["", "![curves](curves.png)", ""]
  companion = os.path.join(out_dir, "benchmark.md")   # written by a benchmarks/ script, e.g. a cost claim
  if os.path.exists(companion):
    lines += ["## Companion benchmark ([benchmark.json](benchmark.json))", "", open(companion).read().strip(), ""]
  lines += ["## Regenerate", "", "```", command, "```", "",
            f"Versions: {json.dumps(records[0]['versions']) if records else '—'}", ""]
  path = os.path.join(out_dir, "README.md")
  with open(path, "w") as f:
    f.write("\n".join(lines))
  results["report"] = path
  return results


def _reasoning(verdict, rules, cfg) -> str:
  if cfg.sweep.not_testable:
    return cfg.sweep.not_testable
  passed = [r for r in rules if r.passed]
  failed = [r for r in rules if not r.passed]
  s = f"{len(passed)} of {len(rules)} rules hold over the seeds (differences count only when the 95% " \
      f"interval of the difference excludes zero)."
  if failed:
    s += " Failing: " + "; ".join(r.text for r in failed) + "."
  if cfg.sweep.partly_testable:
    s += " Not tested by the rules: " + cfg.sweep.partly_testable
  return s


# ----------------------------------------------------------------------------------------------- index
def _catalog():
  with open(CATALOG) as f:
    return {p["slug"]: p for p in json.load(f)}


def _config_paper(path):
  from lbrl.tools.reproduce import load_config
  cfg, _ = load_config(path, "smoke")
  return cfg.paper


def render_index() -> str:
  """The text of experiments/README.md, from the catalog, configs/ and experiments/*/results.json."""
  catalog = _catalog() if os.path.exists(CATALOG) else {}
  families = {}
  if os.path.exists(os.path.join(os.path.dirname(CATALOG), "CATALOG.md")):
    for line in open(os.path.join(os.path.dirname(CATALOG), "CATALOG.md")):
      if line.startswith("| ") and ":" in line and line.count("|") == 3 and not line.startswith("| family"):
        code, name = line.strip("| \n").split(" | ")[0].split(":", 1)
        families[code.strip()] = name.strip()
  rows = {}
  for path in sorted(glob.glob(os.path.join(REPO, "configs", "*.py"))):
    slug = os.path.basename(path)[:-3]
    if slug in ("common", "__init__") or slug.startswith("_"):
      continue
    paper = _config_paper(path)
    res_path = os.path.join(REPO, "experiments", slug, "results.json")
    verdict = json.load(open(res_path)).get("verdict", "—") if os.path.exists(res_path) else "no report yet"
    fam = catalog[slug]["cat"] if slug in catalog else "BASE"
    title = catalog[slug]["title"] if slug in catalog else paper.title
    rows.setdefault(fam, []).append(
        f"| `{slug}` | {title} | {paper.provides or '—'} | `{paper.code or '—'}` | [config](../configs/{slug}.py) "
        f"| {verdict} | [report]({slug}/README.md) |")
  n = sum(len(v) for v in rows.values())
  out = ["# Experiments: every paper lbrl covers", "",
         f"{n} configs. Generated by `python -m lbrl.reproduce --index` from `../shared/papers/catalog.json`, "
         "`configs/` and each `experiments/<slug>/results.json`; `tests/tools/test_reproduce.py::test_index_is_fresh` fails when this "
         "file is stale. Verdicts are computed by code from each config's rules over seeds.", ""]
  order = [f for f in families if f in rows] + sorted(f for f in rows if f not in families and f != "BASE")
  if "BASE" in rows:
    order.append("BASE")
  for fam in order:
    out += [f"## {fam}: {families.get(fam, 'Baselines (not catalog papers)' if fam == 'BASE' else fam)}", "",
            "| slug | title | provides | code | config | verdict | report |", "|---|---|---|---|---|---|---|"]
    out += rows[fam] + [""]
  return "\n".join(out)


def write_index() -> str:
  path = os.path.join(REPO, "experiments", "README.md")
  with open(path, "w") as f:
    f.write(render_index())
  return path
