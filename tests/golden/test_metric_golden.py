"""lbrl.losses.metric and lbrl.evaluation.retrieval against pytorch-metric-learning's recorded values and
gradients (tests/golden/metric_pml.npz, regen_metric_pml.py; PML is not imported here). PML's default
reduction is the mean over non-zero terms for CircleLoss, TripletMarginLoss, ContrastiveLoss and SupConLoss:
lbrl's ``reduction="nonzero"`` matches it, and lbrl's default ``"mean"`` is checked to differ from it."""
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.evaluation import retrieval
from lbrl.losses import metric as M

G = np.load(os.path.join(os.path.dirname(__file__), "metric_pml.npz"))
E, Y, P = G["embeddings"], G["labels"], G["proxies"]

PAIR = {
    "multi_similarity_mined": lambda e, y: M.multi_similarity(e, y),
    "multi_similarity_all": lambda e, y: M.multi_similarity(e, y, miner="all"),
    "circle": lambda e, y: M.circle_loss(e, y, margin=0.4, gamma=80.0, reduction="nonzero"),
    "triplet_batch_hard": lambda e, y: M.triplet_loss(e, y, margin=0.2, reduction="nonzero"),
    "contrastive": lambda e, y: M.contrastive_loss(e, y, reduction="nonzero"),
    "supcon": lambda e, y: M.supervised_contrastive(e, y, temperature=0.1, reduction="nonzero"),
}
PROXY = {
    "normalized_softmax": lambda e, y: M.normalized_softmax(e, jnp.asarray(P), y, temperature=0.05),
    "arcface": lambda e, y: M.arcface(e, jnp.asarray(P), y, margin=float(np.radians(28.6)), scale=64.0),
    "cosface": lambda e, y: M.cosface(e, jnp.asarray(P), y, margin=0.35, scale=64.0),
}


@pytest.mark.parametrize("name", sorted({**PAIR, **PROXY}))
def test_matches_pml_value_and_gradient(name):
  fn = {**PAIR, **PROXY}[name]
  with jax.enable_x64(True):
    e = jnp.asarray(E, jnp.float64)
    loss, grad = jax.jit(jax.value_and_grad(lambda x: jnp.mean(fn(x, jnp.asarray(Y)))))(e)
  np.testing.assert_allclose(loss, G[f"{name}/loss"], rtol=1e-5, atol=1e-7)
  np.testing.assert_allclose(grad, G[f"{name}/grad"], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", ["circle", "triplet_batch_hard", "supcon"])
def test_default_mean_reduction_is_the_mean_over_anchors_not_pmls(name):
  """reduction="mean" averages over every valid anchor (zeros included): here it is below PML's value."""
  fn = {"circle": M.circle_loss, "triplet_batch_hard": M.triplet_loss, "supcon": M.supervised_contrastive}[name]
  kw = {"circle": dict(margin=0.4, gamma=80.0), "triplet_batch_hard": dict(margin=0.2), "supcon": {}}[name]
  v = np.asarray(jax.jit(lambda e, y: fn(e, y, **kw))(jnp.asarray(E), jnp.asarray(Y)))
  np.testing.assert_allclose(v.mean(), v.sum() / np.count_nonzero(v) * np.count_nonzero(v) / v.size)
  np.testing.assert_allclose(v.sum() / np.count_nonzero(v), G[f"{name}/loss"], rtol=1e-5)
  assert np.count_nonzero(v) < v.size and v.mean() < G[f"{name}/loss"]


def test_retrieval_matches_pml_accuracy_calculator():
  out = retrieval.retrieval_metrics(G["retrieval/embeddings"], G["retrieval/labels"], ks=(1,))
  np.testing.assert_allclose(out["map_at_r"], G["retrieval/mean_average_precision_at_r"], rtol=1e-6)
  np.testing.assert_allclose(out["r_precision"], G["retrieval/r_precision"], rtol=1e-6)
  np.testing.assert_allclose(out["recall_at_1"], G["retrieval/precision_at_1"], rtol=1e-6)
