"""perpGrad (⊥Grad): drop the gradient component along the current weights.

Past the point of fitting the training set, the gradient of a softmax cross-entropy aligns with the
"naive loss minimisation" direction: scaling the weights up along themselves, which only sharpens the
logits (and, in float32, leads to Softmax Collapse). perpGrad removes that component:

    g_perp = g - (<g, w> / <w, w>) w

per parameter tensor (``per_leaf=True``, the default) or for the whole parameter vector. A leaf whose
weights are all zero is left unchanged. With ``rescale=True`` (the default, as in the authors' released
``OrthoGrad``, which produced the paper's figures) the projected gradient is then scaled back to the norm
of the original one, ``g_perp * ||g|| / ||g_perp||``, per tensor (or globally with ``per_leaf=False``);
``rescale=False`` is the bare projection of the paper's equation. Chain it before the optimiser:
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


def _total(fn, *trees):
  return sum(jax.tree.leaves(jax.tree.map(fn, *trees)), jnp.float32(0))


def perpgrad(per_leaf: bool = True, rescale: bool = True, eps: float = 1e-30) -> optax.GradientTransformation:
  """Projects updates onto the orthogonal complement of the parameters (needs ``params``); with
  ``rescale`` the projection keeps the norm of the incoming update (per leaf, or globally)."""

  def init_fn(params):
    del params
    return PerpGradState()

  def project(g, w, gw, ww):
    c = jnp.where(ww > eps, gw / jnp.maximum(ww, eps), 0.0)
    return g.astype(jnp.float32) - c * w.astype(jnp.float32)

  def ratio(gg, pp):
    """``||g|| / ||g_perp||``; 1 when rescaling is off or when ``||g_perp|| <= 32 eps_f32 ||g||``, where the
    projection is rounding error (a gradient along ``w``): scaling that noise up to ``||g||`` would be a
    random step (the released code does; real gradients are never that close to parallel)."""
    if not rescale:
      return jnp.float32(1)
    ok = pp > (32 * float(jnp.finfo(jnp.float32).eps)) ** 2 * gg
    return jnp.where(ok, jnp.sqrt(gg) / jnp.sqrt(jnp.where(ok, pp, 1.0)), 1.0)

  def update_fn(updates, state, params=None):
    if params is None:
      raise ValueError("perpgrad: update() needs params (the projection is onto the weights' complement)")
    if per_leaf:
      def leaf(g, w):
        p = project(g, w, _dot(g, w), _dot(w, w))
        return (ratio(_dot(g, g), jnp.sum(p * p)) * p).astype(g.dtype)
      return jax.tree.map(leaf, updates, params), state
    gw, ww = _total(_dot, updates, params), _total(_dot, params, params)
    perp = jax.tree.map(lambda g, w: project(g, w, gw, ww), updates, params)
    r = ratio(_total(_dot, updates, updates), _total(_dot, perp, perp))
    return jax.tree.map(lambda p, g: (r * p).astype(g.dtype), perp, updates), state

  return optax.GradientTransformation(init_fn, update_fn)


def perpgrad_optimizer(inner: optax.GradientTransformation, per_leaf: bool = True, rescale: bool = True,
                       ) -> optax.GradientTransformationExtraArgs:
  """``optax.chain(perpgrad(per_leaf, rescale), inner)``: ``inner`` (an optax transform, e.g.
  ``lbrl.optim.adamw(1e-3, weight_decay=0.0)``) runs on the projected gradient.

  Registered as the optimizer ``perpgrad``; a config names the inner optimizer instead
  (``optimizer=dict(name="perpgrad", inner="adamw", learning_rate=1e-3, inner_kwargs=dict(weight_decay=0.0))``),
  which :mod:`lbrl.train.optimizer` resolves to a transform before calling this.
  """
  from lbrl.optim import _common as C  # pylint: disable=import-outside-toplevel
  inner = C.check_transform("inner", inner)
  return C.checked(optax.chain(perpgrad(per_leaf=per_leaf, rescale=rescale), inner))
