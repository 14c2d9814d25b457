"""Adversarial training as gradient estimators: the attack runs inside the (jitted, sharded) train step.

The trainer's ``loss_fn(params, batch, rng) -> (loss, aux)`` evaluates the model (and every auxiliary
network, e.g. a frozen teacher) on ``batch["x"]``; an estimator here first builds adversarial inputs by
ascending an objective in ``x`` and then differentiates ``loss_fn`` at a batch whose ``x`` is the
adversarial example. Nothing in the trainer changes (``config.grad_estimator = dict(name=...)``).

* :func:`pgd_attack` -- projected gradient ascent under an l_inf ball (Madry et al., "Towards Deep
  Learning Models Resistant to Adversarial Attacks", 2018, arXiv:1706.06083)::

      x_0 = x + start;   x_{k+1} = clip_[lo, hi]( Proj_{||. - x||_inf <= eps}( x_k + a sign(grad_x f(x_k)) ) )

  ``start`` is uniform in ``[-eps, eps]`` (Madry), Gaussian ``0.001 N(0, 1)`` (the MTARD/TRADES code) or 0;
  FGSM (Goodfellow et al. 2015, arXiv:1412.6572) is one step of size ``eps`` from ``x``
  (:func:`fgsm_attack`). The final example is under ``stop_gradient``.
* :func:`adversarial_estimator` (``GRAD_ESTIMATORS`` name ``adversarial``) -- adversarial training:
  ``(1 - clean_weight) grad L(x_adv) + clean_weight grad L(x)``; ``clean_weight = 0`` is Madry's PGD-AT with
  a cross-entropy loss, and with a distillation loss against a robust teacher it is single-teacher
  adversarial distillation (the teacher is re-evaluated on ``x_adv`` by ``loss_fn``).
* :func:`mtard_estimator` (name ``mtard``) -- the gradient of B-MTARD (Zhao, Wang and Wei, "Mitigating
  Accuracy-Robustness Trade-off via Balanced Multi-Teacher Adversarial Distillation", TPAMI 2024,
  arXiv:2306.16170, slug ``mitigating_accuracy_robustness_trade``): the loss's component ``nat`` (student
  vs the clean teacher, :func:`lbrl.losses.distillation.mtard`) at the clean ``x`` and its component ``adv``
  (student vs the robust teacher) at ``x_adv``, weighted ``w_nat L_nat + w_adv L_adv`` with the paper's
  Normalization Loss Balance (the authors' ``resnet18_mtard_cifar10.py``): with ``l_k = L_k / L_k(step 0)``
  and ``r_k = l_k / mean(l)``, each step ``w_k <- w_k - lr_w (w_k - r_k / sum(r))``, clipped at 0 and
  renormalised to sum 1 (initial ``w = (1/2, 1/2)``, ``lr_w = 0.025``); the weights and initial losses live
  in the estimator state (checkpointed). The attack maximises the student's cross-entropy at ``x_adv``
  (authors: 10 steps of 2/255 in an 8/255 ball from ``x + 0.001 N(0, 1)``).

  Departure (stated in the config): the paper's Entropy-Based Balance adapts the two teachers'
  temperatures each step (``tau <- tau -/+ 0.001 sign(H_adv / H_nat - 1)``, clipped to [1, 10]); the
  trainer gives losses static hyperparameters only, so here the temperatures are the loss's fixed
  ``temperature_nat`` / ``temperature_adv`` (default 1, the authors' initial value). The authors also
  divide the step's learning rate for ``lr_w`` by 10 at their lr decays; here ``lr_w`` is constant.

The model is applied in train mode during the attack (the authors switch the student to eval mode:
identical for models without dropout or batch norm, such as the MLP students here).
"""
from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
import optax

from lbrl.optim.sharpness import GradEstimator

STARTS = ("uniform", "normal", "none")


def _check_attack(eps, step_size, steps, start):
  if not eps >= 0:
    raise ValueError(f"eps must be >= 0 (the l_inf radius), got {eps}")
  if not step_size > 0:
    raise ValueError(f"step_size must be > 0, got {step_size}")
  if int(steps) != steps or steps < 1:
    raise ValueError(f"steps must be an integer >= 1, got {steps}")
  if start not in STARTS:
    raise ValueError(f"random_start must be one of {STARTS}, got {start!r}")


