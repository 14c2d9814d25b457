"""The one report writer (``experiments/<slug>/README.md``, ``results.json``, the figure) for every
experiment kind, and the index (``experiments/README.md``).

A report states: the paper and the claim; the verdict computed by :mod:`lbrl.tools.verdicts` with its
reasoning (every contradicted rule with its interval, every inconclusive one with its minimum detectable
effect); what changed since the previous evaluation, when it changed; our setting beside the paper's;
the processor(s) the runs were on; the paper variant's footprint (parameters, per-device bytes, FLOPs per
step) where ``lbrl.train.lowering.paper_footprint`` exists; the kind's results section; the rules and the
default margins; the figure (:mod:`lbrl.tools.plots`); and the exact command that regenerates the page.
A smoke run's page is marked as a smoke test and carries no verdict.

This module does not import the runner (:mod:`lbrl.tools.reproduce` imports it).
"""
from __future__ import annotations

import glob
import importlib
import json
import os
import textwrap

import numpy as np

from lbrl.tools import experiment, plots, stats

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CATALOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "catalog.json")
SHARED_CATALOG = os.path.join(REPO, "..", "shared", "papers", "catalog.json")
KIND_MODULES = {k: f"lbrl.tools.kinds.{k}" for k in ("sweep", "grid", "benchmark", "fit", "analysis")}


def kind_module(kind: str):
  return importlib.import_module(KIND_MODULES[kind])


# --------------------------------------------------------------------------------------------- pieces
def _describe(cfg, seeds) -> list[tuple[str, str]]:
  d = lambda sub: ", ".join(f"{k}={v}" for k, v in sorted(experiment.to_dict(sub).items()))
  return [("data", f"{cfg.data.name} {d(cfg.data.options) or ''} batch {cfg.data.batch_size}"
                   + (f", transforms {cfg.data.transforms}" if cfg.data.transforms else "")),
          ("model (base)", d(cfg.model)), ("loss (base)", d(cfg.loss)),
          ("optimizer (base)", d(cfg.optimizer) + f"; schedule {d(cfg.schedule)}"),
          ("steps", str(cfg.steps)), ("seeds", str(list(seeds)))]


def processors_of(res: dict) -> list[str]:
  """The distinct processors of the runs (``"not recorded"`` for runs that did not record one)."""
  if res.get("processors"):
    return sorted(set(res["processors"]))
  from lbrl.tools.kinds.sweep import NOT_RECORDED
  return sorted({r.get("processor") or NOT_RECORDED for r in res.get("runs", [])}) or [NOT_RECORDED]


def footprint(config_path: str) -> dict | None:
  """``lbrl.train.lowering.paper_footprint`` of the config's paper variant, when that module exists and
  the paper variant lowers; else None (the section is left out)."""
  try:
    lowering = importlib.import_module("lbrl.train.lowering")
  except ImportError:
    return None
  try:
    cfg, _ = experiment.load_config(config_path, "paper")
    return dict(lowering.paper_footprint(cfg))
  except Exception as e:  # a paper variant that does not lower is reported, not fatal to the report
    return {"error": f"{type(e).__name__}: {e}"}


def _footprint_lines(fp: dict | None) -> list[str]:
  if not fp:
    return []
  if "error" in fp:
    return ["## Paper variant footprint", "", f"The paper variant did not lower: {fp['error']}", ""]
  gib = lambda b: f"{b / 2 ** 30:.3g} GiB"
  return ["## Paper variant footprint (lowered on an abstract mesh, not run)", "",
          "| parameters | param bytes / device | optimizer bytes / device | FLOPs / step | devices | mesh |",
          "|---|---|---|---|---|---|",
          f"| {fp.get('num_params', 0):,} | {gib(fp.get('param_bytes_per_device', 0))} | "
          f"{gib(fp.get('opt_bytes_per_device', 0))} | {fp.get('flops_per_step', 0):.3g} | {fp.get('devices', '—')} | "
          f"{fp.get('mesh', '—')} |", ""]


