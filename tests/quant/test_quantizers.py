"""lbrl.quant.quantizers against NumPy transcriptions of the formats' specs (per-channel int, OCP MX,
NVFP4), the straight-through gradients, and qwix's conventions pinned."""
import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest
import qwix

from lbrl.quant import quantizers as Q


def _w(shape=(64, 24), seed=0):
  r = np.random.default_rng(seed)
  return (r.standard_normal(shape) * np.exp(r.standard_normal(shape[1:]))).astype(np.float32)


def _np_cast(v, dtype, vmax):
  return np.clip(v, -vmax, vmax).astype(np.float32).astype(dtype).astype(np.float64)


def test_int8_per_channel_matches_numpy():
  w = _w()
  s = np.abs(w).max(0, keepdims=True).astype(np.float64) / 127
  expect = np.clip(np.round(w / s.astype(np.float32)), -127, 127) * s.astype(np.float32)
  q = Q.quantize(jnp.asarray(w), Q.INT8)
  assert q.values.dtype == jnp.int8 and q.scale.shape == (1, 24)
  np.testing.assert_allclose(np.asarray(Q.dequantize(q)), expect, rtol=1e-6, atol=0)


@pytest.mark.parametrize("spec_name,block,emax,vmax,dtype", [
    ("mxfp4", 32, 2, 6.0, ml_dtypes.float4_e2m1fn), ("mxfp8", 32, 8, 448.0, ml_dtypes.float8_e4m3fn)])
