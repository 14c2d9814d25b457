"""Scaling Laws for Autoregressive Generative Modeling (2020, arXiv:2010.14701): a scaling-law fit (issue 21, family LAW).

Claim: loss = irreducible + power law in N, D, C across domains; N_opt ~ C^0.7.
Fit: power_law (lbrl.laws.forms) to experiments/scaling_laws_autoregressive_generative/synthetic_points.csv; rules on the bootstrap intervals (lbrl.tools.kinds.fit).

"""
from lbrl.laws import paper_config


def get_config(arg=None):
  return paper_config.law(
      arg, slug='scaling_laws_autoregressive_generative',
      title='Scaling Laws for Autoregressive Generative Modeling',
      year=2020,
      arxiv='2010.14701',
      claim='loss = irreducible + power law in N, D, C across domains; N_opt ~ C^0.7',
      expected="the paper's fitted law (see its figures); here: known alpha = 0.3 recovered from synthetic points (Figure/Table of the paper for its own values)",
      setting="points drawn from the law (power_law, known parameters {'E': 2.0, 'A': 50.0, 'alpha': 0.3}, 0.5% noise): experiments/scaling_laws_autoregressive_generative/synthetic_points.csv",
      hardware='not reproducible here',
      form='power_law',
      data='experiments/scaling_laws_autoregressive_generative/synthetic_points.csv',
      columns={'x': 'x', 'y': 'y'},
      rules=[{'param': 'alpha', 'op': 'between', 'value': (0.225, 0.375)}],
      not_testable="the paper's measurements are not released (or not available offline here): the multi-domain Transformer sweeps; the law and the fitter are checked on points drawn from the law with known parameters")
