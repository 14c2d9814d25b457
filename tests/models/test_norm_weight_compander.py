"""Weight compander (lbrl.models.norm_reparam, slug weight_compander): the function against a float64 NumPy
transcription (values, inverse, gradient into the parameter and into the learned hyperparameters), the
properties the paper's abstract states (magnitude capped, small weights expanded away from zero), the layer
equal to the plain layer at initialisation, and the zoo switch (mlp / res_mlp ``weight_reparam``)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.models import norm_reparam as R
from lbrl.models.simple import MLP, ResMLP


def _np_compand(theta, a, b):
  return np.sign(theta) * a * (1.0 - np.exp(-np.abs(theta) / b))


def test_compand_matches_float64_transcription_and_its_gradients():
  theta = np.random.default_rng(0).normal(size=(7, 5)) * 0.5
  a, b = 0.4, 0.15
  np.testing.assert_allclose(R.compand(jnp.asarray(theta, jnp.float32), a, b), _np_compand(theta, a, b),
                             rtol=1e-5, atol=1e-7)
  # d/dtheta = (a / b) exp(-|theta| / b); d/da = sign(theta) (1 - exp(-|theta|/b)); d/db = -sign a |t| e / b^2
  g_theta = jax.grad(lambda t: jnp.sum(R.compand(t, a, b)))(jnp.asarray(theta, jnp.float32))
  np.testing.assert_allclose(g_theta, a / b * np.exp(-np.abs(theta) / b), rtol=1e-4, atol=1e-6)
  g_a, g_b = jax.grad(lambda a_, b_: jnp.sum(R.compand(jnp.asarray(theta, jnp.float32), a_, b_)), (0, 1))(a, b)
  e = np.exp(-np.abs(theta) / b)
  np.testing.assert_allclose(g_a, np.sum(np.sign(theta) * (1 - e)), rtol=1e-5)
  np.testing.assert_allclose(g_b, np.sum(-np.sign(theta) * a * np.abs(theta) * e / b ** 2), rtol=1e-4)


def test_compander_caps_magnitude_and_expands_small_weights():
  theta = jnp.linspace(-50.0, 50.0, 10001)
  a, b = 0.3, 0.1
  w = R.compand(theta, a, b)
  assert float(jnp.max(jnp.abs(w))) <= np.float32(a)             # the cap
  np.testing.assert_allclose(R.compand(-theta, a, b), -w, atol=1e-7)   # odd
  slope0 = float(jax.grad(lambda t: R.compand(t, a, b))(1e-6))
  assert slope0 == pytest.approx(a / b, rel=1e-4) and slope0 > 1   # small parameters pushed away from zero
  small = jnp.asarray([1e-3, -2e-3, 5e-3])
  assert bool(jnp.all(jnp.abs(R.compand(small, a, b)) > jnp.abs(small)))
  w0 = np.random.default_rng(1).uniform(-0.29, 0.29, 100)
  np.testing.assert_allclose(R.compand(R.compand_inverse(jnp.asarray(w0), a, b), a, b), w0, atol=1e-6)


@pytest.mark.parametrize("learn", [False, True])
def test_companded_dense_is_the_plain_layer_at_init_and_computes_x_f_theta(learn):
  x = jax.random.normal(jax.random.key(0), (6, 9))
  layer = R.CompandedDense(4, cap=3.0, slope=2.0, learn=learn)
  v = layer.init(jax.random.key(1), x)
  p = jax.tree.map(lambda t: np.asarray(t, np.float64), v["params"])
  a0 = 3.0 / np.sqrt(9)
  a, b = (np.exp(p["log_cap"]), np.exp(p["log_scale"])) if learn else (a0, a0 / 2.0)
  assert a == pytest.approx(a0) and b == pytest.approx(a0 / 2)
  kernel = _np_compand(p["kernel"], a, b)
  assert np.max(np.abs(kernel)) <= 0.99 * a0 + 1e-6 and 0.2 < np.std(kernel) < 0.5
  np.testing.assert_allclose(layer.apply(v, x), np.asarray(x, np.float64) @ kernel + p["bias"], rtol=1e-5, atol=1e-6)
  if learn:
    g = jax.grad(lambda q: jnp.sum(layer.apply({"params": q}, x) ** 2))(v["params"])
    assert abs(float(g["log_cap"])) > 0 and abs(float(g["log_scale"])) > 0


def test_companded_dense_init_equals_plain_init_draw():
  """The effective kernel at init is the plain initializer's draw (clipped at 0.99 a)."""
  draws = {}

  def init(key, shape, dtype):
    draws["w0"] = jax.random.normal(key, shape, dtype) * 0.2
    return draws["w0"]
  layer = R.CompandedDense(5, cap=3.0, slope=2.0, kernel_init=init, use_bias=False)
  x = jnp.ones((1, 16))
  v = layer.init(jax.random.key(3), x)
  a0 = 3.0 / 4.0
  w0 = np.clip(np.asarray(draws["w0"], np.float64), -0.99 * a0, 0.99 * a0)
  np.testing.assert_allclose(_np_compand(np.asarray(v["params"]["kernel"], np.float64), a0, a0 / 2), w0, atol=1e-5)


