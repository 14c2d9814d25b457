"""LOST: Low-rank and Sparse Pre-training for Large Language Models (Li, Yin, Shen, Xu, Xu, Huang, Wang, Liu &
Wang, 2025, arXiv:2508.02668; code github.com/JiaxiLi1/LOST-Low-rank-and-Sparse-Training-for-Large-Language-Models).

Claim: training every linear layer of an LLM from scratch as a low-rank part (the dominant singular directions
of an SVD of its initial weight) plus channel-wise sparse components (built from the remaining singular
values) is competitive with or better than full-rank pre-training at 60M-7B parameters, with much lower
memory and compute, and better than low-rank training that lacks the sparse part (no number in the abstract).
Implementation: ``model.linear`` of transformer_lm (lbrl.models.lowrank_sparse.LowRankSparseDense: ``y = x A B
+ scatter_C(x S)``, A, B from the top-r SVD of the initial N(0, 0.02^2) weight, S its residual on the k output
channels of largest residual norm, channels fixed). The paper's method section and code were not reachable
offline (abstract only; the repository is not in the store): the channel axis (output channels), the fixed
channel choice, the plain sum of the parts and the rank / channel split are lbrl's choices, stated in the
module docstring.
cpu:   Tiny Shakespeare char-LM (``common.char_lm`` narrowed: 2 Pre-LN layers x 64, 4 heads, context 64, batch
       12, AdamW (rate below), cosine, 300 steps). Arms on every attention and MLP projection (embeddings,
       norms, head dense): ``full`` (dense), ``lowrank`` (rank 16 = 1/4 of the width, the paper's 60M ratio 128/512) and
       ``lost`` (rank 8 plus the output channels that fill the same budget: parameters equal to ``lowrank``
       per layer, by construction). Each arm at its own AdamW rate chosen on held-out text (the training
       text's last 10%; grid 1e-3 .. 1e-1, the mean over three selection seeds 1000-1002). Grid history
       (rules unchanged): 1e-3 .. 1e-2 with one selection seed put every arm at 1e-2, the top (LOST -
       low-rank -0.053 [-0.070, -0.035], LOST - full +0.050 [+0.032, +0.067] then); 3e-2 was added, and one
       selection seed picked it for full and LOST, which then diverged or stalled on test seeds (below); so
       the selection averages three seeds and the grid reaches 1e-1.
       5 seeds, paired; rules fixed before the first run: (1) LOST's validation loss below low-rank's (the
       sparse part helps at equal parameters), (2) LOST's not worse than full-rank's by more than 0.05 nats
       (competitive), (3) LOST has fewer parameters than full-rank (``model/params``; the memory claim:
       parameters, gradients and AdamW's two moments all scale with it).
first run (untuned, one shared AdamW 3e-3; the per-arm tuning above had been configured, then dropped for
       CPU time before any result, and was restored for the report; rules unchanged): validation loss 2.434
       full, 2.490 LOST, 2.501 low-rank; LOST - low-rank -0.010 [-0.022, +0.001] ("contradicted" against the
       default 0.025-nat margin the rule inherits), LOST - full +0.056 [+0.048, +0.065] (inconclusive vs 0.05);
       parameters 106,880 full vs 45,440 LOST and low-rank (block projections 98,304 -> 36,864).
second run (one selection seed; rates chosen 3e-2 full, 3e-2 LOST, 1e-2 low-rank; full and LOST at the
       extended grid's top): validation loss 2.450 full, 2.492 LOST, 2.489 low-rank; the 3e-2 picks (one selection seed) are
       unstable on other seeds (full 2.60 on seed 1, LOST 2.57 on seed 4; low-rank's five seeds within 0.015),
       so LOST - low-rank +0.004 [-0.072, +0.079] and LOST - full +0.042 [-0.056, +0.140] are both
       inconclusive; parameters hold (45,440 vs 106,880). With the first grid (all at 1e-2) LOST had beaten
       low-rank (-0.053 [-0.070, -0.035]); hence the selection over three seeds.
observed (this report; three selection seeds, rates chosen 3e-2 full (2.406 vs 2.413 at 1e-2), 1e-2 LOST
       and low-rank, all interior): validation loss 2.450 full, 2.436 LOST, 2.489 low-rank; LOST - low-rank
       -0.053 [-0.070, -0.035] (holds), LOST - full -0.014 [-0.113, +0.085] (inconclusive: full at 3e-2
       still stalls on seed 1, 2.60 against 2.37-2.43), parameters 45,440 vs 106,880 (holds).
paper: LLaMA-60M .. 7B on C4; the paper variant is LLaMA-60M on C4 with the GaLore protocol (lbrl's
       ``common.c4_llama``: 10k steps of 512 x 256 tokens) and LOST's layers at rank 64 + channels to a rank-128
       budget (the 60M setting's rank 128 of width 512; lbrl's split).
"""
from lbrl import config as common

