"""Optimizer conventions and the fixes against the authors' code (issue 11 items 3-4, issue 13 item 7):
composition by transform, the paper's forms next to optax's (AdamW, LARS), SGDP, Ranger21's schedule,
TVLARS's filters and clamps, Fira's limiter, injection of every argument, and config resolution."""
import math

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
import pytest

import lbrl.optim as O
from lbrl.train.optimizer import make_optimizer

RNG = np.random.default_rng(0)
P = {"w": jnp.asarray(RNG.normal(size=(6, 4)), jnp.float32), "b": jnp.asarray(RNG.normal(size=(4,)), jnp.float32)}
G = {"w": jnp.asarray(RNG.normal(size=(6, 4)), jnp.float32), "b": jnp.asarray(RNG.normal(size=(4,)), jnp.float32)}


# ---- composition -------------------------------------------------------------------------------------

@pytest.mark.parametrize("factory,arg", [(O.perpgrad_optimizer, "inner"), (O.scaled_gradient, "inner"),
                                         (O.sam, "base"), (O.sam_imbalance, "base"),
                                         (O.amp_perturbation, "base"), (O.gradient_regularization, "base")])
def test_components_are_transforms_not_names(factory, arg):
  with pytest.raises(TypeError, match=f"{arg} must be an optax GradientTransformation.*lbrl.train.optimizer"):
    factory(**{arg: "adam"})
  factory(**{arg: O.adam(1e-3)})
  from lbrl.registry import OPTIMIZERS
  name = [n for n in OPTIMIZERS.names() if OPTIMIZERS.get(n) is factory][0]
  assert set(O.components(name)) == {arg}


def test_lbrl_optim_never_looks_optimizers_up_by_name():
  import inspect
  for mod in (O.adaptive, O.descent, O.layerwise, O.lowrank, O.perpgrad, O.sharpness):
    src = inspect.getsource(mod)
    assert "OPTIMIZERS.get" not in src and "import OPTIMIZERS" not in src, mod.__name__


def _cfg(**optimizer):
  return ml_collections.ConfigDict({
      "optimizer": optimizer, "grad_clip_norm": 0.0,
      "schedule": {"name": "constant", "warmup_steps": 0, "end_fraction": 0.0}})


def test_config_names_components_and_the_trainer_resolves_them():
  tx, _ = make_optimizer(_cfg(name="perpgrad", inner="sgd", learning_rate=0.1,
                              inner_kwargs={"momentum": 0.0}), 10)
  want = O.perpgrad_optimizer(O.sgd(0.1, momentum=0.0))
  u, _ = tx.update(G, tx.init(P), P)
  v, _ = want.update(G, want.init(P), P)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6), u, v)
  # default base for the two-pass methods is SGD with the config's learning rate and base_kwargs
  tx, _ = make_optimizer(_cfg(name="sam", learning_rate=0.1, rho=0.05, base_kwargs={"momentum": 0.9}), 10)
  gf = lambda p, i: jax.tree.map(lambda x: 2 * x, p)
  u, _ = tx.update(G, tx.init(P), P, grad_fn=gf)
  ref = O.sam(O.sgd(0.1, momentum=0.9), rho=0.05)
  v, _ = ref.update(G, ref.init(P), P, grad_fn=gf)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6), u, v)
  tx, _ = make_optimizer(_cfg(name="scaled_gradient", inner="adam", scale=1e-3, learning_rate=0.1), 10)
  tx.update(G, tx.init(P), P)
  with pytest.raises(TypeError, match="inner_kwargs"):
    make_optimizer(_cfg(name="perpgrad", inner="sgd", learning_rate=0.1, inner_kwargs={"nope": 1}), 10)


def test_weight_decay_mask_from_the_config_reaches_every_decay():
  for name in ("adamp", "gravity", "innaprop", "ranger21", "sgdp", "tvlars", "galore", "lars"):
    extra = {"rank": 2} if name == "galore" else {}
    tx, _ = make_optimizer(_cfg(name=name, learning_rate=0.01, weight_decay=0.1,
                                weight_decay_mask=["w"], **extra), 10)
    tx.update(G, tx.init(P), P)


# ---- AdamW: optax's form and the paper's -------------------------------------------------------------

