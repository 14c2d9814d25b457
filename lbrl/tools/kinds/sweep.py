"""The ``sweep`` experiment kind: arms x seeds of training runs; rules over the arms' final metrics.

Runs are trained by :func:`train_runs` (resuming: a run whose record exists is not rerun; a run killed
mid-training resumes from its checkpoint). Each run's record (``runs/<arm>__seed<k>.json``) holds its
overrides, seed, final and per-eval metrics, wall time, package versions, workdir and the processor it
ran on (from the workdir's ``run.json`` when the trainer recorded it). ``grid`` and ``analysis`` reuse
this module's training and summaries.

**Metrics read from a run's logged curve** (``config.sweep.reach``): a claim about *how soon* a run gets
somewhere ("iterations to separate the data") is measured as the first logged step at which a logged
metric reaches a threshold::

  c.sweep.reach = {"steps_to_separate": {"metric": "eval/accuracy", "threshold": 1.0, "op": ">="}}

adds ``final["steps_to_separate"]`` to every run's record (:func:`reach_metrics`). A run that never
reaches the threshold within its ``steps`` is **censored**: its value is the budget (``config.steps``, a
lower bound on the true value) and ``final["steps_to_separate/censored"] = 1.0`` (else 0.0). The rules
treat censored values as lower bounds (:func:`lbrl.tools.verdicts.evaluate_rules`): an outcome that
rests on an interval bound which censoring could move is reported inconclusive instead.
"""
from __future__ import annotations

import json
import os
import time
import warnings
from concurrent import futures

from lbrl.tools import experiment, stats

NOT_RECORDED = "not recorded"


def _curve(rows: list[dict], metric: str) -> list[list[float]]:
  """``[[step, value], ...]`` of ``metric`` in a run's logged rows (:func:`lbrl.train.record.read_metrics`)."""
  return [[r["step"], r[metric]] for r in rows if metric in r]


DIAGNOSTIC_PREFIX, TRAIN_LOSS = "diag/", "train/loss"


def diagnostic_curves(rows: list[dict]) -> dict[str, list[list[float]]]:
  """Every training diagnostic a run logged (``config.diagnostics``: ``diag/<name>/<key>``) as
  ``{key: [[step, value], ...]}`` from its logged rows; empty when the config lists none. Kept in the
  run's record so the report plots the mechanism (activation variance, residual growth, gradient norms ...)
  against steps; with them the logged training loss (``train/loss``: the report counts its spikes)."""
  keys = sorted({k for r in rows for k in r if k.startswith(DIAGNOSTIC_PREFIX)})
  return {k: _curve(rows, k) for k in keys + [TRAIN_LOSS]} if keys else {}


REACH_OPS = (">=", "<=")
CENSORED = "/censored"


def first_reach(curve, threshold: float, op: str = ">=") -> int | None:
  """The first step of ``curve`` (``[[step, value], ...]`` in logging order) whose value is ``>=``
  (or ``<=``) ``threshold``; None when no logged value reaches it."""
  if op not in REACH_OPS:
    raise ValueError(f"reach op={op!r}; expected one of {REACH_OPS}")
  for step, value in curve:
    if (value >= threshold) if op == ">=" else (value <= threshold):
      return int(step)
  return None


def reach_metrics(spec: dict, curves: dict, budget: int) -> dict[str, float]:
  """``{name: first step reaching the threshold (budget when censored), name + "/censored": 0. | 1.}``
  for each ``name -> {"metric", "threshold", "op"}`` in ``spec`` (``config.sweep.reach``); ``curves``
  maps a metric to its logged ``[[step, value], ...]``."""
  out = {}
  for name, r in spec.items():
    r = dict(r)
    unknown = set(r) - {"metric", "threshold", "op"}
    if unknown or "metric" not in r or "threshold" not in r:
      raise ValueError(f"sweep.reach[{name!r}] = {r}: expected keys metric, threshold and optionally op "
                       f"(>= or <=)")
    step = first_reach(curves.get(r["metric"], []), float(r["threshold"]), r.get("op", ">="))
    out[name] = float(budget if step is None else step)
    out[name + CENSORED] = float(step is None)
  return out


