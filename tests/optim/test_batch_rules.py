"""Batch-size and learning-rate rules (lbrl.optim.batch_rules) against closed forms, random-matrix
numerics and float64 transcriptions of the papers' equations."""
import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.optim import batch_rules as br


# --- gradient noise scale: exact on linear regression --------------------------------------------------

def _design(d=4, sigma=0.5, scales=None):
  """A finite regression set whose moments are exact: x = s sqrt(d) a_j e_j (s = +-1, j = 1..d), noise
  eps = +-sigma, 4d examples, uniform. Then H = E[x x^T] = diag(a^2), and with w = w* + delta the
  per-example gradient x (x.delta - eps) has G = diag(a^2) delta and covariance
  Sigma = d diag(a^4 delta^2) - G G^T + sigma^2 diag(a^2)."""
  a = np.ones(d) if scales is None else np.asarray(scales, np.float64)
  xs, eps = [], []
  for j, s, e in itertools.product(range(d), (1.0, -1.0), (sigma, -sigma)):
    x = np.zeros(d)
    x[j] = s * math.sqrt(d) * a[j]
    xs.append(x)
    eps.append(e)
  return np.array(xs), np.array(eps), a


def _grads(x, eps, delta):
  def loss(w, ex):
    xi, ei = ex
    return 0.5 * (jnp.dot(xi, w) - ei) ** 2   # w = delta (w* = 0, y = eps)
  with jax.enable_x64(True):
    return np.asarray(br.per_example_grads(loss, jnp.asarray(delta), (jnp.asarray(x), jnp.asarray(eps))))


def test_noise_scale_exact_on_linear_regression():
  d, sigma = 4, 0.5
  delta = np.array([0.3, -0.2, 0.5, 0.1])
  x, eps, _ = _design(d, sigma)
  g = _grads(x, eps, delta)
  with jax.enable_x64(True):
    out = {k: float(v) for k, v in br.noise_scale_exact(jnp.asarray(g)).items()}
  d2 = float(delta @ delta)
  assert out["grad_sq"] == pytest.approx(d2, rel=1e-12)
  assert out["trace_sigma"] == pytest.approx((d - 1) * d2 + d * sigma ** 2, rel=1e-12)
  assert out["b_simple"] == pytest.approx((d - 1) + d * sigma ** 2 / d2, rel=1e-12)


def test_two_batch_estimator_is_unbiased_exactly():
  """E|G_B|^2 by enumerating every ordered batch of 1 and 2 examples (sampling with replacement), put
  into the paper's two-batch estimator, gives the closed-form |G|^2 and tr(Sigma) exactly."""
  d, sigma = 3, 0.7
  delta = np.array([0.4, -0.1, 0.2])
  x, eps, _ = _design(d, sigma)
  g = _grads(x, eps, delta)
  e1 = np.mean(np.sum(g ** 2, 1))
  e2 = np.mean([np.sum(((g[i] + g[j]) / 2) ** 2) for i in range(len(g)) for j in range(len(g))])
  out = br.noise_scale_from_norms(e1, e2, 1, 2)
  d2 = float(delta @ delta)
  assert out["grad_sq"] == pytest.approx(d2, rel=1e-10)
  assert out["trace_sigma"] == pytest.approx((d - 1) * d2 + d * sigma ** 2, rel=1e-10)
  assert out["b_simple"] == pytest.approx((d - 1) + d * sigma ** 2 / d2, rel=1e-10)


def test_full_noise_scale_exact_with_anisotropic_hessian():
  d, sigma = 4, 0.3
  a = np.array([1.0, 2.0, 0.5, 1.5])
  delta = np.array([0.2, 0.1, -0.4, 0.3])
  x, eps, _ = _design(d, sigma, a)
  g = _grads(x, eps, delta)
  with jax.enable_x64(True):
    out = br.noise_scale_full(jnp.asarray(g), lambda v: jnp.asarray(a ** 2) * v)
  s6 = float(np.sum(a ** 6 * delta ** 2))
  assert float(out["g_h_g"]) == pytest.approx(s6, rel=1e-12)
  assert float(out["b_noise"]) == pytest.approx((d - 1) + sigma ** 2 * np.sum(a ** 4) / s6, rel=1e-12)


