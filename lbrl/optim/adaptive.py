"""Adaptive (Adam-family) optimizers: optax reuse and the lbrl transforms of the Adam-family papers.

Where optax implements a paper (``adam``, ``adamw``, ``adafactor``) the factory below validates the
hyperparameters and returns optax's own transform (wrapped only to check the gradient tree); the
conformance tests pin optax's behaviour against a NumPy float64 reading of the paper.

Conventions of the lbrl transforms here:
  * ``scale_by_*`` returns the *direction* d (descent is ``params - lr * d``); the factory chains it
    with ``optax.add_decayed_weights`` where the paper decays decoupled and ``scale_by_learning_rate``.
  * Accumulators are float32 whatever the parameter dtype; updates are cast back to the parameter
    dtype, so bf16 parameters get bf16 updates.
  * Channel-wise views (AdamP, Ranger21's norm loss, gradient centralisation) treat the *last* axis of
    a kernel as the output channel, as Flax lays kernels out (``[in, out]``, ``[kh, kw, in, out]``).
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from lbrl.optim import _common as C


# ----------------------------------------------------------------------------------------------------
# optax reuse.

def adam(learning_rate: Any = 1e-3, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
         eps_root: float = 0.0) -> optax.GradientTransformationExtraArgs:
  """Adam (Kingma & Ba, "Adam: A Method for Stochastic Optimization", 2014, arXiv:1412.6980; slug adam).

  m_t = b1 m_{t-1} + (1-b1) g_t;  v_t = b2 v_{t-1} + (1-b2) g_t^2
  m^_t = m_t / (1-b1^t);  v^_t = v_t / (1-b2^t);  params -= lr * m^_t / (sqrt(v^_t + eps_root) + eps)

  Defaults are the paper's (lr 1e-3, b1 0.9, b2 0.999, eps 1e-8). This is ``optax.adam``.
  """
  C.check_learning_rate(learning_rate)
  C.check_beta("b1", b1), C.check_beta("b2", b2), C.check_nonnegative("eps", eps)
  return C.checked(optax.adam(learning_rate, b1=b1, b2=b2, eps=eps, eps_root=eps_root))


def adam_l2(learning_rate: Any = 1e-3, weight_decay: float = 0.0, b1: float = 0.9, b2: float = 0.999,
            eps: float = 1e-8, mask: Any = None) -> optax.GradientTransformationExtraArgs:
  """Adam with L2 regularisation folded into the gradient (the baseline AdamW is compared with).

  g_t <- g_t + weight_decay * params, then Adam. Loshchilov & Hutter (arXiv:1711.05101, slug adamw)
  show that the best weight decay of this coupled form moves with the learning rate.
  """
  C.check_learning_rate(learning_rate)
  C.check_beta("b1", b1), C.check_beta("b2", b2), C.check_nonnegative("eps", eps)
  return C.checked(optax.chain(*C.decayed_weights(weight_decay, mask),
                               optax.adam(learning_rate, b1=b1, b2=b2, eps=eps)))


def adamw(learning_rate: Any = 1e-3, weight_decay: float = 1e-4, b1: float = 0.9, b2: float = 0.999,
          eps: float = 1e-8, mask: Any = None) -> optax.GradientTransformationExtraArgs:
  """AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", 2017, arXiv:1711.05101).

  params -= lr * (m^_t / (sqrt(v^_t) + eps) + weight_decay * params)  (decay decoupled from the
  adaptive scaling; optax multiplies the decay by the learning rate, the paper's schedule multiplier
  eta_t). Catalog slug adamw. This is ``optax.adamw``.
  """
  C.check_learning_rate(learning_rate)
  C.check_beta("b1", b1), C.check_beta("b2", b2), C.check_nonnegative("eps", eps)
  C.check_nonnegative("weight_decay", weight_decay)
  return C.checked(optax.adamw(learning_rate, b1=b1, b2=b2, eps=eps, weight_decay=weight_decay,
                               mask=mask))


def adamw_paper(learning_rate: Any = 1e-3, weight_decay: float = 1e-4, base_learning_rate: Any = None,
                b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8, mask: Any = None,
                ) -> optax.GradientTransformationExtraArgs:
  """AdamW as in Loshchilov & Hutter's Algorithm 2 (arXiv:1711.05101, slug adamw): the decay is
  multiplied by the schedule multiplier eta_t only, never by the base learning rate alpha.

    learning_rate(t) = alpha * eta_t        (alpha = ``base_learning_rate``)
    params -= eta_t * (alpha * m^_t / (sqrt(v^_t) + eps) + weight_decay * params)
            = learning_rate(t) * (m^_t / (sqrt(v^_t) + eps) + (weight_decay / alpha) * params)

  So ``weight_decay`` here is the paper's lambda: a fixed lambda decays the weights by the same amount
  per step at every alpha, which is what the paper's (alpha, lambda) grids hold fixed. :func:`adamw`
  (``optax.adamw``) is the other form: its decay is multiplied by ``learning_rate(t)``, so its
  weight_decay equals lambda / alpha. ``base_learning_rate`` defaults to ``learning_rate`` when that is
  a constant; with a schedule give it (the peak rate alpha, e.g. ``config.optimizer.learning_rate``),
  or ``"initial"``: alpha = learning_rate(0), the schedule's first value, which is its peak for a
  constant or cosine schedule without warm-up (so a tuning grid over the learning rate alone keeps
  lambda the paper's; a schedule that starts at 0, i.e. with a warm-up, is refused).
  Defaults: alpha 1e-3, lambda 1e-4, betas (0.9, 0.999), eps 1e-8; ``mask`` selects decayed leaves.
  """
  C.check_learning_rate(learning_rate)
  C.check_beta("b1", b1), C.check_beta("b2", b2), C.check_nonnegative("eps", eps)
  C.check_nonnegative("weight_decay", weight_decay)
  if isinstance(base_learning_rate, str):
    if base_learning_rate != "initial":
      raise ValueError(f"adamw_paper: base_learning_rate={base_learning_rate!r}; expected a number, a "
                       "schedule or 'initial'")
    base_learning_rate = float(learning_rate(0)) if callable(learning_rate) else learning_rate
    if not base_learning_rate > 0:
      raise ValueError("adamw_paper: base_learning_rate='initial' needs a schedule whose value at step 0 is "
                       f"its peak rate alpha > 0, got learning_rate(0) = {base_learning_rate} (a warm-up? "
                       "then give base_learning_rate as the peak rate)")
  elif base_learning_rate is None:
    if callable(learning_rate):
      raise ValueError("adamw_paper: with a learning-rate schedule give base_learning_rate (the peak "
                       "rate alpha that the schedule multiplier eta_t = learning_rate(t) / alpha divides, "
                       "or 'initial' for learning_rate(0))")
    base_learning_rate = learning_rate
  C.check_positive("base_learning_rate", base_learning_rate)
  return C.checked(optax.adamw(learning_rate, b1=b1, b2=b2, eps=eps,
                               weight_decay=weight_decay / base_learning_rate, mask=mask))


def adafactor(learning_rate: Any = None, min_dim_size_to_factor: int = 128, decay_rate: float = 0.8,
              multiply_by_parameter_scale: bool = True, clipping_threshold: float | None = 1.0,
              momentum: float | None = None, eps: float = 1e-30, factored: bool = True,
              ) -> optax.GradientTransformationExtraArgs:
  """Adafactor (Shazeer & Stern, "Adafactor: Adaptive Learning Rates with Sublinear Memory Cost",
  2018, arXiv:1804.04235; slug adafactor). This is ``optax.adafactor``.

  For an n x m matrix only row and column statistics are kept (O(n + m) state):
    b2_t = 1 - t^(-decay_rate)
    R_t = b2_t R_{t-1} + (1-b2_t) rowmean(g^2 + eps);  C_t = b2_t C_{t-1} + (1-b2_t) colmean(g^2 + eps)
    V^_t = R_t C_t^T / mean(R_t);  U_t = g / sqrt(V^_t)
    U_t <- U_t / max(1, RMS(U_t) / clipping_threshold)              (update clipping, d = 1)
    params -= lr * max(1e-3, RMS(params)) * U_t                    (relative step size)
  Vectors and matrices with a dimension below ``min_dim_size_to_factor`` keep a full second moment.
  """
  if learning_rate is not None:
    C.check_learning_rate(learning_rate)
  C.check_nonnegative("decay_rate", decay_rate)
  if momentum is not None:
    C.check_beta("momentum", momentum)
  return C.checked(optax.adafactor(
      learning_rate, min_dim_size_to_factor=min_dim_size_to_factor, decay_rate=decay_rate,
      multiply_by_parameter_scale=multiply_by_parameter_scale, clipping_threshold=clipping_threshold,
      momentum=momentum, eps=eps, factored=factored))


# ----------------------------------------------------------------------------------------------------
# AdamP.

class AdamPState(NamedTuple):
  """AdamP's state: ``count`` (int32 step counter t), ``mu`` (first moment m_t, float32, shaped like the
  params), ``nu`` (second moment v_t, float32)."""
  count: jax.Array
  mu: Any
  nu: Any


class SGDPState(NamedTuple):
  """SGDP's state: ``momentum`` (the heavy-ball buffer b_t, float32, shaped like the params)."""
  momentum: Any