LOWRANK = (("rank", 0.25),)                        # (name, value) pairs: an arm's override replaces them whole
LOST = (("rank", 0.125), ("budget_rank", 0.25))


def get_config(arg=None):
  c, variant = common.base(arg)
  common.char_lm(c, variant)
  c.model.update(num_layers=2, width=common.by_variant(variant, smoke=32, cpu=64, paper=64),
                 num_heads=common.by_variant(variant, smoke=2, cpu=4, paper=4), linear=())
  c.loss = common.free(name="cross_entropy")
  c.optimizer.learning_rate = 3e-3
  c.steps = common.by_variant(variant, smoke=3, cpu=300, paper=300)
  c.eval_every = common.by_variant(variant, smoke=0, cpu=300, paper=300)
  c.eval_metrics = ["loss"]
  c.paper.update(
      title="LOST: Low-rank and Sparse Pre-training for Large Language Models", year=2025, arxiv="2508.02668",
      slug="lost", provides="module",
      code="lbrl.models.lowrank_sparse.LowRankSparseDense via transformer_lm linear={rank, budget_rank}",
      claim="low-rank (dominant SVD directions) plus channel-wise sparse (remaining singular values) linear layers "
            "trained from scratch are competitive with full-rank pre-training at much lower memory, and beat "
            "low-rank training",
      expected="char-LM validation loss: LOST below low-rank at equal parameters, within 0.05 nats of full-rank; "
               "fewer parameters than full-rank",
      setting="LLaMA 60M-7B pre-trained on C4 (perplexity, memory)", hardware="GPU cluster (paper)")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.metric = "eval/loss"
  c.sweep.arms = {"full": {"model": {"linear": ()}}, "lowrank": {"model": {"linear": LOWRANK}},
                  "lost": {"model": {"linear": LOST}}}
  c.sweep.tune = dict(grids={arm: [("optimizer.learning_rate", [1e-3, 3e-3, 1e-2, 3e-2, 1e-1])] for arm in c.sweep.arms},
                      split="train[90%:]", train_split="train[:90%]", metric="eval/loss", seeds=[1000, 1001, 1002])
  c.sweep.rules = [
      {"arm": "lost", "op": "<", "than": "lowrank", "metric": "eval/loss"},
      {"arm": "lost", "op": "not_worse", "than": "full", "margin": 0.05, "metric": "eval/loss", "better": "lower"},
      {"arm": "lost", "op": "<", "than": "full", "metric": "model/params"}]
  c.sweep.partly_testable = ("the claim is about 60M-7B LLaMAs on C4 (perplexity and GPU memory); a 2-layer "
                             "char-LM tests the mechanism at equal parameters, and memory is counted in "
                             "parameters, not measured")
  if variant == "paper":
    common.c4_llama(c, size="60m", optimizer=dict(name="adamw", learning_rate=1e-3, b1=0.9, b2=0.999,
                                                   weight_decay=0.0))
    c.model.linear = LOST
  return common.finalize(c)