def test_adamw_paper_holds_lambda_fixed_across_learning_rates():
  """Loshchilov & Hutter Alg. 2: the decay per step is eta_t * lambda, whatever alpha is; optax's is
  alpha * eta_t * wd. With a zero gradient only the decay acts (Adam's m = 0)."""
  zero = jax.tree.map(jnp.zeros_like, P)
  for alpha in (1e-3, 1e-2, 1e-1):
    tx = O.adamw_paper(alpha, weight_decay=1e-2)
    u, _ = tx.update(zero, tx.init(P), P)
    np.testing.assert_allclose(u["w"], -1e-2 * P["w"], rtol=1e-5)
    u, _ = O.adamw(alpha, weight_decay=1e-2).update(zero, O.adamw(alpha).init(P), P)
    np.testing.assert_allclose(u["w"], -alpha * 1e-2 * P["w"], rtol=1e-5)


def test_adamw_paper_with_a_schedule_uses_the_multiplier():
  """eta_t = lr(t) / alpha: halfway through a linear decay the decay is lambda / 2."""
  sched = optax.linear_schedule(0.1, 0.0, 10)
  tx = O.adamw_paper(sched, weight_decay=1e-2, base_learning_rate=0.1)
  zero = jax.tree.map(jnp.zeros_like, P)
  s = tx.init(P)
  for _ in range(5):
    u, s = tx.update(zero, s, P)
  np.testing.assert_allclose(u["w"], -(1 - 4 / 10) * 1e-2 * P["w"], rtol=1e-5)
  with pytest.raises(ValueError, match="base_learning_rate"):
    O.adamw_paper(sched, weight_decay=1e-2)


# ---- LARS: optax's form and the paper's --------------------------------------------------------------

def test_lars_paper_trust_ratio_differs_from_optax_only_with_weight_decay():
  for wd, same in ((0.0, True), (0.1, False)):
    a = O.lars_paper(1.0, weight_decay=wd, trust_coefficient=0.1)
    b = O.lars(1.0, weight_decay=wd, trust_coefficient=0.1)
    ua, _ = a.update(G, a.init(P), P)
    ub, _ = b.update(G, b.init(P), P)
    close = np.allclose(ua["w"], ub["w"], rtol=1e-5)
    assert close == same
  # the paper's ratio, by hand: eta ||w|| / (||g|| + wd ||w||)
  wd = 0.1
  ua, _ = O.lars_paper(1.0, weight_decay=wd, trust_coefficient=0.1).update(G, O.lars_paper(1.0).init(P), P)
  w, g = np.asarray(P["w"], np.float64), np.asarray(G["w"], np.float64)
  ratio = 0.1 * np.linalg.norm(w) / (np.linalg.norm(g) + wd * np.linalg.norm(w))
  np.testing.assert_allclose(ua["w"], -ratio * (g + wd * w), rtol=1e-5)


# ---- Ranger21: the authors' schedule -----------------------------------------------------------------

def np_ranger21_lr(step, T, b2=0.999, lr=1.0, min_lr=0.0, warmup_pct=0.22, warmdown_pct=0.72):
  """The authors' Ranger21 warmup_dampening and get_warm_down, transcribed (step is 1-based)."""
  beta_warm = math.ceil(2 / (1 - b2))
  warm = int(warmup_pct * T) if beta_warm / T > 0.45 else beta_warm
  out = lr * min(1.0, step / warm) if step <= warm else lr
  start = int(warmdown_pct * T)
  if step >= start:
    it = max(step + 1 - start, 1)
    pct = min(it / (T - start + 1), 1.0)
    out = max(lr - (lr - min_lr) * pct, min_lr)
  return out


@pytest.mark.parametrize("T", [50, 1000, 4444, 5000, 9090, 12000])
def test_ranger21_schedule_is_the_authors(T):
  sched = jax.jit(O.ranger21_schedule(T))
  steps = sorted(set(np.linspace(0, T - 1, 60).astype(int).tolist()
                     + [int(0.72 * T) + d for d in (-3, -2, -1, 0, 1)] + [1998, 1999, 2000]))
  steps = [s for s in steps if 0 <= s < T]
  got = np.asarray([float(sched(s)) for s in steps])
  want = np.asarray([np_ranger21_lr(s + 1, T) for s in steps])
  np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_ranger21_warmup_is_2000_steps_between_4445_and_9091():
  for T in (4445, 9090):
    s = O.ranger21_schedule(T)
    assert float(s(1998)) < 1.0 and float(s(1999)) == 1.0   # step 2000 (1-based) completes it


