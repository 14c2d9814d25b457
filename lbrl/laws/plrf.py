"""The power-law random-features (PLRF) model of Paquette, Paquette, Xiao and Pennington 2024,
"4+3 Phases of Compute-Optimal Neural Scaling Laws" (arXiv:2405.15074; slug ``4_3_phases_compute``),
simulated with one-pass SGD.

Setting (their section 2): data ``x in R^v`` with independent coordinates ``x_j ~ N(0, j^(-2 alpha))``;
target ``<x, b>`` with ``b_j = j^(-beta)``; random features ``W in R^(v x d)``, entries ``N(0, 1/d)``;
the model predicts ``<W^T x, theta>`` and is trained from ``theta = 0`` by one-pass SGD with batch ``B``
and step ``gamma`` on the squared loss. The population risk (their eq. 3, with the 1/2)::

    P(theta) = 1/2 E[(<W^T x, theta> - <x, b>)^2] = 1/2 (W theta - b)^T diag(j^(-2 alpha)) (W theta - b)

is computed exactly at the recorded steps. Compute (their convention) is ``flops = d * B * steps``.
``v`` must exceed ``d`` (the paper takes ``v ~ 4 d`` or larger, ``2 alpha > 1`` for a trace-class data
covariance). :func:`optimal_risk` is the risk of the best ``theta`` (least squares in the feature
space): the limit of SGD at infinite steps, independent of the simulation.
"""
from __future__ import annotations

import numpy as np


def problem(alpha: float, beta: float, d: int, v: int, seed: int = 0):
  """``(eigs = j^(-2 alpha), b = j^(-beta), W)`` of a PLRF instance."""
  if not 2 * alpha > 1:
    raise ValueError(f"alpha={alpha}: expected 2 alpha > 1 (trace-class data covariance)")
  if not v > d >= 1:
    raise ValueError(f"v={v}, d={d}: expected v > d >= 1")
  j = np.arange(1, v + 1, dtype=np.float64)
  W = np.random.default_rng(seed).normal(0.0, 1.0 / np.sqrt(d), (v, d))
  return j ** (-2.0 * alpha), j ** (-beta), W


def risk(theta, eigs, b, W) -> float:
  """The exact population risk ``1/2 (W theta - b)^T diag(eigs) (W theta - b)``."""
  r = W @ theta - b
  return float(0.5 * np.sum(eigs * r * r))


def optimal_risk(eigs, b, W) -> float:
  """``min_theta P(theta)``: weighted least squares (``numpy.linalg.lstsq``)."""
  s = np.sqrt(eigs)
  theta, *_ = np.linalg.lstsq(s[:, None] * W, s * b, rcond=None)
  return risk(theta, eigs, b, W)


def simulate(alpha: float, beta: float, d: int, *, v: int | None = None, steps: int = 1000, batch: int = 1,
             lr: float | None = None, record: int = 30, seed: int = 0) -> dict:
  """One-pass SGD on the PLRF model; returns ``{"steps", "risk", "flops", "optimal_risk"}`` at ``record``
  geometrically spaced steps. ``lr`` defaults to ``0.5 / trace(W^T diag(eigs) W)`` (stable, as in the
  paper's choice of a step below the inverse trace)."""
  v = v or 4 * d
  eigs, b, W = problem(alpha, beta, d, v, seed)
  K = W.T @ (eigs[:, None] * W)
  lr = lr if lr is not None else 0.5 / float(np.trace(K))
  if not lr > 0:
    raise ValueError(f"lr={lr}: expected > 0")
  rng = np.random.default_rng(seed + 1)
  at = np.unique(np.geomspace(1, steps, record).astype(int))
  theta = np.zeros(d)
  sq = np.sqrt(eigs)
  out, t_rec = [], []
  for t in range(1, steps + 1):
    x = rng.standard_normal((batch, v)) * sq          # x_j ~ N(0, j^(-2 alpha))
    err = x @ (W @ theta - b)                          # prediction - target, per example
    theta -= lr / batch * (W.T @ (x.T @ err))
    if t in at:
      t_rec.append(t)
      out.append(risk(theta, eigs, b, W))
  t_rec = np.array(t_rec, np.float64)
  return {"steps": t_rec, "risk": np.array(out), "flops": d * batch * t_rec, "optimal_risk": optimal_risk(eigs, b, W),
          "lr": lr}
