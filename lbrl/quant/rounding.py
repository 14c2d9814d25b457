"""Layer-wise post-training rounding and calibration of a Dense kernel: AdaRound, AdaQuant, bias correction.

All use the int grid of :mod:`lbrl.quant.ptq` (qwix's symmetric absmax per output channel: ``s_o = max_i
|W_io| / (2^(b-1) - 0.5)``, codes in ``[-2^(b-1), 2^(b-1) - 1]``), so they differ from round-to-nearest
only in how the codes (and, for AdaQuant, the scales and bias) are chosen. ``w`` is a flax kernel
``[in, out]``, ``x`` the layer's calibration inputs ``[n, in]``; the target is the layer's float output
``y = x w`` (the symmetric layer-wise reconstruction).

* :func:`adaround` (Nagel, Amjad, van Baalen, Louizos and Blankevoort, "Up or Down? Adaptive Rounding for
  Post-Training Quantization", ICML 2020, arXiv:2004.10568, slug ``up_or_down_adaptive``): each weight
  rounds down or up, ``W~ = s clip(floor(W / s) + h(V), qmin, qmax)`` with the rectified sigmoid
  ``h(V) = clip(sigmoid(V) (zeta - gamma) + gamma, 0, 1)`` (``zeta = 1.1``, ``gamma = -0.1``); ``V`` is
  initialised so that ``h(V) = W / s - floor(W / s)`` (W~ = W at the start) and minimises
  ``mean_n ||y_n - x_n W~||^2 + lambda sum(1 - |2 h(V) - 1|^beta)`` with Adam; ``beta`` anneals linearly
  from 20 to 2 after a warm-up of 20% of the iterations without the regulariser (``lambda = 0.01``, the
  paper's values). The result rounds ``h >= 0.5`` (``V >= 0``) up. The paper runs 10,000 Adam iterations
  at learning rate 1e-3; lbrl's defaults (1,000 at 1e-2) keep a CPU run short (``iters=``, ``lr=``).
* :func:`adaquant` (Hubara, Nahshan, Hanani, Banner and Soudry, "Improving Post Training Neural
  Quantization: Layer-wise Calibration and Integer Programming", ICML 2021, arXiv:2006.10518, slug
  ``improving_post_training_neural``): the weights ``W' = W + V``, the per-channel scales ``s`` and the
  bias ``b'`` are free and minimise ``mean((x W + b - x Q_s(W') - b')^2)`` through the straight-through
  rounding (Adam, ``iters`` steps at ``lr``; the scales are parametrised as ``s0 exp(t)``).
* :func:`bias_correction`: ``b' = b + mean_n(x_n (W - W_hat))``, the quantized layer's mean output shift
  removed (the "bias tuning" the AdaQuant paper adds to every method; Nagel et al. 2019's empirical bias
  correction).
"""
from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import optax

from lbrl.quant.quantizers import int_absmax_scale

ZETA, GAMMA = 1.1, -0.1


def _grid(w_oi, bits):
  """``(scale [out, 1], qmin, qmax)`` of the int grid (see the module docstring)."""
  if not isinstance(bits, int) or not 2 <= bits <= 8:
    raise ValueError(f"bits must be an int in [2, 8], got {bits!r}")
  qmax = 2 ** (bits - 1) - 1
  return int_absmax_scale(w_oi, bits), -qmax - 1, qmax


def _check(w, x):
  w = jnp.asarray(w, jnp.float32)
  x = jnp.asarray(x, jnp.float32)
  if w.ndim != 2:
    raise ValueError(f"w must be a [in, out] kernel, got shape {w.shape}")
  if x.ndim != 2 or x.shape[1] != w.shape[0]:
    raise ValueError(f"x must be [n, in] with in = {w.shape[0]}; got {x.shape}")
  return w, x


def rectified_sigmoid(v):
  """AdaRound's ``h(V) = clip(sigmoid(V) (zeta - gamma) + gamma, 0, 1)``."""
  return jnp.clip(jax.nn.sigmoid(v) * (ZETA - GAMMA) + GAMMA, 0.0, 1.0)


def adaround_init(rest):
  """``V`` with ``h(V) = rest`` for ``rest`` in ``[0, 1)``."""
  return -jnp.log((ZETA - GAMMA) / (rest - GAMMA) - 1.0)


