"""Sharpness-aware training: SAM, AMP, finite-difference gradient regularisation, SAM for class
imbalance, and SAF (sharpness-aware training for free).

Each two-pass method is offered in two forms that compute the same gradient:

1. A *gradient estimator* (``GRAD_FNS`` registry): a drop-in replacement for
   ``jax.value_and_grad(loss_fn, has_aux=True)`` that a trainer calls inside its (sharded, jitted)
   step, with any base optimizer::

     est = GRAD_FNS.get("sam")(rho=0.05)
     gstate = est.init(params)                 # () for stateless methods; SAF keeps past outputs
     (loss, aux), grads, gstate = est.value_and_grad(loss_fn, params, batch, rng, gstate)

   ``loss_fn(params, batch, rng) -> (loss, aux)``; SAF reads ``aux["logits"]`` and
   ``batch["index"]`` (the example's position in the training set).

2. An optax ``GradientTransformationExtraArgs`` (``OPTIMIZERS`` entries ``sam``, ``amp_perturbation``,
   ``gradient_regularization``, ``sam_imbalance``) whose ``update`` takes optax's ``grad_fn=`` extra
   argument, ``grad_fn(params, i) -> grads`` on the current batch (``optax.contrib.sam``'s opaque-mode
   convention)::

     updates, state = tx.update(grads, state, params, grad_fn=lambda p, i: jax.grad(loss)(p, batch))

Cost in gradient evaluations per step (plain training = 1): SAM 2, SAM-imbalance 2,
gradient regularisation 2, AMP 1 + inner_steps (2 by default), SAF 1 (plus N x C x delay floats of
memory for the stored outputs).
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import optax
import optax.contrib

from lbrl.optim import _common as C
from lbrl.registry import GRAD_ESTIMATORS as GRAD_FNS  # declared there: plain, sam, sam_imbalance, ...

LossFn = Callable[[Any, Any, Any], tuple[jax.Array, Any]]


class GradEstimator(NamedTuple):
  """A replacement for ``jax.value_and_grad(loss_fn, has_aux=True)`` (see the module docstring)."""
  name: str
  grad_evals: float
  init: Callable[..., Any]
  value_and_grad: Callable[..., tuple[tuple[jax.Array, Any], Any, Any]]


def _axpy(a, x, y):
  """y + a * x leafwise, in y's dtype."""
  return jax.tree.map(lambda xi, yi: (yi + a * xi.astype(jnp.float32)).astype(yi.dtype), x, y)


def _norm(tree) -> jax.Array:
  return optax.tree.norm(jax.tree.map(C.f32, tree))


# ----------------------------------------------------------------------------------------------------
# The perturbed gradients, written once: grad_at(params) -> grads, g = grad at params.

def sam_gradient(grad_at, params, g, *, rho: float = 0.05, eps: float = 1e-12):
  """SAM: e = rho g / ||g||;  returns grad L(w + e)."""
  e_scale = rho / (_norm(g) + eps)
  return grad_at(_axpy(e_scale, g, params))


def amp_gradient(grad_at, params, g, *, epsilon: float = 0.5, inner_lr: float = 1.0,
                 inner_steps: int = 1):
  """AMP: delta_0 = 0; delta <- clip_{||.|| <= epsilon}(delta + inner_lr grad L(w + delta)) for
  ``inner_steps`` steps (the first gradient is ``g``); returns grad L(w + delta)."""
  delta = C.zeros_f32(params)
  gk = g
  for _ in range(inner_steps):
    delta = jax.tree.map(lambda d, x: d + inner_lr * C.f32(x), delta, gk)
    n = _norm(delta)
    delta = jax.tree.map(lambda d: d * jnp.minimum(1.0, epsilon / jnp.maximum(n, 1e-12)), delta)
    gk = grad_at(_axpy(1.0, delta, params))
  return gk


def gr_gradient(grad_at, params, g, *, gamma: float = 0.05, step: float = 0.1,
                normalize: bool = False):
  """Finite-difference gradient regularisation of L + (gamma/2) ||grad L||^2:
    h = step (/ ||g|| if normalize);   g_h = grad L(w + h g)
    returns g + gamma (g_h - g) / h  =  (1 - gamma/h) g + (gamma/h) g_h   (~ g + gamma H g)
  ``step > 0`` is the forward (ascent) difference the paper recommends, ``step < 0`` the backward one.
  """
  h = step / (_norm(g) + 1e-12) if normalize else jnp.asarray(step, jnp.float32)
  gh = grad_at(_axpy(h, g, params))
  c = gamma / h
  return jax.tree.map(lambda a, b: ((1.0 - c) * C.f32(a) + c * C.f32(b)).astype(a.dtype), g, gh)