def reasoning(res: dict, cfg) -> str:
  """The verdict's reasoning: counts of outcomes, every contradicted rule with its interval, every
  inconclusive one with its minimum detectable effect."""
  if res["verdict"] == stats.SMOKE:
    return ("This is a smoke test (variant `smoke`: a few steps to check that the experiment runs); it "
            "supports no verdict. The reproduction is the `cpu` variant.")
  nt = _field(cfg, res["kind"], "not_testable")
  if nt:
    return nt
  rules = res["rules"]
  by = {o: [r for r in rules if r["outcome"] == o] for o in stats.OUTCOMES}
  how = {"benchmark": "each a threshold on one measurement", "fit": "each from a parameter's bootstrap 95% interval"}.get(
      res["kind"], "each decided from the 95% interval of the difference against its margin")
  s = (f"Rules: {len(by['holds'])} of {len(rules)} hold, {len(by['contradicted'])} contradicted, "
       f"{len(by['inconclusive'])} inconclusive ({how}).")
  if by["contradicted"]:
    s += " Contradicted: " + "; ".join(r["text"] for r in by["contradicted"]) + "."
  if by["inconclusive"]:
    s += " Inconclusive: " + "; ".join(r["text"] for r in by["inconclusive"]) + "."
  pt = _field(cfg, res["kind"], "partly_testable")
  if pt:
    s += " Not tested by the rules: " + pt
  return s


def _field(cfg, kind, name) -> str:
  if kind == "benchmark" and "benchmark" in cfg:
    return cfg.benchmark.get(name, "") or ""
  return cfg.sweep.get(name, "") or ""


def _changes_lines(res: dict) -> list[str]:
  prev = res.get("previous")
  if not prev:
    return []
  lines = ["## What changed", ""]
  how = (f"re-evaluated from the same runs (`results.json`, no rerun) with {prev['why']}, where the first "
         f"evaluation used {prev.get('was', 'earlier rules')}")
  if prev["verdict"] != res["verdict"]:
    lines.append(f"Verdict: **{prev['verdict']} -> {res['verdict']}**, {how}.")
  else:
    lines.append(f"Verdict unchanged (**{res['verdict']}**); rule outcomes changed when {how}.")
  old = {json.dumps(r["rule"], sort_keys=True): r for r in prev.get("rules", [])}
  diffs = []
  for r in res["rules"]:
    o = old.get(json.dumps(r["rule"], sort_keys=True))
    if o is None:
      continue
    was = o.get("outcome") or ("holds" if o["passed"] else "failed")
    if was != r["outcome"]:
      diffs.append(f"- `{json.dumps(r['rule'])}`: {was} -> **{r['outcome']}**. Before: {o['text']}")
  if diffs:
    lines += ["", "Rules whose outcome changed:", ""] + diffs
  return lines + [""]


def rel_link(target: str, out_dir: str) -> str:
  """A link from the report folder to ``target`` that works wherever the report is written."""
  return os.path.relpath(os.path.abspath(target), os.path.abspath(out_dir))


# --------------------------------------------------------------------------------------------- writer
SPIKE_FACTOR, SPIKE_WINDOW = 1.5, 50


def loss_spike_counts(res: dict) -> dict[str, float]:
  """``{arm: mean over seeds of lbrl.analysis.signal.loss_spikes(logged train/loss)}`` for the runs that
  kept their training loss with their diagnostics."""
  from lbrl.analysis.signal import loss_spikes
  per_arm: dict[str, list[int]] = {}
  for r in res.get("runs") or []:
    curve = (r.get("diagnostics") or {}).get("train/loss")
    if curve:
      per_arm.setdefault(r["arm"], []).append(
          loss_spikes([v for _, v in curve], factor=SPIKE_FACTOR, window=SPIKE_WINDOW))
  return {a: float(np.mean(v)) for a, v in per_arm.items()}


