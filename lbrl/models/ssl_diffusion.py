"""A small DDPM denoiser for 1-D signals whose hidden representation can carry the Dispersive Loss
(catalog slug ``diffuse_and_disperse``).

    x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps,   t ~ U{0..T-1}, eps ~ N(0, I)     (DDPM forward process)
    h   = the output of hidden block ``disperse_block`` of an MLP conditioned on a sinusoidal embedding of t
    eps_hat = the MLP's output                                                         (epsilon prediction)

Linear beta schedule from ``beta_start`` to ``beta_end`` over ``timesteps`` (Ho et al. 2020 use 1e-4 to
0.02 over 1,000 steps; the defaults 1e-4 to 0.04 over 200 keep abar_T near 0.02 with fewer steps).
In training, t and eps come from the ``dropout`` rng; in evaluation from a fixed key, so the eval loss
is the same draw for every run. Call with ``return_embeddings=True`` (what the loss consumes):
``{"embeddings": h [B, H], "prediction": eps_hat, "noise": eps}``; ``return_features=True``: h of the
clean input at t = 0. :func:`ddim_sample` draws samples (DDIM, eta = 0).

Reference for the regulariser: R. Wang, K. He, "Diffuse and Disperse: Image Generation with
Representation Regularization", 2025, arXiv:2506.09027; DDPM: J. Ho, A. Jain, P. Abbeel, 2020,
arXiv:2006.11239; DDIM: J. Song, C. Meng, S. Ermon, 2020, arXiv:2010.02502.
"""
from __future__ import annotations

import math
from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np


def linear_schedule(timesteps: int, beta_start: float, beta_end: float) -> np.ndarray:
  """``abar_t`` for t = 0..T-1 (float64)."""
  if timesteps < 2 or not 0 < beta_start < beta_end < 1:
    raise ValueError(f"linear_schedule: need timesteps >= 2 and 0 < beta_start < beta_end < 1, got "
                     f"{timesteps}, {beta_start}, {beta_end}")
  return np.cumprod(1.0 - np.linspace(beta_start, beta_end, timesteps))


def time_embedding(t, dim: int):
  half = dim // 2
  f = jnp.exp(-math.log(10000.0) * jnp.arange(half) / half)
  a = jnp.asarray(t, jnp.float32)[:, None] * f[None]
  return jnp.concatenate([jnp.sin(a), jnp.cos(a)], -1)


class DispersiveDenoiser(nn.Module):
  """See the module docstring. Defaults: hidden (256, 256, 256), disperse_block 1 (the middle block),
  200 timesteps, betas 1e-4 to 0.04."""
  hidden: Sequence[int] = (256, 256, 256)
  disperse_block: int = 1
  timesteps: int = 200
  beta_start: float = 1e-4
  beta_end: float = 0.04

  @nn.compact
  def denoise(self, x_t, t):
    """(eps_hat [B, L], h [B, H]) of noisy inputs ``x_t`` at integer steps ``t``."""
    if not 0 <= self.disperse_block < len(self.hidden):
      raise ValueError(f"DispersiveDenoiser.disperse_block must index hidden (len {len(self.hidden)}), got "
                       f"{self.disperse_block}")
    temb = time_embedding(t, 64)
    h, rep = x_t, None
    for i, w in enumerate(self.hidden):
      h = nn.silu(nn.Dense(w, name=f"dense_{i}")(h) + nn.Dense(w, name=f"time_{i}")(temb))
      if i == self.disperse_block:
        rep = h
    return nn.Dense(x_t.shape[-1], name="out")(h), rep

  def __call__(self, x, *, train: bool = False, return_embeddings: bool = False, return_features: bool = False,
               use_predictor: bool = True):
    x0 = jnp.asarray(x, jnp.float32).reshape(x.shape[0], -1)
    b = x0.shape[0]
    if return_features:
      return self.denoise(x0, jnp.zeros((b,), jnp.int32))[1]
    abar = jnp.asarray(linear_schedule(self.timesteps, self.beta_start, self.beta_end), jnp.float32)
    key = self.make_rng("dropout") if (train and self.has_rng("dropout")) else jax.random.PRNGKey(0)
    kt, ke = jax.random.split(key)
    t = jax.random.randint(kt, (b,), 0, self.timesteps)
    eps = jax.random.normal(ke, x0.shape)
    a = abar[t][:, None]
    eps_hat, h = self.denoise(jnp.sqrt(a) * x0 + jnp.sqrt(1.0 - a) * eps, t)
    return {"embeddings": h, "prediction": eps_hat, "noise": eps}


def ddim_sample(model: DispersiveDenoiser, params, key, num: int, length: int, steps: int = 50) -> jax.Array:
  """``num`` samples ``[num, length]`` by deterministic DDIM (eta = 0) over ``steps`` evenly spaced t."""
  abar = jnp.asarray(linear_schedule(model.timesteps, model.beta_start, model.beta_end), jnp.float32)
  ts = np.linspace(model.timesteps - 1, 0, steps).round().astype(int)
  x = jax.random.normal(key, (num, length))
  eps_fn = jax.jit(lambda x, t: model.apply({"params": params}, x, jnp.full((num,), t), method=model.denoise)[0])
  for i, t in enumerate(ts):
    e = eps_fn(x, int(t))
    a = abar[t]
    x0 = (x - jnp.sqrt(1 - a) * e) / jnp.sqrt(a)
    a_prev = abar[ts[i + 1]] if i + 1 < len(ts) else jnp.float32(1.0)
    x = jnp.sqrt(a_prev) * x0 + jnp.sqrt(1 - a_prev) * e
  return x
