"""Optimizers for distillation (catalog family KD).

* :func:`dot` -- Zhao, Cui, Song and Liang, "DOT: A Distillation-Oriented Trainer" (ICCV 2023,
  arXiv:2307.08436, slug ``dot``): SGD with separate momentum buffers for the task loss's and the
  distillation loss's gradients, the distillation one heavier.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from lbrl.optim import _common


class DotState(NamedTuple):
  count: jax.Array
  task_trace: Any      # float32, like params
  distill_trace: Any


def dot(learning_rate: optax.ScalarOrSchedule, momentum: float = 0.9, delta: float = 0.075,
        weight_decay: float = 0.0, mask: Any = None, task: str = "task", distill: str = "distill"
        ) -> optax.GradientTransformationExtraArgs:
  """DOT: momentum ``momentum - delta`` on the task gradient, ``momentum + delta`` on the distillation one.

  With ``g_task``, ``g_kd`` the gradients of the loss's ``task`` and ``distill`` components::

      b_task <- (momentum - delta) * b_task + g_task + weight_decay * params
      b_kd   <- (momentum + delta) * b_kd   + g_kd
      params <- params - lr * (b_task + b_kd)

  as in the authors' ``DistillationOrientedTrainer`` (megvii-research/mdistiller, ``engine/dot.py``):
  coupled (L2) weight decay on the task gradient (on the leaves ``mask`` selects, as
  ``optax.add_decayed_weights``), no dampening, each buffer starting from its first gradient (the
  first update is ``-lr * (g_task + g_kd)``, as torch's SGD). Defaults are the paper's (momentum 0.9,
  delta 0.075). ``delta = 0`` is SGD with momentum on the summed gradient (tested).

  The update needs both gradients: it takes ``component_grads={task: tree, distill: tree}`` as an extra
  argument. lbrl's trainer supplies it for a loss declared with ``LossSpec.components`` (e.g.
  ``kd_components``, which returns the task and distillation terms separately) because this optimizer is
  declared with ``component_grads=True``. The summed gradient (the first argument) is only checked
  against ``params``: clipping or other transforms chained before DOT do not reach the components.

  Example::

    tx = dot(0.05)
    updates, state = tx.update(g, state, params, component_grads={"task": g_ce, "distill": g_kd})
  """
  _common.check_learning_rate(learning_rate)
  _common.check_nonnegative("weight_decay", weight_decay)
  m, d = _common.concrete(momentum), _common.concrete(delta)
  if m is not None and d is not None and not (0.0 <= m - d and m + d < 1.0):
    raise ValueError(f"dot: momentum -/+ delta must lie in [0, 1), got momentum={momentum}, delta={delta}")

  def init(params):
    return DotState(jnp.zeros((), jnp.int32), _common.zeros_f32(params), _common.zeros_f32(params))

  def update(updates, state, params=None, *, component_grads=None, **extra):
    del extra
    _common.check_same_tree(updates, params)
    if component_grads is None or set(component_grads) != {task, distill}:
      got = None if component_grads is None else sorted(component_grads)
      raise ValueError(f"dot: needs component_grads with keys {{{task!r}, {distill!r}}} (the gradients of a loss "
                       f"with those components, e.g. kd_components); got {got}")
    for key in (task, distill):
      _common.check_same_tree(component_grads[key], updates, f"component_grads[{key!r}] vs updates")
    g_task = jax.tree.map(_common.f32, component_grads[task])
    if params is not None:
      decay = _common.masked_decay(weight_decay, mask, params)
      g_task = jax.tree.map(lambda g, p, w: g + w * _common.f32(p), g_task, params, decay)
    elif _common.concrete(weight_decay) != 0.0:
      raise ValueError("dot: weight_decay needs params")
    t = jax.tree.map(lambda b, g: (momentum - delta) * b + g, state.task_trace, g_task)
    k = jax.tree.map(lambda b, g: (momentum + delta) * b + _common.f32(g), state.distill_trace,
                     component_grads[distill])
    lr = _common.lr_at(learning_rate, state.count)
    new = jax.tree.map(lambda a, b, u: (-lr * (a + b)).astype(u.dtype), t, k, updates)
    return new, DotState(optax.safe_increment(state.count), t, k)

  return optax.GradientTransformationExtraArgs(init, update)
