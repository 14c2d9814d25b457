"""The ``analysis`` experiment kind: a registered tool applied to each run of a sweep, trained or at init.

Config (``config.sweep.kind = "analysis"``)::

    c.analysis = dict(tool="hessian_top_eigenvalue",   # a name in lbrl.registry.ANALYSIS_TOOLS
                      kwargs={"iters": 20},            # the tool's keyword arguments
                      split="train",                   # the batch the tool sees: train | eval
                      batch_size=512,                  # its first ``batch_size`` examples (fixed, no shuffling)
                      at="final")                      # final: the trained checkpoint; init: no training

With ``at="final"`` the runner trains the sweep's runs as for a ``sweep`` (resuming, skipping finished
runs), then restores each run's final checkpoint from its workdir through :mod:`lbrl.train.checkpoint`
(the same state structure and shardings the trainer saved). With ``at="init"`` nothing is trained: the
tool sees each run's initialisation (its seed, its arm's model and parametrisation), which is how
claims about signal propagation or scales at initialisation are measured cheaply. The tool receives an
:class:`lbrl.analysis.context.AnalysisContext` and returns scalars that join the run's final metrics as
``analysis/<key>``, so the rules compare arms on them like on any metric (paired over seeds), e.g.
``{"arm": "sam", "op": "<", "than": "sgd", "metric": "analysis/hessian_top_eigenvalue"}``; extra data
(curves) is kept in the run's record.

Tools are declared by the families (``ANALYSIS_TOOLS.declare(name, "lbrl.analysis.<module>:<fn>")``);
the built-in ones are in :mod:`lbrl.analysis.landscape`.
"""
from __future__ import annotations

import numpy as np

AT = ("final", "init")


def spec_of(cfg) -> dict:
  if "analysis" not in cfg:
    raise ValueError("an analysis experiment needs a config.analysis block (tool, kwargs, split, batch_size)")
  from lbrl.registry import ANALYSIS_TOOLS
  from lbrl.tools import experiment
  a = experiment.to_dict(cfg.analysis)
  unknown = set(a) - {"tool", "kwargs", "split", "batch_size", "at"}
  if unknown:
    raise ValueError(f"config.analysis has unknown keys {sorted(unknown)}; known: tool, kwargs, split, "
                     "batch_size, at")
  if a.get("tool") not in ANALYSIS_TOOLS:
    raise ValueError(f"config.analysis.tool={a.get('tool')!r}; known: {', '.join(ANALYSIS_TOOLS.names())}")
  if a.get("split", "train") not in ("train", "eval"):
    raise ValueError(f"config.analysis.split={a.get('split')!r}; known: train, eval")
  if a.get("at", "final") not in AT:
    raise ValueError(f"config.analysis.at={a.get('at')!r}; known: {', '.join(AT)}")
  spec = {"tool": a["tool"], "kwargs": dict(a.get("kwargs") or {}), "split": a.get("split", "train"),
          "batch_size": int(a.get("batch_size", 512))}
  if a.get("at", "final") != "final":   # only stored when not the default: older records stay current
    spec["at"] = a["at"]
  return spec


def restore(cfg, workdir: str | None, at: str = "final"):
  """``(task, state at the final checkpoint, initial state, data split arrays)`` of a finished run
  (``at="init"``: the initial state twice, nothing restored; ``workdir`` unused)."""
  import jax

  from lbrl import parallel
  from lbrl.train import trainer
  from lbrl.train.checkpoint import Checkpointer, abstract
  from lbrl.train.optimizer import make_optimizer
  if workdir is not None:   # teachers trained as first stages live in the run's workdir
    cfg = trainer.auxiliary_workdirs(cfg, workdir)
  mesh = parallel.make_mesh(cfg.mesh.shape, cfg.mesh.axes)
  train_data, eval_data = trainer.load_data(cfg)
  task = trainer.build_task(cfg, trainer.data_meta(cfg, train_data))
  tx, _ = make_optimizer(cfg, cfg.steps)
  rules = parallel.model_rules(cfg.sharding_rules, task.model)
  init, shardings = trainer.init_state(cfg, task, train_data, mesh, tx, rules)
  init = jax.device_get(init)
  if at == "init":
    return task, init, init, (train_data, eval_data)
  ckpt = Checkpointer(f"{workdir}/checkpoints", cfg.keep_checkpoints)
  try:
    state, step = ckpt.restore_latest(abstract(init, shardings))
  finally:
    ckpt.close()
  if state is None:
    raise FileNotFoundError(f"no checkpoint in {workdir}/checkpoints: train the run first")
  if int(step) != int(cfg.steps):
    raise RuntimeError(f"{workdir}: the latest checkpoint is at step {step}, the run has {cfg.steps} steps "
                       "(an unfinished run)")
  return task, state, init, (train_data, eval_data)


def _loss_fn(task, state, arrays: dict, batch_size: int):
  """``loss(params)``: the mean per-example loss of the config's loss on the first ``batch_size``
  examples, the model in eval mode (the model state, e.g. BatchNorm statistics, fixed at the run's)."""
  import jax
  import jax.numpy as jnp

  from lbrl.train import trainer
  n = min(batch_size, len(arrays["label"]))
  x, labels = jnp.asarray(arrays["x"][:n]), jnp.asarray(arrays["label"][:n])
  # per example, or per token for sequence labels (soft / one-hot labels carry a trailing class axis)
  mask = jnp.ones(labels.shape if jnp.issubdtype(labels.dtype, jnp.integer) else labels.shape[:-1], bool)

  def loss(params):
    outputs, _ = trainer.apply_model(task, params, state.model_state, x, False)
    values, _ = trainer.call_loss(task, outputs, labels, mask, step=state.step, rng=jax.random.PRNGKey(0))
    values = jnp.broadcast_to(values, labels.shape[:1] + values.shape[1:]).reshape(n, -1).mean(-1)
    return jnp.mean(values.astype(jnp.float32))
  return loss


