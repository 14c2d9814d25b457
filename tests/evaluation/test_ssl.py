"""lbrl.evaluation.ssl against scikit-learn (linear probe, kNN), the collapse statistics' stated limits,
and the SSL network + EMA target wiring used by the BYOL configs (lbrl.models.ssl, lbrl.train.auxiliary)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from lbrl.evaluation import ssl
from lbrl.models.ssl import SSLNet
from lbrl.train.auxiliary import EmaTarget


def _blobs(n=300, d=5, c=3, seed=0):
  r = np.random.default_rng(seed)
  y = r.integers(0, c, n)
  x = r.standard_normal((n, d)) + 1.2 * r.standard_normal((c, d))[y]
  return x.astype(np.float32), y


def test_linear_probe_matches_sklearn_logistic_regression():
  x, y = _blobs()
  xt, yt = _blobs(seed=1)
  xt = xt[:150]
  yt = yt[:150]
  mu, sd = x.mean(0), x.std(0) + 1e-6
  l2 = 1e-2
  sk = LogisticRegression(C=1.0 / (l2 * len(x)), max_iter=2000).fit((x - mu) / sd, y)
  want = np.mean(sk.predict((xt - mu) / sd) == yt)
  got = float(ssl.linear_probe(x, y, xt, yt, num_classes=3, l2=l2))
  assert abs(got - want) <= 1.0 / len(yt) + 1e-6   # the same convex optimum: at most one tie flips


def test_knn_matches_sklearn_majority_vote():
  x, y = _blobs()
  xt, yt = _blobs(seed=2)
  n = lambda a: a / np.linalg.norm(a, axis=1, keepdims=True)
  sk = KNeighborsClassifier(n_neighbors=7, metric="cosine").fit(x, y)
  want = np.mean(sk.predict(xt) == yt)
  got = float(ssl.knn_accuracy(n(x), y, n(xt), yt, num_classes=3, k=7, weighted=False))
  assert abs(got - want) <= 2.0 / len(yt)       # distance ties may order differently


def test_cluster_accuracy_is_invariant_to_cluster_names():
  r = np.random.default_rng(0)
  centres = 5 * np.eye(4)
  y = r.integers(0, 4, 200)
  x = centres[y] + 0.1 * r.standard_normal((200, 4))
  assert ssl.cluster_accuracy(x, y, num_classes=4) == 1.0
  y_bad = y.copy()
  y_bad[:20] = (y[:20] + 1) % 4                    # 20 wrong labels: 90% at best
  assert ssl.cluster_accuracy(x, y_bad, num_classes=4) == pytest.approx(0.9)


def test_collapse_stats_limits():
  r = np.random.default_rng(0)
  spread = ssl.collapse_stats(r.standard_normal((2000, 16)))
  assert abs(float(spread["std_ratio"]) - 1.0) < 0.05 and float(spread["effective_rank"]) > 14
  collapsed = ssl.collapse_stats(np.ones((50, 16)) + 1e-7 * r.standard_normal((50, 16)))
  assert float(collapsed["std_ratio"]) < 1e-3
  line = ssl.collapse_stats(np.outer(r.standard_normal(100), r.standard_normal(16)))
  assert float(line["effective_rank"]) < 1.01


def test_bad_inputs():
  with pytest.raises(ValueError, match="features must be"):
    ssl.linear_probe(np.ones(4), np.zeros(4, int), np.ones((2, 3)), np.zeros(2, int), num_classes=2)
  with pytest.raises(ValueError, match="labels must be int"):
    ssl.knn_accuracy(np.ones((4, 2)), np.zeros(4), np.ones((2, 2)), np.zeros(2, int), num_classes=2)
  with pytest.raises(ValueError, match="k must be"):
    ssl.knn_accuracy(np.ones((4, 2)), np.zeros(4, int), np.ones((2, 2)), np.zeros(2, int), num_classes=2, k=9)
  with pytest.raises(ValueError, match="iters must be >= 1"):
    ssl.ssl_probe(iters=0)


def test_ssl_net_views_predictor_and_ema_target():
  net = SSLNet(hidden=(8,), projector=(8, 4), predictor=(8, 4))
  x = jnp.asarray(np.random.default_rng(0).standard_normal((6, 2, 10)), jnp.float32)
  v = net.init(jax.random.PRNGKey(0), x)
  assert set(v["params"]) == {"encoder", "projector", "predictor"}
  q = net.apply(v, x, return_embeddings=True)
  z = net.apply(v, x, return_embeddings=True, use_predictor=False)
  assert q.shape == z.shape == (6, 2, 4) and not np.allclose(q, z)
  assert net.apply(v, x[:, 0], return_features=True).shape == (6, 8)
  one = net.apply(v, x[:, 0], return_embeddings=True)          # a single view is used as two identical views
  np.testing.assert_allclose(one[:, 0], one[:, 1])
  ema = EmaTarget(net, total_steps=10, decay=0.5, apply_kwargs=dict(return_embeddings=True, use_predictor=False))
  st = ema.init(v["params"], {"batch_stats": v["batch_stats"]}, None)
  np.testing.assert_allclose(ema.outputs(st, x), z, rtol=1e-6)
  moved = jax.tree.map(lambda a: a + 1.0, v["params"])
  new = ema.update(st, moved, {"batch_stats": v["batch_stats"]}, 0)
  np.testing.assert_allclose(new["params"]["encoder"]["dense_0"]["kernel"],
                             v["params"]["encoder"]["dense_0"]["kernel"] + 0.5, rtol=1e-6)
  d = SSLNet(hidden=(8,), projector=(4,), learn_temperature=True, learn_bias=True)
  out = d.apply(d.init(jax.random.PRNGKey(1), x), x)
  assert set(out) == {"embeddings", "log_temperature", "bias"} and float(out["bias"]) == -10.0
  with pytest.raises(ValueError, match="example_rank"):
    net.apply(v, jnp.ones((2, 2, 3, 4)))


def test_features_of_per_view_object_outputs_take_view_zero_flattened():
  """An object-level head ([N, V, K, P], CrIBo's ObjectSSLNet) gives the probe/collapse statistics its
  first view's K * P values per example; [N, V, D] gives view 0; [N, D] is unchanged."""
  import types
  from lbrl.models.ssl_objects import ObjectSSLNet
  model = ObjectSSLNet(segments=4, hidden=(8,), projector=(8, 4), prototypes=5)
  x = np.asarray(jax.random.normal(jax.random.PRNGKey(0), (6, 40)))
  params = model.init(jax.random.PRNGKey(1), x)["params"]
  data = types.SimpleNamespace(arrays={"x": x, "label": np.arange(6)})
  fz, fy = ssl.features(model, params, {}, data, 4, return_embeddings=True)
  want = model.apply({"params": params}, x, return_embeddings=True)["embeddings"][:, 0].reshape(6, 20)
  np.testing.assert_allclose(np.asarray(fz), np.asarray(want), rtol=1e-5, atol=1e-5)
  np.testing.assert_array_equal(np.asarray(fy), np.arange(6))
  assert ssl.collapse_stats(fz)["effective_rank"] > 1.0
