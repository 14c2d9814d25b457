"""Harmonic distance heads against scipy's cdist, and the harmonic model end to end."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.spatial.distance import cdist

from lbrl.losses import harmonic_loss
from lbrl.models import heads

RNG = np.random.default_rng(0)
X = RNG.normal(size=(6, 4))
W = RNG.normal(size=(3, 4))


@pytest.mark.parametrize("distance,scipy_name,kw", [
    ("euclidean", "euclidean", {}), ("squared_euclidean", "sqeuclidean", {}),
    ("manhattan", "cityblock", {}), ("chebyshev", "chebyshev", {}), ("minkowski", "minkowski", {"p": 3}),
    ("cosine", "cosine", {}), ("bray_curtis", "braycurtis", {}),
])
def test_distances_match_scipy(distance, scipy_name, kw):
  got = heads.pairwise_distance(jnp.asarray(X), jnp.asarray(W), distance, eps=0.0, **kw)
  np.testing.assert_allclose(got, cdist(X, W, scipy_name, **kw), rtol=1e-5, atol=1e-5)


def test_mahalanobis_matches_scipy():
  L = RNG.normal(size=(4, 4))
  got = heads.pairwise_distance(jnp.asarray(X), jnp.asarray(W), "mahalanobis", metric=jnp.asarray(L), eps=0.0)
  np.testing.assert_allclose(got, cdist(X, W, "mahalanobis", VI=L.T @ L), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("distance", heads.DISTANCES)
def test_harmonic_mlp_trains_with_finite_gradients(distance):
  model = heads.HarmonicMLP(num_classes=3, hidden=(8,), distance=distance)
  x = jnp.asarray(X, jnp.float32)
  y = jnp.array([0, 1, 2, 0, 1, 2])
  params = model.init(jax.random.PRNGKey(0), x)
  d = model.apply(params, x)
  assert d.shape == (6, 3) and bool(jnp.all(d >= -1e-6))
  g = jax.grad(lambda p: harmonic_loss(model.apply(p, x), y).mean())(params)
  assert all(bool(jnp.all(jnp.isfinite(l))) for l in jax.tree.leaves(g))


def test_gradient_finite_at_the_centre():
  # x exactly at a centre: d = 0 is the loss's optimum; sqrt(0) must not give NaN gradients.
  head = heads.HarmonicHead(num_classes=3)
  params = head.init(jax.random.PRNGKey(1), jnp.zeros((1, 4)))
  centre = params["params"]["centres"][:1]
  g = jax.grad(lambda x: harmonic_loss(head.apply(params, x), jnp.array([0]), exponent=2.0).sum())(centre)
  assert bool(jnp.all(jnp.isfinite(g)))


def test_token_inputs():
  model = heads.HarmonicMLP(num_classes=7, hidden=(), vocab_size=7, embed_dim=5, distance="cosine")
  tokens = jnp.array([[1, 2], [3, 4]])
  params = model.init(jax.random.PRNGKey(0), tokens)
  assert model.apply(params, tokens).shape == (2, 7)
  logit_model = heads.HarmonicMLP(num_classes=7, hidden=(), vocab_size=7, embed_dim=5, distance="cosine",
                                  output="neg_log_distance")
  np.testing.assert_allclose(logit_model.apply(params, tokens), -np.log(model.apply(params, tokens) + 1e-12),
                             rtol=1e-5)
  with pytest.raises(ValueError, match="distance"):
    heads.HarmonicHead(3, distance="nope").init(jax.random.PRNGKey(0), jnp.zeros((1, 4)))


def test_embed_mlp_baseline():
  model = heads.EmbedMLP(num_classes=7, hidden=(16,), vocab_size=9, embed_dim=4)
  tokens = jnp.array([[1, 2, 7, 8], [3, 4, 7, 8]])
  params = model.init(jax.random.PRNGKey(0), tokens)
  assert model.apply(params, tokens).shape == (2, 7)


def test_cosine_head_is_the_cosine_between_normalised_feature_and_weight():
  # LDAM-DRW's NormedLinear: normalize(x) @ normalize(W, dim=0), written here in float64 NumPy.
  head = heads.CosineHead(num_classes=3)
  params = head.init(jax.random.PRNGKey(0), jnp.zeros((1, 4)))
  kernel = np.asarray(params["params"]["kernel"], np.float64)          # [D, C]
  assert kernel.shape == (4, 3)
  want = np.array([[x @ w / (np.linalg.norm(x) * np.linalg.norm(w)) for w in kernel.T] for x in X])
  np.testing.assert_allclose(head.apply(params, jnp.asarray(X, jnp.float32)), want, rtol=1e-5, atol=1e-6)
  # invariant to the scale of the feature and of each class's weight column
  scaled = {"params": {"kernel": params["params"]["kernel"] * jnp.array([0.1, 3.0, 50.0])}}
  np.testing.assert_allclose(head.apply(scaled, jnp.asarray(7.0 * X, jnp.float32)), want, rtol=1e-5, atol=1e-6)
  # a zero feature (all-ReLU-dead) gives zeros and finite gradients, as F.normalize's eps floor does
  out, vjp = jax.vjp(lambda x: head.apply(params, x), jnp.zeros((2, 4)))
  assert np.all(np.asarray(out) == 0.0)
  assert bool(jnp.all(jnp.isfinite(vjp(jnp.ones((2, 3)))[0])))


def test_cnn1d_cosine_head_option():
  from lbrl.models import CNN1D
  x = jnp.asarray(RNG.normal(size=(5, 40)), jnp.float32)
  linear = CNN1D(num_classes=10)
  assert linear.head == "linear"                                       # default unchanged
  lp = linear.init(jax.random.PRNGKey(0), x)
  assert set(lp["params"]) == {"Conv_0", "Conv_1", "Conv_2", "Dense_0"}
  model = CNN1D(num_classes=10, head="cosine")
  params = model.init(jax.random.PRNGKey(0), x)
  assert set(params["params"]) == {"Conv_0", "Conv_1", "Conv_2", "CosineHead_0"}
  out = np.asarray(model.apply(params, x))
  assert out.shape == (5, 10) and np.all(np.abs(out) <= 1.0 + 1e-6)
  # the cosine outputs are cos(angle) between the trunk's features (ReLU of the last conv, flattened)
  # and the head's weight columns
  _, inter = model.apply(params, x, capture_intermediates=True)
  feats = np.maximum(np.asarray(inter["intermediates"]["Conv_2"]["__call__"][0], np.float64), 0.0)
  feats = feats.reshape(5, -1)
  w = np.asarray(params["params"]["CosineHead_0"]["kernel"], np.float64)
  want = (feats / np.linalg.norm(feats, axis=1, keepdims=True)) @ (w / np.linalg.norm(w, axis=0))
  np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-5)
  with pytest.raises(ValueError, match="head"):
    CNN1D(num_classes=10, head="nope").init(jax.random.PRNGKey(0), x)
