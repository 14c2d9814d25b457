"""The reproduction runner: ``python -m lbrl.reproduce configs/<slug>.py [--variant cpu] [--seeds N|a,b,c]
[--jobs J] [--out DIR]``.

It runs the config's experiment, whatever its kind (``config.sweep.kind``: sweep, grid, benchmark, fit,
analysis; see :mod:`lbrl.tools.experiment`), then writes ``experiments/<slug>/`` (or ``--out``) through
the one report writer (:mod:`lbrl.tools.report`):

* ``runs/<arm>__seed<k>.json`` (training kinds): one file per finished run (its overrides, seed, final
  and per-eval metrics, wall time, versions, processor). A run whose file exists with the same
  overrides is not rerun (an interrupted reproduction resumes; a run killed mid-training resumes from
  its checkpoint); ``tuning/`` holds the selection runs of a tuned sweep;
* ``results.json``: all runs or measurements, per-arm statistics, the rule outcomes and the verdict;
* ``README.md``: the report; ``<kind>.png``: its figure.

The verdict is computed from ``config.sweep.rules`` by :mod:`lbrl.tools.verdicts`, never written by
hand; the smoke variant gets a report marked as a smoke test and no verdict.
``python -m lbrl.reproduce --index`` regenerates ``experiments/README.md``;
``python -m lbrl.reproduce configs/<slug>.py --reevaluate`` recomputes a report's statistics from its
``results.json`` without running anything (``--reevaluate-all``: every report under experiments/).
"""
from __future__ import annotations

import argparse
import json
import os
import shlex

from lbrl.tools import experiment, report, verdicts

REPO = report.REPO
# re-exported for callers of the previous module layout
load_config, expand, run_name = experiment.load_config, experiment.expand, experiment.run_name
_merge = experiment.merge


def _machine() -> str:
  import platform

  import jax
  return (f"{jax.devices()[0].platform.upper()} ({os.cpu_count()} cores, {platform.machine()}), "
          f"jax {jax.__version__}")


def _rel(path: str) -> str:
  """``path`` relative to the working directory when inside it (commands are run from the repository)."""
  a = os.path.abspath(path)
  r = os.path.relpath(a)
  return a if r.startswith("..") else r


def command_for(config_path: str, variant: str, seeds: list[int] | None, out_dir: str) -> str:
  """The exact command that regenerates the report: config, variant, the seeds used and the folder."""
  parts = ["python", "-m", "lbrl.reproduce", _rel(config_path), "--variant", variant]
  if seeds is not None:
    parts += ["--seeds", ",".join(str(s) for s in seeds)]
  parts += ["--out", _rel(out_dir)]
  return " ".join(shlex.quote(p) for p in parts)


def default_out(cfg, config_path: str, variant: str = "cpu") -> str:
  """``experiments/<slug>`` for the reproduction (cpu variant); ``experiments/<slug>/<variant>`` for the
  others, so a smoke test never overwrites the committed report."""
  slug = cfg.paper.slug or os.path.basename(config_path)[:-3]
  base = os.path.join(REPO, "experiments", slug)
  return base if variant == "cpu" else os.path.join(base, variant)


def _sweep_results(cfg, records, arms, arm_overrides, *, variant, seeds, rules_metric, extra_ops=None) -> dict:
  from lbrl.tools.kinds import sweep
  metric = cfg.sweep.metric
  published = experiment.to_dict(cfg.sweep.published)
  rules = []
  for r in cfg.sweep.rules:
    r = dict(r)
    if extra_ops and r.get("op") in extra_ops:
      rules.append(extra_ops[r["op"]](r, records))
    else:
      rules += verdicts.evaluate_rules([r], records, rules_metric)
  verdict = verdicts.decide(rules, variant=variant, not_testable=cfg.sweep.not_testable,
                            partly_testable=cfg.sweep.partly_testable)
  return {"slug": cfg.paper.slug, "variant": variant, "metric": metric, "verdict": verdict,
          "rules": [r.to_json() for r in rules], "arms": sweep.summarize_arms(records, arms, metric, published),
          "arm_overrides": arm_overrides, "seeds": seeds, "runs": records,
          "total_wall_time_sec": sum(r.get("wall_time_sec", 0) for r in records)}


COMPILATION_CACHE = os.path.expanduser("~/.cache/lbrl/jax_cache")


