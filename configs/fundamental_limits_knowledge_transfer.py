"""Knowledge transfer over finite domains (Zhao & Zhu, "Towards the Fundamental Limits of Knowledge Transfer
over Finite Domains", 2023, arXiv:2310.07838): a student learns a teacher's conditional distribution
``pi*(.|x)`` over ``A`` labels on ``S`` inputs from ``n`` samples, seeing (1) hard labels, (2) hard labels plus
the teacher's probability of each sampled label, or (3) the teacher's whole distribution. The minimax TV
rates are ``sqrt(S A / n)``, ``S A / n`` and ``S / n``; at level 2 the naive probability-weighted
cross-entropy is biased and the squared-error logit loss is not.

Claim: the simulation tells the four learners apart: KL on full soft labels < the level-2 squared-error
logit learner < MLE on hard labels, and the naive level-2 cross-entropy stays biased (worse than hard
labels once n is large).
cpu:   the paper's own setting is a finite-domain simulation (CPU-sized): S = 100 inputs with Zipf input
       frequencies (rho(x) ∝ 1/x), A = 20 labels, teacher rows ~ Dirichlet(1); n in {200, 800, 3200},
       each error averaged over 20 samples; TV error E_rho TV(pi_hat, pi*). Arms are the learners
       (lbrl.analysis.kd_finite_domain, the closed-form minimisers of the losses
       lbrl.losses.distillation.partial_soft_label_sel / partial_soft_label_ce, checked by gradient descent in
       tests/analysis/test_kd_finite_domain.py); 10 seeds (teacher and samples shared by the arms of a seed).
       Rules fixed before the run (margin 0.01 TV): sel < mle and kl < sel at the largest n; kl < sel at the
       smallest n; ce > mle at the largest n (the bias).
paper: no released simulation protocol or numbers (the rates are theorems); the paper variant is the same
       simulation.
"""
from lbrl import config as common

SIZES = (200, 800, 3200)


def get_config(arg=None):
  c, variant = common.base(arg)
  kwargs = common.by_variant(variant, smoke=dict(num_inputs=10, num_labels=4, sizes=(20, 80), repeats=2),
                             cpu=dict(num_inputs=100, num_labels=20, sizes=SIZES, repeats=20),
                             paper=dict(num_inputs=100, num_labels=20, sizes=SIZES, repeats=20))
  # The arms set analysis.kwargs.learner in their own config; the tool reads it there (learner=None).
  common.simulation(c, "knowledge_transfer_simulation", kwargs)
  smallest = kwargs["sizes"][0]
  c.paper.update(
      title="Towards the Fundamental Limits of Knowledge Transfer over Finite Domains", year=2023,
      arxiv="2310.07838", slug="fundamental_limits_knowledge_transfer", provides="analysis tool",
      code="lbrl.losses.distillation.partial_soft_label_sel / partial_soft_label_ce; simulation "
           "lbrl.analysis.kd_finite_domain",
      claim="hard labels < partial soft labels with the squared-error logit loss < full soft labels in TV error; "
            "the naive partial-soft-label cross-entropy is biased",
      expected="rates sqrt(S A / n), S A / n, S / n (theorems; no simulated numbers published)",
      setting="finite domains S x A, simulated", hardware="CPU (simulation)")
  common.cpu_sized(c, "the paper's experiments are finite-domain simulations; the cpu variant is one of them")
  c.sweep.seeds = list(range(10))
  c.sweep.metric = "analysis/tv_last"
  c.sweep.arms = {k: {"analysis": {"kwargs": {"learner": k}}} for k in ("mle", "ce", "sel", "kl")}
  small = f"analysis/tv_n{smallest}"
  c.sweep.rules = [
      {"arm": "sel", "op": "<", "than": "mle", "margin": 0.01, "better": "lower"},
      {"arm": "kl", "op": "<", "than": "sel", "margin": 0.01, "better": "lower"},
      {"arm": "kl", "op": "<", "than": "sel", "metric": small, "margin": 0.01, "better": "lower"},
      {"arm": "ce", "op": ">", "than": "mle", "margin": 0.01, "better": "lower"},
  ]
  c.sweep.partly_testable = ("the rates' exponents are worst-case (minimax) statements; one simulated "
                             "teacher family shows the ordering and the bias, not the exponents")
  return common.finalize(c)
