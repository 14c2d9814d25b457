"""The zoo's norm switches (issue 17, "every module is selectable by config in the zoo's models"): the group
size of GroupNorm / EvoNorm-S0 in ResNet and CNN1D, CNN1D's norm, ViT's norm_options, the layer-normalized
GRU, each against a float64 NumPy transcription; then every model x every norm builds and one gradient step
lowers its loss (eager, tiny shapes: no compilation)."""
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.models import norm as N
from lbrl.models.resnet import ResNet, _Norm
from lbrl.models.simple import CNN1D, GRU, MLP, NormGRUCell
from lbrl.models.vit import ViT

RNG = np.random.default_rng(0)


def _perturb(v, scale=0.3):
  return jax.tree.map(lambda a: a + scale * jax.random.normal(jax.random.key(5), a.shape, a.dtype), v)


def _np_group_norm(x, groups, eps=1e-6):
  """(x - mean) / sqrt(var + eps) over the spatial axes and the channels of each group (Wu & He, 2018)."""
  c = x.shape[-1]
  g = x.reshape(x.shape[:-1] + (groups, c // groups))
  axes = tuple(range(1, x.ndim - 1)) + (x.ndim,)
  mu, var = g.mean(axes, keepdims=True), g.var(axes, keepdims=True)
  return ((g - mu) / np.sqrt(var + eps)).reshape(x.shape)


def _np_layer(x, s, b, eps=1e-6):
  mu = x.mean(-1, keepdims=True)
  return (x - mu) / np.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + eps) * s + b


def test_group_count():
  assert N.group_count(8) == 8 and N.group_count(64) == 32          # min(32, C): the papers' 32 groups
  assert N.group_count(8, group_size=4) == 2 and N.group_count(64, group_size=4) == 16
  with pytest.raises(ValueError, match="norm_group_size=3"):
    N.group_count(8, group_size=3)
  with pytest.raises(ValueError, match="group_size"):
    N.group_count(8, group_size=-1)


@pytest.mark.parametrize("kind", ["group", "evonorm_s0"])
def test_resnet_norm_group_size_sets_the_groups(kind):
  x = jnp.asarray(RNG.normal(size=(2, 3, 3, 8)) * 2 + 1, jnp.float32)
  m = _Norm(kind, True, group_size=4)      # 8 channels in groups of 4: 2 groups (min(32, C) would give 8)
  v = _perturb(m.init(jax.random.key(0), x))
  p = jax.tree.map(lambda a: np.asarray(a, np.float64), v["params"][kind])
  x64 = np.asarray(x, np.float64)
  if kind == "group":
    want = _np_group_norm(x64, 2) * p["scale"] + p["bias"]
  else:   # EvoNorm-S0: x sigmoid(v x) / sqrt(group_var + eps) gamma + beta (eps 1e-5)
    g = x64.reshape(2, 3, 3, 2, 4)
    var = np.broadcast_to(g.var(axis=(1, 2, 4), keepdims=True), g.shape).reshape(x64.shape)
    want = x64 / (1 + np.exp(-p["v"] * x64)) / np.sqrt(var + 1e-5) * p["scale"] + p["bias"]
  np.testing.assert_allclose(m.apply(v, x), want, rtol=1e-4, atol=1e-5)
  img = jnp.zeros((1, 8, 8, 1))
  with pytest.raises(ValueError, match="norm_group_size=3"):
    ResNet(num_classes=3, depth=8, width=8, norm=kind, norm_group_size=3).init(jax.random.key(0), img)


def test_cnn1d_norm_is_conv_norm_relu_and_default_unchanged():
  x = jnp.asarray(RNG.normal(size=(3, 9)), jnp.float32)
  plain = CNN1D(num_classes=4, channels=6, kernel_sizes=(3,)).init(jax.random.key(0), x)["params"]
  assert sorted(plain) == ["Conv_0", "Dense_0"]      # norm="none": the parameter tree of before
  m = CNN1D(num_classes=4, channels=6, kernel_sizes=(3,), norm="group", norm_group_size=3)
  v = _perturb(m.init(jax.random.key(0), x))
  p = jax.tree.map(lambda a: np.asarray(a, np.float64), v["params"])
  # conv: kernel 3, stride 2, padding 1 each side: 9 -> 5 positions
  xp = np.pad(np.asarray(x, np.float64), ((0, 0), (1, 1)))
  win = np.stack([xp[:, 2 * t:2 * t + 3] for t in range(5)], 1)                        # [B, 5, 3]
  h = np.einsum("btk,kc->btc", win, p["Conv_0"]["kernel"][:, 0, :]) + p["Conv_0"]["bias"]
  h = _np_group_norm(h, 2) * p["norm_0"]["scale"] + p["norm_0"]["bias"]               # 6 channels / 3
  want = np.maximum(h, 0).reshape(3, -1) @ p["Dense_0"]["kernel"] + p["Dense_0"]["bias"]
  np.testing.assert_allclose(m.apply(v, x), want, rtol=1e-4, atol=1e-5)


def test_vit_norm_options_reach_every_norm():
  x = jnp.zeros((2, 8, 8, 1))
  m = ViT(num_classes=3, patch_size=4, width=8, depth=2, num_heads=2, mlp_dim=16, norm_options={"use_scale": False})
  p = jax.eval_shape(m.init, jax.random.key(0), x)["params"]
  norms = [p["ln_f"]] + [p[f"block_{i}"][n] for i in range(2) for n in ("ln1", "ln2")]
  assert all(sorted(n) == ["bias"] for n in norms)
  assert sorted(jax.eval_shape(ViT(num_classes=3, patch_size=4, width=8, depth=1, num_heads=2, mlp_dim=16).init,
                               jax.random.key(0), x)["params"]["ln_f"]) == ["bias", "scale"]


def test_layer_normalized_gru_cell_matches_transcription():
  x = jnp.asarray(RNG.normal(size=(2, 3)), jnp.float32)
  h = jnp.asarray(RNG.normal(size=(2, 4)), jnp.float32)
  cell = NormGRUCell(4, norm="layer")
  v = _perturb(cell.init(jax.random.key(0), h, x))
  p = jax.tree.map(lambda a: np.asarray(a, np.float64), v["params"])
  x64, h64 = np.asarray(x, np.float64), np.asarray(h, np.float64)
  pre = lambda name, z: _np_layer(z @ p[name]["kernel"], p[f"norm_{name}"]["scale"], p[f"norm_{name}"]["bias"])
  sig = lambda z: 1 / (1 + np.exp(-z))
  r = sig(pre("ir", x64) + pre("hr", h64))
  z = sig(pre("iz", x64) + pre("hz", h64))
  n = np.tanh(pre("in", x64) + r * pre("hn", h64))
  new_h, out = cell.apply(v, h, x)
  np.testing.assert_allclose(new_h, (1 - z) * n + z * h64, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(out, new_h)
  seq = jnp.zeros((2, 5))
  assert "norm_ir" not in str(jax.eval_shape(GRU(num_classes=3, hidden=4).init, jax.random.key(0), seq))
  with pytest.raises(ValueError, match="NormGRUCell.norm"):
    GRU(num_classes=3, hidden=4, norm="batch").init(jax.random.key(0), seq)


MODELS = {   # tiny shapes (widths 32 where flax's GroupNorm takes make_norm's 32 groups); every zoo model with a norm switch
    "mlp": (lambda n: MLP(num_classes=3, hidden=(32,), norm=n), (4, 6)),
    "cnn1d": (lambda n: CNN1D(num_classes=3, channels=8, kernel_sizes=(3,), norm=n, norm_group_size=4), (4, 10)),
    "resnet": (lambda n: ResNet(num_classes=3, stage_sizes=(1,), width=8, norm=n, norm_group_size=4), (4, 6, 6, 1)),
    "vit": (lambda n: ViT(num_classes=3, patch_size=3, width=32, depth=1, num_heads=2, mlp_dim=32, norm=n),
            (4, 6, 6, 1)),
    "gru": (lambda n: GRU(num_classes=3, hidden=4, norm=n), (4, 5)),
}
# The Transformer LM and ResMLP blocks take every norm too (tests/models/test_norm.py); the GRU the per-example
# ones. CI runs each norm once (models in turn) and each model at least twice; -m slow runs the whole matrix.
ALL = [(m, n) for m in MODELS for n in N.NORMS if m != "gru" and not (m == "mlp" and n == "none")]
ALL += [("gru", n) for n in ("layer", "rms")]
QUICK = [(list(MODELS)[i % 4], n) for i, n in enumerate(N.NORMS)] + [("gru", "layer")]


def _one_step(model, norm):
  make, shape = MODELS[model]
  m = make(norm)
  x = jnp.asarray(RNG.normal(size=shape), jnp.float32)
  y = jnp.arange(4) % 3
  with jax.disable_jit():   # eager: tiny programs, no compilation
    v = m.init(jax.random.key(0), x)
    params, state = v["params"], {k: s for k, s in v.items() if k != "params"}

    def loss(p):
      logits = (m.apply({"params": p, **state}, x, train=True, mutable=list(state))[0] if state else
                m.apply({"params": p}, x, train=True))
      return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], 1))
    l0, g = jax.value_and_grad(loss)(params)
    leaves = jax.tree.leaves(g)
    assert np.isfinite(float(l0)) and all(bool(jnp.all(jnp.isfinite(a))) for a in leaves)
    gsq = sum(float(jnp.sum(a * a)) for a in leaves)
    assert gsq > 0
    l1 = loss(jax.tree.map(lambda p, d: p - 1e-3 / np.sqrt(gsq) * d, params, g))   # a step of length 1e-3
  assert float(l1) < float(l0)


@pytest.mark.parametrize("model,norm", QUICK)
def test_models_build_with_each_norm_and_a_step_lowers_the_loss(model, norm):
  _one_step(model, norm)


@pytest.mark.slow
@pytest.mark.parametrize("model,norm", sorted(set(ALL) - set(QUICK)))
def test_every_model_with_every_norm(model, norm):
  _one_step(model, norm)
