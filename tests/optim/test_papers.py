"""Per-paper tests: each transform against an independent NumPy float64 implementation of the paper's
update rule for a few steps (float32 to 1e-6 relative), and the properties the papers state."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lbrl.optim as O

RNG = np.random.default_rng(0)
W0 = RNG.normal(size=(6, 5))
B0 = RNG.normal(size=(5,))
TARGET = RNG.normal(size=(6, 5))


def np_grad(w):
  """Gradient of 0.5 * sum(c * (w - target)^2) + 0.25 * sum(w^4) (nonquadratic, so steps differ)."""
  c = np.linspace(0.5, 2.0, w.size).reshape(w.shape)
  return c * (w - TARGET[:w.shape[0], :w.shape[1]] if w.ndim == 2 else w) + w ** 3


def run_jax(tx, w0, steps, extra=None):
  p = {"w": jnp.asarray(w0, jnp.float32)}
  s = tx.init(p)
  out = []
  for _ in range(steps):
    g = {"w": jnp.asarray(np_grad(np.asarray(p["w"], np.float64)), jnp.float32)}
    kw = extra(p) if extra else {}
    u, s = tx.update(g, s, p, **kw)
    p = optax.apply_updates(p, u)
    out.append(np.asarray(p["w"], np.float64))
  return out, s


def close(jax_traj, np_traj, rtol=1e-6, atol=1e-6):
  for a, b in zip(jax_traj, np_traj):
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------------------------------
# optax conformance: adam, adamw, lars, momo, adafactor, sign descent, sam.

def np_adam(w, steps, lr, b1=0.9, b2=0.999, eps=1e-8, wd=0.0):
  m = np.zeros_like(w); v = np.zeros_like(w); out = []
  for t in range(1, steps + 1):
    g = np_grad(w)
    m = b1 * m + (1 - b1) * g; v = b2 * v + (1 - b2) * g * g
    mh, vh = m / (1 - b1 ** t), v / (1 - b2 ** t)
    w = w - lr * (mh / (np.sqrt(vh) + eps) + wd * w)
    out.append(w)
  return out


def test_adam_matches_paper():
  close(run_jax(O.adam(0.01), W0, 5)[0], np_adam(W0, 5, 0.01))


def test_adamw_decoupled_decay_matches_paper():
  close(run_jax(O.adamw(0.01, weight_decay=0.1), W0, 5)[0], np_adam(W0, 5, 0.01, wd=0.1))


def test_adam_l2_couples_decay_into_the_moments():
  m = np.zeros_like(W0); v = np.zeros_like(W0); w = W0.copy(); out = []
  for t in range(1, 4):
    g = np_grad(w) + 0.1 * w
    m = 0.9 * m + 0.1 * g; v = 0.999 * v + 0.001 * g * g
    w = w - 0.01 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
    out.append(w)
  close(run_jax(O.adam_l2(0.01, weight_decay=0.1), W0, 3)[0], out)


def test_lars_matches_paper():
  w = W0.copy(); mom = np.zeros_like(w); out = []
  for _ in range(4):
    g = np_grad(w) + 1e-3 * w
    ratio = 1e-3 * np.linalg.norm(w) / np.linalg.norm(g)
    mom = 0.9 * mom + ratio * g
    w = w - 0.5 * mom
    out.append(w)
  close(run_jax(O.lars(0.5, weight_decay=1e-3), W0, 4)[0], out)


def test_sign_descent_matches():
  out, w = [], W0.copy()
  for _ in range(3):
    w = w - 0.01 * np.sign(np_grad(w)); out.append(w)
  close(run_jax(O.sign_descent(0.01), W0, 3)[0], out)


def loss_value(w):
  c = np.linspace(0.5, 2.0, w.size).reshape(w.shape)
  return float(0.5 * np.sum(c * (w - TARGET) ** 2) + 0.25 * np.sum(w ** 4))


def test_momo_matches_paper():
  beta, lr = 0.9, 1.0
  w = W0.copy(); d = np.zeros_like(w); fbar = 0.0; gam = 0.0; out = []
  for t in range(4):
    g, f = np_grad(w), loss_value(w)
    if t == 0:   # the first step initialises the averages with the first values
      d, fbar, gam = g, f, np.sum(g * w)
    else:
      d = beta * d + (1 - beta) * g
      fbar = beta * fbar + (1 - beta) * f
      gam = beta * gam + (1 - beta) * np.sum(g * w)
    h = fbar + np.sum(d * w) - gam
    tau = min(lr, max(h, 0.0) / np.sum(d * d))
    w = w - tau * d
    out.append(w)
  got, _ = run_jax(O.momo(lr, beta=beta), W0, 4,
                   extra=lambda p: {"value": jnp.asarray(loss_value(np.asarray(p["w"], np.float64)))})
  close(got, out, rtol=1e-5, atol=1e-5)


def test_adafactor_state_is_o_n_plus_m():
  n, m = 256, 128
  params = {"w": jnp.zeros((n, m)), "b": jnp.zeros((m,))}
  state = O.adafactor(1e-2).init(params)
  sizes = [x.size for x in jax.tree.leaves(state)]
  total = sum(sizes)
  adam_total = sum(x.size for x in jax.tree.leaves(optax.adam(1e-3).init(params)))
  assert total <= (n + m) + m + 16, total          # row + column stats + the bias's full moment
  assert adam_total >= 2 * n * m


def test_adafactor_matches_paper_factored_update():
  """Algorithm 4 of the paper with optax's defaults (decay 0.8, clip d = 1, relative step off)."""
  n, m = 8, 6
  w0 = RNG.normal(size=(n, m))
  tgt = RNG.normal(size=(n, m))
  grad = lambda w: w - tgt + 0.1 * w ** 3
  lr, eps1 = 0.05, 1e-30
  w = w0.copy(); R = np.zeros(n); Cc = np.zeros(m); out = []
  for t in range(1, 4):
    g = grad(w)
    b2 = 1.0 - t ** -0.8
    R = b2 * R + (1 - b2) * np.mean(g * g + eps1, axis=1)
    Cc = b2 * Cc + (1 - b2) * np.mean(g * g + eps1, axis=0)
    V = np.outer(R, Cc) / np.mean(R)
    U = g / np.sqrt(V)
    U = U / max(1.0, np.sqrt(np.mean(U * U)) / 1.0)
    w = w - lr * U
    out.append(w)
  tx = O.adafactor(lr, min_dim_size_to_factor=2, multiply_by_parameter_scale=False)
  p = {"w": jnp.asarray(w0, jnp.float32)}
  s = tx.init(p)
  for i in range(3):
    u, s = tx.update({"w": jnp.asarray(grad(np.asarray(p["w"], np.float64)), jnp.float32)}, s, p)
    p = optax.apply_updates(p, u)
    np.testing.assert_allclose(np.asarray(p["w"]), out[i], rtol=1e-5, atol=1e-6)


