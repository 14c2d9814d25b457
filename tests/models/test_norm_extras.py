"""GPAS (gradient-preserving activation scaling) and Norm Loss against float64 NumPy transcriptions."""
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from lbrl.models.transformer import TransformerLM
from lbrl.optim import clipping


def test_gpas_scales_activations_and_preserves_their_gradient():
  m = TransformerLM(vocab_size=11, num_layers=2, width=16, num_heads=2, max_len=8, gpas=True)
  x = jnp.asarray(np.random.default_rng(0).integers(0, 11, (2, 8)))
  v = m.init(jax.random.key(0), x)
  assert float(v["params"]["block_0"]["gpas"]) == 0.0   # SiLU(0) = 0: the plain Pre-LN model at init
  plain = TransformerLM(vocab_size=11, num_layers=2, width=16, num_heads=2, max_len=8)
  p_plain = {k: ({n: w for n, w in b.items() if n != "gpas"} if k.startswith("block") else b)
             for k, b in v["params"].items()}
  np.testing.assert_allclose(m.apply(v, x), plain.apply({"params": p_plain}, x), rtol=1e-6)
  params = {**v["params"], "block_0": {**v["params"]["block_0"], "gpas": jnp.float32(1.0)}}
  g = jax.grad(lambda p: jnp.sum(m.apply({"params": p}, x) ** 2))(params)
  assert np.isfinite(float(g["block_0"]["gpas"])) and float(g["block_0"]["gpas"]) != 0.0


def test_gpas_gates_each_sub_layer_with_unscaled_gradients():
  """One gate ``x <- x - SiLU(a) sg(x)`` after EACH sub-layer (the authors' pre_gpas), c = 1 - SiLU(a).
  With the attention's output projection zeroed, x1 = c x and, LayerNorm being scale-invariant, the
  gated block gives c (x1 + M(LN(x))) = c^2 x + c (y - x) where y = x + M(LN(x)) is the plain block;
  through the stop-gradients the input gradient of sum(w * out) is w + (g - w) / c (g: the plain block's),
  not c^2 times it."""
  from lbrl.models._layers import Block
  x = jnp.asarray(np.random.default_rng(0).normal(size=(2, 5, 8)) * 3.0, jnp.float32)
  w = jnp.asarray(np.random.default_rng(1).normal(size=(2, 5, 8)), jnp.float32)
  gated, plain = Block(2, mlp_dim=16, gpas=True), Block(2, mlp_dim=16)
  v = gated.init(jax.random.key(2), x)["params"]
  v["attn"]["out"]["kernel"] = jnp.zeros_like(v["attn"]["out"]["kernel"])
  v["gpas"] = jnp.float32(0.7)
  pv = {k: b for k, b in v.items() if k != "gpas"}
  c = 1.0 - 0.7 / (1.0 + np.exp(-0.7))
  y, out = plain.apply({"params": pv}, x), gated.apply({"params": v}, x)
  np.testing.assert_allclose(out, c * c * x + c * (y - x), rtol=1e-4, atol=1e-4)
  g = jax.grad(lambda z: jnp.sum(w * plain.apply({"params": pv}, z)))(x)
  gg = jax.grad(lambda z: jnp.sum(w * gated.apply({"params": v}, z)))(x)
  np.testing.assert_allclose(gg, w + (g - w) / c, rtol=1e-3, atol=1e-4)
  with pytest.raises(ValueError, match="gpas"):
    Block(2, mlp_dim=16, gpas=True, placement="post").init(jax.random.key(0), x)


def test_norm_loss_value_and_gradient_match_float64_transcription():
  rng = np.random.default_rng(0)
  params = {"dense": {"kernel": rng.normal(size=(5, 3)), "bias": rng.normal(size=3)},
            "conv": {"kernel": rng.normal(size=(3, 3, 2, 4)) * 0.3}}
  lam = 0.7

  def np_loss(p):
    total = 0.0
    for w in (p["dense"]["kernel"], p["conv"]["kernel"]):
      n = np.sqrt((w.reshape(-1, w.shape[-1]) ** 2).sum(0))
      total += ((1 - n) ** 2).sum()
    return lam * total
  p32 = jax.tree.map(lambda a: jnp.asarray(a, jnp.float32), params)
  np.testing.assert_allclose(float(clipping.norm_loss_value(p32, lam)), np_loss(params), rtol=1e-5)
  tx = clipping.add_norm_loss(lam)
  zeros = jax.tree.map(jnp.zeros_like, p32)
  upd, _ = tx.update(zeros, tx.init(p32), p32)
  auto = jax.grad(lambda p: clipping.norm_loss_value(p, lam))(p32)
  for a, b in zip(jax.tree.leaves(upd), jax.tree.leaves(auto)):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
  assert float(jnp.abs(upd["dense"]["bias"]).max()) == 0.0   # vectors are not regularised
  # finite difference of the float64 transcription for one kernel entry
  e = 1e-6
  q = jax.tree.map(np.copy, params)
  q["conv"]["kernel"][1, 2, 0, 3] += e
  fd = (np_loss(q) - np_loss(params)) / e
  np.testing.assert_allclose(float(upd["conv"]["kernel"][1, 2, 0, 3]), fd, rtol=1e-3)


def test_sgd_norm_loss_pulls_filters_to_unit_norm_and_checks_args():
  w = {"k": jnp.asarray(np.random.default_rng(1).normal(size=(8, 4)) * 3, jnp.float32)}
  tx = clipping.sgd_norm_loss(0.05, momentum=0.0, norm_loss=1.0)
  s = tx.init(w)
  for _ in range(200):
    u, s = tx.update(jax.tree.map(jnp.zeros_like, w), s, w)
    w = optax.apply_updates(w, u)
  np.testing.assert_allclose(np.linalg.norm(np.asarray(w["k"]), axis=0), 1.0, atol=1e-3)
  with pytest.raises(ValueError, match="norm_loss"):
    clipping.sgd_norm_loss(0.1, norm_loss=-1.0)
