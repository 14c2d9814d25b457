"""A tiny masked autoencoder with a loss predictor and loss-guided masking: Hard Patches Mining (HPM).

    patches   p = patchify(x)                                   [B, L, P]  (1-D signals or 2-D images)
    mask      M: ``mask_ratio`` of the L patches; a fraction k(t) of them are the patches the loss
              predictor ranks hardest, the rest uniformly random; k(t) = max_hard * min(t / T, 1)
              (the authors' easy-to-hard ramp ``keep_ratio = (epoch + 1) / epochs * 0.5``)
    encoder   transformer blocks on the visible patches (+ position embeddings)       (MAE)
    decoder   reconstructor: mask tokens at masked positions, blocks, linear to P values
              loss predictor: a second decoder of the same form, linear to 1 value per patch

Outputs (``return_embeddings=True``, what :func:`lbrl.losses.contrastive.hpm` consumes): a dict with
``reconstruction`` [B, L, P], ``target`` [B, L, P] (the patches, per-patch normalised when
``norm_pix``), ``mask`` [B, L] bool, ``loss_prediction`` [B, L] and ``embeddings`` [B, width] (the
mean-pooled encoding of the masked input). ``return_features=True`` encodes every patch (no mask) and
mean-pools: what linear probes read.

Choices (stated): the mask is chosen from the predictions of the online network itself under
stop-gradient, on the unmasked input; the authors use the EMA teacher's predictions (the trainer gives
the loss, not the model, the auxiliary networks' outputs). The training step t is a counter in the model
state (collection ``hpm``), advanced at each training call; ``schedule_steps`` is T. Without
``learn_loss`` the model is a plain MAE with random masks (the baseline); ``hard_masking=False`` keeps
the loss predictor but masks at random (the paper's "loss prediction alone" ablation).

Reference: H. Wang, K. Song, J. Fan, Y. Wang, J. Xie, Z. Zhang, "Hard Patches Mining for Masked Image
Modeling", CVPR 2023, arXiv:2304.05919 (slug ``hard_patches_mining_masked``), and its extension
"Bootstrap Masked Visual Modeling via Hard Patches Mining", 2023, arXiv:2312.13714 (slug
``bootstrap_masked_visual_modeling``); authors' code github.com/Haochen-Wang409/HPM.
"""
from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from lbrl.models import _layers as L


