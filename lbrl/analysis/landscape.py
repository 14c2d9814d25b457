"""Loss-landscape analysis tools (:data:`lbrl.registry.ANALYSIS_TOOLS`, ``fn(ctx, **kwargs)``).

* ``hessian_top_eigenvalue``: the largest-magnitude eigenvalue of the Hessian of ``ctx.loss`` at
  ``ctx.params``, by power iteration on Hessian-vector products
  (:func:`lbrl.optim.top_hessian_eigenvalue`, ``iters`` default 20).
* ``loss_along_line``: ``ctx.loss`` on the segment ``theta(t) = theta_0 + t (theta_T - theta_0)`` from
  the initialisation to the analysed parameters at ``num_points`` (default 11) values of ``t`` in
  ``[0, 1]``; ``barrier = max_t [loss(t) - ((1 - t) loss(0) + t loss(1))]`` (0 for a convex path; the
  linear-interpolation probe of Goodfellow, Vinyals & Saxe, "Qualitatively characterizing neural network
  optimization problems", 2015, arXiv:1412.6544), the endpoints, and the curve in the record.
"""
from __future__ import annotations

import jax
import numpy as np


def hessian_top_eigenvalue(ctx, *, iters: int = 20, seed: int | None = None) -> dict:
  from lbrl.optim import top_hessian_eigenvalue
  seed = ctx.seed if seed is None else seed
  lam = jax.jit(lambda p: top_hessian_eigenvalue(ctx.loss, p, iters=iters, seed=seed))(ctx.params)
  return {"hessian_top_eigenvalue": float(lam)}


def loss_along_line(ctx, *, num_points: int = 11):
  if num_points < 2:
    raise ValueError(f"loss_along_line: num_points must be >= 2, got {num_points}")
  ts = np.linspace(0.0, 1.0, int(num_points))
  p0, p1 = ctx.init_params, ctx.params
  at = jax.jit(lambda t: ctx.loss(jax.tree.map(lambda a, b: a + t * (b - a), p0, p1)))
  values = np.array([float(at(t)) for t in ts])
  chord = (1 - ts) * values[0] + ts * values[-1]
  return ({"barrier": float(np.max(values - chord)), "loss_at_init": float(values[0]),
           "loss_at_end": float(values[-1])}, {"line": [ts.tolist(), values.tolist()]})
