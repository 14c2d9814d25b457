"""perpGrad (⊥Grad): drop the gradient component along the current weights.

Past the point of fitting the training set, the gradient of a softmax cross-entropy aligns with the
"naive loss minimisation" direction: scaling the weights up along themselves, which only sharpens the
logits (and, in float32, leads to Softmax Collapse). perpGrad removes that component:

    g_perp = g - (<g, w> / <w, w>) w

per parameter tensor (``per_leaf=True``, the default) or for the whole parameter vector. A leaf whose
weights are all zero is left unchanged. Chain it before the optimiser:
``optax.chain(perpgrad(), optax.adamw(1e-3, weight_decay=0.0))``.

Paper: Prieto et al., "Grokking at the Edge of Numerical Stability", ICLR 2025, arXiv:2501.04697
(catalog slug ``stablemax``).
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax


class PerpGradState(NamedTuple):
  """perpGrad is stateless."""


def _dot(a, b):
  return jnp.sum(a.astype(jnp.float32) * b.astype(jnp.float32))


def perpgrad(per_leaf: bool = True, eps: float = 1e-30) -> optax.GradientTransformation:
  """Projects updates onto the orthogonal complement of the parameters (needs ``params``)."""

  def init_fn(params):
    del params
    return PerpGradState()

  def update_fn(updates, state, params=None):
    if params is None:
      raise ValueError("perpgrad: update() needs params (the projection is onto the weights' complement)")
    if per_leaf:
      def project(g, w):
        ww = _dot(w, w)
        coef = jnp.where(ww > eps, _dot(g, w) / jnp.maximum(ww, eps), 0.0)
        return (g.astype(jnp.float32) - coef * w.astype(jnp.float32)).astype(g.dtype)
      return jax.tree.map(project, updates, params), state
    gw = sum(jax.tree.leaves(jax.tree.map(_dot, updates, params)), jnp.float32(0))
    ww = sum(jax.tree.leaves(jax.tree.map(_dot, params, params)), jnp.float32(0))
    coef = jnp.where(ww > eps, gw / jnp.maximum(ww, eps), 0.0)
    out = jax.tree.map(lambda g, w: (g.astype(jnp.float32) - coef * w.astype(jnp.float32)).astype(g.dtype),
                       updates, params)
    return out, state

  return optax.GradientTransformation(init_fn, update_fn)


def perpgrad_optimizer(learning_rate=1e-3, inner: str = "adam", per_leaf: bool = True,
                       inner_kwargs=None) -> optax.GradientTransformationExtraArgs:
  """``optax.chain(perpgrad(per_leaf), <registered optimizer inner>(learning_rate, **inner_kwargs))``.

  Registered as the optimizer ``perpgrad`` (config: ``optimizer=dict(name="perpgrad", inner="adamw",
  learning_rate=1e-3, inner_kwargs=dict(weight_decay=0.0))``).
  """
  from lbrl.registry import OPTIMIZERS  # pylint: disable=import-outside-toplevel
  inner_tx = OPTIMIZERS.get(inner)(learning_rate=learning_rate, **dict(inner_kwargs or {}))
  return optax.chain(perpgrad(per_leaf=per_leaf), inner_tx)


def _register():
  from lbrl.registry import OPTIMIZERS  # pylint: disable=import-outside-toplevel
  if "perpgrad" not in OPTIMIZERS:
    OPTIMIZERS.register("perpgrad", perpgrad_optimizer)


_register()