def test_noise_scale_errors():
  with pytest.raises(ValueError, match="b_big must exceed b_small"):
    br.noise_scale_from_norms(1.0, 1.0, 10, 10)
  with pytest.raises(ValueError, match="grads"):
    br.noise_scale_exact(np.zeros((1, 3)))


def test_critical_batch_relations():
  """eq. 2.11: S = S_min(1 + B_crit/B) and E = E_min(1 + B/B_crit) satisfy (S/Smin-1)(E/Emin-1) = 1 and
  E = B S; the fit recovers S_min and B_crit from points on the curve."""
  b = np.array([8, 32, 128, 512, 2048.0])
  s, e = br.steps_and_examples(b, s_min=1000, e_min=64_000)
  np.testing.assert_allclose((s / 1000 - 1) * (e / 64_000 - 1), 1.0, rtol=1e-12)
  np.testing.assert_allclose(e, b * s, rtol=1e-12)
  fit = br.fit_critical_batch(b, s)
  assert fit["b_crit"] == pytest.approx(64.0, rel=1e-9) and fit["s_min"] == pytest.approx(1000, rel=1e-9)
  lr = br.optimal_lr_sgd(b, 1.0, 64.0)
  np.testing.assert_allclose(lr, b / (b + 64.0), rtol=1e-12)


# --- learning-rate rules ------------------------------------------------------------------------------

