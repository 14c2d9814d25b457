"""Face-recognition IResNets (lbrl.models.iresnet): parameter counts against a count written out from the
architecture, against PyTorch re-typings of insightface / AdaFace / UNPG (tests/golden/models_iresnet.npz)
and the published 65.2M; outputs of a small network against the PyTorch re-typings' float64 outputs in eval
and train mode; the EmbeddingNet-style outputs; sharded forward/backward; bad input."""
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax.traverse_util import unflatten_dict
from jax.sharding import NamedSharding, PartitionSpec as P

from lbrl.models._layers import count_params
from lbrl.models.iresnet import IR101, IResNet, IResNet100
from lbrl.registry import MODELS
from tests.models._mesh import explicit_mesh, matched_paths, shard_tree

GOLDEN = np.load(os.path.join(os.path.dirname(__file__), "..", "golden", "models_iresnet.npz"))
RELEASES = {"insightface": dict(shortcut="conv", feature_bn="bias", weight_init="insightface"),
            "adaface": dict(shortcut="subsample", feature_bn="none", weight_init="kaiming"),
            "unpg": dict(shortcut="conv", feature_bn="affine", weight_init="kaiming")}


def backbone_params(model, side=112):
  """Parameters without the class proxies."""
  v = jax.eval_shape(lambda: model.init(jax.random.key(0), jnp.zeros((1, side, side, 3))))
  return count_params(v["params"]) - model.num_classes * model.embed_dim


def iresnet_count(stages=(3, 13, 30, 3), widths=(64, 128, 256, 512), embed=512, side=112, shortcut="conv",
                  feature_bn="bias"):
  """Written from ArcFace's Fig. 7 / the insightface definition: conv kernels, BN scale+offset, PReLU slopes."""
  total = 9 * 3 * widths[0] + 2 * widths[0] + widths[0]
  c = widths[0]
  for n, w in zip(stages, widths):
    for j in range(n):
      total += 2 * c + 9 * c * w + 2 * w + w + 9 * w * w + 2 * w
      if j == 0 and not (shortcut == "subsample" and c == w):
        total += c * w + 2 * w
      c = w
  s = side // 2 ** len(stages)
  total += 2 * c + c * s * s * embed + embed
  return total + {"bias": embed, "affine": 2 * embed, "none": 0}[feature_bn]


def test_counts_match_the_architecture_pytorch_and_the_published_total():
  assert backbone_params(IResNet100(num_classes=2)) == iresnet_count() == 65_155_648
  assert backbone_params(IR101(num_classes=2)) == iresnet_count(shortcut="subsample", feature_bn="none") == 65_150_912
  unpg = IResNet(num_classes=2, **RELEASES["unpg"])
  assert backbone_params(unpg) == iresnet_count(feature_bn="affine") == 65_156_160
  # PyTorch counts insightface's frozen features-BN scale as a parameter (not trainable): +512
  assert int(GOLDEN["count_insightface"]) == 65_155_648 + 512 and int(GOLDEN["trainable_insightface"]) == 65_155_648
  assert int(GOLDEN["count_adaface"]) == 65_150_912
  assert int(GOLDEN["count_unpg"]) == 65_156_160
  assert round(int(GOLDEN["count_insightface"]) / 1e6, 1) == 65.2     # the published "65.2M"
  iresnet50 = IResNet(num_classes=2, stage_sizes=(3, 4, 14, 3))
  assert backbone_params(iresnet50) == iresnet_count(stages=(3, 4, 14, 3))


def _golden_variables(release):
  prefix = release + "/"
  flat = {tuple(k[len(prefix):].split("/")): jnp.asarray(GOLDEN[k], jnp.float32)
          for k in GOLDEN.files if k.startswith(prefix)}
  variables = unflatten_dict(flat)
  variables["params"]["proxies"] = jnp.ones((3, 8), jnp.float32)
  return variables


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_outputs_match_pytorch(release):
  model = IResNet(num_classes=3, stage_sizes=(2, 1), widths=(8, 16), embed_dim=8, **RELEASES[release])
  x = jnp.asarray(GOLDEN["x"], jnp.float32)
  variables = _golden_variables(release)
  shapes = jax.eval_shape(lambda: model.init(jax.random.key(0), x))
  assert jax.tree.map(jnp.shape, shapes) == jax.tree.map(jnp.shape, variables)
  z = model.apply(variables, x, return_embeddings=True)
  np.testing.assert_allclose(np.asarray(z), GOLDEN[f"{release}_eval_out"], rtol=1e-4, atol=1e-4)
  z_train, state = model.apply(variables, x, train=True, return_embeddings=True, mutable=["batch_stats"])
  np.testing.assert_allclose(np.asarray(z_train), GOLDEN[f"{release}_train_out"], rtol=1e-4, atol=1e-4)
  assert not np.allclose(np.asarray(state["batch_stats"]["final_bn"]["mean"]),
                         np.asarray(variables["batch_stats"]["final_bn"]["mean"]))