def test_sam_optax_matches_paper_and_estimator():
  rho, lr = 0.1, 0.05
  w = W0.copy(); out = []
  for _ in range(3):
    g = np_grad(w)
    e = rho * g / np.linalg.norm(g)
    w = w - lr * np_grad(w + e)
    out.append(w)
  gfn = lambda p, i: {"w": jnp.asarray(np_grad(np.asarray(p["w"], np.float64)), jnp.float32)}
  got, _ = run_jax(O.sam(O.sgd(lr), rho=rho), W0, 3, extra=lambda p: {"grad_fn": gfn})
  close(got, out, rtol=2e-5, atol=2e-6)
  # the estimator form gives the same gradient through any base optimizer
  loss = lambda p, batch, rng: (jnp.sum(jnp.asarray(0.0)) + _jloss(p["w"]), {})
  est = O.GRAD_FNS.get("sam")(rho=rho)
  p = {"w": jnp.asarray(W0, jnp.float32)}
  (_, _), g, _ = est.value_and_grad(loss, p, None, None, est.init(p))
  g_np = np_grad(W0 + rho * np_grad(W0) / np.linalg.norm(np_grad(W0)))
  np.testing.assert_allclose(np.asarray(g["w"]), g_np, rtol=2e-5, atol=2e-5)


def _jloss(w):
  c = jnp.asarray(np.linspace(0.5, 2.0, w.size).reshape(w.shape), jnp.float32)
  return 0.5 * jnp.sum(c * (w - jnp.asarray(TARGET, jnp.float32)) ** 2) + 0.25 * jnp.sum(w ** 4)


# ---------------------------------------------------------------------------------------------------
# lbrl transforms vs NumPy.

