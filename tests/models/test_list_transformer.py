"""allRank's context-aware list scorer (lbrl.models.list_transformer): scores against a PyTorch re-typing of
allRank's model (tests/golden/models_list_transformer.npz), the run's parameter count, allRank's LayerNorm
against a NumPy transcription, padding (masked keys: padded documents change no real score; an explicit
``where``), context dependence, dropout, sharded equality and bad input."""
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax.traverse_util import unflatten_dict
from jax.sharding import NamedSharding, PartitionSpec as P

from lbrl.models._layers import count_params
from lbrl.models.list_transformer import AllRankLayerNorm, ListTransformer
from lbrl.registry import MODELS
from tests.models._mesh import explicit_mesh, matched_paths, shard_tree

GOLDEN = np.load(os.path.join(os.path.dirname(__file__), "..", "golden", "models_list_transformer.npz"))
SMALL = dict(d_model=8, num_layers=2, num_heads=2, d_ff=16)


def _golden_params():
  return unflatten_dict({tuple(k.split("/")): jnp.asarray(GOLDEN[k], jnp.float32)
                         for k in GOLDEN.files if k.startswith("params/")})


def test_scores_match_allrank():
  x = jnp.asarray(GOLDEN["x"], jnp.float32)
  model = ListTransformer(**SMALL)
  variables = _golden_params()
  shapes = jax.eval_shape(lambda: model.init(jax.random.key(0), x))
  assert jax.tree.map(jnp.shape, shapes) == jax.tree.map(jnp.shape, variables)
  scores = model.apply(variables, x)
  assert scores.shape == (3, 6)
  real = np.any(GOLDEN["x"] != 0, -1)
  np.testing.assert_allclose(np.asarray(scores)[real], GOLDEN["scores"][real], rtol=1e-5, atol=1e-5)


def test_run_parameter_count():
  x = jnp.zeros((1, 240, 136))
  n = count_params(jax.eval_shape(lambda: ListTransformer().init(jax.random.key(0), x))["params"])
  assert n == int(GOLDEN["count_run"]) == 237_121


def test_allrank_layer_norm_is_the_unbiased_std_form():
  x = np.random.default_rng(0).normal(size=(4, 7)) * 3 + 1
  y = AllRankLayerNorm().apply({"params": {"scale": jnp.ones(7), "bias": jnp.zeros(7)}}, jnp.asarray(x, jnp.float32))
  ref = (x - x.mean(-1, keepdims=True)) / (x.std(-1, ddof=1, keepdims=True) + 1e-6)
  np.testing.assert_allclose(np.asarray(y), ref, rtol=1e-5, atol=1e-5)
  flax_ln = ListTransformer(norm="layer", **SMALL)
  v = flax_ln.init(jax.random.key(0), jnp.ones((1, 3, 5)))
  assert "LayerNorm" not in str(jax.tree_util.tree_structure(v)) and "block0_ln1" in v["params"]


def test_padding_and_context():
  model = ListTransformer(**SMALL, dropout=0.1)
  key = jax.random.key(0)
  x = jax.random.normal(key, (2, 5, 4))
  v = model.init(jax.random.key(1), x)
  s = model.apply(v, x)
  assert np.all(np.abs(np.asarray(s)) < 1)            # tanh scores
  # padded documents (zero rows, or where=False) do not change the real documents' scores
  padded = jnp.concatenate([x, jnp.zeros((2, 3, 4))], 1)
  np.testing.assert_allclose(np.asarray(model.apply(v, padded))[:, :5], np.asarray(s), rtol=1e-5, atol=1e-6)
  junk = jnp.concatenate([x, 5 * jnp.ones((2, 3, 4))], 1)
  where = jnp.arange(8)[None, :].repeat(2, 0) < 5
  np.testing.assert_allclose(np.asarray(model.apply(v, junk, where=where))[:, :5], np.asarray(s), rtol=1e-5,
                             atol=1e-6)
  # context-aware: changing one document changes the OTHER documents' scores (a per-document MLP would not)
  x2 = x.at[:, 0].set(x[:, 0] + 1.0)
  assert not np.allclose(np.asarray(model.apply(v, x2))[:, 1:], np.asarray(s)[:, 1:])
  # a list with no real document stays finite
  assert np.all(np.isfinite(np.asarray(model.apply(v, jnp.zeros((1, 4, 4))))))
  # dropout in training only
  t = lambda k: model.apply(v, x, train=True, rngs={"dropout": k})
  assert not np.allclose(np.asarray(t(jax.random.key(2))), np.asarray(t(jax.random.key(3))))
  np.testing.assert_array_equal(np.asarray(model.apply(v, x)), np.asarray(s))


def test_registered_and_gradients_finite():
  assert MODELS.get("list_transformer") is ListTransformer
  assert MODELS.spec("list_transformer").outputs == ("scores_groups",)
  model = ListTransformer(**SMALL)
  x = jax.random.normal(jax.random.key(0), (2, 6, 5)).at[1, 3:].set(0.0)
  v = model.init(jax.random.key(1), x)
  g = jax.grad(lambda p: jnp.sum(model.apply({"params": p}, x)))(v["params"])
  assert all(np.all(np.isfinite(np.asarray(a))) for a in jax.tree.leaves(g))


def test_bad_input_is_a_clear_error():
  x = jnp.zeros((2, 4, 3))
  with pytest.raises(ValueError, match="queries, list_size, features"):
    ListTransformer().init(jax.random.key(0), jnp.zeros((4, 3)))
  with pytest.raises(ValueError, match="num_heads"):
    ListTransformer(d_model=10, num_heads=3).init(jax.random.key(0), x)
  with pytest.raises(ValueError, match="norm"):
    ListTransformer(norm="rms").init(jax.random.key(0), x)
  with pytest.raises(ValueError, match="output_activation"):
    ListTransformer(output_activation="relu").init(jax.random.key(0), x)
  with pytest.raises(ValueError, match="where"):
    ListTransformer().init(jax.random.key(0), x, where=jnp.ones((2, 5), bool))


def test_sharded_equals_one_device():
  model = ListTransformer(d_model=8, num_layers=1, num_heads=2, d_ff=16, dropout=0.0)
  x = jax.random.normal(jax.random.key(0), (8, 6, 5)).at[3, 4:].set(0.0)
  params = model.init(jax.random.key(1), x)["params"]
  f = jax.jit(jax.value_and_grad(lambda p, x: jnp.sum(jnp.square(model.apply({"params": p}, x)))))
  l0, g0 = f(params, x)
  rules = ListTransformer.sharding_rules()
  assert {"params/block0_ff1/kernel", "params/block0_query/kernel"} <= matched_paths({"params": params}, rules)
  mesh = explicit_mesh()
  with jax.set_mesh(mesh):
    ps = shard_tree({"params": params}, rules, mesh)["params"]
    l1, g1 = f(ps, jax.device_put(x, NamedSharding(mesh, P("fsdp"))))
  np.testing.assert_allclose(float(l1), float(l0), rtol=1e-5)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-6), g1, g0)
