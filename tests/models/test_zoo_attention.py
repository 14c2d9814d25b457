"""The zoo Transformer LM's attention is selectable (softmax, the default, or the sigmoid attention of
Ramapuram et al. 2024) with the same parameters, and its norm layers take options."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.models.transformer import TransformerLM


def test_sigmoid_attention_is_selectable_with_the_same_parameters():
  x = jnp.asarray(np.random.default_rng(0).integers(0, 11, (2, 6)), jnp.int32)
  soft = TransformerLM(vocab_size=11, num_layers=1, num_heads=2, width=16, max_len=6)
  sig = TransformerLM(vocab_size=11, num_layers=1, num_heads=2, width=16, max_len=6, attention="sigmoid")
  p = soft.init(jax.random.PRNGKey(0), x)
  q = sig.init(jax.random.PRNGKey(0), x)
  assert jax.tree.map(jnp.shape, p) == jax.tree.map(jnp.shape, q)
  a, b = soft.apply(p, x), sig.apply(p, x)
  assert np.all(np.isfinite(b)) and not np.allclose(a, b)
  # causal: the first position's logits do not depend on later tokens, under sigmoid attention too
  y = x.at[:, 3:].set(0)
  np.testing.assert_allclose(sig.apply(p, y)[:, :3], b[:, :3], rtol=1e-5, atol=1e-6)
  with pytest.raises(ValueError, match="TransformerLM.attention"):
    TransformerLM(vocab_size=11, num_layers=1, num_heads=2, width=16, max_len=6, attention="linear").init(
        jax.random.PRNGKey(0), x)


def test_norm_options_reach_the_blocks_norm_layers():
  x = jnp.zeros((2, 4), jnp.int32)
  lm = TransformerLM(vocab_size=5, num_layers=1, num_heads=2, width=8, max_len=4, norm="layer",
                     norm_options=(("epsilon", 0.5),))
  p = lm.init(jax.random.PRNGKey(0), x)
  base = TransformerLM(vocab_size=5, num_layers=1, num_heads=2, width=8, max_len=4, norm="layer")
  assert not np.allclose(lm.apply(p, x), base.apply(p, x))   # a different epsilon changes the outputs
