"""The footprint of a config's own run, from its train step lowered on an abstract mesh.

``paper_footprint(cfg)`` proves that a config's ``paper`` variant would run without its data or its
hardware, and measures it: the trainer's train step (model, loss, optimizer, gradient estimator, as
``lbrl.train.trainer`` builds them) is traced and lowered with ``jax.ShapeDtypeStruct`` inputs on a
``jax.sharding.AbstractMesh`` of the config's mesh shape (the paper's device count), for the paper's
platform (``tpu`` when ``paper.hardware`` names a TPU, else ``cuda``). No array is allocated, no data
is read and nothing is compiled. The batch shapes come from ``lbrl.data.specs`` (standard TFDS names)
or from the offline dataset itself (small, loaded once) for configs whose paper run is CPU-sized.

It returns::

    num_params              parameters of the model (scalars)
    param_bytes_per_device  bytes of one device's shard of the parameters (the mesh and the model's
                            sharding rules decide the shard; replicated parameters count in full)
    opt_bytes_per_device    the same for the optimizer state (and the gradient estimator's state)
    flops_per_step          FLOPs of one train step over the whole global batch, from XLA's HLO cost
                            analysis of the lowered (not compiled) program: ``Lowered.cost_analysis()``.
                            It counts the unpartitioned program, so per-device FLOPs are this divided
                            by the data-parallel size. XLA counts a ``while`` body once, not once per
                            iteration (checked): :func:`loop_flops` adds ``(length - 1)`` x the body's
                            count of every ``scan`` in the step's jaxpr (the micro-batch loop of
                            ``grad_accum_steps``, ``fori_loop``s with static bounds: PGD attacks,
                            Sinkhorn iterations, power iterations), recursively; a ``while`` with a
                            data-dependent trip count, and a loop whose body cannot be lowered alone
                            (collectives over a ``shard_map``'s manual axes), stay counted once. Custom
                            calls (the SVD of the low-rank optimizers, Pallas kernels) count nothing.
                            An estimate of the arithmetic, not the time
    devices                 devices of the mesh
    mesh                    ``{axis: size}``
    platform                the platform lowered for

Coupling to the trainer lives in :func:`_trainer_step` only (the functions it calls are the trainer's:
``build_task``, ``make_optimizer``, ``make_train_step`` and the state layout of ``init_state``), so
a change of the trainer's interface is adapted in one place.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

LM_KINDS = ("text",)


@dataclasses.dataclass
class AbstractData:
  """Stands in for a training split (``lbrl.data.core.Dataset``) where only its metadata, size and
  one example's shape are needed. ``class_counts`` are uniform: they change a class-balanced loss's
  values, never its shapes or cost."""
  name: str
  example: dict          # feature -> np.ndarray of one example, with the leading batch axis of 1
  meta: dict
  size: int

  def __len__(self) -> int:
    return self.size

  @property
  def arrays(self) -> dict:
    return self.example

  @property
  def num_classes(self):
    return self.meta.get("num_classes")

  def class_counts(self) -> np.ndarray:
    c = int(self.meta["num_classes"])
    return np.full((c,), max(self.size // c, 1), np.int64)


def abstract_data(cfg) -> AbstractData:
  """The training split's shape and metadata: from ``lbrl.data.specs`` for standard TFDS names, else
  from the offline dataset (loaded; every offline set is small)."""
  from lbrl.data import specs
  name = cfg.data.name
  if name in specs.SPECS:
    s = specs.spec(name)
    if s.kind in LM_KINDS:
      model = _model_fields(cfg)
      t = int(model.get("max_len") or 0)
      if t < 1:
        raise ValueError(f"{name}: a text dataset's batch is [batch, model.max_len]; set config.model.max_len")
      vocab = model.get("vocab_size")
      if vocab is None:
        raise ValueError(f"{name}: the vocabulary is the tokenizer's; set config.model.vocab_size")
      example = {"x": np.zeros((1, t), np.int32), "label": np.zeros((1, t), np.int32)}
      return AbstractData(name, example, {"vocab_size": int(vocab)}, s.num_train)
    example = {"x": np.zeros((1,) + tuple(s.input_shape), np.float32),
               "label": np.zeros((1,) + tuple(s.label_shape), s.label_dtype)}   # class ids, or e.g. graded lists
    return AbstractData(name, example, {"num_classes": s.num_classes, **dict(s.meta or {})}, s.num_train)
  from lbrl.train.trainer import load_data
  train, _ = load_data(cfg)
  return AbstractData(name, {k: v[:1] for k, v in train.arrays.items()}, dict(train.meta), len(train))


def _model_fields(cfg) -> dict:
  """``config.model`` over the model class's defaults (e.g. ``gpt2_small``'s context and vocabulary)."""
  import dataclasses
  from lbrl.registry import MODELS
  cls = MODELS.get(cfg.model.name)
  fields = {f.name: f.default for f in dataclasses.fields(cls) if f.default is not dataclasses.MISSING}
  return {**fields, **dict(cfg.model)}


def abstract_mesh(cfg) -> jax.sharding.AbstractMesh:
  """An ``AbstractMesh`` of ``config.mesh`` (a ``-1`` axis gets one device: CPU-sized runs)."""
  shape = tuple(1 if int(s) == -1 else int(s) for s in cfg.mesh.shape)
  axes = tuple(cfg.mesh.axes)
  return jax.sharding.AbstractMesh(shape, axes, axis_types=(jax.sharding.AxisType.Auto,) * len(axes))


def _trainer_step(cfg, data: AbstractData, mesh):
  """The trainer's pieces for ``cfg``: ``(step_fn, abstract_state, state_shardings)``.

  The one place that knows the trainer's interface: ``data_meta``/``build_task``/``make_init``/
  ``make_train_step`` and the state shardings of ``init_state`` (per-example state on the data axis).
  """
  from lbrl import parallel
  from lbrl.train import trainer
  from lbrl.train.optimizer import make_optimizer
  tx, _ = make_optimizer(cfg, cfg.steps)
  example = jnp.asarray(trainer.train_example_x(cfg, data.arrays["x"]))
  rng = jax.random.PRNGKey(0)
  task = trainer.build_task(cfg, trainer.data_meta(cfg, data))

  def init(rng):
    # an auxiliary restored from another run (a teacher) has its own architecture and no checkpoint
    # here: its abstract state is a fresh initialisation of that architecture
    restored = {}
    for k, a in task.auxiliaries.items():
      if getattr(a, "workdir", None) is not None:
        v = dict(a.model.init({"params": rng, "dropout": rng}, example, train=False))
        restored[k] = {"params": v.pop("params"), "model_state": v}
    return trainer.make_init(task, tx, cfg.seed, example, restored)(rng)
  rules = parallel.model_rules(cfg.sharding_rules, task.model)
  shapes = jax.eval_shape(init, rng)
  shardings = parallel.tree_shardings(shapes, rules, mesh)
  if getattr(task, "example_state", None) is not None:
    data_sh, dp = parallel.batch_sharding(mesh), parallel.data_parallel_size(mesh)
    shardings = shardings.replace(aux=dict(shardings.aux, examples=jax.tree.map(
        lambda s: data_sh if s.ndim >= 1 and s.shape[0] % dp == 0 else parallel.replicated(mesh),
        shapes.aux["examples"])))
  return trainer.make_train_step(task, tx, cfg.grad_accum_steps), shapes, shardings


def _platform(cfg) -> str:
  return "tpu" if "tpu" in str(cfg.paper.hardware).lower() else "cuda"


def _bytes_per_device(tree, shardings) -> int:
  total = 0
  for leaf, sh in zip(jax.tree.leaves(tree), jax.tree.leaves(shardings)):
    shard = sh.shard_shape(tuple(leaf.shape)) if leaf.shape else ()
    total += int(np.prod(shard, dtype=np.int64)) * np.dtype(leaf.dtype).itemsize
  return int(total)


NOT_DESCENDED = ("pallas_call",)   # kernels: their bodies are Ref programs, and custom calls count nothing


def _sub_jaxprs(eqn) -> list:
  """The closed jaxprs of an equation's sub-computations (loop bodies, branches, called functions)."""
  from jax.extend import core as jcore
  if eqn.primitive.name in NOT_DESCENDED:
    return []
  out = []
  for v in eqn.params.values():
    for j in (v if isinstance(v, (tuple, list)) else (v,)):
      if isinstance(j, jcore.ClosedJaxpr):
        out.append(j)
      elif isinstance(j, jcore.Jaxpr):
        out.append(jcore.ClosedJaxpr(j, ()))
  return out


