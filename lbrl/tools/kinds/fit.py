"""The ``fit`` experiment kind: a scaling law fitted to a table of points, with bootstrap intervals.

Config (``config.sweep.kind = "fit"``)::

    c.fit = dict(
        law="chinchilla",                      # a form of lbrl.laws.forms.FORMS
        data="../shared/data/points.csv",      # a CSV file (relative paths: from the config's folder, the
                                               #   repository root, then the working directory) or a
                                               #   sweep's results.json
        columns={"N": "params", "D": "tokens", "y": "loss"},   # law input / "y" -> column
        where={},                              # CSV rows kept: column -> required value (as text)
        residual="log",                        # "log": log(pred) - log(y) (Hoffmann et al. 2022); "linear"
        loss="huber", huber_delta=1e-3,        # the Huber objective on the residuals (Besiroglu et al.)
        drop_highest=0,                        # drop the k highest-y points first (Besiroglu et al.: 5)
        bootstrap=200, seed=0)                 # resamples of the points (with replacement)

For a sweep's ``results.json``, a column is ``"final.<metric>"`` (a run's final metric) or
``"overrides.<dotted path>"`` (the run's override, e.g. ``overrides.model.hidden``); each run is a point.

**Fit and intervals** are :mod:`lbrl.laws.fitting`'s (the one fitter of lbrl): the Huber objective on the
residuals, L-BFGS from the form's grid of starts keeping the best, and the 95% percentile bootstrap
(points resampled with replacement ``bootstrap`` times, each refitted from the optimum).

**Rules** name a parameter: ``{"param": "alpha", "op": "between", "value": (0.25, 0.45)}`` (or ``>=``,
``<=``): holds when the bootstrap interval lies inside the allowed range (above / below the value),
contradicted when it lies wholly outside, otherwise inconclusive.
"""
from __future__ import annotations

import csv
import json
import os

import numpy as np

from lbrl.tools import experiment, stats


def form_of(name: str):
  """The law named by ``config.fit.law`` (:data:`lbrl.laws.forms.FORMS`)."""
  from lbrl.laws import forms
  if name not in forms.FORMS:
    raise ValueError(f"fit.law={name!r}; known: {sorted(forms.FORMS)}")
  return forms.FORMS[name]


def _resolve(path: str, config_path: str | None) -> str:
  if os.path.isabs(path):
    return path
  bases = []
  if config_path:
    here = os.path.dirname(os.path.abspath(config_path))
    bases += [here, os.path.dirname(here)]   # the config's folder, the repository root above configs/
  for base in bases + [os.getcwd()]:
    cand = os.path.join(base, path)
    if os.path.exists(cand):
      return cand
  raise FileNotFoundError(f"fit.data {path!r}: not found beside the config, in the repository root or in the "
                          "working directory")


def load_points(spec: dict, law, config_path: str | None = None) -> tuple[dict, np.ndarray, str]:
  """``(inputs, y, description)`` from a CSV table or a sweep's results.json."""
  path = _resolve(spec["data"], config_path)
  cols = dict(spec.get("columns") or {})
  need = list(law.inputs) + ["y"]
  missing = [c for c in need if c not in cols]
  if missing:
    raise ValueError(f"fit.columns must map {need}; missing {missing}")
  if path.endswith(".json"):
    runs = json.load(open(path))["runs"]

    def value(r, col):
      src, _, key = col.partition(".")
      if src == "final":
        return r["final"].get(key)
      if src == "overrides":
        node = r["overrides"]
        for part in key.split("."):
          node = node.get(part) if isinstance(node, dict) else None
        return node
      raise ValueError(f"fit column {col!r}: use final.<metric> or overrides.<path> for a results.json")
    rows = [{c: value(r, cols[c]) for c in need} for r in runs]
  else:
    where = {k: str(v) for k, v in dict(spec.get("where") or {}).items()}
    with open(path) as f:
      rows = [{c: r[cols[c]] for c in need} for r in csv.DictReader(f)
              if all(r.get(k) == v for k, v in where.items())]
  rows = [r for r in rows if all(r[c] is not None and r[c] != "" for c in need)]
  if len(rows) < len(law.params) + 1:
    raise ValueError(f"fit: {len(rows)} points for {len(law.params)} parameters in {path}")
  X = {c: np.array([float(r[c]) for r in rows], np.float64) for c in law.inputs}
  y = np.array([float(r["y"]) for r in rows], np.float64)
  return X, y, f"{len(y)} points from `{os.path.basename(path)}`" + (f" where {spec.get('where')}" if spec.get("where") else "")


