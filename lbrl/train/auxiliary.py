"""Auxiliary networks kept in the train state beside the trained one: an EMA target and a frozen teacher.

``config.auxiliary = [dict(name="ema", decay=0.996), ...]`` (names declared in
:data:`lbrl.registry.TARGETS`). Each entry gives the loss one more keyword, its outputs on the batch
(under ``stop_gradient``): ``target_outputs`` for ``ema``, ``teacher_outputs`` for ``teacher``; the
loss declares it in ``LossSpec.needs``. Their state lives in ``TrainState.aux["networks"][keyword]``,
is sharded like the parameters and checkpointed with them, so a resumed run continues the same target.

The contract (what a new kind of auxiliary network implements):

* ``keyword``: the loss keyword that receives its outputs;
* ``load(mesh)``: host-side preparation before the state is built (a teacher reads its checkpoint);
* ``init(params, model_state, loaded) -> state``: traced inside the sharded init;
* ``outputs(state, x)``: its outputs on the batch's inputs;
* ``update(state, params, model_state, step) -> state``: after each optimizer update.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np


def ema_decay(step, decay: float, schedule: str, total_steps: int):
  """The EMA coefficient ``tau`` at ``step``: constant ``decay``, or BYOL's cosine increase
  ``tau_k = 1 - (1 - decay) (cos(pi k / K) + 1) / 2`` from ``decay`` to 1 over ``K = total_steps``
  (Grill et al. 2020, arXiv:2006.07733, section 3.2)."""
  if schedule == "constant":
    return jnp.asarray(decay, jnp.float32)
  k = jnp.minimum(jnp.asarray(step, jnp.float32), total_steps)
  return 1.0 - (1.0 - decay) * (jnp.cos(jnp.pi * k / total_steps) + 1.0) / 2.0


@dataclasses.dataclass
class EmaTarget:
  """A target network ``xi <- tau xi + (1 - tau) theta`` after every update (BYOL, mean teacher,
  momentum encoders): the same model as the trained one, evaluated with ``train=False``; its
  non-parameter state (BatchNorm statistics) is copied from the online network.

  decay: ``tau`` (BYOL: 0.996; mean teacher, Tarvainen & Valpola 2017: 0.99-0.999). ``decay=0`` makes
    the target a stop-gradient copy of the online network (BYOL's "no EMA" ablation).
  schedule: ``constant`` or ``cosine`` (BYOL's increase of ``tau`` to 1 over training).
  apply_kwargs: keyword arguments of the target's ``model.apply`` (default none: the model's default
    output). BYOL's target gives projections without the predictor:
    ``dict(return_embeddings=True, use_predictor=False)`` with :class:`lbrl.models.ssl.SSLNet`.
  """
  model: Any
  total_steps: int
  decay: float = 0.996
  schedule: str = "constant"
  keyword: str = "target_outputs"
  apply_kwargs: dict = dataclasses.field(default_factory=dict)

  def __post_init__(self):
    if not 0.0 <= float(self.decay) <= 1.0:
      raise ValueError(f"config.auxiliary ema: decay must be in [0, 1], got {self.decay}")
    if self.schedule not in ("constant", "cosine"):
      raise ValueError(f"config.auxiliary ema: schedule must be 'constant' or 'cosine', got {self.schedule!r}")

  def load(self, mesh):
    return None

  def init(self, params, model_state, loaded):
    return {"params": params, "model_state": model_state}

  def outputs(self, state, x):
    return self.model.apply({"params": state["params"], **state["model_state"]}, x, train=False,
                            **self.apply_kwargs)

  def update(self, state, params, model_state, step):
    tau = ema_decay(step, self.decay, self.schedule, max(int(self.total_steps), 1))
    new = jax.tree.map(lambda t, p: (tau * t + (1.0 - tau) * p).astype(t.dtype), state["params"], params)
    return {"params": new, "model_state": model_state}


def ema_target(*, cfg, meta, model, decay: float = 0.996, schedule: str = "constant",
               apply_kwargs: dict | None = None):
  return EmaTarget(model, int(cfg.steps), float(decay), schedule, apply_kwargs=dict(apply_kwargs or {}))


@dataclasses.dataclass
class FrozenTeacher:
  """A trained network whose outputs the loss uses (knowledge distillation), never updated.

  Its parameters are restored from the latest checkpoint of another run's ``workdir`` (a teacher
  trained by lbrl with the given ``model`` settings). Only its ``params`` and ``model_state`` are read.
  """
  model: Any
  workdir: str
  keyword: str = "teacher_outputs"

  def load(self, mesh):
    from lbrl.train.checkpoint import read_latest
    return read_latest(os.path.expanduser(self.workdir), "config.auxiliary teacher")

  def init(self, params, model_state, loaded):
    if loaded is None:
      raise ValueError("FrozenTeacher.init needs the restored teacher (call load first)")
    return jax.tree.map(jnp.asarray, loaded)

  def outputs(self, state, x):
    return self.model.apply({"params": state["params"], **state["model_state"]}, x, train=False)

  def update(self, state, params, model_state, step):
    return state


def frozen_teacher(*, cfg, meta, model, workdir: str, model_config: dict | None = None,
                   keyword: str = "teacher_outputs"):
  """``dict(name="teacher", workdir=..., model_config=dict(name=..., ...))``; without ``model_config``
  the teacher has the student's architecture. ``keyword``: the loss keyword of its outputs (default
  ``teacher_outputs``; a second teacher takes another ``<name>_outputs``, e.g. ``robust_teacher_outputs``
  for multi-teacher distillation)."""
  if not keyword.endswith("_outputs"):
    raise ValueError(f"config.auxiliary teacher: keyword must end in '_outputs', got {keyword!r}")
  teacher_model = model
  if model_config:
    from lbrl.train.trainer import build_model  # the same builder as the student's
    import ml_collections as mlc
    sub = mlc.ConfigDict({"model": dict(model_config), "dtype": dict(cfg.dtype)})
    teacher_model = build_model(sub, meta)
  return FrozenTeacher(teacher_model, workdir, keyword)