def _cosine_max(a_rows: jax.Array, b_rows: jax.Array, eps: float) -> jax.Array:
  dot = jnp.abs(jnp.sum(a_rows * b_rows, axis=1))
  na = jnp.maximum(jnp.linalg.norm(a_rows, axis=1), eps)
  nb = jnp.maximum(jnp.linalg.norm(b_rows, axis=1), eps)
  return jnp.max(dot / (na * nb))


def _project_radial(p_rows: jax.Array, u_rows: jax.Array, eps: float) -> jax.Array:
  pn = p_rows / (jnp.linalg.norm(p_rows, axis=1, keepdims=True) + eps)
  return u_rows - pn * jnp.sum(pn * u_rows, axis=1, keepdims=True)


def adamp_projection(param, grad, direction, *, delta: float = 0.1, eps: float = 1e-8):
  """AdamP's (and SGDP's) projection of one tensor's step: returns ``(direction, projected: bool)``.

  For the channel view (rows = output channels) and then the whole-layer view: if
  max_rows |cos(grad_row, param_row)| < delta / sqrt(row_size), the weight is taken as scale
  invariant and the radial part is removed, d_row <- d_row - p^_row <p^_row, d_row>, p^ = p / (||p|| + eps).
  The first view that passes is used (as the authors' ``_projection``). Vectors (ndim < 2) are never
  projected. Flax layout: the output channel is the last axis.
  """
  if param.ndim < 2:
    return direction, jnp.asarray(False)
  shape = param.shape
  pc, gc, dc = C.channel_rows(param), C.channel_rows(grad), C.channel_rows(direction)
  pl, gl, dl = param.reshape(1, -1), grad.reshape(1, -1), direction.reshape(1, -1)
  chan = _cosine_max(gc, pc, eps) < delta / math.sqrt(pc.shape[1])
  layer = _cosine_max(gl, pl, eps) < delta / math.sqrt(pl.shape[1])
  d_chan = C.from_channel_rows(_project_radial(pc, dc, eps), shape)
  d_layer = _project_radial(pl, dl, eps).reshape(shape)
  out = jnp.where(chan, d_chan, jnp.where(layer, d_layer, direction))
  return out, jnp.logical_or(chan, layer)