def check_rule(rule: dict, intervals: dict, params: dict) -> stats.RuleResult:
  """A rule on a fitted parameter, decided from its bootstrap 95% interval."""
  p, op = rule["param"], rule["op"]
  if p not in intervals:
    raise ValueError(f"fit rule names parameter {p!r}; fitted: {sorted(intervals)}")
  lo, hi = intervals[p]
  desc = f"{p} = {params[p]:.4g}, bootstrap 95% CI [{lo:.4g}, {hi:.4g}]"
  if op == "between":
    u, w = (float(x) for x in rule["value"])
    out = stats.HOLDS if u <= lo and hi <= w else stats.CONTRADICTED if hi < u or lo > w else stats.INCONCLUSIVE
    return stats.RuleResult(rule, out, f"{desc} in [{u:.4g}, {w:.4g}]: {out}", {"lo": lo, "hi": hi})
  if op in (">=", "<="):
    v = float(rule["value"])
    if op == ">=":
      out = stats.HOLDS if lo >= v else stats.CONTRADICTED if hi < v else stats.INCONCLUSIVE
    else:
      out = stats.HOLDS if hi <= v else stats.CONTRADICTED if lo > v else stats.INCONCLUSIVE
    return stats.RuleResult(rule, out, f"{desc} {op} {v:.4g}: {out}", {"lo": lo, "hi": hi})
  raise ValueError(f"fit rule op {op!r}; known: between, >=, <=")


def run(cfg, config_path: str | None = None) -> dict:
  """Fits ``cfg.fit`` and evaluates its rules (``cfg.sweep.rules``)."""
  from lbrl.laws import fitting
  from lbrl.tools import verdicts
  spec = experiment.to_dict(cfg.fit)
  law = form_of(spec.get("law"))
  X, y, desc = load_points(spec, law, config_path)
  k = int(spec.get("drop_highest", 0) or 0)
  if k:
    if not 0 <= k < len(y) - len(law.params):
      raise ValueError(f"fit.drop_highest={k}: expected 0 <= k < {len(y) - len(law.params)}")
    keep = np.sort(np.argsort(y, kind="stable")[: len(y) - k])
    X, y, desc = {n: v[keep] for n, v in X.items()}, y[keep], desc + f", the {k} highest dropped"
  if spec.get("loss", "huber") != "huber":
    raise ValueError(f"fit.loss={spec.get('loss')!r}: the fitter minimises the Huber objective (loss='huber'); "
                     "a large huber_delta makes it least squares")
  result = fitting.fit(law, X, y, huber_delta=float(spec.get("huber_delta", 1e-3)),
                       residual=spec.get("residual", "log"))
  nboot = int(spec.get("bootstrap", 200))
  fitting.bootstrap(law, X, y, result, n=nboot, seed=int(spec.get("seed", 0)))
  params = result.params
  intervals = {p: [float(lo), float(hi)] for p, (lo, hi) in result.ci95.items()}
  pred = law.fn(params, X)
  rules = [check_rule(dict(r), intervals, params) for r in cfg.sweep.rules]
  verdict = verdicts.decide(rules, variant=cfg.variant, not_testable=cfg.sweep.not_testable,
                            partly_testable=cfg.sweep.partly_testable)
  return {"slug": cfg.paper.slug, "kind": "fit", "variant": cfg.variant, "verdict": verdict,
          "rules": [r.to_json() for r in rules], "law": spec["law"], "formula": law.formula,
          "params": params, "ci95": intervals, "stderr": result.stderr, "bootstrap": nboot,
          "objective": result.objective, "data": desc,
          "settings": {k: v for k, v in spec.items() if k not in ("law",)},
          "points": {"inputs": {k: v.tolist() for k, v in X.items()}, "y": y.tolist(), "pred": pred.tolist()},
          "rmse_log": float(np.sqrt(np.mean((np.log(pred) - np.log(y)) ** 2))) if np.all(pred > 0) else None}


def section(res: dict, cfg) -> list[str]:
  lines = [f"Law: `{res['formula']}` fitted to {res['data']}; residual `{res['settings'].get('residual', 'log')}`, "
           f"loss `{res['settings'].get('loss', 'huber')}` (delta {res['settings'].get('huber_delta', 1e-3)}); "
           f"95% percentile bootstrap over {res['bootstrap']} resamples.", "",
           "| parameter | estimate | bootstrap 95% CI |", "|---|---|---|"]
  for p, v in res["params"].items():
    lo, hi = res["ci95"][p]
    lines.append(f"| {p} | {v:.4g} | [{lo:.4g}, {hi:.4g}] |")
  if res.get("rmse_log") is not None:
    lines += ["", f"RMSE of log(prediction) - log(y): {res['rmse_log']:.4f}."]
  return lines
