"""Honey, I Shrunk the Language: Language Model Behavior at Reduced Scale (2023, arXiv:2305.17266): a scaling-law fit (issue 21, family LAW).

Claim: scaling laws extend to ~1M parameters; the compute-optimal law breaks below 2.2e15 FLOPs.
Fit: power_law (lbrl.laws.forms) to experiments/honey_i_shrunk_language/synthetic_points.csv; rules on the bootstrap intervals (lbrl.tools.kinds.fit).

"""
from lbrl.laws import paper_config


def get_config(arg=None):
  return paper_config.law(
      arg, slug='honey_i_shrunk_language',
      title='Honey, I Shrunk the Language: Language Model Behavior at Reduced Scale',
      year=2023,
      arxiv='2305.17266',
      claim='scaling laws extend to ~1M parameters; the compute-optimal law breaks below 2.2e15 FLOPs',
      expected="the paper's fitted law (see its figures); here: known alpha = 0.3 recovered from synthetic points (Figure/Table of the paper for its own values)",
      setting="points drawn from the law (power_law, known parameters {'E': 1.5, 'A': 20.0, 'alpha': 0.3}, 0.5% noise): experiments/honey_i_shrunk_language/synthetic_points.csv",
      hardware='not reproducible here',
      form='power_law',
      data='experiments/honey_i_shrunk_language/synthetic_points.csv',
      columns={'x': 'x', 'y': 'y'},
      rules=[{'param': 'alpha', 'op': 'between', 'value': (0.225, 0.375)}],
      not_testable="the paper's measurements are not released (or not available offline here): the reduced-vocabulary MLM study (not run in this session); the law and the fitter are checked on points drawn from the law with known parameters")