def patchify(x, patch: int, example_rank: int):
  """``x [B, L]`` (rank 1) -> ``[B, L / patch, patch]``; ``x [B, H, W(, C)]`` (rank 2) -> ``[B, (H/p)(W/p), p p C]``."""
  x = jnp.asarray(x, jnp.float32)
  if example_rank == 1:
    if x.ndim == 3:
      x = x.reshape(x.shape[0], -1)
    b, n = x.shape
    if n % patch:
      raise ValueError(f"patchify: length {n} is not divisible by patch {patch}")
    return x.reshape(b, n // patch, patch)
  if example_rank == 2:
    if x.ndim == 3:
      x = x[..., None]
    b, h, w, c = x.shape
    if h % patch or w % patch:
      raise ValueError(f"patchify: image {h}x{w} is not divisible by patch {patch}")
    x = x.reshape(b, h // patch, patch, w // patch, patch, c).transpose(0, 1, 3, 2, 4, 5)
    return x.reshape(b, (h // patch) * (w // patch), patch * patch * c)
  raise ValueError(f"patchify: example_rank must be 1 or 2, got {example_rank}")


def guided_mask(scores, noise, num_masked: int, num_hard):
  """``[B, L]`` bool mask of ``num_masked`` patches: the ``num_hard`` (traced int) highest ``scores``
  of each row, then the highest ``noise`` among the rest (the authors' ``generate_mask``)."""
  order = jnp.argsort(-scores, axis=1)
  rank = jnp.argsort(order, axis=1)                       # 0 = the hardest predicted patch
  key = jnp.where(rank < num_hard, 2.0 + noise, noise)    # noise in [0, 1)
  rank2 = jnp.argsort(jnp.argsort(-key, axis=1), axis=1)
  return rank2 < num_masked


class _Stack(nn.Module):
  depth: int
  num_heads: int
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, h, *, train: bool = False):
    for i in range(self.depth):
      h = L.Block(self.num_heads, mlp_dim=2 * h.shape[-1], use_bias=True, dtype=self.dtype, name=f"block_{i}")(h, train=train)
    return nn.LayerNorm(name="norm", dtype=self.dtype)(h)


class HardPatchesMAE(nn.Module):
  """See the module docstring. Defaults: patch 4 (1-D), width 64, depth 2, decoder depth 1, 4 heads,
  mask ratio 0.75, max_hard 0.5 (authors), schedule_steps 1000, norm_pix False."""
  patch: int = 4
  example_rank: int = 1
  width: int = 64
  depth: int = 2
  decoder_depth: int = 1
  num_heads: int = 4
  mask_ratio: float = 0.75
  learn_loss: bool = True
  hard_masking: bool = True
  max_hard: float = 0.5
  schedule_steps: int = 1000
  norm_pix: bool = False
  dtype: Any = jnp.float32

  def setup(self):
    if not 0.0 < self.mask_ratio < 1.0:
      raise ValueError(f"HardPatchesMAE.mask_ratio must be in (0, 1), got {self.mask_ratio}")
    if not 0.0 <= self.max_hard <= 1.0:
      raise ValueError(f"HardPatchesMAE.max_hard must be in [0, 1], got {self.max_hard}")
    if self.hard_masking and not self.learn_loss:
      raise ValueError("HardPatchesMAE: hard_masking needs learn_loss=True (the masks come from the loss predictor)")

  @nn.compact
  def __call__(self, x, *, train: bool = False, return_embeddings: bool = False, return_features: bool = False,
               use_predictor: bool = True):
    p = patchify(x, self.patch, self.example_rank)
    b, n, pdim = p.shape
    w = self.width
    embed = nn.Dense(w, name="patch_embed", dtype=self.dtype)
    pos = self.param("pos_embed", nn.initializers.normal(0.02), (1, n, w))
    dec_pos = self.param("decoder_pos_embed", nn.initializers.normal(0.02), (1, n, w))
    mask_token = self.param("mask_token", nn.initializers.normal(0.02), (1, 1, w))
    encoder = _Stack(self.depth, self.num_heads, self.dtype, name="encoder")
    dec_embed = nn.Dense(w, name="decoder_embed", dtype=self.dtype)
    recon = _Stack(self.decoder_depth, self.num_heads, self.dtype, name="reconstructor")
    recon_out = nn.Dense(pdim, name="reconstructor_out", dtype=self.dtype)
    losspred = _Stack(self.decoder_depth, self.num_heads, self.dtype, name="loss_predictor") if self.learn_loss else None
    losspred_out = nn.Dense(1, name="loss_predictor_out", dtype=self.dtype) if self.learn_loss else None

    def decode(latent_full):
      h = dec_embed(latent_full) + dec_pos
      rec = recon_out(recon(h, train=train))
      lp = losspred_out(losspred(h, train=train))[..., 0] if self.learn_loss else jnp.zeros((b, n), jnp.float32)
      return rec, lp

    full = encoder(embed(p) + pos, train=train)
    if return_features:
      return jnp.mean(full, axis=1).astype(jnp.float32)
    step = self.variable("hpm", "step", lambda: jnp.zeros((), jnp.int32))
    num_masked = max(1, min(n - 1, int(round(n * self.mask_ratio))))
    rng = self.make_rng("dropout") if (train and self.has_rng("dropout")) else jax.random.PRNGKey(0)
    noise = jax.random.uniform(rng, (b, n))
    if self.hard_masking:
      _, predicted = decode(full)                       # predicted losses of the unmasked input
      frac = self.max_hard * jnp.minimum(step.value.astype(jnp.float32) / max(self.schedule_steps, 1), 1.0)
      num_hard = jnp.floor(num_masked * frac).astype(jnp.int32)
      mask = guided_mask(jax.lax.stop_gradient(predicted), noise, num_masked, num_hard)
    else:
      mask = guided_mask(jnp.zeros((b, n)), noise, num_masked, 0)
    if train and not self.is_initializing():
      step.value = step.value + 1
    keep_idx = jnp.argsort(mask, axis=1, stable=True)[:, : n - num_masked]     # the visible patches
    tokens = jnp.take_along_axis(embed(p) + pos, keep_idx[..., None], axis=1)
    latent = encoder(tokens, train=train)
    full_latent = jnp.broadcast_to(mask_token, (b, n, w)).astype(latent.dtype)
    full_latent = full_latent.at[jnp.arange(b)[:, None], keep_idx].set(latent)
    rec, lp = decode(full_latent)
    target = p
    if self.norm_pix:
      mu, var = jnp.mean(p, -1, keepdims=True), jnp.var(p, -1, keepdims=True)
      target = (p - mu) / jnp.sqrt(var + 1e-6)
    return {"embeddings": jnp.mean(latent, axis=1).astype(jnp.float32), "reconstruction": rec.astype(jnp.float32),
            "target": target, "mask": mask, "loss_prediction": lp.astype(jnp.float32)}
