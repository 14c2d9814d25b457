"""The flax layers lbrl reuses for the NORM papers, pinned against float64 NumPy transcriptions of the papers:
LayerNorm (Ba et al., 2016, eq. 4), InstanceNorm (Ulyanov et al., 2016, eq. 2), WeightNorm (Salimans &
Kingma, 2016, eq. 2), each as make_norm / ResMLP select them."""
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from lbrl.models import norm as N
from lbrl.models.simple import ResMLP

RNG = np.random.default_rng(0)


def test_layernorm_per_case_over_the_units():
  x = RNG.normal(size=(3, 4, 10)) * 3 + 1
  m = N.make_norm("layer")
  v = m.init(jax.random.key(0), jnp.asarray(x, jnp.float32))
  v = {"params": {"scale": jnp.asarray(RNG.normal(size=10), jnp.float32), "bias": jnp.asarray(RNG.normal(size=10), jnp.float32)}}
  mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
  ref = (x - mu) / np.sqrt(var + 1e-6) * np.asarray(v["params"]["scale"]) + np.asarray(v["params"]["bias"])
  np.testing.assert_allclose(m.apply(v, jnp.asarray(x, jnp.float32)), ref, rtol=1e-5, atol=1e-5)


def test_instancenorm_per_image_per_channel_and_contrast_invariant():
  x = RNG.normal(size=(2, 5, 6, 3)) * 2 + 0.5
  m = N.make_norm("instance", train=True)
  v = m.init(jax.random.key(0), jnp.asarray(x, jnp.float32))
  mu, var = x.mean((1, 2), keepdims=True), x.var((1, 2), keepdims=True)
  ref = (x - mu) / np.sqrt(var + 1e-6)
  y = m.apply(v, jnp.asarray(x, jnp.float32))
  np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-4)
  # the same at test time (no running statistics) and invariant to a per-image contrast change a x + b
  np.testing.assert_allclose(N.make_norm("instance", train=False).apply(v, jnp.asarray(x, jnp.float32)), y, rtol=1e-6)
  z = 3.0 * x[:1] - 2.0
  np.testing.assert_allclose(m.apply(v, jnp.asarray(z, jnp.float32)), y[:1], rtol=1e-3, atol=1e-3)


def test_weightnorm_in_resmlp_is_g_v_over_norm_v():
  m = ResMLP(num_classes=3, width=6, depth=1, weight_norm=True)
  x = jnp.asarray(RNG.normal(size=(4, 5)), jnp.float32)
  v = m.init(jax.random.key(0), x)
  p = jax.tree.map(np.asarray, v["params"])
  g = RNG.uniform(0.5, 2.0, size=(1, 6))
  p["blocks"]["WeightNorm_1"]["dense1/kernel/scale"] = g
  vk = p["blocks"]["dense1"]["kernel"][0].astype(np.float64)
  w_eff = g[0] * vk / np.linalg.norm(vk, axis=0, keepdims=True)   # w = g v / ||v|| per output unit
  _, inter = m.apply({"params": p}, x, capture_intermediates=True, mutable=["intermediates"])
  # reproduce block 0's first layer by hand: pre-activation input relu(stem(x)) then the effective kernel
  stem = np.asarray(x, np.float64) @ p["stem"]["kernel"] + p["stem"]["bias"]
  h1 = np.maximum(stem, 0) @ w_eff + p["blocks"]["dense1"]["bias"][0]
  got = inter["intermediates"]["blocks"]["WeightNorm_1"]["__call__"][0][0]
  np.testing.assert_allclose(got, h1, rtol=1e-4, atol=1e-5)


def test_group_and_instance_norm_refuse_one_element_statistics():
  """On dense features [batch, C], GroupNorm with one channel per group (and InstanceNorm, with no spatial
  axes) normalizes every scalar by itself: the output is the offset for any input. make_norm raises, naming
  the shape; the same layers on images, or with several channels per group, keep flax's numbers and names."""
  import pytest
  dense = jnp.asarray(RNG.normal(size=(4, 8)), jnp.float32)
  for kind, kw in (("group", {"num_groups": 8}), ("instance", {})):
    with pytest.raises(ValueError, match=r"shape \(4, 8\) normalizes each statistic over 1 element"):
      N.make_norm(kind, **kw).init(jax.random.key(0), dense)
  m, ref = N.make_norm("group", num_groups=4), nn.GroupNorm(num_groups=4)
  v = m.init(jax.random.key(0), dense)
  np.testing.assert_array_equal(m.apply(v, dense), ref.apply(v, dense))
  assert float(jnp.std(m.apply(v, dense), axis=0).min()) > 0.1   # two channels per group: varies with the input

  class Two(nn.Module):
    @nn.compact
    def __call__(self, x):
      return N.make_norm("group", num_groups=2)(N.make_norm("group", num_groups=4)(x))
  assert set(Two().init(jax.random.key(0), dense)["params"]) == {"GroupNorm_0", "GroupNorm_1"}
