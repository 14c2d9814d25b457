"""Two-pass softmax and the shared log-sum-exp state: values vs NumPy float64, extreme logits, kernels."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.kernels import two_pass_logsumexp, two_pass_softmax
from lbrl.kernels.twopass import reference as ref

KERNELS = ["reference", "pallas_tpu", "pallas_gpu"]


def np_softmax(x, axis=-1):
  x = np.asarray(x, np.float64)
  e = np.exp(x - x.max(axis=axis, keepdims=True))
  return e / e.sum(axis=axis, keepdims=True)


def np_lse(x, axis=-1):
  x = np.asarray(x, np.float64)
  m = x.max(axis=axis, keepdims=True)
  return np.squeeze(m, axis) + np.log(np.exp(x - m).sum(axis=axis))


def err(a, b):
  return float(np.max(np.abs(np.asarray(a, np.float64) - b)))


@pytest.mark.parametrize("impl", KERNELS)
@pytest.mark.parametrize("scale", [1.0, 3000.0])
def test_softmax_matches_float64(impl, scale):
  x = np.array(jax.random.normal(jax.random.key(1), (6, 333)) * scale, np.float32)
  x[0, 7] = 9000.0                      # exp overflows float32 by far; the pairs do not
  x[1, :] = -8000.0                     # every exp underflows in float32
  want = np_softmax(x)
  got = two_pass_softmax(jnp.asarray(x), impl=impl, interpret=True)
  naive = jax.nn.softmax(jnp.asarray(x))
  assert np.all(np.isfinite(np.asarray(got)))
  assert err(got, want) <= err(naive, want) + 2e-6


def test_softmax_axis_dtype_and_masked_entries():
  x = jax.random.normal(jax.random.key(2), (4, 5, 6)) * 10
  x = x.at[:, 0, :].set(-jnp.inf).at[:, 0, 2].set(3.0)
  got = two_pass_softmax(x.astype(jnp.bfloat16), axis=1)
  assert got.dtype == jnp.bfloat16 and got.shape == x.shape
  np.testing.assert_allclose(np.asarray(got, np.float32), np_softmax(np.asarray(x.astype(jnp.bfloat16), np.float32), 1),
                             atol=1e-2)
  y = two_pass_softmax(x, axis=2)
  np.testing.assert_array_equal(np.asarray(y[:, 0]), np.eye(6)[2][None].repeat(4, 0))


def test_logsumexp_extreme_and_range_limit():
  x = np.array([[1e4, 1e4 - 1.0, -1e4], [-5e3, -5e3, -5e3], [0.0, 0.0, 0.0]], np.float32)
  got = two_pass_logsumexp(jnp.asarray(x))
  np.testing.assert_allclose(np.asarray(got, np.float64), np_lse(x.astype(np.float64)), rtol=1e-6)
  # exp(x) alone overflows / underflows for every row but the last:
  with np.errstate(over="ignore", divide="ignore"):
    assert not np.all(np.isfinite(np.log(np.exp(x.astype(np.float32)).sum(-1))))


@pytest.mark.parametrize("impl", KERNELS)
def test_softmax_gradient(impl):
  x = jax.random.normal(jax.random.key(3), (3, 40)) * 5
  c = jax.random.normal(jax.random.key(4), (3, 40))
  f = lambda fn: jax.grad(lambda x: jnp.sum(c * fn(x) ** 2))(x)
  g = f(lambda x: two_pass_softmax(x, impl=impl, interpret=True))
  g64 = jax.grad(lambda x: jnp.sum(c.astype(np.float64) * jax.nn.softmax(x) ** 2))
  with jax.enable_x64():
    want = np.asarray(g64(jnp.asarray(np.asarray(x), jnp.float64)))
  np.testing.assert_allclose(np.asarray(g), want, atol=1e-6)


def test_lse_state_blockwise_equals_whole_and_is_order_free():
  x = np.array(jax.random.normal(jax.random.key(5), (4, 100)) * 50, np.float32)
  want = np_lse(x)
  blocks = [x[:, i:i + 17] for i in range(0, 100, 17)]
  for order in (blocks, blocks[::-1]):
    s = ref.lse_init((4,))
    for b in order:
      s = ref.lse_combine(s, ref.lse_block(jnp.asarray(b), axis=1))
    np.testing.assert_allclose(np.asarray(ref.lse_finalize(s), np.float64), want, rtol=1e-6)
  # an empty state is the identity and a fully masked block changes nothing
  s = ref.lse_block(jnp.asarray(x), axis=1)
  empty = ref.lse_block(jnp.asarray(x), axis=1, where=jnp.zeros(x.shape, bool))
  np.testing.assert_array_equal(np.asarray(ref.lse_finalize(ref.lse_combine(s, empty))),
                                np.asarray(ref.lse_finalize(s)))
  assert np.all(np.isneginf(np.asarray(ref.lse_finalize(ref.lse_init((2,))))))


def test_pairs_combine_never_overflows():
  a = ref.exp_pairs_sum(jnp.array([[5000.0, 4999.0]]))
  b = ref.exp_pairs_sum(jnp.array([[-5000.0, 5001.0]]))
  m, n = ref.pairs_combine(a, b)
  got = float(np.log(float(m[0])) + float(n[0]) * np.log(2.0))
  assert abs(got - np_lse(np.array([5000.0, 4999.0, -5000.0, 5001.0]))) < 1e-3


def test_bad_input_errors():
  with pytest.raises(TypeError, match="x must be floating"):
    two_pass_softmax(jnp.arange(3))
  with pytest.raises(ValueError, match="impl must be one of"):
    two_pass_softmax(jnp.ones(3), impl="cuda")
  with pytest.raises(ValueError, match="impl must be one of"):   # the Mosaic fused CE / contrastive impl only
    two_pass_softmax(jnp.ones(3), impl="pallas_mgpu")
  with pytest.raises(ValueError, match="impl='pallas' needs a TPU or GPU"):
    two_pass_softmax(jnp.ones(3), impl="pallas")


def test_kernels_lower_for_their_platforms():
  from lbrl.kernels.twopass import pallas_gpu, pallas_tpu
  s = jax.ShapeDtypeStruct((64, 1024), jnp.float32)
  e = jax.export.export(jax.jit(lambda x: pallas_tpu.softmax_2d(x)), platforms=["tpu"])(s)
  assert "tpu_custom_call" in e.mlir_module()
  # Mosaic GPU: two kernels (the passes), each a mosaic_gpu custom call; lowering checks the SMEM budget
  s = jax.ShapeDtypeStruct((256, 4096), jnp.float32)
  e = jax.export.export(jax.jit(lambda x: pallas_gpu.softmax_2d(x)), platforms=["cuda"])(s)
  assert e.mlir_module().count("stablehlo.custom_call @mosaic_gpu") == 2


@pytest.mark.skipif(jax.default_backend() != "gpu", reason="compiled Mosaic GPU kernel: needs a GPU (benchmarks/kernels_gpu.sh)")
@pytest.mark.parametrize("dtype", [jnp.float32, jnp.bfloat16])
def test_mosaic_gpu_kernel_compiled_matches_float64(dtype):
  x = jax.random.normal(jax.random.key(2), (300, 5000)) * 30.0
  x = x.at[0, 7].set(9000.0).astype(dtype)
  got = two_pass_softmax(x, impl="pallas_gpu")
  want = np_softmax(np.asarray(x.astype(jnp.float32)))
  tol = 2e-6 if dtype == jnp.float32 else 1e-2
  assert got.dtype == dtype and err(got, want) <= tol
