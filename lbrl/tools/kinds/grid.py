"""The ``grid`` experiment kind: training runs over a numeric grid (e.g. width x learning rate) x seeds,
whose result is a surface: the metric's mean at every point.

Config (``config.sweep.kind = "grid"``)::

    c.grid = dict(axes=[("model.hidden", [(16,), (64,)]), ("optimizer.learning_rate", [1e-3, 1e-2, 1e-1])],
                  base={})          # overrides shared by every point (optional)

Every point is an arm named ``"hidden=(16,),learning_rate=0.01"`` (the last component of each path), so
the ordinary rules apply to points (``{"arm": ..., "op": ">", "than": ...}``, paired over seeds). The
grid adds one rule for hyperparameter transfer::

    {"op": "optimum_stable", "axis": "optimizer.learning_rate", "across": "model.hidden", "max_shift": 1,
     "mode": "max"}

For every value ``c`` of ``across``, the *plausible optima* of ``axis`` are the points whose paired 95%
interval of (best point - this point) includes 0 (not worse than the best beyond noise; the best point
itself included). The rule **holds** when all plausible optima over all ``c`` fit in one window of
``max_shift + 1`` consecutive grid values of ``axis`` (the optimum is pinned down and does not move by
more than ``max_shift`` steps); it is **contradicted** when for some two values of ``across`` the plausible
optima are more than ``max_shift`` steps apart (every pair); otherwise it is **inconclusive**.
``where={path: value}`` fixes the grid's other axes (e.g. ``{"parametrization.name": "sp"}`` in a grid
over parametrisation x width x learning rate); ``expect="moves"`` states the opposite claim (the optimum
drifts, as SP's does with width): holds and contradicted swap.
``expect="increases"`` (``"decreases"``) claims a direction (power lines: the best weight decay grows with
the batch): it **holds** when every plausible optimum at the last value of ``across`` lies above (below)
every plausible optimum at the first, with no consecutive pair ordered the other way beyond noise; it is
**contradicted** when every plausible optimum at the last value lies at or below (above) every one at the
first (the optimum did not move that way); otherwise inconclusive. ``across`` values are taken in the
grid's order.
"""
from __future__ import annotations

import json

import numpy as np

from lbrl.tools import experiment, stats


def spec_of(cfg) -> dict:
  if "grid" not in cfg:
    raise ValueError("a grid experiment needs a config.grid block with axes=[(path, values), ...]")
  g = experiment.to_dict(cfg.grid)
  axes = experiment.axes_of(g.get("axes") or [])
  if not axes:
    raise ValueError("config.grid.axes is empty")
  return {"axes": axes, "base": dict(g.get("base") or {})}


def arms(cfg) -> dict[str, dict]:
  """The grid's points as arms: name -> overrides (``grid.base`` with the point's values)."""
  spec = spec_of(cfg)
  out = {}
  for pt in experiment.points_of(spec["axes"]):
    name = experiment.point_name(pt)
    if name in out:
      raise ValueError(f"two grid points share the name {name!r}: give the axes distinct last path components")
    out[name] = experiment.combine(spec["base"], pt)
  return out


def surface(records: list[dict], cfg, metric: str) -> dict:
  """``{"axes", "points": [{"point", "arm", "n", "mean", "std"}]}`` for the report and the plot."""
  spec = spec_of(cfg)
  pts = []
  for pt in experiment.points_of(spec["axes"]):
    name = experiment.point_name(pt)
    v = [r["final"][metric] for r in records if r["arm"] == name and metric in r["final"]]
    s = stats.summarize(v) if v else None
    pts.append({"point": pt, "arm": name, "n": len(v), "mean": s.mean if s else float("nan"),
                "std": s.std if s else float("nan")})
  return {"axes": [[p, v] for p, v in spec["axes"]], "points": pts}


