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


def test_ldr_kl_is_the_worst_case_over_label_distributions():
  # The definition: max over the simplex of sum_k p_k c_k - lam KL(p, 1/C). No p does better than the
  # closed form, and p* = softmax(c / lam) attains it.
  lam, margin = 0.7, 0.3
  value, c = np_ldr(Z, Y, lam, margin)

  def objective(p):
    return (p * c).sum(-1) - lam * (p * np.log(np.maximum(p, 1e-300) * C)).sum(-1)

  rng = np.random.default_rng(1)
  for _ in range(200):
    p = rng.dirichlet(np.full(C, 0.3), size=len(Y))
    assert np.all(objective(p) <= value + 1e-12)
  p_star = np.exp(c / lam - (c / lam).max(-1, keepdims=True))
  p_star /= p_star.sum(-1, keepdims=True)
  np.testing.assert_allclose(objective(p_star), value, rtol=1e-12, atol=1e-12)
  close(robust.ldr_kl(ZJ, YJ, lam=lam, margin=margin), value, 1e-4)


def np_aldr_objective(z, y, lam, lam0, alpha, margin):
  """The ALDR-KL objective at temperature ``lam`` (maximised over p): LDR-KL minus the lam penalty."""
  beta = alpha * np.log(C) / lam0
  return np_ldr(z, y, lam, margin)[0] - beta / 2 * (lam - lam0) ** 2


@pytest.mark.parametrize("lam0,alpha,margin", [(1.0, 2.0, 0.1), (0.3, 3.0, 0.5), (5.0, 2.0, 0.1)])
def test_aldr_kl_is_the_joint_maximum(lam0, alpha, margin):
  # Max over lam of the objective, by a fine grid on [lam0 (1 - 1/alpha), lam0] (the maximiser lies
  # there: the objective increases below it and decreases above lam0).
  grid = np.linspace(lam0 * (1 - 1 / alpha), lam0, 4001)
  vals = np.stack([np_aldr_objective(Z, Y, l, lam0, alpha, margin) for l in grid])
  got = robust.aldr_kl(ZJ, YJ, lam0=lam0, alpha=alpha, margin=margin)
  close(got, vals.max(0), 1e-4 * max(1.0, lam0))
  wider = np.linspace(1e-3, 3 * lam0, 3001)
  outside = np.stack([np_aldr_objective(Z, Y, l, lam0, alpha, margin) for l in wider]).max(0)
  assert np.all(outside <= vals.max(0) + 1e-6)   # up to the two grids' resolution


def test_aldr_kl_temperature_range():
  # Uniform worst case (all scores equal): KL = 0, lambda_i = lam0, the loss is LDR-KL at lam0.
  zeros = jnp.zeros((3, C))
  close(robust.aldr_kl(zeros, YJ[:3], lam0=2.0, margin=0.0), np.zeros(3), 1e-6)
  # One wrong class far ahead: p* is one-hot, KL = log C, lambda_i = lam0 (1 - 1/alpha).
  lam0, alpha, margin = 1.0, 2.0, 0.1
  z = np.zeros((2, C))
  y = np.array([0, 1])
  z[0, 3] = z[1, 0] = 60.0
  lam = lam0 * (1 - 1 / alpha)
  want = np_aldr_objective(z, y, lam, lam0, alpha, margin)
  close(robust.aldr_kl(jnp.asarray(z), jnp.asarray(y), lam0=lam0, alpha=alpha, margin=margin), want, 1e-4)
  for bad in ({"alpha": 1.0}, {"lam0": 0.0}, {"iterations": 0}):
    with pytest.raises(ValueError):
      robust.aldr_kl(ZJ, YJ, **bad)


def test_ldr_output_norms_are_the_authors_rescalings():
  """output_norm rescales z as the authors' loss.py does before the loss; l1_mean makes the loss
  invariant to the logit scale (the point of normalising: lambda then means something)."""
  softplus = np.log1p(np.exp(Z))
  sp = softplus / softplus.mean(-1, keepdims=True)
  l1 = Z / np.abs(Z).mean(-1, keepdims=True)
  close(robust.ldr_kl(ZJ, YJ, lam=2.0, output_norm="softplus_mean"), np_ldr(sp, Y, 2.0, 0.1)[0], 1e-4)
  close(robust.ldr_kl(ZJ, YJ, lam=2.0, output_norm="l1_mean"), np_ldr(l1, Y, 2.0, 0.1)[0], 1e-4)
  close(robust.aldr_kl(ZJ, YJ, lam0=2.0, output_norm="l1_mean"), np.asarray(robust.aldr_kl(jnp.asarray(l1), YJ, lam0=2.0)), 1e-5)
  for fn in (robust.ldr_kl, robust.aldr_kl):
    base = fn(ZJ, YJ, output_norm="l1_mean")
    close(fn(ZJ * 37.0, YJ, output_norm="l1_mean"), np.asarray(base), 1e-4)
    assert not np.allclose(fn(ZJ * 37.0, YJ), fn(ZJ, YJ), rtol=1e-2)  # without it the scale matters
    for z in (jnp.zeros((3, C)), jnp.full((3, C), 1e4), jnp.full((3, C), -1e4)):   # finite at the edges
      v, g = jax.value_and_grad(lambda z: fn(z, YJ[:3], output_norm="softplus_mean").sum())(z)
      assert np.isfinite(float(v)) and np.all(np.isfinite(np.asarray(g)))
  with pytest.raises(ValueError, match="output_norm"):
    robust.ldr_kl(ZJ, YJ, output_norm="l2")


def test_aldr_kl_gradient_is_the_partial_gradient():
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