def test_bad_input_is_named():
  with pytest.raises(ValueError, match="cap > 0"):
    R.CompandedDense(3, cap=0.0).init(jax.random.key(0), jnp.ones((1, 2)))
  with pytest.raises(ValueError, match="weight reparameterization"):
    R.make_dense("spectral", 3)


def test_zoo_switch_reparameterizes_every_mlp_layer_and_the_res_mlp_branches():
  x = jnp.ones((2, 40))
  v = MLP(num_classes=10, hidden=(8,), weight_reparam="compander",
          reparam_options={"learn": True}).init(jax.random.key(0), x)
  assert set(v["params"]) == {"Dense_0", "Dense_1"}
  assert all("log_cap" in v["params"][k] for k in v["params"])   # head included
  v = ResMLP(num_classes=10, width=8, depth=2, weight_reparam="compander").init(jax.random.key(0), x)
  assert set(v["params"]["blocks"]["dense1"]) == {"kernel", "bias"}
  plain = MLP(num_classes=10, hidden=(8,)).init(jax.random.key(0), x)
  same = MLP(num_classes=10, hidden=(8,), weight_reparam="none").init(jax.random.key(0), x)
  assert jax.tree.map(jnp.shape, plain) == jax.tree.map(jnp.shape, same)


def test_reparam_conv_compander_convolves_with_f_theta_and_starts_at_the_plain_draw():
  """Convolutions (ResNet's ``weight_reparam``): stored theta, the convolution sees f(theta) = clip(w0)."""
  from flax import linen as nn
  x = jax.random.normal(jax.random.key(0), (2, 5, 5, 3))
  fixed = lambda key, shape, dtype: jnp.linspace(-0.5, 0.5, 108, dtype=dtype).reshape(shape)   # a known w0
  layer = R.ReparamConv(4, (3, 3), kind="compander", options={"learn": True},
                        conv=(("kernel_init", fixed), ("use_bias", False)))
  v = layer.init(jax.random.key(1), x)
  a0 = 3.0 / np.sqrt(27)
  eff = _np_compand(np.asarray(v["params"]["kernel"], np.float64), a0, a0 / 2)
  w0 = np.linspace(-0.5, 0.5, 108).reshape(3, 3, 3, 4)
  np.testing.assert_allclose(eff, np.clip(w0, -0.99 * a0, 0.99 * a0), atol=1e-5)
  want = jax.lax.conv_general_dilated(x, jnp.asarray(eff, jnp.float32), (1, 1), "SAME",
                                     dimension_numbers=("NHWC", "HWIO", "NHWC"))
  np.testing.assert_allclose(layer.apply(v, x), want, atol=1e-5)
  with pytest.raises(ValueError, match="compander takes"):
    R.ReparamConv(4, (3, 3), kind="compander", options={"cap": -1.0}).init(jax.random.key(0), x)
