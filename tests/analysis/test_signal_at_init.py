"""lbrl.analysis.signal.signal_at_init on hand-built analysis contexts, against NumPy recomputations and the
exact signal-propagation laws of residual stacks at initialisation."""
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from lbrl.analysis import signal
from lbrl.analysis.context import AnalysisContext
from lbrl.models.simple import ResMLP
from lbrl.models.transformer import TransformerLM


def _ctx(model, x, labels, seed=0):
  v = model.init(jax.random.key(seed), x)
  params = v["params"]
  state = {k: w for k, w in v.items() if k != "params"}

  def loss(p):
    logits = model.apply({"params": p, **state}, x)
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, labels))
  return AnalysisContext(cfg=None, model=model, params=params, model_state=state, init_params=params,
                         init_model_state=state, x=np.asarray(x), labels=np.asarray(labels), loss=loss,
                         apply=lambda p, x, train=False: model.apply({"params": p, **state}, x), seed=seed, at="init")


def _mlp_ctx(depth=8, n=256, **kw):
  rng = np.random.default_rng(0)
  x = jnp.asarray(rng.normal(size=(n, 12)), jnp.float32)
  y = jnp.asarray(rng.integers(0, 4, n))
  return _ctx(ResMLP(num_classes=4, width=64, depth=depth, **kw), x, y)


def test_matches_numpy_on_the_captured_stream():
  ctx = _mlp_ctx()
  scalars, extra = signal.signal_at_init(ctx)
  _, inter = ctx.model.apply({"params": ctx.params}, jnp.asarray(ctx.x), mutable=["intermediates"])
  h = np.asarray(inter["intermediates"]["blocks"]["residual"][0], np.float64)   # [depth, B, W]
  var = h.reshape(len(h), -1).var(-1)
  cms = (h.mean(1) ** 2).mean(-1)
  np.testing.assert_allclose(extra["signal"]["var"], var, rtol=1e-4)
  np.testing.assert_allclose(extra["signal"]["channel_mean_sq"], cms, rtol=1e-4)
  np.testing.assert_allclose(scalars["var_ratio"], var[-1] / var[0], rtol=1e-4)
  np.testing.assert_allclose(scalars["mean_shift_last"], cms[-1] / var[-1], rtol=1e-4)
  grads = jax.grad(ctx.loss)(ctx.params)["blocks"]
  per = np.sqrt(sum((np.asarray(g, np.float64).reshape(g.shape[0], -1) ** 2).sum(-1) for g in jax.tree.leaves(grads)))
  np.testing.assert_allclose(extra["signal"]["grad"], per, rtol=1e-4)
  assert extra["signal"]["depth"] == list(range(1, 9))
  np.testing.assert_allclose(scalars["loss"], float(ctx.loss(ctx.params)), rtol=1e-6)


def test_unscaled_he_stack_doubles_its_variance_per_branch():
  """He-initialised pre-activation ReLU branches: E|x_l|^2 = 2 E|x_{l-1}|^2 (Fixup, Section 2), so
  var_log2_growth ~ 1 bit per layer; with a = 1/sqrt(L) the growth is (1 + 1/L)^L <= e overall."""
  s, _ = signal.signal_at_init(_mlp_ctx(depth=12))
  assert 0.8 < s["var_log2_growth"] < 1.2
  s, _ = signal.signal_at_init(_mlp_ctx(depth=12, residual_scale="1/sqrt(L)"))
  assert s["var_ratio"] < np.e


def test_scaled_weight_standardization_removes_the_mean_shift():
  """Brock, De & Smith (2021), Section 4: in an un-normalized ReLU ResNet the squared channel mean grows
  with depth and dominates; Scaled WS keeps the channels centred (their Figure 2)."""
  plain, _ = signal.signal_at_init(_mlp_ctx(depth=16, residual_scale="1/sqrt(L)"))
  ws, _ = signal.signal_at_init(_mlp_ctx(depth=16, residual_scale="1/sqrt(L)", weight_standardization=True))
  assert plain["mean_shift_last"] > 0.2
  assert ws["mean_shift_last"] < 0.5 * plain["mean_shift_last"]


def test_transformer_blocks_and_scaled_embed():
  """Spike No More (Takase et al., 2023): N(0, 0.02^2) embeddings give LayerNorm inputs of std ~0.02 and
  so large Jacobians (~1/std); Scaled Embed (x sqrt(d)) brings the stream's std near 1."""
  rng = np.random.default_rng(1)
  x = jnp.asarray(rng.integers(0, 17, (8, 16)))
  y = jnp.asarray(rng.integers(0, 17, (8, 16)))
  kw = dict(vocab_size=17, num_layers=3, width=64, num_heads=2, max_len=16)
  van, extra = signal.signal_at_init(_ctx(TransformerLM(**kw), x, y))
  scaled, _ = signal.signal_at_init(_ctx(TransformerLM(embed_scale="sqrt(d)", **kw), x, y))
  assert len(extra["signal"]["var"]) == 3 and len(extra["signal"]["grad"]) == 3
  assert scaled["var_first"] > 10 * van["var_first"]   # embeddings x sqrt(64): variance x 64 before block 1
  assert scaled["grad_first"] < van["grad_first"]


def test_a_model_without_layers_is_an_error():
  from lbrl.models.simple import MLP
  x = jnp.ones((4, 3))
  with pytest.raises(ValueError, match="no residual-stream layers"):
    signal.signal_at_init(_ctx(MLP(num_classes=2), x, jnp.zeros(4, jnp.int32)))
