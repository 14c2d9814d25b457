"""SP / muP parametrisation against a NumPy transcription of Tensor Programs V's Table 3
(Yang et al. 2022, arXiv:2203.03466), and the property that makes muP work: a hidden weight's update
changes its layer's output by an amount that does not grow with width."""
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
import pytest

from lbrl.optim.parametrization import Parametrization, apply_init, classify, get_parametrization
from lbrl.train.optimizer import make_optimizer

# Table 3 (absolute scalings, muP with all multipliers 1), as functions of the leaf's fans.
TABLE3 = {
    #          init variance            Adam lr               SGD lr
    "input": (lambda fi, fo: 1 / fi, lambda fi, fo: 1.0, lambda fi, fo: fo),
    "hidden": (lambda fi, fo: 1 / fi, lambda fi, fo: 1 / fi, lambda fi, fo: 1.0),
    "output": (lambda fi, fo: 1 / fi ** 2, lambda fi, fo: 1 / fi, lambda fi, fo: 1 / fi),
}
SP_VARIANCE = lambda fi, fo: 1 / fi


def mlp_shapes(width, d_in=10, d_out=3):
  return {"embed": {"kernel": (d_in, width), "bias": (width,)},
          "hidden": {"kernel": (width, width), "bias": (width,)},
          "conv": {"kernel": (3, 3, width, width)},
          "readout": {"kernel": (width, d_out), "bias": (d_out,)}}


def np_fans(shape):
  return (int(np.prod(shape[:-1])) if len(shape) > 1 else 1), shape[-1]


KIND = {("embed", "kernel"): "input", ("embed", "bias"): "input", ("hidden", "kernel"): "hidden",
        ("hidden", "bias"): "input", ("conv", "kernel"): "hidden", ("readout", "kernel"): "output",
        ("readout", "bias"): "fixed"}


@pytest.mark.parametrize("optimizer,col", [("adam", 1), ("sgd", 2)])
@pytest.mark.parametrize("width", [32, 64, 256])
def test_mup_multipliers_are_table3_relative_to_the_base(optimizer, col, width):
  base_w = 16
  shapes, base = mlp_shapes(width), mlp_shapes(base_w)
  p = Parametrization("mup", optimizer=optimizer, base_shapes=base)
  mults = p.multipliers(shapes)
  for layer, leaves in shapes.items():
    for leaf, shape in leaves.items():
      m = mults[layer][leaf]
      kind = KIND[(layer, leaf)]
      assert m.kind == kind, (layer, leaf, m.kind)
      if kind == "fixed":
        assert (m.init, m.lr, m.wd) == (1.0, 1.0, 1.0)
        continue
      fi, fo = np_fans(shape)
      bfi, bfo = np_fans(base[layer][leaf])
      # muP at this width relative to SP at this width, normalised to be 1 at the base width
      var_ratio = (TABLE3[kind][0](fi, fo) / SP_VARIANCE(fi, fo)) / (TABLE3[kind][0](bfi, bfo) / SP_VARIANCE(bfi, bfo))
      np.testing.assert_allclose(m.init ** 2, var_ratio, rtol=1e-12)
      lr_ratio = TABLE3[kind][col](fi, fo) / TABLE3[kind][col](bfi, bfo)
      np.testing.assert_allclose(m.lr, lr_ratio, rtol=1e-12)
      assert m.wd == 1.0


def test_sp_and_the_base_width_are_the_identity():
  shapes = mlp_shapes(64)
  for p in (Parametrization("sp"), Parametrization("mup", base_shapes=shapes),
            Parametrization("mup", width=64, base_width=64)):
    for m in jax.tree.leaves(p.multipliers(shapes), is_leaf=lambda x: hasattr(x, "kind")):
      assert (m.init, m.lr, m.wd) == (1.0, 1.0, 1.0)


def test_base_width_form_equals_base_shapes_form():
  a = Parametrization("mup", base_shapes=mlp_shapes(16)).lr_multipliers(mlp_shapes(128))
  b = Parametrization("mup", width=128, base_width=16).lr_multipliers(mlp_shapes(128))
  assert a == b