def scale_by_adamp(b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8, delta: float = 0.1,
                   wd_ratio: float = 0.1, weight_decay: float = 0.0, nesterov: bool = False,
                   mask: Any = None) -> optax.GradientTransformation:
  """AdamP's direction (see :func:`adamp`), including its projected decoupled weight decay (applied
  to the leaves ``mask`` selects; all by default)."""
  C.check_beta("b1", b1), C.check_beta("b2", b2), C.check_nonnegative("eps", eps)
  C.check_nonnegative("delta", delta), C.check_nonnegative("wd_ratio", wd_ratio)
  C.check_nonnegative("weight_decay", weight_decay)

  def init_fn(params):
    return AdamPState(jnp.zeros([], jnp.int32), C.zeros_f32(params), C.zeros_f32(params))

  def update_fn(updates, state, params=None):
    if params is None:
      raise ValueError("adamp needs params (its projection uses the weights)")
    count = optax.safe_increment(state.count)
    mu, nu = C.ema(b1, state.mu, updates), C.ema(b2, state.nu, updates, 2)
    bc1, bc2 = C.bias_factor(b1, count), C.bias_factor(b2, count)
    wds = C.masked_decay(weight_decay, mask, params)

    def leaf(g, m, v, p, wd):
      g, p32 = C.f32(g), C.f32(p)
      denom = jnp.sqrt(v / bc2) + eps
      d = (b1 * m + (1 - b1) * g) / denom if nesterov else m / denom
      d, projected = adamp_projection(p32, g, d, delta=delta, eps=eps)
      wd = wd * jnp.where(projected, wd_ratio, 1.0)
      return (d / bc1 + wd * p32).astype(p.dtype)

    out = jax.tree.map(leaf, updates, mu, nu, params, wds)
    return out, AdamPState(count, mu, nu)

  return optax.GradientTransformation(init_fn, update_fn)


def adamp(learning_rate: Any = 1e-3, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
          weight_decay: float = 0.0, delta: float = 0.1, wd_ratio: float = 0.1,
          nesterov: bool = False, mask: Any = None) -> optax.GradientTransformationExtraArgs:
  """AdamP (Heo et al., "AdamP: Slowing Down the Slowdown for Momentum Optimizers on Scale-invariant
  Weights", ICLR 2021, arXiv:2006.08217; slug adamp).

    m_t, v_t as Adam;  d = m_t / (sqrt(v_t / (1-b2^t)) + eps)   (Nesterov: (b1 m_t + (1-b1) g_t) / ...)
    if max |cos(g, w)| < delta / sqrt(dim) over the channel view (else the layer view):
        d <- d - w^ <w^, d>  (w^ = w/||w|| per view: the radial, norm-growing part is removed)
        weight decay is multiplied by wd_ratio
    w <- w - lr * (d / (1 - b1^t) + weight_decay * ratio * w)
  Defaults (the authors' ``adamp.AdamP``): lr 1e-3, betas (0.9, 0.999), eps 1e-8, delta 0.1,
  wd_ratio 0.1, weight_decay 0; ``mask`` selects the decayed leaves (all by default). Pinned to the
  authors' package in ``tests/golden`` (Flax ``[in, out]`` kernels vs torch ``[out, in]``).

  Example: ``tx = lbrl.optim.adamp(1e-3, weight_decay=1e-2)``.
  """
  C.check_learning_rate(learning_rate)
  return C.checked(optax.chain(
      scale_by_adamp(b1, b2, eps, delta, wd_ratio, weight_decay, nesterov, mask),
      optax.scale_by_learning_rate(learning_rate)))


def scale_by_sgdp(momentum: float = 0.0, dampening: float = 0.0, nesterov: bool = False,
                  eps: float = 1e-8, delta: float = 0.1, wd_ratio: float = 0.1,
                  weight_decay: float = 0.0, mask: Any = None, project_buffer: bool = True,
                  ) -> optax.GradientTransformation:
  """SGDP's direction (see :func:`sgdp`), including its projected, momentum-scaled weight decay."""
  C.check_beta("momentum", momentum), C.check_beta("dampening", dampening)
  C.check_nonnegative("eps", eps), C.check_nonnegative("delta", delta)
  C.check_nonnegative("wd_ratio", wd_ratio), C.check_nonnegative("weight_decay", weight_decay)

  def init_fn(params):
    return SGDPState(C.zeros_f32(params))

  def update_fn(updates, state, params=None):
    if params is None:
      raise ValueError("sgdp needs params (its projection uses the weights)")
    buf = jax.tree.map(lambda b, g: momentum * b + (1 - dampening) * C.f32(g), state.momentum, updates)
    wds = C.masked_decay(weight_decay, mask, params)

    def leaf(g, b, p, wd):
      g, p32 = C.f32(g), C.f32(p)
      d = g + momentum * b if nesterov else b
      d, projected = adamp_projection(p32, g, d, delta=delta, eps=eps)
      wd = wd * jnp.where(projected, wd_ratio, 1.0) / (1.0 - momentum)
      new_b = d if (project_buffer and not nesterov) else b
      return (d + wd * p32).astype(p.dtype), new_b

    pairs = jax.tree.map(leaf, updates, buf, params, wds)
    is_pair = lambda x: isinstance(x, tuple) and len(x) == 2 and not isinstance(x, SGDPState)
    out = jax.tree.map(lambda t: t[0], pairs, is_leaf=is_pair)
    new_buf = jax.tree.map(lambda t: t[1], pairs, is_leaf=is_pair)
    return out, SGDPState(new_buf)

  return optax.GradientTransformation(init_fn, update_fn)


