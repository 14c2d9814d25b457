"""All-item top-k evaluation of implicit feedback (SimpleX's Recall@20 / NDCG@20) against a float64 NumPy
transcription of the usual CF protocol and sklearn's ndcg_score."""
import types

import ml_collections
import numpy as np
import pytest
from sklearn.metrics import ndcg_score

from lbrl.data.builders import implicit_feedback
from lbrl.evaluation import ranking as M


def _reference(scores, known, targets, k):
  """Per user with a target: drop the known items, rank the rest by score; Recall@k = hits / |targets|,
  NDCG@k = sum_{hits at rank r} 1 / log2(r + 2) over the ideal sum_{r < min(|targets|, k)} 1 / log2(r + 2)."""
  recall, ndcg = [], []
  for u in range(scores.shape[0]):
    if not targets[u].any():
      continue
    cand = np.flatnonzero(~known[u])
    order = cand[np.argsort(-scores[u, cand].astype(np.float64), kind="stable")][:k]
    hits = targets[u, order]
    disc = 1.0 / np.log2(np.arange(k) + 2.0)
    recall.append(hits.sum() / targets[u].sum())
    ndcg.append((hits * disc[:len(hits)]).sum() / disc[:min(targets[u].sum(), k)].sum())
  return np.array(recall), np.array(ndcg)


@pytest.mark.parametrize("k", [1, 5, 20])
def test_topk_per_user_matches_transcription_and_sklearn(k):
  rng = np.random.default_rng(0)
  u, i = 12, 40
  scores = rng.normal(size=(u, i)).astype(np.float32)
  known = rng.uniform(size=(u, i)) < 0.3
  targets = (rng.uniform(size=(u, i)) < 0.15) & ~known
  targets[3] = False                                        # a user without held-out items is left out
  out = M.topk_per_user(scores, known, targets, k=k)
  ref_recall, ref_ndcg = _reference(scores, known, targets, k)
  np.testing.assert_array_equal(out["users"], np.flatnonzero(targets.any(1)))
  np.testing.assert_allclose(out["recall"], ref_recall, atol=1e-6)
  np.testing.assert_allclose(out["ndcg"], ref_ndcg, atol=1e-6)
  for row, uid in enumerate(out["users"]):
    keep = ~known[uid]
    sk = ndcg_score(targets[uid, keep][None].astype(float), scores[uid, keep][None], k=k)
    assert out["ndcg"][row] == pytest.approx(sk, abs=1e-6)


def test_topk_per_user_rejects_bad_shapes():
  with pytest.raises(ValueError, match=r"\[U, I\]"):
    M.topk_per_user(np.zeros((2, 3)), np.zeros((2, 3), bool), np.zeros((3, 2), bool))
  with pytest.raises(ValueError, match="item ids"):
    M.interaction_matrix(np.array([[0, 5]]), 2, 5)


def test_topk_recommendation_tool_masks_training_items():
  opts = dict(num_users=25, num_items=50, mean_interactions=10, min_interactions=4, num_negatives=3)
  cfg = ml_collections.ConfigDict(dict(data=dict(name="implicit_feedback", split_train="train", split_eval="test",
                                                  options=opts, data_dir="")))
  rows = implicit_feedback.generate(25, 50, mean_interactions=10, min_interactions=4)
  known = M.interaction_matrix(rows["train"], 25, 50)
  targets = M.interaction_matrix(rows["test"], 25, 50)
  table = np.random.default_rng(1).normal(size=(25, 50)).astype(np.float32)
  table_known = np.where(known, 100.0, table)               # training items score highest: must be masked out
  ctx = types.SimpleNamespace(cfg=cfg, params=table_known, apply=lambda p, ids, train=False: p[ids[:, 0]])
  out = M.topk_recommendation(ctx, k=5, batch_users=7)
  ref_recall, ref_ndcg = _reference(table, known, targets, 5)
  assert out["recall@5"] == pytest.approx(ref_recall.mean(), abs=1e-6)
  assert out["ndcg@5"] == pytest.approx(ref_ndcg.mean(), abs=1e-6)
  assert out["users"] == 25
  oracle = types.SimpleNamespace(cfg=cfg, params=targets.astype(np.float32), apply=ctx.apply)
  assert M.topk_recommendation(oracle, k=5)["ndcg@5"] == pytest.approx(1.0)
