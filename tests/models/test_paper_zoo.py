"""The papers' models (lbrl.models.zoo): parameter counts against counts written out from each
architecture and against the published totals, shapes, BatchNorm state, and bad input."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.models._layers import count_params
from lbrl.models.zoo import GPT2Small, PreActResNet18, ResNet50, ViTS16, WideResNet
from lbrl.registry import MODELS


def n_params(model, x):
  return count_params(jax.eval_shape(lambda: model.init(jax.random.key(0), x))["params"])


def resnet50_count(classes=1000, stages=(3, 4, 6, 3), width=64):
  """Conv kernels (no bias) + BatchNorm scale/offset + the dense head, from He et al. Table 1."""
  total = 7 * 7 * 3 * width + 2 * width
  c = width
  for i, n in enumerate(stages):
    f = width * 2 ** i
    for j in range(n):
      total += c * f + 2 * f + 9 * f * f + 2 * f + f * 4 * f + 2 * 4 * f
      if j == 0:
        total += c * 4 * f + 2 * 4 * f
      c = 4 * f
  return total + c * classes + classes


def wrn_count(depth=28, k=10, classes=10):
  n = (depth - 4) // 6
  total = 9 * 3 * 16
  c = 16
  for i in range(3):
    f = 16 * k * 2 ** i
    for j in range(n):
      total += 2 * c + 9 * c * f + 2 * f + 9 * f * f
      if c != f or j == 0 and i > 0:
        total += c * f
      c = f
  return total + 2 * c + c * classes + classes


def test_resnet50_count():
  assert n_params(ResNet50(num_classes=1000), jnp.zeros((1, 224, 224, 3))) == resnet50_count() == 25_557_032


def test_wide_resnet_28_10_count():
  x = jnp.zeros((1, 32, 32, 3))
  assert n_params(WideResNet(num_classes=10), x) == wrn_count() == 36_479_194     # "36.5M"
  assert n_params(WideResNet(num_classes=100), x) == wrn_count(classes=100) == 36_536_884


def test_preact_resnet18_count():
  total, c = 9 * 3 * 64, 64
  for i, n in enumerate((2, 2, 2, 2)):
    f = 64 * 2 ** i
    for j in range(n):
      total += 2 * c + 9 * c * f + 2 * f + 9 * f * f + (c * f if (c != f or (i > 0 and j == 0)) else 0)
      c = f
  total += 2 * c + c * 10 + 10
  assert n_params(PreActResNet18(num_classes=10), jnp.zeros((1, 32, 32, 3))) == total == 11_172_170


def test_vit_s16_count():
  d, mlp, tokens = 384, 1536, (224 // 16) ** 2
  block = 4 * d * d + 4 * d + 2 * d * mlp + mlp + d + 4 * d
  expected = 16 * 16 * 3 * d + d + d + (tokens + 1) * d + 12 * block + 2 * d + d * 1000 + 1000
  assert n_params(ViTS16(num_classes=1000), jnp.zeros((1, 224, 224, 3))) == expected == 22_050_664


def test_gpt2_small_count():
  v, d, t, layers = 50257, 768, 1024, 12
  expected = v * d + t * d + layers * (12 * d * d + 13 * d) + 2 * d
  assert n_params(GPT2Small(), jnp.zeros((1, 8), jnp.int32)) == expected == 124_439_808


def test_registered_names():
  for name, cls in (("resnet50", ResNet50), ("wide_resnet", WideResNet), ("vit_s16", ViTS16),
                    ("gpt2_small", GPT2Small), ("preact_resnet18", PreActResNet18)):
    assert MODELS.get(name) is cls


def test_resnet50_forward_and_batch_stats():
  model = ResNet50(num_classes=7, stage_sizes=(1, 1, 1, 1), width=8)   # small: same code path
  x = jax.random.normal(jax.random.key(1), (2, 64, 64, 3))
  v = model.init(jax.random.key(0), x)
  logits, state = model.apply(v, x, train=True, mutable=["batch_stats"])
  assert logits.shape == (2, 7) and np.isfinite(np.asarray(logits)).all()
  moved = jax.tree.map(lambda a, b: not np.allclose(a, b), state["batch_stats"], v["batch_stats"])
  assert all(jax.tree.leaves(moved))
  assert model.apply(v, x).shape == (2, 7)


def test_resnet50_zero_init_residual_starts_blocks_at_identity_branch():
  model = ResNet50(num_classes=3, stage_sizes=(1, 1, 1, 1), width=8, zero_init_residual=True)
  v = model.init(jax.random.key(0), jnp.zeros((1, 32, 32, 3)))
  assert all(float(jnp.abs(b["bn3"]["scale"]).max()) == 0.0 for k, b in v["params"].items() if k.startswith("stage"))


def test_wide_resnet_forward_dropout_and_grad():
  model = WideResNet(num_classes=5, depth=10, widen=2, dropout=0.3)
  x = jax.random.normal(jax.random.key(1), (2, 32, 32, 3))
  v = model.init(jax.random.key(0), x)
  out = lambda p, train: model.apply({**v, "params": p}, x, train=train, mutable=["batch_stats"],
                                     rngs={"dropout": jax.random.key(2)})[0]
  assert out(v["params"], True).shape == (2, 5)
  assert not np.allclose(out(v["params"], True), out(v["params"], False))   # dropout acts in training only
  g = jax.grad(lambda p: out(p, True).sum())(v["params"])
  assert all(np.isfinite(np.asarray(a)).all() for a in jax.tree.leaves(g))


def test_bf16_compute():
  model = WideResNet(num_classes=5, depth=10, widen=1, dtype=jnp.bfloat16)
  x = jnp.ones((1, 32, 32, 3))
  v = model.init(jax.random.key(0), x)
  assert model.apply(v, x).dtype == jnp.bfloat16
  assert jax.tree.leaves(v["params"])[0].dtype == jnp.float32


def test_bad_input():
  with pytest.raises(ValueError, match="num_classes"):
    ResNet50().init(jax.random.key(0), jnp.zeros((1, 32, 32, 3)))
  with pytest.raises(ValueError, match="6n\\+4"):
    WideResNet(num_classes=10, depth=27).init(jax.random.key(0), jnp.zeros((1, 32, 32, 3)))
  with pytest.raises(ValueError, match="images"):
    WideResNet(num_classes=10).init(jax.random.key(0), jnp.zeros((32, 3)))