# ----------------------------------------------------------------------------------------------------
# Estimators (form 1).

def _stateless(name: str, evals: float, perturbed: Callable) -> GradEstimator:
  def init(params=None, **_):
    del params
    return ()

  def value_and_grad(loss_fn: LossFn, params, batch, rng, state=()):
    vg = jax.value_and_grad(loss_fn, has_aux=True)
    (loss, aux), g = vg(params, batch, rng)
    grad_at = lambda p: vg(p, batch, rng)[1]
    return (loss, aux), perturbed(grad_at, params, g), state

  return GradEstimator(name, evals, init, value_and_grad)


def plain_estimator() -> GradEstimator:
  """``jax.value_and_grad`` in the estimator interface (1 gradient evaluation)."""
  return _stateless("plain", 1.0, lambda grad_at, params, g: g)


def sam_estimator(rho: float = 0.05, eps: float = 1e-12) -> GradEstimator:
  """SAM's gradient (Foret et al. 2021, arXiv:2010.01412): 2 gradient evaluations per step."""
  C.check_nonnegative("rho", rho)
  return _stateless("sam", 2.0, lambda ga, p, g: sam_gradient(ga, p, g, rho=rho, eps=eps))


def amp_estimator(epsilon: float = 0.5, inner_lr: float = 1.0, inner_steps: int = 1) -> GradEstimator:
  """AMP's gradient (Zheng et al. 2021, arXiv:2010.04925): 1 + inner_steps gradient evaluations."""
  C.check_nonnegative("epsilon", epsilon), C.check_nonnegative("inner_lr", inner_lr)
  C.check_int("inner_steps", inner_steps)
  return _stateless("amp_perturbation", 1.0 + inner_steps,
                    lambda ga, p, g: amp_gradient(ga, p, g, epsilon=epsilon, inner_lr=inner_lr,
                                                  inner_steps=inner_steps))


def gr_estimator(gamma: float = 0.05, step: float = 0.1, normalize: bool = False) -> GradEstimator:
  """Finite-difference GR's gradient (Karakida et al. 2023, arXiv:2210.02720): 2 evaluations."""
  C.check_nonnegative("gamma", gamma)
  if C.concrete(step) == 0.0:
    raise ValueError("step must be nonzero (it divides the finite difference)")
  return _stateless("gradient_regularization", 2.0,
                    lambda ga, p, g: gr_gradient(ga, p, g, gamma=gamma, step=step,
                                                 normalize=normalize))


# SAF ------------------------------------------------------------------------------------------------

class SAFState(NamedTuple):
  """SAF's memory: the last ``delay`` outputs of every training example, and its visit count."""
  outputs: jax.Array   # [delay, num_examples, num_classes] float32
  seen: jax.Array      # [num_examples] int32


def trajectory_loss(logits: jax.Array, past_logits: jax.Array, valid: jax.Array,
                    temperature: float = 5.0) -> jax.Array:
  """Mean over valid examples of KL(softmax(past / T) || softmax(logits / T)) (SAF's L_tra / lambda)."""
  p_past = jax.nn.softmax(C.f32(past_logits) / temperature, axis=-1)
  logp_now = jax.nn.log_softmax(C.f32(logits) / temperature, axis=-1)
  logp_past = jax.nn.log_softmax(C.f32(past_logits) / temperature, axis=-1)
  kl = jnp.sum(p_past * (logp_past - logp_now), axis=-1)
  w = valid.astype(jnp.float32)
  return jnp.sum(kl * w) / jnp.maximum(jnp.sum(w), 1.0)


