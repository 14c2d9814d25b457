"""lbrl.models.norm and the zoo's norm switch: float64 NumPy transcriptions of each layer (forward and
gradient), the Pre-LN -> Pre-RMSNorm conversion (equal outputs and gradients), Fixup and branch scaling
at init, AGC against a transcription of the paper's rule, and the defaults that must not change."""
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from lbrl.optim import clipping
import optax
import pytest

from lbrl.models import _layers as L
from lbrl.models import norm as N
from lbrl.models.simple import ResMLP
from lbrl.models.transformer import TransformerLM

jax.config.update("jax_enable_x64", False)
RNG = np.random.default_rng(0)


def _fwd_grad(module, x, cot):
  """Output and input-gradient of <module(x), cot> (params from init, scales perturbed)."""
  v = module.init(jax.random.key(0), x)
  v = jax.tree.map(lambda p: p + 0.3 * jax.random.normal(jax.random.key(7), p.shape), v)
  y = module.apply(v, x)
  g = jax.grad(lambda x: jnp.sum(module.apply(v, x) * cot))(x)
  return np.asarray(y, np.float64), np.asarray(g, np.float64), jax.tree.map(lambda a: np.asarray(a, np.float64), v)


def _num_grad(f, x, cot, h=1e-6):
  g = np.zeros_like(x)
  for i in np.ndindex(x.shape):
    e = np.zeros_like(x)
    e[i] = h
    g[i] = (np.sum(f(x + e) * cot) - np.sum(f(x - e) * cot)) / (2 * h)
  return g


def np_layer(x, s, b, eps=1e-6):
  mu = x.mean(-1, keepdims=True)
  return (x - mu) / np.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + eps) * s + b


def np_rms(x, s, eps=1e-6):
  return x / np.sqrt((x ** 2).mean(-1, keepdims=True) + eps) * s


def np_crms(z, s, eps=1e-6):
  d = z.shape[-1] + 1
  return z / np.sqrt(((z ** 2).sum(-1, keepdims=True) + z.sum(-1, keepdims=True) ** 2) / d + eps) * s


def np_scale(x, g, eps=1e-5):
  return g * x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), eps)


