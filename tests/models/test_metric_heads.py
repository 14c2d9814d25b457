"""lbrl.models.metric: EmbeddingNet's three outputs, MarginHead equals its loss function, proxies sharded
over the model axis."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.losses import metric as M
from lbrl.losses.metric import MarginHead
from lbrl.models.metric import EmbeddingNet


def test_embedding_net_outputs():
  x = jnp.asarray(np.random.default_rng(0).normal(size=(4, 8, 8)), jnp.float32)
  for trunk in ("mlp", "cnn"):
    net = EmbeddingNet(num_classes=3, embed_dim=5, trunk=trunk, hidden=(7,), channels=(4,))
    v = net.init(jax.random.PRNGKey(0), x)
    z = net.apply(v, x, return_embeddings=True)
    h, proxies = net.apply(v, x, return_hidden=True)
    assert z.shape == (4, 5) and proxies.shape == (3, 5)
    np.testing.assert_allclose(h, z)
    np.testing.assert_allclose(net.apply(v, x), z @ M.l2_normalize(proxies).T, rtol=1e-6)
  with pytest.raises(ValueError, match="trunk must be"):
    EmbeddingNet(num_classes=3, trunk="rnn").init(jax.random.PRNGKey(0), x)


@pytest.mark.parametrize("kind", ["arcface", "cosface", "normalized_softmax"])
def test_margin_head_is_its_loss(kind):
  rng = np.random.default_rng(1)
  e, y = jnp.asarray(rng.normal(size=(6, 4)), jnp.float32), jnp.asarray([0, 1, 2, 0, 1, 2])
  head = MarginHead(num_classes=3, kind=kind)
  v = head.init(jax.random.PRNGKey(0), e, y)
  np.testing.assert_allclose(head.apply(v, e, y), getattr(M, kind)(e, v["params"]["proxies"], y), rtol=1e-6)
  assert head.apply(v, e).shape == (6, 3)


def test_proxy_rule_shards_classes_over_model_axis():
  import re
  rules = EmbeddingNet.sharding_rules()
  assert any(re.fullmatch(p, "params/proxies") and spec == ("model", None) for p, spec in rules)


def test_embedding_net_decoder_returns_its_squared_reconstruction_error():
  x = jnp.asarray(np.random.default_rng(2).uniform(size=(4, 6, 6)), jnp.float32)
  net = EmbeddingNet(num_classes=3, embed_dim=5, hidden=(7,), decoder=(9,))
  v = net.init(jax.random.PRNGKey(0), x)
  logits, (z, proxies, err) = net.apply(v, x, return_aux=True)
  p = v["params"]
  r = jax.nn.relu(z @ p["Dense_1"]["kernel"] + p["Dense_1"]["bias"])
  r = r @ p["reconstruction"]["kernel"] + p["reconstruction"]["bias"]
  want = np.sum((np.asarray(r, np.float64) - np.asarray(x, np.float64).reshape(4, -1)) ** 2, -1)
  np.testing.assert_allclose(np.asarray(err), want, rtol=1e-5)
  np.testing.assert_allclose(logits, net.apply(v, x), rtol=1e-6)
  np.testing.assert_allclose(z, net.apply(v, x, return_embeddings=True), rtol=1e-6)
  with pytest.raises(ValueError, match="decoder"):
    EmbeddingNet(num_classes=3, hidden=(7,)).apply(
        EmbeddingNet(num_classes=3, hidden=(7,)).init(jax.random.PRNGKey(0), x), x, return_aux=True)
