"""FRUGAL (Zmushko et al., "FRUGAL: Memory-Efficient Optimization by Reducing State Overhead for
Scalable Training", ICML 2025, arXiv:2411.07837).

Claim: splitting the gradient into a low-dimensional state-full part (Adam on a GaLore-style SVD
subspace) and a state-free remainder (signSGD) beats the low-rank-only update at the same optimizer
memory and approaches full Adam.
cpu:   the Fira reproduction's setting (MNIST-1D MLP, every kernel at rank 8, Adam lr 1e-2, batch 128,
       3000 steps, subspace refreshed every 200 steps with the Adam state reset, as lbrl reads the
       paper); the metric is the loss on the full training set. Arms: full Adam, GaLore-style low-rank
       only, FRUGAL. Same state memory for the two low-rank arms (6,000 floats for the
       kernels vs 30,000 for Adam). 3 seeds, about 3 minutes on 2 cores.
paper: LLaMA 60M-1B pre-training on C4 at density rho = 0.25 and RoBERTa GLUE fine-tuning
       (validation perplexity of FRUGAL vs GaLore vs Adam; the paper's tables).
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="mnist1d", batch_size=128, eval_batch_size=4000, split_eval="train")
  c.model = common.free(name="mlp")
  c.loss.name = "cross_entropy"
  c.optimizer = common.free(name="frugal", learning_rate=1e-2, rank=8, update_gap=200)
  c.steps = common.by_variant(variant, smoke=2, cpu=3000, paper=3000)
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
  c.sweep.rules = [{"arm": "frugal", "op": "<", "than": "galore_lowrank"},
                   {"arm": "frugal", "op": "tie", "than": "adam_full"}]
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
