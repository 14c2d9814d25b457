"""Eval metrics on other inputs than flattened logits (MetricSpec.inputs): ranking metrics per query
list on grouped scores, and metrics of the model's embeddings; checked against NumPy/sklearn on the
trained model's own outputs."""
import jax
import numpy as np
import pytest
from sklearn.metrics import ndcg_score

from lbrl import config as common
from lbrl.registry import METRICS, MetricSpec
from lbrl.train import train


def _ranking_config():
  c, _ = common.base("variant=cpu")
  c.data.update(name="ranking_lists", batch_size=32, eval_batch_size=48)
  c.data.options = common.free(num_train=96, num_test=60, list_size=10, num_features=8)
  c.model = common.free(name="list_scorer", hidden=(16,))
  c.loss = common.free(name="rax_softmax")
  c.optimizer = common.free(name="adam", learning_rate=1e-2)
  c.eval_metrics = ["loss", "ndcg@10", "ndcg", "mrr"]
  c.steps, c.log_every = 3, 3
  return common.finalize(c)


def test_ranking_metrics_are_per_query_list_and_match_sklearn(tmp_path):
  cfg = _ranking_config()
  out = train(cfg, str(tmp_path / "wd"), progress=False)
  assert out["eval/num_examples"] == 600                                  # items counted for the loss
  from lbrl.data import core
  test = core.load("ranking_lists", "test", **dict(cfg.data.options))
  state, task = out["state"], out["task"]
  scores = np.asarray(task.model.apply({"params": state.params, **state.model_state}, test.arrays["x"]), np.float64)
  rel = test.arrays["label"].astype(np.float64)
  has_rel = rel.max(-1) > 0
  # exponential gain 2^rel - 1; sklearn gives 0 to lists without a relevant item, as rax does
  want10 = np.mean([ndcg_score(2 ** rel[i:i + 1] - 1, scores[i:i + 1], k=10) if has_rel[i] else 0.0
                    for i in range(len(rel))])
  assert out["eval/ndcg@10"] == pytest.approx(want10, abs=1e-5)
  first = np.array([(np.flatnonzero(r[np.argsort(-s, kind="stable")] > 0)[:1] + 1).tolist() or [np.inf]
                    for s, r in zip(scores, rel)], dtype=np.float64)[:, 0]
  assert out["eval/mrr"] == pytest.approx(np.mean(1.0 / first), abs=1e-5)
  want = np.mean([ndcg_score(2 ** rel[i:i + 1] - 1, scores[i:i + 1]) if has_rel[i] else 0.0 for i in range(len(rel))])
  assert out["eval/ndcg"] == pytest.approx(want, abs=1e-5)


def test_grouped_metric_with_a_flat_loss_is_an_error(tmp_path):
  c, _ = common.base("variant=cpu")
  c.data.update(name="mnist1d", batch_size=32, eval_batch_size=96)
  c.eval_metrics = ["ndcg@10"]
  c.steps = 1
  with pytest.raises(ValueError, match="'ndcg@10' is a metric of grouped scores"):
    train(common.finalize(c), str(tmp_path / "wd"), progress=False)


def _embedding_norm(emb, labels, loss):
  return jax.numpy.linalg.norm(emb, axis=-1)


def test_embedding_metrics_see_the_models_embeddings(tmp_path):
  if "test_embedding_norm" not in METRICS:
    METRICS.declare("test_embedding_norm", "tests.train.test_eval_inputs:_embedding_norm", inputs="embeddings")
  c, _ = common.base("variant=cpu")
  c.data.update(name="mnist1d", batch_size=32, eval_batch_size=200)
  c.model = common.free(name="embedding_net", hidden=(16,), embed_dim=8)
  c.eval_metrics = ["accuracy", "test_embedding_norm"]
  c.steps = 2
  out = train(common.finalize(c), str(tmp_path / "wd"), progress=False)
  from lbrl.data import core
  test = core.load("mnist1d", "test")
  state, task = out["state"], out["task"]
  emb = np.asarray(task.model.apply({"params": state.params, **state.model_state}, test.arrays["x"],
                                    return_embeddings=True), np.float64)
  assert out["eval/test_embedding_norm"] == pytest.approx(np.linalg.norm(emb, axis=-1).mean(), rel=1e-5)
  with pytest.raises(ValueError, match="MetricSpec.inputs"):
    MetricSpec(inputs="pixels")


def test_regression_metrics_see_predictions_and_float_targets(tmp_path):
  c, _ = common.base("variant=cpu")
  c.data.update(name="synthetic_landmarks", batch_size=48, eval_batch_size=120)
  c.data.options = common.free(n_train=100, n_test=240)
  c.model = common.free(name="mlp", hidden=(8,))
  c.loss = common.free(name="landmark_l2")
  c.eval_metrics = ["loss", "mse", "mae"]
  c.steps = 2
  out = train(common.finalize(c), str(tmp_path / "wd"), progress=False)
  from lbrl.data import core
  test = core.load("synthetic_landmarks", "test", n_train=100, n_test=240)
  state, task = out["state"], out["task"]
  pred = np.asarray(task.model.apply({"params": state.params, **state.model_state}, test.arrays["x"]), np.float64)
  y = test.arrays["label"].astype(np.float64)
  assert out["eval/num_examples"] == len(y) == 240
  assert out["eval/mse"] == pytest.approx(np.mean((pred - y) ** 2), rel=1e-5)
  assert out["eval/mae"] == pytest.approx(np.mean(np.abs(pred - y)), rel=1e-5)


def test_regression_metric_on_class_ids_is_an_error(tmp_path):
  c, _ = common.base("variant=cpu")
  c.data.update(name="mnist1d", batch_size=32, eval_batch_size=96)
  c.eval_metrics = ["mse"]
  c.steps = 1
  with pytest.raises(ValueError, match=r"\['mse'\] compare predictions with float targets"):
    train(common.finalize(c), str(tmp_path / "wd"), progress=False)