def adaround(w, x, *, bits: int = 4, iters: int = 1000, lr: float = 1e-2, reg: float = 0.01,
             beta: tuple[float, float] = (20.0, 2.0), warmup: float = 0.2) -> jax.Array:
  """AdaRound's quantized kernel ``[in, out]`` (module docstring)."""
  w, x = _check(w, x)
  if not isinstance(iters, int) or iters < 1 or not lr > 0 or reg < 0 or not 0 <= warmup < 1:
    raise ValueError(f"adaround needs iters >= 1, lr > 0, reg >= 0, 0 <= warmup < 1; got {iters}, {lr}, {reg}, "
                     f"{warmup}")
  return _adaround(w.T, x, bits, iters, float(lr), float(reg), tuple(map(float, beta)), float(warmup)).T


@partial(jax.jit, static_argnums=(2, 3, 4, 5, 6, 7))
def _adaround(W, x, bits, iters, lr, reg, beta, warmup):
  s, lo, hi = _grid(W, bits)
  base = jnp.floor(W / s)
  y = x @ W.T
  quant = lambda h: s * jnp.clip(base + h, lo, hi)
  start = int(warmup * iters)

  def loss(v, b, use_reg):
    h = rectified_sigmoid(v)
    rec = jnp.mean(jnp.sum((y - x @ quant(h).T) ** 2, axis=-1))
    return rec + use_reg * reg * jnp.sum(1.0 - jnp.abs(2.0 * h - 1.0) ** b)

  tx = optax.adam(lr)
  v = adaround_init(W / s - base)

  def step(carry, i):
    v, opt = carry
    frac = jnp.clip((i - start) / max(iters - start, 1), 0.0, 1.0)
    b = beta[0] + (beta[1] - beta[0]) * frac
    g = jax.grad(loss)(v, b, (i >= start).astype(jnp.float32))
    upd, opt = tx.update(g, opt, v)
    return (optax.apply_updates(v, upd), opt), None

  (v, _), _ = jax.lax.scan(step, (v, tx.init(v)), jnp.arange(iters))
  return quant((v >= 0).astype(jnp.float32))


@jax.custom_vjp
def round_ste(x):
  """``round(x)`` with a straight-through gradient (identity)."""
  return jnp.round(x)


round_ste.defvjp(lambda x: (jnp.round(x), None), lambda _, g: (g,))


def adaquant(w, x, b=None, *, bits: int = 4, iters: int = 500, lr: float = 1e-3) -> tuple[jax.Array, jax.Array]:
  """AdaQuant's ``(quantized kernel [in, out], bias [out])`` (module docstring); ``b`` defaults to zeros."""
  w, x = _check(w, x)
  if not isinstance(iters, int) or iters < 1 or not lr > 0:
    raise ValueError(f"adaquant needs iters >= 1 and lr > 0; got {iters}, {lr}")
  b = jnp.zeros(w.shape[1], jnp.float32) if b is None else jnp.asarray(b, jnp.float32)
  if b.shape != (w.shape[1],):
    raise ValueError(f"b must have shape ({w.shape[1]},), got {b.shape}")
  wq, bq = _adaquant(w.T, x, b, bits, iters, float(lr))
  return wq.T, bq


@partial(jax.jit, static_argnums=(3, 4, 5))
def _adaquant(W, x, b, bits, iters, lr):
  s0, lo, hi = _grid(W, bits)
  y = x @ W.T + b

  def quant(p):
    s = s0 * jnp.exp(p["t"])
    return s * jnp.clip(round_ste((W + p["v"]) / s), lo, hi)

  def loss(p):
    return jnp.mean((y - x @ quant(p).T - p["b"]) ** 2)

  p = {"v": jnp.zeros_like(W), "t": jnp.zeros_like(s0), "b": b}
  tx = optax.adam(lr)

  def step(carry, _):
    p, opt = carry
    upd, opt = tx.update(jax.grad(loss)(p), opt, p)
    return (optax.apply_updates(p, upd), opt), None

  (p, _), _ = jax.lax.scan(step, (p, tx.init(p)), None, length=iters)
  return quant(p), p["b"]


def bias_correction(w, w_hat, x, b=None) -> jax.Array:
  """``b + mean_n(x_n (w - w_hat))``: the bias that removes the quantized layer's mean output shift."""
  w, x = _check(w, x)
  w_hat = jnp.asarray(w_hat, jnp.float32)
  if w_hat.shape != w.shape:
    raise ValueError(f"w_hat must have w's shape {w.shape}, got {w_hat.shape}")
  b = jnp.zeros(w.shape[1], jnp.float32) if b is None else jnp.asarray(b, jnp.float32)
  return b + jnp.mean(x @ (w - w_hat), axis=0)
