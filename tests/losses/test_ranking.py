"""Ranking losses: NeuralNDCG against a float64 transcription of allRank's algorithm and against sklearn's
NDCG in the zero-temperature limit; SimpleX's CCL by hand; rax baselines per list."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import rax
from scipy import special
from sklearn.metrics import ndcg_score

from lbrl.losses import ranking as R


def _neural_ndcg64(s, y, mask, tau=1.0, k=None, powered=True, transposed=False, iters=50):
  """allRank's deterministic NeuralNDCG (neuralNDCG.py / loss_utils.py) in float64 NumPy, list by list."""
  out = []
  for sq, yq, mq in zip(s, y, mask):
    sv, yv = sq[mq], yq[mq]                       # padding removed: the real block only
    n = len(sv)
    a = np.abs(sv[:, None] - sv[None, :])
    scale = n + 1 - 2 * np.arange(1, n + 1)
    p = special.softmax((scale[:, None] * sv[None, :] - a.sum(1)[None, :]) / tau, -1)
    for _ in range(iters):
      p = p / p.sum(0, keepdims=True)
      p = p / p.sum(1, keepdims=True)
    g = 2.0 ** yv - 1 if powered else yv
    d = 1 / np.log2(np.arange(n) + 2)
    if k is not None:
      d[k:] = 0
    dcg = np.sum(g * (p.T @ d)) if transposed else np.sum(d * (p @ g))
    ideal = np.sum(np.sort(g)[::-1] * d)
    out.append(-dcg / ideal if ideal > 0 else 0.0)
  return np.array(out)


def _lists(q=5, n=7, seed=0):
  rng = np.random.default_rng(seed)
  s = rng.normal(size=(q, n))
  y = rng.integers(0, 4, (q, n)).astype(float)
  y[-1] = 0                                         # a list with no relevant item
  mask = np.ones((q, n), bool)
  mask[1, 5:] = False                               # padding
  return s, y, mask


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("k,powered,tau", [(None, True, 1.0), (3, False, 0.5)])
def test_neural_ndcg_matches_float64_transcription(transposed, k, powered, tau):
  s, y, mask = _lists()
  got = R.neural_ndcg(s, y, where=mask, temperature=tau, k=k, powered=powered, transposed=transposed)
  want = _neural_ndcg64(s, y, mask, tau=tau, k=k, powered=powered, transposed=transposed)
  np.testing.assert_allclose(np.asarray(got), want, atol=2e-5)


def test_neural_ndcg_zero_temperature_is_ndcg():
  s, y, _ = _lists(seed=1)
  got = -np.asarray(R.neural_ndcg(s, y, temperature=1e-3, powered=False, k=4))
  want = [ndcg_score(y[i:i + 1], s[i:i + 1], k=4) if y[i].any() else 0.0 for i in range(len(s))]
  np.testing.assert_allclose(got, want, atol=1e-4)


def test_neural_ndcg_gradients_finite_and_jit():
  s, y, mask = _lists(seed=2)
  f = jax.jit(lambda x: jnp.sum(R.neural_ndcg(x, y, where=mask, temperature=0.1)))
  g = jax.grad(f)(jnp.asarray(s, jnp.float32))
  assert bool(jnp.all(jnp.isfinite(g)))
  assert float(jnp.abs(g[1, 5:]).max()) == 0.0     # padded items get no gradient
  big = jnp.asarray(s * 1e3, jnp.float32)           # extreme scores stay finite
  assert bool(jnp.all(jnp.isfinite(R.neural_ndcg(big, y, where=mask))))
  assert bool(jnp.all(jnp.isfinite(jax.grad(lambda x: jnp.sum(R.neural_ndcg(x, y, where=mask)))(big))))


def test_simplex_ccl_by_hand():
  s = np.array([[0.9, 0.85, 0.1, 0.95], [0.5, -0.2, 0.3, 0.0]])
  y = np.array([[1, 0, 0, 0], [0, 0, 0, 0.0]])
  got = np.asarray(R.simplex_ccl(s, y, margin=0.8, negative_weight=2.0))
  want0 = (1 - 0.9) + 2.0 * ((0.05 + 0 + 0.15) / 3)
  want1 = 2.0 * 0.0                                  # no positive; no negative above the margin
  np.testing.assert_allclose(got, [want0, want1], rtol=1e-6)


