"""lbrl.losses.contrastive against recorded values and gradients of lightly, open_clip and
pytorch-metric-learning (tests/golden/regen_contrastive_losses.py; float64 there, float32 here)."""
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.losses import contrastive as C

REF = np.load(os.path.join(os.path.dirname(__file__), "contrastive_losses.npz"))
TOL = dict(rtol=1e-5, atol=1e-5)


def _vg(fn, *arrays):
  f = lambda *a: jnp.mean(fn(*a))
  v, g = jax.value_and_grad(f, argnums=tuple(range(len(arrays))))(*[jnp.asarray(a, jnp.float32) for a in arrays])
  return float(v), [np.asarray(x) for x in g]


def _check(key, v, grads, names=("g0", "g1")):
  np.testing.assert_allclose(v, REF[f"{key}/value"], **TOL)
  for n, g in zip(names, grads):
    np.testing.assert_allclose(g, REF[f"{key}/{n}"], **TOL)


def test_versions_recorded():
  assert str(REF["version_lightly"]) and str(REF["version_open_clip_torch"]) and str(REF["version_pytorch-metric-learning"])


@pytest.mark.parametrize("t", [0.1, 0.5])
@pytest.mark.parametrize("ref", ["lightly_ntxent", "pml_ntxent"])
def test_ntxent_matches_lightly_and_pml(ref, t):
  v, g = _vg(lambda a, b: C.ntxent(jnp.stack([a, b], 1), temperature=t), REF["z0"], REF["z1"])
  _check(f"{ref}/t={t}", v, g)


@pytest.mark.parametrize("t", [0.1, 0.5])
def test_supcon_matches_pml(t):
  lab = jnp.asarray(REF["labels"])
  v, g = _vg(lambda a, b: C.ntxent(jnp.stack([a, b], 1), lab, temperature=t, supervised=True), REF["z0"], REF["z1"])
  _check(f"pml_supcon/t={t}", v, g)


@pytest.mark.parametrize("t", [0.1, 0.5])
def test_dcl_matches_lightly(t):
  v, g = _vg(lambda a, b: C.dcl(jnp.stack([a, b], 1), temperature=t), REF["z0"], REF["z1"])
  _check(f"lightly_dcl/t={t}", v, g)


def test_byol_half_matches_lightly_negative_cosine():
  # lightly: -mean cos(z0, z1); BYOL's one direction: 2 - 2 cos
  v, g = _vg(lambda a, b: C.normalized_regression(a, b), REF["z0"], REF["z1"])
  np.testing.assert_allclose(v, 2 + 2 * REF["lightly_negcos/value"], **TOL)
  np.testing.assert_allclose(g[0], 2 * REF["lightly_negcos/g0"], **TOL)
  np.testing.assert_allclose(g[1], 2 * REF["lightly_negcos/g1"], **TOL)


@pytest.mark.parametrize("t,b", [(10.0, -10.0), (3.0, 0.5)])
def test_siglip_matches_open_clip(t, b):
  def f(x, y, lt, bb):
    return C.siglip({"embeddings": jnp.stack([x, y], 1), "log_temperature": lt, "bias": bb})
  v, g = _vg(f, REF["n0"], REF["n1"], np.log(t), b)
  key = f"open_clip_siglip/t={t}/b={b}"
  np.testing.assert_allclose(v, REF[f"{key}/value"], **TOL)
  np.testing.assert_allclose(g[0], REF[f"{key}/g0"], **TOL)
  np.testing.assert_allclose(g[1], REF[f"{key}/g1"], **TOL)
  np.testing.assert_allclose(g[2] / t, REF[f"{key}/gt"], **TOL)   # d/dlog t = t d/dt
  np.testing.assert_allclose(g[3], REF[f"{key}/gb"], **TOL)
