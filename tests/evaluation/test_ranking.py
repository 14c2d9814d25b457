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
