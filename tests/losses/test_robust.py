"""Noise-robust losses against NumPy float64 formulas and the papers' special cases."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

from lbrl.losses import robust
from tests.losses.test_classification import Y, Z, close, np_ce, np_log_softmax, np_pt

C = Z.shape[-1]
ZJ, YJ = jnp.asarray(Z), jnp.asarray(Y)


def test_normalized_losses_and_apl():
  logp = np_log_softmax(Z)
  nce = -logp[np.arange(7), Y] / (-logp).sum(-1)
  close(robust.normalized_cross_entropy(ZJ, YJ), nce)
  assert np.all((nce >= 0) & (nce <= 1))
  g = 0.5
  fl = -(1 - np.exp(logp)) ** g * logp
  nfl = fl[np.arange(7), Y] / fl.sum(-1)
  close(robust.normalized_focal(ZJ, YJ, gamma=g), nfl)
  p_y = np_pt(Z, Y)
  rce = 4.0 * (1 - p_y)
  close(robust.reverse_cross_entropy(ZJ, YJ), rce)
  close(robust.mean_absolute_error(ZJ, YJ), 2 * (1 - p_y))
  close(robust.active_passive(ZJ, YJ, active="nce", passive="rce", alpha=2.0, beta=0.5), 2 * nce + 0.5 * rce)
  close(robust.active_passive(ZJ, YJ, active="nfl", passive="mae", gamma=g), nfl + 2 * (1 - p_y))
  close(robust.active_passive(ZJ, YJ, active="ce", passive="mae", beta=0.0), np_ce(Z, Y))
  with pytest.raises(ValueError, match="active"):
    robust.active_passive(ZJ, YJ, active="xx")
  with pytest.raises(ValueError, match="passive"):
    robust.active_passive(ZJ, YJ, passive="xx")


def test_normalized_ce_is_symmetric():
  # The property behind the robustness theorem: sum over all labels of NCE is the constant 1.
  total = sum(robust.normalized_cross_entropy(ZJ, jnp.full((7,), k)) for k in range(C))
  close(total, np.ones(7))


def test_comp_sum_members_and_limits():
  p_y = np_pt(Z, Y)
  close(robust.comp_sum(ZJ, YJ, tau=1.0), np_ce(Z, Y))
  close(robust.comp_sum(ZJ, YJ, tau=2.0), 1 - p_y)
  u = np.exp(Z - Z[np.arange(7), Y][:, None]).sum(-1) - 1.0
  close(robust.comp_sum(ZJ, YJ, tau=0.0), u, 1e-4)
  for tau in (0.5, 1.5, 3.0):
    close(robust.comp_sum(ZJ, YJ, tau=tau), ((1 + u) ** (1 - tau) - 1) / (1 - tau), 1e-4)
  for d in (1e-3, -1e-3):       # continuity at tau = 1 (CE is the limit of the family)
    close(robust.comp_sum(ZJ, YJ, tau=1.0 + d), np_ce(Z, Y), 5e-3)
  q = 0.7
  close(robust.generalized_cross_entropy(ZJ, YJ, q=q), (1 - p_y ** q) / q)
  close(robust.generalized_cross_entropy(ZJ, YJ, q=1.0), 1 - p_y)
  with pytest.raises(ValueError, match="tau"):
    robust.comp_sum(ZJ, YJ, tau=-1.0)


def np_ldr(z, y, lam, margin):
  c = margin * (1 - np.eye(C)[y]) + z - z[np.arange(len(y)), y][:, None]
  m = c.max(-1, keepdims=True)
  return lam * (np.log(np.exp((c - m) / lam).mean(-1)) + m[:, 0] / lam), c


def test_ldr_kl_formula_and_special_cases():
  for lam, margin in ((1.0, 0.1), (0.3, 1.0), (5.0, 0.0)):
    close(robust.ldr_kl(ZJ, YJ, lam=lam, margin=margin), np_ldr(Z, Y, lam, margin)[0], 1e-4)
  lam = 0.5   # margin 0: temperature-scaled cross-entropy
  close(robust.ldr_kl(ZJ, YJ, lam=lam, margin=0.0), lam * np_ce(Z / lam, Y) - lam * np.log(C), 1e-4)
  # lam -> 0: the Crammer-Singer SVM loss max_k (delta + z_k - z_y).
  _, c = np_ldr(Z, Y, 1.0, 1.0)
  close(robust.ldr_kl(ZJ, YJ, lam=1e-3, margin=1.0), c.max(-1), 1e-2)


def test_aldr_kl_is_the_joint_maximum():
  lam0, alpha, margin, lam_min = 1.0, 2.0, 0.1, 0.05
  grid = np.linspace(lam_min, 3.0, 6000)
  vals = np.stack([np_ldr(Z, Y, l, margin)[0] - alpha / 2 * (l - lam0) ** 2 for l in grid])
  got = robust.aldr_kl(ZJ, YJ, lam0=lam0, alpha=alpha, margin=margin, lam_min=lam_min, iterations=50)
  close(got, vals.max(0), 1e-3)
  # Danskin: the gradient at the maximiser equals the finite-difference gradient of the max.
  with jax.enable_x64(True):
    check_grads(lambda z: robust.aldr_kl(z, YJ[:3], iterations=200), (jnp.asarray(Z[:3]),), order=1,
                modes=("rev",), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("fn,kw", [
    (robust.normalized_cross_entropy, {}), (robust.normalized_focal, {}), (robust.active_passive, {}),
    (robust.comp_sum, {"tau": 0.5}), (robust.ldr_kl, {}),
])
def test_check_grads(fn, kw):
  with jax.enable_x64(True):
    check_grads(lambda z: fn(z, YJ[:3], **kw), (jnp.asarray(Z[:3]),), order=1, modes=("rev",),
                atol=1e-5, rtol=1e-5)
