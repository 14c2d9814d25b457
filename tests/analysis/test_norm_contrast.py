"""contrast_invariance (instance_normalization's measured property) on hand-built contexts."""
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.analysis.context import AnalysisContext
from lbrl.analysis.norm_contrast import change_contrast, contrast_invariance


def _ctx(apply, x, labels, params):
  return AnalysisContext(cfg=None, model=None, params=params, model_state={}, init_params=params,
                         init_model_state={}, x=x, labels=labels, loss=None, apply=apply)


def test_change_contrast_keeps_each_mean_and_scales_deviations():
  x = np.random.default_rng(0).normal(size=(3, 4, 4, 2)) + np.arange(3)[:, None, None, None]
  y = change_contrast(x, 0.25)
  m = x.reshape(3, -1).mean(1)
  np.testing.assert_allclose(y.reshape(3, -1).mean(1), m, rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(y - y.reshape(3, -1).mean(1)[:, None, None, None],
                             0.25 * (x - m[:, None, None, None]), rtol=1e-4, atol=1e-5)
  with pytest.raises(ValueError, match="contrast factor"):
    change_contrast(x, 0.0)


def test_agreement_is_one_for_a_per_image_normalized_model_and_lower_for_a_raw_one():
  rng = np.random.default_rng(1)
  x = (rng.normal(size=(200, 6)) + 2.0).astype(np.float32)
  w = jnp.asarray(rng.normal(size=(6, 3)), jnp.float32)
  b = jnp.asarray([0.0, 3.0, -3.0], jnp.float32)
  labels = rng.integers(0, 3, 200)

  def normalized(p, x, train=False):    # instance normalization of the whole input: contrast-invariant
    z = (x - x.mean(-1, keepdims=True)) / x.std(-1, keepdims=True)
    return z @ p

  def raw(p, x, train=False):           # a bias makes the argmax depend on the contrast
    return x @ p + b
  out, extra = contrast_invariance(_ctx(normalized, x, labels, w), factors=(0.25, 4.0))
  assert out["agreement_c0.25"] == 1.0 and out["agreement_c4"] == 1.0
  assert out["acc_c0.25"] == out["clean_acc"] == pytest.approx(float(np.mean(np.argmax(normalized(w, x), -1) == labels)))
  assert extra == {"factors": [0.25, 4.0]}
  out, _ = contrast_invariance(_ctx(raw, x, labels, w), factors=(0.25,))
  want = np.mean(np.argmax(raw(w, change_contrast(x, 0.25)), -1) == np.argmax(raw(w, x), -1))
  assert out["agreement_c0.25"] == pytest.approx(float(want)) and want < 0.95
  with pytest.raises(ValueError, match="factors"):
    contrast_invariance(_ctx(raw, x, labels, w), factors=(-1.0,))
