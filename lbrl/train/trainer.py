"""The trainer: one ``jax.jit``-ed, sharded train step over a device mesh, with checkpoint/resume.

``train(config, workdir)`` runs a config end to end:

1. validate the config (before any compilation) and build the mesh;
2. load the train/eval splits (each process gathers only its rows), apply dataset transforms, and
   check integer labels of both splits against the model's classes;
3. build the :class:`Task` from registry metadata (:mod:`lbrl.registry`): the model, the loss and
   what it consumes and needs, the optimizer, the gradient estimator, auxiliary networks (an EMA
   target, a frozen teacher) and per-example state;
4. initialise or restore the :class:`TrainState`;
5. run the step in chunks: one dispatch runs every step of a device-resident chunk of batches
   (a ``lax.scan``) up to the next host event (log, eval, checkpoint), so small models are not
   dispatch-bound; the result is the same as a per-step loop (tested);
6. after training, run the post-training stages (a calibration map fitted on a held-out split, on
   device) and the final eval, write metrics as JSON lines and return the final metrics.

Extension points (the trainer never branches on a loss, model or family name):

* the loss entry's :class:`lbrl.registry.LossSpec`: what the loss consumes (logits, hidden states +
  unembedding, embeddings, pairs, ...), what the trainer supplies (class counts, the step, a PRNG key,
  an auxiliary network's outputs, per-example state rows) and whether it couples the batch;
* ``config.auxiliary``: networks kept in the train state beside the trained one (:mod:`lbrl.train.auxiliary`);
* ``config.post_training``: stages fitted after training on a held-out split (:mod:`lbrl.train.stages`);
* ``config.grad_estimator``: how gradients are computed (SAM, ...), with state in the train state;
* ``config.precision``: quantized training of matching layers (:mod:`lbrl.train.precision`, on qwix);
* ``config.parametrization``: per-parameter init, learning-rate and weight-decay multipliers (SP, muP).

Non-finite loss or gradients never reach the parameters: the update is skipped, counted and reported
on the console (``on_nonfinite="skip"``; the run fails once more than ``max_skipped_fraction`` of its
updates were skipped) or the run stops naming the first bad step (``"stop"``).
"""
from __future__ import annotations

import contextlib
import dataclasses
import inspect
import logging
import math
import signal
import sys
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
from lbrl.registry import (DIAGNOSTICS, GRAD_ESTIMATORS, LOSSES, METRICS, MODELS, OPTIMIZERS, POST_TRAINING,
                           TARGETS, resolve)
from lbrl.train.checkpoint import Checkpointer, abstract, latest_step, shape_mismatch
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
  aux: Any                     # {"networks": {name: state}, "examples": per-example state [N, ...]}
  rng: jax.Array               # uint32[2] base key; step keys are fold_in(rng, step)
  nonfinite: jax.Array         # number of skipped (non-finite) updates
  first_nonfinite: jax.Array   # step of the first skipped update, -1 if none


TRAIN_METRICS = ("loss", "accuracy", "grad_norm")  # the train step's packed metrics vector

# How the model is asked for each kind of output a loss can consume (lbrl.registry.INPUT_KINDS).
MODEL_CALL = {"logits": {}, "hidden_unembedding": {"return_hidden": True},
              "embeddings": {"return_embeddings": True}, "pairs": {}, "scores_groups": {},
              "logits_aux": {"return_aux": True}}
# Kinds whose outputs are a tuple the loss takes as separate leading arguments.
SPLAT = ("hidden_unembedding", "pairs", "logits_aux")


class NonFiniteError(FloatingPointError):
  pass


@dataclasses.dataclass
class Task:
  """Everything the step functions need, built once from the config and the registry metadata."""
  model: Any
  loss_fn: Callable
  loss_kwargs: dict
  spec: Any                        # lbrl.registry.LossSpec of the loss actually called
  class_counts: np.ndarray | None
  estimator: Any                   # lbrl.optim.GradEstimator from config.grad_estimator
  auxiliaries: dict = dataclasses.field(default_factory=dict)   # name -> lbrl.train.auxiliary object
  example_state: Callable | None = None  # init(num_examples, num_classes) -> pytree of [N, ...]
  num_examples: int = 0
  num_classes: int = 0
  diagnostics: tuple = ()          # ((name, fn, lbrl.registry.DiagnosticSpec), ...) from config.diagnostics
  component_grads: bool = False    # the optimizer takes the gradient of each loss component (OptimizerSpec)
  model_takes_where: bool = False  # a scores_groups model masking padded list items (``where=`` in __call__)


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


def resolve_loss(cfg_loss) -> tuple[str, Any, dict]:
  """``(registered name, LossSpec, keyword arguments)`` of ``config.loss``, with ``loss.impl`` mapped to
  the implementation the loss declares for it."""
  kwargs = dict(cfg_loss)
  name = kwargs.pop("name")
  impl = kwargs.pop("impl", "naive")
  spec = LOSSES.spec(name)
  if impl != "naive":
    if impl not in spec.impls:
      have = ", ".join(["naive", *spec.impls])
      raise ValueError(f"config.loss.impl={impl!r} is not available for loss {name!r}; it has: {have}")
    name, extra = spec.impls[impl]
    kwargs.update(extra)
    spec = LOSSES.spec(name)
  return name, spec, kwargs


def model_num_classes(cfg, meta: dict) -> int | None:
  """The number of classes the model predicts: ``config.model.num_classes`` or the training split's."""
  n = cfg.model.get("num_classes") if hasattr(cfg.model, "get") else None
  return int(n) if n else meta.get("num_classes") or meta.get("vocab_size")


def build_task(cfg, meta: dict) -> Task:
  """The task of ``cfg`` given the training split's metadata (``num_classes``/``vocab_size``,
  ``num_examples``, ``class_counts`` when the loss needs them)."""
  from lbrl.train.precision import apply_precision, loss_scaled
  raw_model = build_model(cfg, meta)
  model = apply_precision(raw_model, cfg.get("precision"))
  name, spec, kwargs = resolve_loss(cfg.loss)
  outputs = MODELS.spec(cfg.model.name).outputs
  if spec.consumes not in outputs:
    raise ValueError(f"config.loss: loss {name!r} consumes {spec.consumes!r}, which model {cfg.model.name!r} "
                     f"does not return (it returns: {', '.join(outputs)})")
  counts = None
  if "class_counts" in spec.needs and "class_counts" not in kwargs:
    if meta.get("class_counts") is None:
      raise ValueError(f"config.loss: loss {name!r} needs class counts, and the training split has no labels to count")
    counts = np.asarray(meta["class_counts"], np.float32)
  est_kwargs = dict(cfg.grad_estimator)
  estimator = loss_scaled(GRAD_ESTIMATORS.get(est_kwargs.pop("name"))(**est_kwargs), cfg.get("precision"))
  auxiliaries = {}
  for i, aux_cfg in enumerate(cfg.get("auxiliary", []) or []):
    a = dict(aux_cfg)
    if a.pop("train", None) and not a.get("workdir"):  # a first stage: train() sets its workdir before this
      a["workdir"] = "(first stage, not trained yet)"
    aux_name = a.pop("name", None)
    if aux_name is None:
      raise ValueError(f"config.auxiliary[{i}] has no 'name'; known: {', '.join(TARGETS.names())}")
    obj = TARGETS.get(aux_name)(cfg=cfg, meta=meta, model=model, **a)
    auxiliaries[obj.keyword] = obj
  wanted = {k for k in spec.needs if k.endswith("_outputs")}
  if wanted != set(auxiliaries):
    raise ValueError(f"config.auxiliary: loss {name!r} takes {sorted(wanted) or 'no auxiliary outputs'}, "
                     f"the config provides {sorted(auxiliaries) or 'none'}")
  example_state = None
  if "example_state" in spec.needs:
    example_state = resolve(spec.example_state) if isinstance(spec.example_state, str) else spec.example_state
  diagnostics = tuple((d, DIAGNOSTICS.get(d), DIAGNOSTICS.spec(d)) for d in (cfg.get("diagnostics", []) or []))
  opt_name = cfg.optimizer.name
  component_grads = bool(opt_name in OPTIMIZERS and OPTIMIZERS.spec(opt_name).component_grads)
  if component_grads:
    if not spec.components:
      raise ValueError(f"config.optimizer: {opt_name!r} takes the gradient of each loss component; loss {name!r} "
                       "has no components (LossSpec.components), e.g. use 'kd_components'")
    if int(cfg.grad_accum_steps) != 1 or getattr(estimator, "name", "plain") != "plain":
      raise ValueError(f"config.optimizer: {opt_name!r} (per-component gradients) needs grad_accum_steps=1 and "
                       "the plain gradient estimator")
  takes_where = spec.consumes == "scores_groups" and "where" in inspect.signature(type(raw_model).__call__).parameters
  return Task(model, LOSSES.get(name), kwargs, spec, counts, estimator, auxiliaries, example_state,
              int(meta.get("num_examples") or 0), int(model_num_classes(cfg, meta) or 0), diagnostics,
              component_grads, takes_where)


