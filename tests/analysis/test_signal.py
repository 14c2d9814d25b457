"""lbrl.analysis.signal: the diagnostics called directly on captured intermediates and gradients of the
zoo's models, compared with NumPy computations of the same quantities."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.analysis import signal
from lbrl.models.simple import ResMLP
from lbrl.models.transformer import TransformerLM

RNG = np.random.default_rng(0)


def _resmlp_case(depth=6, **kw):
  m = ResMLP(num_classes=3, width=16, depth=depth, **kw)
  x = jnp.asarray(RNG.normal(size=(32, 10)), jnp.float32)

  @jax.jit
  def run(x):
    v = m.init(jax.random.key(0), x)
    _, inter = m.apply(v, x, capture_intermediates=True, mutable=["intermediates"])
    grads = jax.grad(lambda p: jnp.sum(m.apply({"params": p}, x) ** 2))(v["params"])
    return v["params"], grads, inter
  return run(x)


def _call(fn, params, grads, inter):
  return {k: float(v) for k, v in fn(params=params, grads=grads, updates=grads, intermediates=inter,
                                     loss=jnp.float32(0)).items()}


def test_resmlp_variance_norm_and_max_match_numpy():
  params, grads, inter = _resmlp_case()
  h = np.asarray(inter["intermediates"]["blocks"]["residual"][0], np.float64)  # [depth, B, W]
  var = h.reshape(h.shape[0], -1).var(-1)
  out = _call(signal.activation_variance, params, grads, inter)
  np.testing.assert_allclose([out["first"], out["last"], out["max"], out["ratio"]],
                             [var[0], var[-1], var.max(), var[-1] / var[0]], rtol=1e-4)
  norms = np.linalg.norm(h, axis=-1).mean(-1)
  out = _call(signal.residual_norm_growth, params, grads, inter)
  np.testing.assert_allclose([out["first"], out["last"]], [norms[0], norms[-1]], rtol=1e-4)
  out = _call(signal.max_activation, params, grads, inter)
  np.testing.assert_allclose([out["max"], out["last"]], [np.abs(h).max(), np.abs(h[-1]).max()], rtol=1e-6)
  # without residual scaling the stream grows with depth; with 1/sqrt(L) far less
  assert _call(signal.activation_variance, params, grads, inter)["ratio"] > 8  # ~2^(depth-1) = 32
  assert _call(signal.activation_variance, *_resmlp_case(residual_scale="1/sqrt(L)"))["ratio"] < 3  # ~e^(5/6)


def test_layer_gradient_norms_match_numpy():
  params, grads, inter = _resmlp_case()
  b = grads["blocks"]
  per = np.sqrt(sum((np.asarray(g, np.float64).reshape(g.shape[0], -1) ** 2).sum(-1)
                    for g in jax.tree.leaves(b)))
  total = np.sqrt(sum((np.asarray(g, np.float64) ** 2).sum() for g in jax.tree.leaves(grads)))
  out = _call(signal.layer_gradient_norms, params, grads, {})
  np.testing.assert_allclose([out["first"], out["last"], out["max"], out["total"]],
                             [per[0], per[-1], per.max(), total], rtol=1e-4)


def test_transformer_blocks_and_attention_entropy():
  m = TransformerLM(vocab_size=7, num_layers=3, num_heads=2, width=8)
  x = jnp.asarray(RNG.integers(0, 7, size=(2, 6)))

  @jax.jit
  def run(x):
    v = m.init(jax.random.key(0), x)
    # zero query/key kernels: uniform causal attention, entropy log(t + 1) at position t
    p = jax.tree_util.tree_map_with_path(
        lambda path, a: jnp.zeros_like(a) if any(getattr(k, "key", "") in ("query", "key") for k in path) else a,
        v["params"])
    _, inter = m.apply({"params": p}, x, capture_intermediates=True, mutable=["intermediates"])
    grads = jax.grad(lambda q: jnp.sum(m.apply({"params": q}, x) ** 2))(v["params"])
    return p, inter, grads
  p, inter, grads = run(x)
  out = _call(signal.attention_entropy, p, p, inter)
  want = np.mean(np.log(np.arange(1, 7)))
  np.testing.assert_allclose([out["first"], out["last"], out["min"]], [want] * 3, rtol=1e-5)
  blocks = signal.residual_stream(inter)
  assert len(blocks) == 3 and blocks[0].shape == (2, 6, 8)
  np.testing.assert_allclose(blocks[-1], inter["intermediates"]["block_2"]["__call__"][0])
  out = _call(signal.layer_gradient_norms, p, grads, {})
  want_first = np.sqrt(sum((np.asarray(g, np.float64) ** 2).sum() for g in jax.tree.leaves(grads["block_0"])))
  np.testing.assert_allclose(out["first"], want_first, rtol=1e-4)


def test_missing_layers_and_loss_spikes():
  assert _call(signal.activation_variance, {}, {}, {}) == {"missing": 1.0}
  curve = np.concatenate([np.linspace(3, 1, 100), [5.0], np.full(20, 1.0), [np.nan], np.full(5, 1.0)])
  assert signal.loss_spikes(curve) == 2
  assert signal.loss_spikes(np.linspace(3, 1, 100)) == 0
  with pytest.raises(ValueError, match="factor"):
    signal.loss_spikes(curve, factor=1.0)
