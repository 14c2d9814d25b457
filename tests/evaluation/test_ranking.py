"""Ranking metrics against sklearn (ndcg_score, roc_auc_score) and NumPy; hubness by hand."""
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import ndcg_score, roc_auc_score

from lbrl.evaluation import ranking as M


def _lists(q=6, n=9, seed=0):
  rng = np.random.default_rng(seed)
  return rng.normal(size=(q, n)), rng.integers(0, 3, (q, n)).astype(float)


@pytest.mark.parametrize("k", [None, 3])
def test_ndcg_matches_sklearn(k):
  s, y = _lists()
  got = np.asarray(M.ndcg_at_k(s, y, k=k, gain="linear"))
  want = [ndcg_score(y[i:i + 1], s[i:i + 1], k=k) for i in range(len(s))]
  np.testing.assert_allclose(got, want, rtol=1e-5)
  # exponential gain = sklearn on transformed relevance
  got_exp = np.asarray(M.ndcg_at_k(s, y, k=k))
  want_exp = [ndcg_score(2 ** y[i:i + 1] - 1, s[i:i + 1], k=k) for i in range(len(s))]
  np.testing.assert_allclose(got_exp, want_exp, rtol=1e-5)


def test_auc_matches_roc_auc_score_with_ties_and_masks():
  s, y = _lists(seed=1)
  s = np.round(s, 1)                                 # ties
  b = (y > 0).astype(float)
  mask = np.ones_like(b, bool)
  mask[0, -3:] = False
  got = np.asarray(M.auc(s, b, where=mask))
  want = [roc_auc_score(b[i][mask[i]], s[i][mask[i]]) for i in range(len(s))]
  np.testing.assert_allclose(got, want, rtol=1e-6)
  assert np.isnan(float(M.auc(s[:1], np.zeros((1, 9)))[0]))


def test_mrr_and_recall():
  s = np.array([[0.1, 0.9, 0.5, 0.3], [0.8, 0.7, 0.6, 0.5]])
  y = np.array([[1, 0, 0, 1], [0, 0, 0, 1.0]])
  np.testing.assert_allclose(np.asarray(M.mrr(s, y)), [1 / 3, 1 / 4], rtol=1e-6)    # ranks: 0.9,0.5,0.3 / -,-,-,4
  np.testing.assert_allclose(np.asarray(M.recall_at_k(s, y, k=3)), [0.5, 0.0], rtol=1e-6)


def test_hubness():
  sim = np.array([[0.9, 0.8, 0.1, 0.0], [0.9, 0.1, 0.8, 0.0], [0.9, 0.0, 0.1, 0.8]])
  n = np.asarray(M.k_occurrence(sim, k=2))
  np.testing.assert_array_equal(n, [3, 1, 1, 1])
  np.testing.assert_allclose(float(M.hubness_skewness(sim, k=2)), stats.skew(n), rtol=1e-5)
  assert float(M.hub_occupancy(sim, k=2, hub_fraction=0.25)) == pytest.approx(0.5)
  bank = sim                                          # the hub column is divided by its large bank mass
  norm = np.asarray(M.querybank_normalize(sim, bank, beta=10.0))
  assert float(M.hub_occupancy(norm, k=1, hub_fraction=0.25)) < float(M.hub_occupancy(sim, k=1, hub_fraction=0.25))
  with pytest.raises(ValueError, match="k <= G"):
    M.k_occurrence(sim, k=5)
  with pytest.raises(ValueError, match="gain"):
    M.ndcg_at_k(sim, sim, gain="log")


# Float64 transcriptions of the authors' DBNorm helpers (yimuwangcs/Better_Cross_Modal_Retrieval,
# DBNorm/dbnorm.py: IS, qb_norm and its retrieved-set rule), with the test queries' similarities as the
# numerator of both terms (the released db_norm passes the gallery bank's there).
def _is(bank, test, beta):
  return np.exp(test * beta) / np.exp(bank * beta).sum(0)


