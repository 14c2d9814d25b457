"""Layer-wise adaptive rate scaling: LARS (optax), LAMB (optax) and TVLARS (lbrl)."""
from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from lbrl.optim import _common as C


def lars(learning_rate: Any = 0.1, weight_decay: float = 0.0, trust_coefficient: float = 1e-3,
         eps: float = 0.0, momentum: float = 0.9, nesterov: bool = False,
         weight_decay_mask: Any = True, trust_ratio_mask: Any = True, mask: Any = None,
         ) -> optax.GradientTransformationExtraArgs:
  """LARS as optax implements it (``optax.lars``); :func:`lars_paper` is the paper's trust ratio.

    d = g + wd * w;   local_lr = trust_coefficient * ||w|| / (||d|| + eps)   (1 if either norm is 0)
    v_t = momentum v_{t-1} + lr * local_lr * d;   w -= v_t
  per parameter tensor. optax divides by the norm of the *decayed* gradient, ||g + wd w||, where You,
  Gitman & Ginsburg ("Large Batch Training of Convolutional Networks", 2017, arXiv:1708.03888; slug
  lars) divide by ||g|| + wd ||w||; without weight decay both are the same. Defaults: trust
  coefficient 1e-3, momentum 0.9, no decay. ``mask`` (lbrl's weight-decay mask argument) is an alias of
  optax's ``weight_decay_mask``.
  """
  C.check_learning_rate(learning_rate), C.check_nonnegative("weight_decay", weight_decay)
  C.check_nonnegative("trust_coefficient", trust_coefficient), C.check_beta("momentum", momentum)
  if mask is not None:
    weight_decay_mask = mask
  return C.checked(optax.lars(learning_rate, weight_decay=weight_decay,
                              weight_decay_mask=weight_decay_mask, trust_coefficient=trust_coefficient,
                              eps=eps, trust_ratio_mask=trust_ratio_mask, momentum=momentum,
                              nesterov=nesterov))


def scale_by_lars_paper_trust_ratio(weight_decay: Any = 0.0, trust_coefficient: Any = 1e-3,
                                    eps: Any = 0.0, mask: Any = None, trust_ratio_mask: Any = None,
                                    ) -> optax.GradientTransformation:
  """The LARS paper's per-tensor step: local_lr (g + wd w), local_lr = eta ||w|| / (||g|| + wd ||w|| + eps).

  ``mask`` selects the tensors that decay, ``trust_ratio_mask`` those that get the trust ratio (all by
  default; the common choice, and pytorch-optimizer's, excludes vectors from both: pass
  ``lambda p: jax.tree.map(lambda x: x.ndim > 1, p)``). A tensor outside ``trust_ratio_mask`` gets
  ``g + wd w`` unscaled; the ratio is 1 when ||w|| or the denominator is 0.
  """
  def init_fn(params):
    del params
    return optax.EmptyState()

  def update_fn(updates, state, params=None):
    if params is None:
      raise ValueError("lars_paper needs params (the trust ratio uses the weight norm)")
    wds = C.masked_decay(weight_decay, mask, params)
    trs = C.mask_tree(trust_ratio_mask, params)

    def leaf(g, p, wd, tr):
      g32, p32 = C.f32(g), C.f32(p)
      wn, gn = jnp.linalg.norm(p32), jnp.linalg.norm(g32)
      den = gn + wd * wn + eps
      ratio = jnp.where((wn > 0) & (den > 0), trust_coefficient * wn / jnp.where(den > 0, den, 1.0), 1.0)
      ratio = jnp.where(jnp.asarray(tr), ratio, 1.0)
      return (ratio * (g32 + wd * p32)).astype(g.dtype)

    return jax.tree.map(leaf, updates, params, wds, trs), state

  return optax.GradientTransformation(init_fn, update_fn)


