"""FlashSigmoid (Pallas TPU kernel, interpret mode) vs a float64 NumPy transcription of sigmoid attention:
values and gradients, causal and full, ragged lengths; the kernels lower for TPU, the Mosaic GPU forward
for cuda."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.kernels import sigmoid_attention


def numpy_attention(q, k, v, do, b, causal):
  """o and the gradients of sum(o * do) w.r.t. q, k, v (float64)."""
  q, k, v, do = (np.asarray(a, np.float64) for a in (q, k, v, do))
  c = 1 / math.sqrt(q.shape[-1])
  s = np.einsum("bthd,bshd->bhts", q, k) * c + b
  p = 1 / (1 + np.exp(-s))
  if causal:
    p = p * np.tril(np.ones(s.shape[-2:]))
  o = np.einsum("bhts,bshd->bthd", p, v)
  dp = np.einsum("bthd,bshd->bhts", do, v)
  ds = dp * p * (1 - p)
  dq = np.einsum("bhts,bshd->bthd", ds, k) * c
  dk = np.einsum("bhts,bthd->bshd", ds, q) * c
  dv = np.einsum("bhts,bthd->bshd", p, do)
  return o, dq, dk, dv


@pytest.mark.parametrize("causal", [False, True])
def test_flash_sigmoid_interpret_matches_float64(causal):
  ks = jax.random.split(jax.random.key(0), 4)
  shape = (2, 37, 2, 16)                          # T = 37: ragged against 16-row tiles
  q, k, v, do = (jax.random.normal(key, shape) for key in ks)
  want = numpy_attention(q, k, v, do, -math.log(37), causal)
  f = lambda q, k, v: sigmoid_attention(q, k, v, causal=causal, impl="pallas_tpu", interpret=True,
                                        block_q=16, block_k=16)
  o, vjp = jax.vjp(f, q, k, v)
  got = (o,) + vjp(do)
  ref = jax.vjp(lambda q, k, v: sigmoid_attention(q, k, v, causal=causal, impl="reference"), q, k, v)
  ref = (ref[0],) + ref[1](do)
  for g, r, w in zip(got, ref, want):
    err, err_ref = np.abs(np.asarray(g, np.float64) - w).max(), np.abs(np.asarray(r, np.float64) - w).max()
    assert err <= 2 * err_ref + 1e-5, (err, err_ref)


def test_flash_sigmoid_lowers_for_tpu():
  f = jax.jit(jax.value_and_grad(lambda q, k, v: jnp.sum(sigmoid_attention(q, k, v, causal=True, impl="pallas_tpu")),
                                 (0, 1, 2)))
  spec = [jax.ShapeDtypeStruct((2, 256, 4, 64), jnp.bfloat16)] * 3
  text = jax.export.export(f, platforms=["tpu"])(*spec).mlir_module()
  for name in ("flash_sigmoid_forward", "flash_sigmoid_backward_dq", "flash_sigmoid_backward_dkv"):
    assert name in text, name
  assert "tpu_custom_call" in text


def test_mosaic_gpu_forward_lowers_for_cuda():
  """The Mosaic GPU forward (wgmma; no interpreter can run it on CPU) lowers with its gradient for cuda."""
  f = jax.jit(jax.value_and_grad(lambda q, k, v: jnp.sum(sigmoid_attention(q, k, v, causal=True, impl="pallas_gpu")),
                                 (0, 1, 2)))
  spec = [jax.ShapeDtypeStruct((2, 100, 2, 64), jnp.bfloat16)] * 3      # T = 100: padded to 64-row tiles
  text = jax.export.export(f, platforms=["cuda"])(*spec).mlir_module()
  assert text.count("stablehlo.custom_call @mosaic_gpu") == 1
  q = jnp.zeros((1, 4, 1, 64), jnp.bfloat16)
  with pytest.raises(ValueError, match="no interpret mode"):
    sigmoid_attention(q, q, q, impl="pallas_gpu", interpret=True)
  with pytest.raises(ValueError, match="bfloat16/float16 with Dh a multiple of 64"):
    sigmoid_attention(jnp.zeros((1, 4, 1, 8)), jnp.zeros((1, 4, 1, 8)), jnp.zeros((1, 4, 1, 8)), impl="pallas_gpu")


@pytest.mark.skipif(jax.default_backend() != "gpu", reason="compiled Mosaic GPU kernel: needs a GPU (benchmarks/kernels_gpu.sh)")
@pytest.mark.parametrize("causal", [False, True])
def test_mosaic_gpu_forward_compiled_matches_float64(causal):
  ks = jax.random.split(jax.random.key(1), 4)
  shape = (2, 200, 2, 64)
  q, k, v, do = (jax.random.normal(key, shape).astype(jnp.bfloat16) for key in ks)
  want = numpy_attention(q, k, v, do, -math.log(200), causal)
  o, vjp = jax.vjp(lambda q, k, v: sigmoid_attention(q, k, v, causal=causal, impl="pallas_gpu"), q, k, v)
  ref = sigmoid_attention(q, k, v, causal=causal, impl="reference")
  err = np.abs(np.asarray(o, np.float64) - want[0]).max()
  err_ref = np.abs(np.asarray(ref, np.float64) - want[0]).max()
  assert err <= 2 * err_ref + 1e-2, (err, err_ref)
  for g, w in zip(vjp(do), want[1:]):
    assert np.abs(np.asarray(g, np.float64) - w).max() <= 0.05 * np.abs(w).max() + 1e-2