def optimum_stable(rule: dict, records: list[dict], cfg, metric: str) -> stats.RuleResult:
  """The ``optimum_stable`` rule (see the module docstring)."""
  from lbrl.tools import verdicts
  spec = spec_of(cfg)
  axes = dict(spec["axes"])
  axis, across = rule["axis"], rule["across"]
  for a in (axis, across):
    if a not in axes:
      raise ValueError(f"optimum_stable: {a!r} is not a grid axis; axes: {list(axes)}")
  max_shift = int(rule.get("max_shift", 0))
  sign = 1.0 if rule.get("mode", "max") == "max" else -1.0
  m = rule.get("metric", metric)
  vals = verdicts.per_arm(records, m)
  where = dict(rule.get("where") or {})
  for p, v in where.items():
    if p not in axes or v not in axes[p] or p in (axis, across):
      raise ValueError(f"optimum_stable: where={{{p!r}: {v!r}}} must fix another grid axis to one of its values")
  others = {p: v for p, v in axes.items() if p not in (axis, across) and p not in where}
  if others:
    raise ValueError(f"optimum_stable needs a 2-axis grid (or fix the other axes with where=): extra axes "
                     f"{list(others)}")
  plausible = {}
  for c in axes[across]:
    row = []
    for i, a in enumerate(axes[axis]):
      name = experiment.point_name({p: (a if p == axis else c if p == across else where[p]) for p in axes})
      row.append((i, vals.get(name, {})))
    row = [(i, v) for i, v in row if v]
    if not row:
      return stats.RuleResult(rule, stats.INCONCLUSIVE, f"optimum_stable: no results at {across}={c}", {})
    best_i, best_v = max(row, key=lambda iv: sign * float(np.mean(list(iv[1].values()))))
    keep = []
    for i, v in row:
      if i == best_i:
        keep.append(i)
        continue
      d = stats.compare({s: sign * x for s, x in best_v.items()}, {s: sign * x for s, x in v.items()})
      if not (d.lo > 0):          # not worse than the best beyond noise (nan: too few seeds -> plausible)
        keep.append(i)
    plausible[str(c)] = sorted(keep)
  lo = min(min(p) for p in plausible.values())
  hi = max(max(p) for p in plausible.values())
  desc = "; ".join(f"{across}={c}: {[axes[axis][i] for i in p]}" for c, p in plausible.items())
  nums = {"plausible_optima": plausible, "max_shift": max_shift}
  if hi - lo <= max_shift:
    out = stats.HOLDS
  else:
    sets = list(plausible.values())
    apart = any(min(abs(i - j) for i in p for j in q) > max_shift for k, p in enumerate(sets) for q in sets[k + 1:])
    out = stats.CONTRADICTED if apart else stats.INCONCLUSIVE
  expect = rule.get("expect", "stable")
  if expect not in ("stable", "moves", "increases", "decreases"):
    raise ValueError(f"optimum_stable: expect={expect!r}; known: stable, moves, increases, decreases")
  if expect == "moves":   # the claim is that the optimum moves (SP under width)
    out = {stats.HOLDS: stats.CONTRADICTED, stats.CONTRADICTED: stats.HOLDS}.get(out, out)
  elif expect in ("increases", "decreases"):   # the optimum moves along `axis` as `across` grows
    sets = [plausible[str(c)] for c in axes[across]]
    if expect == "decreases":
      sets = [[-i for i in p] for p in sets]
    reversed_pair = any(max(q) < min(p) for p, q in zip(sets, sets[1:]))
    if min(sets[-1]) > max(sets[0]) and not reversed_pair:
      out = stats.HOLDS
    elif max(sets[-1]) <= min(sets[0]):
      out = stats.CONTRADICTED
    else:
      out = stats.INCONCLUSIVE
  return stats.RuleResult(rule, out, f"[{m}] optimum of {axis} across {across} (plausible optima, paired 95%): "
                          f"{desc}; allowed shift {max_shift} grid step(s): {out}", nums)


def _vertex(x: np.ndarray, y: np.ndarray, i: int) -> tuple[float, bool]:
  """The optimum's location in ``x`` from the best grid index ``i`` of ``y`` (lower is better): the vertex
  of the parabola through ``i`` and its two neighbours, kept between them; ``(x[i], True)`` at a grid end
  (the optimum may lie beyond it)."""
  if i == 0 or i == len(x) - 1:
    return float(x[i]), True
  xs, ys = x[i - 1:i + 2], y[i - 1:i + 2]
  a, b, _ = np.polyfit(xs, ys, 2)
  if a <= 0:      # no upward curvature (a kink at the best point): the best point itself
    return float(x[i]), False
  return float(np.clip(-b / (2 * a), xs[0], xs[2])), False