def np_adamp(w, steps, lr, b1=0.9, b2=0.999, eps=1e-8, delta=0.1, wd_ratio=0.1, wd=0.0, grad=np_grad):
  m = np.zeros_like(w); v = np.zeros_like(w); out = []; projected = []
  for t in range(1, steps + 1):
    g = grad(w)
    m = b1 * m + (1 - b1) * g; v = b2 * v + (1 - b2) * g * g
    d = m / (np.sqrt(v / (1 - b2 ** t)) + eps)
    ratio, proj = 1.0, False
    views = [(lambda x: x.T.reshape(w.shape[-1], -1), lambda x: x.reshape(w.shape[-1], -1).T),
             (lambda x: x.reshape(1, -1), lambda x: x.reshape(w.shape))]
    for view, unview in views:
      gv, pv, dv = view(g), view(w), view(d)
      cos = np.abs(np.sum(gv * pv, 1)) / (np.maximum(np.linalg.norm(gv, axis=1), eps)
                                          * np.maximum(np.linalg.norm(pv, axis=1), eps))
      if cos.max() < delta / math.sqrt(pv.shape[1]):
        pn = pv / (np.linalg.norm(pv, axis=1, keepdims=True) + eps)
        d = unview(dv - pn * np.sum(pn * dv, 1, keepdims=True))
        ratio, proj = wd_ratio, True
        break
    w = w - lr * (d / (1 - b1 ** t) + wd * ratio * w)
    out.append(w); projected.append(proj)
  return out, projected


def test_adamp_matches_numpy_without_projection():
  ref, proj = np_adamp(W0, 4, 0.01, wd=0.01)
  assert not any(proj)
  close(run_jax(O.adamp(0.01, weight_decay=0.01), W0, 4)[0], ref)


def scale_invariant_grad(w):
  """Gradient of f(w / ||w||): orthogonal to w, the case AdamP is built for."""
  u = w / np.linalg.norm(w)
  gu = np.linspace(-1, 1, w.size).reshape(w.shape) + u
  return (gu - u * np.sum(u * gu)) / np.linalg.norm(w)


def test_adamp_projects_scale_invariant_weights_and_keeps_their_norm():
  global np_grad
  ref, proj = np_adamp(W0, 3, 0.05, grad=scale_invariant_grad)
  assert all(proj)
  saved = np_grad
  np_grad = scale_invariant_grad
  try:
    got_p, _ = run_jax(O.adamp(0.05), W0, 3)
    got_a, _ = run_jax(O.adam(0.05), W0, 3)
  finally:
    np_grad = saved
  close(got_p, ref, rtol=1e-5, atol=1e-6)
  # The radial part is removed: the step is orthogonal to the (layer-wise scale-invariant) weights,
  # so the norm changes only at second order (||w + u||^2 = ||w||^2 + ||u||^2); Adam's step is not.
  radial = lambda u: abs(np.sum(u * W0)) / (np.linalg.norm(u) * np.linalg.norm(W0))
  up, ua = got_p[0] - W0, got_a[0] - W0
  assert radial(up) < 1e-5
  assert radial(ua) > 1e-2
  np.testing.assert_allclose(np.sum(got_p[0] ** 2), np.sum(W0 ** 2) + np.sum(up ** 2), rtol=1e-6)


def test_diffgrad_matches_paper():
  w = W0.copy(); m = np.zeros_like(w); v = np.zeros_like(w); gp = np.zeros_like(w); out = []
  for t in range(1, 5):
    g = np_grad(w)
    m = 0.9 * m + 0.1 * g; v = 0.999 * v + 0.001 * g * g
    xi = 1 / (1 + np.exp(-np.abs(gp - g)))
    w = w - 0.01 * xi * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
    gp = g
    out.append(w)
  close(run_jax(O.diffgrad(0.01), W0, 4)[0], out)


def test_gravity_matches_paper():
  tx = O.gravity(0.1, alpha=0.01, beta=0.9)
  v = np.asarray(tx.init({"w": jnp.zeros((6, 5))}).inner_states[0].velocity["w"]
                 if hasattr(tx.init({"w": jnp.zeros((6, 5))}), "inner_states") else
                 jax.tree.leaves(tx.init({"w": jnp.zeros((6, 5))}))[1], np.float64)
  assert 0.05 < np.std(v) < 0.2                   # N(0, (alpha / lr)^2) = N(0, 0.1^2)
  w = W0.copy(); out = []
  for t in range(1, 5):                           # t = 1 at the first step, as the authors' code
    g = np_grad(w)
    bh = (0.9 * t + 1) / (t + 2)
    mm = 1 / np.max(np.abs(g))
    v = bh * v + (1 - bh) * g / (1 + (g / mm) ** 2)
    w = w - 0.1 * v
    out.append(w)
  close(run_jax(tx, W0, 4)[0], out)


