"""LM, binary and tagging losses against NumPy float64 formulas written from the papers."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

from lbrl.losses import binary, lm, tagging
from lbrl.losses._common import reduce
from tests.losses.test_classification import close, np_ce, np_log_softmax

RNG = np.random.default_rng(5)


def test_logit_zloss_and_ce_zloss():
  z = RNG.normal(size=(6, 9)) * 3
  y = RNG.integers(0, 9, size=6)
  lse = np.log(np.exp(z).sum(-1))
  close(lm.logit_zloss(jnp.asarray(z), weight=1e-2), 1e-2 * lse ** 2, 1e-4)
  close(lm.logit_zloss(jnp.asarray(z), jnp.asarray(y), weight=1e-2), 1e-2 * lse ** 2, 1e-4)
  close(lm.cross_entropy_zloss(jnp.asarray(z), jnp.asarray(y), z_loss=1e-3), np_ce(z, y) + 1e-3 * lse ** 2, 1e-4)
  # The penalty is zero exactly when the normaliser is 1 (log-softmax outputs).
  close(lm.logit_zloss(jnp.asarray(np_log_softmax(z))), np.zeros(6))


def test_number_token_loss():
  vocab, ids = 12, np.array([3, 4, 5, 6, 7])     # tokens 3..7 are the digits 0..4
  z = RNG.normal(size=(8, vocab)) * 2
  y = np.array([3, 5, 7, 0, 11, 4, 6, 2])          # positions 3, 4, 7 are not numbers
  q = np.exp(z[:, ids] - np.log(np.exp(z[:, ids]).sum(-1, keepdims=True)))
  v = np.arange(5.0)
  is_num = np.isin(y, ids)
  v_y = np.where(is_num, np.searchsorted(ids, y), 0).astype(float)
  mse = np.where(is_num, (q @ v - v_y) ** 2, 0)
  # W1 to a point mass on the line is E_q |v - v_y| (an identity independent of the CDF formula).
  was = np.where(is_num, (q * np.abs(v[None] - v_y[:, None])).sum(-1), 0)
  kw = dict(number_token_ids=ids.tolist())
  close(lm.number_token_loss(jnp.asarray(z), jnp.asarray(y), variant="mse", include_ce=False, weight=1.0, **kw),
        mse, 1e-4)
  close(lm.number_token_loss(jnp.asarray(z), jnp.asarray(y), variant="wasserstein", include_ce=False,
                             weight=1.0, **kw), was, 1e-4)
  close(lm.number_token_loss(jnp.asarray(z), jnp.asarray(y), weight=0.3, **kw), np_ce(z, y) + 0.3 * was, 1e-4)
  # Unordered ids with explicit values give the same loss.
  perm = np.array([4, 0, 3, 1, 2])
  close(lm.number_token_loss(jnp.asarray(z), jnp.asarray(y), number_token_ids=ids[perm].tolist(),
                             number_values=v[perm].tolist(), include_ce=False, weight=1.0), was, 1e-4)
  close(lm.number_token_prediction(jnp.asarray(z), **kw), q @ v, 1e-5)
  with pytest.raises(ValueError, match="number_token_ids"):
    lm.number_token_loss(jnp.asarray(z), jnp.asarray(y), number_token_ids=[3, 3])
  with pytest.raises(ValueError, match="number_values"):
    lm.number_token_loss(jnp.asarray(z), jnp.asarray(y), number_token_ids=[3, 4], number_values=[1.0])


def test_binary_shapes_logistic_hinge():
  f = RNG.normal(size=6) * 2
  y = RNG.integers(0, 2, size=6)
  m = (2 * y - 1) * f
  close(binary.binary_logistic(jnp.asarray(f), jnp.asarray(y)), np.logaddexp(0, -m))
  close(binary.binary_hinge(jnp.asarray(f), jnp.asarray(y)), np.maximum(0, 1 - m))
  two = np.stack([np.zeros(6), f], -1)
  close(binary.binary_logistic(jnp.asarray(two), jnp.asarray(y)), np.logaddexp(0, -m))
  close(binary.binary_logistic(jnp.asarray(f[:, None]), jnp.asarray(y)), np.logaddexp(0, -m))


def test_calibrated_derivatives_satisfy_cc_conditions():
  m = jnp.asarray(RNG.normal(size=50) * 3)
  keep = jnp.ones(50, bool).at[7].set(False)
  g = np.asarray(binary.calibrated_derivatives(m, keep, jax.random.PRNGKey(0)))
  order = np.argsort(np.asarray(m)[np.asarray(keep)])
  kept = g[np.asarray(keep)][order]
  assert np.all(g < 0)                                   # phi' < 0 (calibrated at 0, decreasing loss)
  assert np.all(np.diff(kept) >= 0)                      # non-decreasing in the margin (convex)
  below = kept[np.asarray(m)[np.asarray(keep)][order] < 0]
  above = kept[np.asarray(m)[np.asarray(keep)][order] > 0]
  assert np.all(below <= -1.0) and np.all(above >= -1.0)  # anchored: phi'(0) = -1


def test_ensloss_gradient_is_the_random_derivative():
  f = jnp.asarray(RNG.normal(size=16))
  y = jnp.asarray(RNG.integers(0, 2, size=16))
  vals = binary.ensloss(f, y, rng=jax.random.PRNGKey(3))
  close(vals, np.logaddexp(0, -(2 * np.asarray(y) - 1) * np.asarray(f)))
  grad = jax.grad(lambda s: binary.ensloss(s, y, rng=jax.random.PRNGKey(3)).sum())(f)
  m = (2 * y - 1) * f
  key = jax.random.PRNGKey(3)
  derivs = binary.calibrated_derivatives(m, jnp.ones(16, bool), key)
  close(grad, (2 * np.asarray(y) - 1) * np.asarray(derivs))
  other = jax.grad(lambda s: binary.ensloss(s, y, rng=jax.random.PRNGKey(4)).sum())(f)
  assert not np.allclose(grad, other)                   # a new loss each step
  again = jax.grad(lambda s: binary.ensloss(s, y, rng=jax.random.PRNGKey(3)).sum())(f)
  close(again, grad)                                     # reproducible


def np_anyloss(f, y, metric, L=73.0, beta=1.0):
  a = 1 / (1 + np.exp(-L * (1 / (1 + np.exp(-f)) - 0.5)))
  tp, fn = (y * a).sum(), (y * (1 - a)).sum()
  fp, tn = ((1 - y) * a).sum(), ((1 - y) * (1 - a)).sum()
  tpr, tnr = tp / (tp + fn), tn / (tn + fp)
  return 1 - {"accuracy": (tp + tn) / len(y), "f1": 2 * tp / (2 * tp + fn + fp),
              "fbeta": (1 + beta ** 2) * tp / ((1 + beta ** 2) * tp + beta ** 2 * fn + fp),
              "geometric_mean": np.sqrt(tpr * tnr), "balanced_accuracy": (tpr + tnr) / 2}[metric]


@pytest.mark.parametrize("metric", ["accuracy", "f1", "fbeta", "geometric_mean", "balanced_accuracy"])
def test_anyloss(metric):
  f = RNG.normal(size=20) * 0.5
  y = (RNG.random(20) < 0.3).astype(int)
  vals = binary.anyloss(jnp.asarray(f), jnp.asarray(y), metric=metric, beta=2.0)
  close(reduce(vals), np_anyloss(f, y, metric, beta=2.0), 1e-4)
  # Confident predictions: the soft metric equals the hard one.
  hard = np.where(y == 1, 8.0, -8.0)
  hard[:3] *= -1
  pred = (hard > 0).astype(int)
  tp, fp, fn = ((pred == 1) & (y == 1)).sum(), ((pred == 1) & (y == 0)).sum(), ((pred == 0) & (y == 1)).sum()
  if metric == "f1":
    close(reduce(binary.anyloss(jnp.asarray(hard), jnp.asarray(y), metric="f1")), 1 - 2 * tp / (2 * tp + fp + fn), 1e-3)
  with jax.enable_x64(True):
    check_grads(lambda s: reduce(binary.anyloss(s, jnp.asarray(y), metric=metric, amplifier=5.0)),
                (jnp.asarray(f),), order=1, modes=("rev",), atol=1e-5, rtol=1e-5)


def np_dice(z, y, alpha, gamma, mode, fp_w=None, fn_w=None, square=False, background=None):
  p = np.exp(np_log_softmax(z))
  rest = np.stack([np.delete(p, k, -1).sum(-1) for k in range(z.shape[-1])], -1)  # 1 - p, no cancellation
  q = rest ** alpha * p
  t = np.eye(z.shape[-1])[y]
  s = (lambda a: a.sum(0)) if mode == "batch" else (lambda a: a)
  inter, fp, fn = s(q * t), s(q * (1 - t)), s((1 - q) * t)
  if fp_w is None:
    den = s(q * q) + s(t * t) if square else s(q) + s(t)
    idx = (2 * inter + gamma) / (den + gamma)
  else:
    idx = (inter + gamma) / (inter + fp_w * fp + fn_w * fn + gamma)
  scored = np.arange(z.shape[-1]) != (-1 if background is None else background)
  return (1 - idx)[..., scored].mean(-1)


@pytest.mark.parametrize("mode", ["batch", "token"])
def test_dice_and_tversky(mode):
  z = RNG.normal(size=(10, 4)) * 2
  y = np.array([0, 0, 0, 0, 0, 0, 1, 2, 0, 3])     # imbalanced tags
  for alpha, gamma in ((1.0, 1.0), (0.0, 1e-3)):
    got = tagging.dice_nlp(jnp.asarray(z), jnp.asarray(y), alpha=alpha, gamma=gamma, mode=mode)
    expected = np_dice(z, y, alpha, gamma, mode)
    close(reduce(got) if mode == "batch" else got, expected, 1e-4)
  tv = tagging.tversky_nlp(jnp.asarray(z), jnp.asarray(y), fp_weight=0.3, fn_weight=0.7, mode=mode)
  close(reduce(tv) if mode == "batch" else tv, np_dice(z, y, 1.0, 1.0, mode, 0.3, 0.7), 1e-4)
  # Tversky with a = b = 1/2 and smoothing g is dice with smoothing 2 g.
  close(tagging.tversky_nlp(jnp.asarray(z), jnp.asarray(y), mode=mode, gamma=0.5),
        tagging.dice_nlp(jnp.asarray(z), jnp.asarray(y), mode=mode, gamma=1.0), 1e-5)


@pytest.mark.parametrize("mode", ["batch", "token"])
def test_dice_square_denominator_and_background(mode):
  z = RNG.normal(size=(12, 3)) * 2
  y = np.array([0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 1, 0])   # 0 is the background ("O") tag
  for alpha in (0.0, 0.01, 1.0):
    got = tagging.dice_nlp(jnp.asarray(z), jnp.asarray(y), alpha=alpha, mode=mode, square_denominator=True,
                           background=0)
    close(reduce(got) if mode == "batch" else got, np_dice(z, y, alpha, 1.0, mode, square=True, background=0),
          1e-4)
  tv = tagging.tversky_nlp(jnp.asarray(z), jnp.asarray(y), fp_weight=0.6, fn_weight=0.4, alpha=0.0, mode=mode,
                           background=0)
  close(reduce(tv) if mode == "batch" else tv, np_dice(z, y, 0.0, 1.0, mode, 0.6, 0.4, background=0), 1e-4)
  with pytest.raises(ValueError, match="background"):
    tagging.dice_nlp(jnp.asarray(z), jnp.asarray(y), background=3)


def test_binary_dice_is_the_authors_sigmoid_dice():
  # ShannonAI/dice_loss_for_NLP loss/dice_loss.py, DiceLoss._binary_class with square_denominator=True:
  # p = sigmoid(logit); q = (1 - p)^alpha p; 1 - (2 sum q y + s) / (sum q^2 + sum y^2 + s) over the flat batch.
  f = RNG.normal(size=40) * 2
  y = (RNG.random(40) < 0.15).astype(int)
  p = 1 / (1 + np.exp(-f))
  for alpha in (0.0, 0.01):
    q = (1 - p) ** alpha * p
    want = 1 - (2 * (q * y).sum() + 1.0) / ((q * q).sum() + (y * y).sum() + 1.0)
    two = np.stack([np.zeros(40), f], -1)          # softmax over [0, f] is sigmoid(f) for class 1
    got = tagging.dice_nlp(jnp.asarray(two), jnp.asarray(y), alpha=alpha, gamma=1.0, square_denominator=True,
                           background=0)
    close(got, np.full(40, want), 1e-5)


def test_self_adjusting_factor_is_finite_when_p_rounds_to_one():
  # With 0 < alpha < 1, d/dp (1 - p)^alpha is infinite at p = 1: the naive form gave NaN gradients as soon as
  # a float32 softmax probability rounded to 1 (margin above ~17). The value is (1 - p)^alpha p exactly.
  z = np.array([[0.0, 30.0], [0.0, -2.0], [1.0, 0.0], [0.0, 3.0], [-40.0, 40.0]])
  y = np.array([1, 0, 0, 1, 0])
  for alpha in (0.01, 0.5, 1.0):
    loss = lambda x: reduce(tagging.dice_nlp(x, jnp.asarray(y), alpha=alpha, square_denominator=True))
    g = np.asarray(jax.grad(loss)(jnp.asarray(z, jnp.float32)))
    assert np.all(np.isfinite(g)), (alpha, g)
    with jax.enable_x64(True):
      close(loss(jnp.asarray(z)), np_dice(z, y, alpha, 1.0, "batch", square=True).item(), 1e-9)
  # (1 - p)^0.01 keeps its float64 value where 1 - p underflows in float32 (p_1 = 1 - e^-80: factor e^-0.8).
  q = tagging._adjusted(jnp.asarray([[0.0, 80.0]], jnp.float32), 0.01)
  close(q, [[np.exp(-80.0) ** 0.01 * np.exp(-80.0), np.exp(-0.8)]], 1e-6)