@pytest.mark.parametrize("kind", ["layer", "rms", "crms", "scale"])
def test_forward_and_gradient_match_float64_transcription(kind):
  x64 = RNG.normal(size=(3, 6)) * 2 + 0.5
  cot = RNG.normal(size=(3, 6))
  y, g, v = _fwd_grad(N.make_norm(kind), jnp.asarray(x64, jnp.float32), jnp.asarray(cot, jnp.float32))
  p = v["params"]
  ref = {"layer": lambda x: np_layer(x, p["scale"], p["bias"]), "rms": lambda x: np_rms(x, p["scale"]),
         "crms": lambda x: np_crms(x, p["scale"]), "scale": lambda x: np_scale(x, p["scale"])}[kind]
  np.testing.assert_allclose(y, ref(x64), rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(g, _num_grad(ref, x64, cot), rtol=1e-4, atol=1e-4)


def test_crmsnorm_is_rmsnorm_of_the_decompressed_zero_mean_vector():
  x = RNG.normal(size=(4, 9))
  x = x - x.mean(-1, keepdims=True)
  z = jnp.asarray(N.compress(x), jnp.float32)
  np.testing.assert_allclose(N.decompress(z), x, atol=1e-6)
  crms = N.CRMSNorm(use_scale=False).apply({}, z)
  rms = nn.RMSNorm(use_scale=False).apply({}, jnp.asarray(x, jnp.float32))
  np.testing.assert_allclose(crms, N.compress(rms), rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(N.decompress(crms), rms, rtol=1e-5, atol=1e-5)  # lossless


def test_scalenorm_init_and_fixnorm():
  v = N.ScaleNorm().init(jax.random.key(0), jnp.ones((2, 16)))
  assert float(v["params"]["scale"]) == pytest.approx(4.0)  # sqrt(d)
  e = N.fixnorm(jnp.asarray(RNG.normal(size=(5, 8)), jnp.float32), length=3.0)
  np.testing.assert_allclose(np.linalg.norm(e, axis=-1), 3.0, rtol=1e-6)


def test_make_norm_reuses_flax_and_rejects_unknown_names():
  assert type(N.make_norm("layer")) is nn.LayerNorm and type(N.make_norm("rms")) is nn.RMSNorm
  # flax's GroupNorm / InstanceNorm, guarded against one-element statistics (test_norm_flax_layers)
  assert type(N.make_norm("group")).__mro__[1] is nn.GroupNorm and type(N.make_norm("instance")).__mro__[1] is nn.InstanceNorm
  assert N.make_norm("batch", train=True).use_running_average is False
  with pytest.raises(ValueError, match="unknown norm 'bn'"):
    N.make_norm("bn")
  with pytest.raises(ValueError, match="placement"):
    N.check_placement("middle")


def test_scaled_weight_standardization_matches_transcription():
  w = RNG.normal(size=(3, 3, 4, 5)) * 0.7 + 0.2
  gain = RNG.uniform(0.5, 2.0, size=5)
  fan_in = 3 * 3 * 4
  ref = (w - w.mean((0, 1, 2))) / np.sqrt(np.maximum(w.var((0, 1, 2)) * fan_in, 1e-4)) * gain
  out = N.standardize_weight(jnp.asarray(w, jnp.float32), jnp.asarray(gain, jnp.float32))
  np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6)
  plain = np.asarray(N.standardize_weight(jnp.asarray(w, jnp.float32)))
  np.testing.assert_allclose(plain.mean((0, 1, 2)), 0, atol=1e-6)
  np.testing.assert_allclose(plain.var((0, 1, 2)) * fan_in, 1, rtol=1e-4)  # variance 1/fan_in
  conv = N.ScaledStdConv(5, (3, 3))
  x = jnp.asarray(RNG.normal(size=(2, 6, 6, 4)), jnp.float32)
  v = conv.init(jax.random.key(0), x)
  k = N.standardize_weight(v["params"]["kernel"], v["params"]["gain"])
  plain_conv = nn.Conv(5, (3, 3)).apply({"params": {"kernel": k, "bias": v["params"]["bias"]}}, x)
  np.testing.assert_allclose(conv.apply(v, x), plain_conv, rtol=1e-5, atol=1e-5)
  # the paper's point: with SWS and the ReLU gain, a stack keeps unit activation scale (no mean growth)
  y = x
  for i in range(10):
    c = N.ScaledStdConv(8, (3, 3), use_bias=False)
    y = N.RELU_GAMMA * nn.relu(c.apply(c.init(jax.random.key(i), y), y))
  assert 0.5 < float(jnp.mean(y ** 2)) < 2.0


def _np_agc(g, w, clip, eps):
  """Brock et al. (2021), eq. (3), unit-wise over the output units (the last axis of a kernel)."""
  axes = tuple(range(g.ndim - 1)) if g.ndim > 1 else None
  gn = np.sqrt((g ** 2).sum(axes, keepdims=g.ndim > 1))
  wn = np.maximum(np.sqrt((w ** 2).sum(axes, keepdims=w.ndim > 1)), eps)
  return np.where(gn / wn > clip, clip * wn / np.maximum(gn, 1e-6) * g, g)


def test_agc_matches_the_papers_rule_and_leaves_the_head_alone():
  params = {"dense": {"kernel": RNG.normal(size=(4, 3)), "bias": np.zeros(3)},
            "head": {"kernel": RNG.normal(size=(3, 2))}}
  grads = {"dense": {"kernel": RNG.normal(size=(4, 3)) * [[0.001, 1.0, 10.0]], "bias": RNG.normal(size=3)},
           "head": {"kernel": RNG.normal(size=(3, 2)) * 100}}
  f32 = lambda t: jax.tree.map(lambda a: jnp.asarray(a, jnp.float32), t)
  tx = clipping.agc(0.05, 1e-3)
  out, _ = tx.update(f32(grads), tx.init(f32(params)), f32(params))
  np.testing.assert_allclose(out["dense"]["kernel"], _np_agc(grads["dense"]["kernel"], params["dense"]["kernel"],
                                                             0.05, 1e-3), rtol=1e-5)
  np.testing.assert_allclose(out["dense"]["bias"], _np_agc(grads["dense"]["bias"], params["dense"]["bias"],
                                                           0.05, 1e-3), rtol=1e-5)
  np.testing.assert_allclose(out["head"]["kernel"], grads["head"]["kernel"], rtol=1e-6)  # excluded
  assert not np.allclose(out["dense"]["kernel"][:, 2], grads["dense"]["kernel"][:, 2])  # clipped unit
  np.testing.assert_allclose(out["dense"]["kernel"][:, 0], grads["dense"]["kernel"][:, 0], rtol=1e-6)  # not
  with pytest.raises(ValueError, match="clipping"):
    clipping.agc(0.0)
  opt = clipping.sgd_agc(0.1, clipping=0.05)
  upd, _ = opt.update(f32(grads), opt.init(f32(params)), f32(params))
  assert np.all(np.isfinite(optax.global_norm(upd)))


def test_residual_scale_and_fixup_values():
  assert N.residual_scale_value("1/sqrt(L)", 16) == 0.25 and N.residual_scale_value("1/L", 4) == 0.25
  assert N.fixup_branch_scale(16, 2) == 0.25 and N.fixup_branch_scale(8, 3) == pytest.approx(8 ** -0.25)
  with pytest.raises(ValueError, match="residual_scale"):
    N.residual_scale_value("sqrt", 4)
  with pytest.raises(ValueError, match="fixup"):
    N.fixup_branch_scale(4, 1)


def _stream_var_ratio(depth, **kw):
  m = ResMLP(num_classes=2, width=128, depth=depth, **kw)
  x = jnp.asarray(RNG.normal(size=(128, 32)), jnp.float32)
  v = jax.jit(m.init)(jax.random.key(0), x)
  _, st = jax.jit(lambda v, x: m.apply(v, x, mutable=["intermediates"]))(v, x)
  h = st["intermediates"]["blocks"]["residual"][0]
  stem = x @ v["params"]["stem"]["kernel"] + v["params"]["stem"]["bias"]
  return float(jnp.mean(h[-1] ** 2) / jnp.mean(stem ** 2)), st, v


def test_resmlp_signal_propagation_at_init():
  # pre-activation He-initialised branches double the second moment per block: (1 + a^2)^L
  r, _, _ = _stream_var_ratio(12)
  assert 2 ** 12 / 3 < r < 2 ** 12 * 3
  r, _, _ = _stream_var_ratio(12, residual_scale="1/sqrt(L)")
  assert (1 + 1 / 12) ** 12 / 1.5 < r < (1 + 1 / 12) ** 12 * 1.5  # bounded by e
  # Fixup: every branch is the identity at init (last layer zero), the logits are zero
  r, st, v = _stream_var_ratio(12, init_scheme="fixup")
  assert r == pytest.approx(1.0, rel=1e-6)
  assert float(jnp.abs(v["params"]["head"]["kernel"]).max()) == 0.0
  w1 = np.asarray(v["params"]["blocks"]["dense1"]["kernel"])
  assert np.std(w1) == pytest.approx(np.sqrt(2 / 128) * 12 ** -0.5, rel=0.05)  # He * L^(-1/2)


def test_resmlp_options_and_errors():
  x = jnp.ones((2, 5))
  for kw in [dict(norm="layer"), dict(norm="batch", placement="post"), dict(norm="rms", placement="sandwich")]:
    m = ResMLP(num_classes=3, width=8, depth=3, **kw)
    y = jax.jit(lambda x: m.apply(m.init(jax.random.key(0), x), x, train=True, mutable=["batch_stats"])[0])(x)
    assert y.shape == (2, 3) and bool(jnp.all(jnp.isfinite(y)))
  with pytest.raises(ValueError, match="init_scheme"):
    ResMLP(num_classes=3, init_scheme="xavier").init(jax.random.key(0), x)
  with pytest.raises(ValueError, match="normalization-free"):
    ResMLP(num_classes=3, init_scheme="fixup", norm="layer").init(jax.random.key(0), x)


def test_block_default_is_the_pre_ln_block_and_placements():
  x = jnp.asarray(RNG.normal(size=(2, 5, 8)), jnp.float32)
  v = L.Block(2, mlp_dim=16).init(jax.random.key(0), x)
  assert sorted(v["params"]) == ["attn", "ln1", "ln2", "mlp"] and type(L.Block(2, mlp_dim=16).norm) is str
  assert sorted(v["params"]["ln1"]) == ["scale"]
  # residual_scale 0: the block is the identity; post-LN: each token's output is normalised
  np.testing.assert_allclose(L.Block(2, mlp_dim=16, residual_scale=0.0).apply(v, x), x)
  y = L.Block(2, mlp_dim=16, placement="post").apply(v, x)
  np.testing.assert_allclose(jnp.mean(y, -1), 0, atol=1e-5)
  np.testing.assert_allclose(jnp.var(y, -1), 1, rtol=1e-3)
  vs = L.Block(2, mlp_dim=16, placement="sandwich", norm="rms").init(jax.random.key(0), x)
  assert sorted(vs["params"]) == ["attn", "ln1", "ln1_post", "ln2", "ln2_post", "mlp"]


def test_transformer_default_tree_unchanged_and_layernorm_scaling():
  x = jnp.arange(16).reshape(2, 8) % 11
  m = TransformerLM(vocab_size=11, num_layers=2, num_heads=2, width=16)
  v = m.init(jax.random.key(0), x)
  assert sorted(v["params"]) == ["block_0", "block_1", "embed", "ln_f"]
  assert L.count_params(v["params"]) == 11 * 16 + 2 * (12 * 16 ** 2 + 2 * 16) + 16  # the documented count
  scaled = TransformerLM(vocab_size=11, num_layers=2, num_heads=2, width=16, layernorm_scaling=True)
  assert not np.allclose(scaled.apply(v, x), m.apply(v, x))
  post = TransformerLM(vocab_size=11, num_layers=2, num_heads=2, width=16, placement="post")
  assert "ln_f" not in post.init(jax.random.key(0), x)["params"]


def test_preln_to_prermsnorm_equal_outputs_and_gradients():
  kw = dict(vocab_size=7, num_layers=2, num_heads=2, width=8, positions="learned", max_len=6, mlp_ratio=2)
  ln, rms = TransformerLM(**kw), TransformerLM(**kw, norm="rms", tie_embeddings=False)
  x = jnp.asarray(RNG.integers(0, 7, size=(2, 6)))
  p = ln.init(jax.random.key(0), x)["params"]
  p = jax.tree.map(lambda a: a * (1 + 0.5 * jax.random.normal(jax.random.key(1), a.shape)), p)  # gains != 1
  q = N.preln_to_prermsnorm(p, num_layers=2)
  assert jax.tree_util.tree_structure(q) == jax.tree_util.tree_structure(rms.init(jax.random.key(0), x)["params"])
  np.testing.assert_allclose(rms.apply({"params": q}, x), ln.apply({"params": p}, x), rtol=1e-4, atol=1e-4)

  def loss(logits):
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits[:, :-1], x[:, 1:]))
  g_ln = jax.jit(jax.grad(lambda p: loss(ln.apply({"params": p}, x))))(p)
  g_conv = jax.jit(jax.grad(lambda p: loss(rms.apply({"params": N.preln_to_prermsnorm(p, num_layers=2)}, x))))(p)
  for a, b in zip(jax.tree.leaves(g_ln), jax.tree.leaves(g_conv)):
    np.testing.assert_allclose(b, a, rtol=2e-3, atol=2e-5)
  with pytest.raises(ValueError, match="bias-free"):
    N.preln_to_prermsnorm(TransformerLM(**kw, use_bias=True).init(jax.random.key(0), x)["params"], num_layers=2)