def test_innaprop_matches_paper():
  lr, a, b, sg, eps, wd = 0.01, 0.1, 0.9, 0.999, 1e-8, 0.01
  w = W0.copy(); psi = (1 - a * b) * w; v = np.zeros_like(w); out = []
  for t in range(1, 5):
    g = np_grad(w)
    w = w * (1 - lr * wd)
    v = sg * v + (1 - sg) * g * g
    D = np.sqrt(v / (1 - sg ** t)) + eps
    psi = (1 - lr / b) * psi + lr * (1 / b - a) * w
    w = (1 + lr * (1 - a * b) / (b - lr)) * w - lr / (b - lr) * psi - lr * b * g / D
    out.append(w)
  close(run_jax(O.innaprop(lr, a, b, sg, eps, wd), W0, 4)[0], out, rtol=1e-5)


def test_innaprop_rejects_lr_above_beta():
  with pytest.raises(ValueError, match="learning_rate < beta"):
    O.innaprop(1.0, beta=0.9)


def test_adam_atan2_matches_paper_and_is_scale_invariant():
  w = W0.copy(); m = np.zeros_like(w); v = np.zeros_like(w); out = []
  for t in range(1, 4):
    g = np_grad(w)
    m = 0.9 * m + 0.1 * g; v = 0.999 * v + 0.001 * g * g
    w = w - 0.01 * np.arctan2(m / (1 - 0.9 ** t), np.sqrt(v / (1 - 0.999 ** t)))
    out.append(w)
  close(run_jax(O.adam_atan2(0.01), W0, 3)[0], out)
  # invariance to the gradient scale, where Adam's eps swallows small gradients
  p = {"w": jnp.asarray(W0, jnp.float32)}
  g = {"w": jnp.asarray(np_grad(W0), jnp.float32)}
  for scale in (1e-3, 1e-6, 1e-9):
    gs = jax.tree.map(lambda x: x * scale, g)
    ua = O.adam_atan2(0.01).update(gs, O.adam_atan2(0.01).init(p), p)[0]["w"]
    u1 = O.adam_atan2(0.01).update(g, O.adam_atan2(0.01).init(p), p)[0]["w"]
    np.testing.assert_allclose(ua, u1, rtol=1e-5)
  tiny = jax.tree.map(lambda x: x * 1e-12, g)
  u_adam = O.adam(0.01).update(tiny, O.adam(0.01).init(p), p)[0]["w"]
  assert float(jnp.max(jnp.abs(u_adam))) < 0.01 * 1e-2  # Adam's step collapses (eps = 1e-8)
  u_atan = O.adam_atan2(0.01).update(tiny, O.adam_atan2(0.01).init(p), p)[0]["w"]
  assert float(jnp.min(jnp.abs(u_atan))) > 0.01 * 0.5   # |atan2(m, sqrt v)| = pi/4 at step 1


def test_tvlars_matches_paper_code():
  lr, wd, tc, mom, a, lam = 0.5, 5e-4, 1e-3, 0.9, 0.1, 0.05
  w = W0.copy(); buf = np.zeros_like(w); out = []
  for t in range(1, 5):
    d = np_grad(w) + wd * w
    phi = 1 / (a + np.exp(lam * t))
    clamp = lambda x: min(x, 10.0)                # the authors' clf.py clamps both norms at 10
    buf = mom * buf + tc * phi * clamp(np.linalg.norm(w)) / clamp(np.linalg.norm(d)) * d
    w = w - lr * buf
    out.append(w)
  close(run_jax(O.tvlars(lr, weight_decay=wd, alpha=a, lam=lam), W0, 4)[0], out)


def test_normalized_lr_gd_divides_by_the_loss():
  w = W0.copy(); out = []
  for _ in range(3):
    w = w - 0.1 * np_grad(w) / loss_value(w); out.append(w)
  got, _ = run_jax(O.normalized_lr_gd(0.1), W0, 3,
                   extra=lambda p: {"value": jnp.asarray(loss_value(np.asarray(p["w"], np.float64)))})
  close(got, out, rtol=1e-5)


