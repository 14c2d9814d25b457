"""The reproduction runner: ``python -m lbrl.reproduce configs/<slug>.py [--variant cpu] [--jobs J]``.

It runs the config's sweep (every arm x every seed), skipping runs whose result file already exists
(an interrupted reproduction resumes; a run killed mid-training resumes from its checkpoint), then
writes ``experiments/<slug>/``:

* ``runs/<arm>__seed<k>.json``: one file per finished run (its overrides, seed, final and per-eval
  metrics, wall time, versions);
* ``results.json``: all runs, per-arm statistics, the rule outcomes and the verdict;
* ``README.md``: the paper, the claim, the setting we ran and how it differs from the paper's, a table
  (mean ± std and 95% interval over seeds, the paper's number beside it), a plot, the verdict with its
  reasoning, and the command that regenerates the page;
* ``curves.png``: the sweep metric over training steps per arm, and the final values per arm.

The verdict is computed from ``config.sweep.rules`` by :mod:`lbrl.tools.stats`, never written by hand.
``python -m lbrl.reproduce --index`` regenerates ``experiments/README.md``, the index of every paper.
"""
from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import os
import sys
import time
from concurrent import futures

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if REPO not in sys.path:
  sys.path.insert(0, REPO)  # configs import `configs.common`


def load_config(path: str, variant: str = "cpu"):
  """``get_config("variant=...")`` of the config file at ``path``."""
  if not os.path.exists(path):
    raise FileNotFoundError(f"no config file {path!r}")
  spec = importlib.util.spec_from_file_location(f"lbrl_config_{os.path.basename(path)[:-3]}", path)
  mod = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(mod)
  return mod.get_config(f"variant={variant}"), mod


def _merge(cfg, overrides: dict, where: str = "config"):
  """Applies an arm's nested-dict overrides to a locked ConfigDict.

  An override of a free sub-config (model, loss, optimizer) that names ``name`` replaces it whole, so
  switching the loss does not inherit the base loss's hyperparameters; without ``name`` it merges.
  Unknown fields of fixed sub-configs are errors naming the path.
  """
  import ml_collections as mlc
  for k, v in overrides.items():
    if k not in cfg:
      raise KeyError(f"sweep override {where}.{k}: no such field; fields: {sorted(cfg.keys())}")
    sub = cfg[k]
    if isinstance(v, dict) and isinstance(sub, mlc.ConfigDict):
      if not sub.is_type_safe and "name" in v:
        with cfg.unlocked():
          cfg[k] = mlc.ConfigDict(v, type_safe=False)
      elif not sub.is_type_safe:
        with sub.unlocked():
          for kk, vv in v.items():
            if isinstance(vv, dict) and isinstance(sub.get(kk), mlc.ConfigDict):
              _merge(sub[kk], vv, f"{where}.{k}.{kk}")
            else:
              sub[kk] = vv
      else:
        _merge(sub, v, f"{where}.{k}")
    else:
      with cfg.ignore_type():
        cfg[k] = v


def expand(cfg, seeds: list[int] | None = None) -> list[dict]:
  """The sweep's runs: ``[{"arm", "seed", "overrides", "config"}]`` in arm-major order."""
  arms = cfg.sweep.arms.to_dict() if hasattr(cfg.sweep.arms, "to_dict") else dict(cfg.sweep.arms)
  if not arms:
    raise ValueError(f"config {cfg.paper.slug!r} has no sweep arms")
  runs = []
  for arm, overrides in arms.items():
    for seed in (seeds if seeds is not None else list(cfg.sweep.seeds)):
      run_cfg = copy.deepcopy(cfg)
      _merge(run_cfg, overrides)
      with run_cfg.ignore_type():
        run_cfg.seed = int(seed)
      runs.append({"arm": arm, "seed": int(seed), "overrides": overrides, "config": run_cfg})
  return runs


def run_name(run: dict) -> str:
  return f"{run['arm']}__seed{run['seed']}"


def _curve(workdir: str, metric: str) -> list[list[float]]:
  from lbrl.train.record import read_metrics
  return [[r["step"], r[metric]] for r in read_metrics(workdir) if metric in r]