def test_resnet_takes_any_norm_and_keeps_batchnorm_default():
  from lbrl.models.resnet import ResNet
  x = jnp.asarray(RNG.normal(size=(2, 8, 8, 3)), jnp.float32)
  v = jax.jit(ResNet(num_classes=3, depth=8, width=4).init)(jax.random.key(0), x)
  assert sorted(v["params"]["stem_norm"]) == ["bn"] and sorted(v["batch_stats"]["stem_norm"]) == ["bn"]
  m = ResNet(num_classes=3, depth=8, width=8, norm="evonorm_s0")
  v = jax.jit(m.init)(jax.random.key(0), x)
  assert sorted(v["params"]["stage0_block0"]["norm1"]["evonorm_s0"]) == ["bias", "scale", "v"]
  with pytest.raises(ValueError, match="ResNet.norm"):
    ResNet(num_classes=3, depth=8, norm="bn").init(jax.random.key(0), x)


def test_scaled_ws_removes_the_mean_shift_of_relu_networks():
  # Brock, De & Smith (2021), Section 3 / Figure 2: in He-initialised ReLU networks the channel means of the
  # activations drift away from 0 with depth (mean shift); Scaled WS (zero-mean rows, variance 1/N, ReLU
  # gain) keeps them at 0 and the second moment at ~1.
  x = jnp.asarray(RNG.normal(size=(512, 128)), jnp.float32)

  def stack(ws: bool):
    h = x
    for i in range(20):
      w = jax.random.normal(jax.random.key(i), (128, 128)) * np.sqrt(2 / 128)
      if ws:
        h = h @ N.standardize_weight(w)
        shift = jnp.mean(jnp.mean(h, 0) ** 2) / jnp.mean(h ** 2)
        h = N.RELU_GAMMA * jax.nn.relu(h)
      else:
        h = h @ w
        shift = jnp.mean(jnp.mean(h, 0) ** 2) / jnp.mean(h ** 2)
        h = jax.nn.relu(h)
    return float(shift), float(jnp.mean(h ** 2))
  plain_shift, _ = stack(False)
  ws_shift, ws_moment = stack(True)
  assert plain_shift > 0.2  # a large part of the signal is a per-channel constant
  assert ws_shift < 0.02 and 0.5 < ws_moment < 2.0
