"""lbrl.evaluation.retrieval against brute-force float64 NumPy (and, in tests/golden/test_metric_golden.py,
pytorch-metric-learning's AccuracyCalculator); chunking never changes a result; registered eval metrics."""
import numpy as np
import pytest

from lbrl import metrics as core_metrics
from lbrl.evaluation import retrieval


def clusters(seed=0, n=40, classes=4, noise=1.0):
  rng = np.random.default_rng(seed)
  y = np.repeat(np.arange(classes), n // classes)
  return (rng.normal(size=(classes, 8))[y] + noise * rng.normal(size=(n, 8))).astype(np.float32), y


def brute(e, y, k):
  e = e / np.linalg.norm(e, axis=1, keepdims=True)
  s = e.astype(np.float64) @ e.T.astype(np.float64)
  np.fill_diagonal(s, -np.inf)
  order = np.argsort(-s, 1, kind="stable")
  rel = y[order] == y[:, None]
  return {"recall_at_k": rel[:, :k].any(1).mean(), "knn": np.mean(
      [np.bincount(y[order[i, :5]]).argmax() == y[i] for i in range(len(y))])}


def test_recall_and_knn_equal_brute_force_and_chunking_does_not_matter():
  e, y = clusters()
  for k in (1, 4):
    want = brute(e, y, k)
    for chunk in (7, 1024):
      got = retrieval.retrieval_metrics(e, y, ks=(k,), chunk=chunk)
      np.testing.assert_allclose(got[f"recall_at_{k}"], want["recall_at_k"])
      np.testing.assert_allclose(got["knn_accuracy"], want["knn"])


def test_perfect_clusters_score_one_and_ncm_equals_brute_force():
  e, y = clusters(noise=0.01)
  out = retrieval.retrieval_metrics(e, y)
  assert out["map_at_r"] == 1.0 and out["r_precision"] == 1.0 and out["recall_at_1"] == 1.0
  assert retrieval.nmi(e, y) == pytest.approx(1.0)
  e, y = clusters(seed=3, noise=2.0)
  en = e / np.linalg.norm(e, axis=1, keepdims=True)
  correct = []
  for i in range(len(y)):
    means = []
    for c in range(4):
      m = en[(y == c) & (np.arange(len(y)) != i)].mean(0)
      means.append(m / np.linalg.norm(m))
    correct.append(np.argmax(np.array(means) @ en[i]) == y[i])
  np.testing.assert_allclose(retrieval.ncm_accuracy(e, y), np.mean(correct))


def test_registered_metrics_reduce_the_embeddings():
  e, y = clusters(seed=5)
  out = core_metrics.compute(["recall_at_1", "map_at_r", "ncm_accuracy"], e, y)
  direct = retrieval.retrieval_metrics(e, y, ks=(1,))
  assert out["recall_at_1"] == direct["recall_at_1"] and out["map_at_r"] == direct["map_at_r"]


def test_bad_input():
  e, y = clusters()
  with pytest.raises(ValueError, match="metric must be"):
    retrieval.retrieval_metrics(e, y, metric="manhattan")
  with pytest.raises(ValueError, match="embeddings must be"):
    retrieval.neighbours(e[:, 0], y, 1)
  with pytest.raises(ValueError, match="k must be"):
    retrieval.neighbours(e, y, len(y))


def test_retrieval_stage_scores_the_models_embeddings():
  """The post-training stage embeds the split with return_embeddings=True and reports every metric."""
  import types

  import jax
  from lbrl.models.metric import EmbeddingNet
  e, y = clusters(seed=7, noise=0.3)
  model = EmbeddingNet(num_classes=4, embed_dim=8, hidden=())
  params = model.init(jax.random.PRNGKey(0), e)["params"]
  state = types.SimpleNamespace(params=params, model_state={})
  task = types.SimpleNamespace(model=model)
  cfg = types.SimpleNamespace(data=types.SimpleNamespace(eval_batch_size=16))
  data = types.SimpleNamespace(arrays={"x": e, "label": y})
  stage = retrieval.retrieval_stage(on="split")
  out = stage.describe(stage.fit(task, state, data, None, cfg))
  z = np.asarray(model.apply({"params": params}, e, return_embeddings=True))
  assert out["recall_at_1"] == pytest.approx(retrieval.retrieval_metrics(z, y)["recall_at_1"])
  assert set(out) == {"recall_at_1", "recall_at_2", "recall_at_4", "recall_at_8", "map_at_r", "r_precision",
                      "knn_accuracy", "ncm_accuracy", "nmi", "mean_pair_distance"}


def test_mean_pair_distance_is_zero_at_collapse_and_matches_a_double_loop():
  rng = np.random.default_rng(3)
  e = rng.normal(size=(7, 3))
  brute = np.mean([np.linalg.norm(e[i] / np.linalg.norm(e[i]) - e[j] / np.linalg.norm(e[j]))
                   for i in range(7) for j in range(7) if i != j])
  np.testing.assert_allclose(retrieval.mean_pair_distance(e), brute, rtol=1e-10)
  assert retrieval.mean_pair_distance(np.tile([[0.3, -2.0, 1.0]], (5, 1)) * np.arange(1, 6)[:, None]) < 1e-6
  np.testing.assert_allclose(retrieval.mean_pair_distance(np.eye(4)), np.sqrt(2.0), rtol=1e-12)
  with pytest.raises(ValueError, match="embeddings"):
    retrieval.mean_pair_distance(np.ones((1, 3)))
  with pytest.raises(ValueError, match="nmi_restarts"):
    retrieval.retrieval_stage(nmi_restarts=0)


def test_utilization_equals_brute_force_nearest_reference_distance():
  q, _ = clusters(1, n=20)
  r, _ = clusters(2, n=32)
  qn = q / np.linalg.norm(q, axis=1, keepdims=True)
  rn = r / np.linalg.norm(r, axis=1, keepdims=True)
  want = np.mean(np.min(np.linalg.norm(qn[:, None].astype(np.float64) - rn[None], axis=-1), 1))
  for chunk in (3, 1024):
    np.testing.assert_allclose(retrieval.utilization(q, r, chunk=chunk), want, rtol=1e-5)
  assert retrieval.utilization(r, r) < 1e-3          # every query is its own nearest reference
  with pytest.raises(ValueError, match="reference"):
    retrieval.utilization(q, r[:0])


def test_few_shot_accuracy_equals_a_brute_force_episode_loop():
  e, y = clusters(3, n=80, noise=2.0)
  rng = np.random.default_rng(5)                    # the same draws as the function with seed=5
  hits = []
  for _ in range(20):
    chosen = rng.choice(np.unique(y), 3, replace=False)
    support, query = [], []
    for c in chosen:
      idx = rng.choice(np.flatnonzero(y == c), 2 + 4, replace=False)
      support.append(e[idx[:2]].astype(np.float64).mean(0))
      query.append(e[idx[2:]].astype(np.float64))
    for k, q in enumerate(query):
      for x in q:
        hits.append(np.argmin([np.sum((x - p) ** 2) for p in support]) == k)
  got = retrieval.few_shot_accuracy(e, y, way=3, shot=2, queries=4, episodes=20, seed=5)
  assert got == np.mean(hits) and 0.3 < got < 1.0
  with pytest.raises(ValueError, match="way"):
    retrieval.few_shot_accuracy(e, y, way=5, shot=2, queries=4)


def test_quality_metrics_equal_brute_force_recall_per_level_and_rank_correlation():
  from scipy.stats import rankdata
  e, y = clusters(seed=9, n=60, noise=0.8)
  q = np.arange(60) % 3
  e = e * (3.0 - q)[:, None]                         # the norm falls with the level: Spearman -1 by levels
  out = retrieval.quality_metrics(e, y, q)
  en = e / np.linalg.norm(e, axis=1, keepdims=True)
  s = en.astype(np.float64) @ en.T.astype(np.float64)
  np.fill_diagonal(s, -np.inf)
  hit = y[np.argmax(s, 1)] == y
  for v in range(3):
    assert out[f"recall_at_1_quality{v}"] == pytest.approx(hit[q == v].mean())
  n = np.linalg.norm(e.astype(np.float64), axis=1)
  want = np.corrcoef(rankdata(n), rankdata(q))[0, 1]
  assert out["norm_quality_spearman"] == pytest.approx(want) and want < -0.5
  with pytest.raises(ValueError, match="quality"):
    retrieval.quality_metrics(e, y, q[:5])
