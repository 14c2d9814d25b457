"""Gadre et al.'s over-training law fitted to lbrl's own char-LM scaling grid (issue 21): "Language models
scale reliably with over-training and on downstream tasks", 2024, arXiv:2403.08540, eq. 4, on the 16
points of configs/char_lm_scaling.py, whose tokens-per-parameter ratio M = D/N runs from about 0.01
(width 192, 250 steps) to 60 (width 32, 2000 steps).
Not a catalog slug: a baseline fit on lbrl's own grid (the catalog's over-training paper is configs/language_models_scale_reliably.py).

Fit: L = E + (a M^eta + b M^-eta) C^-eta with C = 6 N D, by lbrl.laws (Huber on log residuals, L-BFGS
from a grid of starts, 95% bootstrap intervals). Rule, fixed before the grid ran: the compute exponent
eta is positive and finite (inside [0.01, 2]): at a fixed ratio M the loss falls as a power of compute,
the law's premise. Gadre et al.'s eta (about 0.05 to 0.1 on their 0.011B-6.9B models) is compared, not
scored.
Observed (after the rule was fixed): E collapses to 0, as in the Chinchilla fit on the same points (the
grid does not constrain an irreducible loss); eta = 0.088 [0.072, 0.104], inside Gadre et al.'s range.
"""
from lbrl.laws import paper_config


def get_config(arg=None):
  return paper_config.char_lm_grid_fit(
      arg, slug="char_lm_scaling_overtraining",
      title="Language models scale reliably with over-training and on downstream tasks (eq. 4 on the char-LM grid)",
      year=2024, arxiv="2403.08540",
      claim="at a fixed tokens-per-parameter ratio, loss on the char-LM grid falls as a power of compute",
      expected="a positive, finite compute exponent eta",
      form="overtraining",
      rules=[{"param": "eta", "op": "between", "value": (0.01, 2.0)}],
      paper_runs="104 models, 0.011B-6.9B parameters")