def call_loss(task: Task, outputs, labels, where, *, step, rng, aux_outputs=None, example_rows=None):
  """The loss's per-example values (and new per-example state rows when it keeps some)."""
  kw = dict(task.loss_kwargs)
  needs = task.spec.needs
  if task.class_counts is not None:
    kw["class_counts"] = jnp.asarray(task.class_counts)
  if "step" in needs:
    kw["step"] = step
  if "rng" in needs:
    kw["rng"] = rng
  if "example_state" in needs:
    kw["example_state"] = example_rows
  kw.update(aux_outputs or {})
  args = tuple(outputs) if task.spec.consumes in SPLAT else (outputs,)
  out = task.loss_fn(*args, labels, where=where, **kw)
  return out if "example_state" in needs else (out, None)


def loss_parts(task: Task, values, where=None):
  """``(mean loss, {component: mean} or {})`` of a loss's per-example values (a dict for a loss with
  ``LossSpec.components``: the loss is the sum of the components' means)."""
  if task.spec.components:
    parts = {k: reduce(values[k], where) for k in task.spec.components}
    return sum(parts.values()), parts
  return reduce(values, where), {}


def per_example(task: Task, values):
  """Per-example loss values (the sum of the components for a loss with components)."""
  return sum(values[k] for k in task.spec.components) if task.spec.components else values


def list_items(task: Task, labels):
  """For a loss over lists of scores (``scores_groups``): ``(labels with padding set to grade 0, the real
  items [Q, L])``, padded items being those labelled below 0 (a data pipeline pads short lists with -1,
  as allRank does); ``(labels, None)`` for every other loss."""
  if task.spec.consumes != "scores_groups":
    return labels, None
  real = labels >= 0
  return jnp.where(real, labels, jnp.zeros_like(labels)), real


def _model_kwargs(task: Task, items=None) -> dict:
  """How the model is called for the loss's input kind; ``items`` (the real list items,
  :func:`list_items`) reaches a list model that takes ``where`` (its attention masks padded items)."""
  kw = MODEL_CALL[task.spec.consumes]
  return {**kw, "where": items} if items is not None and task.model_takes_where else kw


def apply_model(task: Task, params, model_state, x, train: bool, rng=None, items=None):
  """Model outputs of the kind the loss consumes, and the updated non-parameter state (``items``: see
  :func:`_model_kwargs`)."""
  kw = _model_kwargs(task, items)
  variables = {"params": params, **model_state}
  if not train:
    return task.model.apply(variables, x, train=False, **kw), model_state
  return task.model.apply(variables, x, train=True, rngs={"dropout": rng}, mutable=list(model_state), **kw)


def eval_logits(task: Task, outputs):
  """Logits for the eval metrics (computed from hidden states for logit-free losses), or None."""
  kind = task.spec.consumes
  if kind == "logits":
    return outputs
  if kind == "logits_aux":
    return outputs[0]
  if kind == "hidden_unembedding":
    hidden, unembed = outputs
    return jnp.einsum("...d,vd->...v", hidden, unembed, preferred_element_type=jnp.float32)
  return None


# Output kinds whose logits the train step reports accuracy on (the others would have to form them)
CHEAP_LOGITS = ("logits", "logits_aux")


def _train_logits(task: Task, outputs):
  return outputs[0] if task.spec.consumes == "logits_aux" else outputs


def _accuracy(logits, labels, where):
  if labels.ndim != logits.ndim - 1 or not jnp.issubdtype(labels.dtype, jnp.integer):
    labels = jnp.argmax(labels, -1)
  return reduce((jnp.argmax(logits, -1) == labels).astype(jnp.float32), where)


def _aux_outputs(task: Task, aux, x):
  return {k: jax.lax.stop_gradient(a.outputs(aux["networks"][k], x)) for k, a in task.auxiliaries.items()}


def _rows(tree, index):
  return jax.tree.map(lambda a: a[index], tree)


def diagnostics(task: Task, state, batch, rng, grads, updates, loss) -> dict[str, jax.Array]:
  """``config.diagnostics`` evaluated in the train step: ``{"diag/<name>/<key>": float32 scalar}``.

  Diagnostics that need intermediate values get them from one extra forward pass in training mode (the
  pre-update parameters, the step's batch and dropout key) with flax's ``capture_intermediates=True``;
  its state updates (batch statistics) are discarded, so the trained run is the same with or without
  diagnostics."""
  if not task.diagnostics:
    return {}
  inter = {}
  if any(spec.intermediates for _, _, spec in task.diagnostics):
    kw = _model_kwargs(task, list_items(task, batch["label"])[1])
    variables = {"params": state.params, **state.model_state}
    _, captured = task.model.apply(variables, batch["x"], train=True, rngs={"dropout": rng},
                                   capture_intermediates=True, mutable=list(state.model_state) + ["intermediates"], **kw)
    inter = jax.lax.stop_gradient({"intermediates": captured["intermediates"]})
  out = {}
  for name, fn, spec in task.diagnostics:
    values = fn(params=state.params, grads=grads, updates=updates, intermediates=inter if spec.intermediates else {},
                loss=loss)
    for key, v in values.items():
      v = jnp.asarray(v, jnp.float32)
      if v.shape != ():
        raise ValueError(f"diagnostic {name!r}: value {key!r} has shape {v.shape}; diagnostics return scalars")
      out[f"diag/{name}/{key}"] = v
  return out


