"""The trainer: one ``jax.jit``-ed, sharded train step over a device mesh, with checkpoint/resume.

``train(config, workdir)`` runs a config end to end:

1. validate the config (before any compilation) and build the mesh;
2. load the train/eval splits (each process gathers only its rows), apply dataset transforms;
3. build model, loss and optimizer from their registered names;
4. initialise or restore the :class:`TrainState` (params, model state, optimizer state, step, RNG);
5. run the jitted step (state donated, batch sharded over the data axes, parameters replicated or
   sharded by regex rules), evaluating every ``eval_every`` steps, checkpointing every
   ``checkpoint_every`` steps, at the end and on SIGTERM;
6. write metrics as JSON lines and return the final metrics.

Non-finite loss or gradients never reach the parameters: the update is skipped and counted
(``on_nonfinite="skip"``) or the run stops naming the first bad step (``"stop"``).
"""
from __future__ import annotations

import contextlib
import dataclasses
import inspect
import logging
import signal
import time
from typing import Any, Callable

import flax
import jax
import jax.numpy as jnp
import numpy as np
import optax

from lbrl import parallel
from lbrl.data import pipeline
from lbrl.losses import reduce
from lbrl.registry import LOSSES, MODELS
from lbrl.train import metrics as metrics_lib
from lbrl.train.checkpoint import Checkpointer, abstract
from lbrl.train.optimizer import make_optimizer
from lbrl.train.record import MetricWriter, Progress, write_workdir_record
from lbrl.train.validate import validate_config


@flax.struct.dataclass
class TrainState:
  step: jax.Array              # int32 scalar; also the data-iterator position
  params: Any
  model_state: Any             # non-parameter collections (e.g. BatchNorm's batch_stats)
  opt_state: Any
  grad_state: Any              # the gradient estimator's state (e.g. SAF's past outputs); () for most
  rng: jax.Array               # uint32[2] base key; step keys are fold_in(rng, step)
  nonfinite: jax.Array         # number of skipped (non-finite) updates
  first_nonfinite: jax.Array   # step of the first skipped update, -1 if none


TRAIN_METRICS = ("loss", "accuracy", "grad_norm")  # the train step's packed metrics vector


class NonFiniteError(FloatingPointError):
  pass


@dataclasses.dataclass
class Task:
  """Everything the step functions need, built once from the config."""
  model: Any
  loss_fn: Callable
  loss_kwargs: dict
  inject: tuple            # loss keywords the trainer fills: subset of ("class_counts", "step")
  class_counts: np.ndarray | None
  needs_hidden: bool       # the loss takes (hidden, unembedding) instead of logits
  estimator: Any           # lbrl.optim.GradEstimator from config.grad_estimator


def _accepts(fn, name: str) -> bool:
  try:
    return name in inspect.signature(fn).parameters
  except (TypeError, ValueError):
    return False


def build_model(cfg, meta: dict):
  kwargs = dict(cfg.model)
  cls = MODELS.get(kwargs.pop("name"))
  fields = {f.name for f in dataclasses.fields(cls)}
  for key in ("num_classes", "vocab_size"):
    if key in fields and kwargs.get(key) is None and meta.get(key) is not None:
      kwargs[key] = meta[key]
  if "param_dtype" in fields:
    kwargs.setdefault("param_dtype", cfg.dtype.param)
  if "dtype" in fields:
    kwargs.setdefault("dtype", cfg.dtype.compute)
  unknown = set(kwargs) - fields
  if unknown:
    raise ValueError(f"config.model: {cls.__name__} has no field(s) {sorted(unknown)}; "
                     f"fields: {sorted(fields - {'parent', 'name'})}")
  return cls(**kwargs)