def _reach_spec(config) -> dict:
  return experiment.to_dict(config.sweep.get("reach", {}) or {}) if "sweep" in config else {}


def run_processor(workdir: str) -> str:
  """The processor a run was on, from its workdir's ``run.json`` (``processor``), else "not recorded"."""
  try:
    with open(os.path.join(workdir, "run.json")) as f:
      return json.load(f).get("processor") or NOT_RECORDED
  except (OSError, ValueError):
    return NOT_RECORDED


def workdir_for(run: dict, workdir_root: str) -> str:
  """``<root>/<arm>__seed<k>-<hash of the overrides and the training config>``: a run whose overrides
  change (a tuned arm's new choice, an edited arm) or whose base config changes (an edited protocol after a
  killed sweep) trains in a fresh workdir instead of resuming, or refusing, another config's run."""
  import hashlib
  key = [_norm(run["overrides"])] + ([training_hash(run["config"])] if "config" in run else [])
  digest = hashlib.sha1(json.dumps(key, sort_keys=True).encode()).hexdigest()[:8]
  return os.path.join(workdir_root, f"{experiment.run_name(run)}-{digest}")


def execute(run: dict, workdir_root: str, metric: str) -> dict:
  """Trains one run (resuming its workdir) and returns its result record. A run that diverges (the
  trainer's :class:`~lbrl.train.trainer.NonFiniteError`) is recorded, not raised: ``final`` holds
  ``diverged = 1.0`` and no eval metric (so paired rules leave its seed out: see :func:`section`, which
  lists diverged runs), ``diverged_reason`` says where; finished runs have ``diverged = 0.0``, so a rule
  can test the divergence rate itself (``{"arm": ..., "op": ">=", "value": 0.5, "metric": "diverged"}``)."""
  from lbrl.train import train
  from lbrl.train.record import read_metrics, versions
  from lbrl.train.trainer import NonFiniteError
  workdir = workdir_for(run, workdir_root)
  t0 = time.time()
  try:
    final, diverged = train(run["config"], workdir, progress=False), {}
  except NonFiniteError as e:
    final, diverged = {"diverged": 1.0}, {"diverged_reason": str(e)}
  rows = read_metrics(workdir)   # the run's log, read once for its curves
  if not diverged:
    final = {k: v for k, v in final.items() if isinstance(v, (int, float))}
    final["diverged"] = 0.0
    reach = _reach_spec(run["config"])
    if reach:
      metrics = {dict(r)["metric"] for r in reach.values()}
      final.update(reach_metrics(reach, {m: _curve(rows, m) for m in metrics}, int(run["config"].steps)))
  return {"arm": run["arm"], "seed": run["seed"], "overrides": run["overrides"], "final": final, **diverged,
          "curve": _curve(rows, metric), "diagnostics": diagnostic_curves(rows),
          "wall_time_sec": time.time() - t0, "versions": versions(),
          "workdir": workdir, "processor": run_processor(workdir), "training_hash": training_hash(run["config"])}


def _execute_in_subprocess(config_path, variant, arm, overrides, seed, workdir_root, metric):
  cfg, _ = experiment.load_config(config_path, variant)
  run = experiment.expand(cfg, [seed], {arm: overrides})[0]
  return execute(run, workdir_root, metric)


def _norm(x):
  return json.loads(json.dumps(x, default=float))


EXPERIMENT_BLOCKS = ("paper", "sweep", "grid")   # describe the experiment, not a run's training


def training_hash(config, exclude: tuple = EXPERIMENT_BLOCKS) -> str:
  """A digest of everything in a run's config that shapes its training and record (all but the
  experiment's description: the ``paper``, ``sweep`` and ``grid`` blocks; a grid point's own values are in
  its overrides): a protocol edit in the config (steps, data, schedule, ...) changes it even where an
  arm's overrides stay the same, while adding or removing grid points does not invalidate the others."""
  d = experiment.to_dict(config)
  d = {k: v for k, v in d.items() if k not in exclude}
  if isinstance(d.get("data"), dict) and d["data"].get("augment", 0) is None:   # the default: as before it existed
    d["data"] = {k: v for k, v in d["data"].items() if k != "augment"}
  if "init" in d and d["init"] is None:   # likewise config.init
    d.pop("init")
  import hashlib
  return hashlib.sha1(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:12]


