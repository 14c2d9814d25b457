"""Low-rank optimizer state: FRUGAL and Fira, with the GaLore-style low-rank-only update as baseline.

All three share one projector: for each selected matrix G (m x n; a conv kernel is viewed as
[prod(leading axes), out]) an orthonormal basis P of the top-r singular vectors of the current
gradient is recomputed every ``update_gap`` steps (step 0, gap, 2 gap, ...), on the shorter side:
  m >= n:  P = V[:, :r] (n x r),  R = G P (m x r),  back(X) = X P^T
  m <  n:  P = U[:, :r] (m x r),  R = P^T G (r x n), back(X) = P X
Adam runs on R only (state 2 |R| + |P| floats instead of 2 m n), giving psi(R) = m^/(sqrt(v^)+eps).
They differ in what they do with the residual G - back(R), the part of the gradient outside the
subspace:
  galore : update = scale * back(psi(R))                                  (residual dropped)
  frugal : update = back(psi(R)) + free_scale * sign(G - back(R))         (state-free signSGD)
  fira   : update = scale * back(psi(R)) + limit(phi(R) * (G - back(R)))  (norm-based scaling)
Parameters not selected (vectors by default) get full Adam. Accumulators are float32. Works with
parameters sharded over a mesh: the SVD and matmuls are ordinary jitted ops that XLA partitions.
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lbrl.optim import _common as C

MODES = ("galore", "frugal", "fira")


class LowRankState(NamedTuple):
  """The low-rank optimizers' state (float32 except ``count``):

  count:          int32 step t.
  proj:           per leaf, the [k, r] basis P (a scalar placeholder for full-Adam leaves).
  mu, nu:         per leaf, Adam's first and second moments of R (of the full gradient for full-Adam
                  leaves).
  residual_norm:  per leaf, the norm of the previous step's scaled residual S_{t-1} (Fira's limiter;
                  0 before the first step).
  """
  count: jax.Array
  proj: Any
  mu: Any
  nu: Any
  residual_norm: Any


class _Meta(NamedTuple):
  m: int
  n: int
  r: int
  right: bool


def _matrix_shape(shape) -> tuple[int, int]:
  return int(np.prod(shape[:-1])), int(shape[-1])


def _resolve_mask(mask, params):
  if mask is None:
    return jax.tree.map(lambda p: p.ndim >= 2, params)
  if callable(mask):
    return mask(params)
  return mask


def _metas(params, mask, rank, rank_fraction):
  """Per-leaf _Meta (or None for full-Adam leaves); raises on rank > min(m, n) naming the path."""
  sel = jax.tree.leaves(_resolve_mask(mask, params))
  flat = jax.tree_util.tree_flatten_with_path(params)[0]
  if len(sel) != len(flat):
    raise ValueError(f"mask has {len(sel)} leaves but params have {len(flat)}")
  metas = []
  for (path, p), s in zip(flat, sel):
    if not s:
      metas.append(None)
      continue
    if np.ndim(p) < 2:
      raise ValueError(f"low-rank projection selected for {jax.tree_util.keystr(path)}, which has "
                       f"shape {np.shape(p)}; only tensors with ndim >= 2 can be projected")
    m, n = _matrix_shape(np.shape(p))
    r = max(1, int(math.floor(rank_fraction * min(m, n)))) if rank_fraction else rank
    if r > min(m, n):
      raise ValueError(f"rank {r} is larger than the matrix {jax.tree_util.keystr(path)} of shape "
                       f"{np.shape(p)} (as {m} x {n}); lower the rank or exclude it with project_mask=")
    metas.append(_Meta(m, n, r, m >= n))
  return metas


LIMITER_NORMS = ("uncorrected", "corrected")


def scale_by_lowrank(mode: str = "fira", rank: int = 128, rank_fraction: float = 0.0,
                     update_gap: int = 200, scale: float = 0.25, free_scale: float = 1.0,
                     limiter: float = 1.01, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
                     reset_on_refresh: bool = False, project_mask: Any = None,
                     limiter_norm: str = "corrected") -> optax.GradientTransformation:
  """The shared low-rank direction (see the module docstring); ``mode`` in galore | frugal | fira.

  ``project_mask`` selects the projected leaves (default: every leaf with ndim >= 2). ``limiter_norm``
  (Fira only): ``"corrected"`` runs Adam with bias-corrected moments, psi = m^ / (sqrt(v^) + eps), and
  limits the growth of the resulting residual term; ``"uncorrected"`` is the authors' code: psi_u =
  m / (sqrt(v) + eps) on the raw moments, the scaled residual and its growth limiter use psi_u, and the
  whole update is multiplied by sqrt(1 - b2^t) / (1 - b1^t) afterwards, so the limiter compares norms
  without the bias-correction factor.
  """
  if mode not in MODES:
    raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
  if limiter_norm not in LIMITER_NORMS:
    raise ValueError(f"limiter_norm must be one of {LIMITER_NORMS}, got {limiter_norm!r}")
  mask = project_mask
  if rank_fraction:
    if not 0.0 < rank_fraction <= 1.0:
      raise ValueError(f"rank_fraction must be in (0, 1], got {rank_fraction!r}")
  else:
    C.check_int("rank", rank)
  C.check_int("update_gap", update_gap)
  C.check_beta("b1", b1), C.check_beta("b2", b2), C.check_nonnegative("eps", eps)
  C.check_nonnegative("scale", scale), C.check_nonnegative("free_scale", free_scale)
  if C.concrete(limiter) is not None and not C.concrete(limiter) >= 1.0:
    raise ValueError(f"limiter must be >= 1 (the allowed growth ratio), got {limiter!r}")

  def init_fn(params):
    metas = _metas(params, mask, rank, rank_fraction)
    leaves, treedef = jax.tree.flatten(params)
    proj, mu, res = [], [], []
    for p, meta in zip(leaves, metas):
      if meta is None:
        proj.append(jnp.zeros([], jnp.float32))   # unused (orbax cannot save 0-size arrays)
        mu.append(jnp.zeros(p.shape, jnp.float32))
      else:
        k = meta.n if meta.right else meta.m
        proj.append(jnp.zeros((k, meta.r), jnp.float32))
        mu.append(jnp.zeros((meta.m, meta.r) if meta.right else (meta.r, meta.n), jnp.float32))
      res.append(jnp.zeros([], jnp.float32))
    un = lambda xs: jax.tree.unflatten(treedef, xs)
    return LowRankState(jnp.zeros([], jnp.int32), un(proj), un(mu), un(list(mu)), un(res))

  def update_fn(updates, state, params=None):
    ref = params if params is not None else updates
    metas = _metas(ref, mask, rank, rank_fraction)
    refresh = (state.count % update_gap) == 0
    count = optax.safe_increment(state.count)
    t = ((state.count % update_gap) + 1) if reset_on_refresh else count
    t = t.astype(jnp.float32)
    bc1, bc2 = 1.0 - jnp.asarray(b1, jnp.float32) ** t, 1.0 - jnp.asarray(b2, jnp.float32) ** t
    treedef = jax.tree.structure(updates)
    out, proj, mus, nus, res = [], [], [], [], []
    for g, P, m, v, prev, meta in zip(jax.tree.leaves(updates), jax.tree.leaves(state.proj),
                                      jax.tree.leaves(state.mu), jax.tree.leaves(state.nu),
                                      jax.tree.leaves(state.residual_norm), metas):
      G = C.f32(g)
      if meta is None:
        m, v = optax.tree.update_moment(G, m, b1, 1), optax.tree.update_moment(G, v, b2, 2)
        out.append(((m / bc1) / (jnp.sqrt(v / bc2) + eps)).astype(g.dtype))
        proj.append(P), mus.append(m), nus.append(v), res.append(prev)
        continue
      G = G.reshape(meta.m, meta.n)

      def new_basis(G=G, meta=meta):
        u, _, vt = jnp.linalg.svd(G, full_matrices=False)
        return vt[:meta.r].T if meta.right else u[:, :meta.r]

      P = jax.lax.cond(refresh, new_basis, lambda P=P: P)
      R = G @ P if meta.right else P.T @ G
      back = (lambda X, P=P: X @ P.T) if meta.right else (lambda X, P=P: P @ X)
      if reset_on_refresh:
        m, v = jnp.where(refresh, 0.0, m), jnp.where(refresh, 0.0, v)
      m, v = optax.tree.update_moment(R, m, b1, 1), optax.tree.update_moment(R, v, b2, 2)
      authors = mode == "fira" and limiter_norm == "uncorrected"
      psi = m / (jnp.sqrt(v) + eps) if authors else (m / bc1) / (jnp.sqrt(v / bc2) + eps)
      low = back(psi)
      if mode == "galore":
        u = scale * low
      elif mode == "frugal":
        u = low + free_scale * jnp.sign(G - back(R))
      else:
        axis = 1 if meta.right else 0
        phi = (jnp.linalg.norm(psi, axis=axis, keepdims=True)
               / (jnp.linalg.norm(R, axis=axis, keepdims=True) + 1e-8))
        S = (G - back(R)) * phi
        s_norm = jnp.linalg.norm(S)
        over = (prev > 0) & (s_norm > limiter * prev)
        S = S * jnp.where(over, limiter * prev / jnp.maximum(s_norm, 1e-30), 1.0)
        prev = jnp.linalg.norm(S)
        u = scale * low + S
        if authors:
          u = u * (jnp.sqrt(bc2) / bc1)
      out.append(u.reshape(g.shape).astype(g.dtype))
      proj.append(P), mus.append(m), nus.append(v), res.append(prev)
    un = lambda xs: jax.tree.unflatten(treedef, xs)
    return un(out), LowRankState(count, un(proj), un(mus), un(nus), un(res))

  return optax.GradientTransformation(init_fn, update_fn)


def galore(learning_rate: Any = 1e-2, rank: int = 128, rank_fraction: float = 0.0,
           update_gap: int = 200, scale: float = 0.25, b1: float = 0.9, b2: float = 0.999,
           eps: float = 1e-8, weight_decay: float = 0.0, mask: Any = None, project_mask: Any = None,
           ) -> optax.GradientTransformationExtraArgs:
  """GaLore-style low-rank-only Adam (Zhao et al. 2024, arXiv:2403.03507), the baseline FRUGAL and
  Fira are compared with: update = scale * back(psi(R)); the residual is dropped.

  lbrl's own implementation (``optax.contrib.galore`` also exists) so that galore / frugal / fira
  share one projector and differ only in the residual. Defaults: rank 128, gap 200, scale 0.25.
  ``project_mask`` selects the projected leaves (default: ndim >= 2); ``mask`` the decayed ones
  (decoupled weight decay, default all). Pinned against pytorch-optimizer's ``GaLore`` in tests/golden.
  """
  return C.optimizer(scale_by_lowrank("galore", rank, rank_fraction, update_gap, scale, 1.0, 1.01,
                                      b1, b2, eps, False, project_mask), learning_rate, weight_decay, mask)


def frugal(learning_rate: Any = 1e-3, rank: int = 128, rank_fraction: float = 0.0,
           update_gap: int = 200, free_scale: float = 1.0, b1: float = 0.9, b2: float = 0.999,
           eps: float = 1e-8, reset_on_refresh: bool = True, weight_decay: float = 0.0,
           mask: Any = None, project_mask: Any = None) -> optax.GradientTransformationExtraArgs:
  """FRUGAL (Zmushko et al., "FRUGAL: Memory-Efficient Optimization by Reducing State Overhead for
  Scalable Training", ICML 2025, arXiv:2411.07837; slug frugal).

  Gradient splitting: the state-full part (Adam on R = the gradient projected on a GaLore-style SVD
  subspace) plus the state-free remainder updated by signSGD:
    update = back(psi(R)) + free_scale * sign(G - back(R));   w -= lr * update
  The subspace is refreshed every ``update_gap`` steps and, as lbrl reads the paper, the Adam state
  is reset when it changes (``reset_on_refresh``). Non-matrix parameters get full Adam.
  Defaults: gap 200; choose ``rank`` or ``rank_fraction`` (the paper's density, e.g. 0.25).
  ``project_mask`` selects the projected leaves (default: ndim >= 2); ``mask`` the decayed ones.
  """
  return C.optimizer(scale_by_lowrank("frugal", rank, rank_fraction, update_gap, 1.0, free_scale,
                                      1.01, b1, b2, eps, reset_on_refresh, project_mask),
                     learning_rate, weight_decay, mask)


def fira(learning_rate: Any = 1e-2, rank: int = 128, rank_fraction: float = 0.0,
         update_gap: int = 200, scale: float = 0.25, limiter: float = 1.01, b1: float = 0.9,
         b2: float = 0.999, eps: float = 1e-8, weight_decay: float = 0.0, mask: Any = None,
         project_mask: Any = None, limiter_norm: str = "uncorrected",
         ) -> optax.GradientTransformationExtraArgs:
  """Fira (Chen et al., "Fira: Can We Achieve Full-rank Training of LLMs Under Low-rank
  Constraint?", 2024, arXiv:2410.01623; slug fira).

  Low-rank Adam state, full-rank update:
    phi_i = ||psi(R)_i|| / ||R_i||   (per row of R when R = G P, per column when R = P^T G)
    S_t = phi * (G - back(R))                        (norm-based scaling of the residual)
    if ||S_t|| > limiter * ||S_{t-1}||: S_t <- S_t * limiter ||S_{t-1}|| / ||S_t||  (norm-growth limiter)
    update = scale * back(psi(R)) + S_t;   w -= lr * update
  Defaults (rank 128, gap 200, scale 0.25, limiter 1.01) are the paper's LLaMA settings. The residual
  is the exact G - back(R) of the paper's formula.

  Bias correction and the limiter (``limiter_norm``): the paper writes psi with Adam's moments but does
  not say whether the limiter sees bias-corrected norms. The default, ``"uncorrected"``, is the
  authors' released code (``fira_adamw.py``): psi_u = m / (sqrt(v) + eps) on the raw moments, phi and
  S_t built from psi_u, the limiter comparing ||S_t|| with ||S_{t-1}|| in those units, and the whole
  update multiplied by sqrt(1 - b2^t) / (1 - b1^t). ``"corrected"`` (lbrl's earlier reading) uses
  m^ / (sqrt(v^) + eps) throughout, so the limiter also caps the early growth that comes only from the
  bias-correction factor. ``project_mask`` selects the projected leaves (default ndim >= 2); ``mask``
  the decayed ones (decoupled weight decay).
  """
  return C.optimizer(scale_by_lowrank("fira", rank, rank_fraction, update_gap, scale, 1.0, limiter,
                                      b1, b2, eps, False, project_mask, limiter_norm),
                     learning_rate, weight_decay, mask)
