"""Tiled and ring contrastive losses (CLIP/InfoNCE, SigLIP) vs NumPy float64 and the dense version."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import PartitionSpec as P

from lbrl.kernels.contrastive import clip_loss, dense_loss, siglip_loss
from tests.kernels import _oracle


def embeddings(b=40, d=8, seed=0, dtype=jnp.float32, normalise=False):
  kx, ky = jax.random.split(jax.random.key(seed))
  x, y = jax.random.normal(kx, (b, d)), jax.random.normal(ky, (b, d))
  if normalise:
    x, y = x / jnp.linalg.norm(x, axis=1, keepdims=True), y / jnp.linalg.norm(y, axis=1, keepdims=True)
  return x.astype(dtype), y.astype(dtype)


def grads(fn, x, y, t, b):
  """(per-example loss, d sum(loss) / d (x, y, t, b))."""
  return (fn(x, y, t, b),) + jax.grad(lambda *a: jnp.sum(fn(*a)), (0, 1, 2, 3))(x, y, t, b)


def oracle(kind, x, y, t, b):
  return _oracle.infonce(x, y, t) + (0.0,) if kind == "clip" else _oracle.siglip(x, y, t, b)


def tiled(kind, block):
  if kind == "clip":
    return lambda x, y, t, b: clip_loss(x, y, t, block_size=block)
  return lambda x, y, t, b: siglip_loss(x, y, t, b, block_size=block)


def err(got, want):
  return [float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(w)))) for a, w in zip(got, want)]


@pytest.mark.parametrize("kind", ["clip", "siglip"])
@pytest.mark.parametrize("block,t,b", [(7, 2.0, -1.0), (64, 2.0, -1.0), (7, 100.0, -10.0)],
                         ids=["moderate-ragged", "moderate-block_over_batch", "large_logits"])
def test_tiled_matches_float64_within_dense_error(kind, block, t, b):
  x, y = embeddings(normalise=t > 10)
  want = oracle(kind, x, y, t, b)
  got = grads(tiled(kind, block), x, y, t, b)
  base = grads(lambda *a: dense_loss(*a, kind), x, y, t, b)
  e_got, e_base = err(got, want), err(base, want)
  for eg, eb, w in zip(e_got, e_base, want):
    assert eg <= eb + 2e-6 * max(1.0, float(np.max(np.abs(w)))), (e_got, e_base)
  if kind == "clip":
    assert float(got[4]) == 0.0   # the bias cancels in both softmaxes


@pytest.mark.parametrize("kind", ["clip", "siglip"])
def test_bf16_within_naive_bf16_error(kind):
  x, y = embeddings(b=64, d=32, dtype=jnp.bfloat16, normalise=True)
  want = oracle(kind, np.asarray(x, np.float32), np.asarray(y, np.float32), 10.0, -3.0)
  got = grads(tiled(kind, 16), x, y, 10.0, -3.0)
  base = grads(lambda *a: dense_loss(*a, kind), x, y, 10.0, -3.0)
  assert got[0].dtype == jnp.float32 and got[1].dtype == jnp.bfloat16
  for eg, eb, w in zip(err(got, want), err(base, want), want):
    assert eg <= eb + 1e-2 * max(1.0, float(np.max(np.abs(w))))


@pytest.mark.parametrize("kind", ["clip", "siglip"])
@pytest.mark.parametrize("ndev", [1, 2, 4, 8])
def test_ring_equals_dense_on_n_devices(kind, ndev):
  x, y = embeddings(b=48, d=8, seed=ndev)
  t, b = 3.0, -2.0
  mesh = jax.make_mesh((ndev,), ("data",), axis_types=(jax.sharding.AxisType.Auto,),
                       devices=jax.devices()[:ndev])
  fn = tiled(kind, 5)

  def local(x, y, t, b):
    kw = dict(block_size=5, axis_name="data")
    return clip_loss(x, y, t, **kw) if kind == "clip" else siglip_loss(x, y, t, b, **kw)

  ring = jax.jit(jax.shard_map(local, mesh=mesh, in_specs=(P("data"), P("data"), P(), P()),
                               out_specs=P("data")))
  got = grads(ring, x, y, t, b)
  dense = grads(lambda *a: dense_loss(*a, kind), x, y, t, b)
  local_tiled = grads(fn, x, y, t, b)
  for a, c, d in zip(got, dense, local_tiled):
    atol = 2e-5 if np.ndim(a) else 1e-4    # dt, db sum B*B terms (db of clip is 0 up to rounding)
    np.testing.assert_allclose(np.asarray(a), np.asarray(c), rtol=2e-5, atol=atol)
    np.testing.assert_allclose(np.asarray(a), np.asarray(d), rtol=2e-5, atol=atol)


def temp_mib(f, *shapes):
  return jax.jit(f).lower(*shapes).compile().memory_analysis().temp_size_in_bytes / 2 ** 20


@pytest.mark.parametrize("kind", ["clip", "siglip"])
def test_gradient_temp_memory_does_not_grow_with_b_squared(kind):
  d, block = 64, 128
  spec = lambda b: (jax.ShapeDtypeStruct((b, d), jnp.float32),) * 2 + (jax.ShapeDtypeStruct((), jnp.float32),) * 2
  tiled_grad = jax.grad(lambda *a: jnp.mean(tiled(kind, block)(*a)), (0, 1, 2, 3))
  dense_grad = jax.grad(lambda *a: jnp.mean(dense_loss(*a, kind)), (0, 1, 2, 3))
  small, large = temp_mib(tiled_grad, *spec(1024)), temp_mib(tiled_grad, *spec(4096))
  dense_large = temp_mib(dense_grad, *spec(4096))
  assert dense_large >= 4096 ** 2 * 4 / 2 ** 20           # the dense path holds the B x B logits
  assert large <= 4.5 * small + 1.0, (small, large)       # linear in B (rows x tile), not quadratic
  assert large <= dense_large / 10, (large, dense_large)


def test_bad_inputs_name_the_argument():
  x, y = embeddings(b=4)
  with pytest.raises(ValueError, match="same shape"):
    clip_loss(x, y[:3])
  with pytest.raises(ValueError, match="x must be"):
    siglip_loss(x[None], y)
  with pytest.raises(ValueError, match="temperature must be a scalar"):
    clip_loss(x, y, jnp.ones(2))
  with pytest.raises(ValueError, match="bias must be a scalar"):
    siglip_loss(x, y, 1.0, jnp.ones(2))
  with pytest.raises(TypeError, match="y must be floating"):
    clip_loss(x, jnp.ones((4, 8), jnp.int32))


PALLAS = ["pallas_tpu", "pallas_gpu"]
TRITON = jax.export.DisabledSafetyCheck.custom_call("__gpu$xla.gpu.triton")


def pallas_fn(kind, impl):
  if kind == "clip":
    return lambda x, y, t, b: clip_loss(x, y, t, impl=impl, interpret=True)
  return lambda x, y, t, b: siglip_loss(x, y, t, b, impl=impl, interpret=True)


@pytest.mark.parametrize("impl", PALLAS)
@pytest.mark.parametrize("kind", ["clip", "siglip"])
def test_pallas_interpret_matches_float64_within_dense_error(impl, kind):
  x, y = embeddings(b=40, d=12, normalise=True)
  t, b = 20.0, -5.0
  want = oracle(kind, x, y, t, b)
  got = grads(pallas_fn(kind, impl), x, y, t, b)
  base = grads(lambda *a: dense_loss(*a, kind), x, y, t, b)
  for eg, eb, w in zip(err(got, want), err(base, want), want):
    assert eg <= eb + 2e-6 * max(1.0, float(np.max(np.abs(w))))


@pytest.mark.parametrize("platform,impl", [("tpu", "pallas_tpu"), ("cuda", "pallas_gpu")])
@pytest.mark.parametrize("kind", ["clip", "siglip"])
def test_pallas_kernels_lower_for_their_platform(platform, impl, kind):
  fn = (lambda x, y, t, b: clip_loss(x, y, t, impl=impl)) if kind == "clip" else (
      lambda x, y, t, b: siglip_loss(x, y, t, b, impl=impl))
  f = jax.jit(jax.value_and_grad(lambda *a: jnp.mean(fn(*a)), (0, 1, 2, 3)))
  spec = [jax.ShapeDtypeStruct((1000, 96), jnp.bfloat16)] * 2 + [jax.ShapeDtypeStruct((), jnp.float32)] * 2
  text = jax.export.export(f, platforms=[platform], disabled_checks=[TRITON])(*spec).mlir_module()
  assert f"{kind}_rows" in text and f"{kind}_grads" in text
  assert ("tpu_custom_call" if platform == "tpu" else "__gpu$xla.gpu.triton") in text


@pytest.mark.parametrize("kind", ["clip", "siglip"])
def test_mosaic_gpu_kernels_lower_for_cuda(kind):
  """The opt-in Mosaic GPU kernels (wgmma, D tiled; no interpreter runs them on CPU) lower with the gradient
  for cuda, the batch padded to 128 rows and D to 64 columns, within the SMEM budget."""
  fn = (lambda x, y, t, b: clip_loss(x, y, t, impl="pallas_mgpu")) if kind == "clip" else (
      lambda x, y, t, b: siglip_loss(x, y, t, b, impl="pallas_mgpu"))
  f = jax.jit(jax.value_and_grad(lambda *a: jnp.mean(fn(*a)), (0, 1, 2, 3)))
  spec = [jax.ShapeDtypeStruct((200, 96), jnp.bfloat16)] * 2 + [jax.ShapeDtypeStruct((), jnp.float32)] * 2
  text = jax.export.export(f, platforms=["cuda"])(*spec).mlir_module()
  assert f"{kind}_rows_mgpu" in text and f"{kind}_grads_mgpu" in text and "@mosaic_gpu" in text
  x, y = embeddings(b=8)
  with pytest.raises(ValueError, match="no interpret mode"):
    fn_i = clip_loss if kind == "clip" else siglip_loss
    fn_i(x, y, impl="pallas_mgpu", interpret=True)
  with pytest.raises(ValueError, match="must both be bfloat16 or both float16"):
    fn(x, y, 1.0, 0.0)


@pytest.mark.skipif(jax.default_backend() != "gpu", reason="compiled Mosaic GPU kernels: need a GPU (benchmarks/kernels_gpu.sh)")
@pytest.mark.parametrize("kind", ["clip", "siglip"])
def test_mosaic_gpu_compiled_matches_float64(kind):
  x, y = embeddings(b=300, d=200, normalise=True, dtype=jnp.bfloat16)
  t, b = 20.0, -5.0
  want = oracle(kind, x, y, t, b)
  fn = (lambda x, y, t, b: clip_loss(x, y, t, impl="pallas_mgpu")) if kind == "clip" else (
      lambda x, y, t, b: siglip_loss(x, y, t, b, impl="pallas_mgpu"))
  got = grads(fn, x, y, t, b)
  base = grads(lambda *a: dense_loss(*a, kind), x, y, t, b)
  for eg, eb, w in zip(err(got, want), err(base, want), want):
    assert eg <= 2 * eb + 1e-4 * max(1.0, float(np.max(np.abs(w)))), (eg, eb)
