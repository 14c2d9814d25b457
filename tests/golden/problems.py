"""The JAX side of the recorded references: the loss formulas of ``_torch_common.py`` (Flax layout),
the ``.npz`` loader and a float64 trajectory runner for an optax transform.

The problems are float64 (``jax.enable_x64``); lbrl's optimizer state stays float32 as always, so the
tolerance (1e-5) covers float32 state against torch's float64 state.
"""
from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import numpy as np
import optax

HERE = os.path.dirname(__file__)
TOL = 1e-5


def load(name: str) -> dict:
  with np.load(os.path.join(HERE, name)) as f:
    return {k: f[k] for k in f.files}


def problem(npz: dict, name: str):
  data = {k.split("/")[-1]: v for k, v in npz.items() if k.startswith(f"{name}/data/")}
  init = {k.split("/")[-1]: v for k, v in npz.items() if k.startswith(f"{name}/init/")}
  return data, init


def reference(npz: dict, case: str) -> dict:
  return {k.split("/")[-1]: v for k, v in npz.items() if k.startswith(f"{case}/traj/")}


def mlp_loss(data):
  x, y = jnp.asarray(data["x"]), jnp.asarray(data["y"])

  def loss(p):
    h = jnp.tanh(x @ p["w1"] + p["b1"])
    return jnp.mean((h @ p["w2"] + p["b2"] - y) ** 2)
  return loss


def scale_invariant_loss(data):
  x, patches, y = (jnp.asarray(data[k]) for k in ("x", "patches", "y"))

  def loss(p):
    vn = p["v"] / jnp.linalg.norm(p["v"], axis=0, keepdims=True)
    k = p["k"]
    kn = k / jnp.sqrt(jnp.sum(k * k, axis=(0, 1, 2), keepdims=True))
    h = jnp.tanh(x @ vn)
    z = jnp.tanh(patches @ kn.reshape(12, 4))
    return jnp.mean((jnp.concatenate([h, z], axis=1) @ p["w2"] + p["b2"] - y) ** 2)
  return loss


LOSSES = {"mlp": mlp_loss, "scale_invariant": scale_invariant_loss}


def run(tx: optax.GradientTransformation, loss, init: dict, steps: int, state_fn=None, two_pass=False):
  """float64 trajectory {name: [steps, ...]} of ``tx`` on ``loss`` from ``init`` (call under x64)."""
  params = {k: jnp.asarray(v, jnp.float64) for k, v in init.items()}
  state = tx.init(params)
  if state_fn is not None:
    state = state_fn(state)
  grad = jax.grad(loss)
  extra = {"grad_fn": lambda p, i: grad(p)} if two_pass else {}
  traj = {k: [] for k in params}

  @jax.jit
  def step(params, state):
    u, state = tx.update(grad(params), state, params, **extra)
    return optax.apply_updates(params, u), state

  for _ in range(steps):
    params, state = step(params, state)
    for k in params:
      traj[k].append(np.asarray(params[k]))
  return {k: np.stack(v) for k, v in traj.items()}


def max_deviation(got: dict, want: dict) -> float:
  assert set(got) == set(want), (sorted(got), sorted(want))
  return max(float(np.max(np.abs(got[k] - want[k]))) for k in want)
