"""Layer-wise adaptive rate scaling: LARS (optax), LAMB (optax) and TVLARS (lbrl)."""
from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from lbrl.optim import _common as C


def lars(learning_rate: Any = 0.1, weight_decay: float = 0.0, trust_coefficient: float = 1e-3,
         eps: float = 0.0, momentum: float = 0.9, nesterov: bool = False,
         weight_decay_mask: Any = True, trust_ratio_mask: Any = True,
         ) -> optax.GradientTransformationExtraArgs:
  """LARS (You, Gitman & Ginsburg, "Large Batch Training of Convolutional Networks", 2017,
  arXiv:1708.03888; slug lars). This is ``optax.lars``.

    d = g + wd * w;   local_lr = trust_coefficient * ||w|| / (||d|| + eps)   (1 if either norm is 0)
    v_t = momentum v_{t-1} + local_lr * d;   w -= lr * v_t
  per layer (per parameter tensor). Defaults: trust coefficient 1e-3, momentum 0.9.
  """
  C.check_learning_rate(learning_rate), C.check_nonnegative("weight_decay", weight_decay)
  C.check_nonnegative("trust_coefficient", trust_coefficient), C.check_beta("momentum", momentum)
  return C.checked(optax.lars(learning_rate, weight_decay=weight_decay,
                              weight_decay_mask=weight_decay_mask, trust_coefficient=trust_coefficient,
                              eps=eps, trust_ratio_mask=trust_ratio_mask, momentum=momentum,
                              nesterov=nesterov))


def lamb(learning_rate: Any = 1e-3, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-6,
         weight_decay: float = 0.0, mask: Any = None) -> optax.GradientTransformationExtraArgs:
  """LAMB (You et al. 2019, arXiv:1904.00962): Adam direction with a LARS trust ratio. ``optax.lamb``."""
  C.check_learning_rate(learning_rate), C.check_beta("b1", b1), C.check_beta("b2", b2)
  C.check_nonnegative("weight_decay", weight_decay)
  return C.checked(optax.lamb(learning_rate, b1=b1, b2=b2, eps=eps, weight_decay=weight_decay,
                              mask=mask))


class TVLARSState(NamedTuple):
  count: jax.Array
  trace: Any


def tvlars_factor(count: jax.Array, alpha: float, lam: float, delay: float, floor: float
                  ) -> jax.Array:
  """phi_t = 1 / (alpha + exp(lam * (t - delay))) + floor, t = count + 1."""
  t = count.astype(jnp.float32) + 1.0
  return 1.0 / (alpha + jnp.exp(lam * (t - delay))) + floor


def scale_by_tvlars(weight_decay: float = 5e-4, trust_coefficient: float = 1e-3,
                    momentum: float = 0.9, alpha: float = 0.1, lam: float = 1e-3, delay: float = 0.0,
                    floor: float = 0.0, exclude_vectors: bool = False) -> optax.GradientTransformation:
  """TVLARS's direction (see :func:`tvlars`)."""
  C.check_nonnegative("weight_decay", weight_decay)
  C.check_nonnegative("trust_coefficient", trust_coefficient), C.check_beta("momentum", momentum)
  C.check_positive("alpha", alpha), C.check_nonnegative("lam", lam)
  C.check_nonnegative("floor", floor)

  def init_fn(params):
    return TVLARSState(jnp.zeros([], jnp.int32),
                       C.zeros_f32(params))

  def update_fn(updates, state, params=None):
    if params is None:
      raise ValueError("tvlars needs params (the trust ratio uses the weight norm)")
    phi = tvlars_factor(state.count, alpha, lam, delay, floor)

    def leaf(g, p, m):
      g, p32 = C.f32(g), C.f32(p)
      if exclude_vectors and p.ndim < 2:
        d = g
      else:
        d = g + weight_decay * p32
        wn, dn = jnp.linalg.norm(p32), jnp.linalg.norm(d)
        ratio = trust_coefficient * phi * wn / jnp.where(dn > 0, dn, 1.0)
        d = d * jnp.where((wn > 0) & (dn > 0), ratio, 1.0)
      return momentum * m + d

    trace = jax.tree.map(leaf, updates, params, state.trace)
    out = jax.tree.map(lambda t, u: t.astype(u.dtype), trace, updates)
    return out, TVLARSState(optax.safe_increment(state.count), trace)

  return optax.GradientTransformation(init_fn, update_fn)


def tvlars(learning_rate: Any = 1.0, weight_decay: float = 5e-4, trust_coefficient: float = 1e-3,
           momentum: float = 0.9, alpha: float = 0.1, lam: float = 1e-3, delay: float = 0.0,
           floor: float = 0.0, exclude_vectors: bool = False) -> optax.GradientTransformationExtraArgs:
  """TVLARS (Do et al., "Revisiting LARS for Large Batch Training Generalization of Neural Networks",
  2023, arXiv:2309.14053; slug tvlars).

  LARS without warm-up; the trust ratio is multiplied by a time-varying, sigmoid-like factor that
  starts large (exploration) and decays towards plain LARS behaviour:
    phi_t = 1 / (alpha + exp(lam (t - delay))) + floor                       (t = 1, 2, ...)
    d = g + wd w;  r = trust_coefficient * phi_t * ||w|| / ||d||  (1 if a norm is 0)
    v_t = momentum v_{t-1} + r d;  w -= lr v_t
  Vectors (biases, norm scales) skip decay and scaling when ``exclude_vectors`` (default False, as
  the authors' code: its weight-decay and adaptation filters are off by default). Defaults follow the
  authors' released code (alpha 0.1, lam 1e-3, delay 0, wd 5e-4, trust 1e-3, momentum 0.9); ``delay``
  and ``floor`` are the paper's delay epochs (in steps here) and minimum-rate terms.
  """
  C.check_learning_rate(learning_rate)
  return C.checked(optax.chain(
      scale_by_tvlars(weight_decay, trust_coefficient, momentum, alpha, lam, delay, floor,
                      exclude_vectors),
      optax.scale_by_learning_rate(learning_rate)))
