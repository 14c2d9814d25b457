"""Training-time calibration methods: the static mixup transform (lbrl.data.calibration_transforms)."""
import numpy as np
import pytest

from lbrl.data.calibration_transforms import mixup
from lbrl.data.core import Dataset


def _data(n=50, c=3, seed=0):
  rng = np.random.default_rng(seed)
  y = rng.integers(0, c, n)
  x = (np.eye(c)[y] * 10 + rng.normal(size=(n, c))).astype(np.float32)
  return Dataset("toy", "train", {"x": x, "label": y}, {"num_classes": c})


def test_mixup_makes_convex_combinations_with_matching_soft_labels():
  d = _data()
  m = mixup(d, seed=1, alpha=1.0, copies=3)
  x, y = m.arrays["x"], m.arrays["label"]
  assert x.shape == (150, 3) and y.shape == (150, 3) and y.dtype == np.float32
  np.testing.assert_allclose(y.sum(1), 1.0, rtol=1e-6)
  i, j, lam = m.arrays["mix_source"], m.arrays["mix_partner"], m.arrays["mix_lambda"]
  x0, e = d.arrays["x"], np.eye(3)[d.arrays["label"]]
  np.testing.assert_allclose(x, lam[:, None] * x0[i] + (1 - lam[:, None]) * x0[j], rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(y, lam[:, None] * e[i] + (1 - lam[:, None]) * e[j], atol=1e-6)
  np.testing.assert_array_equal(i, np.tile(np.arange(50), 3))
  again = mixup(d, seed=1, alpha=1.0, copies=3)
  np.testing.assert_array_equal(again.arrays["x"], x)          # pure given the seed
  assert len(mixup(d, seed=1, copies=2, keep_original=True).arrays["x"]) == 150
  assert m.meta["mixup"]["copies"] == 3


def test_mixup_lambda_distribution_is_beta():
  from scipy import stats
  m = mixup(_data(n=3000), seed=3, alpha=0.4, copies=1)
  assert stats.kstest(m.arrays["mix_lambda"], stats.beta(0.4, 0.4).cdf).pvalue > 0.01


def test_mixup_bad_input():
  d = _data()
  with pytest.raises(ValueError, match="alpha"):
    mixup(d, seed=0, alpha=0.0)
  with pytest.raises(ValueError, match="integer class labels"):
    mixup(Dataset("t", "train", {"x": d.arrays["x"], "label": np.eye(3)[d.arrays["label"]]}, {}), seed=0)


# ---------------------------------------------------------------- ACLS

def _acls64(z, y, alpha=0.1, lp=1.0, ln=0.1, m=10.0):
  """The authors' ACLS (cvlab-yonsei/ACLS calibrate/losses/acls.py) in float64 NumPy, batch mean."""
  from scipy import special
  z = np.asarray(z, np.float64)
  n, c = z.shape
  zmax = z.max(1, keepdims=True)
  ind = (z == zmax).astype(float)
  pos = (ind * np.maximum(zmax - m, 0) ** 2).sum() / n
  neg = ((1 - ind) * np.maximum(zmax - z - m, 0) ** 2).sum() / (n * (c - 1))
  ce = -np.mean(special.log_softmax(z, 1)[np.arange(n), y])
  return ce + alpha * (lp * pos + ln * neg)


def _acls_grad64(z, y, alpha=0.1, lp=1.0, ln=0.1, m=10.0):
  """d(batch-mean ACLS)/dz with the authors' stop-gradients (max detached in the negative term)."""
  from scipy import special
  n, c = z.shape
  g = (special.softmax(z, 1) - np.eye(c)[y]) / n
  zmax = z.max(1, keepdims=True)
  ind = (z == zmax).astype(float)
  g += alpha * lp * ind * 2 * np.maximum(zmax - m, 0) / n
  g += alpha * ln * (1 - ind) * (-2) * np.maximum(zmax - z - m, 0) / (n * (c - 1))
  return g


def test_acls_matches_the_authors_formula_and_gradient():
  import jax
  import jax.numpy as jnp
  from lbrl.losses.calibration import acls
  rng = np.random.default_rng(0)
  z = rng.normal(0, 8, (16, 5))
  z[0] = [25, -3, 0, 1, 2]                            # beyond the margin on both sides
  y = rng.integers(0, 5, 16)
  got = float(jnp.mean(acls(jnp.asarray(z, jnp.float32), jnp.asarray(y))))
  np.testing.assert_allclose(got, _acls64(z, y), rtol=1e-5)
  g = jax.grad(lambda a: jnp.mean(acls(a, jnp.asarray(y))))(jnp.asarray(z, jnp.float32))
  np.testing.assert_allclose(np.asarray(g), _acls_grad64(z, y), rtol=1e-4, atol=1e-6)
  kw = dict(alpha=0.3, pos_lambda=0.5, neg_lambda=2.0, margin=3.0)
  np.testing.assert_allclose(float(jnp.mean(acls(jnp.asarray(z, jnp.float32), jnp.asarray(y), **kw))),
                             _acls64(z, y, 0.3, 0.5, 2.0, 3.0), rtol=1e-5)
  small = jnp.asarray(np.clip(z, -4, 4), jnp.float32)  # inside the margin: plain cross-entropy
  from lbrl.losses.classification import cross_entropy
  np.testing.assert_allclose(acls(small, jnp.asarray(y)), cross_entropy(small, jnp.asarray(y)), rtol=1e-6)
  assert float(acls(small, jnp.asarray([-1] * 16))[0]) == 0.0   # ignore id
  bf = acls(jnp.asarray(z * 100, jnp.bfloat16), jnp.asarray(y))
  assert bool(jnp.all(jnp.isfinite(bf)))
  with pytest.raises(ValueError, match="margin"):
    acls(small, jnp.asarray(y), margin=-1.0)
