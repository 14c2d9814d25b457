"""The ``fit`` experiment kind: a parametric law fitted to a table of points, with bootstrap intervals.

Config (``config.sweep.kind = "fit"``)::

    c.fit = dict(
        law="chinchilla",                      # a name in LAWS
        data="/path/points.csv",               # a CSV file (relative paths: from the config's folder, then
                                               #   the working directory) or a sweep's results.json
        columns={"N": "params", "D": "tokens", "y": "loss"},   # law input / "y" -> column
        where={},                              # CSV rows kept: column -> required value (as text)
        residual="log",                        # "log": log(pred) - log(y) (Hoffmann et al. 2022); "linear"
        loss="huber", huber_delta=1e-3,        # robust loss on the residuals ("linear" = least squares)
        bootstrap=200, seed=0)                 # resamples of the points (with replacement)

For a sweep's ``results.json``, a column is ``"final.<metric>"`` (a run's final metric) or
``"overrides.<dotted path>"`` (the run's override, e.g. ``overrides.model.hidden``); each run is a point.

**Fit.** ``scipy.optimize.least_squares`` (trust-region reflective) minimises
``sum(rho((r_i / delta)^2))`` over the residuals ``r_i`` with ``rho`` the Huber function
(``loss="huber"``, ``f_scale=delta``) or the square (``loss="linear"``); positive scale parameters are
optimised in log space; exponents are bounded to [0, 3]. The fit starts from every point of the law's
grid of initial values and keeps the lowest objective (the landscape has local minima).

**Intervals.** The 95% percentile bootstrap: the points are resampled with replacement ``bootstrap``
times (``numpy.random.default_rng(seed)``), each resample refitted from the full-data optimum, and the
2.5% and 97.5% quantiles of each parameter are its interval.

**Rules** name a parameter: ``{"param": "alpha", "op": "between", "value": (0.25, 0.45)}`` (or ``>=``,
``<=``): holds when the bootstrap interval lies inside the allowed range (above / below the value),
contradicted when it lies wholly outside, otherwise inconclusive.
"""
from __future__ import annotations

import csv
import dataclasses
import itertools
import json
import os
from typing import Callable

import numpy as np
from scipy import optimize

from lbrl.tools import experiment, stats


@dataclasses.dataclass(frozen=True)
class Law:
  """``y = fn(params, inputs)``; ``positive`` parameters are fitted in log space; ``inits`` is the grid of
  starting values per parameter."""
  params: tuple[str, ...]
  inputs: tuple[str, ...]
  fn: Callable[[dict, dict], np.ndarray]
  positive: tuple[str, ...]
  inits: dict
  formula: str


LAWS = {
    "power_law": Law(("E", "A", "alpha"), ("x",),
                     lambda p, X: p["E"] + p["A"] * X["x"] ** (-p["alpha"]),
                     ("E", "A"), {"E": [0.1, 1.0], "A": [1.0, 100.0], "alpha": [0.1, 0.5, 1.0]},
                     "y = E + A * x^(-alpha)"),
    # Hoffmann et al. 2022 (arXiv:2203.15556), Approach 3: L(N, D) = E + A / N^alpha + B / D^beta
    "chinchilla": Law(("E", "A", "B", "alpha", "beta"), ("N", "D"),
                      lambda p, X: p["E"] + p["A"] / X["N"] ** p["alpha"] + p["B"] / X["D"] ** p["beta"],
                      ("E", "A", "B"),
                      {"E": [0.5, 1.5, 2.5], "A": [np.exp(2.5), np.exp(7.5)], "B": [np.exp(2.5), np.exp(7.5)],
                       "alpha": [0.2, 0.5], "beta": [0.2, 0.5]},
                      "L = E + A / N^alpha + B / D^beta"),
}
EXPONENT_BOUNDS = (0.0, 3.0)


def _theta_bounds(law: Law):
  lo = [-np.inf if p in law.positive else EXPONENT_BOUNDS[0] for p in law.params]
  hi = [np.inf if p in law.positive else EXPONENT_BOUNDS[1] for p in law.params]
  return lo, hi


def _to_params(law: Law, theta) -> dict:
  return {p: (float(np.exp(np.clip(t, -700.0, 700.0))) if p in law.positive else float(t))
          for p, t in zip(law.params, theta)}


def _to_theta(law: Law, params: dict) -> np.ndarray:
  return np.array([np.log(params[p]) if p in law.positive else params[p] for p in law.params], np.float64)