def test_outputs_for_margin_losses_and_dropout():
  model = IResNet(num_classes=5, stage_sizes=(1, 1), widths=(8, 16), embed_dim=8, dropout=0.4)
  x = jax.random.normal(jax.random.key(1), (4, 16, 16, 3))
  v = model.init(jax.random.key(0), x)
  z = model.apply(v, x, return_embeddings=True)
  z2, proxies = model.apply(v, x, return_hidden=True)
  logits = model.apply(v, x)
  assert z.shape == (4, 8) and proxies.shape == (5, 8) and logits.shape == (4, 5)
  np.testing.assert_allclose(np.asarray(z2), np.asarray(z))
  cos = np.asarray(z) @ (np.asarray(proxies) / np.linalg.norm(np.asarray(proxies), axis=1, keepdims=True)).T
  np.testing.assert_allclose(np.asarray(logits), cos, rtol=1e-5, atol=1e-5)
  drop = lambda key: model.apply(v, x, train=True, return_embeddings=True, mutable=["batch_stats"],
                                 rngs={"dropout": key})[0]
  assert not np.allclose(np.asarray(drop(jax.random.key(2))), np.asarray(drop(jax.random.key(3))))
  # PReLU is per channel and starts at PyTorch's 0.25
  np.testing.assert_array_equal(np.asarray(v["params"]["stem_prelu"]["slope"]), np.full(8, 0.25, np.float32))


def test_registered():
  assert MODELS.get("iresnet") is IResNet and MODELS.get("iresnet100") is IResNet100 and MODELS.get("ir101") is IR101
  assert "hidden_unembedding" in MODELS.spec("iresnet100").outputs


def test_bad_input_is_a_clear_error():
  x = jnp.zeros((1, 16, 16, 3))
  with pytest.raises(ValueError, match="num_classes"):
    IResNet(stage_sizes=(1,), widths=(8,)).init(jax.random.key(0), x)
  with pytest.raises(ValueError, match="shortcut"):
    IResNet(num_classes=2, shortcut="pool").init(jax.random.key(0), x)
  with pytest.raises(ValueError, match="stage_sizes"):
    IResNet(num_classes=2, stage_sizes=(1, 1), widths=(8,)).init(jax.random.key(0), x)
  with pytest.raises(ValueError, match="multiples of 16"):
    IResNet(num_classes=2, stage_sizes=(1,) * 4).init(jax.random.key(0), jnp.zeros((1, 20, 20, 3)))
  with pytest.raises(ValueError, match="images"):
    IResNet(num_classes=2).init(jax.random.key(0), jnp.zeros((2, 16)))


def test_sharded_forward_backward_equals_one_device():
  model = IResNet(num_classes=8, stage_sizes=(1, 1), widths=(8, 16), embed_dim=8)
  x = jax.random.normal(jax.random.key(1), (8, 8, 8, 3))
  y = jnp.arange(8) % 8
  variables = model.init(jax.random.key(0), x)
  params, stats = variables["params"], variables["batch_stats"]

  def loss(params, x, y):
    logits, new = model.apply({"params": params, "batch_stats": stats}, x, train=True, mutable=["batch_stats"])
    return -jnp.mean(jnp.sum(jax.nn.log_softmax(logits) * jax.nn.one_hot(y, 8), -1)), new

  f = jax.jit(jax.value_and_grad(loss, has_aux=True))
  (l0, _), g0 = f(params, x, y)
  rules = IResNet.sharding_rules()
  assert {"params/proxies", "params/embed/kernel", "params/stage1_block0/proj/kernel"} <= matched_paths(
      {"params": params}, rules)
  mesh = explicit_mesh()
  with jax.set_mesh(mesh):
    ps = shard_tree({"params": params}, rules, mesh)["params"]
    data = NamedSharding(mesh, P("fsdp"))
    (l1, _), g1 = f(ps, jax.device_put(x, data), jax.device_put(y, data))
  np.testing.assert_allclose(float(l1), float(l0), rtol=1e-5)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-3, atol=1e-6), g1, g0)
