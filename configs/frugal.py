"""FRUGAL (Zmushko et al., "FRUGAL: Memory-Efficient Optimization by Reducing State Overhead for
Scalable Training", ICML 2025, arXiv:2411.07837).

Claim: splitting the gradient into a low-dimensional state-full part (Adam on a GaLore-style SVD
subspace) and a state-free remainder (signSGD) beats the low-rank-only update at the same optimizer
memory and approaches full Adam.
cpu:   the Fira reproduction's setting (MNIST-1D MLP, every kernel at rank 8, Adam lr 1e-2, batch 128,
       3000 steps, subspace refreshed every 200 steps with the Adam state reset, as lbrl reads the
       paper) with a cosine schedule (300 warm-up steps, decay to 10% of the peak); the metric is the
       loss on the full training set. Arms: full Adam, GaLore-style low-rank only, FRUGAL, all under
       the same schedule. Same state memory for the two low-rank arms (6,000 floats for the kernels vs
       30,000 for Adam). 5 seeds, about 3 minutes on 2 cores.
paper: LLaMA 60M-1B pre-training on C4 at density rho = 0.25 and RoBERTa GLUE fine-tuning
       (validation perplexity of FRUGAL vs GaLore vs Adam; the paper's tables).
protocol (changed for issue 14, rules fixed before the rerun): the first run used a constant
       learning rate. FRUGAL's state-free part is signSGD, whose step has a fixed size lr per
       coordinate whatever the gradient, so at a constant lr it keeps a noise floor (first run:
       FRUGAL 0.140 vs GaLore-style 0.196 vs Adam 0.0002, verdict not reproduced). The authors' C4
       scripts (FRUGAL repository, built on the GaLore code base: scripts/benchmark_c4) decay the
       learning rate with a cosine schedule to 10% after a linear warm-up, so every arm now does the
       same here (warm-up 10% of the steps, as in those scripts). Rules: FRUGAL < GaLore-style by a
       margin of 0.01 nats, and "approaches full Adam" as non-inferiority (lower is better) with an
       absolute margin of 0.01 nats: the training loss saturates near 0, where a relative margin would
       fail on any gap, and 0.01 nats is under half the 0.024-nat gap between GaLore and full-rank Adam
       in the GaLore-protocol table (LLaMA 60M, perplexity 34.88 vs 34.06) that FRUGAL's tables extend;
       one-sided because FRUGAL beating Adam would not contradict the claim. 3 -> 5 seeds, since the
       first run's per-seed losses differed across machines (seed 0: 0.100 vs 0.177).
observed (this run, 5 seeds): training loss FRUGAL 1.0e-6 (every seed below 2e-6), full Adam 7.7e-4,
       GaLore-style low-rank only 0.266. With the authors' schedule the signSGD noise floor is gone:
       FRUGAL fits the training set at least as well as full Adam (paired difference -7.7e-4 nats,
       95% CI [-8.9e-4, -6.6e-4]) and far better than the low-rank-only update (-0.266, CI [-0.274,
       -0.258]). Under the constant rate of the first run GaLore-style ended at 0.196; under the
       decay it ends higher (0.266; we did not look into why), so the schedule helps FRUGAL and not
       the baseline: the comparison is at one shared schedule (the authors'), not at each method's best.
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="mnist1d", batch_size=128, eval_batch_size=4000, split_eval="train")
  c.model = common.free(name="mlp")
  c.loss.name = "cross_entropy"
  c.optimizer = common.free(name="frugal", learning_rate=1e-2, rank=8, update_gap=200)
  c.steps = common.by_variant(variant, smoke=2, cpu=3000, paper=3000)
  c.schedule.update(name="cosine", warmup_steps=common.by_variant(variant, smoke=0, cpu=300, paper=300),
                    end_fraction=0.1)
  c.eval_every = common.by_variant(variant, smoke=0, cpu=500, paper=500)
  c.log_every = common.by_variant(variant, smoke=1, cpu=250, paper=250)
  c.paper.update(
      title="FRUGAL: Memory-Efficient Optimization by Reducing State Overhead for Scalable Training",
      year=2025, arxiv="2411.07837", slug="frugal", provides="transform",
      code="lbrl.optim.lowrank.frugal",
      claim="state-full Adam on a low-rank subspace plus state-free signSGD on the rest beats the "
            "low-rank-only update at equal optimizer memory and approaches full Adam",
      expected="training loss: FRUGAL < GaLore-style low-rank; FRUGAL close to full Adam",
      setting="LLaMA 60M-1B on C4, density 0.25, T = 200", hardware="A100 GPUs (paper)")
  c.sweep.metric = "eval/loss"
  c.sweep.arms = common.lowrank_arms("frugal")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  # margins in nats of training cross-entropy (see the docstring)
  c.sweep.rules = [{"arm": "frugal", "op": "<", "than": "galore_lowrank", "margin": 0.01},
                   {"arm": "frugal", "op": "not_worse", "than": "adam_full", "margin": 0.01, "better": "lower"}]
  if variant == "paper":
    # Zmushko et al., Sec. 6: LLaMA on C4 with the GaLore protocol, FRUGAL with state-full density
    # rho = 0.25 (a quarter of each matrix's rank) and state-free signSGD, subspace refreshed every
    # T = 200 steps, lr 1e-3 (the 60M size of the paper's table).
    common.c4_llama(c, size="60m", optimizer=dict(name="frugal", learning_rate=1e-3, rank_fraction=0.25,
                                                   update_gap=200))
    c.paper.update(hardware="8 A100 GPUs",
                   expected="FRUGAL (rho 0.25) validation perplexity below GaLore's and close to Adam's (the "
                            "paper's pre-training table)")
  return common.finalize(c)
