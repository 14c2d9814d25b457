"""Training diagnostics of the precision family (:data:`lbrl.registry.DIAGNOSTICS`).

:func:`grad_underflow` measures what float16 does to the gradients (Micikevicius et al., "Mixed
Precision Training", 2018, arXiv:1710.03740, slug ``mixed_precision``, whose Figure 3 shows most of a
network's activation-gradient values below float16's range). Over every parameter-gradient entry g:

  zero_fraction      = mean(g == 0)                     (values already lost: in a float16 backward
                                                          pass without loss scaling they flushed to 0)
  fp16_flush_fraction = mean(0 < |g| <= 2^-25)           (values float16 would round to 0: at most half
                                                          its smallest subnormal 2^-24, ties to even)
  fp16_subnormal_fraction = mean(0 < |g| < 2^-14)        (values below float16's smallest normal: kept
                                                          with fewer than 11 significant bits)

In a float32 run the last two say what a float16 backward pass would lose at loss scale 1; in a
float16 run ``zero_fraction`` is what it did lose (the gradients the trainer sees are unscaled float32).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

FP16_HALF_MIN_SUBNORMAL = 2.0 ** -25
FP16_MIN_NORMAL = 2.0 ** -14


def grad_underflow(*, params, grads, updates, intermediates, loss) -> dict[str, jax.Array]:
  """``zero_fraction``, ``fp16_flush_fraction``, ``fp16_subnormal_fraction`` of the gradients (see the
  module docstring); float32 scalars."""
  del params, updates, intermediates, loss
  leaves = [jnp.abs(g.astype(jnp.float32)).ravel() for g in jax.tree.leaves(grads)]
  if not leaves:
    raise ValueError("grad_underflow: grads has no leaves")
  a = jnp.concatenate(leaves)
  nz = a > 0
  return {"zero_fraction": jnp.mean(~nz),
          "fp16_flush_fraction": jnp.mean(nz & (a <= FP16_HALF_MIN_SUBNORMAL)),
          "fp16_subnormal_fraction": jnp.mean(nz & (a < FP16_MIN_NORMAL))}
