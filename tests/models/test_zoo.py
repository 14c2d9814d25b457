"""ResNet, ViT, Transformer LM and dual encoder: parameter counts at the documented defaults (checked
against counts written out from the architectures), and forward/backward on 8 simulated devices with
each model's own sharding rules on an explicit (fsdp=4, model=2) mesh, equal to the unsharded run."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import NamedSharding, PartitionSpec as P

from lbrl.models._layers import count_params
from lbrl.models.dual_encoder import DualEncoder
from lbrl.models.resnet import ResNet, ResNet18
from lbrl.models.transformer import TransformerLM
from lbrl.models.vit import ViT
from lbrl.registry import MODELS
from tests.models._mesh import explicit_mesh, matched_paths, shard_tree


def n_params(model, *args, **kw):
  shapes = jax.eval_shape(lambda: model.init(jax.random.key(0), *args, **kw))
  return count_params(shapes["params"])


# ---- independent counts, written from each architecture -------------------------------------------

def resnet_count(stages, width, classes, in_ch=3, norm=True):
  conv = lambda k, i, o: k * k * i * o + (0 if norm else o)
  nrm = lambda c: 2 * c if norm else 0
  total = conv(3, in_ch, width) + nrm(width)
  c = width
  for i, n in enumerate(stages):
    f = width * 2 ** i
    for j in range(n):
      total += conv(3, c, f) + nrm(f) + conv(3, f, f) + nrm(f) + (0 if norm else 1)
      if c != f or (i > 0 and j == 0):
        total += conv(1, c, f) + nrm(f)
      c = f
  return total + c * classes + classes


def lm_count(V, D, L, T=0, tied=True, bias=False):
  per_block = 12 * D * D + 2 * D + (11 * D if bias else 0)
  return V * D + L * per_block + D * (2 if bias else 1) + T * D + (0 if tied else V * D)


def vit_count(D, depth, mlp, patch, ch, tokens, classes):
  block = 4 * D * D + 4 * D + 2 * D * mlp + mlp + D + 4 * D
  return patch * patch * ch * D + D + D + (tokens + 1) * D + depth * block + 2 * D + D * classes + classes


def test_resnet20_count():
  x = jnp.zeros((1, 32, 32, 3))
  assert n_params(ResNet(num_classes=10), x) == resnet_count((3, 3, 3), 16, 10) == 272_474


def test_resnet18_count():
  x = jnp.zeros((1, 32, 32, 3))
  assert n_params(ResNet18(num_classes=10), x) == resnet_count((2, 2, 2, 2), 64, 10) == 11_173_962


def test_resnet_no_norm_count_and_batch_stats():
  x = jnp.zeros((1, 32, 32, 3))
  assert n_params(ResNet(num_classes=10, norm="none"), x) == resnet_count((3, 3, 3), 16, 10, norm=False)
  v = jax.eval_shape(lambda: ResNet(num_classes=10).init(jax.random.key(0), x))
  assert "batch_stats" in v
  v = jax.eval_shape(lambda: ResNet(num_classes=10, norm="none").init(jax.random.key(0), x))
  assert "batch_stats" not in v


def test_lm_counts():
  x = jnp.zeros((1, 16), jnp.int32)
  assert n_params(TransformerLM(vocab_size=65), x) == lm_count(65, 128, 4) == 795_904
  nano = TransformerLM(vocab_size=65, num_layers=6, num_heads=6, width=384, positions="learned")
  assert n_params(nano, x) == lm_count(65, 384, 6, T=256) == 10_745_088
  m = TransformerLM(vocab_size=50, width=32, num_layers=2, positions="learned", max_len=16,
                    tie_embeddings=False, use_bias=True)
  assert n_params(m, x) == lm_count(50, 32, 2, T=16, tied=False, bias=True)


def test_vit_count():
  x = jnp.zeros((1, 32, 32, 3))
  assert n_params(ViT(num_classes=10), x) == vit_count(192, 12, 768, 4, 3, 64, 10) == 5_362_762


def test_dual_encoder_count():
  x = jnp.zeros((1, 2, 40))
  tower = (40 * 256 + 256) + (256 * 256 + 256) + (256 * 128 + 128)
  assert n_params(DualEncoder(), x) == 2 * tower + 1 == 218_369
  assert n_params(DualEncoder(shared=True), x) == tower + 1


def test_registered():
  for name, cls in [("resnet", ResNet), ("resnet18", ResNet18), ("vit", ViT),
                    ("transformer_lm", TransformerLM), ("dual_encoder", DualEncoder)]:
    assert MODELS.get(name) is cls


def test_unset_sizes_are_clear_errors():
  with pytest.raises(ValueError, match="num_classes"):
    ResNet().init(jax.random.key(0), jnp.zeros((1, 8, 8, 1)))
  with pytest.raises(ValueError, match="vocab_size"):
    TransformerLM().init(jax.random.key(0), jnp.zeros((1, 8), jnp.int32))
  with pytest.raises(ValueError, match="depth"):
    ResNet(num_classes=2, depth=21).init(jax.random.key(0), jnp.zeros((1, 8, 8, 1)))
  with pytest.raises(ValueError, match="max_len"):
    TransformerLM(vocab_size=8, positions="learned", max_len=4).init(jax.random.key(0),
                                                                     jnp.zeros((1, 8), jnp.int32))


# ---- sharded forward / backward -------------------------------------------------------------------

def assert_same_layout(g, p):
  assert g.sharding.is_equivalent_to(p.sharding, p.ndim), (g.sharding, p.sharding)


def _ce(logits, labels):
  return -jnp.mean(jnp.sum(jax.nn.log_softmax(logits) * jax.nn.one_hot(labels, logits.shape[-1]), -1))


CASES = {
    "resnet": (ResNet(num_classes=10, stage_sizes=(1, 1), width=8), lambda k: jax.random.normal(k, (8, 8, 8, 3)),
               lambda k: jax.random.randint(k, (8,), 0, 10)),
    "resnet_nonorm": (ResNet(num_classes=10, stage_sizes=(1, 1), width=8, norm="none"),
                      lambda k: jax.random.normal(k, (8, 8, 8, 3)), lambda k: jax.random.randint(k, (8,), 0, 10)),
    "vit": (ViT(num_classes=10, patch_size=4, width=32, depth=1, num_heads=4, mlp_dim=64),
            lambda k: jax.random.normal(k, (8, 8, 8, 3)), lambda k: jax.random.randint(k, (8,), 0, 10)),
    "lm_rope_tied": (TransformerLM(vocab_size=64, num_layers=2, width=32, num_heads=4),
                     lambda k: jax.random.randint(k, (8, 16), 0, 64), None),
    "lm_learned_untied": (TransformerLM(vocab_size=64, num_layers=2, width=32, num_heads=4, positions="learned",
                                        max_len=16, tie_embeddings=False, use_bias=True),
                          lambda k: jax.random.randint(k, (8, 16), 0, 64), None),
    "dual_mlp": (DualEncoder(embed_dim=16, hidden=(32,)), lambda k: jax.random.normal(k, (8, 2, 12)), None),
    "dual_transformer": (DualEncoder(embed_dim=16, tower="transformer", vocab_size=32, width=32,
                                     num_layers=1, max_len=8),
                         lambda k: jax.random.randint(k, (8, 2, 8), 0, 32), None),
}


def _loss_fn(name, model):
  def loss(params, rest, x, y):
    variables = {"params": params, **rest}
    mutable = ["batch_stats"] if "batch_stats" in rest else False
    out = model.apply(variables, x, train=True, mutable=mutable)
    logits, new = out if mutable else (out, {})
    if name.startswith("lm"):
      labels = jnp.roll(x, -1, axis=1)
    elif name.startswith("dual"):
      labels = jnp.arange(x.shape[0])
    else:
      labels = y
    return _ce(logits, labels), (logits, new)
  return loss


@pytest.mark.parametrize("name", sorted(CASES))
def test_sharded_forward_backward(name):
  model, make_x, make_y = CASES[name]
  kx, ky = jax.random.split(jax.random.key(1))
  x = make_x(kx)
  y = make_y(ky) if make_y else None
  variables = model.init(jax.random.key(0), x)
  params, rest = variables["params"], {k: v for k, v in variables.items() if k != "params"}
  loss = jax.jit(jax.value_and_grad(_loss_fn(name, model), has_aux=True))
  (l0, (logits0, new0)), g0 = loss(params, rest, x, y)

  rules = type(model).sharding_rules()
  assert matched_paths({"params": params}, rules), f"{name}: no sharding rule matches any parameter"
  mesh = explicit_mesh()
  with jax.set_mesh(mesh):
    ps = shard_tree({"params": params}, rules, mesh)["params"]
    data = NamedSharding(mesh, P("fsdp"))
    xs = jax.device_put(x, data)
    ys = None if y is None else jax.device_put(y, data)
    (l1, (logits1, new1)), g1 = loss(ps, rest, xs, ys)
    # gradients come back in the parameters' own layout
    jax.tree.map(lambda g, p: assert_same_layout(g, p), g1, ps)
  assert np.isfinite(float(l0))
  np.testing.assert_allclose(float(l1), float(l0), rtol=1e-5)
  np.testing.assert_allclose(np.asarray(logits1), np.asarray(logits0), rtol=1e-4, atol=1e-5)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-3, atol=1e-6),
               g1, g0)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-6),
               new1, new0)
  if new0:  # BatchNorm running statistics moved in train mode
    assert not np.allclose(np.asarray(new0["batch_stats"]["stem_norm"]["bn"]["mean"]), 0.0)


def test_lm_is_causal_and_return_hidden():
  m = TransformerLM(vocab_size=32, num_layers=2, width=32, num_heads=4)
  x = jax.random.randint(jax.random.key(0), (2, 12), 0, 32)
  v = m.init(jax.random.key(1), x)
  logits = m.apply(v, x)
  x2 = x.at[:, 7:].set((x[:, 7:] + 1) % 32)
  logits2 = m.apply(v, x2)
  np.testing.assert_allclose(logits2[:, :7], logits[:, :7], atol=1e-5)  # the future does not leak
  assert not np.allclose(logits2[:, 7:], logits[:, 7:])
  h, u = m.apply(v, x, return_hidden=True)
  assert h.shape == (2, 12, 32) and u.shape == (32, 32)
  np.testing.assert_allclose(np.asarray(h @ u.T), np.asarray(logits), rtol=1e-5, atol=1e-5)
  mu = TransformerLM(vocab_size=32, num_layers=1, width=32, num_heads=4, tie_embeddings=False)
  vu = mu.init(jax.random.key(1), x)
  h, u = mu.apply(vu, x, return_hidden=True)
  np.testing.assert_allclose(np.asarray(h @ u.T), np.asarray(mu.apply(vu, x)), rtol=1e-5, atol=1e-5)


def test_rope_relative_positions():
  from lbrl.models._layers import rope
  q = jax.random.normal(jax.random.key(0), (1, 1, 1, 8))
  k = jax.random.normal(jax.random.key(1), (1, 1, 1, 8))
  dot = lambda i, j: float(jnp.sum(rope(q, jnp.array([i])) * rope(k, jnp.array([j]))))
  assert dot(3, 1) == pytest.approx(dot(7, 5), rel=1e-5)  # depends on i - j only
  assert dot(3, 1) != pytest.approx(dot(3, 2), rel=1e-3)


def test_bf16_compute():
  m = TransformerLM(vocab_size=32, num_layers=1, width=32, num_heads=4, dtype=jnp.bfloat16)
  x = jnp.zeros((2, 8), jnp.int32)
  v = m.init(jax.random.key(0), x)
  assert jax.tree.leaves(v)[0].dtype == jnp.float32
  assert m.apply(v, x).dtype == jnp.bfloat16


def test_generate_matches_stepwise_argmax():
  from lbrl.models.transformer import generate, sample_text
  m = TransformerLM(vocab_size=16, num_layers=1, width=32, num_heads=4, positions="learned", max_len=8)
  v = m.init(jax.random.key(0), jnp.zeros((1, 8), jnp.int32))
  out = generate(m, v, [[3, 5]], 6, temperature=0)
  assert out.shape == (1, 8) and (out[0, :2] == [3, 5]).all()
  # greedy and causal: token t is the argmax of the logits at t-1 of one pass over the whole output
  np.testing.assert_array_equal(np.argmax(np.asarray(m.apply(v, jnp.asarray(out)))[0, 1:-1], -1), out[0, 2:])
  longer = generate(m, v, out, 3, temperature=0)  # past max_len: the window slides
  np.testing.assert_array_equal(np.argmax(np.asarray(m.apply(v, jnp.asarray(longer[:, 2:10])))[0, -1]),
                                longer[0, 10])
  s = sample_text(m, v, "abcdefghijklmnop", prompt="ab", num_tokens=5, seed=1)
  assert len(s) == 7 and s.startswith("ab") and set(s) <= set("abcdefghijklmnop")
  with pytest.raises(ValueError, match="vocabulary"):
    sample_text(m, v, "abcdefghijklmnop", prompt="z")


def test_resnet_trains_through_the_trainer_on_digits(tmp_path):
  """The trainer fills num_classes from the dataset, keeps BatchNorm statistics, applies the rules."""
  from lbrl import config as common
  from lbrl.train import train
  c, _ = common.base("variant=smoke")
  c.data.update(name="digits", batch_size=32, eval_batch_size=40)
  model = dict(name="resnet", stage_sizes=(1, 1), width=8)
  c.model = common.free(**model)
  c.steps, c.log_every = 2, 1
  c.mesh.update(shape=(4, 2), axes=("data", "fsdp"))
  common.finalize(c)
  out = train(c, str(tmp_path), progress=False)
  assert np.isfinite(out["eval/loss"]) and 0.0 <= out["eval/accuracy"] <= 1.0
  state = out["state"]
  assert np.abs(np.asarray(state.model_state["batch_stats"]["stem_norm"]["bn"]["mean"])).sum() > 0
  sharded = [p for p in jax.tree.leaves(state.params) if not p.sharding.is_fully_replicated]
  assert sharded, "the model's sharding rules placed no parameter on the fsdp axis"
