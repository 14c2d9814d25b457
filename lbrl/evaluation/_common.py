"""Pieces shared by the evaluation modules."""
from __future__ import annotations

import jax
import optax


def lbfgs_minimize(fun, x0, *, iters: int = 100):
  """``iters`` steps of ``optax.lbfgs`` (zoom line search) on ``fun`` from the pytree ``x0``."""
  opt = optax.lbfgs()
  value_and_grad = optax.value_and_grad_from_state(fun)

  def body(carry, _):
    x, s = carry
    v, g = value_and_grad(x, state=s)
    u, s = opt.update(g, s, x, value=v, grad=g, value_fn=fun)
    return (optax.apply_updates(x, u), s), None

  (x, _), _ = jax.lax.scan(body, (x0, opt.init(x0)), None, length=iters)
  return x