def _stored_hash(rec: dict) -> str | None:
  """The training hash of the config a record's run actually trained (its workdir's ``config.json``),
  under the current convention; None when the workdir is gone."""
  p = os.path.join(rec.get("workdir") or "", "config.json")
  if not rec.get("workdir") or not os.path.exists(p):
    return None
  try:
    with open(p) as f:
      return training_hash(json.load(f))
  except ValueError:
    return None


def _write_record(path: str, rec: dict) -> None:
  """Writes a run's record atomically (a killed sweep leaves the old record or the new, never half)."""
  with open(path + ".tmp", "w") as f:
    json.dump(rec, f, indent=1, default=float)
  os.replace(path + ".tmp", path)


def _done(path: str, run: dict) -> bool:
  """Whether the run's record can be reused (:func:`_reusable`)."""
  return _reusable(path, run) is not None


def _reusable(path: str, run: dict) -> dict | None:
  """The run's record when it can be reused, else None. A run counts as done when its record exists and was
  trained with the same overrides (a tuned arm whose chosen setting changed is rerun) and the same training
  config (``training_hash``: a changed base protocol is rerun instead of reusing the old arm's record).

  A record whose stored hash is missing or from an older convention (the grid block was once part of the
  digest, so extending a grid invalidated every finished point) is checked against the config its run
  trained, read back from its workdir: when that config's hash under the current convention matches, the
  record is kept and its hash updated in place; when it differs, the run is rerun. Only a record without
  a hash whose workdir is gone is taken on trust (with a warning): nothing is left to check it against."""
  if not os.path.exists(path):
    return None
  try:
    with open(path) as f:
      rec = json.load(f)
  except ValueError:
    return None
  if _norm(rec.get("overrides")) != _norm(run["overrides"]):
    return None
  if "config" not in run:
    return rec
  want = training_hash(run["config"])
  if rec.get("training_hash") == want:
    return rec
  stored = _stored_hash(rec)
  if stored is None:
    if "training_hash" not in rec:
      warnings.warn(f"{path}: a record without a training hash whose workdir is gone is reused unchecked")
      return rec
    # hashed before the grid block was excluded (it was part of the digest): valid while the grid is unchanged
    return rec if rec["training_hash"] == training_hash(run["config"], ("paper", "sweep")) else None
  if stored != want:
    return None
  rec["training_hash"] = want
  _write_record(path, rec)
  return rec


def train_runs(runs: list[dict], *, config_path: str, variant: str, runs_dir: str, workdir_root: str,
               metric: str, jobs: int = 1, quiet: bool = False, label: str = "") -> list[dict]:
  """Trains the runs whose record file is missing in ``runs_dir``; returns every run's record."""
  os.makedirs(runs_dir, exist_ok=True)
  path = lambda r: os.path.join(runs_dir, experiment.run_name(r) + ".json")
  records = {id(r): _reusable(path(r), r) for r in runs}   # each record read once: reused or None
  todo = [r for r in runs if records[id(r)] is None]
  t0 = time.time()

  def done(i, r, rec):
    _write_record(path(r), rec)
    records[id(r)] = _norm(rec)   # as a later read of the file gives it (JSON lists, floats)
    if not quiet:
      el = time.time() - t0
      if metric in rec["final"]:
        shown = f"{metric}={rec['final'][metric]:.4f}"
      elif rec["final"].get("diverged"):
        shown = "diverged"
      else:   # an analysis metric: measured on the trained run afterwards (lbrl.tools.kinds.analysis)
        shown = f"{metric} after training"
      print(f"{label}[{i}/{len(todo)}] {experiment.run_name(r)}: {shown} ({rec['wall_time_sec']:.0f}s)  "
            f"elapsed {el:.0f}s  ETA {el / i * (len(todo) - i):.0f}s", flush=True)

  if not quiet:
    print(f"{label}{len(runs)} runs ({len(runs) - len(todo)} already complete), variant={variant}", flush=True)
  if jobs <= 1:
    for i, r in enumerate(todo, 1):
      done(i, r, execute(r, workdir_root, metric))
  else:
    import multiprocessing
    ctx = multiprocessing.get_context("spawn")
    with futures.ProcessPoolExecutor(jobs, mp_context=ctx) as pool:
      futs = {pool.submit(_execute_in_subprocess, os.path.abspath(config_path), variant, r["arm"],
                          r["overrides"], r["seed"], workdir_root, metric): r for r in todo}
      for i, f in enumerate(futures.as_completed(futs), 1):
        done(i, futs[f], f.result())
  return [records[id(r)] for r in runs]