def test_rax_baselines_per_list_and_bad_input():
  s, y, mask = _lists(seed=3)
  per = np.asarray(R.rax_softmax(s, y, where=mask))
  np.testing.assert_allclose(per.sum(), float(rax.softmax_loss(s, y, where=mask, reduce_fn=jnp.sum)), rtol=1e-5)
  assert R.rax_listmle(s, y, where=mask).shape == (5,) and R.rax_pairwise_logistic(s, y, where=mask).shape == (5,)
  with pytest.raises(ValueError, match="scores and relevance"):
    R.neural_ndcg(s, y[:, :3])
  with pytest.raises(ValueError, match="temperature"):
    R.neural_ndcg(s, y, temperature=0.0)
  with pytest.raises(ValueError, match="k must be"):
    R.neural_ndcg(s, y, k=0)


def _psl64(pos_score, neg_scores, tau, tau_star, sigma):
  """The authors' PSL1 (Tiny-Snow/IR-Benchmark optim_PSL.py cal_loss, method 1) in float64 NumPy, per pair."""
  d = (neg_scores - pos_score) / tau
  return special.logsumexp(sigma(d) / tau_star)


@pytest.mark.parametrize("activation", ["tanh", "relu", "atan"])
def test_psl_matches_the_authors_loss(activation):
  sig = {"tanh": lambda x: np.log(np.tanh(x) + 1), "relu": lambda x: np.log(np.maximum(x + 1, 0)),
         "atan": lambda x: np.log(np.arctan(x) + 1)}[activation]
  rng = np.random.default_rng(4)
  s = rng.uniform(-1, 1, (4, 8))                     # cosine similarities
  rel = np.zeros((4, 8))
  rel[0, 0] = rel[1, [1, 4]] = rel[2, 7] = 1          # list 3: no positive
  mask = np.ones((4, 8), bool)
  mask[2, :2] = False
  got = np.asarray(R.psl(s, rel, where=mask, tau=2.0, tau_star=0.5, activation=activation))
  want = []
  for q in range(4):
    pos = np.flatnonzero((rel[q] > 0) & mask[q])
    neg = np.flatnonzero((rel[q] <= 0) & mask[q])
    want.append(np.mean([_psl64(s[q, i], s[q, neg], 2.0, 0.5, sig) for i in pos]) if len(pos) else 0.0)
  np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
  g = jax.grad(lambda x: jnp.sum(R.psl(x * 50, rel, where=mask, activation=activation)))(jnp.asarray(s, jnp.float32))
  assert bool(jnp.all(jnp.isfinite(g)))              # outside the cosine range: finite (floored log)
  with pytest.raises(ValueError, match="activation"):
    R.psl(s, rel, activation="softplus")