def test_mx_matches_the_ocp_spec(spec_name, block, emax, vmax, dtype):
  w = _w((96, 8))
  spec = Q.PRESETS[spec_name]._replace(axis=0)        # blocks along the contraction axis of [in, out]
  got = np.asarray(Q.fake_quantize(jnp.asarray(w), spec))
  wb = w.T.reshape(8, 96 // block, block)
  amax = np.abs(wb).max(-1, keepdims=True)
  x = 2.0 ** (np.floor(np.log2(amax)) - emax)       # OCP MX v1.0, section 6.3
  expect = (_np_cast(wb / x, dtype, vmax) * x).reshape(8, 96).T
  np.testing.assert_array_equal(got, expect.astype(np.float32))
  assert Q.bits_per_value(spec) == 4.25 if spec_name == "mxfp4" else 8.25


def test_nvfp4_two_level_scales_match_numpy():
  w = _w((4, 64))
  got = np.asarray(Q.fake_quantize(jnp.asarray(w), Q.NVFP4))
  g = np.abs(w).max() / (6.0 * 448.0)
  wb = w.reshape(4, 4, 16)
  sb = _np_cast(np.abs(wb).max(-1, keepdims=True) / (6.0 * g), ml_dtypes.float8_e4m3fn, 448.0) * g
  expect = (_np_cast(wb / sb, ml_dtypes.float4_e2m1fn, 6.0) * sb).reshape(4, 64)
  np.testing.assert_allclose(got, expect, rtol=1e-6)
  assert Q.bits_per_value(Q.NVFP4) == 4.5


def test_shift_scales_are_the_tensor_scale_shifted_per_channel():
  """``scale_format="shift"``: s_c = (amax / qmax) 2^-k_c, k_c = floor(log2(amax / amax_c)) (NumPy
  transcription); no channel saturates and none gets a coarser step than the per-tensor scale."""
  w = _w()
  w[:, 3] = 0.0
  spec = Q.QuantSpec("int4", granularity="channel", axis=-1, scale_format="shift")
  s = np.asarray(Q.compute_scale(jnp.asarray(w), spec)).ravel()
  amax, amax_c = np.abs(w).max(), np.abs(w).max(0)
  k = np.floor(np.log2(amax / np.where(amax_c > 0, amax_c, amax)))
  np.testing.assert_allclose(s, amax / 7 * 2.0 ** -np.where(amax_c > 0, k, 0), rtol=1e-6)
  assert np.all(amax_c / s <= 7 + 1e-5) and np.all(s <= amax / 7 * (1 + 1e-6))
  err = lambda sf: np.abs(np.asarray(Q.fake_quantize(jnp.asarray(w), spec._replace(scale_format=sf))) - w).mean()
  assert err("shift") < err("pow2") and err("shift") < np.abs(np.asarray(Q.fake_quantize(
      jnp.asarray(w), Q.QuantSpec("int4", granularity="tensor"))) - w).mean()
  assert Q.bits_per_value(spec, numel=w.size, channels=24) == 4 + (8 * 24 + 32) / w.size


def test_zero_groups_and_per_tensor_amax_override():
  x = jnp.zeros((4, 32))
  np.testing.assert_array_equal(np.asarray(Q.fake_quantize(x, Q.MXFP4)), 0)
  q = Q.quantize(jnp.array([1.0, 2.0, 100.0]), Q.FP8_TENSOR, amax=jnp.float32(4.0))  # delayed scaling
  np.testing.assert_allclose(np.asarray(Q.dequantize(q)), [1.0, 2.0, 4.0])             # saturates


def test_ste_and_clipped_gradients():
  x = jnp.asarray(_w((32, 4)))
  g = jax.grad(lambda v: jnp.sum(Q.fake_quantize(v, Q.INT4) * 3.0))(x)
  np.testing.assert_array_equal(np.asarray(g), 3.0)
  amax = jnp.float32(1.0)
  y = jnp.array([0.5, -0.9, 1.5, -3.0])
  gc = jax.grad(lambda v: jnp.sum(Q.fake_quantize(v, Q.FP8_TENSOR, gradient="clipped", amax=amax)))(y)
  np.testing.assert_array_equal(np.asarray(gc), [1.0, 1.0, 0.0, 0.0])


def test_stochastic_rounding_is_unbiased_through_scales():
  w = jnp.asarray(_w((32, 8)))
  spec = Q.INT4._replace(rounding="stochastic")
  keys = jax.random.split(jax.random.key(0), 2000)
  mean = jax.vmap(lambda k: Q.fake_quantize(w, spec, key=k))(keys).mean(0)
  s = np.abs(np.asarray(w)).max(0) / 7
  assert np.max(np.abs(np.asarray(mean) - np.asarray(w)) / s) < 0.06     # 5 sigma of 0.5/sqrt(2000) ulp
  with pytest.raises(ValueError, match="key"):
    Q.fake_quantize(w, spec)


def test_jit_and_bf16_input_keep_dtype():
  x = jnp.asarray(_w((32, 8)), jnp.bfloat16)
  y = jax.jit(lambda v: Q.fake_quantize(v, Q.MXFP8._replace(axis=0)))(x)
  assert y.dtype == jnp.bfloat16 and np.all(np.isfinite(np.asarray(y, np.float32)))


def test_qwix_conventions_pinned():
  """qwix departs from the specs in two places (documented in lbrl.quant.quantizers)."""
  w = _w((64, 8))
  qa = qwix.quantize(jnp.asarray(w), jnp.int8, channelwise_axes=[1])
  np.testing.assert_allclose(np.asarray(qa.scale).ravel(), np.abs(w).max(0) / 127.5, rtol=1e-6)
  qm = qwix.quantize(jnp.asarray(w), "mxfp4", tiled_axes={0: 32}, channelwise_axes=[1])
  amax = np.abs(w.reshape(2, 32, 8)).max(1)
  np.testing.assert_allclose(np.asarray(qm.scale), 2.0 ** np.ceil(np.log2(amax / 6.0)), rtol=1e-6)


def test_bad_specs_raise():
  with pytest.raises(ValueError, match="granularity"):
    Q.quantize(jnp.ones((4, 4)), Q.INT8._replace(granularity="row"))
  with pytest.raises(ValueError, match="divisible by block_size"):
    Q.quantize(jnp.ones((4, 30)), Q.MXFP4)
  with pytest.raises(ValueError, match="axis"):
    Q.quantize(jnp.ones((4, 32)), Q.INT8._replace(axis=3))
  with pytest.raises(ValueError, match="spec must be"):
    Q.quantize(jnp.ones(3), "fp3")
  with pytest.raises(ValueError, match="e4m3"):
    Q.check_spec(Q.INT8._replace(scale_format="e4m3"))


def test_delayed_scaling_matches_flax_fp8_recipe():
  """Delayed per-tensor scaling (fp8_training): the amax history of flax's fp8 ops (Transformer Engine's
  recipe) gives the amax; lbrl's per-tensor e4m3 quantizer with that amax equals flax's qdq bit for bit."""
  from flax.linen import fp8_ops
  r = np.random.default_rng(0)
  xs = [jnp.asarray(r.standard_normal((8, 16)) * (1 + i), jnp.float32) for i in range(5)]
  hist = jnp.zeros((4,), jnp.float32)
  for x in xs:
    hist = fp8_ops.compute_amax_history(x, hist)
  amax = jnp.max(hist)                                  # history of the last 4 steps: amax of xs[1:]
  assert float(amax) == max(float(jnp.max(jnp.abs(x))) for x in xs[1:])
  s_flax = fp8_ops.compute_scale(amax, jnp.float32(1.0), jnp.float32(448.0))
  np.testing.assert_allclose(float(Q.compute_scale(xs[0], Q.FP8_TENSOR, amax=amax)), float(s_flax), rtol=1e-7)
  got = Q.dequantize(Q.quantize(xs[0] * 20, Q.FP8_TENSOR, amax=amax))   # some entries saturate
  ref = fp8_ops.qdq(xs[0] * 20, jnp.float8_e4m3fn, s_flax, jnp.float32)
  np.testing.assert_array_equal(np.asarray(got), np.asarray(ref))
