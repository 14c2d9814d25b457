"""lbrl.quant.self_compressing: the quantizer against a NumPy transcription of the paper's formula, the size
penalty's gradient against the gradient of the explicit loss task + gamma Q, and the size statistics."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.quant import self_compressing as sc


def test_quantizer_matches_the_paper_formula():
  r = np.random.default_rng(0)
  w = r.standard_normal((6, 3)).astype(np.float32)
  b, e = np.array([3.0, 1.5, 0.0], np.float32), np.array([-2.0, -1.0, 0.0], np.float32)
  hi = 2.0 ** (b - 1)
  ref = 2.0 ** e * np.round(np.clip(w * 2.0 ** -e, -hi, hi - 1))
  ref[:, 2] = 0.0                                                         # b = 0: the channel is gone
  np.testing.assert_allclose(np.asarray(sc.quantize(jnp.asarray(w), jnp.asarray(b), jnp.asarray(e))), ref, atol=1e-6)
  # straight-through round: d q / d w = 1 inside the clip range, 0 outside
  g = jax.grad(lambda w: jnp.sum(sc.quantize(w, jnp.asarray(b), jnp.asarray(e))))(jnp.asarray(w))
  inside = (w * 2.0 ** -e >= -hi) & (w * 2.0 ** -e <= hi - 1)
  np.testing.assert_allclose(np.asarray(g), inside.astype(np.float32))


def test_size_penalty_gradient_is_the_gradient_of_gamma_q():
  model = sc.SelfCompressingMLP(num_classes=4, hidden=(8,), gamma=0.5)
  x = jnp.asarray(np.random.default_rng(1).standard_normal((5, 3)), jnp.float32)
  v = model.init(jax.random.key(0), x)
  with_pen = jax.grad(lambda p: jnp.sum(model.apply({"params": p}, x)))(v["params"])
  plain = sc.SelfCompressingMLP(num_classes=4, hidden=(8,), gamma=0.0)
  without = jax.grad(lambda p: jnp.sum(plain.apply({"params": p}, x)))(v["params"])
  n = 3 * 8 + 8 * 4
  for layer, fan_in in (("SelfCompressingDense_0", 3), ("SelfCompressingDense_1", 8)):
    diff = np.asarray(with_pen[layer]["bits"]) - np.asarray(without[layer]["bits"])
    np.testing.assert_allclose(diff, 0.5 * fan_in / n, rtol=1e-5)
    np.testing.assert_array_equal(np.asarray(with_pen[layer]["kernel"]), np.asarray(without[layer]["kernel"]))
  s = sc.compression_stats(v["params"])
  assert s == pytest.approx({"bits_per_weight": 8.0, "weights_remaining": 1.0, "channels_remaining": 1.0})
  p = jax.tree.map(lambda a: a, v["params"])
  p["SelfCompressingDense_0"]["bits"] = jnp.array([0.0] * 4 + [2.0] * 4)
  s = sc.compression_stats(p)
  assert s["weights_remaining"] == pytest.approx((4 * 3 + 32) / n)
  assert s["bits_per_weight"] == pytest.approx((4 * 3 * 2 + 32 * 8) / n)
  with pytest.raises(ValueError, match="gamma"):
    sc.SelfCompressingMLP(num_classes=4, gamma=-1.0).init(jax.random.key(0), x)
