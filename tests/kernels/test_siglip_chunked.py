"""SigLIP's chunked multi-device form (lbrl.kernels.contrastive.siglip_loss under shard_map: the text
blocks travel around the ring) equals the dense loss of lbrl.losses.contrastive.siglip (pinned to
open_clip in tests/golden) on 1, 2, 4 and 8 simulated devices, values and gradients with respect to
both towers, log t and b; and its compiled memory per device stays below the dense form's."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import NamedSharding, PartitionSpec as P

from lbrl.kernels.contrastive import siglip_loss
from lbrl.losses import contrastive as C
from lbrl.parallel.mesh import make_mesh


def _inputs(b=32, d=6, seed=0):
  r = np.random.default_rng(seed)
  x = r.standard_normal((b, d))
  y = x + r.standard_normal((b, d))
  n = lambda a: jnp.asarray(a / np.linalg.norm(a, axis=1, keepdims=True), jnp.float32)
  return n(x), n(y), jnp.log(jnp.float32(5.0)), jnp.float32(-3.0)


def _dense(x, y, lt, b):
  return jnp.mean(C.siglip({"embeddings": jnp.stack([x, y], 1), "log_temperature": lt, "bias": b}))


def _ring(ndev, block):
  mesh = make_mesh((ndev,), ("data",)) if ndev == 8 else jax.make_mesh(
      (ndev,), ("data",), axis_types=(jax.sharding.AxisType.Auto,), devices=jax.devices()[:ndev])
  local = lambda x, y, lt, b: siglip_loss(x, y, jnp.exp(lt), b, block_size=block, axis_name="data")
  per = jax.shard_map(local, mesh=mesh, in_specs=(P("data"), P("data"), P(), P()), out_specs=P("data"))
  return mesh, lambda *a: jnp.mean(per(*a))


@pytest.mark.parametrize("ndev", [1, 2, 4, 8])
def test_chunked_equals_dense_on_n_devices(ndev):
  args = _inputs(seed=ndev)
  want = jax.value_and_grad(_dense, argnums=(0, 1, 2, 3))(*args)
  mesh, ring = _ring(ndev, block=3)
  sh = NamedSharding(mesh, P("data"))
  sharded = (jax.device_put(args[0], sh), jax.device_put(args[1], sh), args[2], args[3])
  got = jax.jit(jax.value_and_grad(ring, argnums=(0, 1, 2, 3)))(*sharded)
  np.testing.assert_allclose(got[0], want[0], rtol=1e-5)
  for g, w in zip(got[1], want[1]):
    np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-4, atol=1e-6)


def test_chunked_memory_per_device_below_dense():
  b, d = 2048, 32
  mesh, ring = _ring(8, block=128)
  sh = NamedSharding(mesh, P("data"))
  x = jax.ShapeDtypeStruct((b, d), jnp.float32, sharding=sh)
  s = jax.ShapeDtypeStruct((), jnp.float32, sharding=NamedSharding(mesh, P()))
  temp = lambda f: jax.jit(jax.value_and_grad(f, argnums=(0, 1, 2, 3))).lower(x, x, s, s).compile() \
      .memory_analysis().temp_size_in_bytes
  dense, chunked = temp(_dense), temp(ring)
  # dense holds [B, B] logits (B^2 / devices floats at best); the ring holds a [B/8, block] tile
  assert chunked * 4 < dense, (chunked, dense)
