"""The fused loss as the trainer would use it: a Transformer LM's (hidden, unembed) vs its logits."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.kernels import linear_cross_entropy  # noqa: F401  (registers the loss)
from lbrl.losses import cross_entropy, reduce
from lbrl.models.transformer import TransformerLM
from lbrl.registry import LOSSES


@pytest.mark.parametrize("tie", [True])
def test_fused_loss_on_lm_equals_logits_loss_in_value_and_parameter_gradients(tie):
  model = TransformerLM(vocab_size=67, num_layers=1, num_heads=2, width=32, max_len=16, tie_embeddings=tie)
  x = jax.random.randint(jax.random.key(0), (3, 16), 0, 67)
  y = jnp.roll(x, -1, axis=1).at[:, -1].set(-1)       # last position ignored
  params = model.init(jax.random.key(1), x)
  fused = LOSSES.get("linear_cross_entropy")
  assert fused.needs_hidden

  def naive_loss(p):
    return reduce(cross_entropy(model.apply(p, x), y), y >= 0)

  def fused_loss(p):
    return reduce(fused(model.apply(p, x, return_hidden=True), y, block_size=16), y >= 0)

  (a, ga), (b, gb) = jax.value_and_grad(naive_loss)(params), jax.value_and_grad(fused_loss)(params)
  np.testing.assert_allclose(float(b), float(a), rtol=1e-6)
  for u, v in zip(jax.tree.leaves(ga), jax.tree.leaves(gb)):
    np.testing.assert_allclose(np.asarray(v), np.asarray(u), atol=1e-6, rtol=1e-4)


def test_adapter_rejects_logits():
  with pytest.raises(TypeError, match="outputs must be the pair"):
    LOSSES.get("linear_cross_entropy")(jnp.zeros((2, 5)), jnp.zeros(2, jnp.int32))