def _diagnostics_lines(res: dict, out_dir: str) -> list[str]:
  """The training diagnostics the runs logged (``config.diagnostics``): their figure against steps and
  each arm's first and last logged value (mean over seeds); nothing when the config lists none."""
  fig = plots.diagnostics(res, os.path.join(out_dir, "diagnostics.png"))
  if not fig:
    return []
  keys = plots.diagnostic_keys(res)
  arms = list(res.get("arms") or {})
  lines = ["", "## Training diagnostics", "",
           "Logged inside the jitted train step (`config.diagnostics`, `lbrl.registry.DIAGNOSTICS`); each cell "
           "is the arm's mean over seeds at the first and the last logged step.", "",
           "| diagnostic | " + " | ".join(arms) + " |", "|---|" + "---|" * len(arms)]
  for key in keys:
    means = plots.diagnostic_means(res, key)
    cells = [f"{means[a][0, 1]:.4g} → {means[a][-1, 1]:.4g}" if a in means else "—" for a in arms]
    lines.append(f"| `{key.removeprefix('diag/')}` | " + " | ".join(cells) + " |")
  spikes = loss_spike_counts(res)
  if spikes:
    lines.append(f"| loss spikes (logged `train/loss` above {SPIKE_FACTOR}x the median of the previous "
                 f"{SPIKE_WINDOW} logged values), mean over seeds | "
                 + " | ".join(f"{spikes[a]:.3g}" if a in spikes else "—" for a in arms) + " |")
  shown = plots.plotted_diagnostics(keys)
  lines += ["", f"![training diagnostics]({os.path.basename(fig)})"
            + ("" if len(shown) == len(keys) else f" ({len(shown)} of the {len(keys)} plotted)")]
  return lines


def write(cfg, module, res: dict, out_dir: str, config_path: str, *, footprint_info: dict | None = None) -> dict:
  """Writes ``results.json``, the figure and ``README.md`` for a finished experiment of any kind;
  returns ``res`` with ``report`` (the README's path)."""
  os.makedirs(out_dir, exist_ok=True)
  kind = res["kind"]
  fig = plots.plot(kind, res, os.path.join(out_dir, f"{kind}.png"))
  res = dict(res)
  res.pop("report", None)
  with open(os.path.join(out_dir, "results.json"), "w") as f:
    json.dump(res, f, indent=1, default=float)
  p = cfg.paper
  smoke = res["verdict"] == stats.SMOKE
  cfg_link = rel_link(config_path, out_dir)
  lines = [f"# {p.title} (`{p.slug}`)", ""]
  if smoke:
    lines += ["> **Smoke test, no verdict.** This page was written from the `smoke` variant (a few steps) to "
              "check that the experiment runs; its numbers mean nothing about the claim.", ""]
  lines += [f"*{p.title}*, {p.year}, [arXiv:{p.arxiv}](https://arxiv.org/abs/{p.arxiv}). "
            f"Config: [`{os.path.basename(config_path)}`]({cfg_link}). Experiment kind: `{kind}`. "
            f"lbrl provides: {p.provides or '—'} (`{p.code or '—'}`).", "",
            f"**Claim under test.** {p.claim}", "",
            (f"**{res['verdict']}.** " if smoke else f"**Verdict: {res['verdict']}.** ") + reasoning(res, cfg), ""]
  lines += _changes_lines(res)
  runs = res.get("runs") or []
  wall = sum(r.get("wall_time_sec", 0) for r in runs)
  procs = processors_of(res)
  lines += ["## Setting", "", "| | this reproduction | the paper |", "|---|---|---|"]
  if kind in ("sweep", "grid", "analysis"):
    lines += [f"| {k} | {v} | |" for k, v in _describe(cfg, res.get("seeds") or [])]
  lines += [f"| hardware | {res.get('machine', '—')}; processor: {', '.join(procs)}"
            + (f"; {wall / 60:.1f} min for {len(runs)} runs" if runs else "") + f" | {p.hardware} |",
            f"| setting | variant `{res['variant']}` | {p.setting} |", ""]
  if len(procs) > 1:
    lines += [f"The runs ran on {len(procs)} different processors; per-seed numbers differ across processors "
              "(XLA CPU code generation), so the verdict rests on the distribution over seeds.", ""]
  lines += _footprint_lines(footprint_info)
  doc = (module.__doc__ or "").strip() if module is not None else ""
  if doc:
    lines += ["How it differs from the paper (from the config's docstring):", "",
              textwrap.indent(doc, "> ", lambda _: True), ""]
  lines += ["## Results", ""] + kind_module(kind).section(res, cfg) + [""]
  if res.get("tuning"):
    from lbrl.tools.kinds import tuning
    lines += tuning.section(res["tuning"])
  lines += ["## Rules (evaluated by code from `config.sweep.rules`)", ""]
  if smoke:
    lines += ["Evaluated to exercise the rules only: the outcomes of a smoke test are not evidence.", ""]
  lines += [f"- **{r['outcome']}**: {r['text']}" for r in res["rules"]] or ["- (none)"]
  if kind in ("sweep", "grid", "analysis"):
    lines += ["", "Comparisons are paired over the seeds both arms ran (same initialisation, batch order and "
              "sampled noise); margins are the rule's own or these defaults (`lbrl.tools.stats.MARGINS`):", "",
              stats.margins_table()]
  if fig:
    lines += ["", f"![{kind}]({os.path.basename(fig)})"]
  lines += _diagnostics_lines(res, out_dir)
  companion = os.path.join(out_dir, "benchmark.md")   # written by a benchmarks/ script, e.g. a cost claim
  if os.path.exists(companion) and kind != "benchmark":
    lines += ["", "## Companion benchmark ([benchmark.json](benchmark.json))", "", open(companion).read().strip()]
  versions = runs[0].get("versions") if runs else res.get("versions")
  lines += ["", "## Regenerate", "", "```", res["command"], "```", "",
            f"Versions: {json.dumps(versions) if versions else '—'}", ""]
  path = os.path.join(out_dir, "README.md")
  with open(path, "w") as f:
    f.write("\n".join(lines))
  res["report"] = path
  return res


