"""One battery over every loss of the classification family: finite values and gradients at extreme
logits in float32 and bf16, masks, ignored labels, jit, vmap, bad-input errors."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.registry import LOSSES
from tests.losses.cases import BATCH_WIDE, CASES, inputs

NAMES = sorted(CASES)
# Logit losses the battery cannot call as loss(logits, integer labels) -> values: they return components or
# per-example state, or take multi-hot or regression targets; each is tested with its own inputs in its
# family's module (regression: tests/losses/test_landmark_kd.py).
OWN_TESTS = {n for n in LOSSES.names()
             if LOSSES.spec(n).components or "example_state" in LOSSES.spec(n).needs} | {
                 "decoupled_softmax", "multilabel_softmax", "macro_auc_loss", "landmark_l1", "landmark_l2"}


def _call(name, outputs, labels, **kw):
  kind, kwargs = CASES[name]
  kwargs = {k: (v(outputs) if callable(v) else v) for k, v in kwargs.items()}   # e.g. a teacher's logits
  return LOSSES.get(name)(outputs, labels, **{**kwargs, **kw})


def test_battery_covers_every_registered_loss():
  """Every declared loss that takes logits is in the battery; the logit-free forms (hidden, unembedding)
  are tested against their logit forms, extremes included, in test_classification.py
  (spherical_zloss_linear) and tests/kernels (linear_cross_entropy)."""
  logits = {n for n in LOSSES.names() if LOSSES.spec(n).consumes == "logits" and LOSSES.target(n) is not None}
  assert logits - OWN_TESTS == set(CASES)
  hidden = {n for n in LOSSES.names() if LOSSES.spec(n).consumes == "hidden_unembedding"}
  # the metric family's proxy/margin losses take (features, class proxies): tests/losses/test_metric.py
  proxies = {n for n in hidden if (LOSSES.target(n) or "").startswith("lbrl.losses.metric:")}
  assert hidden - proxies == {"spherical_zloss_linear", "linear_cross_entropy"}


def test_declared_names_are_public_names():
  """A registered name is the public name of the function it resolves to (one name per thing)."""
  for n in LOSSES.names():
    if LOSSES.target(n) is not None:   # declared by lbrl (tests register their own at run time)
      assert LOSSES.get(n).__name__ == n, (n, LOSSES.get(n).__name__)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.bfloat16])
@pytest.mark.parametrize("name", NAMES)
def test_finite_at_extreme_logits(name, dtype):
  kind, _ = CASES[name]
  rng = np.random.default_rng(0)
  outputs, labels = inputs(kind, rng, shape=(8,))
  extreme = np.sign(outputs) * 1e4
  extreme[0] = 0.0 if kind != "distance" else 1e4   # mix zeros in
  if kind == "distance":
    extreme = np.abs(extreme)
    extreme[1] = 0.0                                   # a distance of exactly 0 (the optimum)
  x = jnp.asarray(extreme, dtype)
  y = jnp.asarray(labels)
  values = _call(name, x, y)
  assert values.shape == y.shape
  assert values.dtype == jnp.float32
  assert np.all(np.isfinite(np.asarray(values))), values
  grads = jax.grad(lambda z: jnp.mean(_call(name, z, y)))(x)
  assert grads.dtype == x.dtype
  assert np.all(np.isfinite(np.asarray(grads, np.float32))), grads


@pytest.mark.parametrize("name", NAMES)
def test_where_mask_and_ignored_labels(name):
  kind, _ = CASES[name]
  rng = np.random.default_rng(1)
  outputs, labels = inputs(kind, rng, shape=(6,))
  x = jnp.asarray(outputs, jnp.float32)
  where = jnp.array([True, True, False, True, False, True])
  values = _call(name, x, jnp.asarray(labels), where=where)
  assert np.all(np.asarray(values)[~np.asarray(where)] == 0.0)
  grads = jax.grad(lambda z: jnp.sum(_call(name, z, jnp.asarray(labels), where=where)))(x)
  assert np.all(np.asarray(grads)[~np.asarray(where)] == 0.0)
  # Out-of-range ids are masked like where=False (never read out of bounds).
  bad = labels.copy()
  bad[~np.asarray(where)] = -1
  bad[4] = 99
  masked = _call(name, x, jnp.asarray(bad))
  np.testing.assert_allclose(masked, values, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_jit_and_vmap(name):
  kind, _ = CASES[name]
  rng = np.random.default_rng(2)
  outputs, labels = inputs(kind, rng, shape=(3, 4))
  x, y = jnp.asarray(outputs, jnp.float32), jnp.asarray(labels)
  eager = _call(name, x[0], y[0])
  jitted = jax.jit(lambda a, b: _call(name, a, b))(x[0], y[0])
  # absolute tolerance at float32 resolution of the batch's largest loss (a loss near 0 beside one near 100
  # differs by ~1e-5 between two compilations that round the same operations differently)
  atol = 1e-6 * max(1.0, float(np.max(np.abs(np.asarray(eager)))))
  np.testing.assert_allclose(jitted, eager, rtol=1e-5, atol=atol)
  mapped = jax.vmap(lambda a, b: _call(name, a, b))(x, y)
  looped = jnp.stack([_call(name, x[i], y[i]) for i in range(3)])
  atol = 1e-6 * max(1.0, float(np.max(np.abs(np.asarray(looped)))))
  np.testing.assert_allclose(mapped, looped, rtol=1e-5, atol=atol)
  if name not in BATCH_WIDE:   # per-example losses: leading axes are just more examples
    np.testing.assert_allclose(_call(name, x, y), looped, rtol=1e-5, atol=atol)


@pytest.mark.parametrize("name", NAMES)
def test_bad_inputs_name_the_argument(name):
  kind, _ = CASES[name]
  rng = np.random.default_rng(3)
  outputs, labels = inputs(kind, rng, shape=(4,))
  with pytest.raises((ValueError, TypeError), match="labels|logits"):
    _call(name, jnp.asarray(outputs, jnp.float32), jnp.asarray(labels[:3]))
  with pytest.raises(TypeError, match="logits"):
    _call(name, jnp.asarray(outputs).astype(jnp.int32), jnp.asarray(labels))
  with pytest.raises(ValueError, match="where"):
    _call(name, jnp.asarray(outputs, jnp.float32), jnp.asarray(labels), where=jnp.ones((3,), bool))