def test_ranger21_injects_total_steps_and_b2():
  """Issue 13 item 7: ``inject("ranger21", total_steps=50)`` and injected b2 used to fail (int() on a
  traced b2; total_steps checked as a Python int)."""
  for tx in (O.inject("ranger21", learning_rate=1e-2, total_steps=50),
             optax.inject_hyperparams(O.ranger21)(learning_rate=1e-2, total_steps=50, b2=0.99)):
    s = tx.init(P)
    u, s = jax.jit(tx.update)(G, s, P)
    assert all(np.all(np.isfinite(x)) for x in jax.tree.leaves(u))
  ref = O.ranger21(1e-2, total_steps=50, b2=0.99)
  tx = optax.inject_hyperparams(O.ranger21)(learning_rate=1e-2, total_steps=50, b2=0.99)
  u1, _ = jax.jit(tx.update)(G, tx.init(P), P)
  u2, _ = ref.update(G, ref.init(P), P)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-8), u1, u2)


def test_ranger21_norm_loss_regularises_vectors_with_the_factor_two():
  """With a zero gradient, no decay and AGC off, the step is lr * 2 nl (1 - 1/(||w||_unit + eps)) w."""
  zero = jax.tree.map(jnp.zeros_like, P)
  tx = O.ranger21(0.1, weight_decay=0.0, norm_loss_factor=0.05, agc_clip=0.0, use_gc=False)
  u, _ = tx.update(zero, tx.init(P), P)
  b = np.asarray(P["b"], np.float64)
  np.testing.assert_allclose(u["b"], -0.1 * 2 * 0.05 * (1 - 1 / (np.linalg.norm(b) + 1e-8)) * b, rtol=1e-5)
  w = np.asarray(P["w"], np.float64)
  cols = np.linalg.norm(w, axis=0, keepdims=True)     # per output unit (Flax: last axis)
  np.testing.assert_allclose(u["w"], -0.1 * 2 * 0.05 * (1 - 1 / (cols + 1e-8)) * w, rtol=1e-5)


def test_ranger21_unit_norm_of_a_conv1d_kernel_is_the_authors():
  k = jnp.asarray(RNG.normal(size=(3, 5, 4)))          # Flax [k, in, out]; torch [out, in, k]
  torch_view = np.transpose(np.asarray(k), (2, 1, 0))
  want = np.linalg.norm(torch_view, axis=1)           # the authors' dim=1 for 3-D tensors: [out, k]
  np.testing.assert_allclose(np.asarray(O.adaptive.ranger21_unit_norm(k))[:, 0, :], want.T, rtol=1e-6)


# ---- TVLARS: the authors' filters and clamps ---------------------------------------------------------

def test_tvlars_authors_filters_and_clamps():
  big = {"w": P["w"] * 100.0, "b": P["b"]}                # ||w|| > 10: clamped
  tx = O.tvlars(1.0, weight_decay=0.01, lam=0.0, alpha=0.1)
  u, _ = tx.update(G, tx.init(big), big)
  np.testing.assert_allclose(u["b"], -G["b"], rtol=1e-6)  # vector: raw gradient, no decay, no ratio
  w, g = np.asarray(big["w"], np.float64), np.asarray(G["w"], np.float64)
  d = g + 0.01 * w
  phi = 1 / (0.1 + np.exp(0.0))
  ratio = 1e-3 * phi * min(np.linalg.norm(w), 10.0) / min(np.linalg.norm(d), 10.0)
  np.testing.assert_allclose(u["w"], -ratio * d, rtol=1e-5)
  # filters off and no clamp: the paper's formula on every tensor
  tx = O.tvlars(1.0, weight_decay=0.01, lam=0.0, alpha=0.1, exclude_vectors=False, norm_clamp=None)
  u, _ = tx.update(G, tx.init(big), big)
  ratio = 1e-3 * phi * np.linalg.norm(w) / np.linalg.norm(d)
  np.testing.assert_allclose(u["w"], -ratio * d, rtol=1e-5)