def make_train_step(task: Task, tx, accum: int = 1):
  """The train step ``(state, batch) -> (state, metrics[len(TRAIN_METRICS)])``.

  Gradients come from ``task.estimator`` (``config.grad_estimator``: plain ``value_and_grad``, or a
  two-pass method such as SAM), whose state lives in the train state. Optimizers that need more than
  the gradient get optax extra arguments: the loss as ``value`` and ``grad_fn(params, i)``, the
  gradient on the current batch (``optax.contrib.sam`` opaque mode).

  With ``accum > 1`` the batch is split into micro-batches (micro-batch ``i`` takes rows
  ``i, i + accum, ...``, so every device keeps its share of each). A per-example loss averages the
  micro-batch gradients. A batch-wide loss (``LossSpec.batch_wide``) is accumulated exactly, as the
  full-batch loss: the model's outputs for every micro-batch are computed first (no gradient), the
  loss and its gradient with respect to all outputs are taken on the whole batch, and each micro-batch
  is then back-propagated with its slice of that output gradient (gradient caching, Gao et al. 2021,
  arXiv:2101.06983). That needs the plain estimator and array outputs; anything else is refused.
  """
  needs_rows = task.example_state is not None
  if getattr(task.estimator, "per_example", False) and (accum > 1 or task.spec.batch_wide):
    raise ValueError(f"config.grad_estimator {task.estimator.name!r} computes per-example gradients of each step's "
                     f"batch: it needs grad_accum_steps=1 (got {accum}) and a per-example loss (got "
                     f"{task.loss_fn.__name__!r}, batch_wide={task.spec.batch_wide})")
  if accum > 1 and task.spec.batch_wide and getattr(task.estimator, "name", "plain") != "plain":
    raise ValueError(f"config.grad_accum_steps={accum} with batch-wide loss {task.loss_fn.__name__!r} needs the "
                     f"plain gradient estimator (got {task.estimator.name!r}): a two-pass estimator on "
                     "micro-batches would not be the full-batch method; use grad_accum_steps=1")

  def loss_fn_for(model_state, aux, step, rows):
    def loss_fn(params, batch, rng):
      labels, items = list_items(task, batch["label"])
      outputs, new_state = apply_model(task, params, model_state, batch["x"], True, rng, items)
      values, new_rows = call_loss(task, outputs, labels, items, step=step,
                                   rng=jax.random.fold_in(rng, 1), aux_outputs=_aux_outputs(task, aux, batch["x"]),
                                   example_rows=rows)
      # train accuracy needs logits, which a logit-free loss never forms: NaN (and not logged) there
      acc = _accuracy(_train_logits(task, outputs), batch["label"], None) if task.spec.consumes in CHEAP_LOGITS else jnp.nan
      loss, parts = loss_parts(task, values)
      return loss, {"logits": outputs, "model_state": new_state, "accuracy": acc, "rows": new_rows, "parts": parts}
    return loss_fn

  def grads_on(params, model_state, grad_state, aux, batch, rng, step, rows):
    if task.component_grads:   # one backward pass per loss component, through one vjp
      loss_fn = loss_fn_for(model_state, aux, step, rows)
      names = task.spec.components
      vec, vjp, a = jax.vjp(lambda p: (lambda l, a: (jnp.stack([a["parts"][k] for k in names]), a))(
          *loss_fn(p, batch, rng)), params, has_aux=True)
      (per,) = jax.vmap(vjp)(jnp.eye(len(names), dtype=vec.dtype))
      comp = {k: jax.tree.map(lambda g, i=i: g[i], per) for i, k in enumerate(names)}
      g = jax.tree.map(lambda x: jnp.sum(x, 0), per)
      return g, a["model_state"], grad_state, a["rows"], {"loss": jnp.sum(vec), "accuracy": a["accuracy"],
                                                         "parts": a["parts"], "component_grads": comp}
    (loss, a), g, grad_state = task.estimator.value_and_grad(
        loss_fn_for(model_state, aux, step, rows), params, batch, rng, grad_state)
    return g, a["model_state"], grad_state, a["rows"], {"loss": loss, "accuracy": a["accuracy"], "parts": a["parts"]}

  def split(batch):
    return jax.tree.map(lambda x: x.reshape(x.shape[0] // accum, accum, *x.shape[1:]).swapaxes(0, 1), batch)

  def cached_grads(state, batch, rng, rows):
    """Exact gradient of a batch-wide loss over the whole batch, one micro-batch at a time."""
    micro = split(batch)
    keys = jax.vmap(lambda i: jax.random.fold_in(rng, i))(jnp.arange(accum))

    def forward(params, model_state, mb, key):
      return apply_model(task, params, model_state, mb["x"], True, key, list_items(task, mb["label"])[1])

    def fwd_body(ms, inp):
      mb, key = inp
      out, ms = forward(state.params, ms, mb, key)
      if not isinstance(out, jax.Array):
        raise ValueError("grad_accum_steps > 1 with a batch-wide loss needs a model returning one array")
      return ms, out

    _, outs = jax.lax.scan(fwd_body, state.model_state, (micro, keys))
    full = outs.swapaxes(0, 1).reshape(batch["label"].shape[0], *outs.shape[2:])
    aux_out = _aux_outputs(task, state.aux, batch["x"])

    def full_loss(out):
      labels, items = list_items(task, batch["label"])
      values, new_rows = call_loss(task, out, labels, items, step=state.step,
                                   rng=jax.random.fold_in(rng, 1), aux_outputs=aux_out, example_rows=rows)
      loss, parts = loss_parts(task, values)
      return loss, (new_rows, parts)

    (loss, (new_rows, parts)), d_out = jax.value_and_grad(full_loss, has_aux=True)(full)
    d_micro = d_out.reshape(d_out.shape[0] // accum, accum, *d_out.shape[1:]).swapaxes(0, 1)

    def bwd_body(carry, inp):
      g_sum, ms = carry
      mb, key, d = inp
      (_, ms2), vjp = jax.vjp(lambda p: forward(p, ms, mb, key), state.params)
      (g,) = vjp((d, jax.tree.map(jnp.zeros_like, ms2)))
      return (jax.tree.map(jnp.add, g_sum, g), ms2), None

    zeros = jax.tree.map(jnp.zeros_like, state.params)
    (grads, model_state), _ = jax.lax.scan(bwd_body, (zeros, state.model_state), (micro, keys, d_micro))
    acc = _accuracy(_train_logits(task, full), batch["label"], None) if task.spec.consumes in CHEAP_LOGITS else jnp.nan
    return grads, model_state, state.grad_state, new_rows, {"loss": loss, "accuracy": acc, "parts": parts}

  def step_fn(state: TrainState, batch):
    """One update; returns the new state and the packed metrics, in the order of ``metric_names``."""
    rng = jax.random.fold_in(state.rng, state.step)
    examples = state.aux.get("examples") if needs_rows else None
    rows = _rows(examples, batch["index"]) if needs_rows else None
    if accum == 1:
      grads, model_state, grad_state, new_rows, m = grads_on(
          state.params, state.model_state, state.grad_state, state.aux, batch, rng, state.step, rows)
    elif task.spec.batch_wide:
      grads, model_state, grad_state, new_rows, m = cached_grads(state, batch, rng, rows)
    else:
      micro = split(batch)
      micro_rows = split(rows) if needs_rows else None

      def body(carry, inp):
        g_sum, ms, gs = carry
        mb, i, r = inp
        g, ms, gs, nr, m = grads_on(state.params, ms, gs, state.aux, mb, jax.random.fold_in(rng, i), state.step, r)
        return (jax.tree.map(jnp.add, g_sum, g), ms, gs), (m, nr)

      zeros = jax.tree.map(jnp.zeros_like, state.params)
      (grads, model_state, grad_state), (ms, nr) = jax.lax.scan(
          body, (zeros, state.model_state, state.grad_state), (micro, jnp.arange(accum), micro_rows))
      grads = jax.tree.map(lambda g: g / accum, grads)
      m = jax.tree.map(jnp.mean, ms)
      new_rows = (jax.tree.map(lambda a: a.swapaxes(0, 1).reshape(-1, *a.shape[2:]), nr) if needs_rows else None)

    def batch_grad(params, i=0):  # for two-pass optimizers (optax.contrib.sam opaque mode, ...)
      return jax.grad(lambda p: loss_fn_for(state.model_state, state.aux, state.step, rows)(p, batch, rng)[0])(params)

    extra = {"component_grads": m["component_grads"]} if task.component_grads else {}
    updates, opt_state = tx.update(grads, state.opt_state, state.params, value=m["loss"], grad_fn=batch_grad, **extra)
    params = jax.tree.map(lambda p, u: (p + u).astype(p.dtype), state.params, updates)
    grad_norm = optax.tree.norm(grads)
    finite = jnp.isfinite(m["loss"]) & jnp.isfinite(grad_norm)  # a non-finite entry makes the norm non-finite
    # one conditional on the whole tree (not a select per leaf): a non-finite update leaves it unchanged
    keep = lambda new, old: jax.lax.cond(finite, lambda: new, lambda: old)
    aux = dict(state.aux)
    if task.auxiliaries:
      aux["networks"] = {k: a.update(state.aux["networks"][k], params, model_state, state.step)
                         for k, a in task.auxiliaries.items()}
    if needs_rows:
      aux["examples"] = jax.tree.map(lambda a, r: a.at[batch["index"]].set(r.astype(a.dtype)), examples, new_rows)
    new_state = state.replace(
        step=state.step + 1,
        params=keep(params, state.params),
        model_state=keep(model_state, state.model_state),
        opt_state=keep(opt_state, state.opt_state),
        # a loss-scaled estimator keeps its new scale even when the update is skipped (lbrl.train.precision)
        grad_state=(task.estimator.select(finite, grad_state, state.grad_state) if hasattr(task.estimator, "select")
                    else keep(grad_state, state.grad_state)),
        aux=keep(aux, state.aux),
        nonfinite=state.nonfinite + (~finite).astype(jnp.int32),
        first_nonfinite=jnp.where((state.first_nonfinite < 0) & ~finite, state.step, state.first_nonfinite))
    packed = {"loss": m["loss"], "accuracy": m["accuracy"], "grad_norm": grad_norm}
    packed.update({f"loss/{k}": v for k, v in m.get("parts", {}).items()})
    packed.update(diagnostics(task, state, batch, rng, grads, updates, m["loss"]))
    if hasattr(task.estimator, "metrics"):   # e.g. the adaptive batch size (lbrl.optim.adaptive_batch)
      packed.update({f"estimator/{k}": v for k, v in task.estimator.metrics(new_state.grad_state).items()})
    names = TRAIN_METRICS + tuple(sorted(k for k in packed if k not in TRAIN_METRICS))
    metric_names[:] = names   # the diagnostics' keys are known once the step is traced
    return new_state, jnp.stack([jnp.asarray(packed[k], jnp.float32) for k in names])

  # names of the packed metrics vector: fixed without diagnostics, filled when the step is traced with them
  metric_names = ([*TRAIN_METRICS, *sorted(f"loss/{k}" for k in task.spec.components)]
                  if not task.diagnostics and not hasattr(task.estimator, "metrics") else [])
  step_fn.metric_names = metric_names
  return step_fn


def make_chunk_step(step_fn, k: int):
  """``(state, chunk, lo, hi) -> (state, metrics[k, M])``: the steps at chunk positions ``lo <= i < hi``
  of a ``[k, batch, ...]`` chunk in one dispatch (a ``lax.scan`` whose body runs the step under a
  ``lax.cond``), so every step runs the same compiled computation wherever the chunk starts or stops;
  rows of skipped positions are NaN."""
  def run(state, chunk, lo, hi):
    width = len(getattr(step_fn, "metric_names", TRAIN_METRICS)) or \
        jax.eval_shape(step_fn, state, jax.tree.map(lambda a: a[0], chunk))[1].shape[0]

    def body(state, inp):
      i, batch = inp
      return jax.lax.cond((i >= lo) & (i < hi), step_fn,
                          lambda s, b: (s, jnp.full((width,), jnp.nan, jnp.float32)), state, batch)
    return jax.lax.scan(body, state, (jnp.arange(k), chunk))
  return run


def make_single_step(step_fn):
  """``(state, chunk, i) -> (state, metrics[1, M])``: the step on position ``i`` of a device-resident chunk."""
  def run(state, chunk, i):
    batch = jax.tree.map(lambda a: jax.lax.dynamic_index_in_dim(a, i, keepdims=False), chunk)
    state, m = step_fn(state, batch)
    return state, m[None]
  return run


def dispatch_mode(cfg, step_fn, state, batch_shapes) -> str:
  """``config.dispatch``: ``chunk`` (every step between host events in one ``lax.scan`` dispatch),
  ``step`` (one dispatch per step, batches still read from the device-resident chunk), or ``auto``:
  ``step`` on CPU when the step contains a convolution, else ``chunk``. XLA:CPU runs convolutions inside
  a loop (``while``) several times slower than at the top level (measured here on the MNIST-1D CNN: a
  50-step scan 2x slower than 50 dispatches), while small dense models are dispatch-bound."""
  mode = cfg.get("dispatch", "auto") if hasattr(cfg, "get") else "auto"
  if mode not in ("auto", "chunk", "step"):
    raise ValueError(f"config.dispatch must be 'auto', 'chunk' or 'step', got {mode!r}")
  if mode != "auto":
    return mode
  if jax.default_backend() != "cpu":
    return "chunk"
  return "step" if "conv_general_dilated" in str(jax.make_jaxpr(step_fn)(state, batch_shapes)) else "chunk"


# ----------------------------------------------------------------------------------------------------
# Evaluation: metrics streamed on device


def make_eval_step(task: Task, metric_names, calibrate: Callable | None = None):
  """``(params, model_state, aux, batch, step, cal) -> (sums [M], count, host_stats)``.

  Each eval row (an example, or a token for sequence models) counts when it is a real row (``mask``)
  and its integer label is not the ignore id ``-1``. ``sums`` are the per-metric sums over counted rows
  of the mean metrics; ``host_stats`` holds the per-row statistics of the other metrics (a few numbers
  per row) with ``valid``. ``calibrate(cal, logits)`` applies a post-training calibration map.
  """
  specs = [METRICS.spec(n) for n in metric_names]
  fns = [METRICS.get(n) for n in metric_names]
  for n, spec in zip(metric_names, specs):
    if spec.inputs == "scores_groups" and task.spec.consumes != "scores_groups":
      raise ValueError(f"config.eval_metrics: {n!r} is a metric of grouped scores [Q, L]; the config's loss "
                       f"consumes {task.spec.consumes!r}")

  def targets_of(outputs, labels):
    if jnp.issubdtype(labels.dtype, jnp.integer) or labels.ndim != 2:
      raise ValueError(f"config.eval_metrics: {[n for n, s in zip(metric_names, specs) if s.inputs == 'targets']} "
                       f"compare predictions with float targets [N, D]; the eval labels are {labels.dtype} of "
                       f"shape {labels.shape}")
    if not hasattr(outputs, "shape") or outputs.size != labels.size:
      raise ValueError(f"config.eval_metrics: a targets metric needs model outputs of the labels' size "
                       f"{labels.shape}; the model gives {getattr(outputs, 'shape', type(outputs).__name__)}")
    return outputs.reshape(labels.shape).astype(jnp.float32), labels.astype(jnp.float32)

  def embeddings_of(params, model_state, x, outputs):
    if task.spec.consumes == "embeddings":
      return outputs
    variables = {"params": params, **model_state}
    return task.model.apply(variables, x, train=False, **MODEL_CALL["embeddings"])

  def eval_fn(params, model_state, aux, batch, step, cal):
    loss_labels, items = list_items(task, batch["label"])
    outputs, _ = apply_model(task, params, model_state, batch["x"], False, items=items)
    logits = eval_logits(task, outputs)
    labels = batch["label"]
    target_shape = labels.shape if jnp.issubdtype(labels.dtype, jnp.integer) else labels.shape[:-1]
    mask = batch["mask"].reshape(batch["mask"].shape + (1,) * (len(target_shape) - 1))
    mask = jnp.broadcast_to(mask, target_shape)
    aux_out = _aux_outputs(task, aux, batch["x"])
    rows = None
    if task.example_state is not None:  # eval examples have no training-set rows: a fresh state
      rows = jax.tree.map(lambda a: jnp.zeros((labels.shape[0],) + a.shape[1:], a.dtype),
                          task.example_state(1, task.num_classes))
    loss_where = mask if items is None else items & batch["mask"].reshape((-1,) + (1,) * (items.ndim - 1))
    values, _ = call_loss(task, outputs, loss_labels, loss_where, step=step,
                          rng=jax.random.PRNGKey(0), aux_outputs=aux_out, example_rows=rows)
    int_labels = labels if jnp.issubdtype(labels.dtype, jnp.integer) else jnp.argmax(labels, -1)
    valid = mask & (int_labels >= 0)
    flat_valid = valid.reshape(-1)
    flat_labels = jnp.maximum(int_labels.reshape(-1), 0)
    values = per_example(task, values)   # per row, or per list for losses of grouped scores ([Q] for [Q, L])
    values = values.reshape(values.shape + (1,) * (len(target_shape) - values.ndim))
    flat_loss = jnp.broadcast_to(values, target_shape).reshape(-1).astype(jnp.float32)
    if logits is not None:
      logits = logits.astype(jnp.float32)
      if calibrate is not None:
        logits = calibrate(cal, logits)
      flat_logits = logits.reshape(-1, logits.shape[-1])
    w = flat_valid.astype(jnp.float32)
    sums, counts, host = [], [], {}
    emb = None
    for name, spec, fn in zip(metric_names, specs, fns):
      rows_valid = flat_valid
      if spec.inputs == "scores_groups":   # per query list [Q, L], unflattened
        stats = fn(outputs.astype(jnp.float32), loss_labels, loss_where)   # real items of the batch's rows
        rows_valid = jnp.any(loss_where, -1)
      elif spec.inputs == "targets":     # regression: predictions and float targets [N, D], per example
        stats = fn(*targets_of(outputs, labels), flat_loss)
      elif spec.inputs == "embeddings":
        if emb is None:
          emb = embeddings_of(params, model_state, batch["x"], outputs)
          emb = emb.reshape(-1, emb.shape[-1]).astype(jnp.float32)
        stats = fn(emb, flat_labels, flat_loss)
      else:
        stats = fn(flat_logits if logits is not None else None, flat_labels, flat_loss)
      if spec.reduce == "mean":
        sums.append(jnp.sum(jnp.where(rows_valid, stats, 0.0)))
      else:
        sums.append(jnp.zeros(()))
        host[name] = (stats, rows_valid)
      counts.append(jnp.sum(rows_valid.astype(jnp.float32)))
    return (jnp.stack(sums).astype(jnp.float32), jnp.stack(counts), jnp.sum(w),
            {"stats": host, "valid": flat_valid})

  return eval_fn


def evaluate(cfg, task, eval_step, state, eval_data, mesh, cal=None, prefix: str = "eval") -> dict[str, float]:
  """Runs a split; every metric is over exactly the counted rows, logged as ``<prefix>/num_examples``."""
  sharding = parallel.batch_sharding(mesh)
  names = list(cfg.eval_metrics)
  sums, counts, count, host = None, None, None, {}
  for batch in pipeline.eval_batches(eval_data, cfg.data.eval_batch_size, sharding):
    s, c, n, h = eval_step(state.params, state.model_state, state.aux, batch, state.step, cal)
    sums, counts, count = (s, c, n) if sums is None else (sums + s, counts + c, count + n)
    for name, (stats, rows_valid) in h["stats"].items():
      valid = _to_host(rows_valid)
      for k, v in (stats if isinstance(stats, dict) else {name: stats}).items():
        host.setdefault(name, {}).setdefault(k, []).append(_to_host(v)[valid])
  sums, count = np.asarray(jax.device_get(sums), np.float64), float(jax.device_get(count))
  counts = np.asarray(jax.device_get(counts), np.float64)
  if count == 0:
    raise ValueError(f"{prefix} split {eval_data.split!r} of {eval_data.name!r} has no example to evaluate "
                     "(every row is padding or has the ignore label -1)")
  out = {f"{prefix}/num_examples": int(count)}
  for i, name in enumerate(names):
    reduce_path = METRICS.spec(name).reduce
    if reduce_path == "mean":
      out[f"{prefix}/{name}"] = float(sums[i] / counts[i]) if counts[i] else float("nan")
    else:
      out[f"{prefix}/{name}"] = resolve(reduce_path)({k: np.concatenate(v) for k, v in host[name].items()})
  return out


def _to_host(x: jax.Array) -> np.ndarray:
  if jax.process_count() > 1 and not x.is_fully_addressable:
    from jax.experimental import multihost_utils
    return np.asarray(multihost_utils.process_allgather(x, tiled=True))
  return np.asarray(jax.device_get(x))


# ----------------------------------------------------------------------------------------------------
# Data, state


def load_data(cfg):
  """The training and eval splits, with integer labels checked against the model's classes: in the
  eval split always (a metric over a silent subset is a wrong number), in the training split unless
  ``data.check_labels=False`` (then the losses mask them)."""
  from lbrl.data import core
  opts = dict(cfg.data.options)
  train = core.load(cfg.data.name, cfg.data.split_train, data_dir=cfg.data.data_dir, role="train", **opts)
  evald = core.load(cfg.data.name, cfg.data.split_eval, data_dir=cfg.data.data_dir, role="eval", **opts)
  train = core.apply_transforms(train, cfg.data.transforms, seed=cfg.seed)
  classes = model_num_classes(cfg, train.meta)
  if cfg.data.check_labels:
    train.check_labels(num_classes=classes)
  evald.check_labels(num_classes=classes, hint="eval labels must lie in the model's classes")
  return train, evald


def data_meta(cfg, train_data) -> dict:
  meta = dict(train_data.meta, num_examples=len(train_data))
  if "class_counts" in resolve_loss(cfg.loss)[1].needs:
    meta["class_counts"] = train_data.class_counts()
  return meta


def parametrization(cfg):
  """``config.parametrization`` (a name or a block ``dict(name="mup", optimizer="adam", width=...,
  base_width=...)``, declared in :data:`lbrl.registry.PARAMETRIZATIONS`) as an object, or None."""
  from lbrl.train.optimizer import _parametrization
  return _parametrization(cfg, None)


def make_init(task: Task, tx, seed: int, example_x, aux_init: dict | None = None, param13n=None):
  """``init(rng, start=None) -> TrainState`` (pure: ``jax.eval_shape`` gives the abstract state). With a
  parametrisation, the model's standard init is rescaled by its init multipliers. ``start``
  (``{"params", "model_state"}``, from :func:`initial_variables`) replaces the initialised parameters (and
  the model state where given) before the optimizer, estimator and auxiliary states are built from them."""
  def init(rng, start=None):
    variables = dict(task.model.init({"params": rng, "dropout": rng}, example_x, train=False))
    params = variables.pop("params")
    if param13n is not None:
      from lbrl.optim.parametrization import apply_init
      params = apply_init(params, param13n)
    if start is not None:
      params = jax.tree.map(lambda a, b: jnp.asarray(b, a.dtype), params, start["params"])
      if start.get("model_state"):
        variables = jax.tree.map(lambda a, b: jnp.asarray(b, a.dtype), variables, dict(start["model_state"]))
    grad_state = task.estimator.init(params, num_examples=task.num_examples, num_classes=task.num_classes)
    aux = {}
    if task.auxiliaries:
      aux["networks"] = {k: a.init(params, variables, (aux_init or {}).get(k)) for k, a in task.auxiliaries.items()}
    if task.example_state is not None:
      aux["examples"] = task.example_state(task.num_examples, task.num_classes)
    return TrainState(step=jnp.zeros((), jnp.int32), params=params, model_state=variables,
                      opt_state=tx.init(params), grad_state=grad_state, aux=aux, rng=jax.random.fold_in(rng, 1),
                      nonfinite=jnp.zeros((), jnp.int32), first_nonfinite=-jnp.ones((), jnp.int32))
  return init


AUGMENT_KEYS = ("kind", "views", "options")


def make_augment(cfg):
  """``config.data.augment`` (``dict(kind="1d"|"image"|"tokens", views=2, options={...})``) as an
  :class:`lbrl.data.augment.Augment` seeded by the run's seed (fresh views per step, exact on resume), or
  None when the config has none. The training batches' ``x`` becomes ``[B, views, ...]`` (``views > 1``);
  evaluation data is not augmented."""
  a = cfg.data.get("augment")
  if not a:
    return None
  a = a.to_dict() if hasattr(a, "to_dict") else dict(a)
  unknown = set(a) - set(AUGMENT_KEYS)
  if unknown:
    raise ValueError(f"config.data.augment has unknown keys {sorted(unknown)}; known: {', '.join(AUGMENT_KEYS)}")
  from lbrl.data.augment import Augment
  return Augment(seed=int(cfg.seed), kind=a.get("kind", "1d"), views=int(a.get("views", 2)),
                 options=dict(a.get("options") or {}))


def train_example_x(cfg, x: np.ndarray) -> np.ndarray:
  """The first training example ``x[:1]`` as the train step sees it (augmented views when configured)."""
  aug = make_augment(cfg)
  x = np.asarray(x[:1])
  return x if aug is None else aug.step(x, 0, np.arange(1), 1)


def init_state(cfg, task, train_data, mesh, tx, rules, start_from: str | None = None):
  """Initialises the state directly into its shardings (params never exist unsharded). ``start_from``:
  the workdir of the run ``config.init`` starts from (:func:`initial_variables`)."""
  rng = jax.random.PRNGKey(cfg.seed)
  example = jnp.asarray(train_example_x(cfg, train_data.arrays["x"]))
  aux_init = {k: a.load(mesh) for k, a in task.auxiliaries.items()}
  init = make_init(task, tx, cfg.seed, example, aux_init, parametrization(cfg))
  shapes = jax.eval_shape(init, rng)
  start = initial_variables(cfg, start_from, shapes) if start_from is not None else None
  shardings = parallel.tree_shardings(shapes, rules, mesh)
  # per-example state (the loss's, and a gradient estimator's such as SAF's past outputs) is sharded like
  # the data on its example axis
  by_example = lambda tree: jax.tree.map(lambda s: parallel.example_sharding(s.shape, task.num_examples, mesh), tree)
  shardings = shardings.replace(grad_state=jax.tree.map(
      lambda s, r: r if r.spec != jax.sharding.PartitionSpec() else s, shardings.grad_state,
      by_example(shapes.grad_state)))
  if task.example_state is not None:
    shardings = shardings.replace(aux=dict(shardings.aux, examples=by_example(shapes.aux["examples"])))
  state = jax.jit(init, out_shardings=shardings)(rng, start)
  return state, shardings


# Fields a relaunch may change without changing what is trained (durations, cadences, bookkeeping).
RESUMABLE_CHANGES = ("steps", "log_every", "eval_every", "checkpoint_every", "keep_checkpoints", "data.prefetch",
                     "data.eval_batch_size", "eval_metrics", "max_skipped_fraction", "paper", "sweep", "variant",
                     "dispatch", "post_training", "diagnostics", "grid", "analysis")


def check_same_run(cfg, workdir: str) -> None:
  """Refuses to continue a workdir trained with a different config: a relaunch resumes its checkpoint,
  so training a changed config there would silently continue the old run (only the fields in
  :data:`RESUMABLE_CHANGES` may change between launches)."""
  import json
  import os
  path = os.path.join(workdir, "config.json")
  if not os.path.exists(path) or not os.path.isdir(os.path.join(workdir, "checkpoints")):
    return
  with open(path) as f:
    old = json.load(f)
  new = json.loads(cfg.to_json_best_effort(sort_keys=True))

  def flat(d, prefix=""):
    out = {}
    for k, v in d.items():
      key = f"{prefix}{k}"
      if isinstance(v, dict):
        out.update(flat(v, key + "."))
      else:
        out[key] = v
    return out

  a, b = flat(old), flat(new)
  allowed = lambda k: any(k == f or k.startswith(f + ".") for f in RESUMABLE_CHANGES)
  diff = sorted(k for k in set(a) | set(b) if not allowed(k) and a.get(k) != b.get(k))
  if diff:
    shown = "; ".join(f"{k}: {a.get(k)!r} -> {b.get(k)!r}" for k in diff[:5])
    raise ValueError(f"workdir {workdir} holds a run of a different config ({shown}"
                     f"{'; ...' if len(diff) > 5 else ''}); a relaunch would resume that run. Use a new workdir.")


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


def chunk_size(default_k: int, *cadences: int) -> int:
  """The largest chunk length <= ``default_k`` that divides every nonzero cadence (log, eval,
  checkpoint), so host events fall on chunk boundaries and every full chunk is one dispatch."""
  g = 0
  for c in cadences:
    if c:
      g = math.gcd(g, int(c))
  if not g:
    return default_k
  return max(d for d in range(1, min(default_k, g) + 1) if g % d == 0)


class _NonfiniteReport:
  """Console lines for skipped updates, at most one per ``every`` seconds."""
  def __init__(self, every: float = 10.0):
    self.every, self.last_time, self.last_count = every, -math.inf, 0

  def __call__(self, step: int, count: int, first: int) -> None:
    if count > self.last_count and time.time() - self.last_time >= self.every and jax.process_index() == 0:
      print(f"warning: {count} update(s) skipped for non-finite loss or gradients by step {step} "
            f"(first at step {first})", file=sys.stderr, flush=True)
      logging.warning("%d non-finite updates skipped by step %d (first at %d)", count, step, first)
      self.last_time, self.last_count = time.time(), count


def _stage_config(cfg, block: dict, where: str, model: dict | None = None):
  """This config with ``block``'s top-level fields replaced (a dict replaces the whole field), no
  auxiliaries, post-training, diagnostics or init; ``model`` replaces the model when given."""
  import ml_collections as mlc
  sub = mlc.ConfigDict(cfg.to_dict())
  if model is not None:
    sub.model = mlc.ConfigDict(dict(model))
  sub.auxiliary, sub.post_training, sub.diagnostics, sub.init = [], [], [], None
  for key, value in block.items():
    if key not in sub:
      raise ValueError(f"{where}: {key!r} is not a config field")
    sub[key] = mlc.ConfigDict(dict(value)) if isinstance(value, dict) else value
  return sub


INIT_KEYS = ("workdir", "train", "transform", "kwargs")


def init_stage_config(cfg):
  """The config of ``config.init``'s first stage: this config with the ``train`` block's fields."""
  sub = _stage_config(cfg, dict(cfg.init.get("train") or {}), "config.init.train")
  sub.lock()
  return sub


def train_init_stage(cfg, workdir: str, progress: bool | None = None) -> str | None:
  """The workdir ``config.init`` starts from: its ``workdir``, or, with a ``train`` block, where that first
  stage is trained (its ``workdir`` when given, shared by every run naming it, else ``<workdir>/init``;
  resumable, file-locked; a finished stage trains nothing). None without ``config.init``."""
  import os
  block = cfg.get("init")
  if not block:
    return None
  block = block.to_dict() if hasattr(block, "to_dict") else dict(block)
  unknown = set(block) - set(INIT_KEYS)
  if unknown or not (block.get("workdir") or block.get("train")):
    raise ValueError(f"config.init needs workdir= (a trained run) or train= (a first stage; with workdir= it "
                     f"trains there, shared by the runs that name it), plus optional transform= and kwargs=; got "
                     f"keys {sorted(block)}")
  if not block.get("train"):
    return os.path.expanduser(block["workdir"])
  src = os.path.expanduser(block.get("workdir") or os.path.join(workdir, "init"))
  if jax.process_index() == 0 and progress is not False:
    print(f"first stage: config.init in {src}", file=sys.stderr, flush=True)
  from lbrl.data.core import file_lock
  os.makedirs(os.path.dirname(os.path.abspath(src)) or ".", exist_ok=True)
  with file_lock(os.path.abspath(src) + ".lock"):
    train(init_stage_config(cfg), src, progress=progress)
  return src


def initial_variables(cfg, source_workdir: str, shapes) -> dict:
  """``{"params", "model_state"}`` this run starts from: the source run's latest checkpoint, mapped by
  ``config.init.transform`` (a :data:`lbrl.registry.PARAM_TRANSFORMS` name, called as
  ``fn(params, source=<source model config>, target=<this model config>, key=<PRNGKey(seed)>, **kwargs)``)
  and checked against this model's parameter shapes. The model state is kept where its shapes match
  this model's (else this model's init)."""
  import json
  import os
  from lbrl.registry import PARAM_TRANSFORMS
  from lbrl.train.checkpoint import read_latest
  loaded = read_latest(source_workdir, "config.init")
  block = cfg.init.to_dict() if hasattr(cfg.init, "to_dict") else dict(cfg.init)
  params, model_state = loaded["params"], loaded["model_state"]
  if block.get("transform"):
    source_model = dict(block["train"].get("model", cfg.model.to_dict())) if block.get("train") else None
    if source_model is None:
      with open(os.path.join(source_workdir, "config.json")) as f:
        source_model = json.load(f)["model"]
    fn = PARAM_TRANSFORMS.get(block["transform"])
    params = fn(params, source=source_model, target=cfg.model.to_dict(), key=jax.random.PRNGKey(int(cfg.seed)),
                **dict(block.get("kwargs") or {}))
  diff = shape_mismatch(params, shapes.params)
  if diff is not None:
    raise ValueError(f"config.init: the parameters from {source_workdir} "
                     f"{'(after ' + repr(block['transform']) + ')' if block.get('transform') else ''} do not match "
                     f"this model's: {diff[0]}: {diff[1]} vs expected {diff[2]}; give a transform "
                     "(config.init.transform) that maps the source model to this one")
  ms_ok = bool(model_state) and shape_mismatch(model_state, shapes.model_state) is None
  return {"params": params, "model_state": model_state if ms_ok else None}


def auxiliary_stage_config(cfg, index: int):
  """The config of ``config.auxiliary[index]``'s first stage: this config with the auxiliary network's
  model (``model_config``, else the student's), no auxiliaries or post-training, cross-entropy unless
  the ``train`` block names a loss, and every other top-level field the ``train`` block gives
  (``steps``, ``optimizer``, ``schedule``, ``seed``, ``data``, ...; a dict replaces the whole field)."""
  import ml_collections as mlc
  aux = dict(cfg.auxiliary[index])
  block = dict(aux.get("train") or {})
  block.setdefault("loss", {"name": "cross_entropy"})
  sub = _stage_config(cfg, block, f"config.auxiliary[{index}].train", dict(aux.get("model_config") or cfg.model.to_dict()))
  opt = sub.optimizer.name
  if opt in OPTIMIZERS and OPTIMIZERS.spec(opt).component_grads and "optimizer" not in block:
    raise ValueError(f"config.auxiliary[{index}].train: the first stage would inherit optimizer {opt!r}, which needs "
                     "a loss with components; give the stage its own optimizer (train=dict(optimizer=...))")
  sub.lock()
  return sub


def train_auxiliary_stages(cfg, workdir: str, progress: bool | None = None):
  """Trains the auxiliary networks that have a ``train`` block (a teacher trained as the first stage of
  this run) in ``<workdir>/<name>_<index>`` unless ``workdir`` is given; a relaunch resumes them (a
  finished stage restores its final checkpoint and trains nothing). Returns ``cfg`` with each such
  auxiliary's ``workdir`` set, for the auxiliary to restore from."""
  import os
  out = auxiliary_workdirs(cfg, workdir)
  if out is cfg:
    return cfg
  from lbrl.data.core import file_lock
  for i, a in enumerate(out.auxiliary):
    if a.get("train"):
      if jax.process_index() == 0 and progress is not False:
        print(f"first stage: config.auxiliary[{i}] ({a.get('name')}) in {a['workdir']}", file=sys.stderr, flush=True)
      # a workdir shared by several runs (one teacher for every seed of a sweep) is trained by one of them
      os.makedirs(os.path.dirname(os.path.abspath(a["workdir"])) or ".", exist_ok=True)
      with file_lock(os.path.abspath(a["workdir"]) + ".lock"):
        train(auxiliary_stage_config(cfg, i), a["workdir"], progress=progress)
  return out


def auxiliary_workdirs(cfg, workdir: str):
  """``cfg`` with the workdir of every auxiliary network that has a first stage (``train`` block) set:
  its own ``workdir``, else ``<workdir>/<name>_<index>`` (where :func:`train_auxiliary_stages` trains it).
  Returns ``cfg`` itself when there is none. For tools that restore a finished run (the analysis kind)."""
  import os
  import ml_collections as mlc
  auxs = [dict(a) for a in (cfg.get("auxiliary", []) or [])]
  if not any(a.get("train") for a in auxs):
    return cfg
  for i, a in enumerate(auxs):
    if a.get("train"):
      a["workdir"] = os.path.expanduser(a.get("workdir") or os.path.join(workdir, f"{a.get('name', 'aux')}_{i}"))
  out = mlc.ConfigDict(cfg.to_dict())
  out.auxiliary = auxs
  out.lock()
  return out


def train(cfg, workdir: str, *, progress: bool | None = None) -> dict[str, Any]:
  """Trains ``cfg`` in ``workdir`` (resuming from its checkpoints) and returns the final metrics (plus
  ``state``, ``task`` and ``meta``: the training split's metadata). Auxiliary networks with a ``train``
  block are trained first (:func:`train_auxiliary_stages`)."""
  validate_config(cfg)
  cfg = train_auxiliary_stages(cfg, workdir, progress)
  mesh = parallel.make_mesh(cfg.mesh.shape, cfg.mesh.axes)
  validate_config(cfg, mesh=mesh)
  train_data, eval_data = load_data(cfg)
  meta = data_meta(cfg, train_data)
  task = build_task(cfg, meta)
  tx, schedule = make_optimizer(cfg, cfg.steps, parametrization=parametrization(cfg))
  rules = parallel.model_rules(cfg.sharding_rules, task.model)
  check_same_run(cfg, workdir)
  fresh = latest_step(f"{workdir}/checkpoints") == 0   # a resumed run restores its own checkpoint instead
  source = train_init_stage(cfg, workdir, progress) if fresh else None
  state, state_shardings = init_state(cfg, task, train_data, mesh, tx, rules, start_from=source)
  write_workdir_record(workdir, cfg, mesh, state.params)
  batch_sharding = parallel.batch_sharding(mesh)
  total, log_every, eval_every, ckpt_every = (int(cfg.steps), int(cfg.log_every), int(cfg.eval_every),
                                              int(cfg.checkpoint_every))
  augment = make_augment(cfg)
  batches = pipeline.TrainBatches(train_data, cfg.data.batch_size, batch_sharding, cfg.seed, augment=augment)
  k = chunk_size(batches.k, log_every, eval_every, ckpt_every)
  if k != batches.k:
    batches = pipeline.TrainBatches(train_data, cfg.data.batch_size, batch_sharding, cfg.seed, steps_per_chunk=k,
                                    augment=augment)

  ckpt = Checkpointer(f"{workdir}/checkpoints", cfg.keep_checkpoints)
  restored, start = ckpt.restore_latest(abstract(state, state_shardings))
  if restored is not None:
    state = restored
    logging.info("resumed from step %d in %s", start, workdir)
    if jax.process_index() == 0 and progress is not False:
      print(f"resumed from step {start} ({workdir}/checkpoints)", file=sys.stderr, flush=True)

  repl = parallel.replicated(mesh)
  step_fn = make_train_step(task, tx, int(cfg.grad_accum_steps))
  example = {key: jax.ShapeDtypeStruct((int(cfg.data.batch_size),) + v.shape[1:], v.dtype)
             for key, v in dict(train_data.arrays, x=train_example_x(cfg, train_data.arrays["x"])).items()}
  example["index"] = jax.ShapeDtypeStruct((int(cfg.data.batch_size),), jnp.int32)
  mode = dispatch_mode(cfg, step_fn, state, example)
  if mode == "chunk":
    run_chunk = jax.jit(make_chunk_step(step_fn, k), in_shardings=(state_shardings, batches.sharding, None, None),
                        out_shardings=(state_shardings, repl), donate_argnums=0)
  else:
    run_one = jax.jit(make_single_step(step_fn), in_shardings=(state_shardings, batches.sharding, None),
                      out_shardings=(state_shardings, repl), donate_argnums=0)

    def run_chunk(state, chunk, lo, hi):  # one dispatch per step; metrics stay on device until a flush
      ms = []
      for i in range(int(lo), int(hi)):
        state, m = run_one(state, chunk, np.int32(i))
        ms.append(m)
      return state, ms
  stages = [dict(s) for s in (cfg.get("post_training", []) or [])]
  eval_step = jax.jit(make_eval_step(task, list(cfg.eval_metrics)))
  writer = MetricWriter(workdir)
  bar = Progress(total, start, enabled=progress)
  report_nonfinite = _NonfiniteReport()
  max_skipped = float(cfg.get("max_skipped_fraction", 0.1))
  window: list = []   # (device metrics, first row, end row) per dispatch
  t_start, t_window = time.time(), time.time()

  def flush(step):
    nonlocal window, t_window
    if not window:
      return {}
    got = jax.device_get([m for m, _, _ in window])  # one transfer per flush, not per dispatch
    rows = np.concatenate([np.concatenate(g) if isinstance(g, list) else g[lo:hi]
                           for g, (_, lo, hi) in zip(got, window)])
    host = [np.mean(col[np.isfinite(col)]) if np.isfinite(col).any() else np.nan for col in rows.T]
    m = {(k if k.startswith("diag/") else f"train/{k}"): float(v)
         for k, v in zip(step_fn.metric_names, host) if np.isfinite(v) or k == "loss"}
    m["train/learning_rate"] = float(schedule(step - 1))
    m["train/steps_per_sec"] = len(rows) / max(time.time() - t_window, 1e-9)
    n_bad, first_bad = (int(x) for x in jax.device_get((state.nonfinite, state.first_nonfinite)))
    m["train/skipped_nonfinite"] = n_bad
    writer.write(step, m)
    bar.update(step, m)
    window, t_window = [], time.time()
    if n_bad:
      report_nonfinite(step, n_bad, first_bad)
    if n_bad and cfg.on_nonfinite == "stop":
      ckpt.wait()
      raise NonFiniteError(f"non-finite loss or gradients at step {first_bad} (update skipped); "
                           f"last finite state is checkpointable. Set on_nonfinite='skip' to continue.")
    if n_bad > max_skipped * total:
      ckpt.wait()
      raise NonFiniteError(
          f"{n_bad} of {step} updates (first at step {first_bad}) were skipped for non-finite loss or "
          f"gradients: more than max_skipped_fraction={max_skipped} of the run's {total} steps; the run "
          "diverged (lower the learning rate, or raise config.max_skipped_fraction)")
    return m

  def next_event(step):
    """The first step after ``step`` at which the host has work (log, eval, checkpoint, the end)."""
    return min([total] + [(step // c + 1) * c for c in (log_every, eval_every, ckpt_every) if c])

  step = start
  with _Sigterm() as term, contextlib.closing(batches.chunks(start, total - start, cfg.data.prefetch)) as stream:
    for c, chunk in stream:
      hi = min((c + 1) * k, total)
      while step < hi:
        stop = min(next_event(step), hi)
        state, m = run_chunk(state, chunk, np.int32(step - c * k), np.int32(stop - c * k))
        window.append((m, step - c * k, stop - c * k) if mode == "chunk" else (m, 0, None))
        step = stop
        if (log_every and step % log_every == 0) or step == total:
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
  final, cal = {}, None
  calibrate = None
  for st in stages:
    name = st.pop("name")
    stage = POST_TRAINING.get(name)(**st)
    cal_data = load_heldout(cfg, stage.split, train_data.meta)
    cal = stage.fit(task, state, cal_data, mesh, cfg)
    calibrate = stage.apply
    final.update({f"post/{name}/{k}": float(v) for k, v in stage.describe(cal).items()})
    final.update(evaluate(cfg, task, eval_step, state, eval_data, mesh, prefix="eval_uncalibrated"))
  if calibrate is not None:
    eval_step = jax.jit(make_eval_step(task, list(cfg.eval_metrics), calibrate))
  final.update(evaluate(cfg, task, eval_step, state, eval_data, mesh, cal=cal))
  final["eval/split"] = eval_data.split
  final["train/skipped_nonfinite"] = int(jax.device_get(state.nonfinite))
  # scale of the run, for scaling-law fits over sweeps: parameters, and target positions (tokens for an
  # LM, examples for a classifier) the optimizer saw
  final["model/params"] = int(sum(int(np.prod(x.shape)) for x in jax.tree.leaves(state.params)))
  label = train_data.arrays["label"]
  per_example = int(np.prod(label.shape[1:])) if np.issubdtype(label.dtype, np.integer) else 1
  used = int(step) * int(cfg.data.batch_size)
  if hasattr(task.estimator, "metrics"):   # an estimator that uses part of each batch says how much
    est = {k: float(v) for k, v in jax.device_get(task.estimator.metrics(state.grad_state)).items()}
    final.update({f"train/estimator/{k}": v for k, v in est.items()})
    used = int(est.get("examples", used))
  final["train/tokens"] = used * per_example
  final["wall_time_sec"] = time.time() - t_start
  writer.write(step, final)
  ckpt.save(step, state, force=True)
  ckpt.wait()
  ckpt.close()
  bar.close(final)
  writer.close()
  final["state"] = state
  final["task"] = task
  final["meta"] = train_data.meta
  return final


def load_heldout(cfg, split: str, train_meta: dict):
  """A held-out split for a post-training stage (not the training or the eval split)."""
  from lbrl.data import core
  for role, other in (("training", cfg.data.split_train), ("eval", cfg.data.split_eval)):
    if core.splits_overlap(split, other):
      raise ValueError(f"config.post_training: split {split!r} overlaps the {role} split {other!r}; a calibration "
                       "map must be fitted on a held-out split (e.g. data.split_train='train[:90%]' and "
                       "split='train[90%:]')")
  data = core.load(cfg.data.name, split, data_dir=cfg.data.data_dir, **dict(cfg.data.options))
  data.check_labels(num_classes=model_num_classes(cfg, train_meta), hint="held-out labels must lie in the model's classes")
  return data
