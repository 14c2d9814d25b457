"""LOST's low-rank + channel-wise sparse linear layer (lbrl.models.lowrank_sparse, slug lost): the SVD split
against a float64 NumPy transcription, the layer equal at initialisation to the initial weight on the kept
channels and to its best rank-r approximation elsewhere, parameter counts matched to low-rank by construction,
and the transformer_lm switch (``linear``)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.models import lowrank_sparse as LS
from lbrl.models.transformer import TransformerLM

RNG = np.random.default_rng(0)


def _np_lost(w0, r, k):
  u, s, vt = np.linalg.svd(np.asarray(w0, np.float64), full_matrices=False)
  low = (u[:, :r] * s[:r]) @ vt[:r]
  resid = w0 - low
  idx = np.sort(np.argsort(-np.linalg.norm(resid, axis=0))[:k])
  return low, resid[:, idx], idx


def test_lost_factors_match_float64_svd_transcription():
  w0 = RNG.normal(size=(24, 16)) * 0.02
  a, b, s, idx = LS.lost_factors(jnp.asarray(w0, jnp.float32), 4, 5)
  low, s_want, idx_want = _np_lost(w0, 4, 5)
  np.testing.assert_allclose(np.asarray(a, np.float64) @ np.asarray(b, np.float64), low, atol=2e-6)
  np.testing.assert_array_equal(idx, idx_want)
  np.testing.assert_allclose(s, s_want, atol=2e-6)
  np.testing.assert_allclose(np.linalg.norm(a, axis=0), np.linalg.norm(b, axis=1), rtol=1e-4)  # sqrt(s) each side


@pytest.mark.parametrize("channels", [0, 3])
def test_layer_at_init_is_w0_on_kept_channels_and_its_rank_r_truncation_elsewhere(channels):
  draws = {}

  def init(key, shape, dtype):
    draws["w0"] = jax.random.normal(key, shape, dtype) * 0.02
    return draws["w0"]
  layer = LS.LowRankSparseDense(10, rank=3, channels=channels, kernel_init=init)
  x = jax.random.normal(jax.random.key(0), (4, 12))
  v = layer.init(jax.random.key(1), x)
  w0 = np.asarray(draws["w0"], np.float64)
  low, _, idx = _np_lost(w0, 3, channels)
  want = low.copy()
  want[:, idx] = w0[:, idx]
  chans = v["lost"]["channels"] if channels else None
  np.testing.assert_allclose(LS.effective_kernel(v["params"], chans), want, atol=2e-6)
  np.testing.assert_allclose(layer.apply(v, x), np.asarray(x, np.float64) @ want + np.asarray(v["params"]["bias"]),
                             atol=1e-5)
  assert ("S" in v["params"]) == bool(channels)


def test_budget_rank_matches_low_rank_parameter_counts():
  for fan_in, fan_out in [(64, 64), (64, 256), (256, 64), (512, 512), (48, 100)]:
    lowrank = LS.linear_parameter_count(fan_in, fan_out, {"rank": 0.25})
    lost = LS.linear_parameter_count(fan_in, fan_out, {"rank": 0.125, "budget_rank": 0.25})
    assert lowrank - fan_in < lost <= lowrank < fan_in * fan_out
  assert LS.linear_parameter_count(64, 64, {"rank": 0.125, "budget_rank": 0.25}) == 64 * 64 // 2
  layer = LS.LowRankSparseDense(40, rank=0.25, budget_rank=0.5, use_bias=False)
  v = layer.init(jax.random.key(0), jnp.ones((1, 20)))
  assert sum(p.size for p in jax.tree.leaves(v["params"])) == LS.linear_parameter_count(
      20, 40, {"rank": 0.25, "budget_rank": 0.5})


def test_bad_sizes_are_named():
  with pytest.raises(ValueError, match="rank must give at least 1"):
    LS.layer_sizes(16, 16, 0.01)
  with pytest.raises(ValueError, match="channels or budget_rank"):
    LS.layer_sizes(16, 16, 4, channels=2, budget_rank=8)
  with pytest.raises(ValueError, match="budget_rank"):
    LS.layer_sizes(16, 16, 8, budget_rank=4)
  with pytest.raises(ValueError, match="unknown low-rank"):
    LS.make_linear(8, {"rank": 2, "sparsity": 0.1})


def test_transformer_lm_switch_lost_equals_low_rank_parameters_below_full():
  x = jnp.zeros((1, 8), jnp.int32)
  count = {}
  for name, lin in [("full", ()), ("lowrank", (("rank", 0.25),)), ("lost", (("rank", 0.125), ("budget_rank", 0.25)))]:
    m = TransformerLM(vocab_size=11, num_layers=1, width=32, num_heads=2, max_len=8, positions="learned", linear=lin)
    v = jax.eval_shape(lambda: m.init(jax.random.key(0), x))
    count[name] = sum(int(np.prod(p.shape)) for p in jax.tree.leaves(v["params"]))
    assert ("lost" in v) == (name == "lost")
  assert count["lost"] == count["lowrank"] < count["full"]
  with pytest.raises(ValueError, match="linear needs attention='softmax'"):
    TransformerLM(vocab_size=11, num_layers=1, width=32, num_heads=2, linear=(("rank", 2),),
                  attention="sigmoid").init(jax.random.key(0), x)
