"""Weight conditioning (lbrl.models.norm_reparam, slug weight_conditioning_smooth_optimization): the
equilibrated kernel against a float64 NumPy transcription, the property the paper's abstract states (the
singular-value spread narrows; van der Sluis' bound for column equilibration), the "row" conditioner equal to
flax's WeightNorm with its gain frozen, and the zoo switch."""
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.models import norm_reparam as R
from lbrl.models.simple import ResMLP

RNG = np.random.default_rng(0)


def _np_condition(k, conditioner, gain):
  k = np.asarray(k, np.float64)
  n_in, n_out = k.shape
  if conditioner == "column":
    return k / np.sqrt((k ** 2).sum(1, keepdims=True) + 1e-12) * gain * np.sqrt(n_out / n_in)
  return k / np.sqrt((k ** 2).sum(0, keepdims=True) + 1e-12) * gain


@pytest.mark.parametrize("conditioner", ["column", "row"])
def test_condition_kernel_and_layer_match_float64_transcription(conditioner):
  k = RNG.normal(size=(12, 7))
  np.testing.assert_allclose(R.condition_kernel(jnp.asarray(k, jnp.float32), conditioner, 1.3),
                             _np_condition(k, conditioner, 1.3), rtol=1e-5)
  x = jax.random.normal(jax.random.key(0), (5, 12))
  layer = R.ConditionedDense(7, conditioner=conditioner)
  v = layer.init(jax.random.key(1), x)
  p = jax.tree.map(lambda a: np.asarray(a, np.float64), v["params"])
  want = np.asarray(x, np.float64) @ _np_condition(p["kernel"], conditioner, np.sqrt(2)) + p["bias"]
  np.testing.assert_allclose(layer.apply(v, x), want, rtol=1e-5, atol=1e-6)


def test_column_equilibration_narrows_the_singular_value_spread():
  """A well-conditioned W [out, in] with badly scaled columns: equilibration undoes the scaling, and
  kappa(W_hat) <= sqrt(in) * min_D kappa(W D) <= sqrt(in) * kappa(G) (van der Sluis, 1969)."""
  g = np.linalg.qr(RNG.normal(size=(16, 16)))[0] + 0.1 * RNG.normal(size=(16, 16))   # [in, out] kernel
  kernel = np.diag(np.logspace(-3, 3, 16)) @ g        # kernel row i = W's column i, scaled by 1e-3 .. 1e3
  hat = np.asarray(R.condition_kernel(jnp.asarray(kernel, jnp.float32), "column"), np.float64)
  k_before, k_after = np.linalg.cond(kernel), np.linalg.cond(hat)
  assert k_before > 1e5 and k_after < 1e-3 * k_before
  assert k_after <= np.sqrt(16) * np.linalg.cond(g) * (1 + 1e-4)
  np.testing.assert_allclose(R.kernel_condition_numbers([jnp.asarray(kernel, jnp.float32), hat])[1], k_after,
                             rtol=1e-3)


def test_row_conditioner_is_weight_norm_with_frozen_gain():
  x = jax.random.normal(jax.random.key(0), (4, 10))
  cond = R.ConditionedDense(6, conditioner="row", gain=1.7)
  v = cond.init(jax.random.key(1), x)
  wn = nn.WeightNorm(nn.Dense(6))
  w = {"params": {"layer_instance": {"kernel": v["params"]["kernel"], "bias": v["params"]["bias"]},
                  "layer_instance/kernel/scale": jnp.full((6,), 1.7)}}
  assert jax.tree.map(jnp.shape, w) == jax.tree.map(jnp.shape, wn.init(jax.random.key(1), x))
  np.testing.assert_allclose(cond.apply(v, x), wn.apply(w, x), rtol=1e-5, atol=1e-6)


def test_bad_conditioner_is_named_and_zoo_switch():
  with pytest.raises(ValueError, match="conditioner must be"):
    R.condition_kernel(jnp.ones((2, 2)), "both")
  x = jnp.ones((2, 40))
  v = ResMLP(num_classes=10, width=8, depth=2, weight_reparam="conditioning",
             reparam_options={"conditioner": "row"}).init(jax.random.key(0), x)
  assert v["params"]["blocks"]["dense1"]["kernel"].shape == (2, 8, 8)


def test_conv_kernels_are_conditioned_as_their_fan_in_matrix_and_resnet_switch():
  from lbrl.models.resnet import ResNet
  k = RNG.normal(size=(3, 3, 4, 5))
  np.testing.assert_allclose(R.condition_kernel(jnp.asarray(k, jnp.float32)),
                             _np_condition(k.reshape(36, 5), "column", np.sqrt(2)).reshape(k.shape), rtol=1e-5)
  x = jnp.ones((1, 8, 8, 3))
  plain = ResNet(num_classes=10, depth=8, width=4).init(jax.random.key(0), x)
  cond = ResNet(num_classes=10, depth=8, width=4, weight_reparam="conditioning").init(jax.random.key(0), x)
  count = lambda v: sum(a.size for a in jax.tree.leaves(v["params"]))
  assert count(cond) == count(plain) and "kernel" in cond["params"]["stem"]