def optimum_location(rule: dict, records: list[dict], cfg, metric: str) -> dict | None:
  """Where the optimum of ``rule["axis"]`` lies at each value of ``rule["across"]``, per seed, between grid
  points: for each seed, the vertex of a parabola in log10(axis) through its best grid point and the two
  neighbours (:func:`_vertex`), so a drift smaller than one grid step is still measured. Returns, per
  ``across`` value, the seeds' log10 optima with their mean and 95% t-interval, the seeds whose best point
  is at a grid end, and the drift from the first to the last ``across`` value (paired over seeds: mean and
  95% interval, in decades). Descriptive: the verdict stays with :func:`optimum_stable`. None for an axis
  with a value <= 0 (a weight-decay grid from 0: no log scale to interpolate on)."""
  from lbrl.tools import verdicts
  axes = dict(spec_of(cfg)["axes"])
  axis, across = rule["axis"], rule["across"]
  where = dict(rule.get("where") or {})
  if any(float(v) <= 0 for v in axes[axis]):
    return None
  sign = 1.0 if rule.get("mode", "max") == "max" else -1.0
  vals = verdicts.per_arm(records, rule.get("metric", metric))
  grid_x = np.log10(np.asarray(axes[axis], np.float64))
  out = {"axis": axis, "across": across, "where": where, "rows": []}
  per_c = []
  for c in axes[across]:
    names = [experiment.point_name({p: (a if p == axis else c if p == across else where[p]) for p in axes})
             for a in axes[axis]]
    seeds = sorted(set.intersection(*[set(vals.get(n, {})) for n in names])) if names else []
    loc, edge = {}, []
    for sd in seeds:
      y = np.array([-sign * vals[n][sd] for n in names])
      if not np.all(np.isfinite(y)):
        continue
      loc[sd], at_end = _vertex(grid_x, y, int(np.argmin(y)))
      if at_end:
        edge.append(sd)
    row = {"across": c, "log10_optimum": loc, "at_grid_end": edge}
    if loc:
      sm = stats.summarize(list(loc.values()))
      row.update(n=sm.n, mean=sm.mean, lo=sm.lo, hi=sm.hi)
    out["rows"].append(row)
    per_c.append(loc)
  if len(per_c) >= 2 and per_c[0] and per_c[-1]:
    d = stats.compare(per_c[-1], per_c[0], paired=True)
    out["drift"] = {"decades": d.d, "lo": d.lo, "hi": d.hi, "n": d.n}
  return out


def location_section(loc: dict) -> list[str]:
  """The optimum-location table of :func:`optimum_location` for the report."""
  where = ", ".join(f"{p}={v}" for p, v in loc["where"].items())
  lines = [f"**Optimum of {loc['axis']} across {loc['across']}" + (f" ({where})" if where else "") + "**: per seed, "
           "the vertex of a parabola in log10 through the best grid point and its neighbours; mean and 95% "
           "interval over seeds (descriptive; the rules above decide).", "",
           f"| {loc['across']} | optimum (geometric mean) | 95% interval | log10 per seed | seeds at a grid end |",
           "|---|---|---|---|---|"]
  for r in loc["rows"]:
    if "mean" not in r:
      lines.append(f"| {r['across']} | — | — | — | — |")
      continue
    ci = "—" if not np.isfinite(r["lo"]) else f"[{10 ** r['lo']:.3g}, {10 ** r['hi']:.3g}]"
    per = ", ".join(f"{v:.2f}" for _, v in sorted(r["log10_optimum"].items()))
    lines.append(f"| {r['across']} | {10 ** r['mean']:.3g} | {ci} | {per} | {len(r['at_grid_end']) or '—'} |")
  if "drift" in loc:
    d = loc["drift"]
    lines += ["", f"Drift from the first to the last {loc['across']}: {d['decades']:+.2f} decades "
              f"(95% [{d['lo']:+.2f}, {d['hi']:+.2f}], paired over {d['n']} seeds)."]
  return lines + [""]


def section(res: dict, cfg) -> list[str]:
  """The surface as tables: rows = the second-to-last axis, columns = the last (one table per value of
  any leading axes; a list for 1-D grids), then, for each ``optimum_stable`` rule, the located optimum
  (:func:`optimum_location`)."""
  surf = res["surface"]
  axes = surf["axes"]
  key = lambda pt: json.dumps([pt[p] for p, _ in axes], default=str)   # tuples and their JSON lists alike
  cell = {key(p["point"]): p for p in surf["points"]}
  fmt = lambda p: "—" if not p["n"] else (f"{p['mean']:.4f} ± {p['std']:.4f}" if p["n"] > 1 else f"{p['mean']:.4f}")
  lines = [f"### Surface of {res['metric']} (mean ± std over seeds)", ""]
  if len(axes) == 1:
    (path, values), = axes
    lines += [f"| {path} | {res['metric']} | n |", "|---|---|---|"]
    for v in values:
      p = cell[key({path: v})]
      lines.append(f"| {v} | {fmt(p)} | {p['n']} |")
    return lines
  (p0, v0), (p1, v1) = axes[-2], axes[-1]
  for fixed in experiment.points_of([tuple(a) for a in axes[:-2]]):   # one table per value of the leading axes
    if fixed:
      lines += [f"**{experiment.point_name(fixed)}**", ""]
    lines += [f"| {p0} \\ {p1} | " + " | ".join(str(v) for v in v1) + " |", "|---|" + "---|" * len(v1)]
    for a in v0:
      lines.append(f"| {a} | " + " | ".join(fmt(cell[key({**fixed, p0: a, p1: b})]) for b in v1)
                   + " |")
    lines.append("")
  for rule in cfg.sweep.rules:
    loc = optimum_location(rule, res["runs"], cfg, res["metric"]) if rule.get("op") == "optimum_stable" and \
        res.get("runs") else None
    if loc:
      lines += location_section(loc)
  return lines
