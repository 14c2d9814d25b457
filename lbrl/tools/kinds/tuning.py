"""Fair tuning: each arm compared at its own best setting, chosen on a selection split, never the test split.

A sweep opts in with ``config.sweep.tune`` (fixed in the config before any run)::

    c.sweep.tune = dict(
        grids={"adam": [("optimizer.learning_rate", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2])],
               "sgd":  [("optimizer.learning_rate", [1e-3, 1e-2, 1e-1, 1.0])]},
        split="train[90%:]",       # data.split_eval of the selection runs (never the test split)
        train_split="train[:90%]", # data.split_train of the selection runs (default: data.split_train);
                                   # must not overlap ``split``
        metric="eval/accuracy",    # selection metric (default: sweep.metric; an analysis kind's
                                   # analysis/<key> runs the tool on each selection run)
        mode="max",                # max | min (default: min for a loss, else max)
        seeds=[100],               # seeds of the selection runs (default: [1000]; disjoint from sweep.seeds)
    )

The runner trains every grid point of every tuned arm with the selection seeds, ``data.split_train`` set
to ``train_split`` and ``data.split_eval`` set to ``split``; an arm's setting is the point with the best mean selection metric over those seeds
(ties: the first in grid order; a point that diverged on any selection seed is never chosen). The arm's seeds then run at that setting on the test split, and the
verdict compares arms at their chosen settings. The selection results are reported as curves (metric
against setting, per arm): same-nominal-rate pairings are never the verdict. A setting chosen at the end of
its grid is flagged: the grid may not extend past that arm's optimum.

**Grids** (``sweep.kind = "grid"``) tune one setting shared by every grid point, so the grid's own axes stay
the comparison (power lines: the learning rate fixed first, then weight decay x batch at that rate; tuning
each point would let the rate absorb the effect under test)::

    c.sweep.tune = dict(
        grids={"grid": [("optimizer.learning_rate", [1e-3, 3e-3, 1e-2])]},   # the one key is "grid"
        probes=[{"data.batch_size": 8}, {"data.batch_size": 32}],             # where the selection runs
        split="train[90%:]", train_split="train[:90%]")

Each candidate setting runs at every probe (overrides on top of ``grid.base``; default: the base alone)
with every selection seed; the chosen setting has the best mean over probes and seeds and is applied to
every grid point.
"""
from __future__ import annotations

import os

import numpy as np

from lbrl.tools import experiment


def spec_of(cfg) -> dict | None:
  """The validated tuning spec, or None when the sweep is not tuned."""
  if "tune" not in cfg.sweep or not cfg.sweep.tune:
    return None
  t = experiment.to_dict(cfg.sweep.tune)
  unknown = set(t) - {"grids", "split", "train_split", "metric", "mode", "seeds", "probes"}
  if unknown:
    raise ValueError(f"config.sweep.tune: unknown field(s) {sorted(unknown)}; known: grids, split, train_split, "
                     "metric, mode, seeds, probes")
  grids = {a: experiment.axes_of(g) for a, g in (t.get("grids") or {}).items()}
  if not grids:
    raise ValueError("config.sweep.tune.grids is empty: name each tuned arm's grid")
  probes = None
  if experiment.kind_of(cfg) == "grid":
    if set(grids) != {"grid"}:
      raise ValueError(f"config.sweep.tune.grids names {sorted(grids)}: a grid experiment tunes one setting shared "
                       "by all its points, under the single key 'grid'")
    probes = [experiment.to_dict(p) for p in (t.get("probes") or [{}])]
  else:
    if t.get("probes"):
      raise ValueError("config.sweep.tune.probes is for grid experiments (sweep.kind='grid'); a sweep tunes each "
                       "arm at its own overrides")
    arms = experiment.to_dict(cfg.sweep.arms)
    missing = set(grids) - set(arms)
    if missing:
      raise ValueError(f"config.sweep.tune.grids names arm(s) {sorted(missing)} not in sweep.arms {sorted(arms)}")
  split = t.get("split")
  if not split:
    raise ValueError("config.sweep.tune.split is required (a selection split such as 'validation')")
  if split == cfg.data.split_eval:
    raise ValueError(f"config.sweep.tune.split={split!r} is the test split (data.split_eval): select on a "
                     "validation split, never on the split the verdict is computed on")
  from lbrl.data import core
  if core.splits_overlap(split, cfg.data.split_eval):
    raise ValueError(f"config.sweep.tune.split={split!r} overlaps the test split {cfg.data.split_eval!r}")
  train_split = t.get("train_split") or cfg.data.split_train
  if core.splits_overlap(split, train_split):
    raise ValueError(f"config.sweep.tune.split={split!r} overlaps the selection runs' training split "
                     f"{train_split!r}: set config.sweep.tune.train_split to the rest (e.g. 'train[:90%]' "
                     "with split 'train[90%:]')")
  metric = t.get("metric") or cfg.sweep.metric
  mode = t.get("mode") or ("min" if "loss" in metric or "error" in metric else "max")
  if mode not in ("max", "min"):
    raise ValueError(f"config.sweep.tune.mode={mode!r}; known: max, min")
  seeds = [int(s) for s in (t.get("seeds") or [1000])]
  return {"grids": grids, "split": split, "train_split": train_split, "metric": metric, "mode": mode,
          "seeds": seeds, "probes": probes}