def use_compilation_cache(path: str = COMPILATION_CACHE) -> str:
  """Turns on JAX's persistent compilation cache (unless the user set one): the runs of a sweep differ
  in seed and hyperparameter values, not in program, so each program compiles once instead of once per
  run. Also exported to the environment for the runner's worker processes. Returns the cache path."""
  import jax
  path = jax.config.jax_compilation_cache_dir or os.environ.get("JAX_COMPILATION_CACHE_DIR") or path
  for key, value in (("JAX_COMPILATION_CACHE_DIR", path), ("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0"),
                     ("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")):
    os.environ.setdefault(key, value)
  jax.config.update("jax_compilation_cache_dir", path)
  jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
  jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
  return path


def run_experiment(config_path: str, variant: str = "cpu", seeds: list[int] | None = None, jobs: int = 1,
                   out_dir: str | None = None, workdir_root: str | None = None, quiet: bool = False) -> dict:
  """Runs what is missing of the experiment, then writes the report. Returns results.json's content
  (with ``report``, the README's path)."""
  cfg, module = experiment.load_config(config_path, variant)
  kind = experiment.kind_of(cfg)
  use_compilation_cache()
  out_dir = out_dir or default_out(cfg, config_path, variant)
  slug = cfg.paper.slug or os.path.basename(config_path)[:-3]
  workdir_root = workdir_root or os.path.join(os.path.expanduser("~/.cache/lbrl/runs"), slug, variant)
  os.makedirs(out_dir, exist_ok=True)
  if kind == "benchmark":
    from lbrl.tools.kinds import benchmark
    res = benchmark.run(cfg, log=(lambda *_: None) if quiet else print)
    res["command"] = command_for(config_path, variant, None, out_dir)
  elif kind == "fit":
    from lbrl.tools.kinds import fit
    res = fit.run(cfg, config_path)
    res["command"] = command_for(config_path, variant, None, out_dir)
    res["processors"] = [_processor()]
  else:
    used_seeds = experiment.seeds_of(cfg, seeds)
    from lbrl.tools.kinds import sweep, tuning
    extra_ops = None
    arms = None
    if kind == "grid":
      from lbrl.tools.kinds import grid
      arms = grid.arms(cfg)
      extra_ops = {"optimum_stable": lambda r, recs: grid.optimum_stable(r, recs, cfg, cfg.sweep.metric)}
    arms, tuned = tuning.select(cfg, config_path=config_path, variant=variant, out_dir=out_dir,
                                workdir_root=workdir_root, jobs=jobs, quiet=quiet, arms=arms)
    runs = experiment.expand(cfg, used_seeds, arms)
    metric = cfg.sweep.metric
    spec = None
    if kind == "analysis":
      from lbrl.tools.kinds import analysis
      spec = analysis.spec_of(cfg)
    if spec and spec.get("at") == "init":   # measured at initialisation: nothing to train
      records = analysis.init_records(runs)
    else:
      records = sweep.train_runs(runs, config_path=config_path, variant=variant,
                                 runs_dir=os.path.join(out_dir, "runs"), workdir_root=workdir_root, metric=metric,
                                 jobs=jobs, quiet=quiet, label=f"{slug}: ")
    if spec:
      records = analysis.analyse_runs(runs, records, spec, os.path.join(out_dir, "runs"))
    res = _sweep_results(cfg, records, list(arms), arms, variant=variant, seeds=used_seeds, rules_metric=metric,
                         extra_ops=extra_ops)
    if kind == "grid":
      from lbrl.tools.kinds import grid
      res["surface"] = grid.surface(records, cfg, metric)
    if tuned:
      res["tuning"] = tuned
    res["command"] = command_for(config_path, variant, used_seeds, out_dir)
    _keep_history(res, out_dir)
  res["kind"] = kind
  res["machine"] = res.get("machine") or _machine()
  fp = report.footprint(config_path) if variant != "smoke" and kind not in ("benchmark", "fit") else None
  return report.write(cfg, module, res, out_dir, config_path, footprint_info=fp)


def _keep_history(res: dict, out_dir: str) -> None:
  """A report re-rendered from the very runs of its last results (nothing retrained) keeps that results'
  ``previous`` evaluation (:func:`reevaluate`'s record of what changed under the current rules): the
  history belongs to those runs, and a plain regenerate must not erase it. New runs start a fresh history."""
  path = os.path.join(out_dir, "results.json")
  if not os.path.exists(path):
    return
  with open(path) as f:
    old = json.load(f)
  key = lambda runs: json.dumps(sorted(([r["arm"], r["seed"], r["final"]] for r in runs), key=lambda t: t[:2]),
                                sort_keys=True, default=float)
  if old.get("previous") and key(old.get("runs") or []) == key(res["runs"]):
    res["previous"] = old["previous"]