def _dis(bank, test, beta, k):
  retrieved = np.unique(np.argsort(-bank, axis=1)[:, :k].reshape(-1))
  rows = np.isin(np.argsort(-test, axis=1)[:, 0], retrieved)
  out = np.exp(test * beta)                         # lbrl keeps exp(beta s) on the rows left alone
  out[rows] = _is(bank, test, beta)[rows]
  return out


def test_dual_bank_normalize_matches_transcription():
  rng = np.random.default_rng(0)
  sim, qb, gb = rng.uniform(-1, 1, (7, 5)), rng.uniform(-1, 1, (9, 5)), rng.uniform(-1, 1, (6, 5))
  want = _is(qb, sim, 0.5) * _is(gb, sim, 3.0)
  got = np.asarray(M.dual_bank_normalize(sim, qb, gb, beta_query=0.5, beta_gallery=3.0))
  np.testing.assert_allclose(got, np.log(want), rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(np.asarray(M.querybank_normalize(sim, qb, beta=20.0)), np.log(_is(qb, sim, 20.0)),
                             rtol=1e-5, atol=1e-4)
  for k in (1, 2):
    want = _dis(qb, sim, 2.0, k) * _dis(gb, sim, 3.0, k)
    got = np.asarray(M.dual_bank_normalize(sim, qb, gb, beta_query=2.0, beta_gallery=3.0, dynamic=True, k=k))
    np.testing.assert_allclose(got, np.log(want), rtol=1e-5, atol=1e-5)
  with pytest.raises(ValueError, match="share G"):
    M.dual_bank_normalize(sim, qb[:, :4], gb)
  with pytest.raises(ValueError, match="beta"):
    M.dual_bank_normalize(sim, qb, gb, beta_gallery=0.0)


def test_dual_bank_normalize_lowers_a_hub():
  """A gallery item close to every bank query and bank gallery item (a hub) loses its top-1 slots."""
  sim = np.array([[0.9, 0.85, 0.1], [0.9, 0.1, 0.85], [0.9, 0.0, 0.1]])
  bank = np.array([[0.9, 0.2, 0.2], [0.9, 0.3, 0.1], [0.8, 0.1, 0.3]])
  raw_top = np.argmax(sim, 1)
  new_top = np.argmax(np.asarray(M.dual_bank_normalize(sim, bank, bank, beta_query=10.0, beta_gallery=10.0)), 1)
  assert list(raw_top) == [0, 0, 0] and list(new_top[:2]) == [1, 2]


def test_global_and_list_auc_match_sklearn():
  s, y = _lists(q=5, n=8, seed=3)
  y = (y > 1).astype(float)
  y[0] = 0.0                                        # one class only: left out of list_auc, pooled in global
  where = np.ones_like(y, bool)
  where[1, :2] = False
  st = {k: np.asarray(v) for k, v in M.auc_stats(s, y, where).items()}
  assert M.reduce_global_auc(st) == pytest.approx(roc_auc_score(y[where] > 0, s[where]))
  per = [roc_auc_score(y[i][where[i]] > 0, s[i][where[i]]) for i in range(1, 5) if 0 < y[i][where[i]].sum() < where[i].sum()]
  assert M.reduce_list_auc(st) == pytest.approx(np.mean(per))


def test_multilabel_auc_tool_matches_sklearn_macro():
  import types
  rng = np.random.default_rng(4)
  y = (rng.uniform(size=(60, 3)) < [0.5, 0.2, 0.1]).astype(np.float32)
  x = rng.normal(size=(60, 3)) + 1.5 * y
  ctx = types.SimpleNamespace(params=None, x=x, labels=y, apply=lambda p, v, train=False: v)
  out = M.multilabel_auc(ctx)
  assert out["macro_auc"] == pytest.approx(roc_auc_score(y, x, average="macro"))
  rare = int(np.argmin(y.mean(0)))
  assert out["min_label_auc"] == pytest.approx(roc_auc_score(y[:, rare], x[:, rare]))
  with pytest.raises(ValueError, match="multi-hot"):
    M.macro_auc(x, y[:, 0])
