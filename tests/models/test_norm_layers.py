"""alpha-BN, EvoNorm-S0/B0 and GDN/IGDN against float64 NumPy transcriptions of their papers' formulas."""
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.models import norm as N

RNG = np.random.default_rng(1)


def _perturbed(module, x, **apply_kw):
  v = module.init(jax.random.key(0), x)
  v = jax.tree.map(lambda a: a + 0.2 * jax.random.uniform(jax.random.key(3), a.shape), v)
  return v, jax.tree.map(lambda a: np.asarray(a, np.float64), v)


def test_alpha_batchnorm_mixes_statistics_and_trains_like_batchnorm():
  x = jnp.asarray(RNG.normal(size=(16, 5)) * 2 + 1, jnp.float32)
  v, v64 = _perturbed(N.AlphaBatchNorm(alpha=0.3), x)
  x64 = np.asarray(x, np.float64)
  mean_r, var_r = v64["batch_stats"]["bn"]["mean"], v64["batch_stats"]["bn"]["var"]
  mu = 0.3 * x64.mean(0) + 0.7 * mean_r
  var = 0.3 * x64.var(0) + 0.7 * var_r
  want = (x64 - mu) / np.sqrt(var + 1e-5) * v64["params"]["bn"]["scale"] + v64["params"]["bn"]["bias"]
  np.testing.assert_allclose(N.AlphaBatchNorm(alpha=0.3).apply(v, x), want, rtol=1e-5, atol=1e-5)
  bn = nn.BatchNorm(use_running_average=True, epsilon=1e-5)
  vb = {"params": v["params"]["bn"], "batch_stats": v["batch_stats"]["bn"]}
  np.testing.assert_allclose(N.AlphaBatchNorm(alpha=0.0).apply(v, x), bn.apply(vb, x), rtol=1e-5, atol=1e-5)
  y, st = N.AlphaBatchNorm(use_running_average=False).apply(v, x, mutable=["batch_stats"])
  yb, stb = nn.BatchNorm(use_running_average=False, momentum=0.9, epsilon=1e-5).apply(vb, x, mutable=["batch_stats"])
  np.testing.assert_allclose(y, yb, rtol=1e-6)
  np.testing.assert_allclose(st["batch_stats"]["bn"]["mean"], stb["batch_stats"]["mean"], rtol=1e-6)
  with pytest.raises(ValueError, match="alpha"):
    N.AlphaBatchNorm(alpha=1.5).apply(v, x)


def test_evonorm_s0_matches_transcription():
  x = jnp.asarray(RNG.normal(size=(2, 3, 3, 8)), jnp.float32)
  m = N.EvoNormS0(groups=4)
  v, v64 = _perturbed(m, x)
  p, x64 = v64["params"], np.asarray(x, np.float64)
  g = x64.reshape(2, 3, 3, 4, 2)
  var = np.broadcast_to(g.var(axis=(1, 2, 4), keepdims=True), g.shape).reshape(x64.shape)
  want = x64 / (1 + np.exp(-p["v"] * x64)) / np.sqrt(var + 1e-5) * p["scale"] + p["bias"]
  np.testing.assert_allclose(m.apply(v, x), want, rtol=1e-5, atol=1e-5)
  with pytest.raises(ValueError, match="groups"):
    N.EvoNormS0(groups=3).init(jax.random.key(0), x)


def test_evonorm_b0_matches_transcription_in_train_and_eval():
  x = jnp.asarray(RNG.normal(size=(4, 3, 3, 6)), jnp.float32)
  m = N.EvoNormB0(use_running_average=False)
  v, v64 = _perturbed(m, x)
  p, x64 = v64["params"], np.asarray(x, np.float64)
  bvar = x64.reshape(-1, 6).var(0)
  ivar = x64.var(axis=(1, 2), keepdims=True)
  den = np.maximum(np.sqrt(bvar + 1e-5), p["v"] * x64 + np.sqrt(ivar + 1e-5))
  y, st = m.apply(v, x, mutable=["batch_stats"])
  np.testing.assert_allclose(y, x64 / den * p["scale"] + p["bias"], rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(st["batch_stats"]["var"], 0.9 * v64["batch_stats"]["var"] + 0.1 * bvar, rtol=1e-5)
  den_eval = np.maximum(np.sqrt(v64["batch_stats"]["var"] + 1e-5), p["v"] * x64 + np.sqrt(ivar + 1e-5))
  np.testing.assert_allclose(N.EvoNormB0().apply(v, x), x64 / den_eval * p["scale"] + p["bias"], rtol=1e-5, atol=1e-5)


def test_gdn_igdn_and_exact_inverse():
  x = jnp.asarray(RNG.normal(size=(5, 4)), jnp.float32)
  m = N.GDN()
  v = m.init(jax.random.key(0), x)
  np.testing.assert_allclose(v["params"]["gamma"], 0.1 * np.eye(4))
  beta = RNG.uniform(0.5, 1.5, size=4)
  gamma = RNG.uniform(0.0, 0.1, size=(4, 4))
  v = {"params": {"beta": jnp.asarray(beta, jnp.float32), "gamma": jnp.asarray(gamma, jnp.float32)}}
  x64 = np.asarray(x, np.float64)
  pool = np.sqrt(beta + (x64 ** 2) @ gamma.T)
  np.testing.assert_allclose(m.apply(v, x), x64 / pool, rtol=1e-5)
  np.testing.assert_allclose(N.GDN(inverse=True).apply(v, x), x64 * pool, rtol=1e-5)
  y = m.apply(v, x)
  x_rec = N.gdn_inverse(y, v["params"]["beta"], v["params"]["gamma"])
  np.testing.assert_allclose(x_rec, x, rtol=1e-4, atol=1e-5)


def test_make_norm_builds_the_new_layers():
  x = jnp.ones((2, 4, 4, 8))
  for kind in ("alpha_batch", "evonorm_s0", "evonorm_b0"):
    m = N.make_norm(kind, num_groups=4)
    v = m.init(jax.random.key(0), x)
    assert m.apply(v, x).shape == x.shape
