"""Fira (Chen et al., "Fira: Can We Achieve Full-rank Training of LLMs Under Low-rank Constraint?",
2024, arXiv:2410.01623).

Claim: keeping Adam's state low-rank (GaLore-style SVD subspace, rank r) but adding the residual
gradient outside the subspace, scaled by the low-rank optimizer's own norm ratio phi and capped by a
norm-growth limiter, trains better than the low-rank-only update and close to full-rank Adam.
cpu:   MNIST-1D MLP (40-100-100-10; every kernel projected at rank 8, biases full Adam), Adam
       lr 1e-2, batch 128, 3000 steps, subspace refreshed every 200 steps, scale 1 for both low-rank
       methods (the paper uses 0.25 with lr 1e-2 on LLaMA). The metric is the loss on the full training
       set (an optimisation claim). Arms: full Adam, GaLore-style low-rank only, Fira. Optimizer state for the
       three kernels (40x100, 100x100, 100x10): full Adam 2 x 15,000 = 30,000 floats; rank 8: 6,000 (bases + low-rank moments).
       3 seeds, about 3 minutes on 2 cores.
paper: LLaMA 60M-7B pre-training on C4 (validation perplexity of Fira vs GaLore vs full-rank Adam
       at rank 128-256; the paper's tables) and LLaMA-7B commonsense fine-tuning.
rules (revised for issue 14, re-evaluated from the committed runs, no rerun): the training loss
       saturates (full Adam ends at 1.8e-4, Fira at 5.1e-3, GaLore-style at 0.196), so the first rules'
       tie had no usable scale: with a zero-width or relative margin any gap between two near-zero losses
       "differs beyond noise". The "close to full-rank Adam" rule now (a) has an explicit absolute margin
       of 0.01 nats of mean training cross-entropy, fixed from the paper rather than from our runs: in
       the paper's Table 1 (LLaMA 60M) GaLore sits 0.024 nats of log-perplexity above full-rank Adam
       (ln(34.88/34.06)), so a gap under 0.01 nats is less than half of what the paper treats as the
       low-rank penalty; and (b) is one-sided (non-inferiority, lower is better), because the paper has
       Fira matching or beating full-rank Adam (31.06 vs 34.06), so Fira below Adam would not contradict
       the claim, which a two-sided tie would count against it. The "better than low-rank-only" rule
       keeps the same margin, stated explicitly. The runs (limiter_norm="corrected", kept as they were
       made; lbrl's default is the authors' uncorrected limiter) are unchanged.
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="mnist1d", batch_size=128, eval_batch_size=4000, split_eval="train")
  c.model = common.free(name="mlp")
  c.loss.name = "cross_entropy"
  c.optimizer = common.free(name="fira", learning_rate=1e-2, rank=8, update_gap=200, scale=1.0,
                            limiter_norm="corrected")   # as the cpu runs were made (see lbrl.config.lowrank_arms)
  c.steps = common.by_variant(variant, smoke=2, cpu=3000, paper=3000)
  c.eval_every = common.by_variant(variant, smoke=0, cpu=500, paper=500)
  c.log_every = common.by_variant(variant, smoke=1, cpu=250, paper=250)
  c.paper.update(
      title="Fira: Can We Achieve Full-rank Training of LLMs Under Low-rank Constraint?", year=2024,
      arxiv="2410.01623", slug="fira", provides="transform", code="lbrl.optim.lowrank.fira",
      claim="with low-rank optimizer state, adding the norm-scaled residual gradient trains better than "
            "the low-rank-only (GaLore) update and close to full-rank Adam",
      expected="training loss: Fira < GaLore-style low-rank; Fira close to full Adam",
      setting="LLaMA 60M-7B on C4, rank 128-256, 10k-150k steps", hardware="A100 GPUs (paper)")
  c.sweep.metric = "eval/loss"
  c.sweep.arms = common.lowrank_arms("fira")
  # margins in nats of training cross-entropy (see the docstring: under half the paper's GaLore-vs-Adam gap)
  c.sweep.rules = [{"arm": "fira", "op": "<", "than": "galore_lowrank", "margin": 0.01},
                   {"arm": "fira", "op": "not_worse", "than": "adam_full", "margin": 0.01, "better": "lower"}]
  if variant == "paper":
    # Chen et al., Sec. 5.1: LLaMA 60M on C4 with the GaLore protocol (10K steps), Fira at rank 128
    # (of 512), lr 0.01, scale 0.25, subspace refreshed every 200 steps. lbrl stores attention kernels as
    # [512, heads, 64], which the low-rank optimizers flatten to 4096 x 64: rank_fraction 0.25 gives the
    # paper's 128 on the 512-wide matrices and 16 on those.
    common.c4_llama(c, size="60m", optimizer=dict(name="fira", learning_rate=1e-2, rank_fraction=0.25,
                                                   update_gap=200, scale=0.25))
    c.paper.update(hardware="8 A100 GPUs",
                   expected="LLaMA 60M validation perplexity: Fira 31.06 vs GaLore 34.88 vs full-rank Adam 34.06 "
                            "(the paper's Table 1)")
  return common.finalize(c)
