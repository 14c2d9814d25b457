"""Coordinate check and norm monitors (lbrl.analysis.coord_check): values against NumPy, and the property
Tensor Programs V states: after a few Adam steps the layers' output changes grow with width under SP and
stay flat under muP."""
import types

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from lbrl.analysis import coord_check as C
from lbrl.optim.parametrization import Parametrization, apply_init


class Net(nn.Module):
  width: int

  @nn.compact
  def __call__(self, x, train=False):
    h = nn.relu(nn.Dense(self.width, name="embed")(x))
    h = nn.relu(nn.Dense(self.width, name="hidden")(h))
    return nn.Dense(3, name="readout")(h)


X = jnp.asarray(np.random.default_rng(0).normal(size=(32, 8)), jnp.float32)
Y = jnp.asarray(np.random.default_rng(1).integers(0, 3, 32))
LOSS = lambda logits: optax.softmax_cross_entropy_with_integer_labels(logits, Y).mean()


def test_diagnostic_values_are_mean_abs_of_outputs_and_updates():
  model = Net(16)
  params = model.init(jax.random.PRNGKey(0), X)["params"]
  _, inter = model.apply({"params": params}, X, capture_intermediates=True, mutable=["intermediates"])
  updates = jax.tree.map(lambda p: 0.1 * p, params)
  out = C.coord_check(params=params, grads=None, updates=updates, intermediates=inter, loss=0.0)
  pre = np.asarray(X) @ np.asarray(params["embed"]["kernel"]) + np.asarray(params["embed"]["bias"])  # Dense output
  np.testing.assert_allclose(out["act/embed"], np.mean(np.abs(pre)), rtol=1e-5)
  assert set(out) == {"act/embed", "act/hidden", "act/readout", "update/embed/kernel", "update/hidden/kernel",
                      "update/readout/kernel"}
  np.testing.assert_allclose(out["update/hidden/kernel"], 0.1 * np.mean(np.abs(params["hidden"]["kernel"])), rtol=1e-6)


def test_singular_value_monitors_match_numpy():
  rng = np.random.default_rng(2)
  params = {"a": {"kernel": jnp.asarray(rng.normal(size=(3, 3, 4, 5)), jnp.float32)},
            "b": {"kernel": jnp.asarray(rng.normal(size=(5, 7)), jnp.float32), "bias": jnp.ones(7)}}
  top = C.top_singular_values(params=params)
  np.testing.assert_allclose(top["a/kernel"], np.linalg.svd(np.asarray(params["a"]["kernel"]).reshape(-1, 5))[1][0],
                             rtol=1e-4)
  assert set(top) == {"a/kernel", "b/kernel"}
  norm = C.output_operator_norm(params=params)
  s = np.linalg.svd(np.asarray(params["b"]["kernel"]))[1][0]
  np.testing.assert_allclose(norm["l2"], s, rtol=1e-4)
  np.testing.assert_allclose(norm["rms"], s * np.sqrt(5 / 7), rtol=1e-4)
  w = np.asarray(params["b"]["kernel"], np.float64)   # RMS -> l_inf: max over outputs of |w_j . x| / rms(x)
  np.testing.assert_allclose(norm["rms_to_inf"], max(np.sqrt(5) * np.linalg.norm(w[:, j]) for j in range(7)), rtol=1e-5)
  np.testing.assert_allclose(C.output_operator_norm(params=params, pattern="^a/")["l2"], top["a/kernel"], rtol=1e-6)


def _delta(width, name, lr=3e-2):
  model = Net(width)
  p13n = Parametrization(name, optimizer="adam", width=width, base_width=16)
  params = apply_init(model.init(jax.random.PRNGKey(0), X)["params"], p13n)
  tx = optax.chain(optax.adam(lr), p13n.scale_updates(lr))
  return C.coordinate_check(model, params, X, LOSS, tx, steps=2)


def test_coordinate_check_grows_under_sp_and_is_flat_under_mup():
  widths = [16, 256]
  sp = [_delta(w, "sp")[-1] for w in widths]
  mp = [_delta(w, "mup")[-1] for w in widths]
  for layer in ("hidden", "readout"):
    assert sp[1][layer][1] / sp[0][layer][1] > 4, (layer, sp)            # 16x width: grows ~ width
    assert 0.5 < mp[1][layer][1] / mp[0][layer][1] < 2, (layer, mp)      # flat within a factor of 2
  curves = _delta(16, "sp")
  assert len(curves) == 3 and all(d == 0.0 for _, d in curves[0].values())
  np.testing.assert_allclose(C.slope([1, 2, 4], [3, 6, 12]), 1.0, atol=1e-12)
  np.testing.assert_allclose(C.slope([1, 2, 4], [5, 5, 5]), 0.0, atol=1e-12)


def test_analysis_tool_on_a_hand_built_context():
  model = Net(64)
  cfg = ml_collections.ConfigDict({"parametrization": {"name": "mup", "width": 64, "base_width": 32}})
  params = model.init(jax.random.PRNGKey(0), X)["params"]
  ctx = types.SimpleNamespace(cfg=cfg, model=model, params=params, model_state={}, x=np.asarray(X),
                              labels=np.asarray(Y))
  scalars, extra = C.coord_check_tool(ctx, steps=2, learning_rate=1e-2)
  assert set(scalars) == {f"{m}/log2_{k}" for m in ("embed", "hidden", "readout") for k in ("abs", "delta")}
  np.testing.assert_allclose(scalars["readout/log2_delta"], np.log2(extra["curves"][-1]["readout"][1]), rtol=1e-6)