def _processor() -> str:
  from lbrl.tools.kinds.benchmark import processor
  return processor()


run_sweep = run_experiment   # the previous name


# ------------------------------------------------------------------------------------------ re-evaluate
PREVIOUS_RULES = ("Welch intervals even for arms that share seeds, two outcomes (pass or fail), "
                  "`tie` passed whenever the interval contained 0; threshold rules compared "
                  "the mean only)")
CURRENT_RULES = ("paired intervals over shared seeds, three-way rules against a margin (TOST for ties, "
                 "95% intervals of the mean for thresholds) and five labels")


def reevaluate(config_path: str, out_dir: str | None = None) -> dict:
  """Recomputes a report from its ``results.json`` (runs included) with the current rules of the config
  (cpu variant) and statistics; nothing is run. Keeps the first evaluation as ``previous`` so the report
  can say what changed."""
  cfg, module = experiment.load_config(config_path, "cpu")
  out_dir = out_dir or default_out(cfg, config_path)
  old = json.load(open(os.path.join(out_dir, "results.json")))
  variant = old.get("variant", "cpu")
  if variant != "cpu":
    cfg, module = experiment.load_config(config_path, variant)
  kind = experiment.kind_of(cfg)
  if kind == "benchmark":
    rules = verdicts.from_json(old["rules"])
    b = cfg.benchmark
    res = {k: v for k, v in old.items() if k not in ("report", "previous")}
    res.update(kind="benchmark", rules=[r.to_json() for r in rules],
               verdict=verdicts.decide(rules, variant=variant, not_testable=b.get("not_testable", ""),
                                       partly_testable=b.get("partly_testable", "")),
               command=command_for(config_path, variant, None, out_dir))
    res.setdefault("processors", ["not recorded"])
  elif kind == "fit":
    raise ValueError("a fit's report is recomputed by rerunning it (it runs in seconds)")
  else:
    records = old["runs"]
    seeds = sorted({int(r["seed"]) for r in records})
    arms = {a: None for a in experiment.to_dict(cfg.sweep.arms)}
    for r in records:
      arms.setdefault(r["arm"], None)
    overrides = {a: next((r["overrides"] for r in records if r["arm"] == a), experiment.to_dict(cfg.sweep.arms).get(a))
                 for a in arms}
    extra_ops = None
    if kind == "grid":
      from lbrl.tools.kinds import grid
      extra_ops = {"optimum_stable": lambda r, recs: grid.optimum_stable(r, recs, cfg, cfg.sweep.metric)}
    res = _sweep_results(cfg, records, [a for a in arms if any(r["arm"] == a for r in records)], overrides,
                         variant=variant, seeds=seeds, rules_metric=cfg.sweep.metric, extra_ops=extra_ops)
    if kind == "grid":
      from lbrl.tools.kinds import grid
      res["surface"] = grid.surface(records, cfg, cfg.sweep.metric)
    if old.get("tuning"):
      res["tuning"] = old["tuning"]
    res["command"] = command_for(config_path, variant, seeds, out_dir)
    res["kind"] = kind
    res["machine"] = old.get("machine")
  res["kind"] = kind
  base = old.get("previous") or {"verdict": old["verdict"], "rules": old.get("rules", [])}
  was = {json.dumps(r["rule"], sort_keys=True): r.get("outcome") or ("holds" if r["passed"] else "failed")
         for r in base["rules"]}
  changed = base["verdict"] != res["verdict"] or any(
      was.get(json.dumps(r["rule"], sort_keys=True), r["outcome"]) != r["outcome"] for r in res["rules"])
  if changed:
    res["previous"] = {"verdict": base["verdict"], "rules": base["rules"], "why": CURRENT_RULES,
                       "was": base.get("was", PREVIOUS_RULES)}
  fp = report.footprint(config_path) if variant != "smoke" and kind not in ("benchmark", "fit") else None
  return report.write(cfg, module, res, out_dir, config_path, footprint_info=fp)