def _xla_flops(closed, platform: str) -> float:
  """XLA's HLO cost analysis of one closed jaxpr, lowered (not compiled) for ``platform``; 0 when the
  body cannot be lowered on its own (e.g. collectives over a ``shard_map``'s manual axes)."""
  from jax.extend import core as jcore
  args = [jax.ShapeDtypeStruct(a.shape, a.dtype) for a in closed.in_avals]
  try:
    cost = jax.jit(jcore.jaxpr_as_fun(closed)).trace(*args).lower(lowering_platforms=(platform,)).cost_analysis()
  except Exception:   # noqa: BLE001 - an uncountable body keeps XLA's count-once (module docstring)
    return 0.0
  if isinstance(cost, (list, tuple)):
    cost = cost[0] if cost else {}
  return float((cost or {}).get("flops", 0.0))


def loop_flops(closed, platform: str) -> float:
  """The FLOPs XLA's cost analysis leaves out of ``closed`` (a ``ClosedJaxpr``), which counts a loop body
  once: each ``scan`` of ``length`` n adds ``(n // u - 1) u`` x its body's count (``unroll`` u: the HLO
  loop runs n // u times a body of u copies), plus n x the loops inside the body; of a ``cond``'s
  branches the costliest counts; calls (pjit, remat, custom_jvp/vjp, shard_map) are searched."""
  extra = 0.0
  for eqn in closed.jaxpr.eqns:
    subs = _sub_jaxprs(eqn)
    if eqn.primitive.name == "scan":
      body, n = subs[0], int(eqn.params["length"])
      u = eqn.params.get("unroll", 1)
      u = n if u is True else min(max(int(u), 1), max(n, 1))
      extra += max(n // u - 1, 0) * u * _xla_flops(body, platform) + n * loop_flops(body, platform)
    elif eqn.primitive.name == "cond":
      extra += max((loop_flops(b, platform) for b in subs), default=0.0)
    else:
      extra += sum(loop_flops(sub, platform) for sub in subs)
  return extra


def trace_train_step(cfg):
  """``(traced, abstract_state, state_shardings, mesh)`` of the config's train step (traced under the
  abstract mesh)."""
  from lbrl import parallel
  mesh = abstract_mesh(cfg)
  data = abstract_data(cfg)
  step, shapes, shardings = _trainer_step(cfg, data, mesh)
  batch_sh = parallel.batch_sharding(mesh)
  b = int(cfg.data.batch_size)
  from lbrl.train import trainer
  features = dict(data.arrays, x=trainer.train_example_x(cfg, data.arrays["x"]))
  features["index"] = np.zeros((1,), np.int32)  # each example's position (the pipeline adds it)
  batch = {k: jax.ShapeDtypeStruct((b,) + v.shape[1:], v.dtype, sharding=batch_sh) for k, v in features.items()}
  state = jax.tree.map(lambda s, sh: jax.ShapeDtypeStruct(s.shape, s.dtype, sharding=sh), shapes, shardings)
  repl = parallel.replicated(mesh)
  jitted = jax.jit(step, in_shardings=(shardings, jax.tree.map(lambda _: batch_sh, batch)),
                   out_shardings=(shardings, repl), donate_argnums=0)
  with jax.sharding.use_abstract_mesh(mesh):
    traced = jitted.trace(state, batch)
  return traced, state, shardings, mesh


def lower_train_step(cfg, platform: str | None = None):
  """``(lowered, abstract_state, state_shardings, mesh)`` of the config's train step."""
  traced, state, shardings, mesh = trace_train_step(cfg)
  return traced.lower(lowering_platforms=(platform or _platform(cfg),)), state, shardings, mesh


def paper_footprint(cfg, platform: str | None = None) -> dict[str, Any]:
  """Parameters, per-device parameter and optimizer bytes, and FLOPs per step of ``cfg``'s train step,
  lowered on an abstract mesh of its devices (see the module docstring)."""
  platform = platform or _platform(cfg)
  traced, state, shardings, mesh = trace_train_step(cfg)
  lowered = traced.lower(lowering_platforms=(platform,))
  with jax.sharding.use_abstract_mesh(mesh):
    missing = loop_flops(traced.jaxpr, platform)   # the loop iterations XLA's count leaves out
  cost = lowered.cost_analysis() or {}
  if isinstance(cost, (list, tuple)):  # older JAX returned one dict per computation
    cost = cost[0] if cost else {}
  opt = (state.opt_state, state.grad_state)   # optimizer and gradient-estimator state
  opt_sh = (shardings.opt_state, shardings.grad_state)
  return dict(
      num_params=int(sum(math.prod(x.shape) for x in jax.tree.leaves(state.params))),
      param_bytes_per_device=_bytes_per_device(state.params, shardings.params),
      opt_bytes_per_device=_bytes_per_device(opt, opt_sh),
      flops_per_step=float(cost.get("flops", float("nan"))) + missing,
      devices=int(np.prod(list(mesh.shape.values()))),
      mesh={k: int(v) for k, v in mesh.shape.items()},
      platform=platform)