def test_normalized_lr_gd_separates_logistic_data_faster_than_gd():
  rng = np.random.default_rng(3)
  x = rng.normal(size=(100, 2)); x[:, 0] += np.sign(x[:, 0]) * 0.3
  y = np.sign(x[:, 0] + 0.1 * x[:, 1])
  X, Y = jnp.asarray(x, jnp.float32), jnp.asarray(y, jnp.float32)
  loss = lambda w: jnp.mean(jax.nn.softplus(-Y * (X @ w)))

  def steps_to_separate(tx, n=300):
    w = jnp.asarray([-1.0, 1.0]); s = tx.init(w)
    for k in range(n):
      if bool(jnp.all(Y * (X @ w) > 0)):
        return k
      u, s = tx.update(jax.grad(loss)(w), s, w, value=loss(w))
      w = w + u
    return n
  assert steps_to_separate(O.normalized_lr_gd(1.0)) < steps_to_separate(O.sgd(1.0))


def test_amp_matches_paper():
  eps_ball, ilr = 0.05, 1.0
  loss = lambda p, batch, rng: (_jloss(p["w"]), {})
  est = O.GRAD_FNS.get("amp_perturbation")(epsilon=eps_ball, inner_lr=ilr, inner_steps=2)
  p = {"w": jnp.asarray(W0, jnp.float32)}
  (_, _), g, _ = est.value_and_grad(loss, p, None, None, ())
  d = np.zeros_like(W0); gk = np_grad(W0)
  for _ in range(2):
    d = d + ilr * gk
    d = d * min(1.0, eps_ball / np.linalg.norm(d))
    gk = np_grad(W0 + d)
  np.testing.assert_allclose(np.asarray(g["w"]), gk, rtol=2e-5, atol=2e-5)
  assert est.grad_evals == 3


def test_gradient_regularization_is_exact_on_a_quadratic():
  """On a quadratic the finite difference is exact: g + gamma H g."""
  A = RNG.normal(size=(5, 5)); H = A @ A.T + np.eye(5)
  loss = lambda p, batch, rng: (0.5 * p["w"] @ jnp.asarray(H, jnp.float32) @ p["w"], {})
  w = RNG.normal(size=(5,))
  est = O.GRAD_FNS.get("gradient_regularization")(gamma=0.3, step=0.05)
  (_, _), g, _ = est.value_and_grad(loss, {"w": jnp.asarray(w, jnp.float32)}, None, None, ())
  gw = H @ w
  np.testing.assert_allclose(np.asarray(g["w"]), gw + 0.3 * H @ gw, rtol=1e-4)
  # and the optax form gives the same step
  tx = O.gradient_regularization(O.sgd(0.1), gamma=0.3, step=0.05)
  pw = {"w": jnp.asarray(w, jnp.float32)}
  u, _ = tx.update({"w": jnp.asarray(gw, jnp.float32)}, tx.init(pw), pw,
                   grad_fn=lambda q, i: jax.grad(lambda z: loss(z, None, None)[0])(q))
  np.testing.assert_allclose(np.asarray(u["w"]), -0.1 * (gw + 0.3 * H @ gw), rtol=1e-4)


def test_saf_trajectory_loss_and_memory():
  n, c, delay = 6, 3, 2
  est = O.GRAD_FNS.get("saf")(lam=0.5, temperature=2.0, delay=delay)
  state = est.init(None, num_examples=n, num_classes=c)
  W = jnp.asarray(RNG.normal(size=(4, c)), jnp.float32)
  X = jnp.asarray(RNG.normal(size=(n, 4)), jnp.float32)

  def loss_fn(p, batch, rng):
    logits = batch["x"] @ p
    return jnp.mean(jax.nn.logsumexp(logits, -1) - logits[:, 0]), {"logits": logits}

  idx = jnp.asarray([1, 4])
  batch = {"x": X[idx], "index": idx}
  p = W
  hist = []
  for k in range(delay + 1):
    (loss, aux), g, state = est.value_and_grad(loss_fn, p, batch, None, state)
    hist.append(np.asarray(batch["x"] @ p))
    if k < delay:   # not enough history yet: the gradient is the plain one
      np.testing.assert_allclose(g, jax.grad(lambda q: loss_fn(q, batch, None)[0])(p), rtol=1e-6)
      assert float(aux["saf_trajectory_loss"]) == 0.0
    p = p - 0.5 * g
  # at visit `delay` the term compares with the outputs of visit 0
  past = hist[0] / 2.0
  now = np.asarray(batch["x"] @ (p + 0.5 * g)) / 2.0
  ps = np.exp(past - past.max(1, keepdims=True)); ps /= ps.sum(1, keepdims=True)
  lq = now - now.max(1, keepdims=True); lq -= np.log(np.exp(lq).sum(1, keepdims=True))
  kl = np.mean(np.sum(ps * (np.log(ps) - lq), 1))
  np.testing.assert_allclose(float(aux["saf_trajectory_loss"]), kl, rtol=1e-5, atol=1e-7)
  assert np.asarray(state.seen)[[1, 4]].tolist() == [delay + 1] * 2
  assert est.grad_evals == 1


