"""FerKD (slug ferkd): the partial soft-hard targets and the loss against a float64 NumPy transcription of
the rule in lbrl.losses.distillation.ferkd_targets' docstring, its stated special case (threshold 0 is FKD's
soft-label distillation: kd with alpha 1, T 1, same gradients), masks and bad input; the region crops and
SelfMix transform against np.interp and its stated properties."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.data.core import Dataset
from lbrl.data.region_crops import region_crops, resized_crop
from lbrl.losses import distillation as D
from lbrl.registry import LOSSES, TRANSFORMS


def _softmax(x):
  e = np.exp(x - x.max(-1, keepdims=True))
  return e / e.sum(-1, keepdims=True)


def np_ferkd(s, t, y, threshold, smoothing, temperature=1.0, drop_above=None):
  c = s.shape[-1]
  p = _softmax(t / temperature)
  targets, weights = np.zeros_like(p), np.ones(len(y))
  for i, yi in enumerate(y):
    if not 0 <= yi < c:
      targets[i], weights[i] = p[i], 0.0
      continue
    hot = np.eye(c)[yi]
    targets[i] = (1 - smoothing) * hot + smoothing / c if p[i, yi] < threshold else p[i]
    if drop_above is not None and p[i, yi] > drop_above:
      weights[i] = 0.0
  logq = np.log(_softmax(s))
  return targets, weights, weights * -(targets * logq).sum(-1)


@pytest.fixture
def batch():
  r = np.random.default_rng(3)
  s, t = r.normal(size=(8, 5)) * 2, r.normal(size=(8, 5)) * 3
  y = np.array([0, 4, 2, 2, 1, 3, 0, 1])
  return s, t, y


@pytest.mark.parametrize("threshold,smoothing,temperature,drop_above", [
    (0.5, 0.1, 1.0, None), (0.3, 0.4, 2.0, None), (0.5, 0.0, 1.0, 0.9)])
def test_matches_numpy(batch, threshold, smoothing, temperature, drop_above):
  s, t, y = batch
  want_t, want_w, want = np_ferkd(s, t, y, threshold, smoothing, temperature, drop_above)
  p_y = _softmax(t / temperature)[np.arange(len(y)), y]
  assert (p_y < threshold).any() and (p_y >= threshold).any()   # both branches are exercised
  got_t, got_w = D.ferkd_targets(jnp.asarray(t), jnp.asarray(y), threshold=threshold, smoothing=smoothing,
                                 temperature=temperature, drop_above=drop_above)
  np.testing.assert_allclose(got_t, want_t, rtol=1e-5, atol=1e-7)
  np.testing.assert_array_equal(got_w, want_w)
  got = D.ferkd(jnp.asarray(s), jnp.asarray(y), teacher_outputs=jnp.asarray(t), threshold=threshold,
                smoothing=smoothing, temperature=temperature, drop_above=drop_above)
  np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_threshold_zero_is_fkd(batch):
  """No crop is calibrated: the soft-label loss of FKD (kd, alpha 1, T 1); same gradients, values apart by
  the teacher's entropy."""
  s, t, y = (jnp.asarray(v) for v in batch)
  fer = lambda x: D.ferkd(x, y, teacher_outputs=t, threshold=0.0).sum()
  fkd = lambda x: D.kd(x, y, teacher_outputs=t, temperature=1.0, alpha=1.0).sum()
  np.testing.assert_allclose(jax.grad(fer)(s), jax.grad(fkd)(s), rtol=1e-5, atol=1e-6)
  p = jax.nn.softmax(t)
  np.testing.assert_allclose(fer(s) - fkd(s), -(p * jnp.log(p)).sum(), rtol=1e-5)


def test_threshold_one_is_smoothed_ce(batch):
  s, t, y = (jnp.asarray(v) for v in batch)
  from optax.losses import softmax_cross_entropy
  want = softmax_cross_entropy(s, 0.9 * jax.nn.one_hot(y, 5) + 0.1 / 5)
  np.testing.assert_allclose(D.ferkd(s, y, teacher_outputs=t, threshold=1.0, smoothing=0.1), want, rtol=1e-6)


def test_no_gradient_to_teacher_and_masks(batch):
  s, t, y = (jnp.asarray(v) for v in batch)
  g = jax.grad(lambda tt: D.ferkd(s, y, teacher_outputs=tt).sum())(t)
  assert not np.any(np.asarray(g))
  y2 = y.at[1].set(-1)
  v = D.ferkd(s, y2, teacher_outputs=t, where=jnp.arange(8) != 2)
  assert v[1] == 0 and v[2] == 0 and v[0] > 0


@pytest.mark.parametrize("kwargs,msg", [
    (dict(threshold=1.5), "threshold"), (dict(smoothing=-0.1), "smoothing"), (dict(temperature=0.0), "temperature"),
    (dict(drop_above=2.0), "drop_above")])
def test_bad_arguments(batch, kwargs, msg):
  s, t, y = (jnp.asarray(v) for v in batch)
  with pytest.raises(ValueError, match=msg):
    D.ferkd(s, y, teacher_outputs=t, **kwargs)
  with pytest.raises(ValueError, match="teacher_outputs"):
    D.ferkd(s, y, teacher_outputs=t[:, :3])


