"""lbrl.optim.adversarial: PGD/FGSM against a float64 NumPy transcription on a linear softmax model (whose
input gradient is closed-form), the adversarial-training gradient, and B-MTARD's loss balance against the
authors' update transcribed in NumPy."""
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from lbrl.optim import adversarial as A

B, D, C = 16, 6, 4


def _problem(seed=0):
  r = np.random.default_rng(seed)
  return (r.normal(size=(B, D)), r.normal(size=(D, C)), r.normal(size=C) * 0.1, r.integers(0, C, B))


def _np_grad_x(x, w, b, y):
  """d mean CE / dx for logits x W + b: (softmax - onehot) W^T / B."""
  z = x @ w + b
  p = np.exp(z - z.max(1, keepdims=True))
  p /= p.sum(1, keepdims=True)
  p[np.arange(len(y)), y] -= 1.0
  return p @ w.T / len(y)


def _np_pgd(x, w, b, y, start, eps, a, steps, bounds=None):
  z = np.clip(x + start, x - eps, x + eps)
  if bounds:
    z = np.clip(z, *bounds)
  for _ in range(steps):
    z = np.clip(z + a * np.sign(_np_grad_x(z, w, b, y)), x - eps, x + eps)
    if bounds:
      z = np.clip(z, *bounds)
  return z


def _objective(w, b, y):
  return lambda z: jnp.mean(optax.losses.softmax_cross_entropy_with_integer_labels(
      z @ jnp.asarray(w, jnp.float32) + jnp.asarray(b, jnp.float32), jnp.asarray(y)))


@pytest.mark.parametrize("start,bounds", [("none", None), ("uniform", None), ("normal", (-1.0, 1.0))])
def test_pgd_matches_float64_numpy(start, bounds):
  x, w, b, y = _problem()
  eps, a, steps = 0.3, 0.07, 7
  key = jax.random.PRNGKey(3)
  if start == "uniform":
    s = np.asarray(jax.random.uniform(key, x.shape, jnp.float32, -eps, eps), np.float64)
  elif start == "normal":
    s = 0.001 * np.asarray(jax.random.normal(key, x.shape, jnp.float32), np.float64)
  else:
    s = np.zeros_like(x)
  got = A.pgd_attack(_objective(w, b, y), jnp.asarray(x, jnp.float32), key, eps=eps, step_size=a, steps=steps,
                     random_start=start, bounds=bounds)
  want = _np_pgd(x, w, b, y, s, eps, a, steps, bounds)
  np.testing.assert_allclose(np.asarray(got), want, atol=1e-5)
  if bounds is None:  # with bounds, inputs outside them are clipped into range first
    assert np.max(np.abs(np.asarray(got) - x)) <= eps + 1e-6


def test_fgsm_is_one_signed_step_and_raises_the_loss():
  x, w, b, y = _problem(1)
  f = _objective(w, b, y)
  got = A.fgsm_attack(f, jnp.asarray(x, jnp.float32), eps=0.2)
  np.testing.assert_allclose(np.asarray(got), x + 0.2 * np.sign(_np_grad_x(x, w, b, y)), atol=1e-6)
  assert float(f(got)) > float(f(jnp.asarray(x, jnp.float32)))


def _loss_fn(w_key="w"):
  def loss_fn(params, batch, rng):
    del rng
    logits = batch["x"] @ params[w_key] + params["b"]
    ce = optax.losses.softmax_cross_entropy_with_integer_labels(logits, batch["label"])
    return jnp.mean(ce), {"logits": logits, "parts": {}}
  return loss_fn


