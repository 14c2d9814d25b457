"""perpGrad: the update is the gradient minus its projection on the weights, rescaled to the gradient's
norm as in the authors' released OrthoGrad (NumPy reference)."""
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from lbrl.optim.perpgrad import perpgrad

RNG = np.random.default_rng(0)
PARAMS = {"a": jnp.asarray(RNG.normal(size=(3, 4)), jnp.float32), "b": jnp.asarray(RNG.normal(size=5), jnp.float32),
          "zero": jnp.zeros(2)}
GRADS = jax.tree.map(lambda p: jnp.asarray(RNG.normal(size=p.shape), jnp.float32), PARAMS)


def np_perp(g, w, rescale=False):
  """The authors' OrthoGrad step, in float64: g - (w.g / w.w) w, then (optionally) times |g| / |g_perp|."""
  g, w = np.asarray(g, np.float64), np.asarray(w, np.float64)
  ww = (w * w).sum()
  p = g if ww == 0 else g - (g * w).sum() / ww * w
  return p * np.linalg.norm(g) / np.linalg.norm(p) if rescale else p


@pytest.mark.parametrize("rescale", [False, True])
def test_per_leaf_projection(rescale):
  tx = perpgrad(rescale=rescale)
  out, _ = tx.update(GRADS, tx.init(PARAMS), PARAMS)
  for k in PARAMS:
    np.testing.assert_allclose(out[k], np_perp(GRADS[k], PARAMS[k], rescale), rtol=1e-5, atol=1e-6)
    assert abs(float(jnp.sum(out[k] * PARAMS[k]))) < 1e-5
    if rescale:
      np.testing.assert_allclose(np.linalg.norm(out[k]), np.linalg.norm(GRADS[k]), rtol=1e-5)
  np.testing.assert_array_equal(out["zero"], GRADS["zero"])


@pytest.mark.parametrize("rescale", [False, True])
def test_global_projection(rescale):
  tx = perpgrad(per_leaf=False, rescale=rescale)
  out, _ = tx.update(GRADS, tx.init(PARAMS), PARAMS)
  flat = lambda t: np.concatenate([np.ravel(t[k]) for k in sorted(t)])
  np.testing.assert_allclose(flat(out), np_perp(flat(GRADS), flat(PARAMS), rescale), rtol=1e-5, atol=1e-6)


def test_rescale_when_the_gradient_is_almost_along_the_weights():
  # Late in training g is nearly parallel to w (naive loss minimisation): the small orthogonal part is
  # scaled up to |g|; a gradient exactly along w (or zero) leaves only rounding error, which is not
  # scaled up into a random step of size |g|, and never NaN.
  w = PARAMS["a"]
  e = jnp.asarray(RNG.normal(size=w.shape), jnp.float32)
  g = 3.0 * w + 1e-3 * e
  out, _ = perpgrad().update({"a": g}, None, {"a": w})
  scale = float(jnp.abs(out["a"]).max())
  np.testing.assert_allclose(out["a"], np_perp(g, w, True), rtol=2e-3, atol=2e-3 * scale)
  for g in (2.0 * w, 0.37 * w, 3.3 * w, jnp.zeros_like(w)):
    out, _ = jax.jit(perpgrad().update)({"a": g}, None, {"a": w})
    assert np.all(np.isfinite(out["a"]))
    assert float(jnp.linalg.norm(out["a"])) < 1e-4 * float(jnp.linalg.norm(w))


def test_chain_jit_bf16_and_errors():
  tx = optax.chain(perpgrad(), optax.adamw(1e-2, weight_decay=0.0))
  params = jax.tree.map(lambda p: p.astype(jnp.bfloat16), PARAMS)
  grads = jax.tree.map(lambda p: p.astype(jnp.bfloat16), GRADS)
  state = tx.init(params)
  upd, state = jax.jit(tx.update)(grads, state, params)
  assert all(u.dtype == jnp.bfloat16 for u in jax.tree.leaves(upd))
  with pytest.raises(ValueError, match="params"):
    perpgrad().update(GRADS, perpgrad().init(PARAMS))


def test_norm_is_preserved_to_first_order():
  # Plain SGD with perpGrad moves orthogonally to w, so ||w|| grows only at second order (lr^2).
  w = PARAMS["a"]
  g = GRADS["a"]
  out, _ = perpgrad(rescale=False).update({"a": g}, None, {"a": w})
  lr = 1e-3
  new = w - lr * out["a"]
  assert abs(float(jnp.sum(new * new) - jnp.sum(w * w))) < 10 * lr ** 2 * float(jnp.sum(out["a"] ** 2)) + 1e-5


def test_registered_factory_chains_perpgrad_and_inner():
  import lbrl.optim  # noqa: F401  (registers sgd)
  from lbrl.optim.perpgrad import perpgrad_optimizer
  from lbrl.registry import OPTIMIZERS
  assert OPTIMIZERS.get("perpgrad") is perpgrad_optimizer
  tx = perpgrad_optimizer(lbrl.optim.sgd(0.1))
  with pytest.raises(TypeError, match="inner"):
    perpgrad_optimizer("sgd")
  upd, _ = tx.update(GRADS, tx.init(PARAMS), PARAMS)
  for k in ("a", "b"):
    np.testing.assert_allclose(upd[k], -0.1 * np_perp(GRADS[k], PARAMS[k], True), rtol=1e-5, atol=1e-6)