def _residuals(law: Law, X: dict, y: np.ndarray, residual: str):
  def f(theta):
    pred = law.fn(_to_params(law, theta), X)
    if residual == "log":
      return np.log(np.maximum(pred, 1e-300)) - np.log(y)
    return pred - y
  return f


def fit_law(law: Law, X: dict, y: np.ndarray, *, residual: str = "log", loss: str = "huber",
            huber_delta: float = 1e-3, starts: list[dict] | None = None) -> tuple[dict, float]:
  """The best fit over the starting points: ``(params, objective)``."""
  if residual not in ("log", "linear"):
    raise ValueError(f"fit.residual={residual!r}; known: log, linear")
  if loss not in ("huber", "linear"):
    raise ValueError(f"fit.loss={loss!r}; known: huber, linear")
  if residual == "log" and np.any(y <= 0):
    raise ValueError("fit.residual='log' needs positive y")
  f = _residuals(law, X, y, residual)
  if starts is None:
    starts = [dict(zip(law.params, c)) for c in itertools.product(*[law.inits[p] for p in law.params])]
  lo, hi = _theta_bounds(law)
  best, best_cost = None, np.inf
  for s in starts:
    t0 = np.clip(_to_theta(law, s), np.array(lo) + 1e-9, np.array(hi) - 1e-9)
    try:
      r = optimize.least_squares(f, t0, bounds=(lo, hi), loss=loss, f_scale=huber_delta if loss == "huber" else 1.0,
                                 method="trf", x_scale="jac", max_nfev=2000)
    except (ValueError, FloatingPointError):
      continue
    if np.isfinite(r.cost) and r.cost < best_cost:
      best, best_cost = r.x, float(r.cost)
  if best is None:
    raise RuntimeError(f"no start of the {law.formula} fit converged")
  return _to_params(law, best), best_cost


def bootstrap(law: Law, X: dict, y: np.ndarray, center: dict, *, n: int, seed: int, **kw) -> dict[str, np.ndarray]:
  """Parameters refitted on ``n`` resamples of the points (with replacement), from ``center``."""
  rng = np.random.default_rng(seed)
  out = {p: [] for p in law.params}
  m = len(y)
  for _ in range(n):
    idx = rng.integers(0, m, m)
    p, _ = fit_law(law, {k: v[idx] for k, v in X.items()}, y[idx], starts=[center], **kw)
    for k in law.params:
      out[k].append(p[k])
  return {k: np.asarray(v) for k, v in out.items()}


def _resolve(path: str, config_path: str | None) -> str:
  if os.path.isabs(path):
    return path
  for base in ([os.path.dirname(os.path.abspath(config_path))] if config_path else []) + [os.getcwd()]:
    cand = os.path.join(base, path)
    if os.path.exists(cand):
      return cand
  raise FileNotFoundError(f"fit.data {path!r}: not found beside the config or in the working directory")


def load_points(spec: dict, law: Law, config_path: str | None = None) -> tuple[dict, np.ndarray, str]:
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
  from lbrl.tools import verdicts
  spec = experiment.to_dict(cfg.fit)
  if spec.get("law") not in LAWS:
    raise ValueError(f"fit.law={spec.get('law')!r}; known: {sorted(LAWS)}")
  law = LAWS[spec["law"]]
  X, y, desc = load_points(spec, law, config_path)
  kw = dict(residual=spec.get("residual", "log"), loss=spec.get("loss", "huber"),
            huber_delta=float(spec.get("huber_delta", 1e-3)))
  params, cost = fit_law(law, X, y, **kw)
  nboot = int(spec.get("bootstrap", 200))
  boot = bootstrap(law, X, y, params, n=nboot, seed=int(spec.get("seed", 0)), **kw)
  intervals = {p: [float(np.quantile(v, 0.025)), float(np.quantile(v, 0.975))] for p, v in boot.items()}
  pred = law.fn(params, X)
  rules = [check_rule(dict(r), intervals, params) for r in cfg.sweep.rules]
  verdict = verdicts.decide(rules, variant=cfg.variant, not_testable=cfg.sweep.not_testable,
                            partly_testable=cfg.sweep.partly_testable)
  return {"slug": cfg.paper.slug, "kind": "fit", "variant": cfg.variant, "verdict": verdict,
          "rules": [r.to_json() for r in rules], "law": spec["law"], "formula": law.formula,
          "params": params, "ci95": intervals, "bootstrap": nboot, "objective": cost, "data": desc,
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