def saf_estimator(lam: float = 0.3, temperature: float = 5.0, delay: int = 3,
                  logits_key: str = "logits", index_key: str = "index") -> GradEstimator:
  """SAF (Du et al., "Sharpness-Aware Training for Free", NeurIPS 2022, arXiv:2205.14083; slug saf).

    L_SAF(w) = L(w) + lam * mean_i KL( softmax(y_i^{(e - delay)} / T) || softmax(f_w(x_i) / T) )
  where y_i^{(e - delay)} are example i's logits recorded ``delay`` visits (epochs) earlier, kept in
  :class:`SAFState`; examples not yet seen ``delay`` times contribute no trajectory term. Cost: one
  gradient evaluation per step (as the base optimizer) plus the N x C x delay memory.
  ``init(params, num_examples=N, num_classes=C)``. Defaults lam 0.3, T 5, delay 3 follow the paper's
  ImageNet setting as lbrl reads it.
  """
  C.check_nonnegative("lam", lam), C.check_positive("temperature", temperature)
  C.check_int("delay", delay)

  def init(params=None, *, num_examples: int, num_classes: int, **_):
    del params
    C.check_int("num_examples", num_examples), C.check_int("num_classes", num_classes)
    return SAFState(jnp.zeros((delay, num_examples, num_classes), jnp.float32),
                    jnp.zeros((num_examples,), jnp.int32))

  def value_and_grad(loss_fn: LossFn, params, batch, rng, state: SAFState):
    if index_key not in batch:
      raise ValueError(f"SAF needs batch[{index_key!r}] (each example's index in the training set)")
    idx = batch[index_key]
    seen = state.seen[idx]
    slot = seen % delay
    past = state.outputs[slot, idx]
    valid = seen >= delay

    def total(p):
      loss, aux = loss_fn(p, batch, rng)
      if not isinstance(aux, dict) or logits_key not in aux:
        raise ValueError(f"SAF needs the loss function's aux to be a dict with {logits_key!r}")
      logits = aux[logits_key]
      tl = trajectory_loss(logits, past, valid, temperature)
      return loss + lam * tl, (loss, aux, logits, tl)

    (_, (loss, aux, logits, tl)), g = jax.value_and_grad(total, has_aux=True)(params)
    outputs = state.outputs.at[slot, idx].set(jax.lax.stop_gradient(C.f32(logits)))
    new_state = SAFState(outputs, state.seen.at[idx].add(1))
    aux = {**aux, "saf_trajectory_loss": tl}
    return (loss, aux), g, new_state

  return GradEstimator("saf", 1.0, init, value_and_grad)


def sam_imbalance_estimator(rho: float = 0.5, eps: float = 1e-12) -> GradEstimator:
  """SAM with the class-imbalance paper's default radius ``rho = 0.5`` (see :func:`sam_imbalance`)."""
  return sam_estimator(rho, eps)


# ----------------------------------------------------------------------------------------------------
# Optax transforms (form 2).

def two_pass(base: optax.GradientTransformation, perturbed: Callable
             ) -> optax.GradientTransformationExtraArgs:
  """Runs ``base`` on ``perturbed(grad_at, params, updates)``, with ``grad_at = grad_fn(., 0)``."""
  base = optax.with_extra_args_support(base)

  def update_fn(updates, state, params=None, *, grad_fn=None, **extra):
    if grad_fn is None or params is None:
      raise ValueError("this two-pass optimizer needs params and grad_fn: "
                       "update(g, state, params, grad_fn=lambda p, i: grad(p))")
    g = perturbed(lambda p: grad_fn(p, 0), params, updates)
    return base.update(g, state, params, **extra)

  return optax.GradientTransformationExtraArgs(base.init, update_fn)


def sam(base: optax.GradientTransformation, rho: float = 0.05) -> optax.GradientTransformationExtraArgs:
  """SAM (Foret, Kleiner, Mobahi & Neyshabur, "Sharpness-Aware Minimization for Efficiently Improving
  Generalization", ICLR 2021, arXiv:2010.01412; slug sam). ``optax.contrib.sam`` in opaque mode.

    min_w max_{||e|| <= rho} L(w + e);  e^(w) = rho g / ||g||;  w <- base_step(w, grad L(w + e^))
  Needs ``update(..., grad_fn=lambda p, i: grad(p))``; 2 gradient evaluations per step. ``base`` is
  the outer optimizer, an optax transform (the paper: SGD with momentum 0.9,
  ``lbrl.optim.sgd(0.1, momentum=0.9)``); a config names it (``base="sgd"``, the default, with
  ``base_kwargs``), resolved by :mod:`lbrl.train.optimizer`. Default rho 0.05 (the paper's CIFAR
  value). A zero gradient gives NaN in optax's normaliser; the estimator form (``GRAD_FNS["sam"]``)
  guards it with eps.
  """
  C.check_nonnegative("rho", rho)
  outer = C.check_transform("base", base)
  adv = optax.chain(optax.contrib.normalize(), optax.sgd(rho))
  return C.checked(optax.contrib.sam(outer, adv, sync_period=2, opaque_mode=True))


