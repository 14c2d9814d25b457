"""Normalize-and-Project's weight projection (Lyle, Zheng, Khetarpal, Martens, van Hasselt, Pascanu & Dabney,
"Normalization and effective learning rates in reinforcement learning", NeurIPS 2024, arXiv:2407.01800, slug
normalization_effective_learning_rates).

In a network whose pre-activations are normalised (NaP inserts a LayerNorm before each nonlinearity: the zoo's
``MLP(norm="layer")``), the output is invariant to the scale of each weight matrix, and an optimizer step of
size ``eta`` on a matrix of norm ``||W||`` moves its direction by ``~ eta / ||W||`` (SGD: ``eta / ||W||^2``):
as training grows the parameter norm, the *effective* learning rate decays. NaP makes it explicit by
projecting every weight matrix back to the norm it had at initialisation after each optimizer step::

    W <- W * ||W_0|| / ||W||          (Frobenius norm, per weight matrix)

so the effective learning rate is the schedule's. :func:`nap_projection` is that step as an optax transform
chained after the optimizer (the update it returns takes ``W`` to the projected ``W + u``; the initial norms
are its state); :func:`nap` wraps a base optimizer with it (registered as the optimizer ``nap``:
``optimizer=dict(name="nap", base="adam", learning_rate=1e-3)``).

lbrl's choices where the paper leaves room: the projected leaves are the ``kernel`` s (every dense/conv weight
matrix, the output layer included); biases and the LayerNorm scale and offset are left to the optimizer (the
paper discusses constraining them separately; not done here).
"""
from __future__ import annotations

import re
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from lbrl.optim import _common as C


def _path(keys) -> str:
  return "/".join(str(getattr(k, "key", getattr(k, "name", getattr(k, "idx", k)))) for k in keys)


class NaPState(NamedTuple):
  norms: Any   # per-leaf initial Frobenius norm (0-d arrays; 0 for leaves that are not projected)


def nap_projection(include: str = r"(^|/)kernel$") -> optax.GradientTransformation:
  """Projects each parameter whose path matches ``include`` onto the sphere of its initial Frobenius norm after
  the update: returns ``u' = (w + u) * n_0 / ||w + u|| - w`` for those leaves, ``u`` for the others."""
  pattern = re.compile(include)

  def init_fn(params):
    def one(path, w):
      if pattern.search(_path(path)):
        return jnp.linalg.norm(jnp.asarray(w, jnp.float32).ravel())
      return jnp.zeros((), jnp.float32)
    return NaPState(norms=jax.tree_util.tree_map_with_path(one, params))

  def update_fn(updates, state, params=None):
    if params is None:
      raise ValueError("nap_projection: update() needs params (the projection acts on the weights)")

    def leaf(path, u, w, n0):
      if not pattern.search(_path(path)):
        return u
      new = jnp.asarray(w, jnp.float32) + jnp.asarray(u, jnp.float32)
      n = jnp.linalg.norm(new.ravel())
      projected = new * (n0 / jnp.maximum(n, 1e-30))
      return (projected - jnp.asarray(w, jnp.float32)).astype(u.dtype)

    return jax.tree_util.tree_map_with_path(leaf, updates, params, state.norms), state

  return optax.GradientTransformation(init_fn, update_fn)


def nap(base: optax.GradientTransformation, include: str = r"(^|/)kernel$") -> optax.GradientTransformationExtraArgs:
  """``optax.chain(base, nap_projection(include))``: the base optimizer's step, then NaP's projection."""
  base = C.check_transform("base", base)
  return C.checked(optax.chain(base, nap_projection(include)))