def sgdp(learning_rate: Any = 0.1, momentum: float = 0.0, dampening: float = 0.0,
         weight_decay: float = 0.0, nesterov: bool = False, eps: float = 1e-8, delta: float = 0.1,
         wd_ratio: float = 0.1, mask: Any = None, project_buffer: bool = True,
         ) -> optax.GradientTransformationExtraArgs:
  """SGDP, the SGD variant of AdamP (Heo et al., ICLR 2021, arXiv:2006.08217; slug adamp).

    b_t = momentum b_{t-1} + (1 - dampening) g_t;   d = g_t + momentum b_t (Nesterov) or b_t
    the projection of :func:`adamp` (channel view, else layer view; ratio = wd_ratio when projected)
    w <- w - lr * (d + weight_decay * ratio / (1 - momentum) * w)
  The decay is divided by (1 - momentum) as in the authors' ``adamp.SGDP`` (it multiplies the weights
  by 1 - lr wd ratio / (1 - momentum) before the step), so its strength matches SGD's steady-state
  momentum step. Defaults are the authors' class defaults (momentum 0, dampening 0, eps 1e-8,
  delta 0.1, wd_ratio 0.1, no decay) with lr 0.1; the authors' README example uses momentum 0.9,
  nesterov and weight_decay 1e-5. ``mask`` selects the decayed leaves (all by default). Pinned to the
  authors' package in ``tests/golden``.

  ``project_buffer`` (default True, the authors' code): without Nesterov the authors' ``SGDP`` projects
  the momentum buffer itself in place, so the buffer carries the projected direction into later steps;
  the paper's Algorithm 1 keeps the raw momentum p_t and projects only the step q_t
  (``project_buffer=False``). With Nesterov both keep the raw buffer.

  Example: ``tx = lbrl.optim.sgdp(0.1, momentum=0.9, nesterov=True, weight_decay=1e-5)``.
  """
  C.check_learning_rate(learning_rate)
  return C.checked(optax.chain(
      scale_by_sgdp(momentum, dampening, nesterov, eps, delta, wd_ratio, weight_decay, mask,
                    project_buffer),
      optax.scale_by_learning_rate(learning_rate)))


# ----------------------------------------------------------------------------------------------------
# diffGrad.

class DiffGradState(NamedTuple):
  """diffGrad's state: ``count`` (int32 step t), ``mu``/``nu`` (Adam's first and second moments,
  float32), ``prev_grad`` (g_{t-1}, float32; zeros before the first step)."""
  count: jax.Array
  mu: Any
  nu: Any
  prev_grad: Any


def scale_by_diffgrad(b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8
                      ) -> optax.GradientTransformation:
  """diffGrad's direction: xi_t m^_t / (sqrt(v^_t) + eps), xi_t = sigmoid(|g_{t-1} - g_t|)."""
  C.check_beta("b1", b1), C.check_beta("b2", b2), C.check_nonnegative("eps", eps)

  def init_fn(params):
    z = C.zeros_f32(params)
    return DiffGradState(jnp.zeros([], jnp.int32), z, z, z)

  def update_fn(updates, state, params=None):
    del params
    count = optax.safe_increment(state.count)
    g32 = jax.tree.map(C.f32, updates)
    mu, nu = C.ema(b1, state.mu, g32), C.ema(b2, state.nu, g32, 2)
    mh, vh = C.bias_corrected(mu, b1, count), C.bias_corrected(nu, b2, count)
    out = jax.tree.map(
        lambda m, v, g, gp, u: (jax.nn.sigmoid(jnp.abs(gp - g)) * m / (jnp.sqrt(v) + eps)
                                ).astype(u.dtype),
        mh, vh, g32, state.prev_grad, updates)
    return out, DiffGradState(count, mu, nu, g32)

  return optax.GradientTransformation(init_fn, update_fn)


def diffgrad(learning_rate: Any = 1e-3, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
             weight_decay: float = 0.0, mask: Any = None) -> optax.GradientTransformationExtraArgs:
  """diffGrad (Dubey et al., "diffGrad: An Optimization Method for Convolutional Neural Networks",
  IEEE TNNLS 2019, arXiv:1909.11015; slug diffgrad).

    m_t, v_t, m^_t, v^_t as Adam;  xi_t = 1 / (1 + exp(-|g_{t-1} - g_t|))  (g_0 = 0)
    params -= lr * xi_t * m^_t / (sqrt(v^_t) + eps)
  The friction xi_t lies in [0.5, 1): steps shrink where the gradient barely changes. Defaults
  (lr 1e-3, betas (0.9, 0.999), eps 1e-8) are the paper's; ``weight_decay`` is decoupled (0 = off).
  """
  return C.optimizer(scale_by_diffgrad(b1, b2, eps), learning_rate, weight_decay, mask)


# ----------------------------------------------------------------------------------------------------
# Gravity.

class GravityState(NamedTuple):
  """Gravity's state: ``count`` (int32 step t, starting at 0), ``velocity`` (V_t, float32, shaped like
  the params; V_0 random)."""
  count: jax.Array
  velocity: Any