def test_classification_uses_shapes_not_names():
  assert classify((10, 64), (10, 16))[0] == "input"       # fan_in fixed, fan_out grows
  assert classify((64, 64), (16, 16))[0] == "hidden"
  assert classify((64, 3), (16, 3))[0] == "output"
  assert classify((3,), (3,))[0] == "fixed"
  with pytest.raises(ValueError, match="rank"):
    classify((4, 4), (4,))
  with pytest.raises(ValueError, match="name"):
    Parametrization("ntk")
  with pytest.raises(ValueError, match="width"):
    Parametrization("mup", width=64)


def test_apply_init_rescales_only_the_readout():
  shapes = mlp_shapes(64)
  params = jax.tree.map(lambda s: jnp.ones(s), shapes, is_leaf=lambda x: isinstance(x, tuple))
  out = apply_init(params, Parametrization("mup", base_shapes=mlp_shapes(16)))
  np.testing.assert_allclose(out["readout"]["kernel"], 0.5)    # 1 / sqrt(64 / 16)
  for layer in ("embed", "hidden", "conv"):
    np.testing.assert_allclose(out[layer]["kernel"], 1.0)


def _hidden_update_effect(width, p13n, lr=1e-2, seed=0):
  """RMS of (Delta W_hidden) h after one Adam step of a 3-layer MLP of ``width``, h the hidden input."""
  rng = np.random.default_rng(seed)
  x = jnp.asarray(rng.normal(size=(32, 8)), jnp.float32)
  y = jnp.asarray(rng.normal(size=(32, 2)), jnp.float32)
  params = {"w1": jnp.asarray(rng.normal(size=(8, width)) / np.sqrt(8), jnp.float32),
            "w2": jnp.asarray(rng.normal(size=(width, width)) / np.sqrt(width), jnp.float32),
            "w3": jnp.asarray(rng.normal(size=(width, 2)) / np.sqrt(width), jnp.float32)}
  base = {"w1": (8, 32), "w2": (32, 32), "w3": (32, 2)}
  params = apply_init(params, p13n, base)

  def loss(p):
    h = jnp.tanh(x @ p["w1"])
    return jnp.mean((jnp.tanh(h @ p["w2"]) @ p["w3"] - y) ** 2)

  tx = optax.chain(optax.adam(lr), p13n.scale_updates(lr, base_shapes=base))
  u, _ = tx.update(jax.grad(loss)(params), tx.init(params), params)
  h = jnp.tanh(x @ params["w1"])
  return float(jnp.sqrt(jnp.mean((h @ u["w2"]) ** 2)))


def test_hidden_update_size_is_width_independent_under_mup_not_sp():
  widths = [32, 128, 512]
  mup = [_hidden_update_effect(w, Parametrization("mup", optimizer="adam")) for w in widths]
  sp = [_hidden_update_effect(w, Parametrization("sp")) for w in widths]
  assert max(mup) / min(mup) < 1.5, mup                   # O(1) across a 16x width range
  assert sp[-1] / sp[0] > 8, sp                           # SP: grows ~ width (16x here)


def test_trainer_applies_the_parametrisation_lr_and_decay():
  cfg = ml_collections.ConfigDict({
      "optimizer": {"name": "sgd", "learning_rate": 0.1, "weight_decay": 0.01}, "grad_clip_norm": 0.0,
      "schedule": {"name": "constant", "warmup_steps": 0, "end_fraction": 0.0}})
  p13n = Parametrization("mup", optimizer="sgd", width=64, base_width=16)
  params = {"hidden": jnp.ones((64, 64)), "readout": jnp.ones((64, 3)), "embed": jnp.ones((5, 64))}
  grads = jax.tree.map(jnp.ones_like, params)
  tx, _ = make_optimizer(cfg, 10, parametrization=p13n)
  u, _ = tx.update(grads, tx.init(params), params)
  # sgd(lr) * lr_mult, then the decoupled decay -lr wd w (wd_mult 1)
  np.testing.assert_allclose(u["hidden"], -0.1 * 1.0 - 0.1 * 0.01, rtol=1e-6)
  np.testing.assert_allclose(u["readout"], -0.1 / 4 - 0.1 * 0.01, rtol=1e-6)
  np.testing.assert_allclose(u["embed"], -0.1 * 4 - 0.1 * 0.01, rtol=1e-6)
  assert get_parametrization({"name": "mup", "optimizer": "sgd", "width": 64, "base_width": 16}) == p13n
