"""Parametrisations beyond the Table-3 core (tests/optim/test_parametrization.py): zoo layouts, named
roles for a user's module, bases built from a registered model, constant-std inits, depth-muP's depth rule
and the layerwise weight-decay rule of Fan et al. 2025, each against a NumPy transcription of its paper."""
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from lbrl.optim.parametrization import Parametrization, depth_mup, fans, layerwise_wd, mup
from lbrl.registry import MODELS, PARAMETRIZATIONS


def _shapes(name, x, **kw):
  model = MODELS.get(name)(**kw)
  return jax.eval_shape(lambda: model.init(jax.random.PRNGKey(0), x, train=False))["params"]


def _tf(width, heads, layers=1):
  return _shapes("transformer_lm", jnp.zeros((1, 8), jnp.int32), vocab_size=65, num_layers=layers, num_heads=heads,
                 width=width, max_len=8, tie_embeddings=False)


def _resmlp(width, depth):
  return _shapes("res_mlp", jnp.zeros((1, 40)), num_classes=10, width=width, depth=depth)


def _rows(p, params):
  return {path: (kind, init, lr, wd) for path, _, kind, init, lr, wd in p.table(params)}


def test_zoo_layouts_read_attention_and_unembedding_fans():
  # heads grow at a fixed head dim: without the layout the query kernel [d, h, dh] would look like an
  # output weight (fan_in d*h grows 4x, fan_out dh fixed)
  rows = _rows(mup("adam", base_shapes=_tf(64, 2)), _tf(128, 4))
  for leaf in ("query", "key", "value", "out"):
    assert rows[f"block_0/attn/{leaf}/kernel"][:3] == ("hidden", 1.0, 0.5), leaf
  assert rows["unembed"][:3] == ("output", 1 / np.sqrt(2), 0.5)       # [vocab, d] read transposed
  assert rows["embed/embedding"][:3] == ("input", 1.0, 1.0)
  assert rows["block_0/mlp/up/kernel"][:3] == ("hidden", 1.0, 0.5)
  assert fans((64, 2, 32), {"fan_in": 1}) == (64, 64)
  assert fans((65, 64), {"transposed": True}) == (64, 65)
  assert fans((4, 32, 10), {"stack": 1}) == (32, 10)


def test_scanned_blocks_keep_their_width_class_across_depth():
  rows = _rows(mup("adam", base_shapes=_resmlp(32, 2)), _resmlp(128, 8))
  assert rows["blocks/dense1/kernel"][:3] == ("hidden", 1.0, 0.25)    # depth axis is not a fan
  assert rows["blocks/dense1/bias"][0] == "input"
  assert rows["stem/kernel"][0] == "input" and rows["head/kernel"][0] == "output"


@pytest.mark.parametrize("optimizer,exponent", [("adam", 0.5), ("sgd", 0.0)])
def test_depth_mup_scales_branch_lr_by_depth(optimizer, exponent):
  base, params = _resmlp(32, 2), _resmlp(128, 8)
  rows = _rows(depth_mup(optimizer, base_shapes=base), params)
  width_only = _rows(mup(optimizer, base_shapes=base), params)
  depth_ratio = 8 / 2
  for path, (kind, init, lr, _) in rows.items():
    factor = depth_ratio ** -exponent if path.startswith("blocks/") else 1.0
    np.testing.assert_allclose(lr, width_only[path][2] * factor, rtol=1e-12, err_msg=path)
    assert init == width_only[path][1]
  # unscanned Transformer blocks: the depth ratio is given
  rows = _rows(depth_mup("adam", base_shapes=_tf(64, 2, 4), depth=16, base_depth=4), _tf(64, 2, 4))
  np.testing.assert_allclose(rows["block_0/mlp/up/kernel"][2], 0.5)
  assert rows["embed/embedding"][2] == 1.0


def test_layerwise_weight_decay_rule_matches_table2():
  """Fan et al. 2025, Table 2 (AdamW): matrix-like eta_2 = eta / m, lambda_2 = lambda sqrt(m); vector-like
  eta_1 = eta, lambda_1 = 0. torch-AdamW decays by eta_leaf * lambda_leaf per step; lbrl by lr(t) * wd * wd_mult."""
  eta, lam = 1e-3, 0.1
  for m in (1, 2, 4, 16):
    shapes = {"embed": {"kernel": (40, 64 * m), "bias": (64 * m,)}, "hidden": {"kernel": (64 * m, 64 * m)},
              "readout": {"kernel": (64 * m, 10)}}
    p = layerwise_wd(base_shapes=jax.tree.map(lambda s: tuple(d if d in (40, 10) else 64 for d in s), shapes,
                                              is_leaf=lambda x: isinstance(x, tuple)),
                     roles=[("embed", "input"), ("hidden", "hidden"), ("readout", "output")])
    rows = _rows(p, shapes)
    kind, _, lr, wd = rows["hidden/kernel"]
    np.testing.assert_allclose(eta * lr, eta / m, rtol=1e-12)
    np.testing.assert_allclose(eta * lam * wd, (eta / m) * (lam * np.sqrt(m)), rtol=1e-12)
    for leaf in ("embed/kernel", "embed/bias", "readout/kernel"):
      assert rows[leaf][3] == 0.0, leaf
    assert rows["embed/kernel"][2] == 1.0