def execute(run: dict, workdir_root: str, metric: str) -> dict:
  """Trains one run (resuming its workdir) and returns its result record."""
  from lbrl.train import train
  from lbrl.train.record import versions
  workdir = os.path.join(workdir_root, run_name(run))
  t0 = time.time()
  final = train(run["config"], workdir, progress=False)
  final.pop("state", None)
  return {"arm": run["arm"], "seed": run["seed"], "overrides": run["overrides"],
          "final": {k: v for k, v in final.items() if isinstance(v, (int, float))},
          "curve": _curve(workdir, metric), "wall_time_sec": time.time() - t0, "versions": versions(),
          "workdir": workdir}


def _execute_in_subprocess(config_path, variant, arm, seed, workdir_root, metric):
  cfg, _ = load_config(config_path, variant)
  run = next(r for r in expand(cfg, [seed]) if r["arm"] == arm)
  return execute(run, workdir_root, metric)


def run_sweep(config_path: str, variant: str = "cpu", seeds: list[int] | None = None, jobs: int = 1,
              out_dir: str | None = None, workdir_root: str | None = None, quiet: bool = False) -> dict:
  """Runs the missing runs of the sweep, then writes the report. Returns results.json's content."""
  cfg, module = load_config(config_path, variant)
  slug = cfg.paper.slug or os.path.basename(config_path)[:-3]
  out_dir = out_dir or os.path.join(REPO, "experiments", slug)
  workdir_root = workdir_root or os.path.join(os.path.expanduser("~/.cache/lbrl/runs"), slug, variant)
  os.makedirs(os.path.join(out_dir, "runs"), exist_ok=True)
  runs = expand(cfg, seeds)
  metric = cfg.sweep.metric
  path = lambda r: os.path.join(out_dir, "runs", run_name(r) + ".json")
  todo = [r for r in runs if not os.path.exists(path(r))]
  t0 = time.time()

  def done(i, r, rec):
    with open(path(r) + ".tmp", "w") as f:
      json.dump(rec, f, indent=1, default=float)
    os.replace(path(r) + ".tmp", path(r))
    if not quiet:
      el = time.time() - t0
      eta = el / i * (len(todo) - i)
      print(f"[{i}/{len(todo)}] {run_name(r)}: {metric}={rec['final'].get(metric, float('nan')):.4f} "
            f"({rec['wall_time_sec']:.0f}s)  elapsed {el:.0f}s  ETA {eta:.0f}s", flush=True)

  if not quiet:
    print(f"{slug}: {len(runs)} runs ({len(runs) - len(todo)} already complete), variant={variant}", flush=True)
  if jobs <= 1:
    for i, r in enumerate(todo, 1):
      done(i, r, execute(r, workdir_root, metric))
  else:
    import multiprocessing
    ctx = multiprocessing.get_context("spawn")
    with futures.ProcessPoolExecutor(jobs, mp_context=ctx) as pool:
      futs = {pool.submit(_execute_in_subprocess, os.path.abspath(config_path), variant, r["arm"], r["seed"],
                          workdir_root, metric): r for r in todo}
      for i, f in enumerate(futures.as_completed(futs), 1):
        done(i, futs[f], f.result())
  records = [json.load(open(path(r))) for r in runs]
  from lbrl.tools import report
  return report.write(cfg, module, records, out_dir, config_path, variant)


def main(argv=None):
  p = argparse.ArgumentParser(prog="python -m lbrl.reproduce", description=__doc__.split("\n\n")[0])
  p.add_argument("config", nargs="?", help="configs/<slug>.py")
  p.add_argument("--variant", default="cpu", choices=["smoke", "cpu", "paper"])
  p.add_argument("--seeds", type=int, default=None, help="number of seeds (default: the config's list)")
  p.add_argument("--jobs", type=int, default=1, help="runs side by side in separate processes")
  p.add_argument("--out", default=None, help="output folder (default experiments/<slug>)")
  p.add_argument("--index", action="store_true", help="regenerate experiments/README.md and exit")
  a = p.parse_args(argv)
  if a.index:
    from lbrl.tools import report
    report.write_index()
    return
  if not a.config:
    p.error("a config path is required (or --index)")
  from absl import logging
  logging.set_verbosity(logging.WARNING)
  seeds = list(range(a.seeds)) if a.seeds else None
  res = run_sweep(a.config, a.variant, seeds, a.jobs, a.out)
  print(f"verdict: {res['verdict']}  ->  {res['report']}")


if __name__ == "__main__":
  main()