def test_declared():
  assert LOSSES.spec("ferkd").needs == ("teacher_outputs",)
  assert TRANSFORMS.get("region_crops") is region_crops


# ---- region crops and SelfMix ------------------------------------------------------------------------

def _data(n=6, length=12, channels=None):
  r = np.random.default_rng(0)
  shape = (n, length) if channels is None else (n, length, channels)
  return Dataset("toy", "train", {"x": r.normal(size=shape).astype(np.float32), "label": np.arange(n) % 3},
                 {"num_classes": 3})


def test_resized_crop_matches_interp():
  x = np.random.default_rng(1).normal(size=(4, 10))
  start, width = np.array([0, 3, 5, 2]), np.array([10, 4, 5, 7])
  got = resized_crop(x, start, width)
  for i in range(4):
    pos = np.clip(start[i] + (np.arange(10) + 0.5) * width[i] / 10 - 0.5, start[i], start[i] + width[i] - 1)
    np.testing.assert_allclose(got[i], np.interp(pos, np.arange(10), x[i]), rtol=1e-12)
  np.testing.assert_allclose(resized_crop(x, np.zeros(4, int), np.full(4, 10)), x)   # the whole window


def test_region_crops_shapes_and_records():
  d = _data(channels=2)
  out = region_crops(d, seed=5, copies=3, scale=(0.3, 0.8))
  assert out.arrays["x"].shape == (18, 12, 2)
  np.testing.assert_array_equal(out.arrays["label"], np.tile(d.arrays["label"], 3))
  np.testing.assert_array_equal(out.arrays["source_index"], np.tile(np.arange(6), 3))
  w = out.arrays["crop_width"]
  assert w.min() >= round(0.3 * 12) and w.max() <= round(0.8 * 12)
  assert np.all(out.arrays["crop_start"] + w <= 12)
  np.testing.assert_array_equal(out.arrays["selfmix_lambda"], 1.0)
  again = region_crops(d, seed=5, copies=3, scale=(0.3, 0.8))
  np.testing.assert_array_equal(out.arrays["x"], again.arrays["x"])
  assert not np.array_equal(out.arrays["x"], region_crops(d, seed=6, copies=3, scale=(0.3, 0.8)).arrays["x"])
  full = region_crops(d, seed=5, copies=1, scale=(1.0, 1.0))
  np.testing.assert_allclose(full.arrays["x"], d.arrays["x"])


def test_selfmix_mixes_within_an_example():
  d = _data(n=40, length=20)
  base = region_crops(d, seed=2, copies=1, scale=(1.0, 1.0), selfmix=0.0)
  mixed = region_crops(d, seed=2, copies=1, scale=(1.0, 1.0), selfmix=1.0)
  lam = mixed.arrays["selfmix_lambda"]
  # with full-window crops the second region is the same signal: mixing changes nothing but lambda
  np.testing.assert_allclose(mixed.arrays["x"], base.arrays["x"])
  assert np.all((lam >= 0) & (lam <= 1)) and (lam < 1).any()
  np.testing.assert_allclose(np.round((1 - lam) * 20), (1 - lam) * 20, atol=1e-6)   # a whole number of positions
  part = region_crops(d, seed=2, copies=1, scale=(0.3, 0.6), selfmix=0.5)
  np.testing.assert_array_equal(part.arrays["label"], d.arrays["label"])
  assert 0 < (part.arrays["selfmix_lambda"] < 1).mean() < 1


@pytest.mark.parametrize("kwargs,msg", [(dict(copies=0), "copies"), (dict(scale=(0.0, 1.0)), "scale"),
                                        (dict(scale=(0.8, 0.5)), "scale"), (dict(selfmix=1.5), "selfmix")])
def test_region_crops_bad_arguments(kwargs, msg):
  with pytest.raises(ValueError, match=msg):
    region_crops(_data(), seed=0, **kwargs)


def test_extreme_inputs_bf16_and_jit(batch):
  s, t, y = (jnp.asarray(v) for v in batch)
  big = D.ferkd(s * 1e4, y, teacher_outputs=t * 1e4, threshold=0.5)
  assert np.all(np.isfinite(np.asarray(big)))
  g = jax.grad(lambda x: D.ferkd(x, y, teacher_outputs=t * 1e4).sum())(s * 1e4)
  assert np.all(np.isfinite(np.asarray(g)))
  low = D.ferkd(s.astype(jnp.bfloat16), y, teacher_outputs=t.astype(jnp.bfloat16))
  assert low.dtype == jnp.float32
  np.testing.assert_allclose(low, D.ferkd(s, y, teacher_outputs=t), rtol=0.05, atol=0.05)
  jitted = jax.jit(lambda a, b, c: D.ferkd(a, b, teacher_outputs=c, threshold=0.3))(s, y, t)
  np.testing.assert_allclose(jitted, D.ferkd(s, y, teacher_outputs=t, threshold=0.3), rtol=1e-6)
