"""lbrl.quant.scalify: scale propagation against its rules in NumPy, exactness in float32 (the scaled
forward and hand-written backward equal autodiff of the plain MLP), and FP8 data on the ml_dtypes grid."""
import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest

from lbrl.quant import scalify as S


def test_matmul_propagates_the_scale_by_its_rule():
  r = np.random.default_rng(0)
  a, b = r.standard_normal((4, 64)).astype(np.float32), r.standard_normal((64, 3)).astype(np.float32)
  sa, sb = S.as_scaled(a), S.as_scaled(b)
  out = S.matmul(sa, sb)
  assert float(out.scale) == float(sa.scale) * float(sb.scale) * 8.0              # pow2(sqrt(64)) = 8
  np.testing.assert_allclose(np.asarray(out.to_array()), a @ b, rtol=1e-5, atol=1e-5)
  q = S.matmul(sa, sb, "float8_e4m3fn")
  d = np.asarray(q.data)
  np.testing.assert_array_equal(d, d.astype(ml_dtypes.float8_e4m3fn).astype(np.float32))   # on the E4M3 grid
  assert float(S.pow2(3.0)) == 4.0 and float(S.pow2(0.0)) == 1.0
  with pytest.raises(ValueError, match="contraction"):
    S.matmul(sa, sa)


def test_float32_scalified_mlp_equals_the_plain_mlp_and_its_gradients():
  r = np.random.default_rng(1)
  x = jnp.asarray(r.standard_normal((8, 12)), jnp.float32)
  params = [(jnp.asarray(r.standard_normal((12, 16)) / 4, jnp.float32), jnp.asarray(r.standard_normal(16), jnp.float32)),
            (jnp.asarray(r.standard_normal((16, 5)) / 4, jnp.float32), jnp.asarray(r.standard_normal(5), jnp.float32))]

  def plain(params, x):
    h = jax.nn.relu(x @ params[0][0] + params[0][1])
    return h @ params[1][0] + params[1][1]

  for rescale in (False, True):
    f = lambda p, x: jnp.sum(jnp.sin(S.scalified_mlp(p, x, None, None, rescale)))
    g = lambda p, x: jnp.sum(jnp.sin(plain(p, x)))
    np.testing.assert_allclose(f(params, x), g(params, x), rtol=1e-5)
    got, want = jax.grad(f, argnums=(0, 1))(params, x), jax.grad(g, argnums=(0, 1))(params, x)
    for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(want)):
      np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-5)


def test_fp8_scalified_mlp_trains_near_float():
  model = S.ScalifiedMLP(num_classes=4, hidden=(32,))
  x = jnp.asarray(np.random.default_rng(2).standard_normal((64, 10)), jnp.float32)
  v = model.init(jax.random.key(0), x)
  f32 = S.ScalifiedMLP(num_classes=4, hidden=(32,), fwd_format=None, bwd_format=None)
  y8, y32 = np.asarray(model.apply(v, x)), np.asarray(f32.apply(v, x))
  assert np.abs(y8 - y32).max() < 0.1 * np.abs(y32).max()
  g8 = jax.grad(lambda v: jnp.sum(model.apply(v, x) ** 2))(v)
  g32 = jax.grad(lambda v: jnp.sum(f32.apply(v, x) ** 2))(v)
  for a, b in zip(jax.tree.leaves(g8), jax.tree.leaves(g32)):
    assert np.linalg.norm(np.asarray(a) - np.asarray(b)) < 0.2 * np.linalg.norm(np.asarray(b))
  with pytest.raises(ValueError, match="rescale"):
    S.ScalifiedMLP(num_classes=4, rescale="sometimes").init(jax.random.key(0), x)