# ----------------------------------------------------------------------------------------------- index
def catalog() -> dict:
  """The packaged catalog: ``{"families": {code: name}, "papers": {slug: {"cat", "title"}}}``."""
  with open(CATALOG) as f:
    return json.load(f)


def _config_paper(path):
  cfg, _ = experiment.load_config(path, "smoke")
  return cfg


def render_index(repo: str = REPO) -> str:
  """The text of experiments/README.md, from the packaged catalog, configs/ and each results.json."""
  cat = catalog()
  papers, families = cat["papers"], cat["families"]
  rows = {}
  for path in sorted(glob.glob(os.path.join(repo, "configs", "*.py"))):
    slug = os.path.basename(path)[:-3]
    if slug in ("common", "__init__") or slug.startswith("_"):
      continue
    cfg = _config_paper(path)
    if "paper" not in cfg:
      continue
    paper = cfg.paper
    res_path = os.path.join(repo, "experiments", slug, "results.json")
    verdict = json.load(open(res_path)).get("verdict", "—") if os.path.exists(res_path) else "no report yet"
    fam = papers[slug]["cat"] if slug in papers else "BASE"
    title = papers[slug]["title"] if slug in papers else paper.title
    scale = "CPU-sized" if paper.get("cpu_sized", "") else "paper's hardware"
    rows.setdefault(fam, []).append(
        f"| `{slug}` | {title} | {experiment.kind_of(cfg)} | {paper.provides or '—'} | `{paper.code or '—'}` | "
        f"[config](../configs/{slug}.py) | {scale} | {verdict} | "
        + (f"[report]({slug}/README.md) |" if os.path.exists(res_path) else "— |"))
  n = sum(len(v) for v in rows.values())
  out = ["# Experiments: every paper lbrl covers", "",
         f"{n} configs. Generated by `python -m lbrl.reproduce --index` from the paper catalog packaged in "
         "`lbrl/tools/catalog.json`, `configs/` and each `experiments/<slug>/results.json`; "
         "`tests/tools/test_reproduce.py::test_index_is_fresh` fails when this file is stale. Verdicts are "
         "computed by code from each config's rules over seeds (paired comparisons, 95% intervals against a "
         "margin): reproduced / partly reproduced / not reproduced (a claim contradicted) / inconclusive at "
         "this scale / not testable at this scale. Kinds: sweep (arms x seeds), grid, benchmark, fit, analysis. "
         "\"paper variant\": CPU-sized where the paper's own run is (the config's `paper.cpu_sized` says why), "
         "else the config's `paper` variant is the paper's run for its hardware.", ""]
  order = [f for f in families if f in rows] + sorted(f for f in rows if f not in families and f != "BASE")
  if "BASE" in rows:
    order.append("BASE")
  for fam in order:
    out += [f"## {fam}: {families.get(fam, 'Baselines (not catalog papers)' if fam == 'BASE' else fam)}", "",
            "| slug | title | kind | provides | code | config | paper variant | verdict | report |",
            "|---|---|---|---|---|---|---|---|---|"]
    out += rows[fam] + [""]
  return "\n".join(out)


def write_index(repo: str = REPO) -> str:
  path = os.path.join(repo, "experiments", "README.md")
  with open(path, "w") as f:
    f.write(render_index(repo))
  return path
