"""Harmonic loss (Baek et al., "Harmonic Loss Trains Interpretable AI Models", 2025, arXiv:2502.01628):
a Euclidean distance head with the harmonic max p_k ∝ d_k^-n instead of a linear head with softmax.

Claim: models trained with the harmonic loss need less data to generalise and grok with a shorter delay
than with cross-entropy (modular addition).
cpu:   modular addition mod 97, tokens embedded (32 each) into a 2x200 ReLU MLP; the CE arm has a linear
       head (lbrl.models.heads.EmbedMLP), the harmonic arm a Euclidean distance head with exponent
       n = sqrt(200) ~ 14 (HarmonicMLP emitting -log d; loss harmonic_loss). AdamW lr 1e-3, weight decay
       0.01, batch 512, 4000 steps, at 30% and 50% of the pairs for training. 3 seeds. Test accuracy at
       the end; the curves show the delay.
paper: modular addition (and other algorithmic tasks), MNIST, GPT-2 small on OpenWebText; the data-
       efficiency and grokking comparisons are curves (no single number).
observed (cpu run, 3 seeds): within 4000 steps no arm generalises: test accuracy is 0.06-0.08% for
       CE and 0.24% / 1.7% for the harmonic head at 30% / 50% training data, all at or below the 1.03%
       of chance, while the training batches are fitted (CE 100%, harmonic ~90-99% train-batch
       accuracy). The rule at 30% passes on a 0.19-point difference between two below-chance numbers:
       we do not read that as support for the claim. Neither the shorter grokking delay nor the data
       efficiency can be judged before at least one arm groks; a longer budget is needed.
protocol (issue 14): the audit is right that "partly reproduced" rested on a below-chance difference
       (0.24% vs 0.06%); no verdict may. Until an arm generalises the claim cannot be scored, so the
       committed runs are now labelled not testable (sweep.not_testable) instead of being read through
       the rules. The claim *is* testable at this scale with a grokking recipe: a check before any
       rerun (seed 0, CE arm at 50% of the pairs, AdamW weight decay 1.0 instead of 0.01, scored on
       held-out training pairs train[90%:], never on the test split) generalised: 0% held-out accuracy
       up to step 1000, 9.4% at 2000, 75.5% at 3000, 100% from step 3500 on; the harmonic arm under the
       same check: 0.6% at 1500, 26.2% at 2000, 83.2% at 2500, 99.4% at 3000 (about 500 steps sooner,
       the claim's direction; one seed, a check of testability, not a verdict). The rerun we propose (rules
       to be fixed in this config before it runs): weight decay 1.0, a budget of 8000 steps, the
       metric the paper's claim is about, steps to generalise = the first evaluation (every 250 steps)
       with test accuracy >= 90% (sweep.reach; a run that never gets there is censored at the budget
       and counts as a lower bound), rules "harmonic < CE" at 30% and 50% of the pairs with a margin
       of 500 steps, 3+ seeds. It did not fit this session's CPU budget (the shared machine ran at about
       a tenth of its usual speed); it is left to a later session. We could not check the paper's own
       weight decay for modular addition against the authors' code in this session; 1.0 is the
       grokking literature's usual AdamW setting (Power et al. 2022; Liu et al., Omnigrok, 2022).
"""
import math

from lbrl import config as common

N = math.sqrt(200.0)


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="modular_arithmetic", batch_size=512, eval_batch_size=4096)
  c.data.options = common.free(p=97, op="+", train_fraction=0.3)
  c.model = common.free(name="harmonic_mlp", hidden=(200, 200), embed_dim=32, distance="euclidean",
                        output="neg_log_distance")
  c.loss = common.free(name="harmonic_loss", exponent=N, inputs="neg_log_distances")
  c.optimizer = common.free(name="adamw", learning_rate=1e-3, weight_decay=0.01)
  c.steps = common.by_variant(variant, smoke=2, cpu=4000, paper=4000)
  c.eval_every = common.by_variant(variant, smoke=0, cpu=250, paper=250)
  c.log_every = common.by_variant(variant, smoke=1, cpu=250, paper=250)
  c.paper.update(
      title="Harmonic Loss Trains Interpretable AI Models", year=2025, arxiv="2502.01628",
      slug="harmonic_loss", provides="function",
      code="lbrl.losses.classification.harmonic_loss; lbrl.models.heads.HarmonicMLP",
      claim="harmonic loss needs less data to generalise and shortens the grokking delay vs CE",
      expected="harmonic arm above CE in test accuracy at the smaller training fraction",
      setting="modular addition, MNIST, GPT-2 small (curves, no single number)", hardware="GPU (paper)")
  harmonic = {"model": {"name": "harmonic_mlp", "hidden": (200, 200), "embed_dim": 32,
                        "distance": "euclidean", "output": "neg_log_distance"},
              "loss": {"name": "harmonic_loss", "exponent": N, "inputs": "neg_log_distances"}}
  ce = {"model": {"name": "embed_mlp", "hidden": (200, 200), "embed_dim": 32},
        "loss": {"name": "cross_entropy"}}
  frac = lambda f: {"data": {"options": {"train_fraction": f}}}
  c.sweep.arms = {"ce_train30": {**ce, **frac(0.3)}, "harmonic_train30": {**harmonic, **frac(0.3)},
                  "ce_train50": {**ce, **frac(0.5)}, "harmonic_train50": {**harmonic, **frac(0.5)}}
  c.sweep.rules = [{"arm": "harmonic_train30", "op": ">", "than": "ce_train30"},
                   {"arm": "harmonic_train50", "op": ">", "than": "ce_train50"}]
  c.sweep.not_testable = (
      "no arm generalises in these runs (AdamW weight decay 0.01, 4000 steps): every arm's test accuracy is "
      "at or below the 1.03% of chance, so neither the grokking delay nor the data efficiency the paper "
      "claims can be measured; a difference between two below-chance accuracies is not evidence either way")
  common.cpu_sized(
      c, 'the claim under test is the algorithmic one (modular addition with an MLP): CPU-sized in the paper too')
  return common.finalize(c)