def lars_paper(learning_rate: Any = 0.1, weight_decay: float = 0.0, trust_coefficient: float = 1e-3,
               eps: float = 0.0, momentum: float = 0.9, nesterov: bool = False, mask: Any = None,
               trust_ratio_mask: Any = None) -> optax.GradientTransformationExtraArgs:
  """LARS as written in the paper (You, Gitman & Ginsburg, "Large Batch Training of Convolutional
  Networks", 2017, arXiv:1708.03888, Algorithm 1; slug lars).

    local_lr = trust_coefficient * ||w|| / (||g|| + wd ||w|| + eps)      (per tensor; 1 if a norm is 0)
    v_t = momentum v_{t-1} + lr * local_lr * (g + wd w);   w -= v_t
  :func:`lars` (``optax.lars``) divides by ||g + wd w|| instead; with weight decay the two differ
  (about 1e-3 relative after 25 steps on a small problem; tests/golden pins this form against
  pytorch-optimizer's ``LARS``). Defaults: trust coefficient eta 1e-3, momentum 0.9, eps 0, no decay;
  ``mask``/``trust_ratio_mask`` select the tensors that decay / get the trust ratio (all by default).

  Example: ``tx = lbrl.optim.lars_paper(0.1, weight_decay=5e-4)``.
  """
  C.check_learning_rate(learning_rate), C.check_nonnegative("weight_decay", weight_decay)
  C.check_nonnegative("trust_coefficient", trust_coefficient), C.check_beta("momentum", momentum)
  C.check_nonnegative("eps", eps)
  return C.checked(optax.chain(
      scale_by_lars_paper_trust_ratio(weight_decay, trust_coefficient, eps, mask, trust_ratio_mask),
      optax.scale_by_learning_rate(learning_rate),
      optax.trace(decay=momentum, nesterov=nesterov)))


def lamb(learning_rate: Any = 1e-3, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-6,
         weight_decay: float = 0.0, mask: Any = None) -> optax.GradientTransformationExtraArgs:
  """LAMB (You et al. 2019, arXiv:1904.00962): Adam direction with a LARS trust ratio. ``optax.lamb``."""
  C.check_learning_rate(learning_rate), C.check_beta("b1", b1), C.check_beta("b2", b2)
  C.check_nonnegative("weight_decay", weight_decay)
  return C.checked(optax.lamb(learning_rate, b1=b1, b2=b2, eps=eps, weight_decay=weight_decay,
                              mask=mask))


class TVLARSState(NamedTuple):
  """TVLARS's state: ``count`` (int32 step t, from 0), ``trace`` (the momentum buffer v_t, float32)."""
  count: jax.Array
  trace: Any


def tvlars_factor(count: jax.Array, alpha: Any, lam: Any, delay: Any, floor: Any) -> jax.Array:
  """phi_t = 1 / (alpha + exp(lam * (t - delay))) + floor, t = count + 1."""
  t = count.astype(jnp.float32) + 1.0
  return 1.0 / (alpha + jnp.exp(lam * (t - delay))) + floor


DELAY_MODES = ("shift", "switch")


