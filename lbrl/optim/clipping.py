"""Adaptive gradient clipping (Brock, De, Smith and Simonyan, "High-Performance Large-Scale Image
Recognition Without Normalization", 2021, arXiv:2102.06171, slug ``nfnets_agc``) and NFNets' optimizer.

AGC itself is ``optax.adaptive_grad_clip``; lbrl adds the paper's exclusion of the classifier (``optax.masked``)
and the SGD-Nesterov optimizer it is used with.
"""
from __future__ import annotations

import re
from typing import Any

import jax
import jax.numpy as jnp
import optax

from lbrl.optim import _common, descent


def _path(keys) -> str:
  return "/".join(str(getattr(k, "key", getattr(k, "name", getattr(k, "idx", k)))) for k in keys)


def agc(clipping: float = 0.01, eps: float = 1e-3, exclude: str = r"(^|/)head(/|$)") -> optax.GradientTransformation:
  """Adaptive gradient clipping on every parameter whose path does not match ``exclude``.

  ``optax.adaptive_grad_clip(clipping, eps)`` (unit-wise: rows of a Dense kernel's output units, output
  channels of a conv kernel; ``||W||`` floored at ``eps``), wrapped in ``optax.masked`` so that the final
  linear layer (the zoo's ``head``) is not clipped, as Brock et al. (2021, Section 4.1) found necessary.
  ``clipping`` is the paper's ``lambda`` (0.01 at batch 4096 for NFNets; larger at smaller batches).
  """
  if not clipping > 0:
    raise ValueError(f"agc: clipping must be > 0, got {clipping}")
  pattern = re.compile(exclude)

  def mask(params):
    return jax.tree_util.tree_map_with_path(lambda p, _: not pattern.search(_path(p)), params)
  return optax.masked(optax.adaptive_grad_clip(clipping, eps), mask)


def sgd_agc(learning_rate: Any = 0.1, momentum: float = 0.9, nesterov: bool = True, clipping: float = 0.01,
            eps: float = 1e-3, exclude: str = r"(^|/)head(/|$)", weight_decay: float = 0.0, mask: Any = None
            ) -> optax.GradientTransformationExtraArgs:
  """NFNets' optimizer: AGC (:func:`agc`) then SGD with Nesterov momentum 0.9 (coupled weight decay on the
  leaves ``mask`` selects, as ``optax.add_decayed_weights``).

  ``clipping=0`` turns AGC off (the paper's unclipped baseline), the rest unchanged.
  """
  _common.check_nonnegative("clipping", clipping)
  base = descent.sgd(learning_rate, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay, mask=mask)
  if clipping == 0:
    return base
  return _common.checked(optax.chain(agc(clipping, eps, exclude), base))


# ------------------------------------------------------------------------------------- Norm Loss (preprint)
def _unit_norms(w):
  """L2 norm of each output unit's weight vector of a kernel ``[..., fan_in..., out]`` (flax layout): the
  norm over every axis but the last, shape ``[out]``."""
  return jnp.sqrt(jnp.sum(jnp.square(w), axis=tuple(range(w.ndim - 1))))


def norm_loss_value(params, strength: float = 1.0):
  """Norm Loss (Georgiou, Schmitt, Bäck, Chen & Lew, "Preprint: Norm Loss: An efficient yet effective
  regularization method for deep neural networks", 2021, arXiv:2103.06583, slug preprint)::

      L_norm = strength * sum over kernels K, output units i of (1 - ||K_i||_2)^2

  ``K_i`` the weight vector of output unit (filter) ``i``: every kernel leaf with ``ndim >= 2``
  (biases, norm gains and other vectors are not regularised). The soft constraint pulls every filter
  towards the unit sphere (the oblique manifold). lbrl sums over units and kernels; a per-layer average
  instead only rescales ``strength`` (the paper tunes it as the regularisation factor)."""
  leaves = [w for w in jax.tree.leaves(params) if getattr(w, "ndim", 0) >= 2]
  return strength * sum(jnp.sum(jnp.square(1.0 - _unit_norms(jnp.asarray(w, jnp.float32)))) for w in leaves)


def add_norm_loss(strength: float = 1.0) -> optax.GradientTransformation:
  """Adds the gradient of :func:`norm_loss_value` to the updates (before the optimizer, like a coupled L2
  term): for a kernel ``K`` and unit ``i``, ``d/dK_i = -2 * strength * (1 - ||K_i||) * K_i / ||K_i||``."""
  _common.check_nonnegative("strength", strength)

  def grad_leaf(w):
    w32 = jnp.asarray(w, jnp.float32)
    if w32.ndim < 2:
      return jnp.zeros_like(w)
    n = _unit_norms(w32)
    return (-2.0 * strength * (1.0 - n) / jnp.maximum(n, 1e-12) * w32).astype(w.dtype)

  def update(updates, state, params=None):
    if params is None:
      raise ValueError("add_norm_loss needs params (call update(updates, state, params))")
    return jax.tree.map(lambda g, w: g + grad_leaf(w), updates, params), state
  return optax.GradientTransformation(lambda params: optax.EmptyState(), update)


def sgd_norm_loss(learning_rate: Any = 0.1, momentum: float = 0.9, nesterov: bool = False,
                  norm_loss: float = 0.0, weight_decay: float = 0.0, mask: Any = None
                  ) -> optax.GradientTransformationExtraArgs:
  """SGD with momentum plus Norm Loss (:func:`add_norm_loss`, ``norm_loss`` is the paper's ``lambda``; the
  authors use it in place of weight decay on the kernels) and optional coupled weight decay."""
  _common.check_nonnegative("norm_loss", norm_loss)
  base = descent.sgd(learning_rate, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay, mask=mask)
  # always chained (lambda = 0 adds exactly 0), so that norm_loss can be injected as a hyperparameter
  return _common.checked(optax.chain(add_norm_loss(norm_loss), base))