def build_task(cfg, train_data) -> Task:
  import lbrl.models  # noqa: F401  (registers the models)
  model = build_model(cfg, train_data.meta)
  kwargs = dict(cfg.loss)
  name = kwargs.pop("name")
  # loss.impl selects a logit-free form of the loss: the LM then returns (hidden, unembedding) and the
  # N x V logits never exist in training. cross_entropy: the fused linear cross-entropy kernel (fused =
  # its automatic backend choice, or reference | pallas ...); spherical_zloss: its Gram form (gram).
  impl = kwargs.pop("impl", "naive")
  if impl != "naive":
    from lbrl.kernels._dispatch import IMPLS
    if name == "cross_entropy" and impl in ("fused",) + IMPLS:
      name, kwargs["impl"] = "linear_cross_entropy", {"fused": "auto"}.get(impl, impl)
    elif name == "spherical_zloss" and impl == "gram":
      name = "spherical_zloss_linear"
    else:
      raise ValueError(f"config.loss.impl={impl!r} is not available for loss {name!r}: use 'naive', "
                       f"'fused' (or one of {IMPLS}) with 'cross_entropy', or 'gram' with 'spherical_zloss'")
  loss_fn = LOSSES.get(name)
  inject = tuple(k for k in ("class_counts", "step") if _accepts(loss_fn, k) and k not in kwargs)
  counts = train_data.class_counts() if "class_counts" in inject else None
  from lbrl.optim import GRAD_FNS
  est_kwargs = dict(cfg.grad_estimator)
  estimator = GRAD_FNS.get(est_kwargs.pop("name"))(**est_kwargs)
  return Task(model, loss_fn, kwargs, inject, counts, bool(getattr(loss_fn, "needs_hidden", False)),
              estimator)


def per_example_loss(task: Task, logits, labels, where, step):
  kw = dict(task.loss_kwargs)
  if "class_counts" in task.inject:
    kw["class_counts"] = jnp.asarray(task.class_counts, jnp.float32)
  if "step" in task.inject:
    kw["step"] = step
  return task.loss_fn(logits, labels, where=where, **kw)


def _apply(task: Task, params, model_state, x, train: bool, rng=None):
  """Model outputs and the updated non-parameter state (unchanged in eval).

  When the loss declares ``needs_hidden`` (the fused linear cross-entropy), the model is asked for
  ``(hidden, unembedding)`` instead of logits, so the logits are never materialised.
  """
  kw = {"return_hidden": True} if task.needs_hidden else {}
  variables = {"params": params, **model_state}
  if not train:
    return task.model.apply(variables, x, train=False, **kw), model_state
  return task.model.apply(variables, x, train=True, rngs={"dropout": rng}, mutable=list(model_state), **kw)


def _logits(task: Task, outputs):
  """Logits from the model outputs (computed from hidden states for fused losses: eval only)."""
  if not task.needs_hidden:
    return outputs
  hidden, unembed = outputs
  return jnp.einsum("...d,vd->...v", hidden, unembed, preferred_element_type=jnp.float32)


def _accuracy(logits, labels, where):
  if labels.ndim != logits.ndim - 1 or not jnp.issubdtype(labels.dtype, jnp.integer):
    labels = jnp.argmax(labels, -1)
  return reduce((jnp.argmax(logits, -1) == labels).astype(jnp.float32), where)


