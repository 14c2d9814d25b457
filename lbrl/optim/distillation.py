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


class DotState(NamedTuple):
  count: jax.Array
  task_trace: Any
  distill_trace: Any


def dot(learning_rate: optax.ScalarOrSchedule, momentum: float = 0.9, delta: float = 0.075,
        weight_decay: float = 0.0, task: str = "task", distill: str = "distill"
        ) -> optax.GradientTransformationExtraArgs:
  """DOT: momentum ``momentum - delta`` on the task gradient, ``momentum + delta`` on the distillation one.

  With ``g_task``, ``g_kd`` the gradients of the loss's ``task`` and ``distill`` components::

      b_task <- (momentum - delta) * b_task + g_task + weight_decay * params
      b_kd   <- (momentum + delta) * b_kd   + g_kd
      params <- params - lr * (b_task + b_kd)

  as in the authors' ``DistillationOrientedTrainer`` (megvii-research/mdistiller, ``engine/dot.py``):
  coupled (L2) weight decay on the task gradient, no dampening, each buffer starting from its first
  gradient (the first update is ``-lr * (g_task + g_kd)``, as torch's SGD). Defaults are the paper's
  (momentum 0.9, delta 0.075). ``delta = 0`` is SGD with momentum on the summed gradient.

  The update needs both gradients: it takes ``component_grads={task: tree, distill: tree}`` as an extra
  argument. lbrl's trainer supplies it for a loss declared with ``LossSpec.components`` (e.g.
  ``kd_components``, which returns the task and distillation terms separately) because this optimizer is
  declared with ``component_grads=True``; the summed gradient (the first argument) is not used.

  Example::

    tx = dot(0.05)
    updates, state = tx.update(g, state, params, component_grads={"task": g_ce, "distill": g_kd})
  """
  if not (0.0 <= momentum - delta and momentum + delta < 1.0):
    raise ValueError(f"dot: momentum +- delta must lie in [0, 1), got momentum={momentum}, delta={delta}")
  if weight_decay < 0:
    raise ValueError(f"dot: weight_decay must be >= 0, got {weight_decay}")
  lr = learning_rate if callable(learning_rate) else (lambda _: learning_rate)

  def init(params):
    zeros = jax.tree.map(jnp.zeros_like, params)
    return DotState(jnp.zeros((), jnp.int32), zeros, jax.tree.map(jnp.zeros_like, params))

  def update(updates, state, params=None, *, component_grads=None, **extra):
    del updates, extra
    if component_grads is None or set(component_grads) != {task, distill}:
      raise ValueError(f"dot: needs component_grads with keys {{{task!r}, {distill!r}}} (a loss with those "
                       f"components, e.g. kd_components); got {None if component_grads is None else sorted(component_grads)}")
    if weight_decay and params is None:
      raise ValueError("dot: weight_decay needs params")
    g_task = component_grads[task]
    if weight_decay:
      g_task = jax.tree.map(lambda g, p: g + weight_decay * p, g_task, params)
    t = jax.tree.map(lambda b, g: (momentum - delta) * b + g, state.task_trace, g_task)
    k = jax.tree.map(lambda b, g: (momentum + delta) * b + g, state.distill_trace, component_grads[distill])
    step = -lr(state.count)
    new = jax.tree.map(lambda a, b: (step * (a + b)).astype(a.dtype), t, k)
    return new, DotState(optax.safe_increment(state.count), t, k)

  return optax.GradientTransformationExtraArgs(init, update)