def sam_imbalance(base: optax.GradientTransformation, rho: float = 0.5
                  ) -> optax.GradientTransformationExtraArgs:
  """SAM for class-imbalanced data (Rangwani, Aithal, Mishra & Babu, "Escaping Saddle Points for
  Effective Generalization on Class-Imbalanced Data", NeurIPS 2022, arXiv:2212.13827; slug
  sam_imbalance).

  The optimizer is SAM with a large radius (rho 0.5 by default; the paper uses high rho so that the
  minority-class weights escape saddle points); the re-weighting belongs to the loss (deferred
  re-weighting: ``lbrl.losses`` ``cross_entropy_drw`` / ``ldam_drw``). 2 gradient evaluations per step.
  ``base`` as in :func:`sam`.
  """
  return sam(base, rho)


def amp_perturbation(base: optax.GradientTransformation, epsilon: float = 0.5, inner_lr: float = 1.0,
                     inner_steps: int = 1) -> optax.GradientTransformationExtraArgs:
  """AMP (Zheng, Zhang & Mao, "Regularizing Neural Networks via Adversarial Model Perturbation",
  CVPR 2021, arXiv:2010.04925; slug amp_perturbation).

    AMP loss: max_{||delta|| <= epsilon} L(w + delta), approximated by ``inner_steps`` of
    delta <- clip_epsilon(delta + inner_lr grad L(w + delta)) from delta = 0; w <- base_step(w,
    grad L(w + delta)).
  Unlike SAM the ascent is not normalised: small gradients give small perturbations, capped at the
  epsilon ball. Defaults (epsilon 0.5, inner_lr 1, 1 inner step) are the authors' CIFAR settings.
  Needs ``grad_fn=``; 1 + inner_steps gradient evaluations per step. ``base`` is the outer optimizer
  (an optax transform; configs name it, as for :func:`sam`).
  """
  amp_estimator(epsilon, inner_lr, inner_steps)   # validates
  outer = C.check_transform("base", base)
  return C.checked(two_pass(outer, lambda ga, p, g: amp_gradient(
      ga, p, g, epsilon=epsilon, inner_lr=inner_lr, inner_steps=inner_steps)))


def gradient_regularization(base: optax.GradientTransformation, gamma: float = 0.05, step: float = 0.1,
                            normalize: bool = False) -> optax.GradientTransformationExtraArgs:
  """Finite-difference gradient regularisation (Karakida, Takase, Hayase & Osawa, "Understanding
  Gradient Regularization in Deep Learning: Efficient Finite-Difference Computation and Implicit
  Bias", ICML 2023, arXiv:2210.02720; slug gradient_regularization).

    L_GR = L + (gamma/2) ||grad L||^2;  grad L_GR = g + gamma H g
    H g ~ (grad L(w + h g) - g) / h   (forward / ascent difference, h > 0; the paper finds it
    generalises better than the backward h < 0 or double back-propagation)
  With h = gamma it is SAM without the normalisation. Defaults gamma 0.05, h 0.1 are lbrl's (tune).
  Needs ``grad_fn=``; 2 gradient evaluations per step. ``base`` is the outer optimizer (an optax
  transform; configs name it, as for :func:`sam`).
  """
  gr_estimator(gamma, step, normalize)   # validates
  outer = C.check_transform("base", base)
  return C.checked(two_pass(outer, lambda ga, p, g: gr_gradient(
      ga, p, g, gamma=gamma, step=step, normalize=normalize)))


# ----------------------------------------------------------------------------------------------------
# Measuring sharpness.

def top_hessian_eigenvalue(loss: Callable[[Any], jax.Array], params, *, iters: int = 20,
                           seed: int = 0) -> jax.Array:
  """Largest-magnitude Hessian eigenvalue of ``loss(params)`` by power iteration on Hessian-vector
  products (forward-over-reverse). ``loss`` closes over the batch."""
  C.check_int("iters", iters)
  grad = jax.grad(loss)
  hvp = lambda v: jax.jvp(grad, (params,), (v,))[1]
  leaves, treedef = jax.tree.flatten(params)
  keys = jax.random.split(jax.random.key(seed), len(leaves))
  v = jax.tree.unflatten(treedef, [jax.random.normal(k, x.shape, jnp.float32) for k, x in
                                   zip(keys, leaves)])

  def body(_, carry):
    v, _ = carry
    n = _norm(v)
    v = jax.tree.map(lambda x: x / n, v)
    hv = hvp(v)
    lam = sum(jnp.vdot(a, b) for a, b in zip(jax.tree.leaves(v), jax.tree.leaves(hv)))
    return hv, lam

  _, lam = jax.lax.fori_loop(0, iters, body, (v, jnp.zeros([], jnp.float32)))
  return lam