def test_psl_exp_is_the_authors_softmax_loss_and_positive_first_is_the_list_form():
  """``activation="exp"``: IR-Benchmark's SoftmaxOptimizer, ``logsumexp((s_neg - s_pos) / t)`` (float64);
  ``positive_first``: the O(L) form equals the pairwise form on rows whose one positive comes first."""
  rng = np.random.default_rng(5)
  s = rng.uniform(-1, 1, (5, 9))
  rel = np.zeros((5, 9))
  rel[:4, 0] = 1                                      # list 4: no positive
  mask = np.ones((5, 9), bool)
  mask[1, 5:] = False
  got = np.asarray(R.psl(s, rel, where=mask, tau=1.0, tau_star=0.1, activation="exp"))
  want = [special.logsumexp((s[q, 1:][mask[q, 1:]] - s[q, 0]) / 0.1) if q < 4 else 0.0 for q in range(5)]
  np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
  for activation in ("tanh", "relu", "atan", "exp"):
    kw = dict(where=mask, tau=2.0, tau_star=0.05, activation=activation)
    np.testing.assert_allclose(R.psl(s, rel, positive_first=True, **kw), R.psl(s, rel, **kw), rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- MW loss and Macro-AUC surrogates


def _softplus(x):
  return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


def test_mw_auc_matches_float64_loops_and_bounds_one_minus_auc():
  from sklearn.metrics import roc_auc_score
  rng = np.random.default_rng(0)
  s = rng.normal(size=(4, 6))
  y = (rng.uniform(size=(4, 6)) < 0.3).astype(float)
  y[0] = 0.0                                         # a list without positives: negatives only
  y[1, 0] = 1.0
  where = np.ones((4, 6), bool)
  where[2, 5] = False
  pos = [(q, i) for q in range(4) for i in range(6) if y[q, i] > 0 and where[q, i]]
  neg = [(q, i) for q in range(4) for i in range(6) if y[q, i] <= 0 and where[q, i]]
  want = np.mean([_softplus(2.0 * (s[n] - s[p])) for p in pos for n in neg])
  got = np.asarray(R.mw_auc(s, y, where=where, scale=2.0))
  assert got.shape == (4,) and got[0] == 0.0
  np.testing.assert_allclose(got.mean(), want, rtol=1e-5)
  flat = where.reshape(-1)
  auc = roc_auc_score(y.reshape(-1)[flat], s.reshape(-1)[flat])
  assert 1 - auc <= float(np.asarray(R.mw_auc(s, y, where=where)).mean()) / np.log(2)
  per_list = np.asarray(R.mw_auc(s, y, where=where, scope="list"))
  for q in range(4):
    pairs = [_softplus(s[q, j] - s[q, i]) for i in range(6) for j in range(6)
             if y[q, i] > 0 and y[q, j] <= 0 and where[q, i] and where[q, j]]
    np.testing.assert_allclose(per_list[q], np.mean(pairs) if pairs else 0.0, rtol=1e-5, atol=1e-7)
  with pytest.raises(ValueError, match="scope"):
    R.mw_auc(s, y, scope="query")


@pytest.mark.parametrize("kind", ["univariate", "reweighted", "pairwise"])
@pytest.mark.parametrize("base", ["logistic", "squared_hinge"])
def test_macro_auc_losses_match_float64_loops(kind, base):
  rng = np.random.default_rng(1)
  f = rng.normal(size=(7, 3))
  y = (rng.uniform(size=(7, 3)) < 0.35).astype(np.float32)
  y[:, 2] = 0.0
  y[0, 2] = 1.0                                      # label 2: one positive (strong imbalance)
  ell = (lambda t: _softplus(-t)) if base == "logistic" else (lambda t: np.maximum(0, 1 - t) ** 2)
  per_label = []
  for k in range(3):
    p, n = f[y[:, k] > 0, k], f[y[:, k] <= 0, k]
    if kind == "univariate":
      per_label.append((ell(p).sum() + ell(-n).sum()) / 7)
    elif kind == "reweighted":
      per_label.append(ell(p).mean() + ell(-n).mean())
    else:
      per_label.append(np.mean([ell(a - b) for a in p for b in n]))
  got = np.asarray(R.macro_auc_loss(jnp.asarray(f, jnp.float32), jnp.asarray(y), kind=kind, base=base))
  assert got.shape == (7,)
  np.testing.assert_allclose(got.mean(), np.mean(per_label), rtol=1e-5)


def test_macro_auc_pairwise_bounds_sklearn_macro_auc():
  from sklearn.metrics import roc_auc_score
  rng = np.random.default_rng(2)
  f = rng.normal(size=(40, 4))
  y = (rng.uniform(size=(40, 4)) < [0.5, 0.3, 0.1, 0.05]).astype(np.float32)
  y[0] = 1.0
  macro = roc_auc_score(y, f, average="macro")
  assert 1 - macro <= float(np.asarray(R.macro_auc_loss(f.astype(np.float32), y)).mean()) / np.log(2)
  with pytest.raises(ValueError, match="kind"):
    R.macro_auc_loss(f, y, kind="listwise")
  with pytest.raises(ValueError, match=r"\[B, K\]"):
    R.macro_auc_loss(f, y[:, :2])
