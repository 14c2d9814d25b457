"""Runs the scaling-law papers' fit configs (``experiments/<slug>/config.py``, ``sweep.kind = "fit"``) with
lbrl.laws's forms and fitter (L-BFGS, Huber on log residuals, ``fit.drop_highest``), decides their rules
with the fit kind's own rule check and verdict (lbrl.tools.kinds.fit.check_rule, lbrl.tools.verdicts),
and writes ``experiments/<slug>/README.md`` (``fit.md`` where a real-data report from
benchmarks/laws_real_data.py already is the README), ``fit.json`` and ``fit.png``.

Stopgap until the fit kind reads lbrl.laws forms (the diff in the laws helper's report); then
``python -m lbrl.reproduce configs/<slug>.py`` replaces this script.

    python benchmarks/laws_fit_reports.py [slug ...] [--variant cpu]
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
from lbrl.laws import cli, fitting, forms  # noqa: E402
from lbrl.tools import experiment, reproduce, verdicts  # noqa: E402
from lbrl.tools.kinds import fit as fit_kind  # noqa: E402

REAL = {"hitchhiker_scaling", "language_models_scale_reliably", "loss_to_loss", "llms_line_data_determines"}


def run(path: str, variant: str) -> dict:
  t0 = time.time()
  cfg, _ = reproduce.load_config(path, variant)
  spec = experiment.to_dict(cfg.fit)
  form = forms.get(spec["law"])
  X, y, desc = fit_kind.load_points(spec, form, None)
  k = int(spec.get("drop_highest", 0))
  if k:
    keep = np.sort(np.argsort(y, kind="stable")[: len(y) - k])
    X, y = {n: v[keep] for n, v in X.items()}, y[keep]
    desc += f", the {k} highest dropped"
  kw = dict(residual=spec.get("residual", "log"), huber_delta=float(spec.get("huber_delta", 1e-3)))
  res = fitting.fit(form, X, y, **kw)
  fitting.bootstrap(form, X, y, res, n=int(spec["bootstrap"]), seed=int(spec.get("seed", 0)))
  rules = [fit_kind.check_rule(dict(r), {p: list(v) for p, v in res.ci95.items()}, res.params) for r in cfg.sweep.rules]
  verdict = verdicts.decide(rules, variant=variant, not_testable=cfg.sweep.not_testable,
                            partly_testable=cfg.sweep.partly_testable)
  slug = cfg.paper.slug
  out = os.path.dirname(os.path.abspath(path))
  rel = os.path.relpath(path, REPO)
  lines = [f"# {cfg.paper.title} ({cfg.paper.year}, arXiv:{cfg.paper.arxiv})", "",
           f"**Claim**: {cfg.paper.claim}.", "", f"**Paper**: {cfg.paper.expected}.",
           "", f"**Here**: {cfg.paper.setting}.", "",
           f"**Fit**: `{form.formula}` ({form.paper}) to {desc}; Huber delta {kw['huber_delta']} on {kw['residual']} "
           f"residuals, L-BFGS from the form's grid of starts (lbrl.laws.fitting); 95% percentile bootstrap over "
           f"{spec['bootstrap']} resamples.", "",
           "| parameter | estimate | bootstrap s.e. | 95% CI |", "|---|---|---|---|"]
  for p in form.params:
    lines.append(f"| {p} | {res.params[p]:.4g} | {res.stderr[p]:.3g} | [{res.ci95[p][0]:.4g}, {res.ci95[p][1]:.4g}] |")
  pred = form(res.params, X)
  rmse = float(np.sqrt(np.mean((np.log(pred) - np.log(y)) ** 2))) if np.all(pred > 0) else float("nan")
  lines += ["", f"RMSE of log(prediction) - log(y): {rmse:.4f} over {len(y)} points.", "", "## Verdict", ""]
  lines += [f"- {r.text}" for r in rules]
  if cfg.sweep.not_testable:
    lines.append(f"- not testable: {cfg.sweep.not_testable}")
  if cfg.sweep.partly_testable:
    lines.append(f"- partly testable: {cfg.sweep.partly_testable}")
  lines += ["", f"**Verdict: {verdict}**", "",
            f"Command: `python benchmarks/laws_fit_reports.py {slug}` ({time.time() - t0:.0f} s on 2 shared cores; "
            f"config `{rel}`).", "", "![fit](fit.png)"]
  name = "fit.md" if slug in REAL else "README.md"
  with open(os.path.join(out, name), "w") as f:
    f.write("\n".join(lines) + "\n")
  with open(os.path.join(out, "fit.json"), "w") as f:
    json.dump({"slug": slug, "verdict": verdict, "rules": [r.to_json() for r in rules], **res.to_json(),
               "data": desc, "rmse_log": rmse}, f, indent=1, default=float)
  cli.plot(form, res, X, y, os.path.join(out, "fit.png"))
  print(f"{slug}: {verdict} ({time.time() - t0:.0f} s)", flush=True)
  return {"slug": slug, "verdict": verdict}


def main(argv=None):
  ap = argparse.ArgumentParser()
  ap.add_argument("slugs", nargs="*")
  ap.add_argument("--variant", default="cpu")
  a = ap.parse_args(argv)
  paths = sorted(glob.glob(os.path.join(REPO, "experiments", "*", "config.py")))
  paths = [p for p in paths if not a.slugs or os.path.basename(os.path.dirname(p)) in a.slugs]
  failed = []
  for p in paths:
    try:
      run(p, a.variant)
    except Exception as e:  # report every config, then fail
      print(f"{p}: FAILED {type(e).__name__}: {e}", flush=True)
      failed.append(p)
  if failed:
    raise SystemExit(f"{len(failed)} config(s) failed: {failed}")


if __name__ == "__main__":
  main()