def candidates(cfg, spec: dict) -> dict[str, list[tuple[dict, dict[str, dict]]]]:
  """Per tuned arm: ``[(point, {selection arm name: overrides of its runs})]`` (one selection arm per point
  for a sweep; one per probe for a grid's shared setting)."""
  splits = {"data.split_train": spec["train_split"], "data.split_eval": spec["split"]}
  if spec["probes"] is not None:
    from lbrl.tools.kinds import grid
    base = grid.spec_of(cfg)["base"]
    probes = spec["probes"]
    return {"grid": [(pt, {"grid@" + experiment.point_name(pt) + (f"|{experiment.point_name(pr)}" if pr else ""):
                           experiment.combine(experiment.combine(base, pr), {**pt, **splits}) for pr in probes})
                     for pt in experiment.points_of(spec["grids"]["grid"])]}
  arms = experiment.to_dict(cfg.sweep.arms)
  return {arm: [(pt, {f"{arm}@{experiment.point_name(pt)}": experiment.combine(arms[arm], {**pt, **splits})})
                for pt in experiment.points_of(axes)]
          for arm, axes in spec["grids"].items()}


def choose(records: list[dict], cand: dict, spec: dict) -> dict:
  """The selection table and each arm's chosen point from the selection runs' records (a point's mean is
  over all its selection arms and seeds)."""
  table, chosen, edges = {}, {}, []
  for arm, pts in cand.items():
    rows = []
    for i, (pt, sel) in enumerate(pts):
      mine = [r for r in records if r["arm"] in sel]
      vals = [r["final"][spec["metric"]] for r in mine if spec["metric"] in r["final"]]
      diverged = sum(1 for r in mine if r["final"].get("diverged"))
      # a setting that diverged on any selection seed is never chosen (its other seeds' mean would hide it)
      mean = float(np.mean(vals)) if vals and not diverged else float("nan")
      rows.append({"point": pt, "mean": mean, "n": len(vals), **({"diverged": diverged} if diverged else {})})
    finite = [i for i, r in enumerate(rows) if np.isfinite(r["mean"])]
    if not finite:
      raise RuntimeError(f"tuning arm {arm!r}: no selection run produced {spec['metric']}")
    sign = 1.0 if spec["mode"] == "max" else -1.0
    best = max(finite, key=lambda i: (sign * rows[i]["mean"], -i))
    rows[best]["chosen"] = True
    chosen[arm] = rows[best]["point"]
    for path, values in spec["grids"][arm]:
      v = rows[best]["point"][path]
      if len(values) > 1 and v in (values[0], values[-1]):
        edges.append(f"`{arm}`: {path}={v} is at the end of its grid {values}: the grid may not extend past "
                     "this arm's optimum")
    table[arm] = rows
  return {"table": table, "chosen": chosen, "edges": edges}


