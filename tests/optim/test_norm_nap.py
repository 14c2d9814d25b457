"""NaP's projection (normalization_effective_learning_rates) against a float64 NumPy transcription of
``W <- W * ||W_0|| / ||W||`` after each optimizer step, and the scale-invariance it relies on."""
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from lbrl.optim import norm_nap


def test_projection_matches_numpy_over_steps():
  rng = np.random.default_rng(1)
  w0 = {"Dense_0": {"kernel": rng.standard_normal((5, 4)).astype(np.float32),
                    "bias": rng.standard_normal(4).astype(np.float32)},
        "norm_0": {"scale": np.ones(4, np.float32)}}
  grads = [jax.tree.map(lambda a: rng.standard_normal(a.shape).astype(np.float32), w0) for _ in range(4)]
  tx = norm_nap.nap(optax.sgd(0.3))
  p = jax.tree.map(jnp.asarray, w0)
  s = tx.init(p)
  ref = jax.tree.map(lambda a: np.array(a, np.float64), w0)
  n0 = np.linalg.norm(ref["Dense_0"]["kernel"])
  for g in grads:
    u, s = tx.update(jax.tree.map(jnp.asarray, g), s, p)
    p = optax.apply_updates(p, u)
    ref = jax.tree.map(lambda w, gg: w - 0.3 * np.asarray(gg, np.float64), ref, g)
    k = ref["Dense_0"]["kernel"]
    ref["Dense_0"]["kernel"] = k * n0 / np.linalg.norm(k)
  for a, b in zip(jax.tree.leaves(p), jax.tree.leaves(ref)):
    np.testing.assert_allclose(np.asarray(a), b, rtol=1e-5, atol=1e-6)
  assert np.linalg.norm(np.asarray(p["Dense_0"]["kernel"])) == pytest.approx(n0, rel=1e-6)
  assert not np.allclose(np.asarray(p["norm_0"]["scale"]), 1.0)   # not projected: left to the optimizer
  with pytest.raises(ValueError, match="needs params"):
    proj = norm_nap.nap_projection()
    proj.update(p, proj.init(p))


def test_layernorm_mlp_is_scale_invariant_in_its_hidden_kernels():
  """The premise of NaP: with a LayerNorm after each hidden layer, scaling a hidden kernel (and its bias)
  leaves the output unchanged, so only its direction matters."""
  from lbrl.models.simple import MLP
  m = MLP(num_classes=3, hidden=(8, 8), norm="layer")
  x = jax.random.normal(jax.random.key(0), (5, 6))
  p = m.init(jax.random.key(1), x)["params"]
  q = jax.tree.map(lambda a: a, p)
  q["Dense_0"] = {"kernel": 7.0 * p["Dense_0"]["kernel"], "bias": 7.0 * p["Dense_0"]["bias"]}
  np.testing.assert_allclose(np.asarray(m.apply({"params": q}, x)), np.asarray(m.apply({"params": p}, x)),
                             rtol=2e-4, atol=2e-5)
