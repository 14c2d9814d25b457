"""Chinchilla's law fitted to lbrl's own char-LM scaling grid (issue 21): Hoffmann et al., "Training
Compute-Optimal Large Language Models", 2022, arXiv:2203.15556, Approach 3, on the 16 points of
configs/char_lm_scaling.py (N = parameters counted by the trainer, D = target characters seen, L =
validation loss in nats per character).
Not a catalog slug: a baseline fit on lbrl's own grid (Chinchilla is not a catalog paper; its law is one of the fitter's forms).

Fit: L = E + A / N^alpha + B / D^beta by lbrl.laws (Huber delta 1e-3 on log residuals, L-BFGS from the
form's grid of starts, 95% bootstrap intervals over the points). Rules, fixed before the grid ran: both
exponents positive and finite (alpha and beta inside [0.05, 2]: the loss falls as a power of each
resource on this grid). One decade of N and two of D cannot confirm LLM exponents (Chinchilla's 0.34 /
0.28): the report compares them, it does not score them.
Observed (after the rules were fixed): the fitted E collapses to 0 (its bootstrap interval too): this grid
does not constrain an irreducible loss (the smallest loss, 1.73 nats, is far from any floor), so the form
degenerates to A/N^alpha + B/D^beta; the exponents' intervals are wide (alpha [0.075, 0.32]).
"""
from lbrl.laws import paper_config


def get_config(arg=None):
  return paper_config.char_lm_grid_fit(
      arg, slug="char_lm_scaling_chinchilla",
      title="Training Compute-Optimal Large Language Models (Approach 3 on the char-LM grid)", year=2022,
      arxiv="2203.15556",
      claim="validation loss on the char-LM parameters x tokens grid follows E + A/N^alpha + B/D^beta",
      expected="positive, finite exponents (Chinchilla: alpha 0.34, beta 0.28 at LLM scale; not expected here)",
      form="chinchilla",
      rules=[{"param": "alpha", "op": "between", "value": (0.05, 2.0)},
             {"param": "beta", "op": "between", "value": (0.05, 2.0)}],
      paper_runs="400 models, 70M-16B parameters")