def pgd_attack(objective: Callable[[jax.Array], jax.Array], x: jax.Array, rng: jax.Array | None, *,
               eps: float, step_size: float, steps: int = 10, random_start: str = "uniform",
               start_scale: float = 0.001, bounds: tuple[float, float] | None = None) -> jax.Array:
  """The l_inf PGD example ``x_adv`` maximising ``objective(x_adv) -> scalar`` (see the module docstring).

  Args:
    objective: a scalar function of the input batch (e.g. the mean cross-entropy); it is ascended.
    x: the clean inputs.
    rng: key for the random start (unused with ``random_start="none"``).
    eps: l_inf radius (>= 0).
    step_size: the ascent step ``a`` (> 0).
    steps: number of ascent steps (>= 1).
    random_start: ``"uniform"`` (U[-eps, eps], Madry), ``"normal"`` (``start_scale * N(0, 1)``, MTARD) or
      ``"none"``.
    bounds: optional ``(lo, hi)`` input range to clip to (``(0, 1)`` for images; None for standardised data).
  """
  _check_attack(eps, step_size, steps, random_start)
  x = jax.lax.stop_gradient(x)
  xf = x.astype(jnp.float32)
  if random_start == "uniform":
    start = jax.random.uniform(rng, x.shape, jnp.float32, -eps, eps)
  elif random_start == "normal":
    start = start_scale * jax.random.normal(rng, x.shape, jnp.float32)
  else:
    start = jnp.zeros(x.shape, jnp.float32)

  def project(z):
    z = jnp.clip(z, xf - eps, xf + eps)
    return z if bounds is None else jnp.clip(z, bounds[0], bounds[1])

  grad = jax.grad(lambda z: objective(z.astype(x.dtype)))

  def body(_, z):
    return project(z + step_size * jnp.sign(grad(z).astype(jnp.float32)))

  z = jax.lax.fori_loop(0, int(steps), body, project(xf + start) if random_start != "none" else xf)
  return jax.lax.stop_gradient(z.astype(x.dtype))


def fgsm_attack(objective, x, *, eps: float, bounds=None) -> jax.Array:
  """FGSM: ``clip(x + eps sign(grad_x objective(x)))``, one PGD step of size ``eps`` from ``x``."""
  return pgd_attack(objective, x, None, eps=eps, step_size=max(eps, 1e-30), steps=1, random_start="none",
                    bounds=bounds)


def _ce_objective(loss_fn, params, batch, rng):
  """The student's mean cross-entropy on its logits at ``x`` (the attack objective of Madry and MTARD)."""
  def f(x):
    _, aux = loss_fn(params, {**batch, "x": x}, rng)
    logits = aux["logits"]
    if not isinstance(logits, jax.Array):
      raise ValueError("objective='ce' needs a model returning one logits array; use objective='loss'")
    return jnp.mean(optax.losses.softmax_cross_entropy_with_integer_labels(
        logits.astype(jnp.float32), batch["label"]))
  return f


def _objective(kind, loss_fn, params, batch, rng):
  if kind == "ce":
    return _ce_objective(loss_fn, params, batch, rng)
  if kind == "loss":
    return lambda x: loss_fn(params, {**batch, "x": x}, rng)[0]
  raise ValueError(f"objective must be 'ce' (the student's cross-entropy) or 'loss' (the config's loss), got {kind!r}")


def _attack(loss_fn, params, batch, rng, *, objective, eps, step_size, steps, random_start, bounds):
  f = _objective(objective, loss_fn, params, batch, rng)
  return pgd_attack(f, batch["x"], jax.random.fold_in(rng, 7919), eps=eps, step_size=step_size, steps=steps,
                    random_start=random_start, bounds=bounds)


