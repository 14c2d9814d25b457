"""TVR and LIR (variance_control_weight_rescaling) against a float64 NumPy transcription of the authors'
Lightning callback (github.com/bluorion-com/weight_rescaling, callbacks/tvr.py: rescale after the optimizer
step when step - last >= every and std / target > ratio_threshold, torch's unbiased std, mean kept)."""
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from lbrl.optim import norm_rescaling as R


def _reference(w0: dict, grads: list, lr: float, target: float, every: int, thr: float, depth: bool):
  """Plain SGD then the callback, on float64 copies."""
  w = {k: np.array(v, np.float64) for k, v in w0.items()}
  last = 0
  for step, g in enumerate(grads, 1):
    for k in w:
      w[k] = w[k] - lr * np.asarray(g[k], np.float64)
    if step - last >= every:
      for k in w:
        if not k.startswith("block_"):
          continue
        layer = int(k.split("/")[0].split("_")[1]) + 1
        t = target / np.sqrt(layer) if depth else target
        std, mean = w[k].std(ddof=1), w[k].mean()
        if std / t > thr:
          w[k] = (w[k] - mean) / std * t + mean
      last = step
  return w


@pytest.mark.parametrize("depth", [False, True])
def test_tvr_matches_callback(depth):
  rng = np.random.default_rng(0)
  shapes = {"block_0/mlp/kernel": (6, 5), "block_1/attn/kernel": (6, 2, 3), "embed/embedding": (7, 6)}
  w0 = {k: (0.05 * rng.standard_normal(s) + 0.01).astype(np.float32) for k, s in shapes.items()}
  grads = [{k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()} for _ in range(7)]
  tx = R.tvr_optimizer(optax.sgd(0.01), target_std=0.02, every=3, ratio_threshold=1.2, scale_with_depth=depth)
  params = {k: jnp.asarray(v) for k, v in w0.items()}
  state = tx.init(params)
  for g in grads:
    u, state = tx.update({k: jnp.asarray(v) for k, v in g.items()}, state, params)
    params = optax.apply_updates(params, u)
  ref = _reference(w0, grads, 0.01, 0.02, 3, 1.2, depth)
  for k in shapes:
    np.testing.assert_allclose(np.asarray(params[k]), ref[k], rtol=2e-5, atol=2e-6, err_msg=k)
  # after the last rescale (step 6) the block kernels were at their targets; the embedding never rescaled
  assert np.asarray(params["embed/embedding"]).std() > 0.04


def test_tvr_below_threshold_is_identity_and_checks():
  w = {"block_0/k/kernel": jnp.full((4, 4), 0.0) + 0.001 * jnp.arange(16.0).reshape(4, 4)}
  tx = R.tvr(target_std=0.02, every=1)
  u, _ = tx.update({"block_0/k/kernel": jnp.zeros((4, 4))}, tx.init(w), w)
  np.testing.assert_array_equal(np.asarray(u["block_0/k/kernel"]), 0.0)   # std 0.0048 < 1.2 * 0.02
  with pytest.raises(ValueError, match="every"):
    R.tvr(every=0)
  with pytest.raises(ValueError, match="target_std"):
    R.tvr(target_std=-1.0)
  with pytest.raises(ValueError, match="needs params"):
    tx.update(w, tx.init(w))
  with pytest.raises(ValueError, match="bias"):
    b = {"block_0/k": {"kernel": jnp.ones((2, 2)), "bias": jnp.ones(2)}}
    tx.update(b, tx.init(b), b)


def test_lir_std_and_transformer_init():
  assert R.lir_std(0.02, 4) == pytest.approx(0.01)
  assert R.lir_std(0.006, 9, 1.0) == pytest.approx(0.002)
  with pytest.raises(ValueError, match="1-based"):
    R.lir_std(0.02, 0)
  from lbrl.models.transformer import TransformerLM
  x = jnp.zeros((1, 8), jnp.int32)
  m = TransformerLM(vocab_size=11, num_layers=4, width=64, num_heads=2, lir=True)
  p = m.init(jax.random.key(0), x)["params"]
  base = TransformerLM(vocab_size=11, num_layers=4, width=64, num_heads=2).init(jax.random.key(0), x)["params"]
  for i in range(4):   # same draws, scaled by 1/sqrt(l): LIR changes only the std
    for path in (("mlp", "up", "kernel"), ("attn", "query", "kernel"), ("attn", "out", "kernel")):
      a, b = p[f"block_{i}"], base[f"block_{i}"]
      for k in path:
        a, b = a[k], b[k]
      np.testing.assert_allclose(np.asarray(a), np.asarray(b) * R.lir_std(1.0, i + 1), rtol=1e-6, atol=1e-9)
  np.testing.assert_array_equal(np.asarray(p["embed"]["embedding"]), np.asarray(base["embed"]["embedding"]))