def summarize_arms(records: list[dict], arms: list[str], metric: str, published: dict) -> dict:
  """Per-arm n, seeds, mean, std and 95% interval of ``metric`` (only arms with results)."""
  out = {}
  for a in arms:
    vals = sorted((r["seed"], r["final"][metric]) for r in records if r["arm"] == a and metric in r["final"])
    if not vals:
      continue
    s = stats.summarize([v for _, v in vals])
    out[a] = {"n": s.n, "seeds": [k for k, _ in vals], "mean": s.mean, "std": s.std, "ci95": [s.lo, s.hi],
              "published": published.get(a)}
  return out


def _pm(mean, std, n) -> str:
  return f"{mean:.4f} ± {std:.4f}" if n > 1 else f"{mean:.4f}"


def seeds_phrase(arms: dict) -> str:
  """"3 seeds per arm (0, 1, 2)" from the summaries actually used (or the range where arms differ)."""
  ns = sorted({a["n"] for a in arms.values()})
  if not ns:
    return "no run recorded this metric (e.g. a smoke variant without its stage)"
  seeds = sorted({tuple(a["seeds"]) for a in arms.values()})
  if len(ns) == 1 and len(seeds) == 1:
    return f"{ns[0]} seed{'s' if ns[0] != 1 else ''} per arm (seeds {', '.join(map(str, seeds[0]))})"
  return f"{ns[0]}-{ns[-1]} seeds per arm (see n)"


def section(res: dict, cfg) -> list[str]:
  """Results table: per arm mean ± std, 95% interval, the paper's number, n, and the other metrics."""
  metric, arms, records = res["metric"], res["arms"], res["runs"]
  other = sorted({k for r in records for k in r["final"]
                  if (k.startswith("eval/") or k.startswith("analysis/")) and k != metric})
  lines = [f"### {metric}, {seeds_phrase(arms)}", ""]
  head = ["arm", f"{metric} mean ± std", "95% CI", "paper", "n"] + other
  lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
  for a, s in arms.items():
    ext = []
    for o in other:
      v = [r["final"][o] for r in records if r["arm"] == a and o in r["final"]]
      ext.append(_pm(*(lambda q: (q.mean, q.std, q.n))(stats.summarize(v))) if v else "—")
    pub = s.get("published")
    ci = "—" if s["n"] < 2 else f"[{s['ci95'][0]:.4f}, {s['ci95'][1]:.4f}]"
    lines.append(f"| {a} | {_pm(s['mean'], s['std'], s['n'])} | {ci} | {'—' if pub is None else pub} | {s['n']} | "
                 + " | ".join(ext) + (" |" if ext else "|"))
  diverged = {}
  for r in records:
    if r["final"].get("diverged"):
      diverged.setdefault(r["arm"], []).append(int(r["seed"]))
  if diverged:
    lines += ["", "Diverged runs (non-finite loss; left out of the paired comparisons above, counted by the "
              "`diverged` metric): " + "; ".join(f"`{a}` seed{'s' if len(v) > 1 else ''} "
                                                 f"{', '.join(map(str, sorted(v)))}" for a, v in diverged.items())]
  arm_overrides = res.get("arm_overrides") or {}
  if arm_overrides:
    lines += ["", "Arm overrides: " + "; ".join(f"`{a}`: `{json.dumps(v)}`" for a, v in arm_overrides.items())]
  return lines