def test_top_hessian_eigenvalue():
  A = RNG.normal(size=(6, 6)); H = A @ A.T
  lam = O.top_hessian_eigenvalue(lambda w: 0.5 * w @ jnp.asarray(H, jnp.float32) @ w,
                                 jnp.ones(6), iters=100)
  np.testing.assert_allclose(float(lam), np.linalg.eigvalsh(H).max(), rtol=1e-3)


# ---------------------------------------------------------------------------------------------------
# Low-rank: galore / frugal / fira vs NumPy, memory, rank errors.

def np_lowrank(mode, G_seq, r, scale=0.25, free=1.0, limiter=1.01, b1=0.9, b2=0.999, eps=1e-8):
  m_, n_ = G_seq[0].shape
  right = m_ >= n_
  m = v = None; prev = 0.0; out = []
  for t, G in enumerate(G_seq, 1):
    if t == 1:
      U, _, Vt = np.linalg.svd(G, full_matrices=False)
      Pm = Vt[:r].T if right else U[:, :r]
    R = G @ Pm if right else Pm.T @ G
    back = (lambda X: X @ Pm.T) if right else (lambda X: Pm @ X)
    m = (1 - b1) * R if m is None else b1 * m + (1 - b1) * R
    v = (1 - b2) * R * R if v is None else b2 * v + (1 - b2) * R * R
    psi = (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
    if mode == "galore":
      u = scale * back(psi)
    elif mode == "frugal":
      u = back(psi) + free * np.sign(G - back(R))
    else:
      ax = 1 if right else 0
      phi = np.linalg.norm(psi, axis=ax, keepdims=True) / (np.linalg.norm(R, axis=ax, keepdims=True)
                                                           + 1e-8)
      S = phi * (G - back(R))
      if prev > 0 and np.linalg.norm(S) > limiter * prev:
        S = S * limiter * prev / np.linalg.norm(S)
      prev = np.linalg.norm(S)
      u = scale * back(psi) + S
    out.append(u)
  return out


@pytest.mark.parametrize("mode", ["galore", "frugal", "fira"])
@pytest.mark.parametrize("shape", [(12, 5), (4, 9)])
def test_lowrank_matches_numpy(mode, shape):
  rng = np.random.default_rng(5)
  base = rng.normal(size=shape)
  G_seq = [base * (1 + 0.5 * k) + 0.3 * rng.normal(size=shape) for k in range(4)]
  ref = np_lowrank(mode, G_seq, r=2, free=0.5)
  tx = O.scale_by_lowrank(mode, rank=2, update_gap=100, free_scale=0.5, scale=0.25)
  p = {"w": jnp.zeros(shape)}
  s = tx.init(p)
  for G, u_ref in zip(G_seq, ref):
    u, s = tx.update({"w": jnp.asarray(G, jnp.float32)}, s, p)
    np.testing.assert_allclose(np.asarray(u["w"]), u_ref, rtol=2e-4, atol=2e-5)


def test_lowrank_state_is_low_rank_and_rank_errors_name_the_parameter():
  params = {"dense": {"kernel": jnp.zeros((64, 32))}, "bias": jnp.zeros((32,))}
  s = O.fira(1e-2, rank=4).init(params)
  lowrank_floats = sum(x.size for x in jax.tree.leaves(s))
  full = sum(x.size for x in jax.tree.leaves(optax.adam(1e-3).init(params)))
  # basis 32x4 + two moments 64x4, plus full Adam for the bias
  assert lowrank_floats <= 32 * 4 + 2 * 64 * 4 + 2 * 32 + 8 < full
  with pytest.raises(ValueError, match=r"rank 40 .*\['dense'\]\['kernel'\]"):
    O.frugal(1e-3, rank=40).init(params)
  with pytest.raises(ValueError, match="rank"):
    O.fira(1e-3, rank=0)
  with pytest.raises(ValueError, match="update_gap"):
    O.galore(1e-3, update_gap=0)


# ---------------------------------------------------------------------------------------------------
# Ranger21 components.

def test_ranger21_direction_matches_numpy():
  b1, b2, eps, wd, nl = 0.9, 0.999, 1e-8, 1e-2, 1e-2
  w = W0.copy(); me = np.zeros_like(w); mo = np.zeros_like(w); v = np.zeros_like(w); out = []
  for t in range(1, 4):
    g = np_grad(w)
    g = g - g.mean(axis=0, keepdims=True)
    if t % 2 == 0:
      me = b1 ** 2 * me + (1 - b1 ** 2) * g; cur, oth = me, mo
    else:
      mo = b1 ** 2 * mo + (1 - b1 ** 2) * g; cur, oth = mo, me
    v = b2 * v + (1 - b2) * g * g
    vh = v / (1 - b2 ** t)
    pnm = (2 * cur - oth) / np.sqrt(5.0)
    d = (pnm / (1 - b1 ** t)) / (np.sqrt(vh) + eps) + wd / np.sqrt(vh.mean() + eps ** 2) * w
    norms = np.linalg.norm(w, axis=0, keepdims=True)
    d = d + 2 * nl * (1 - 1 / (norms + eps)) * w          # the authors' factor 2 and eps
    w = w - 0.01 * d
    out.append(w)
  tx = optax.chain(O.scale_by_ranger21(b1, b2, eps, 1.0, wd, nl), optax.scale_by_learning_rate(0.01))
  close(run_jax(tx, W0, 3)[0], out, rtol=1e-5)


def test_lookahead_syncs_every_k_steps():
  tx = O.lookahead(optax.sgd(0.1), sync_period=2, slow_step_size=0.5)
  p = jnp.asarray([1.0]); s = tx.init(p)
  g = jnp.asarray([1.0])
  u, s = tx.update(g, s, p); p = p + u            # fast: 0.9
  np.testing.assert_allclose(p, [0.9], rtol=1e-6)
  u, s = tx.update(g, s, p); p = p + u            # fast 0.8 -> slow 1 + 0.5 (0.8 - 1) = 0.9
  np.testing.assert_allclose(p, [0.9], rtol=1e-6)


# ---------------------------------------------------------------------------------------------------
# Bad input.

@pytest.mark.parametrize("factory,kw,match", [
    (O.adam, {"b1": 1.0}, "b1"), (O.adamw, {"b2": -0.1}, "b2"), (O.adamp, {"b1": 1.5}, "b1"),
    (O.diffgrad, {"b2": 1.0}, "b2"), (O.gravity, {"beta": 1.0}, "beta"),
    (O.innaprop, {"sigma": 1.0}, "sigma"), (O.adam_atan2, {"b1": 1.0}, "b1"),
    (O.ranger21, {"b2": 2.0}, "b2"), (O.lars, {"momentum": 1.0}, "momentum"),
    (O.tvlars, {"momentum": -1.0}, "momentum"), (O.momo, {"beta": 1.0}, "beta"),
    (O.sam, {"rho": -1.0}, "rho"), (O.amp_perturbation, {"epsilon": -1.0}, "epsilon"),
    (O.gradient_regularization, {"step": 0.0}, "step"), (O.frugal, {"b1": 1.0}, "b1"),
    (O.fira, {"limiter": 0.5}, "limiter"), (O.adamw, {"weight_decay": -1.0}, "weight_decay"),
])
def test_bad_hyperparameters_raise_at_build_time(factory, kw, match):
  with pytest.raises(ValueError, match=match):
    factory(0.01, **kw)


def test_schedule_learning_rate_is_checked_at_step_zero():
  with pytest.raises(ValueError, match="learning_rate"):
    O.adamp(lambda t: -0.1 + 0 * t)
  O.adamp(optax.linear_schedule(0.0, 1e-3, 10))   # fine
