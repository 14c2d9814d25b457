"""The quantized-matmul precision policy (config.precision.matmul, lbrl.quant.policy) through the trainer and
on the zoo: any model with Dense layers is switched by config alone (same parameters, quantized numbers);
on 8 simulated devices it equals 1 device; a run stopped and resumed equals the uninterrupted one (the
policy's step counter and the stochastic-rounding keys are part of the checkpointed state)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.registry import MODELS
from lbrl.train import train
from lbrl.train.precision import apply_precision
from tests.train._small import small_config

pytestmark = pytest.mark.heavy

INT8 = dict(x=dict(fmt="int8", granularity="tensor"), w=dict(fmt="int8", granularity="tensor"))
# FP8 forward, stochastically rounded E5M2 gradients (keys from the step's dropout stream), a 2-step float phase
FP8_SR = dict(x=dict(fmt="float8_e4m3fn"), w=dict(fmt="float8_e4m3fn"),
              grad=dict(fmt="float8_e5m2", rounding="stochastic"), start_step=2)

ZOO = {  # tiny instances of the zoo's families: (kwargs, input)
    "cnn1d": (dict(num_classes=10, channels=4), jnp.ones((2, 40, 1))),
    "transformer_lm": (dict(vocab_size=17, num_layers=1, num_heads=2, width=16, max_len=8), jnp.ones((2, 8), jnp.int32)),
    "vit": (dict(num_classes=10, patch_size=4, width=16, depth=1, num_heads=2, mlp_dim=32), jnp.ones((2, 8, 8, 3))),
}


@pytest.mark.parametrize("name", sorted(ZOO))
def test_matmul_policy_switches_zoo_models(name):
  kwargs, x = ZOO[name]
  model = MODELS.get(name)(**kwargs)
  x = x + jax.random.uniform(jax.random.key(1), x.shape) if x.dtype != jnp.int32 else x
  q = apply_precision(model, {"matmul": INT8})
  v = jax.tree.map(lambda a: a + 0.05, model.init(jax.random.key(0), x))   # off init (zero heads)
  assert jax.tree.structure(q.init(jax.random.key(0), x)) == jax.tree.structure(v)
  y, yq = np.asarray(model.apply(v, x)), np.asarray(q.apply(v, x))
  assert y.shape == yq.shape and 0 < np.abs(y - yq).max() < 0.2 * np.abs(y).max() + 1e-3
  # a regex that matches no layer leaves the model's numbers unchanged
  same = apply_precision(model, {"matmul": {**INT8, "modules": "no_such_layer"}})
  np.testing.assert_array_equal(np.asarray(same.apply(v, x)), y)


def _leaves(out):
  return [np.asarray(a) for a in jax.tree.leaves((out["state"].params, out["state"].model_state))]


@pytest.mark.slow
def test_matmul_policy_eight_devices_match_one_and_resume_is_exact(tmp_path):
  cfg = lambda steps, **kw: small_config(steps=steps, precision=dict(rules=[], matmul=FP8_SR), **kw)
  full = train(cfg(6), str(tmp_path / "full"), progress=False)
  assert int(full["state"].model_state["precision"]["Dense_0"]["step"]) == 6   # the float phase's counter
  wd = str(tmp_path / "split")
  train(cfg(3), wd, progress=False)
  resumed = train(cfg(6), wd, progress=False)
  for a, b in zip(_leaves(full), _leaves(resumed)):
    np.testing.assert_array_equal(a, b)
  one = train(cfg(6, mesh=dict(shape=(1,), axes=("data",))), str(tmp_path / "one"), progress=False)
  for a, b in zip(_leaves(full), _leaves(one)):
    np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)