def scale_by_gravity(alpha: float = 0.01, beta: float = 0.9, initial_learning_rate: Any = 0.1,
                     seed: int = 0) -> optax.GradientTransformation:
  """Gravity's velocity (see :func:`gravity`); the update direction is the new velocity."""
  C.check_positive("alpha", alpha), C.check_beta("beta", beta)

  def init_fn(params):
    leaves, treedef = jax.tree.flatten(params)
    keys = jax.random.split(jax.random.key(seed), max(len(leaves), 1))
    std = jnp.asarray(alpha, jnp.float32) / jnp.asarray(initial_learning_rate, jnp.float32)
    vel = [std * jax.random.normal(k, p.shape, jnp.float32) for k, p in zip(keys, leaves)]
    return GravityState(jnp.zeros([], jnp.int32), jax.tree.unflatten(treedef, vel))

  def update_fn(updates, state, params=None):
    del params
    t = state.count.astype(jnp.float32) + 1.0          # t = 1 at the first step (the authors' code)
    beta_hat = (beta * t + 1.0) / (t + 2.0)

    def zeta(g):
      g = C.f32(g)
      gmax = jnp.max(jnp.abs(g))                 # 1 / m with m = 1 / max|g|
      return g / (1.0 + jnp.square(g * gmax))

    vel = optax.tree.update_moment(jax.tree.map(zeta, updates), state.velocity, beta_hat, 1)
    out = jax.tree.map(lambda v, u: v.astype(u.dtype), vel, updates)
    return out, GravityState(optax.safe_increment(state.count), vel)

  return optax.GradientTransformation(init_fn, update_fn)


def gravity(learning_rate: Any = 0.1, alpha: float = 0.01, beta: float = 0.9, seed: int = 0,
            velocity_lr: Any = None, weight_decay: float = 0.0, mask: Any = None,
            ) -> optax.GradientTransformationExtraArgs:
  """Gravity (Bahrami & Zadeh, "Gravity Optimizer: a Kinematic Approach on Optimization in Deep
  Learning", 2021, arXiv:2101.09192; slug gravity).

    V_0 ~ Normal(0, (alpha / lr)^2)  (per element; ``seed`` fixes it)
    beta^_t = (beta t + 1) / (t + 2)                         (t = 1, 2, ...)
    m = 1 / max|g_t| (per tensor);  zeta_t = g_t / (1 + (g_t / m)^2)
    V_{t+1} = beta^_t V_t + (1 - beta^_t) zeta_t;   params -= lr * V_{t+1}
  zeta is bounded by m/2: the largest gradient entries are damped most. Defaults (lr 0.1,
  alpha 0.01, beta 0.9) are the paper's. ``velocity_lr`` is the lr in V_0's scale alpha / lr
  (default: the learning rate at step 0; give it when a warm-up schedule starts at 0).
  ``weight_decay`` (default 0: the paper has none) is decoupled, ``params -= lr * wd * params``, on the
  leaves ``mask`` selects. t counts from 1 at the first step, as in the authors' PyTorch and Keras
  code (``dariush-bahrami/gravity.optimizer``) and pytorch-optimizer's port (pinned in tests/golden).
  """
  C.check_learning_rate(learning_rate)
  lr0 = velocity_lr if velocity_lr is not None else (
      learning_rate(0) if callable(learning_rate) else learning_rate)
  C.check_positive("velocity_lr (Gravity's V_0 scale alpha / lr; the lr at step 0 by default)", lr0)
  return C.optimizer(scale_by_gravity(alpha, beta, lr0, seed), learning_rate, weight_decay, mask)


# ----------------------------------------------------------------------------------------------------
# INNAprop.

class INNApropState(NamedTuple):
  """INNAprop's state: ``count`` (int32 step t), ``psi`` (the auxiliary INNA variable, float32,
  psi_0 = (1 - alpha beta) theta_0), ``nu`` (RMSprop's second moment v_t, float32)."""
  count: jax.Array
  psi: Any
  nu: Any


def innaprop(learning_rate: Any = 1e-3, alpha: float = 0.1, beta: float = 0.9, sigma: float = 0.999,
             eps: float = 1e-8, weight_decay: float = 0.01, mask: Any = None,
             ) -> optax.GradientTransformationExtraArgs:
  """INNAprop (Bolte, Boustany, Pauwels & Purica, "A second-order-like optimizer with adaptive
  gradient scaling for deep learning", 2024, arXiv:2410.10929; slug innaprop).

  INNA (the inertial Newton dynamics beta th'' + alpha th' + beta Hess th' + grad = 0, discretised with
  an auxiliary psi, psi_0 = (1 - alpha beta) th_0) with RMSprop scaling of the gradient:
    th <- (1 - lr wd) th                                  (decoupled weight decay)
    v_t = sigma v_{t-1} + (1 - sigma) g^2;   D = sqrt(v_t / (1 - sigma^t)) + eps
    psi <- (1 - lr/beta) psi + lr (1/beta - alpha) th
    th  <- (1 + lr (1 - alpha beta)/(beta - lr)) th - lr/(beta - lr) psi - lr beta g / D
  Memory: two buffers (psi, v), as AdamW. Defaults (lr 1e-3, alpha 0.1, beta 0.9, sigma 0.999,
  eps 1e-8, wd 0.01) are the paper's. Requires lr < beta. The learning rate enters the dynamics, so
  it is part of the transform (no trailing ``scale_by_learning_rate``). ``mask`` selects the leaves
  that decay (all by default).
  """
  C.check_learning_rate(learning_rate), C.check_beta("sigma", sigma)
  C.check_positive("beta", beta), C.check_nonnegative("alpha", alpha)
  C.check_nonnegative("eps", eps), C.check_nonnegative("weight_decay", weight_decay)
  lr_c, beta_c = C.concrete(learning_rate), C.concrete(beta)
  if lr_c is not None and beta_c is not None and not lr_c < beta_c:
    raise ValueError(f"innaprop needs learning_rate < beta, got {learning_rate} and {beta}")

  def init_fn(params):
    psi = jax.tree.map(lambda p: (1.0 - alpha * beta) * C.f32(p), params)
    nu = C.zeros_f32(params)
    return INNApropState(jnp.zeros([], jnp.int32), psi, nu)

  def update_fn(updates, state, params=None):
    if params is None:
      raise ValueError("innaprop needs params (the INNA dynamics act on the weights)")
    lr = C.lr_at(learning_rate, state.count)
    count = optax.safe_increment(state.count)
    bc = C.bias_factor(sigma, count)
    nu = C.ema(sigma, state.nu, updates, 2)
    th = jax.tree.map(lambda p, wd: (1.0 - lr * wd) * C.f32(p), params,
                      C.masked_decay(weight_decay, mask, params))
    psi = jax.tree.map(lambda s, t: (1.0 - lr / beta) * s + lr * (1.0 / beta - alpha) * t,
                       state.psi, th)
    s1, s2 = lr * (1.0 - alpha * beta) / (beta - lr), lr / (beta - lr)
    new = jax.tree.map(lambda t, s, g, v: (1.0 + s1) * t - s2 * s
                       - lr * beta * C.f32(g) / (jnp.sqrt(v / bc) + eps), th, psi, updates, nu)
    out = jax.tree.map(lambda n, p: (n - C.f32(p)).astype(p.dtype), new, params)
    return out, INNApropState(count, psi, nu)

  return C.checked(optax.GradientTransformation(init_fn, update_fn))