def select(cfg, *, config_path: str, variant: str, out_dir: str, workdir_root: str, jobs: int = 1,
           quiet: bool = False, arms: dict | None = None) -> tuple[dict, dict | None]:
  """Runs the selection stage (resuming) and returns ``(arms at their chosen settings, tuning results)``;
  ``(arms, None)`` when the sweep is not tuned. ``arms`` defaults to ``sweep.arms``; a grid passes its
  points, which all take the grid's shared setting."""
  from lbrl.tools.kinds import sweep
  arms = experiment.to_dict(cfg.sweep.arms) if arms is None else arms
  spec = spec_of(cfg)
  if spec is None:
    return arms, None
  aspec = None
  if experiment.kind_of(cfg) == "analysis":
    from lbrl.tools.kinds import analysis
    a = analysis.spec_of(cfg)
    if a.get("at") == "init":
      raise ValueError("config.sweep.tune with an analysis at initialisation: nothing is trained, nothing to tune")
    if spec["metric"].startswith("analysis/"):
      # an analysis metric: the tool runs on each selection run, on its selection split when the tool
      # reads the eval split (data.split_eval is the selection split there)
      aspec = a
  cand = candidates(cfg, spec)
  sel_arms = {name: ov for pts in cand.values() for _, sel in pts for name, ov in sel.items()}
  runs = experiment.expand(cfg, spec["seeds"], sel_arms)
  records = sweep.train_runs(runs, config_path=config_path, variant=variant,
                             runs_dir=os.path.join(out_dir, "tuning"),
                             workdir_root=os.path.join(workdir_root, "tuning"), metric=spec["metric"],
                             jobs=jobs, quiet=quiet, label="tuning: ")
  if aspec is not None:
    records = analysis.analyse_runs(runs, records, aspec, os.path.join(out_dir, "tuning"))
  res = choose(records, cand, spec)
  shared = spec["probes"] is not None   # a grid: every point takes the one chosen setting
  picks = {a: res["chosen"]["grid"] if shared else res["chosen"].get(a) for a in arms}
  final_arms = {a: experiment.combine(ov, picks[a]) if picks[a] else ov for a, ov in arms.items()}
  res.update(split=spec["split"], metric=spec["metric"], mode=spec["mode"], seeds=spec["seeds"],
             grids={a: [[p, v] for p, v in ax] for a, ax in spec["grids"].items()},
             runs=[{k: r[k] for k in ("arm", "seed", "final", "overrides")} for r in records])
  if shared:
    res["probes"] = spec["probes"]
  return final_arms, res


def section(tuning: dict) -> list[str]:
  """The report's tuning section: the grids, the selection split and rule, a table per arm."""
  lines = ["## Tuning (selection before the verdict)", "",
           f"Each tuned arm ran every point of its grid with seeds {tuning['seeds']} on the `{tuning['split']}` "
           f"split{_probes_phrase(tuning)}; its setting is the point with the best mean `{tuning['metric']}` "
           f"({tuning['mode']}). The "
           "verdict compares arms at their chosen settings on the test split; same-nominal-setting pairings "
           "below are curves, not the verdict.", ""]
  for arm, rows in tuning["table"].items():
    lines += [f"**{arm}**", "", "| setting | " + tuning["metric"] + " (selection split) | n |", "|---|---|---|"]
    for r in rows:
      mark = " **(chosen)**" if r.get("chosen") else ""
      value = f"diverged on {r['diverged']} of {r['n'] + r['diverged']} seeds" if r.get("diverged") else f"{r['mean']:.4f}"
      lines.append(f"| {experiment.point_name(r['point'])}{mark} | {value} | {r['n']} |")
    lines.append("")
  lines += [f"- {e}" for e in tuning["edges"]] + ([""] if tuning["edges"] else [])
  return lines


def _probes_phrase(tuning: dict) -> str:
  probes = tuning.get("probes")
  if not probes:
    return ""
  names = [experiment.point_name(p) or "the grid's base" for p in probes]
  return (f" at each of {len(names)} probe(s) ({'; '.join(names)}; the mean is over probes and seeds), and the "
          "chosen setting applies to every grid point")
