"""Cut Cross-Entropy (Wijmans et al., "Cut Your Losses in Large-Vocabulary Language Models", 2024,
arXiv:2411.09009): the cross-entropy of h @ W^T without materialising the N x V logits.

Claim: computing the loss by vocabulary blocks with an on-the-fly log-sum-exp (and recomputing the blocks
in the backward pass) cuts the loss-computation memory of Gemma 2 2B from 24 GB to 1 MB and the
classifier-head training memory from 28 GB to 1 GB, with no loss in speed or convergence.
The reproduction is a benchmark (``benchmarks/kernels_linear_ce.py``): the temporary memory of the
compiled gradient function (XLA's memory_analysis) and its time, fused vs naive, measured in one run.
cpu:   N=8192 tokens, D=512, V=32768 (and V=131072), float32, on 2 CPU cores: the fused reference must
       need at most 1/30 of the naive temporary memory at no more than 1.35x its time (the recompute
       costs 8NVD instead of 6NVD FLOPs). Plus XLA's buffer sizes at the paper's Gemma 2 2B shape.
paper: Gemma 2 2B head (N=8192, D=2304, V=256000) on an H100, the Pallas kernels.
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
      expected="fused temporary memory <= 1/30 of naive at <= 1.35x naive time (N=8192, D=512, V=32768)",
      setting="Gemma 2 2B classifier head, N=8192 tokens, V=256000, bf16",
      hardware="one H100 80GB (paper); here a 2-core CPU, ratios only")
  shapes = common.by_variant(
      variant,
      smoke=[dict(n=64, d=16, v=512, time_naive=True)],
      cpu=[dict(n=8192, d=512, v=32768, time_naive=True), dict(n=8192, d=512, v=131072, time_naive=True)],
      paper=[dict(n=8192, d=2304, v=256000, time_naive=True)])
  c.benchmark = mlc.ConfigDict(dict(
      kind="linear_ce", dtype="float32", shapes=shapes, rounds=common.by_variant(variant, smoke=1, cpu=3, paper=5),
      hyper={}, thresholds=dict(memory_ratio=1 / 30, time_ratio=1.35),
      paper_shape=common.by_variant(variant, smoke={}, cpu=dict(n=8192, d=2304, v=256000), paper={}),
      notes="The fused path is `lbrl.kernels.linear_cross_entropy(..., impl='reference')`: a `lax.scan` over "
            "vocabulary blocks (block = 2^21 / N rows, 256 at N=8192) with a `custom_vjp` whose backward pass "
            "recomputes each block's logits. The naive path is `optax.softmax_cross_entropy_with_integer_labels"
            "(h @ w.T)` differentiated by JAX. The Pallas TPU/GPU kernels are tested in interpret mode and "
            "lowered for TPU and CUDA in CI (tests/kernels/test_fused_ce.py), not timed: there is no accelerator "
            "here; the roofline table says what they should reach."))
  c.sweep.update(seeds=[0], metric="memory_ratio")
  return common.finalize(c)
