"""Scaling Laws for Neural Language Models (2020, arXiv:2001.08361): a scaling-law fit (issue 21, family LAW).

Claim: loss is a power law in N and D (eq. 1.5 L(N,D)); compute-optimal training uses large models stopped early.
Fit: kaplan_nd (lbrl.laws.forms) to ../shared/data/scaling_laws/chinchilla_figure4_points.csv; rules on the bootstrap intervals (lbrl.tools.kinds.fit).

"""
from lbrl.laws import paper_config


def get_config(arg=None):
  return paper_config.law(
      arg, slug='kaplan_scaling_laws',
      title='Scaling Laws for Neural Language Models',
      year=2020,
      arxiv='2001.08361',
      claim='loss is a power law in N and D (eq. 1.5 L(N,D)); compute-optimal training uses large models stopped early',
      expected="alpha_N = 0.076, alpha_D = 0.103 (Table 2) for Kaplan's setting",
      setting="Kaplan's L(N,D) form refitted on the 245 Chinchilla points (a different setup: exponents differ)",
      hardware='GPU cluster (paper)',
      form='kaplan_nd',
      data='../shared/data/scaling_laws/chinchilla_figure4_points.csv',
      columns={'N': 'params', 'D': 'tokens', 'y': 'loss'},
      rules=[{'param': 'alpha_N', 'op': 'between', 'value': (0.02, 1.0)}],
      partly_testable="Kaplan's own runs are not released; the form is refitted on Chinchilla's points (another tokenizer, data and schedule), so only the shape is tested, not the constants")