# ---- Fira: the authors' limiter ----------------------------------------------------------------------

def np_fira_authors(G_seq, r, scale=0.25, limiter=1.01, b1=0.9, b2=0.999, eps=1e-8):
  """The authors' fira_adamw.py step for one matrix (uncorrected moments; bias correction on the step)."""
  m_, n_ = G_seq[0].shape
  right = m_ >= n_
  m = v = None; prev = None; out = []
  for t, Gm in enumerate(G_seq, 1):
    if t == 1:
      U, _, Vt = np.linalg.svd(Gm, full_matrices=False)
      Pm = Vt[:r].T if right else U[:, :r]
    R = Gm @ Pm if right else Pm.T @ Gm
    back = (lambda X: X @ Pm.T) if right else (lambda X: Pm @ X)
    m = (1 - b1) * R if m is None else b1 * m + (1 - b1) * R
    v = (1 - b2) * R * R if v is None else b2 * v + (1 - b2) * R * R
    psi = m / (np.sqrt(v) + eps)
    ax = 1 if right else 0
    phi = np.linalg.norm(psi, axis=ax, keepdims=True) / (np.linalg.norm(R, axis=ax, keepdims=True) + 1e-8)
    S = (Gm - back(R)) * phi
    if prev is not None:
      lim = max(np.linalg.norm(S) / (prev + 1e-8), limiter) / limiter
      S = S / lim
      prev = np.linalg.norm(S)
    else:
      prev = np.linalg.norm(S)
    step = np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    out.append(step * (scale * back(psi) + S))
  return out


@pytest.mark.parametrize("shape", [(12, 5), (4, 9)])
def test_fira_default_is_the_authors_uncorrected_limiter(shape):
  rng = np.random.default_rng(5)
  base = rng.normal(size=shape)
  G_seq = [base * (1 + 0.5 * k) + 0.3 * rng.normal(size=shape) for k in range(5)]
  ref = np_fira_authors(G_seq, r=2)
  p = {"w": jnp.zeros(shape)}
  tx = O.fira(1.0, rank=2, update_gap=100, scale=0.25)
  s = tx.init(p)
  for Gm, u_ref in zip(G_seq, ref):
    u, s = tx.update({"w": jnp.asarray(Gm, jnp.float32)}, s, p)
    np.testing.assert_allclose(-np.asarray(u["w"]), u_ref, rtol=2e-4, atol=2e-5)
  # the corrected reading limits differently on the same gradients
  tx = O.fira(1.0, rank=2, update_gap=100, scale=0.25, limiter_norm="corrected")
  s = tx.init(p)
  diffs = []
  for Gm, u_ref in zip(G_seq, ref):
    u, s = tx.update({"w": jnp.asarray(Gm, jnp.float32)}, s, p)
    diffs.append(float(np.max(np.abs(-np.asarray(u["w"]) - u_ref))))
  assert max(diffs) > 1e-3
  with pytest.raises(ValueError, match="limiter_norm"):
    O.fira(1e-2, limiter_norm="bias")


def test_tvlars_switch_delay_is_the_authors():
  """delay_mode="switch": plain LARS (phi = 1) while count < delay, then 1 / (alpha + exp(lam t)), t =
  count + 1 unshifted (the authors' step(unit_step_cnt, epoch_delay_cnt))."""
  lam, alpha, delay = 0.3, 0.1, 2
  tx = O.tvlars(1.0, weight_decay=0.0, lam=lam, alpha=alpha, delay=delay, delay_mode="switch",
                momentum=0.0, exclude_vectors=False, norm_clamp=None)
  s = tx.init(P)
  w, g = np.asarray(P["w"], np.float64), np.asarray(G["w"], np.float64)
  base = 1e-3 * np.linalg.norm(w) / np.linalg.norm(g)
  for count in range(4):
    u, s = tx.update(G, s, P)
    phi = 1.0 if count < delay else 1 / (alpha + np.exp(lam * (count + 1)))
    np.testing.assert_allclose(u["w"], -base * phi * g, rtol=1e-5)
  with pytest.raises(ValueError, match="delay_mode"):
    O.tvlars(1.0, delay_mode="later")
