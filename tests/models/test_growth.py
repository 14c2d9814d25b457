"""Function-preserving Transformer growth (lbrl.models.growth): the grown TransformerLM's logits equal
the source's to float32 tolerance (the property the paper proves), for each expansion and their
composition, and the grown parameters have exactly the target's structure."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.models import growth
from lbrl.models.transformer import TransformerLM

V, T = 13, 7


def _model(**kw):
  return TransformerLM(vocab_size=V, max_len=T, **kw)


def _params(model, seed=0):
  p = model.init(jax.random.key(seed), jnp.zeros((1, T), jnp.int32))["params"]
  # non-trivial norm scales and larger weights, so that a wrong rescaling shows
  leaves, tree = jax.tree_util.tree_flatten(p)
  keys = jax.random.split(jax.random.key(seed + 1), len(leaves))
  leaves = [x + 0.3 * jax.random.normal(k, x.shape) for x, k in zip(leaves, keys)]
  return jax.tree_util.tree_unflatten(tree, leaves)


def _check(src, dst, params, grown):
  x = jax.random.randint(jax.random.key(9), (3, T), 0, V)
  want = _model(**src).apply({"params": params}, x)
  shapes = jax.tree.map(jnp.shape, _model(**dst).init(jax.random.key(0), x)["params"])
  assert jax.tree.map(jnp.shape, grown) == shapes
  got = _model(**dst).apply({"params": grown}, x)
  np.testing.assert_allclose(np.asarray(got), np.asarray(want), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("positions,use_bias,tie", [
    pytest.param("learned", True, False, marks=pytest.mark.slow), ("rope", False, True)])
def test_composed_growth_preserves_the_function(positions, use_bias, tie):
  base = dict(positions=positions, use_bias=use_bias, tie_embeddings=tie, norm="rms")
  src = dict(num_layers=2, num_heads=2, width=8, mlp_ratio=2, **base)
  # rope: grow heads with the width (head size 4 kept); learned: the head size grows too (4 -> 6)
  dst = dict(num_layers=3, num_heads=4 if positions == "rope" else 3, width=16 if positions == "rope" else 18,
             mlp_ratio=4, **base)
  p = _params(_model(**src))
  _check(src, dst, p, growth.grow_transformer(p, src, dst, key=jax.random.key(3)))


def test_each_expansion_alone():
  src = dict(num_layers=2, num_heads=2, width=8, mlp_ratio=2, positions="learned", norm="rms")
  p = _params(_model(**src))
  k = jax.random.key(4)
  _check(src, dict(src, mlp_ratio=5), p, growth.expand_mlp(p, 40, key=k))
  # heads 2 -> 4 at head size 4 (the module ties the head size to width / heads: the width follows)
  _check(src, dict(src, num_heads=4, width=16, mlp_ratio=1), p,
         growth.expand_width(growth.expand_heads(p, 4, key=k), 16, key=k))
  _check(src, dict(src, num_layers=4), p, growth.expand_depth(p, 4, key=k, position=1))


def test_layer_norm_models_grow_in_depth_and_mlp_only():
  src = dict(num_layers=1, num_heads=2, width=8, mlp_ratio=2, norm="layer", use_bias=True)
  dst = dict(src, num_layers=2, mlp_ratio=3)
  p = _params(_model(**src))
  _check(src, dst, p, growth.grow_transformer(p, src, dst, key=jax.random.key(0)))
  with pytest.raises(ValueError, match="norm='rms'"):
    growth.grow_transformer(p, src, dict(src, width=16, num_heads=4), key=jax.random.key(0))


def test_new_units_are_trainable_and_bad_growth_raises():
  src = dict(num_layers=1, num_heads=2, width=8, mlp_ratio=2, norm="rms")
  p = _params(_model(**src))
  g = growth.expand_mlp(p, 24, key=jax.random.key(0))
  up = g["block_0"]["mlp"]["up"]["kernel"]
  assert float(jnp.std(up[:, 16:])) > 0 and float(jnp.abs(g["block_0"]["mlp"]["down"]["kernel"][16:]).max()) == 0
  with pytest.raises(ValueError, match="rotary"):
    growth.grow_transformer(p, src, dict(src, width=12), key=jax.random.key(0))
  with pytest.raises(ValueError, match="shrink"):
    growth.expand_mlp(p, 8, key=jax.random.key(0))
  with pytest.raises(ValueError, match="differs"):
    growth.grow_transformer(p, src, dict(src, positions="learned"), key=jax.random.key(0))


def test_growth_analysis_tool_on_a_hand_built_context():
  import types
  src = dict(num_layers=1, num_heads=2, width=8, mlp_ratio=2, norm="rms", positions="learned")
  model = _model(**src)
  p = _params(model)
  x = np.asarray(jax.random.randint(jax.random.key(1), (4, T), 0, V))
  y = np.roll(x, -1, axis=1)
  y[:, -1] = -1
  ctx = types.SimpleNamespace(cfg=types.SimpleNamespace(model=dict(name="transformer_lm", **src)), model=model,
                              params=p, x=x, labels=y, apply=lambda q, xb, train=False: model.apply({"params": q}, xb))
  out = growth.growth_preservation(ctx, num_layers=2, mlp_ratio=4)
  assert out["abs_loss_change"] < 1e-5 and out["max_abs_logit_change"] < 1e-4
  assert out["params_grown"] > out["params_source"] and out["loss_source"] > 0
