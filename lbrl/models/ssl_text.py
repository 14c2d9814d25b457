"""A small bidirectional character encoder for latent bootstrapping (slug ``mean_berts_make_erratic``).

    h^0 = embed(tokens) + positions;  h^l = Block_l(h^{l-1})  (pre-LN, bidirectional, L layers); LN at the end
    training / evaluation call (``return_embeddings=True``): a fraction ``mask_rate`` of the positions is
      replaced by a [MASK] id (one extra embedding row; positions from the ``dropout`` rng in training, a
      fixed key in evaluation); outputs ``{"embeddings": prediction head (Linear) of h^L [B, T, D],
      "mlm_logits": [B, T, V], "mask": [B, T] bool, "tokens": [B, T]}``
    teacher call (``return_targets=True``, the EMA target's ``apply_kwargs``): the unmasked input;
      ``{"targets": the mean over the top ``top_k`` layers of their parameter-free layer-normalised
      outputs [B, T, D]}`` (the data2vec target the paper's latent bootstrapping adopts)
    ``return_features=True``: h^L of the (unmasked) input [B, T, D].
Loss: :func:`lbrl.losses.contrastive.latent_bootstrap`.
"""
from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from lbrl.models import _layers as L


def _plain_ln(h):
  mu = jnp.mean(h, -1, keepdims=True)
  return (h - mu) * jax.lax.rsqrt(jnp.var(h, -1, keepdims=True) + 1e-6)


class LatentBootstrapEncoder(nn.Module):
  """Defaults: width 64, 2 layers, 4 heads, context 64, mask rate 0.15, top_k 2 target layers."""
  vocab_size: int = 65
  width: int = 64
  num_layers: int = 2
  num_heads: int = 4
  max_len: int = 64
  mask_rate: float = 0.15
  top_k: int = 2

  def _encode(self, tokens, train):
    if tokens.ndim != 2 or tokens.shape[1] > self.max_len:
      raise ValueError(f"LatentBootstrapEncoder: tokens must be [batch, time <= {self.max_len}], got {tokens.shape}")
    h = nn.Embed(self.vocab_size + 1, self.width, name="embed")(tokens)
    h = h + self.param("pos_embed", nn.initializers.normal(0.02), (self.max_len, self.width))[: tokens.shape[1]]
    layers = []
    for i in range(self.num_layers):
      h = L.Block(self.num_heads, mlp_dim=4 * self.width, use_bias=True, name=f"block_{i}")(h, train=train)
      layers.append(h)
    return nn.LayerNorm(name="ln_f")(h), layers

  @nn.compact
  def __call__(self, x, *, train: bool = False, return_embeddings: bool = False, return_features: bool = False,
               return_targets: bool = False, use_predictor: bool = True):
    if not 0.0 < self.mask_rate < 1.0 or not 1 <= self.top_k <= self.num_layers:
      raise ValueError(f"LatentBootstrapEncoder: mask_rate in (0, 1) and top_k in [1, num_layers] expected, got "
                       f"{self.mask_rate}, {self.top_k}")
    tokens = jnp.asarray(x, jnp.int32)
    head = nn.Dense(self.width, name="predictor")
    lm = nn.Dense(self.vocab_size, name="mlm_head")
    if return_features or return_targets:
      out, layers = self._encode(tokens, train)
      if self.is_initializing():
        head(out), lm(out)
      if return_features:
        return out
      return {"targets": jnp.mean(jnp.stack([_plain_ln(h) for h in layers[-self.top_k:]]), 0)}
    key = self.make_rng("dropout") if (train and self.has_rng("dropout")) else jax.random.PRNGKey(0)
    mask = jax.random.uniform(key, tokens.shape) < self.mask_rate
    out, _ = self._encode(jnp.where(mask, self.vocab_size, tokens), train)
    return {"embeddings": head(out), "mlm_logits": lm(out), "mask": mask, "tokens": tokens}