# ----------------------------------------------------------------------------------------------------
# Adam-atan2.

def scale_by_adam_atan2(b1: float = 0.9, b2: float = 0.999, a: float = 1.0, b: float = 1.0
                        ) -> optax.GradientTransformation:
  """Adam-atan2's direction a * atan2(m^_t, b * sqrt(v^_t)) (no epsilon)."""
  C.check_beta("b1", b1), C.check_beta("b2", b2)
  C.check_positive("a", a), C.check_positive("b", b)

  def init_fn(params):
    return optax.ScaleByAdamState(jnp.zeros([], jnp.int32), C.zeros_f32(params),
                                  C.zeros_f32(params))

  def update_fn(updates, state, params=None):
    del params
    count = optax.safe_increment(state.count)
    mu, nu = C.ema(b1, state.mu, updates), C.ema(b2, state.nu, updates, 2)
    mh, vh = C.bias_corrected(mu, b1, count), C.bias_corrected(nu, b2, count)
    out = jax.tree.map(lambda m, v, u: (a * jnp.arctan2(m, b * jnp.sqrt(v))).astype(u.dtype),
                       mh, vh, updates)
    return out, optax.ScaleByAdamState(count, mu, nu)

  return optax.GradientTransformation(init_fn, update_fn)


def adam_atan2(learning_rate: Any = 1e-3, b1: float = 0.9, b2: float = 0.999, a: float = 1.0,
               b: float = 1.0, weight_decay: float = 0.0, mask: Any = None,
               ) -> optax.GradientTransformationExtraArgs:
  """Adam-atan2 (Everett et al., "Scaling Exponents Across Parameterizations and Optimizers", ICML
  2024, arXiv:2407.05872; slug adam_atan2).

    m^_t, v^_t as Adam;  params -= lr * a * atan2(m^_t, b * sqrt(v^_t))
  atan2 replaces m / (sqrt(v) + eps): it is bounded (|update| < a pi/2), needs no epsilon, and is
  exactly invariant to rescaling the gradient (atan2(c m, c s) = atan2(m, s) for c > 0), so tiny
  gradients are not swallowed by eps as in Adam. Defaults a = b = 1 (the form written in the paper);
  ``weight_decay`` is decoupled (0 = off).
  """
  return C.optimizer(scale_by_adam_atan2(b1, b2, a, b), learning_rate, weight_decay, mask)


# ----------------------------------------------------------------------------------------------------
# Ranger21.

class Ranger21State(NamedTuple):
  """Ranger21's state: ``count`` (int32 step t), ``mu_even``/``mu_odd`` (the two positive-negative
  momentum EMAs, decay b1^2, updated on even/odd steps; float32), ``nu`` (Adam's second moment v_t,
  float32)."""
  count: jax.Array
  mu_even: Any
  mu_odd: Any
  nu: Any


def centralize_gradient(g: jax.Array) -> jax.Array:
  """Gradient centralisation (Yong et al. 2020): subtract the mean over every axis but the output."""
  if g.ndim < 2:
    return g
  return g - jnp.mean(g, axis=tuple(range(g.ndim - 1)), keepdims=True)


def ranger21_unit_norm(w: jax.Array) -> jax.Array:
  """The authors' ``unit_norm`` in Flax layout (output channel last), broadcastable against ``w``.

  ndim <= 1: the norm of the whole vector (so biases and norm scales are regularised too);
  ndim == 3 (a 1-D conv kernel ``[k, in, out]``; torch ``[out, in, k]``): the norm over the input axis
  only, per (tap, output), as the authors' code takes ``dim=1`` for 2-D and 3-D torch tensors;
  otherwise: the norm over every axis but the output channel (linear ``[in, out]``, conv
  ``[kh, kw, in, out]``).
  """
  if w.ndim <= 1:
    return jnp.linalg.norm(w)
  if w.ndim == 3:
    return jnp.linalg.norm(w, axis=1, keepdims=True)
  return jnp.sqrt(jnp.sum(jnp.square(w), axis=tuple(range(w.ndim - 1)), keepdims=True))


