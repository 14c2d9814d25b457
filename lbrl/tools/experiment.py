"""Experiment configs as the runner sees them: loading a config file by path, its kind, its runs.

An experiment's **kind** is ``config.sweep.kind`` (one of :data:`KINDS`); a config without the field is
a ``sweep``, or a ``benchmark`` when it has a ``benchmark`` block and no arms (the kernel papers). Each
kind reads its own settings from the block of the config named after it (``config.benchmark``,
``config.fit``, ``config.grid``, ``config.analysis``), or from ``config.sweep`` for sweeps:

* ``sweep``: ``sweep.arms`` x ``sweep.seeds`` training runs, rules over the arms' final metrics;
  optional fair tuning (``sweep.tune``, see :mod:`lbrl.tools.kinds.tuning`);
* ``grid``: the arms are the points of a numeric grid (``grid.axes``: config path -> values) x seeds;
  the result is a surface (see :mod:`lbrl.tools.kinds.grid`);
* ``benchmark``: ratio measurements in one process (:mod:`lbrl.tools.kinds.benchmark`);
* ``fit``: a parametric law fitted to a table of points with bootstrap intervals
  (:mod:`lbrl.tools.kinds.fit`);
* ``analysis``: the sweep's runs, then a tool applied to each run's final checkpoint
  (:mod:`lbrl.tools.kinds.analysis`); rules read the tool's output like any metric.

This module imports neither the report writer nor the runner (no cycles): both import it.
"""
from __future__ import annotations

import copy
import importlib.util
import os

KINDS = ("sweep", "grid", "benchmark", "fit", "analysis")


def load_config(path: str, variant: str = "cpu"):
  """``(get_config("variant=..."), module)`` of the config file at ``path``, loaded by path (configs
  import ``lbrl.config``; nothing of the repository needs to be on ``sys.path``)."""
  if not os.path.exists(path):
    raise FileNotFoundError(f"no config file {path!r}")
  path = os.path.abspath(path)
  spec = importlib.util.spec_from_file_location(f"lbrl_config_{os.path.basename(path)[:-3]}", path)
  mod = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(mod)
  return mod.get_config(f"variant={variant}"), mod


def kind_of(cfg) -> str:
  """The experiment kind (see the module docstring)."""
  kind = cfg.sweep.get("kind", None) if "sweep" in cfg else None
  if not kind:
    arms = dict(cfg.sweep.get("arms", {}) or {}) if "sweep" in cfg else {}
    kind = "benchmark" if "benchmark" in cfg and not arms else "sweep"
  if kind not in KINDS:
    raise ValueError(f"config.sweep.kind={kind!r}; known kinds: {', '.join(KINDS)}")
  return kind


def to_dict(x) -> dict:
  return x.to_dict() if hasattr(x, "to_dict") else dict(x)


def merge(cfg, overrides: dict, where: str = "config"):
  """Applies nested-dict overrides to a locked ConfigDict.

  An override of a free sub-config (model, loss, optimizer) that names ``name`` replaces it whole, so
  switching the loss does not inherit the base loss's hyperparameters; without ``name`` it merges.
  Unknown fields of fixed sub-configs are errors naming the path. Keys may be dotted paths
  (``{"optimizer.learning_rate": 0.1}``), as grids and tuning grids write them.
  """
  import ml_collections as mlc
  nested: dict = {}
  for k, v in overrides.items():
    if "." in k:
      head, rest = k.split(".", 1)
      nested.setdefault(head, {})
      if not isinstance(nested[head], dict):
        raise ValueError(f"override {where}.{k} conflicts with {where}.{head}")
      nested[head] = {**nested[head], rest: v}
    else:
      nested[k] = v
  for k, v in nested.items():
    if isinstance(v, dict) and any("." in kk for kk in v):
      v = _undot(v)
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
              merge(sub[kk], vv, f"{where}.{k}.{kk}")
            else:
              sub[kk] = vv
      else:
        merge(sub, v, f"{where}.{k}")
    else:
      with cfg.ignore_type():
        cfg[k] = v


def combine(base: dict, point: dict) -> dict:
  """``base`` overrides (nested dicts) with ``point``'s dotted-path values merged in (a deep copy)."""
  out = copy.deepcopy(dict(base))
  for path, v in point.items():
    node = out
    parts = path.split(".")
    for p in parts[:-1]:
      node[p] = dict(node.get(p) or {})
      node = node[p]
    node[parts[-1]] = v
  return out


def axes_of(spec) -> list[tuple[str, list]]:
  """A grid's axes, ``[(dotted config path, [values])]`` (dotted keys cannot be ConfigDict fields, so
  grids are lists of pairs; a plain dict is accepted too)."""
  items = list(spec.items()) if isinstance(spec, dict) else [tuple(x) for x in spec]
  axes = []
  for path, values in items:
    values = list(values)
    if not values:
      raise ValueError(f"grid axis {path!r} has no values")
    axes.append((str(path), values))
  return axes


def points_of(axes: list[tuple[str, list]]) -> list[dict]:
  """Every point of the grid (the product of the axes), axis 0 varying slowest."""
  import itertools
  return [dict(zip([p for p, _ in axes], combo)) for combo in itertools.product(*[v for _, v in axes])]


def point_name(point: dict) -> str:
  """``"hidden=16,learning_rate=0.01"`` (the last path component of each axis)."""
  return ",".join(f"{p.rsplit('.', 1)[-1]}={v}" for p, v in point.items())


def _undot(d: dict) -> dict:
  out: dict = {}
  for k, v in d.items():
    node = out
    parts = k.split(".")
    for p in parts[:-1]:
      node = node.setdefault(p, {})
    node[parts[-1]] = v
  return out


def seeds_of(cfg, seeds: list[int] | None) -> list[int]:
  return [int(s) for s in (seeds if seeds is not None else list(cfg.sweep.seeds))]


def expand(cfg, seeds: list[int] | None = None, arms: dict | None = None) -> list[dict]:
  """The runs: ``[{"arm", "seed", "overrides", "config"}]`` in arm-major order (``arms`` defaults to
  ``config.sweep.arms``)."""
  arms = to_dict(cfg.sweep.arms) if arms is None else arms
  if not arms:
    raise ValueError(f"config {cfg.paper.slug!r} has no sweep arms")
  runs = []
  for arm, overrides in arms.items():
    for seed in seeds_of(cfg, seeds):
      run_cfg = copy.deepcopy(cfg)
      merge(run_cfg, overrides)
      with run_cfg.ignore_type():
        run_cfg.seed = int(seed)
      runs.append({"arm": arm, "seed": int(seed), "overrides": overrides, "config": run_cfg})
  return runs


def run_name(run: dict) -> str:
  return f"{run['arm']}__seed{run['seed']}"


def get(cfg, dotted: str, default=None):
  """``cfg.a.b`` for ``"a.b"`` (default when a part is missing)."""
  node = cfg
  for p in dotted.split("."):
    if p not in node:
      return default
    node = node[p]
  return node
