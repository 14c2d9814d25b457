"""Unified Normalization (unified_normalization_accelerating_stabilizing): the training forward and running
statistics against a float64 NumPy transcription of the authors' UN2dFunction.forward over several iterations
(window, geometric mean, warm-up, outlier filtration), and inference folded into the next dense layer equal to
the unfolded outputs."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.models.norm_unified import UnifiedNorm, fold_into_dense

EPS, MOM = 1e-5, 0.9


class _Reference:
  """The authors' forward (hikvision-research/Unified-Normalization, UN2dFunction.forward), float64."""

  def __init__(self, c, window, warmup, outlier):
    self.running, self.buffer = np.ones(c), np.zeros((window, c))
    self.it, self.w, self.warmup, self.outlier, self.skips = 0, window, warmup, outlier, 0

  def __call__(self, x, weight, bias):
    self.it += 1
    t, w = self.it, self.w
    skip = w <= 1
    x2 = (x * x).mean(0)
    recorded = np.var(np.sqrt(self.buffer), ddof=1)
    self.buffer[t % w] = x2
    if t >= self.warmup and self.outlier:
      am = self.buffer.mean(0)
      gm = np.exp(np.log(self.buffer).mean(0))
      if ((am - gm) > recorded * w).sum() > 0:
        self.buffer[t % w] = self.running
        skip = True
        self.skips += 1
    if t <= w or t < self.warmup or skip:
      var = x2
    else:
      var = np.exp(np.log(self.buffer).mean(0))
    z = x / np.sqrt(var + EPS)
    self.running = MOM * self.running + (1 - MOM) * var
    return weight * z + bias


@pytest.mark.parametrize("outlier", [False, True])
def test_training_forward_matches_the_authors(outlier):
  rng = np.random.default_rng(0)
  c, window, warmup = 3, 3, 5
  weight, bias = rng.normal(size=c) + 1, rng.normal(size=c) * 0.1
  ref = _Reference(c, window, warmup, outlier)
  m = UnifiedNorm(use_running_average=False, window_size=window, warmup_iters=warmup, outlier_filtration=outlier)
  x0 = jnp.ones((2, 4, c))
  variables = m.init(jax.random.key(0), x0)
  params = {"scale": jnp.asarray(weight, jnp.float32), "bias": jnp.asarray(bias, jnp.float32)}
  stats = variables["batch_stats"]
  scales = [1, 1.2, 0.8, 1.1, 0.9, 1, 1.05, 30.0, 1, 0.95]   # step 8 is an outlier batch
  for s in scales:
    x = rng.normal(size=(2, 4, c)) * s
    y, upd = m.apply({"params": params, "batch_stats": stats}, jnp.asarray(x, jnp.float32), mutable=["batch_stats"])
    stats = upd["batch_stats"]
    y_ref = ref(x.reshape(-1, c), weight, bias).reshape(x.shape)
    np.testing.assert_allclose(np.asarray(y), y_ref, rtol=2e-4, atol=2e-5)
    np.testing.assert_allclose(np.asarray(stats["running_var"]), ref.running, rtol=2e-4)
    np.testing.assert_allclose(np.asarray(stats["buffer_x2"]), ref.buffer, rtol=2e-4)
  assert float(stats["skips"]) == ref.skips
  if outlier:
    assert ref.skips >= 1   # the filtration was exercised


def test_eval_folds_into_the_next_dense_layer():
  rng = np.random.default_rng(1)
  c, out = 6, 5
  norm = UnifiedNorm()
  x = jnp.asarray(rng.normal(size=(4, 7, c)), jnp.float32)
  params = {"scale": jnp.asarray(rng.normal(size=c) + 1, jnp.float32), "bias": jnp.asarray(rng.normal(size=c), jnp.float32)}
  stats = {"running_var": jnp.asarray(rng.uniform(0.2, 3, c), jnp.float32), "buffer_x2": jnp.ones((4, c)),
           "iter": jnp.float32(9), "skips": jnp.float32(0)}
  dense = jax.random.normal(jax.random.key(2), (c, out)), jax.random.normal(jax.random.key(3), (out,))
  unfolded = norm.apply({"params": params, "batch_stats": stats}, x) @ dense[0] + dense[1]
  k, b = fold_into_dense(params, stats, *dense)
  np.testing.assert_allclose(np.asarray(x @ k + b), np.asarray(unfolded), rtol=1e-5, atol=1e-5)
  # a [D, H, Dh] attention kernel (DenseGeneral) folds the same way
  k3 = jax.random.normal(jax.random.key(4), (c, 2, 3))
  k3f, b3 = fold_into_dense(params, stats, k3)
  ref = jnp.einsum("btc,chd->bthd", norm.apply({"params": params, "batch_stats": stats}, x), k3)
  np.testing.assert_allclose(np.asarray(jnp.einsum("btc,chd->bthd", x, k3f) + b3), np.asarray(ref), rtol=1e-5, atol=1e-5)
  with pytest.raises(ValueError, match="channels"):
    fold_into_dense(params, stats, jnp.ones((c + 1, 2)))


def test_make_norm_unified_in_a_transformer():
  from lbrl.models.transformer import TransformerLM
  m = TransformerLM(vocab_size=11, num_layers=1, width=16, num_heads=2, norm="unified")
  x = jnp.zeros((2, 5), jnp.int32)
  v = m.init(jax.random.key(0), x)
  _, upd = m.apply(v, x, train=True, mutable=["batch_stats"])
  assert float(upd["batch_stats"]["block_0"]["ln1"]["iter"]) == 1.0
  assert m.apply(v, x).shape == (2, 5, 11)
