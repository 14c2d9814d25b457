"""Inf-CL (Cheng et al., "Breaking the Memory Barrier: Near Infinite Batch Size Scaling for Contrastive
Loss", 2024, arXiv:2410.17243): tiled contrastive loss, never building the B x B similarity matrix, and
ring communication across devices.

Claim: splitting the contrastive loss into tiles (and across devices as a ring) removes the B^2 memory
term, so batches of 4M-12M fit on 8-32 A800s, with two orders of magnitude less memory than prior
memory-efficient methods at comparable speed.
The reproduction is a benchmark (``benchmarks/kernels_contrastive.py``): temporary memory and time of the
loss gradient, tiled and ring vs dense, measured in one run.
cpu:   B=16384 pairs, D=256, float32, CLIP (InfoNCE both directions) and SigLIP; ring over 8 simulated
       CPU devices (per-device memory).
paper: CLIP ViT-L/14 at batch 4M on 8 A800 80GB (not runnable here).
"""
import ml_collections as mlc

from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  c.paper.update(
      title="Breaking the Memory Barrier: Near Infinite Batch Size Scaling for Contrastive Loss", year=2024,
      arxiv="2410.17243", slug="inf_cl", provides="kernel", code="lbrl.kernels.contrastive",
      claim="a tile-based contrastive loss (tiles on a device, a ring across devices) needs memory linear "
            "in the batch instead of quadratic, at comparable speed",
      expected="tiled and ring temporary memory <= 1/30 of dense at B=16384, tiled time <= 1.35x dense",
      setting="CLIP ViT-L/14, batch 4M (8 GPUs) / 12M (32 GPUs)",
      hardware="8 or 32 A800 80GB (paper); here a 2-core CPU, ratios only")
  c.benchmark = mlc.ConfigDict(dict(
      kind="contrastive", kinds=["clip", "siglip"],
      shapes=common.by_variant(variant, smoke=[dict(b=64, d=16)], cpu=[dict(b=16384, d=256)],
                               paper=[dict(b=65536, d=768)]),
      block=common.by_variant(variant, smoke=16, cpu=256, paper=512),
      ring_devices=common.by_variant(variant, smoke=2, cpu=8, paper=8),
      rounds=common.by_variant(variant, smoke=1, cpu=2, paper=3),
      thresholds=dict(memory_ratio=1 / 30, time_ratio=1.35),
      notes="Tiled: `lbrl.kernels.contrastive.clip_loss / siglip_loss(..., impl='reference')`, a `lax.scan` "
            "over column tiles of 256 with a `custom_vjp` (rows stay whole; each tile updates the row state "
            "and yields its columns' statistics). Ring: the same inside `jax.shard_map` over a `data` axis, the "
            "y block (with its column statistics, or its cotangents and dy accumulator) passed around by "
            "`ppermute`. Dense: the B x B logits and `jax.nn.logsumexp` / `softplus`, differentiated by JAX. "
            "The Pallas TPU/GPU tile kernels are tested in interpret mode and lowered for TPU and CUDA in CI "
            "(tests/kernels/test_contrastive.py), not timed here."))
  c.sweep.update(seeds=[0], metric="memory_ratio")
  return common.finalize(c)
