"""The ``analysis`` experiment kind: a tool applied to the trained checkpoints of a sweep's runs.

Config (``config.sweep.kind = "analysis"``)::

    c.analysis = dict(tool="hessian_top_eigenvalue",   # a name in TOOLS
                      kwargs={"iters": 20},            # the tool's arguments
                      split="train",                   # the batch the tool sees: train | eval
                      batch_size=512)                  # its first ``batch_size`` examples (fixed, no shuffling)

The runner trains the sweep's runs as for a ``sweep`` (resuming, skipping finished runs), then restores
each run's final checkpoint from its workdir through :mod:`lbrl.train.checkpoint` (the same state
structure and shardings the trainer saved) and applies the tool. Each tool returns scalars that join the
run's final metrics as ``analysis/<name>``, so the rules compare arms on them like on any metric
(paired over seeds), e.g. ``{"arm": "sam", "op": "<", "than": "sgd", "metric": "analysis/hessian_top_eigenvalue"}``.

Tools (``loss`` is the mean per-example training loss of the config's loss on the fixed batch, the model
in eval mode):

* ``hessian_top_eigenvalue``: the largest-magnitude Hessian eigenvalue of ``loss`` at the trained
  parameters, by power iteration on Hessian-vector products (:func:`lbrl.optim.top_hessian_eigenvalue`);
* ``loss_along_line``: ``loss`` on the segment from the initial parameters (the run's seed, re-initialised)
  to the trained ones, ``theta(t) = theta_0 + t (theta_T - theta_0)`` at ``num_points`` values of ``t`` in
  ``[0, 1]``; scalars: ``barrier`` = max_t [loss(t) - ((1 - t) loss(0) + t loss(1))] (0 for a convex
  path) and the endpoints; the curve is kept in the record.
"""
from __future__ import annotations

import numpy as np

TOOLS = ("hessian_top_eigenvalue", "loss_along_line")


def spec_of(cfg) -> dict:
  if "analysis" not in cfg:
    raise ValueError("an analysis experiment needs a config.analysis block (tool, kwargs, split, batch_size)")
  from lbrl.tools import experiment
  a = experiment.to_dict(cfg.analysis)
  if a.get("tool") not in TOOLS:
    raise ValueError(f"config.analysis.tool={a.get('tool')!r}; known: {', '.join(TOOLS)}")
  if a.get("split", "train") not in ("train", "eval"):
    raise ValueError(f"config.analysis.split={a.get('split')!r}; known: train, eval")
  return {"tool": a["tool"], "kwargs": dict(a.get("kwargs") or {}), "split": a.get("split", "train"),
          "batch_size": int(a.get("batch_size", 512))}


def restore(cfg, workdir: str):
  """``(task, state at the final checkpoint, initial state, data split arrays)`` of a finished run."""
  import jax

  from lbrl import parallel
  from lbrl.train import trainer
  from lbrl.train.checkpoint import Checkpointer, abstract
  from lbrl.train.optimizer import make_optimizer
  mesh = parallel.make_mesh(cfg.mesh.shape, cfg.mesh.axes)
  train_data, eval_data = trainer.load_data(cfg)
  meta = trainer.data_meta(cfg, train_data) if hasattr(trainer, "data_meta") else train_data
  task = trainer.build_task(cfg, meta)
  tx, _ = make_optimizer(cfg, cfg.steps)
  rules = parallel.model_rules(cfg.sharding_rules, task.model)
  init, shardings = trainer.init_state(cfg, task, train_data, mesh, tx, rules)
  init = jax.device_get(init)
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
  mask = jnp.ones(labels.shape[:1], bool)

  def loss(params):
    if hasattr(trainer, "call_loss"):
      outputs, _ = trainer.apply_model(task, params, state.model_state, x, False)
      values, _ = trainer.call_loss(task, outputs, labels, mask, step=state.step, rng=jax.random.PRNGKey(0))
    else:   # the trainer before its task interface
      outputs, _ = trainer._apply(task, params, state.model_state, x, False)
      values = trainer.per_example_loss(task, outputs, labels, mask, state.step)
    values = jnp.broadcast_to(values, labels.shape[:1] + values.shape[1:]).reshape(n, -1).mean(-1)
    return jnp.mean(values.astype(jnp.float32))
  return loss


def apply(cfg, workdir: str, spec: dict) -> tuple[dict, dict]:
  """Runs the tool on one finished run: ``(scalars as analysis/<name>, extra data for the record)``."""
  import jax
  task, state, init, (train_data, eval_data) = restore(cfg, workdir)
  data = train_data if spec["split"] == "train" else eval_data
  loss = _loss_fn(task, state, data.arrays, spec["batch_size"])
  if spec["tool"] == "hessian_top_eigenvalue":
    from lbrl.optim import top_hessian_eigenvalue
    kw = {"seed": int(cfg.seed), **spec["kwargs"]}
    lam = float(jax.jit(lambda p: top_hessian_eigenvalue(loss, p, **kw))(state.params))
    return {"analysis/hessian_top_eigenvalue": lam}, {}
  ts = np.linspace(0.0, 1.0, int(spec["kwargs"].get("num_points", 11)))
  p0, p1 = init.params, state.params
  at = jax.jit(lambda t: loss(jax.tree.map(lambda a, b: a + t * (b - a), p0, p1)))
  values = np.array([float(at(t)) for t in ts])
  chord = (1 - ts) * values[0] + ts * values[-1]
  return ({"analysis/barrier": float(np.max(values - chord)), "analysis/loss_at_init": float(values[0]),
           "analysis/loss_at_end": float(values[-1])}, {"line": [ts.tolist(), values.tolist()]})


def analyse_runs(runs: list[dict], records: list[dict], spec: dict, runs_dir: str) -> list[dict]:
  """Adds the tool's scalars to every record that lacks them (and saves the record)."""
  import json
  import os

  from lbrl.tools import experiment
  out = []
  for run, rec in zip(runs, records):
    key = next(iter(["analysis/hessian_top_eigenvalue"] if spec["tool"] == "hessian_top_eigenvalue"
                    else ["analysis/barrier"]))
    if key not in rec["final"] or rec.get("analysis_spec") != spec:
      scalars, extra = apply(run["config"], rec["workdir"], spec)
      rec["final"].update(scalars)
      rec.update(extra, analysis_spec=spec)
      path = os.path.join(runs_dir, experiment.run_name(run) + ".json")
      with open(path + ".tmp", "w") as f:
        json.dump(rec, f, indent=1, default=float)
      os.replace(path + ".tmp", path)
    out.append(rec)
  return out


def section(res: dict, cfg) -> list[str]:
  """The tool and its settings, then the per-arm table of the sweep (the tool's scalars included)."""
  from lbrl.tools.kinds import sweep
  spec = spec_of(cfg)
  return ([f"Tool `{spec['tool']}` ({json_kwargs(spec['kwargs'])}) on the first {spec['batch_size']} examples of "
           f"the {spec['split']} split, applied to each run's final checkpoint (restored from its workdir).", ""]
          + sweep.section(res, cfg))


def json_kwargs(kw: dict) -> str:
  return ", ".join(f"{k}={v}" for k, v in sorted(kw.items())) or "defaults"
