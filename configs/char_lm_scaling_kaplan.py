"""Kaplan et al.'s L(N, D) fitted to lbrl's own char-LM scaling grid (issue 21): "Scaling Laws for Neural
Language Models", 2020, arXiv:2001.08361, eq. 1.5, on the 16 points of configs/char_lm_scaling.py.
Not a catalog slug: a baseline fit on lbrl's own grid (the catalog's Kaplan paper is configs/kaplan_scaling_laws.py).

Fit: L = [(Nc/N)^(alpha_N/alpha_D) + Dc/D]^alpha_D by lbrl.laws (Huber on log residuals, L-BFGS from a
grid of starts, 95% bootstrap intervals). Rules, fixed before the grid ran: both exponents positive and
finite (inside [0.01, 2]). Kaplan's form has no irreducible term; on a grid this small the Chinchilla
form (configs/char_lm_scaling_chinchilla.py) is the better description if its E is clearly positive:
both reports show their residuals. Kaplan's 0.076 / 0.103 are for LLM scale and are compared, not scored.
"""
from lbrl.laws import paper_config


def get_config(arg=None):
  return paper_config.char_lm_grid_fit(
      arg, slug="char_lm_scaling_kaplan",
      title="Scaling Laws for Neural Language Models (L(N, D) on the char-LM grid)", year=2020,
      arxiv="2001.08361",
      claim="validation loss on the char-LM parameters x tokens grid follows Kaplan's L(N, D)",
      expected="positive, finite alpha_N and alpha_D (Kaplan: 0.076, 0.103 at LLM scale; not expected here)",
      form="kaplan_nd",
      rules=[{"param": "alpha_N", "op": "between", "value": (0.01, 2.0)},
             {"param": "alpha_D", "op": "between", "value": (0.01, 2.0)}],
      paper_runs="768 to 1.5B non-embedding parameters on WebText2")