def test_roles_name_a_users_leaves_and_constant_init():
  shapes = {"a": {"kernel": (40, 256)}, "b": {"kernel": (256, 256)}, "c": {"kernel": (256, 10)}}
  base = {"a": {"kernel": (40, 64)}, "b": {"kernel": (64, 64)}, "c": {"kernel": (64, 10)}}
  p = mup("sgd", base_shapes=base, roles=[("^a/", "input"), ("^c/", "output")], base_init="constant")
  rows = _rows(p, shapes)
  assert rows["a/kernel"] == ("input", 1.0, 4.0, 1.0)
  assert rows["b/kernel"] == ("hidden", 0.5, 1.0, 1.0)        # constant std: x 1/sqrt(m_in)
  assert rows["c/kernel"] == ("output", 0.25, 0.25, 1.0)      # constant std: x 1/m_in
  # at the base shapes the roles still classify (the multipliers are 1)
  assert _rows(p, base)["a/kernel"] == ("input", 1.0, 1.0, 1.0)
  # a role overrides the shape reading
  assert _rows(mup(base_shapes=base, roles=[("^b/", "output")]), shapes)["b/kernel"][0] == "output"


def test_base_model_equals_base_shapes_and_group_lr():
  params = _shapes("mlp", jnp.zeros((1, 40)), num_classes=10, hidden=(256, 256))
  a = mup(base_model=dict(name="mlp", hidden=(64, 64), num_classes=10), input_shape=(1, 40))
  b = mup(base_shapes=_shapes("mlp", jnp.zeros((1, 40)), num_classes=10, hidden=(64, 64)))
  assert a.table(params) == b.table(params)
  g = mup(base_shapes=b.base_shapes, group_lr={"output": 0.5})
  rows, ref = _rows(g, params), _rows(b, params)
  assert rows["Dense_2/kernel"][2] == 0.5 * ref["Dense_2/kernel"][2]
  assert rows["Dense_1/kernel"][2] == ref["Dense_1/kernel"][2]


def test_registry_and_trainer_config_block():
  from lbrl.train.trainer import parametrization
  cfg = ml_collections.ConfigDict({"parametrization": {"name": "depth_mup", "optimizer": "sgd",
                                                       "base_model": {"name": "res_mlp", "width": 32, "depth": 2,
                                                                      "num_classes": 10},
                                                       "input_shape": (1, 40)}})
  p = parametrization(cfg)
  assert p.name == "depth_mup" and p.optimizer == "sgd"
  assert PARAMETRIZATIONS.get("layerwise_wd")(base_shapes=p.base_shapes).wd_scaling == "sqrt_width"


@pytest.mark.parametrize("kwargs,match", [
    (dict(roles=[("a", "middle")]), "roles"),
    (dict(layouts=[("a", {"axis": 1})]), "layouts"),
    (dict(group_lr={"readout": 2.0}), "group_lr"),
    (dict(base_init="xavier"), "base_init"),
    (dict(wd_scaling="linear"), "wd_scaling"),
    (dict(depth=8), "depth"),
    (dict(base_model={"name": "mlp"}), "input_shape"),
    (dict(base_model={"hidden": (4,)}, input_shape=(1, 4)), "name"),
])
def test_bad_arguments_are_named(kwargs, match):
  with pytest.raises(ValueError, match=match):
    Parametrization("mup", **kwargs)


def test_folded_branch_scale_trains_like_the_scaled_model():
  """depth_mup(branch_scale=True) on an unscaled res_mlp of depth 8 (base depth 2) trains exactly like
  the res_mlp whose branches are multiplied by sqrt(2 / 8) (SGD with momentum, two steps)."""
  import optax
  x = jnp.asarray(np.random.default_rng(0).normal(size=(16, 40)), jnp.float32)
  y = jnp.asarray(np.random.default_rng(1).integers(0, 10, 16))
  make = lambda scale: MODELS.get("res_mlp")(num_classes=10, width=16, depth=8, residual_scale=scale)
  unscaled, scaled = make(1.0), make(0.5)
  init = unscaled.init(jax.random.PRNGKey(0), x)["params"]
  p13n = depth_mup("sgd", base_shapes=_shapes("res_mlp", x[:1], num_classes=10, width=16, depth=2),
                   branch_scale=True)

  def train(model, params, extra):
    tx = optax.chain(optax.sgd(0.05, momentum=0.9), *extra)
    loss = lambda p: optax.softmax_cross_entropy_with_integer_labels(model.apply({"params": p}, x), y).mean()
    opt, grad = tx.init(params), jax.jit(jax.grad(loss))
    for _ in range(2):
      u, opt = tx.update(grad(params), opt, params)
      params = optax.apply_updates(params, u)
    return model.apply({"params": params}, x)

  from lbrl.optim.parametrization import apply_init
  folded = train(unscaled, apply_init(init, p13n), [p13n.scale_updates(0.05)])
  np.testing.assert_allclose(folded, train(scaled, init, []), rtol=2e-4, atol=2e-5)
  rows = _rows(p13n, init)
  assert rows["blocks/dense2/kernel"][1:3] == (0.5, 0.25) and rows["blocks/dense1/kernel"][1:3] == (1.0, 1.0)


def test_unscanned_depth_is_counted_from_the_blocks():
  base, params = _tf(64, 2, 2), _tf(64, 2, 8)
  rows = _rows(depth_mup("adam", base_shapes=base), params)
  np.testing.assert_allclose(rows["block_7/mlp/up/kernel"][2], 0.5)   # (8 / 2)^(-1/2), width unchanged
  assert rows["embed/embedding"][2] == 1.0
  with pytest.raises(ValueError, match="no leaf"):
    mup(base_shapes={"a": (3, 4)}).multipliers({"b": (3, 4)})
