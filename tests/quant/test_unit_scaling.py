"""lbrl.quant.unit_scaling: the scaled ops' forward/backward scales (the paper's rules, written out in
NumPy) and the property the paper states: unit variance of outputs and gradients at initialisation."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.quant import unit_scaling as U


def test_scale_fwd_and_bwd():
  x = jnp.arange(1.0, 4.0)
  y, vjp = jax.vjp(lambda v: U.scale_fwd(v, 2.5), x)
  np.testing.assert_allclose(np.asarray(y), 2.5 * np.arange(1.0, 4.0))
  np.testing.assert_allclose(np.asarray(vjp(jnp.ones(3))[0]), 1.0)
  y, vjp = jax.vjp(lambda v: U.scale_bwd(v, 0.5), x)
  np.testing.assert_allclose(np.asarray(y), np.arange(1.0, 4.0))
  np.testing.assert_allclose(np.asarray(vjp(jnp.ones(3))[0]), 0.5)


@pytest.mark.parametrize("constraint", ["gmean", None, "to_output_scale"])
def test_linear_matches_numpy_and_is_unit_scaled(constraint):
  r = np.random.default_rng(0)
  b_, k, n = 512, 256, 64
  x, w, g = r.standard_normal((b_, k)), r.standard_normal((k, n)), r.standard_normal((b_, n))
  y, vjp = jax.vjp(lambda a, c: U.linear(a, c, constraint=constraint), jnp.asarray(x, jnp.float32),
                   jnp.asarray(w, jnp.float32))
  gx, gw = vjp(jnp.asarray(g, jnp.float32))
  s_out, s_in = {"gmean": ((k * n) ** -0.25,) * 2, None: (k ** -0.5, n ** -0.5),
                 "to_output_scale": (k ** -0.5,) * 2}[constraint]
  np.testing.assert_allclose(np.asarray(y), s_out * x @ w, rtol=2e-4, atol=2e-4)
  np.testing.assert_allclose(np.asarray(gx), s_in * g @ w.T, rtol=2e-4, atol=2e-4)
  np.testing.assert_allclose(np.asarray(gw), b_ ** -0.5 * x.T @ g, rtol=2e-4, atol=2e-4)
  if constraint is None:   # unconstrained: every tensor has unit variance at init (the paper's aim)
    for t in (y, gx, gw):
      assert abs(float(jnp.std(t)) - 1.0) < 0.05


def test_bad_inputs():
  with pytest.raises(ValueError, match="constraint"):
    U.linear(jnp.ones((2, 3)), jnp.ones((3, 4)), constraint="amean2")
  with pytest.raises(ValueError, match="fan_in"):
    U.linear(jnp.ones((2, 3)), jnp.ones((4, 4)))


def test_unit_scaled_mlp_keeps_activations_and_gradients_near_unit_scale():
  """The paper's property at initialisation: the logits and the input gradient of the mean cross-entropy
  are O(1) in the unit-scaled MLP, where a standard MLP's input gradient is O(1 / batch)."""
  from lbrl.models.simple import MLP
  r = np.random.default_rng(0)
  x = jnp.asarray(r.standard_normal((256, 64)), jnp.float32)
  y = jnp.asarray(r.integers(0, 10, 256))

  def stats(model):
    v = model.init(jax.random.key(0), x)
    ce = lambda x: -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(model.apply(v, x)), y[:, None], -1))
    return float(jnp.std(model.apply(v, x))), float(jnp.std(jax.grad(ce)(x)))

  out_std, grad_std = stats(U.UnitScaledMLP(num_classes=10, hidden=(256, 256)))
  assert 0.3 < out_std < 3 and 0.05 < grad_std < 5
  _, grad_std_standard = stats(MLP(num_classes=10, hidden=(256, 256)))
  assert grad_std_standard < grad_std / 50
  with pytest.raises(ValueError, match="num_classes"):
    U.UnitScaledMLP().init(jax.random.key(0), x)


def test_unit_scaled_mlp_bias_is_the_linear_ops_bias():
  """``use_bias=True``: each layer is ``linear(x, W, b)`` (scale applied after the bias), b zero at init."""
  x = jnp.asarray(np.random.default_rng(1).standard_normal((8, 6)), jnp.float32)
  m = U.UnitScaledMLP(num_classes=3, hidden=(5,), use_bias=True)
  v = m.init(jax.random.key(0), x)
  assert not np.any(np.asarray(v["params"]["Dense_0"]["bias"]))
  p = jax.tree.map(lambda a: a + 0.3, v["params"])
  h = jax.nn.relu(U.linear(x, p["Dense_0"]["kernel"], p["Dense_0"]["bias"]))
  want = U.linear(h, p["Dense_1"]["kernel"], p["Dense_1"]["bias"])
  np.testing.assert_allclose(m.apply({"params": p}, x), want, rtol=1e-5, atol=1e-6)