def scale_by_ranger21(b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
                      pnm_momentum: float = 1.0, weight_decay: float = 1e-4,
                      norm_loss_factor: float = 1e-4, use_gc: bool = True, mask: Any = None,
                      ) -> optax.GradientTransformation:
  """Ranger21's direction (see :func:`ranger21`): GC, positive-negative momentum, Adam scaling,
  stable weight decay (on the leaves ``mask`` selects) and the authors' norm loss."""
  C.check_beta("b1", b1), C.check_beta("b2", b2), C.check_nonnegative("eps", eps)
  C.check_nonnegative("pnm_momentum", pnm_momentum), C.check_nonnegative("weight_decay", weight_decay)
  C.check_nonnegative("norm_loss_factor", norm_loss_factor)

  def init_fn(params):
    z = C.zeros_f32(params)
    return Ranger21State(jnp.zeros([], jnp.int32), z, z, z)

  def update_fn(updates, state, params=None):
    if params is None:
      raise ValueError("ranger21 needs params (stable weight decay and norm loss use the weights)")
    count = optax.safe_increment(state.count)
    g32 = jax.tree.map(lambda g: centralize_gradient(C.f32(g)) if use_gc else C.f32(g), updates)
    b1sq = jnp.square(jnp.asarray(b1, jnp.float32))
    even = (count % 2) == 0
    # Positive-negative momentum: two EMAs with decay b1^2, updated on alternating steps.
    cur_prev = jax.tree.map(lambda e, o: jnp.where(even, e, o), state.mu_even, state.mu_odd)
    other = jax.tree.map(lambda e, o: jnp.where(even, o, e), state.mu_even, state.mu_odd)
    cur = C.ema(b1sq, cur_prev, g32)
    mu_even = jax.tree.map(lambda e, n: jnp.where(even, n, e), state.mu_even, cur)
    mu_odd = jax.tree.map(lambda o, n: jnp.where(even, o, n), state.mu_odd, cur)
    nu = C.ema(b2, state.nu, g32, 2)
    bc1 = C.bias_factor(b1, count)
    vhat = C.bias_corrected(nu, b2, count)
    noise = jnp.sqrt((1.0 + pnm_momentum) ** 2 + pnm_momentum ** 2)
    n_el = sum(v.size for v in jax.tree.leaves(nu))
    mean_vhat = sum(jnp.sum(v) for v in jax.tree.leaves(vhat)) / max(n_el, 1)
    swd_scale = 1.0 / jnp.sqrt(mean_vhat + eps * eps)   # stable weight decay: wd / sqrt(mean v^)
    wds = C.masked_decay(weight_decay, mask, params)

    def leaf(m, o, vh, p, wd, u):
      p32 = C.f32(p)
      pnm = ((1 + pnm_momentum) * m - pnm_momentum * o) / noise
      d = (pnm / bc1) / (jnp.sqrt(vh) + eps) + wd * swd_scale * p32
      nl = 2.0 * norm_loss_factor * (1.0 - 1.0 / (ranger21_unit_norm(p32) + eps))
      return (d + nl * p32).astype(u.dtype)

    out = jax.tree.map(leaf, cur, other, vhat, params, wds, updates)
    return out, Ranger21State(count, mu_even, mu_odd, nu)

  return optax.GradientTransformation(init_fn, update_fn)


class LookaheadState(NamedTuple):
  """Lookahead's state: ``count`` (int32 step t), ``slow`` (the slow weights, float32, initialised to
  the params), ``inner`` (the inner optimizer's state)."""
  count: jax.Array
  slow: Any
  inner: Any


def lookahead(inner: optax.GradientTransformation, sync_period: int = 5, slow_step_size: float = 0.5
              ) -> optax.GradientTransformation:
  """Lookahead (Zhang, Lucas, Hinton & Ba, "Lookahead Optimizer: k steps forward, 1 step back", 2019,
  arXiv:1907.08610) as a plain transform: the fast weights take ``inner``'s steps; every k =
  ``sync_period`` steps the slow weights move ``slow_step_size`` (alpha) of the way to the fast
  weights, phi <- phi + alpha (theta - phi), and the fast weights jump to them, theta <- phi.

  (``optax.lookahead`` needs a ``LookaheadParams`` pair in place of the parameters, which a generic
  trainer cannot give; this keeps the slow copy in the optimizer state instead.) Defaults k = 5,
  alpha = 0.5 (the paper's). Pinned against pytorch-optimizer's ``Lookahead`` in ``tests/golden``.
  """
  C.check_int("sync_period", sync_period), C.check_beta("slow_step_size", slow_step_size)
  inner = C.check_transform("inner", inner)

  def init_fn(params):
    return LookaheadState(jnp.zeros([], jnp.int32), jax.tree.map(C.f32, params), inner.init(params))

  def update_fn(updates, state, params=None):
    if params is None:
      raise ValueError("lookahead needs params")
    u, inner_state = inner.update(updates, state.inner, params)
    count = optax.safe_increment(state.count)
    sync = (count % sync_period) == 0
    fast = jax.tree.map(lambda p, d: C.f32(p) + C.f32(d), params, u)
    slow = jax.tree.map(lambda s, f: jnp.where(sync, s + slow_step_size * (f - s), s), state.slow, fast)
    out = jax.tree.map(lambda f, s, p, d: jnp.where(sync, s - C.f32(p), C.f32(d)).astype(d.dtype),
                       fast, slow, params, u)
    return out, LookaheadState(count, slow, inner_state)

  return optax.GradientTransformation(init_fn, update_fn)