def test_linear_scaling_schedule_matches_goyal():
  """Goyal et al.: lr = 0.1 kn / 256 (3.2 at kn = 8192), gradual warm-up from 0.1 over 5 epochs, then
  divided by 10 at 30, 60, 80 epochs (ImageNet, 1,281,167 images at 8192 per step: 157 steps/epoch)."""
  epoch = math.ceil(1_281_167 / 8192)
  sched = br.linear_scaling_schedule(0.1, 8192, warmup_steps=5 * epoch,
                                     boundaries=[30 * epoch, 60 * epoch, 80 * epoch])
  assert float(sched(0)) == pytest.approx(0.1, rel=1e-5)
  assert float(sched(5 * epoch // 2)) == pytest.approx((0.1 + 3.2) / 2, rel=1e-2)
  assert float(sched(5 * epoch)) == pytest.approx(3.2, rel=1e-5)
  assert float(sched(30 * epoch + 1)) == pytest.approx(0.32, rel=1e-5)
  assert float(sched(85 * epoch)) == pytest.approx(0.0032, rel=1e-5)
  assert float(br.linear_scaling_schedule(0.1, 256)(7)) == pytest.approx(0.1, rel=1e-5)
  with pytest.raises(ValueError, match="rule"):
    br.scale_learning_rate(0.1, 512, 256, "cubic")
  assert br.scale_learning_rate(1e-3, 1024, 256, "sqrt") == pytest.approx(2e-3)


@pytest.mark.parametrize("lam", [0.5, 3.0])
def test_batch_hessian_eigenvalue_matches_spiked_wigner_numerics(lam):
  """A rank-one spike lam plus a GOE matrix of spectral radius 2r (r = sigma sqrt(P/B)): the top
  eigenvalue is lam + r^2/lam above r and 2r below (BBP), numerically at n = 500."""
  n, sigma, p, b = 500, 0.1, 4e4, 100.0
  r = sigma * math.sqrt(p / b)   # 2.0
  rng = np.random.default_rng(0)
  a = rng.normal(size=(n, n)) * r / math.sqrt(n)
  w = (a + a.T) / math.sqrt(2)
  v = rng.normal(size=n)
  v /= np.linalg.norm(v)
  top = np.linalg.eigvalsh(w + lam * np.outer(v, v))[-1]
  want = float(br.batch_hessian_extremal_eigenvalue(lam, sigma, p, b))
  assert top == pytest.approx(want, rel=0.06)


def test_max_stable_lr_grows_with_batch_to_the_full_batch_limit():
  """Below the transition the stable step grows as sqrt(B) (the semicircle edge); above it, it tends to
  2/lam as the fluctuation term (P/B) sigma^2 / lam vanishes."""
  lam, sigma, p = 1.0, 1.0, 1e4
  b = np.array([100.0, 400.0, 1e4, 1e8])
  lr = br.max_stable_lr_sgd(lam, sigma, p, b)
  assert lr[1] / lr[0] == pytest.approx(2.0)          # r = 10, 5 > lam: edge 2r, sqrt(B)
  assert lr[2] == pytest.approx(2 / (1 + 1.0))         # r = 1 = lam: the transition
  assert lr[3] == pytest.approx(2.0, rel=1e-3)
  assert np.all(np.diff(lr) > 0)


def test_surge_curve_and_time_transfer():
  b = np.geomspace(1, 10_000, 41)
  lr = br.optimal_lr_adam(b, 1e-3, 100.0)
  assert b[np.argmax(lr)] == pytest.approx(100.0) and lr.max() == pytest.approx(1e-3)
  np.testing.assert_allclose(lr, lr[::-1], rtol=1e-12)  # symmetric in log B about B_noise
  assert lr[1] / lr[0] == pytest.approx((b[1] / b[0]) ** 0.5, rel=0.02)  # sqrt rise far below
  assert br.critical_batch_for_budget(4e9, 1e9, 256) == pytest.approx(1024)


def test_power_lines_timescale():
  """tau = B/(eta lambda D); at fixed tau the weight decay is linear in B; power laws fit exactly."""
  lam = br.weight_decay_for_timescale(0.2, np.array([64, 128, 256]), 1e-3, 1e9)
  np.testing.assert_allclose(lam[1:] / lam[:-1], 2.0)
  assert float(br.adamw_timescale(128, 1e-3, lam[1], 1e9)) == pytest.approx(0.2)
  tpp = np.array([5.0, 20, 80, 320])
  fit = br.power_law_fit(tpp, 0.8 * tpp ** -0.5)
  assert fit["c"] == pytest.approx(0.8) and fit["m"] == pytest.approx(-0.5)


# --- AdAdaGrad ---------------------------------------------------------------------------------------

def test_norm_and_inner_product_tests_match_float64_transcription():
  rng = np.random.default_rng(1)
  g = rng.normal(size=(32, 6)) + np.array([1.0, 0, 0, 0, 0, 0.5])
  b = len(g)
  mean = g.mean(0)
  var = np.sum(np.var(g, axis=0, ddof=1))
  with jax.enable_x64(True):
    nt = br.norm_test(jnp.asarray(g), eta=0.5)
    ip = br.inner_product_test(jnp.asarray(g), theta=0.5, nu=2.0)
  gsq = mean @ mean
  assert float(nt["statistic"]) == pytest.approx(var / (b * gsq), rel=1e-12)
  assert float(nt["required"]) == math.ceil(var / (0.25 * gsq))
  assert bool(nt["passed"]) == (var / b <= 0.25 * gsq)
  dots = g @ mean
  orth = g - np.outer(dots / gsq, mean)
  need = max(np.var(dots, ddof=1) / (0.25 * gsq ** 2), np.sum(orth ** 2) / (b - 1) / (4.0 * gsq))
  assert float(ip["required"]) == math.ceil(need)
  # a batch of the required size passes the norm test on the same statistics
  assert var / float(nt["required"]) <= 0.25 * gsq
  with pytest.raises(ValueError, match="eta"):
    br.norm_test(g, eta=0.0)


def test_batch_schedule_resumes_exactly_and_grows_monotonically():
  sched = br.BatchSchedule(size=50, initial_batch=4, max_batch=32, seed=3, multiple=4)
  required = [None, 3, 9, 7, 40, 5, None, 100]
  state, drawn, states = sched.start(), [], []
  for r in required:
    states.append(state)
    drawn.append(sched.indices(state))
    state = sched.advance(state, r)
  sizes = [s.batch_size for s in states]
  assert sizes == [4, 4, 4, 12, 12, 32, 32, 32]
  # resume from the saved state at step 4: the same batches
  resumed = states[4]
  for k in range(4, len(required)):
    np.testing.assert_array_equal(sched.indices(resumed), drawn[k])
    resumed = sched.advance(resumed, required[k])
  assert resumed == state
  # each epoch of the stream is a permutation: the first 50 draws cover every example once
  stream = np.concatenate(drawn)
  assert sorted(stream[:50].tolist()) == list(range(50))
  with pytest.raises(ValueError, match="initial_batch"):
    br.BatchSchedule(size=10, initial_batch=0, max_batch=4)
