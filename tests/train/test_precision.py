"""Loss scaling (config.precision.loss_scale, lbrl.train.precision) in the trainer: the flax DynamicScale
rule, exactness of power-of-two scaling in float32, 8 devices, resume, and config errors."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.train import train
from lbrl.train.precision import loss_scaled
from lbrl.optim.sharpness import plain_estimator, sam_estimator
from tests.train._small import small_config

pytestmark = pytest.mark.heavy

FP16 = dict(param="float32", compute="float16")


def _cfg(steps, loss_scale=None, dtype=None, **over):
  prec = dict(rules=[])
  if loss_scale:
    prec["loss_scale"] = loss_scale
  extra = dict(precision=prec, **over)
  if dtype:
    extra["dtype"] = dtype
  return small_config(steps=steps, **extra)


def _leaves(out):
  return [np.asarray(x) for x in jax.tree.leaves(out["state"].params)]


def test_loss_scaling_recovers_gradients_that_underflow_in_float16():
  """The paper's mechanism: a float16 backward pass flushes a 1e-8 gradient to zero; with S = 2^15
  the scaled value is representable and the unscaled float32 gradient is right to float16 precision.
  Power-of-two scaling of a float32 computation is exact."""
  x = jnp.array([1e-8, 3e-6, 1e-3], jnp.float32)   # float32 weights after a float16 layer: its cotangents
  f16 = lambda p, b, r: (jnp.sum(x * (p.astype(jnp.float16) * jnp.float16(0.5)).astype(jnp.float32)), {})
  (_, _), g_plain, _ = plain_estimator().value_and_grad(f16, jnp.ones(3), None, None, ())
  est = loss_scaled(plain_estimator(), dict(loss_scale=dict(kind="static", scale=2.0 ** 15)))
  (loss, _), g_scaled, state = est.value_and_grad(f16, jnp.ones(3), None, None, est.init())
  assert float(g_plain[0]) == 0.0                              # underflow without scaling
  assert abs(float(g_plain[1]) / 1.5e-6 - 1) > 5e-3           # 1.5e-6 is subnormal in float16: digits lost
  np.testing.assert_allclose(np.asarray(g_scaled), 0.5 * np.asarray(x), rtol=1e-3)
  assert float(state.scale) == 2.0 ** 15 and np.isfinite(float(loss))
  f32 = lambda p, b, r: (jnp.sum(jnp.sin(p) * x), {})
  (_, _), a, _ = plain_estimator().value_and_grad(f32, jnp.ones(3), None, None, ())
  (_, _), b, _ = est.value_and_grad(f32, jnp.ones(3), None, None, est.init())
  np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_dynamic_scale_backs_off_on_float16_overflow_and_resumes(tmp_path):
  """S0 = 2^20 overflows the float16 backward pass of the MLP (values past 65504): each
  overflow skips the update and halves S (flax's DynamicScale rule), so S ends at 2^20 / 2^(skipped
  updates); on 8 devices, and a run stopped at step 6 and resumed equals the uninterrupted one (the
  scale is checkpointed with the gradient estimator's state)."""
  ls = dict(kind="dynamic", scale=2.0 ** 20, growth_interval=1000)
  full = train(_cfg(12, ls, FP16, max_skipped_fraction=1.0), str(tmp_path / "full"), progress=False)
  skipped = int(full["state"].nonfinite)
  assert 1 <= skipped < 12
  assert float(full["state"].grad_state.scale) == 2.0 ** (20 - skipped)
  assert np.isfinite(full["eval/loss"])
  wd = str(tmp_path / "split")
  train(_cfg(6, ls, FP16, max_skipped_fraction=1.0), wd, progress=False)
  resumed = train(_cfg(12, ls, FP16, max_skipped_fraction=1.0), wd, progress=False)
  assert float(resumed["state"].grad_state.scale) == float(full["state"].grad_state.scale)
  for a, b in zip(_leaves(full), _leaves(resumed)):
    np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_loss_scaled_float16_eight_devices_match_one(tmp_path):
  ls = dict(kind="dynamic", scale=2.0 ** 20, growth_interval=1000)
  eight = train(_cfg(8, ls, FP16, max_skipped_fraction=1.0), str(tmp_path / "eight"), progress=False)
  one = train(_cfg(8, ls, FP16, max_skipped_fraction=1.0, mesh=dict(shape=(1,), axes=("data",))),
              str(tmp_path / "one"), progress=False)
  assert int(one["state"].nonfinite) == int(eight["state"].nonfinite)
  for a, b in zip(_leaves(eight), _leaves(one)):
    np.testing.assert_allclose(a, b, rtol=2e-3, atol=2e-4)


def test_growth_after_interval():
  est = loss_scaled(plain_estimator(), dict(loss_scale=dict(kind="dynamic", scale=4.0, growth_interval=2)))
  s = est.init()
  f = lambda p, b, r: (jnp.sum(p ** 2), {})
  scales = []
  for _ in range(5):
    _, g, s = est.value_and_grad(f, jnp.ones(3), None, None, s)
    scales.append(float(s.scale))
  np.testing.assert_allclose(np.asarray(g), 2.0)
  assert scales == [4.0, 4.0, 8.0, 8.0, 8.0]   # flax: grows when fin_steps == growth_interval, then resets


@pytest.mark.parametrize("ls,match", [
    (dict(kind="dynamc"), "kind must be one of"), (dict(kind="static", scal=2.0), "unknown keys"),
    (dict(kind="static", scale=-1.0), "scale > 0")])
def test_bad_loss_scale_config(ls, match):
  with pytest.raises(ValueError, match=match):
    loss_scaled(plain_estimator(), dict(loss_scale=ls))


def test_loss_scale_needs_the_plain_estimator():
  with pytest.raises(ValueError, match="plain gradient estimator"):
    loss_scaled(sam_estimator(), dict(loss_scale=dict(kind="dynamic")))
  est = plain_estimator()
  assert loss_scaled(est, dict(rules=[])) is est