def reevaluate_all(repo: str = REPO) -> dict[str, tuple[str, str]]:
  """Every ``experiments/<slug>/results.json`` with a config: ``{slug: (old verdict, new verdict)}``."""
  out = {}
  for path in sorted(os.listdir(os.path.join(repo, "experiments"))):
    res_path = os.path.join(repo, "experiments", path, "results.json")
    cfg_path = os.path.join(repo, "configs", f"{path}.py")
    if not (os.path.exists(res_path) and os.path.exists(cfg_path)):
      continue
    old = json.load(open(res_path))
    before = (old.get("previous") or {}).get("verdict", old["verdict"])
    new = reevaluate(cfg_path, os.path.join(repo, "experiments", path))
    out[path] = (before, new["verdict"])
  return out


# ---------------------------------------------------------------------------------------------- CLI
def _simulate_devices(config_path: str, variant: str) -> None:
  """A benchmark that needs several devices (``benchmark.ring_devices``) gets that many simulated CPU
  devices, set before JAX is first imported (as benchmarks/kernels_contrastive.py does)."""
  import sys
  if "jax" in sys.modules:
    return
  cfg, _ = experiment.load_config(config_path, variant)
  if experiment.kind_of(cfg) == "benchmark" and int(cfg.benchmark.get("ring_devices", 1) or 1) > 1:
    flag = f"--xla_force_host_platform_device_count={max(8, int(cfg.benchmark.ring_devices))}"
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + flag).strip()


def parse_seeds(text: str | None) -> list[int] | None:
  """``"3"`` -> [0, 1, 2]; ``"0,1,5"`` -> [0, 1, 5]; None -> None (the config's seeds)."""
  if text is None:
    return None
  text = text.strip()
  if "," in text:
    return [int(s) for s in text.split(",") if s.strip()]
  n = int(text)
  if n < 1:
    raise ValueError(f"--seeds {text}: need at least one seed")
  return list(range(n))


def main(argv=None):
  p = argparse.ArgumentParser(prog="python -m lbrl.reproduce", description=__doc__.split("\n\n")[0])
  p.add_argument("config", nargs="?", help="configs/<slug>.py")
  p.add_argument("--variant", default="cpu", choices=["smoke", "cpu", "paper"])
  p.add_argument("--seeds", default=None, help="N (seeds 0..N-1) or a list a,b,c (default: the config's list)")
  p.add_argument("--jobs", type=int, default=1, help="runs side by side in separate processes")
  p.add_argument("--out", default=None, help="output folder (default experiments/<slug>, or "
                 "experiments/<slug>/<variant> for the smoke and paper variants)")
  p.add_argument("--index", action="store_true", help="regenerate experiments/README.md and exit")
  p.add_argument("--reevaluate", action="store_true", help="recompute the report from its results.json; run nothing")
  p.add_argument("--reevaluate-all", action="store_true", help="--reevaluate every report, then the index")
  a = p.parse_args(argv)
  if a.index:
    print(report.write_index())
    return
  if a.reevaluate_all:
    for slug, (old, new) in reevaluate_all().items():
      print(f"{slug}: {old} -> {new}")
    print(report.write_index())
    return
  if not a.config:
    p.error("a config path is required (or --index)")
  _simulate_devices(a.config, a.variant)
  if a.reevaluate:
    res = reevaluate(a.config, a.out)
  else:
    from absl import logging
    logging.set_verbosity(logging.WARNING)
    res = run_experiment(a.config, a.variant, parse_seeds(a.seeds), a.jobs, a.out)
  print(f"verdict: {res['verdict']}  ->  {res['report']}")


def benchmark_main(argv=None, default_config=None):
  """``benchmarks/kernels_<op>.py``: runs the benchmark of ``--config`` and writes its report through
  :func:`run_experiment` (the same page ``python -m lbrl.reproduce`` writes)."""
  ap = argparse.ArgumentParser(description="Runs a benchmark config and writes its report.")
  ap.add_argument("--config", default=default_config, help="configs/<slug>.py[:variant=cpu]")
  ap.add_argument("--out", default=None, help="report directory (default experiments/<slug>; '-' for none)")
  a = ap.parse_args(argv)
  from lbrl.tools import experiment
  from lbrl.tools.kinds.benchmark import run
  path, _, arg = a.config.partition(":")
  variant = dict(kv.split("=") for kv in arg.split(",") if kv).get("variant", "cpu")
  if a.out == "-":
    cfg, _ = experiment.load_config(path, variant)
    res = run(cfg)
    print(f"verdict: {res['verdict']}")
    return res
  res = run_experiment(path, variant, out_dir=a.out)
  print(f"verdict: {res['verdict']}  ->  {res['report']}")
  return res


if __name__ == "__main__":
  main()
