"""PowerNorm (Shen et al., 2020, arXiv:2003.07845): the functional forward/approximate backward against a float64
NumPy transcription of the authors' PowerFunction (several steps, ema_gz threaded), and the module's
running statistics, warm-up and eval path."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.models import norm as N

EPS, AFWD, ABKW = 1e-5, 0.9, 0.9


def _np_step(x, w, b, phi, ema_gz, it, warmup, dy):
  """One training step of the authors' PowerFunction (forward, running_phi update, backward), float64."""
  var = (x * x).mean(0)
  z = x / np.sqrt((var if it <= warmup else phi) + EPS)
  y = w * z + b
  if it < warmup:
    phi = phi * (it - 1) / it + var / it
  phi = AFWD * phi + (1 - AFWD) * var
  g = dy * w
  approx = g - (1 - ABKW) * ema_gz * z
  ema_gz = ema_gz + (approx * z).mean(0)
  gx = approx / np.sqrt(var + EPS)
  return y, phi, ema_gz, gx, (dy * z).sum(0), dy.sum(0)


def test_power_norm_train_matches_the_authors_algorithm_over_steps():
  rng = np.random.default_rng(0)
  n, c, warmup = 16, 5, 2
  w, b = rng.normal(size=c) + 1, rng.normal(size=c) * 0.1
  phi, ema = np.ones(c), np.zeros(c)
  jphi, jema = jnp.ones(c), jnp.zeros(c)
  for it in range(1, 6):
    x, dy = rng.normal(size=(n, c)) * (1 + it), rng.normal(size=(n, c))
    y, phi, ema_new, gx, gw, gb = _np_step(x, w, b, phi, ema, it, warmup, dy)
    f = lambda x_, w_, b_, e_: N.power_norm_train(x_, w_, b_, jphi, e_, jnp.float32(it <= warmup), ABKW, EPS)
    xs, ws, bs = (jnp.asarray(a, jnp.float32) for a in (x, w, b))
    out, vjp = jax.vjp(f, xs, ws, bs, jema)
    jgx, jgw, jgb, dema = vjp(jnp.asarray(dy, jnp.float32))
    np.testing.assert_allclose(out, y, rtol=2e-5, atol=2e-5)
    np.testing.assert_allclose(jgx, gx, rtol=2e-5, atol=2e-5)
    np.testing.assert_allclose(jgw, gw, rtol=2e-5, atol=2e-5)
    np.testing.assert_allclose(jgb, gb, rtol=2e-5, atol=2e-5)
    np.testing.assert_allclose(jema + dema, ema_new, rtol=2e-5, atol=2e-5)
    jema, ema = jema + dema, ema_new
    var = (x * x).mean(0)   # the caller's running_phi update (the module's), compared with the transcription
    jphi = (jphi * (it - 1) / it + var / it if it < warmup else jphi) * AFWD + (1 - AFWD) * var
    np.testing.assert_allclose(jphi, phi, rtol=1e-5)


def test_module_statistics_warmup_and_eval():
  rng = np.random.default_rng(1)
  x = jnp.asarray(rng.normal(size=(4, 3, 6)) * 3, jnp.float32)
  m = N.PowerNorm(use_running_average=False, warmup_iters=1)
  v = m.init(jax.random.key(0), x)
  xs = np.asarray(x, np.float64)
  xs = xs / np.sqrt((xs * xs).mean(-1, keepdims=True) + EPS)          # GroupScaling1D (groups=1)
  var = (xs.reshape(-1, 6) ** 2).mean(0)
  y, upd = m.apply(v, x, mutable=["batch_stats"])                        # step 1: warm-up, batch statistics
  np.testing.assert_allclose(y, xs / np.sqrt(var + EPS), rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(upd["batch_stats"]["running_phi"], AFWD * 1.0 + (1 - AFWD) * var, rtol=1e-5)
  phi = np.asarray(upd["batch_stats"]["running_phi"], np.float64)
  y2, _ = m.apply({**v, **upd}, x, mutable=["batch_stats"])              # step 2: past warm-up, running phi
  np.testing.assert_allclose(y2, xs / np.sqrt(phi + EPS), rtol=1e-5, atol=1e-5)
  ye = N.PowerNorm(use_running_average=True).apply({**v, **upd}, x)      # eval: running phi
  np.testing.assert_allclose(ye, y2, rtol=1e-6)
  # the trainer's backward (ema_gz kept at 0): dL/dx through z is weight * dL/dy / sqrt(var + eps)
  g = jax.grad(lambda p: jnp.sum(m.apply({"params": p, **upd}, x, mutable=["batch_stats"])[0] ** 2))(v["params"])
  assert np.all(np.isfinite(np.asarray(g["scale"]))) and g["scale"].shape == (6,)


def test_power_norm_is_selectable_and_groups_are_checked():
  assert isinstance(N.make_norm("power", train=True), N.PowerNorm)
  with pytest.raises(ValueError, match="groups"):
    N.group_scaling(jnp.ones((2, 5)), groups=2)
