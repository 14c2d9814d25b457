"""Contrastive losses without the B x B similarity matrix: tiled on one device, a ring across devices.

``clip_loss`` (InfoNCE, both directions) and ``siglip_loss`` (pairwise sigmoid, learnable temperature and
bias). Called inside ``jax.shard_map`` with ``axis_name`` set, the batch is sharded over that mesh axis
and the loss is computed as a ring (``ppermute``); outside, or with ``axis_name=None``, it is tiled on
the local batch. Both return one value per local example; the mean over the global batch is the loss.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from lbrl.kernels import _dispatch
from lbrl.kernels.contrastive import reference
from lbrl.kernels.contrastive.reference import dense_loss  # noqa: F401


def _check(fn, x, y, temperature, bias):
  x, y = jnp.asarray(x), jnp.asarray(y)
  for name, a in (("x", x), ("y", y)):
    if not jnp.issubdtype(a.dtype, jnp.floating):
      raise TypeError(f"{fn}: {name} must be floating point, got dtype {a.dtype}")
    if a.ndim != 2:
      raise ValueError(f"{fn}: {name} must be [batch, dim], got shape {a.shape}")
  if x.shape != y.shape:
    raise ValueError(f"{fn}: x and y must have the same shape (paired embeddings), got {x.shape} and {y.shape}")
  for name, a in (("temperature", temperature), ("bias", bias)):
    if jnp.ndim(a) != 0:
      raise ValueError(f"{fn}: {name} must be a scalar, got shape {jnp.shape(a)}")
  return x, y, jnp.asarray(temperature, jnp.float32), jnp.asarray(bias, jnp.float32)


def _run(fn, kind, x, y, t, b, block_size, axis_name, impl, interpret):
  if block_size is not None and block_size < 1:
    raise ValueError(f"{fn}: block_size must be a positive integer, got {block_size}")
  hy = reference.Hyper(kind=kind, block=int(min(block_size or _dispatch.default_block(x.shape[0]), y.shape[0])),
                       axis_name=axis_name)
  which = _dispatch.resolve_impl(impl, fn, mosaic_gpu=True, interpret=interpret)   # opt-in Mosaic GPU kernels
  if which == "reference" or axis_name is not None:
    return reference.pair_loss(x, y, t, b, hy)
  from lbrl.kernels.contrastive import pallas as pallas_mod
  return pallas_mod.pair_loss(x, y, t, b, hy, which, interpret)


def clip_loss(x, y, temperature=1.0, *, block_size: int | None = None, axis_name: str | None = None,
              impl: str = "auto", interpret: bool = False) -> jax.Array:
  """Symmetric InfoNCE (CLIP) loss per example, tiled (and ring-sharded), never forming the B x B logits.

  Formula: l_ij = t x_i . y_j;  loss_i = 0.5 (log sum_j exp l_ij - l_ii) + 0.5 (log sum_j exp l_ji - l_ii);
  the mean over the batch is the CLIP loss (image->text plus text->image cross-entropy, halved).

  Args:
    x, y: ``[B, D]`` paired embeddings (normalise them first for CLIP); float32 or bf16.
    temperature: t, the scalar multiplier of the logits (CLIP's learnable logit scale exp(s), 1/tau of
      InfoNCE); differentiable. Default 1.
    block_size: columns per tile (default: ~8 MiB [B, block] tiles).
    axis_name: inside ``jax.shard_map``, the mesh axis the batch is sharded over: ring computation.
    impl: "auto" | "reference" | "pallas" | "pallas_tpu" | "pallas_gpu" (Triton) | "pallas_mgpu" (opt-in:
      Mosaic GPU, wgmma with D tiled, bf16/f16 embeddings; lowered for cuda in the CPU tests, numerics checked
      only on a GPU: :mod:`lbrl.kernels.contrastive.pallas_mgpu`); the ring always uses the reference tiles.
      interpret: Pallas interpret mode (CPU tests).

  Returns: float32 ``[B_local]``.

  References: A. van den Oord et al., "Representation Learning with Contrastive Predictive Coding", 2018,
  arXiv:1807.03748; A. Radford et al., CLIP, 2021, arXiv:2103.00020; tiling and ring: Z. Cheng et al.,
  "Breaking the Memory Barrier: Near Infinite Batch Size Scaling for Contrastive Loss", 2024,
  arXiv:2410.17243 (catalog slug ``inf_cl``).
  """
  x, y, t, b = _check("clip_loss", x, y, temperature, 0.0)
  return _run("clip_loss", "clip", x, y, t, b, block_size, axis_name, impl, interpret)


def siglip_loss(x, y, temperature=10.0, bias=-10.0, *, block_size: int | None = None,
                axis_name: str | None = None, impl: str = "auto", interpret: bool = False) -> jax.Array:
  """Pairwise sigmoid (SigLIP) loss per example, tiled (and ring-sharded), no B x B matrix.

  Formula: l_ij = t x_i . y_j + b, z_ij = 1 if i = j else -1;
    loss_i = sum_j log(1 / (1 + exp(-z_ij l_ij)))  negated  = sum_j softplus(l_ij) - l_ii,
  so the batch mean is the paper's -1/|B| sum_i sum_j log sigmoid(z_ij l_ij).

  Args:
    x, y: ``[B, D]`` paired (normalised) embeddings.
    temperature: t > 0 (the paper learns t' with t = exp(t'), initialised t = 10). Differentiable.
    bias: b (initialised -10 in the paper). Differentiable.
    block_size, axis_name, impl, interpret: as in :func:`clip_loss`.

  Reference: X. Zhai, B. Mustafa, A. Kolesnikov, L. Beyer, "Sigmoid Loss for Language Image
  Pre-Training", 2023, arXiv:2303.15343 (catalog slug ``siglip``); its chunked multi-device form is the
  ring above (each device holds its own pairs; the text block travels).
  """
  x, y, t, b = _check("siglip_loss", x, y, temperature, bias)
  return _run("siglip_loss", "siglip", x, y, t, b, block_size, axis_name, impl, interpret)