def scale_by_tvlars(weight_decay: float = 5e-4, trust_coefficient: float = 1e-3,
                    momentum: float = 0.9, alpha: float = 0.1, lam: float = 1e-3, delay: float = 0.0,
                    floor: float = 0.0, exclude_vectors: bool = True, norm_clamp: Any = 10.0,
                    mask: Any = None, delay_mode: str = "shift") -> optax.GradientTransformation:
  """TVLARS's direction (see :func:`tvlars`)."""
  if delay_mode not in DELAY_MODES:
    raise ValueError(f"delay_mode must be one of {DELAY_MODES}, got {delay_mode!r}")
  C.check_nonnegative("weight_decay", weight_decay)
  C.check_nonnegative("trust_coefficient", trust_coefficient), C.check_beta("momentum", momentum)
  C.check_positive("alpha", alpha), C.check_nonnegative("lam", lam)
  C.check_nonnegative("floor", floor)
  if norm_clamp is not None:
    C.check_positive("norm_clamp", norm_clamp)

  def init_fn(params):
    return TVLARSState(jnp.zeros([], jnp.int32), C.zeros_f32(params))

  def update_fn(updates, state, params=None):
    if params is None:
      raise ValueError("tvlars needs params (the trust ratio uses the weight norm)")
    if delay_mode == "shift":
      phi = tvlars_factor(state.count, alpha, lam, delay, floor)
    else:   # the authors' code: plain LARS (phi = 1) for the first `delay` steps, then phi unshifted
      phi = jnp.where(state.count.astype(jnp.float32) >= delay,
                      tvlars_factor(state.count, alpha, lam, 0.0, floor), 1.0)
    clamp = (lambda x: x) if norm_clamp is None else (lambda x: jnp.minimum(x, norm_clamp))
    wds = C.masked_decay(weight_decay, mask, params)

    def leaf(g, p, m, wd):
      g, p32 = C.f32(g), C.f32(p)
      if exclude_vectors and p.ndim < 2:
        d = g
      else:
        d = g + wd * p32
        wn, dn = clamp(jnp.linalg.norm(p32)), clamp(jnp.linalg.norm(d))
        ratio = trust_coefficient * phi * wn / jnp.where(dn > 0, dn, 1.0)
        d = d * jnp.where((wn > 0) & (dn > 0), ratio, 1.0)
      return momentum * m + d

    trace = jax.tree.map(leaf, updates, params, state.trace, wds)
    out = jax.tree.map(lambda t, u: t.astype(u.dtype), trace, updates)
    return out, TVLARSState(optax.safe_increment(state.count), trace)

  return optax.GradientTransformation(init_fn, update_fn)


def tvlars(learning_rate: Any = 1.0, weight_decay: float = 5e-4, trust_coefficient: float = 1e-3,
           momentum: float = 0.9, alpha: float = 0.1, lam: float = 1e-3, delay: float = 0.0,
           floor: float = 0.0, exclude_vectors: bool = True, norm_clamp: Any = 10.0, mask: Any = None,
           delay_mode: str = "shift") -> optax.GradientTransformationExtraArgs:
  """TVLARS (Do et al., "Revisiting LARS for Large Batch Training Generalization of Neural Networks",
  2023, arXiv:2309.14053; slug tvlars).

  LARS without warm-up; the trust ratio is multiplied by a time-varying, sigmoid-like factor that
  starts large (exploration) and decays towards plain LARS behaviour:
    phi_t = 1 / (alpha + exp(lam (t - delay))) + floor                       (t = 1, 2, ...)
    d = g + wd w;  r = trust_coefficient * phi_t * min(||w||, c) / min(||d||, c)  (1 if a norm is 0)
    v_t = momentum v_{t-1} + r d;  w -= lr v_t
  Defaults follow the authors' released code as their ``clf.py`` runs it (KhoiDOO/tvlars): alpha 0.1
  (their constant), lam 1e-3, wd 5e-4, trust 1e-3, momentum 0.9; the weight-decay and adaptation
  filters ON (``exclude_vectors=True``: vectors such as biases and norm scales get neither decay nor
  the trust ratio, so they take the raw step lr * g) and both norms clamped at c = ``norm_clamp`` = 10
  (``None`` = no clamp, the paper's formula). ``mask`` selects the decayed tensors (all by default).
  The delay: with ``delay_mode="shift"`` (default) ``delay`` shifts phi as the formula above (the
  paper's d_e; ``floor`` is its minimum-rate term). The authors' code instead runs plain LARS (phi = 1)
  for the first ``epoch_delay_cnt`` = 10 epochs and then uses phi_t = 1 / (0.1 + exp(lam t)) with t the
  global step, unshifted: ``delay_mode="switch"`` with ``delay`` = 10 epochs in steps. With
  ``delay = 0`` (the default) the two are the same.
  """
  C.check_learning_rate(learning_rate)
  return C.checked(optax.chain(
      scale_by_tvlars(weight_decay, trust_coefficient, momentum, alpha, lam, delay, floor,
                      exclude_vectors, norm_clamp, mask, delay_mode),
      optax.scale_by_learning_rate(learning_rate)))