def ranger21_schedule(total_steps: Any, b2: Any = 0.999, warmup_pct: Any = 0.22,
                      warmdown_start_pct: Any = 0.72, min_lr_fraction: Any = 0.0,
                      ) -> optax.Schedule:
  """Ranger21's learning-rate multiplier, as the authors' ``Ranger21`` computes it (s = count + 1, the
  1-based step; T = ``total_steps``):

    warm-up length  W = ceil(2 / (1 - b2)),  or floor(warmup_pct T) when ceil(2/(1-b2)) / T > 0.45
    warm-up         min(1, s / W)
    warm-down       from S = floor(warmdown_start_pct T):  for s >= S,
                    1 - (1 - min_lr_fraction) * min(1, (s + 1 - S) / (T - S + 1))
  (the authors' warm-down ends at an absolute ``warmdown_min_lr`` = 3e-5; here it is a fraction of the
  learning rate, default 0). ``T = 0`` turns both off (multiplier 1). Every argument may be a traced
  value (``optax.inject_hyperparams``).
  """
  if not callable(total_steps):
    C.check_int("total_steps", total_steps, minimum=0)
  b2_c = C.concrete(b2)
  beta_warm_c = float(math.ceil(2.0 / (1.0 - b2_c))) if b2_c is not None else None

  def sched(count):
    T = jnp.asarray(total_steps, jnp.float32)
    s = jnp.asarray(count, jnp.float32) + 1.0
    beta_warm = beta_warm_c if beta_warm_c is not None else jnp.ceil(
        2.0 / (1.0 - jnp.asarray(b2, jnp.float32)) - 0.05)   # float32: 2 / (1 - 0.999f) = 2000.03
    warm = jnp.where(beta_warm / jnp.maximum(T, 1.0) > 0.45, jnp.floor(warmup_pct * T), beta_warm)
    up = jnp.minimum(1.0, s / jnp.maximum(warm, 1.0))
    start = jnp.floor(warmdown_start_pct * T)
    frac = jnp.minimum(1.0, (s + 1.0 - start) / jnp.maximum(T - start + 1.0, 1.0))
    down = jnp.where(s >= start, 1.0 - (1.0 - min_lr_fraction) * frac, 1.0)
    return jnp.where(T > 0, up * down, 1.0)

  return sched


def _optional_agc(clipping: Any, eps: Any) -> optax.GradientTransformation:
  """``optax.adaptive_grad_clip(clipping, eps)`` when ``clipping > 0``, the identity at 0 (one state
  structure for every value, so ``clipping`` can be injected)."""
  agc = optax.adaptive_grad_clip(clipping, eps=eps)

  def update_fn(updates, state, params=None):
    clipped, _ = agc.update(updates, optax.EmptyState(), params)
    on = jnp.asarray(clipping) > 0
    return jax.tree.map(lambda c, u: jnp.where(on, c, u), clipped, updates), state

  return optax.GradientTransformation(lambda params: optax.EmptyState(), update_fn)


def ranger21(learning_rate: Any = 1e-3, total_steps: int = 0, b1: float = 0.9, b2: float = 0.999,
             eps: float = 1e-8, weight_decay: float = 1e-4, agc_clip: float = 1e-2,
             agc_eps: float = 1e-3, pnm_momentum: float = 1.0, norm_loss_factor: float = 1e-4,
             lookahead_steps: int = 5, lookahead_alpha: float = 0.5, use_gc: bool = True,
             min_lr_fraction: float = 0.0, mask: Any = None,
             ) -> optax.GradientTransformationExtraArgs:
  """Ranger21 (Wright & Demeure, "Ranger21: a synergistic deep learning optimizer", 2021,
  arXiv:2106.13731; slug ranger21): AdamW plus eight components, in this order:

    1. adaptive gradient clipping (unit-wise, clip 1e-2; ``optax.adaptive_grad_clip``; 0 = off)
    2. gradient centralisation (subtract the mean over all axes but the output channel)
    3. positive-negative momentum: m_even/m_odd EMAs (decay b1^2) updated on alternate steps,
       d_m = ((1 + p) m_cur - p m_other) / sqrt((1+p)^2 + p^2), p = ``pnm_momentum`` = 1
    4. Adam scaling: d = (d_m / (1-b1^t)) / (sqrt(v^_t) + eps)
    5. stable weight decay: + wd * w / sqrt(mean(v^_t))  (decay normalised by the mean 2nd moment over
       all parameters; on the leaves ``mask`` selects)
    6. norm loss, the authors' form: + 2 nl (1 - 1 / (||w||_unit + eps)) w, with ||w||_unit the
       authors' unit norm (:func:`ranger21_unit_norm`: per output unit, and the whole vector for 1-D
       parameters, which are regularised too)
    7+8. linear warm-up and linear warm-down of the LR (:func:`ranger21_schedule`, the authors'
       lengths: warm-up ceil(2/(1-b2)) steps unless that exceeds 45% of T, warm-down from 72% of T);
       needs ``total_steps`` T; ``total_steps=0`` disables both
    9. lookahead (k = 5, alpha = 0.5)
  Defaults are the paper's. ``learning_rate`` multiplies the built-in warm-up/warm-down. Where the
  authors' code differs from this reading: it applies the stable decay and norm loss to the last
  parameter tensor only (a loop-variable slip; pytorch-optimizer's port applies them to every tensor,
  as here), uses a max of second moments and a softplus on the denominator, and normalises gradients by
  their standard deviation; pytorch-optimizer's ``Ranger21`` core (AGC, GC, PNM, Adam, norm loss,
  lookahead) is pinned in ``tests/golden``. Every numeric argument can be injected with
  ``optax.inject_hyperparams``.

  Example: ``tx = lbrl.optim.ranger21(1e-3, total_steps=10_000)``.
  """
  C.check_learning_rate(learning_rate)
  C.check_nonnegative("agc_clip", agc_clip)
  C.check_int("total_steps", total_steps, minimum=0)
  parts = [_optional_agc(agc_clip, agc_eps),
           scale_by_ranger21(b1, b2, eps, pnm_momentum, weight_decay, norm_loss_factor, use_gc, mask),
           optax.scale_by_schedule(ranger21_schedule(total_steps, b2, min_lr_fraction=min_lr_fraction)),
           optax.scale_by_learning_rate(learning_rate)]
  return C.checked(lookahead(optax.chain(*parts), lookahead_steps, lookahead_alpha))
