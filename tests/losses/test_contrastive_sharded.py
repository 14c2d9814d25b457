"""Every batch-wide CON loss on a batch sharded over 8 simulated devices equals the same loss on one
device (per-example values, and iSogCLR's per-example state rows): the global batch is the negative set / memory bank / centre, whatever the
sharding. (ntxent, dcl, siglip, clip, i_con, macl, dispersive, byol: tests/losses/test_contrastive.py;
siglip's ring form: tests/kernels/test_siglip_chunked.py.)"""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import NamedSharding, PartitionSpec as P

from lbrl.losses import contrastive as C
from lbrl.parallel.mesh import make_mesh
from lbrl.registry import LOSSES

B = 16


def _inputs(name, r):
  """(embeddings, keyword inputs) of loss ``name`` for a batch of B, float32; the first argument is what
  the gradient is taken of."""
  f = lambda *s: jnp.asarray(r.standard_normal(s), jnp.float32)
  base = r.standard_normal((B, 1, 6))
  near = lambda: jnp.asarray(base + 0.3 * r.standard_normal((B, 2, 6)), jnp.float32)
  if name == "i_con_cluster":
    return f(B, 2, 5), {}
  if name == "isogclr":
    st = C.isogclr_state(B)
    return near(), {"example_state": {"u": jnp.asarray(r.random((B, 2)) + 0.5, jnp.float32),
                                      "tau_offset": st["tau_offset"] + 0.1}}
  if name == "sy_con":
    return {"embeddings": near(), "predictions": near()}, {"teacher_outputs": near()}
  if name == "radical":
    return near(), {"teacher_outputs": near()}
  if name == "secla":
    return {"faces": f(B, 3, 6), "names": f(B, 2, 6), "face_mask": jnp.asarray(r.random((B, 3)) < 0.8).at[:, 0].set(True),
            "name_mask": jnp.asarray(r.random((B, 2)) < 0.8).at[:, 0].set(True)}, {}
  if name == "byol_ccsl":
    return near(), {"target_outputs": near()}
  if name == "scatsimclr":
    return {"embeddings": near(), "pretext_logits": f(B, 2, 4),
            "pretext_labels": jnp.asarray(r.integers(0, 4, (B, 2)))}, {}
  if name == "diffusion_dispersive":
    return {"embeddings": f(B, 5), "prediction": f(B, 4), "noise": f(B, 4)}, {}
  if name == "cribo":
    objs = jnp.asarray(r.standard_normal((B, 1, 3, 4)) + 0.2 * r.standard_normal((B, 2, 3, 4)), jnp.float32)
    return {"embeddings": f(B, 2, 3, 6), "objects": objs}, {"target_outputs": {"embeddings": f(B, 2, 3, 6), "objects": objs}}
  raise KeyError(name)


SHARDED_ELSEWHERE = {"ntxent", "dcl", "siglip", "clip", "i_con", "macl", "dispersive"}
NAMES = ["i_con_cluster", "isogclr", "sy_con", "radical", "secla", "byol_ccsl", "scatsimclr", "diffusion_dispersive",
         "cribo"]


def test_every_batch_wide_contrastive_loss_is_covered():
  declared = {n for n in LOSSES.names() if LOSSES.spec(n).batch_wide and (LOSSES.target(n) or "").startswith(
      "lbrl.losses.contrastive:")}
  assert declared == SHARDED_ELSEWHERE | set(NAMES)


def _all(inputs):
  """Every loss's per-example values (and iSogCLR's new state rows) in one function: one compilation per
  placement keeps this test cheap."""
  out = {}
  for name, (emb, kw) in inputs.items():
    res = getattr(C, name)(emb, **kw)
    out[name] = res[0] if isinstance(res, tuple) else res
    if isinstance(res, tuple):
      out[name + "_state"] = res[1]
  return out


def test_eight_devices_equal_one():
  inputs = {n: _inputs(n, np.random.default_rng(sum(map(ord, n)))) for n in NAMES}
  dense = jax.jit(_all)(inputs)
  sh = NamedSharding(make_mesh((8,), ("data",)), P("data"))
  got = jax.jit(_all, out_shardings=sh)(jax.tree.map(lambda a: jax.device_put(a, sh), inputs))
  for name in NAMES:
    assert len(got[name].sharding.device_set) == 8, name
  close = lambda a, b: np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)
  jax.tree.map(close, got, dense)
