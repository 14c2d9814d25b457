"""Cut Cross-Entropy (Wijmans et al., "Cut Your Losses in Large-Vocabulary Language Models", 2024,
arXiv:2411.09009): the cross-entropy of h @ W^T without materialising the N x V logits.

Claim: computing the loss by vocabulary blocks with an on-the-fly log-sum-exp (and recomputing the blocks
in the backward pass) cuts the loss-computation memory of Gemma 2 2B from 24 GB to 1 MB and the
classifier-head training memory from 28 GB to 1 GB, with no loss in speed or convergence.
The reproduction is a benchmark (``benchmarks/kernels_linear_ce.py``): the temporary memory of the
compiled gradient function (XLA's memory_analysis) and its time, fused vs naive, measured in one run.
The fused path is the reference's default "fused" backward (the gradient formed in the forward pass over
token chunks, Liger-Kernel's scheme: 6NVD FLOPs like naive; CCE's "recompute" backward costs 8NVD).
cpu:   N=4096 tokens, D=512, V=32768 first (the rules: at most 1/30 of the naive temporary memory at no
       more than 1.1x its time, both fixed before the run), then time ratios at V=131072 and 262144 and
       at D=2048 (N lowered so that each naive call is 0.2-0.4 TFLOP: a few minutes in all; one timed
       round after a warm-up, interleaved), float32, on 2 shared CPU cores. Plus XLA's buffer sizes at the paper's Gemma 2 2B shape.
observed (this run, 2026-12-02, vocabulary blocks 2^18/D rows): V=32768 memory 1/54, time 0.938x naive
       (both rules hold); V=131072 1.29x (the issue's <= 1.0x goal missed again; 1.17x last session with
       2^19/D-row blocks); the other shapes 0.58-0.77x. V=131072 profiled (benchmarks/kernels_linear_ce_profile.py,
       results in benchmarks/results/linear_ce_profile_v131072.json): token chunks of 128/256/512 within 4%
       of each other, a 4096-row vocabulary block 1.32x, 256/512/1024-row blocks between 0.90x and 1.29x
       over runs: single interleaved rounds on the loaded 2-core machine vary by ~30%, more than any setting's
       effect, so the cause of the V=131072 excess is not established (the [128, V] chunk tile, 64 MiB there,
       16 MiB at V=32768, outgrowing the CPU cache is the untested reading).
paper: Gemma 2 2B head (N=8192, D=2304, V=256000) on an H100, the Pallas kernels.
GPU kernels (jax 0.10.2): Triton by default; Mosaic GPU lowers no dot_general under Lane or Warpgroup
semantics, so the Mosaic port (``impl="pallas_mgpu"``, lbrl.kernels.fused_ce.pallas_mgpu) writes its
matmuls as wgmma on 128 x 128 x 64 tiles (D tiled) and adds dh/dw by TMA reduce-add; it lowers for cuda
(forward and backward) and is opt-in until a GPU run checks its numerics. No GPU was lent this session.
"""
import ml_collections as mlc

from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  c.loss = common.free(name="linear_cross_entropy")
  c.paper.update(
      title="Cut Your Losses in Large-Vocabulary Language Models", year=2024, arxiv="2411.09009",
      slug="cut_cross_entropy", provides="kernel", code="lbrl.kernels.linear_cross_entropy",
      claim="a vocabulary-blocked cross-entropy with an online log-sum-exp, recomputed in the backward "
            "pass, cuts the loss memory of Gemma 2 2B from 24 GB to 1 MB (loss + gradient 28 GB -> 1.16 GB) "
            "without slowing training",
      expected="fused temporary memory <= 1/30 of naive at <= 1.1x naive time (N=4096, D=512, V=32768); "
               "about 1.0x or less at V=131072",
      setting="Gemma 2 2B classifier head, N=8192 tokens, V=256000, bf16",
      hardware="one H100 80GB (paper); here a 2-core CPU, ratios only")
  shapes = common.by_variant(
      variant,
      smoke=[dict(n=64, d=16, v=512, time_naive=True)],
      cpu=[dict(n=4096, d=512, v=32768), dict(n=1024, d=512, v=131072), dict(n=256, d=512, v=262144),
           dict(n=512, d=2048, v=32768), dict(n=128, d=2048, v=131072), dict(n=64, d=2048, v=262144)],
      paper=[dict(n=8192, d=2304, v=256000, time_naive=True)])
  c.benchmark = mlc.ConfigDict(dict(
      kind="linear_ce", dtype="float32", shapes=shapes, rounds=common.by_variant(variant, smoke=1, cpu=1, paper=5),
      hyper={}, thresholds=dict(memory_ratio=1 / 30, time_ratio=1.1),
      paper_shape=common.by_variant(variant, smoke={}, cpu=dict(n=8192, d=2304, v=256000), paper={}),
      notes="The fused path is `lbrl.kernels.linear_cross_entropy(..., impl='reference')` with its default "
            "backward='fused': when differentiated, a loop over chunks of bn = 128 tokens forms the chunk's [bn, V] logits once, its log-sum-exp, and then, vocabulary block by "
            "block (2^18 / D rows), dz, dh += dz @ w_block and dw_block += dz.T @ h_chunk updated in place; the "
            "backward pass scales these residuals by the cotangent. The value alone streams vocabulary blocks "
            "with an online log-sum-exp. The fused temporaries are about one [128, V] "
            "float32 tile, i.e. 128 / N of the logits: rows with small N (chosen to keep the naive calls "
            "short) show a larger memory ratio than the first row. The naive path is `optax.softmax_cross_entropy_with_integer_labels"
            "(h @ w.T)` differentiated by JAX. The Pallas TPU/GPU kernels are tested in interpret mode and "
            "lowered for TPU and CUDA in CI (tests/kernels/test_fused_ce.py), not timed: there is no accelerator "
            "here; the roofline table says what they should reach. The Mosaic GPU port (impl='pallas_mgpu': "
            "wgmma with D tiled in 64-column tiles, dh/dw by TMA reduce-add; opt-in) lowers for CUDA and has not "
            "run on a GPU yet."))
  c.sweep.update(seeds=[0], metric="memory_ratio")
  return common.finalize(c)