def test_adversarial_estimator_is_the_gradient_at_the_pgd_example():
  x, w, b, y = _problem(2)
  params = {"w": jnp.asarray(w, jnp.float32), "b": jnp.asarray(b, jnp.float32)}
  batch = {"x": jnp.asarray(x, jnp.float32), "label": jnp.asarray(y)}
  est = A.adversarial_estimator(eps=0.25, step_size=0.1, steps=5, random_start="none", clean_weight=0.25)
  (loss, _), g, _ = est.value_and_grad(_loss_fn(), params, batch, jax.random.PRNGKey(0), est.init(params))
  x_adv = _np_pgd(x, w, b, y, np.zeros_like(x), 0.25, 0.1, 5)

  def np_grads(z):  # d mean CE / dW = z^T (p - onehot) / B, d/db = mean (p - onehot)
    logit = z @ w + b
    p = np.exp(logit - logit.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    ce = -np.log(p[np.arange(B), y]).mean()
    p[np.arange(B), y] -= 1.0
    return ce, z.T @ p / B, p.mean(0)
  ce_a, gw_a, gb_a = np_grads(x_adv)
  ce_c, gw_c, gb_c = np_grads(x)
  np.testing.assert_allclose(float(loss), 0.75 * ce_a + 0.25 * ce_c, rtol=1e-5)
  np.testing.assert_allclose(np.asarray(g["w"]), 0.75 * gw_a + 0.25 * gw_c, atol=1e-5)
  np.testing.assert_allclose(np.asarray(g["b"]), 0.75 * gb_a + 0.25 * gb_c, atol=1e-5)
  assert ce_a > ce_c


def _np_authors_balance(weights, losses_seq, lr):
  """The authors' Normalization Loss Balance loop (resnet18_mtard_cifar10.py), in float64."""
  w_nat, w_adv = weights
  init = None
  out = []
  for l_nat, l_adv in losses_seq:
    init = init or (l_nat, l_adv)
    lh_adv, lh_nat = l_adv / init[1], l_nat / init[0]
    avg = (lh_adv + lh_nat) / 2
    r_adv, r_nat = lh_adv / avg, lh_nat / avg
    w_nat = max(w_nat - lr * (w_nat - r_nat / (r_adv + r_nat)), 0.0)
    w_adv = max(w_adv - lr * (w_adv - r_adv / (r_adv + r_nat)), 0.0)
    s = w_nat + w_adv
    w_nat, w_adv = w_nat / s, w_adv / s
    out.append((w_nat, w_adv))
  return out


def test_mtard_estimator_balance_and_components():
  x, w, b, y = _problem(3)
  params = {"w": jnp.asarray(w, jnp.float32), "b": jnp.asarray(b, jnp.float32)}
  t_nat = jnp.asarray(np.random.default_rng(9).normal(size=(B, C)), jnp.float32)

  def loss_fn(params, batch, rng):  # nat: CE to labels, adv: KL to a fixed target (a stand-in loss with parts)
    logits = batch["x"] @ params["w"] + params["b"]
    nat = jnp.mean(optax.losses.softmax_cross_entropy_with_integer_labels(logits, batch["label"]))
    adv = jnp.mean(optax.losses.kl_divergence(jax.nn.log_softmax(logits), jax.nn.softmax(t_nat)))
    return nat + adv, {"logits": logits, "parts": {"nat": nat, "adv": adv}}

  est = A.mtard_estimator(eps=0.2, steps=3, random_start="none", weight_lr=0.3)
  state = est.init(params)
  batch = {"x": jnp.asarray(x, jnp.float32), "label": jnp.asarray(y)}
  seq, weights = [], []
  p = params
  for step in range(3):
    (loss, aux), g, state = est.value_and_grad(loss_fn, p, batch, jax.random.PRNGKey(step), state)
    seq.append((float(aux["parts"]["nat"]), float(aux["parts"]["adv"])))
    weights.append(np.asarray(state["weights"]))
    x_adv = A.pgd_attack(_objective(np.asarray(p["w"]), np.asarray(p["b"]), y), batch["x"], None, eps=0.2,
                         step_size=0.05, steps=3, random_start="none")
    g_nat = jax.grad(lambda q: loss_fn(q, batch, None)[1]["parts"]["nat"])(p)
    g_adv = jax.grad(lambda q: loss_fn(q, {**batch, "x": x_adv}, None)[1]["parts"]["adv"])(p)
    wn, wa = weights[-1]
    np.testing.assert_allclose(np.asarray(g["w"]), wn * np.asarray(g_nat["w"]) + wa * np.asarray(g_adv["w"]),
                               atol=1e-5)
    p = jax.tree.map(lambda a, d: a - 0.5 * d, p, g)
  np.testing.assert_allclose(np.stack(weights), np.asarray(_np_authors_balance((0.5, 0.5), seq, 0.3)), atol=1e-6)
  assert not np.allclose(weights[-1], 0.5)


def test_mtard_estimator_refuses_a_loss_without_its_components():
  x, w, b, y = _problem()
  params = {"w": jnp.asarray(w, jnp.float32), "b": jnp.asarray(b, jnp.float32)}
  est = A.mtard_estimator(eps=0.1, steps=1)
  with pytest.raises(ValueError, match="components"):
    est.value_and_grad(_loss_fn(), params, {"x": jnp.asarray(x, jnp.float32), "label": jnp.asarray(y)},
                       jax.random.PRNGKey(0), est.init(params))


@pytest.mark.parametrize("kw,match", [(dict(eps=-0.1), "eps"), (dict(step_size=0.0), "step_size"),
                                      (dict(steps=0), "steps"), (dict(random_start="gauss"), "random_start"),
                                      (dict(clean_weight=1.5), "clean_weight")])
def test_bad_arguments_are_named(kw, match):
  with pytest.raises(ValueError, match=match):
    A.adversarial_estimator(**kw)
