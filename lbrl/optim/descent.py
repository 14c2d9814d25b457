"""Plain, sign and loss-aware descent: SGD, sign descent, MoMo (optax) and Normalized LR+GD (lbrl).

Transforms that need the loss value take it as the extra argument ``value=`` of ``update`` (optax's
convention, as in ``optax.contrib.momo``); lbrl's trainer passes it on every step.
"""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import optax
import optax.contrib

from lbrl.optim import _common as C


def sgd(learning_rate: Any = 0.1, momentum: float | None = None, nesterov: bool = False,
        weight_decay: float = 0.0, mask: Any = None) -> optax.GradientTransformationExtraArgs:
  """(Stochastic) gradient descent, optionally with heavy-ball or Nesterov momentum: ``optax.sgd``.

  v_t = momentum v_{t-1} + g_t (+ weight_decay w, coupled L2);  w -= lr v_t.
  """
  C.check_learning_rate(learning_rate)
  if momentum is not None:
    C.check_beta("momentum", momentum)
  return C.checked(optax.chain(*C.decayed_weights(weight_decay, mask),
                               optax.sgd(learning_rate, momentum=momentum, nesterov=nesterov)))


def sign_descent(learning_rate: Any = 1e-3) -> optax.GradientTransformationExtraArgs:
  """Sign descent w -= lr * sign(g): ``optax.sign_sgd``.

  The comparison optimizer of Kunstner et al., "Heavy-Tailed Class Imbalance and Why Adam Outperforms
  Gradient Descent on Language Models", 2024, arXiv:2402.19449 (slug heavy_tailed_imbalance): sign
  descent, like Adam, does not slow down on low-frequency classes.
  """
  C.check_learning_rate(learning_rate)
  return C.checked(optax.sign_sgd(learning_rate))


def signum(learning_rate: Any = 1e-3, beta: float = 0.9) -> optax.GradientTransformationExtraArgs:
  """Sign descent with momentum, w -= lr * sign(m_t): ``optax.signum``."""
  C.check_learning_rate(learning_rate), C.check_beta("beta", beta)
  return C.checked(optax.signum(learning_rate, beta=beta))


def _no_decay_mask(name: str, weight_decay: Any, mask: Any) -> None:
  if mask is not None and C.concrete(weight_decay) != 0.0:
    raise ValueError(f"{name}: mask= (a weight-decay mask) is not supported: optax.contrib's MoMo decay "
                     "rescales every parameter inside its step-size formula; use weight_decay=0 and chain "
                     "optax.add_decayed_weights(wd, mask) before it, or no mask")


def momo(learning_rate: Any = 1.0, beta: float = 0.9, lower_bound: float = 0.0,
         weight_decay: float = 0.0, adapt_lower_bound: bool = False, mask: Any = None,
         ) -> optax.GradientTransformationExtraArgs:
  """MoMo (Schaipp, Ohana, Eickenberg, Defazio & Gower, "MoMo: Momentum Models for Adaptive Learning
  Rates", ICML 2024, arXiv:2305.07583; slug momo). This is ``optax.contrib.momo``.

  Needs the batch loss: ``update(g, state, params, value=loss)``. With f_t the batch loss at w_t:
    d_t = beta d_{t-1} + (1-beta) g_t;   fbar_t = beta fbar_{t-1} + (1-beta) f_t
    gam_t = beta gam_{t-1} + (1-beta) <g_t, w_t>
    h_t = fbar_t + <d_t, w_t> - gam_t              (the momentum model of the loss at w_t)
    tau_t = min(lr, max(h_t - lower_bound, 0) / ||d_t||^2);   w_{t+1} = w_t - tau_t d_t
  a Polyak-type step from the momentum model truncated at the loss lower bound (0 by default).
  Defaults: lr (the cap) 1.0, beta 0.9, lower bound 0. ``mask`` is accepted only without weight decay
  (a ``ValueError`` otherwise: optax.contrib's decay acts inside the step-size formula).
  """
  C.check_learning_rate(learning_rate), C.check_beta("beta", beta)
  C.check_nonnegative("weight_decay", weight_decay)
  _no_decay_mask("momo", weight_decay, mask)
  return C.checked(optax.contrib.momo(learning_rate, beta=beta, lower_bound=lower_bound,
                                      weight_decay=weight_decay, adapt_lower_bound=adapt_lower_bound))