def make_train_step(task: Task, tx, accum: int, steps_per_chunk: int = 0):
  """The train step ``(state, batch) -> (state, metrics)``; with ``steps_per_chunk=k`` its second
  argument is a chunk of ``k`` batches and the step takes the one at ``state.step % k``.

  Gradients come from ``task.estimator`` (``config.grad_estimator``: plain ``value_and_grad``, or a
  two-pass method such as SAM from ``lbrl.optim.GRAD_FNS``), whose state lives in the train state.
  Optimizers that need more than the gradient get optax extra arguments: the loss as ``value`` and
  ``grad_fn(params, i)``, the gradient on the current batch (``optax.contrib.sam`` opaque mode).
  """
  def loss_fn_for(model_state, step):
    def loss_fn(params, batch, rng):
      outputs, new_state = _apply(task, params, model_state, batch["x"], True, rng)
      loss = reduce(per_example_loss(task, outputs, batch["label"], None, step))
      # train accuracy needs logits, which a fused loss never forms: reported as NaN (and not logged)
      acc = jnp.nan if task.needs_hidden else _accuracy(outputs, batch["label"], None)
      return loss, {"logits": outputs, "model_state": new_state, "accuracy": acc}
    return loss_fn

  def grads_on(params, model_state, grad_state, batch, rng, step):
    (loss, aux), g, grad_state = task.estimator.value_and_grad(
        loss_fn_for(model_state, step), params, batch, rng, grad_state)
    return g, aux["model_state"], grad_state, {"loss": loss, "accuracy": aux["accuracy"]}

  def step_fn(state: TrainState, batch):
    if steps_per_chunk:
      batch = pipeline.TrainBatches.select(batch, state.step, steps_per_chunk)
    rng = jax.random.fold_in(state.rng, state.step)
    if accum == 1:
      grads, model_state, grad_state, m = grads_on(state.params, state.model_state, state.grad_state, batch,
                                                   rng, state.step)
    else:  # micro-batch i takes rows i, i+accum, ...: every device keeps its share of each one
      micro = jax.tree.map(lambda x: x.reshape(x.shape[0] // accum, accum, *x.shape[1:]).swapaxes(0, 1),
                           batch)

      def body(carry, inp):
        g_sum, ms, gs = carry
        mb, i = inp
        g, ms, gs, m = grads_on(state.params, ms, gs, mb, jax.random.fold_in(rng, i), state.step)
        return (jax.tree.map(jnp.add, g_sum, g), ms, gs), m

      zeros = jax.tree.map(jnp.zeros_like, state.params)
      (grads, model_state, grad_state), ms = jax.lax.scan(
          body, (zeros, state.model_state, state.grad_state), (micro, jnp.arange(accum)))
      grads = jax.tree.map(lambda g: g / accum, grads)
      m = jax.tree.map(jnp.mean, ms)

    def batch_grad(params, i=0):  # for two-pass optimizers (optax.contrib.sam opaque mode, ...)
      return jax.grad(lambda p: loss_fn_for(state.model_state, state.step)(p, batch, rng)[0])(params)

    updates, opt_state = tx.update(grads, state.opt_state, state.params, value=m["loss"], grad_fn=batch_grad)
    params = jax.tree.map(lambda p, u: (p + u).astype(p.dtype), state.params, updates)
    grad_norm = optax.tree.norm(grads)
    finite = jnp.isfinite(m["loss"]) & jnp.isfinite(grad_norm)  # a non-finite entry makes the norm non-finite
    keep = lambda new, old: jax.tree.map(lambda a, b: jnp.where(finite, a, b), new, old)
    new_state = state.replace(
        step=state.step + 1,
        params=keep(params, state.params),
        model_state=keep(model_state, state.model_state),
        opt_state=keep(opt_state, state.opt_state),
        grad_state=keep(grad_state, state.grad_state),
        nonfinite=state.nonfinite + (~finite).astype(jnp.int32),
        first_nonfinite=jnp.where((state.first_nonfinite < 0) & ~finite, state.step, state.first_nonfinite))
    # one packed output per step (names: TRAIN_METRICS) keeps the per-step dispatch small
    return new_state, jnp.stack([m["loss"], m["accuracy"], grad_norm]).astype(jnp.float32)

  return step_fn


def make_eval_step(task: Task):
  def eval_fn(params, model_state, batch, step):
    outputs, _ = _apply(task, params, model_state, batch["x"], False)
    logits = _logits(task, outputs)
    target_shape = logits.shape[:-1]  # [B] for classification, [B, T] for sequences
    mask = batch["mask"].reshape(batch["mask"].shape + (1,) * (len(target_shape) - 1))
    mask = jnp.broadcast_to(mask, target_shape)
    values = per_example_loss(task, outputs, batch["label"], mask, step)
    return logits.astype(jnp.float32), values.astype(jnp.float32), mask
  return eval_fn


def evaluate(cfg, task, eval_step, state, eval_data, mesh) -> dict[str, float]:
  """Runs the eval split; metrics are computed on the host over the real (unpadded) examples."""
  sharding = parallel.batch_sharding(mesh)
  logits, labels, losses = [], [], []
  for batch in pipeline.eval_batches(eval_data, cfg.data.eval_batch_size, sharding):
    lg, lv, mask = eval_step(state.params, state.model_state, batch, state.step)
    lg, lv, mask, lb = (_to_host(a) for a in (lg, lv, mask, batch["label"]))
    if lb.ndim == lg.ndim:  # one-hot / soft labels
      lb = lb.argmax(-1)
    keep = mask & (lb >= 0) & (lb < lg.shape[-1])
    logits.append(lg[keep]); labels.append(lb[keep]); losses.append(lv[mask])
  logits, labels, losses = map(np.concatenate, (logits, labels, losses))
  return {f"eval/{k}": v for k, v in metrics_lib.compute(cfg.eval_metrics, logits, labels, losses).items()}


def _to_host(x: jax.Array) -> np.ndarray:
  if jax.process_count() > 1 and not x.is_fully_addressable:
    from jax.experimental import multihost_utils
    return np.asarray(multihost_utils.process_allgather(x, tiled=True))
  return np.asarray(jax.device_get(x))


def load_data(cfg):
  from lbrl.data import core
  opts = dict(cfg.data.options)
  train = core.load(cfg.data.name, cfg.data.split_train, data_dir=cfg.data.data_dir, **opts)
  evald = core.load(cfg.data.name, cfg.data.split_eval, data_dir=cfg.data.data_dir, **opts)
  train = core.apply_transforms(train, cfg.data.transforms, seed=cfg.seed)
  if cfg.data.check_labels:
    train.check_labels()
    evald.check_labels()
  return train, evald


def init_state(cfg, task, train_data, mesh, tx, rules):
  """Initialises the state directly into its shardings (params never exist unsharded)."""
  rng = jax.random.PRNGKey(cfg.seed)
  example = jnp.asarray(train_data.arrays["x"][:1])

  def init(rng):
    variables = dict(task.model.init({"params": rng, "dropout": rng}, example, train=False))
    params = variables.pop("params")
    grad_state = task.estimator.init(params, num_examples=len(train_data),
                                     num_classes=train_data.meta.get("num_classes") or 0)
    return TrainState(step=jnp.zeros((), jnp.int32), params=params, model_state=variables,
                      opt_state=tx.init(params), grad_state=grad_state, rng=jax.random.fold_in(rng, 1),
                      nonfinite=jnp.zeros((), jnp.int32), first_nonfinite=-jnp.ones((), jnp.int32))

  shapes = jax.eval_shape(init, rng)
  shardings = parallel.tree_shardings(shapes, rules, mesh)
  state = jax.jit(init, out_shardings=shardings)(rng)
  return state, shardings


class _Sigterm:
  """Turns SIGTERM into a flag the loop checks (save a checkpoint, then exit)."""
  def __init__(self):
    self.received = False
    self._old = None

  def __enter__(self):
    try:
      self._old = signal.signal(signal.SIGTERM, self._handle)
    except ValueError:  # not the main thread
      self._old = None
    return self

  def _handle(self, *_):
    self.received = True

  def __exit__(self, *exc):
    if self._old is not None:
      signal.signal(signal.SIGTERM, self._old)


def train(cfg, workdir: str, *, progress: bool | None = None, sample_tokens: int = 0) -> dict[str, Any]:
  """Trains ``cfg`` in ``workdir`` (resuming from its checkpoints) and returns the final metrics
  (plus ``state``, and for character-level LMs with ``sample_tokens > 0`` a text ``sample``)."""
  validate_config(cfg)
  mesh = parallel.make_mesh(cfg.mesh.shape, cfg.mesh.axes)
  validate_config(cfg, mesh=mesh)
  train_data, eval_data = load_data(cfg)
  task = build_task(cfg, train_data)
  tx, schedule = make_optimizer(cfg, cfg.steps)
  rules = [tuple(r) for r in cfg.sharding_rules] or list(type(task.model).sharding_rules())
  state, state_shardings = init_state(cfg, task, train_data, mesh, tx, rules)
  write_workdir_record(workdir, cfg, mesh, state.params)
  batch_sharding = parallel.batch_sharding(mesh)
  batches = pipeline.TrainBatches(train_data, cfg.data.batch_size, batch_sharding, cfg.seed)

  ckpt = Checkpointer(f"{workdir}/checkpoints", cfg.keep_checkpoints)
  restored, start = ckpt.restore_latest(abstract(state, state_shardings))
  if restored is not None:
    state = restored
    logging.info("resumed from step %d in %s", start, workdir)

  repl = parallel.replicated(mesh)
  train_step = jax.jit(make_train_step(task, tx, cfg.grad_accum_steps, batches.k),
                       in_shardings=(state_shardings, batches.sharding),
                       out_shardings=(state_shardings, repl), donate_argnums=0)
  eval_step = jax.jit(make_eval_step(task))
  writer = MetricWriter(workdir)
  bar = Progress(cfg.steps, start, enabled=progress)
  window: list[jax.Array] = []
  t_start, t_window = time.time(), time.time()

  def flush(step):
    nonlocal window, t_window
    if not window:
      return {}
    host = np.mean(np.stack(jax.device_get(window)), axis=0)
    m = {f"train/{k}": float(v) for k, v in zip(TRAIN_METRICS, host) if np.isfinite(v) or k == "loss"}
    m["train/learning_rate"] = float(schedule(step - 1))
    m["train/steps_per_sec"] = len(window) / max(time.time() - t_window, 1e-9)
    n_bad, first_bad = (int(x) for x in jax.device_get((state.nonfinite, state.first_nonfinite)))
    m["train/skipped_nonfinite"] = n_bad
    writer.write(step, m)
    bar.update(step, m)
    window, t_window = [], time.time()
    if n_bad and cfg.on_nonfinite == "stop":
      ckpt.wait()
      raise NonFiniteError(f"non-finite loss or gradients at step {first_bad} (update skipped); "
                           f"last finite state is checkpointable. Set on_nonfinite='skip' to continue.")
    return m

  step = start
  # plain ints: ConfigDict attribute access costs microseconds, which a 0.2 ms step would notice
  total, log_every, eval_every, ckpt_every = (int(cfg.steps), int(cfg.log_every), int(cfg.eval_every),
                                              int(cfg.checkpoint_every))
  with _Sigterm() as term, contextlib.closing(batches(start, total - start, cfg.data.prefetch)) as stream:
    for batch in stream:
      state, m = train_step(state, batch)
      window.append(m)
      step += 1
      if step % log_every == 0 or step == total:
        flush(step)
      if eval_every and step % eval_every == 0 and step != total:
        writer.write(step, evaluate(cfg, task, eval_step, state, eval_data, mesh))
      if term.received:
        flush(step)
        ckpt.save(step, state, force=True)
        ckpt.wait()
        ckpt.close()
        writer.close()
        logging.warning("SIGTERM at step %d: checkpoint saved, exiting", step)
        raise SystemExit(143)   # after closing: the prefetch thread is joined as the stream closes
      if ckpt_every and step % ckpt_every == 0:
        ckpt.save(step, state)
  flush(step)
  final = evaluate(cfg, task, eval_step, state, eval_data, mesh)
  final["train/skipped_nonfinite"] = int(jax.device_get(state.nonfinite))
  final["wall_time_sec"] = time.time() - t_start
  writer.write(step, final)
  ckpt.save(step, state, force=True)
  ckpt.wait()
  ckpt.close()
  bar.close(final)
  writer.close()
  final["state"] = state
  if sample_tokens and "vocab" in train_data.meta and hasattr(task.model, "vocab_size"):
    from lbrl.models.transformer import sample_text
    final["sample"] = sample_text(task.model, {"params": state.params, **state.model_state},
                                  train_data.meta["vocab"], num_tokens=sample_tokens, seed=cfg.seed)
  return final