def context(cfg, workdir: str | None, spec: dict):
  """The :class:`~lbrl.analysis.context.AnalysisContext` of one run for ``spec``."""
  import jax.numpy as jnp

  from lbrl.analysis.context import AnalysisContext
  from lbrl.train import trainer
  at = spec.get("at", "final")
  task, state, init, (train_data, eval_data) = restore(cfg, workdir, at)
  arrays = (train_data if spec["split"] == "train" else eval_data).arrays
  n = min(spec["batch_size"], len(arrays["label"]))

  def apply_fn(params, x, train: bool = False):
    return trainer.apply_model(task, params, state.model_state, jnp.asarray(x), train)[0]

  return AnalysisContext(cfg=cfg, model=task.model, params=state.params, model_state=state.model_state,
                         init_params=init.params, init_model_state=init.model_state,
                         x=np.asarray(arrays["x"][:n]), labels=np.asarray(arrays["label"][:n]),
                         loss=_loss_fn(task, state, arrays, spec["batch_size"]), apply=apply_fn,
                         seed=int(cfg.seed), at=at)


def apply(cfg, workdir: str | None, spec: dict) -> tuple[dict, dict]:
  """Runs the tool on one run: ``(scalars as analysis/<key>, extra data for the record)``."""
  from lbrl.registry import ANALYSIS_TOOLS
  out = ANALYSIS_TOOLS.get(spec["tool"])(context(cfg, workdir, spec), **spec["kwargs"])
  scalars, extra = out if isinstance(out, tuple) else (out, {})
  if not isinstance(scalars, dict) or not scalars:
    raise TypeError(f"analysis tool {spec['tool']!r} returned {type(scalars).__name__}; expected a non-empty "
                    "dict of scalars (or (scalars, extra))")
  return ({k if k.startswith("analysis/") else f"analysis/{k}": float(v) for k, v in scalars.items()},
          dict(extra))


def init_records(runs: list[dict]) -> list[dict]:
  """Records of runs that are analysed at initialisation: nothing trained, no workdir."""
  from lbrl.tools.kinds import sweep
  from lbrl.tools.kinds.benchmark import processor
  from lbrl.train.record import versions
  return [{"arm": r["arm"], "seed": r["seed"], "overrides": r["overrides"], "final": {}, "curve": [],
           "wall_time_sec": 0.0, "versions": versions(), "workdir": None, "processor": processor(),
           "training_hash": sweep.training_hash(r["config"])} for r in runs]


def analyse_runs(runs: list[dict], records: list[dict], spec: dict, runs_dir: str) -> list[dict]:
  """Adds the tool's scalars to every record that lacks them (and saves the record). Each run uses its
  own config's ``analysis`` block (an arm may override the tool's kwargs); ``spec`` (the base config's)
  decides only whether runs were trained. For ``at="init"`` a record whose training config changed is
  recomputed too."""
  import json
  import os
  import time

  from lbrl.tools import experiment
  out = []
  for run, rec in zip(runs, records):
    run_spec = spec_of(run["config"])
    if run_spec.get("at") != spec.get("at"):
      raise ValueError(f"arm {run['arm']!r} overrides config.analysis.at; all arms must share it")
    path = os.path.join(runs_dir, experiment.run_name(run) + ".json")
    if run_spec.get("at") == "init" and os.path.exists(path):
      saved = json.load(open(path))
      if (saved.get("training_hash") == rec["training_hash"] and saved.get("analysis_spec") == run_spec
              and saved.get("overrides") == rec["overrides"]):
        rec = saved
    has = any(k.startswith("analysis/") for k in rec["final"])
    if not has or rec.get("analysis_spec") != run_spec:
      t0 = time.time()
      scalars, extra = apply(run["config"], rec["workdir"], run_spec)
      rec["final"].update(scalars)
      rec.update(extra, analysis_spec=run_spec)
      if run_spec.get("at") == "init":
        rec["wall_time_sec"] = time.time() - t0
      os.makedirs(runs_dir, exist_ok=True)
      with open(path + ".tmp", "w") as f:
        json.dump(rec, f, indent=1, default=float)
      os.replace(path + ".tmp", path)
    out.append(rec)
  return out


def section(res: dict, cfg) -> list[str]:
  """The tool and its settings, then the per-arm table of the sweep (the tool's scalars included)."""
  from lbrl.tools.kinds import sweep
  spec = spec_of(cfg)
  where = ("applied to each run's initialisation (no training)" if spec.get("at") == "init" else
           "applied to each run's final checkpoint (restored from its workdir)")
  return ([f"Tool `{spec['tool']}` ({json_kwargs(spec['kwargs'])}) on the first {spec['batch_size']} examples of "
           f"the {spec['split']} split, {where}.", ""]
          + sweep.section(res, cfg))


def json_kwargs(kw: dict) -> str:
  return ", ".join(f"{k}={v}" for k, v in sorted(kw.items())) or "defaults"