def adversarial_estimator(eps: float = 0.1, step_size: float | None = None, steps: int = 10,
                          random_start: str = "uniform", objective: str = "ce", clean_weight: float = 0.0,
                          bounds: tuple[float, float] | None = None) -> GradEstimator:
  """PGD adversarial training (FGSM: ``steps=1, step_size=eps, random_start="none"``).

  Gradient ``(1 - clean_weight) grad L(x_adv) + clean_weight grad L(x)``; ``step_size`` defaults to
  ``2.5 eps / steps`` (Madry et al.). Cost: ``steps + 1`` gradient evaluations (+1 with a clean term).
  """
  _check_attack(eps, 1.0 if step_size is None else step_size, steps, random_start)
  step_size = 2.5 * eps / steps if step_size is None else step_size
  if not 0.0 <= clean_weight <= 1.0:
    raise ValueError(f"clean_weight must be in [0, 1], got {clean_weight}")
  bounds = None if bounds is None else tuple(bounds)

  def init(params=None, **_):
    del params
    return ()

  def value_and_grad(loss_fn, params, batch, rng, state=()):
    vg = jax.value_and_grad(loss_fn, has_aux=True)
    x_adv = _attack(loss_fn, params, batch, rng, objective=objective, eps=eps, step_size=step_size, steps=steps,
                    random_start=random_start, bounds=bounds)
    (loss, aux), g = vg(params, {**batch, "x": x_adv}, rng)
    if clean_weight > 0.0:
      (loss_c, _), g_c = vg(params, batch, rng)
      loss = (1.0 - clean_weight) * loss + clean_weight * loss_c
      g = jax.tree.map(lambda a, b: ((1.0 - clean_weight) * a + clean_weight * b).astype(a.dtype), g, g_c)
    return (loss, aux), g, state

  return GradEstimator("adversarial", steps + 1.0 + (clean_weight > 0), init, value_and_grad)


def balance_weights(weights: jax.Array, losses: jax.Array, init_losses: jax.Array, lr: float) -> jax.Array:
  """B-MTARD's Normalization Loss Balance, one step: ``l = L / L_0``, ``r = l / mean(l)``,
  ``w <- max(w - lr (w - r / sum(r)), 0)``, renormalised to sum 1."""
  rel = losses / init_losses
  r = rel / jnp.mean(rel)
  w = jnp.maximum(weights - lr * (weights - r / jnp.sum(r)), 0.0)
  return w / jnp.sum(w)


def mtard_estimator(eps: float = 0.1, step_size: float | None = None, steps: int = 10,
                    random_start: str = "normal", weight_lr: float = 0.025,
                    bounds: tuple[float, float] | None = None) -> GradEstimator:
  """B-MTARD's gradient (see the module docstring): needs a loss with components ``("nat", "adv")``
  (``lbrl.losses.distillation:mtard``). ``step_size`` defaults to ``eps / 4`` (the authors' 2/255 in
  8/255). Cost: ``steps + 2`` gradient evaluations. State: ``{"weights": [w_nat, w_adv], "init": [L_nat0,
  L_adv0]}`` (NaN until the first step)."""
  step_size = eps / 4 if step_size is None else step_size
  _check_attack(eps, step_size, steps, random_start)
  if not weight_lr >= 0:
    raise ValueError(f"weight_lr must be >= 0, got {weight_lr}")
  bounds = None if bounds is None else tuple(bounds)

  def init(params=None, **_):
    del params
    return {"weights": jnp.full((2,), 0.5, jnp.float32), "init": jnp.full((2,), jnp.nan, jnp.float32)}

  def component(loss_fn, name):
    def f(params, batch, rng):
      _, aux = loss_fn(params, batch, rng)
      parts = aux.get("parts") or {}
      if set(parts) != {"nat", "adv"}:
        raise ValueError("grad_estimator 'mtard' needs a loss with components ('nat', 'adv') (loss 'mtard'); "
                         f"the config's loss has components {sorted(parts)}")
      return parts[name], aux
    return jax.value_and_grad(f, has_aux=True)

  def value_and_grad(loss_fn, params, batch, rng, state):
    x_adv = _attack(loss_fn, params, batch, rng, objective="ce", eps=eps, step_size=step_size, steps=steps,
                    random_start=random_start, bounds=bounds)
    (l_nat, aux), g_nat = component(loss_fn, "nat")(params, batch, rng)
    (l_adv, _), g_adv = component(loss_fn, "adv")(params, {**batch, "x": x_adv}, rng)
    losses = jax.lax.stop_gradient(jnp.stack([l_nat, l_adv]).astype(jnp.float32))
    init_losses = jnp.where(jnp.isnan(state["init"]), losses, state["init"])
    w = balance_weights(state["weights"], losses, init_losses, weight_lr)
    grads = jax.tree.map(lambda a, b: (w[0] * a + w[1] * b).astype(a.dtype), g_nat, g_adv)
    loss = w[0] * l_nat + w[1] * l_adv
    aux = {**aux, "parts": {"nat": l_nat, "adv": l_adv}}
    return (loss, aux), grads, {"weights": w, "init": init_losses}

  return GradEstimator("mtard", steps + 2.0, init, value_and_grad)