def momo_adam(learning_rate: Any = 1e-2, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
              lower_bound: float = 0.0, weight_decay: float = 0.0, adapt_lower_bound: bool = False,
              mask: Any = None) -> optax.GradientTransformationExtraArgs:
  """MoMo-Adam (same paper as :func:`momo`): the MoMo step in Adam's preconditioned geometry.
  ``optax.contrib.momo_adam``; needs ``value=loss``. ``mask`` as in :func:`momo`."""
  C.check_learning_rate(learning_rate), C.check_beta("b1", b1), C.check_beta("b2", b2)
  C.check_nonnegative("weight_decay", weight_decay)
  _no_decay_mask("momo_adam", weight_decay, mask)
  return C.checked(optax.contrib.momo_adam(learning_rate, b1=b1, b2=b2, eps=eps,
                                           lower_bound=lower_bound, weight_decay=weight_decay,
                                           adapt_lower_bound=adapt_lower_bound))


def scale_by_inverse_loss(eps: float = 0.0) -> optax.GradientTransformationExtraArgs:
  """Divides the updates by the current loss value: g / (f(w_t) + eps). Needs ``value=loss``."""
  C.check_nonnegative("eps", eps)

  def init_fn(params):
    del params
    return optax.EmptyState()

  def update_fn(updates, state, params=None, *, value=None, **extra):
    del params, extra
    if value is None:
      raise ValueError("normalized_lr_gd needs the loss: call update(..., value=loss)")
    scale = 1.0 / (jnp.asarray(value, jnp.float32) + eps)
    return jax.tree.map(lambda g: (C.f32(g) * scale).astype(g.dtype), updates), state

  return optax.GradientTransformationExtraArgs(init_fn, update_fn)


def normalized_lr_gd(learning_rate: Any = 1.0, eps: float = 0.0) -> optax.GradientTransformationExtraArgs:
  """Normalized LR+GD (Tyurin, "From Logistic Regression to the Perceptron Algorithm: Exploring
  Gradient Descent with Large Step Sizes", 2024, arXiv:2412.08424; slug normalized_lr_gd).

    w_{t+1} = w_t - (lr / f(w_t)) grad f(w_t)        (f = the logistic loss, passed as ``value=``)
  Dividing by the loss keeps the effective step growing as the data become separated (where
  grad f ~ f), which, per the paper, makes the method behave like the batch perceptron from the start
  and improves its iteration complexity over LR+GD with a constant step. This is lbrl's reading of the
  paper's method (step size divided by the current loss); ``eps`` guards f -> 0 (0 = exact).
  """
  C.check_learning_rate(learning_rate)
  return C.checked(optax.chain(scale_by_inverse_loss(eps), optax.scale_by_learning_rate(learning_rate)))


def scaled_gradient(inner: optax.GradientTransformation, scale: float = 1.0,
                    ) -> optax.GradientTransformationExtraArgs:
  """``optax.chain(optax.scale(scale), inner)``: runs the optimizer ``inner`` on ``scale * g``.

  An exact way to put an optimizer at a different gradient scale (as low precision, a small loss scale
  or a large width do) without touching the model or loss. Used by the Adam-atan2 reproduction (Adam
  at gradient scale c equals Adam with eps / c; Adam-atan2 is exactly scale invariant). ``inner`` is
  an optax transform (e.g. ``lbrl.optim.adam(1e-2)``); a config names it instead
  (``optimizer=dict(name="scaled_gradient", inner="adam", scale=1e-4)``), resolved by
  :mod:`lbrl.train.optimizer`.
  """
  C.check_positive("scale", scale)
  inner = C.check_transform("inner", inner)
  return C.checked(optax.chain(optax.scale(scale), inner))
