"""Scaling Laws for Precision (2024, arXiv:2411.04330): a scaling-law fit (issue 21, family LAW).

Claim: low training precision lowers the effective parameter count; PTQ degradation grows with data.
Fit: precision (lbrl.laws.forms) to experiments/scaling_laws_precision/synthetic_points.csv; rules on the bootstrap intervals (lbrl.tools.kinds.fit).

"""
from lbrl.laws import paper_config


def get_config(arg=None):
  return paper_config.law(
      arg, slug='scaling_laws_precision',
      title='Scaling Laws for Precision',
      year=2024,
      arxiv='2411.04330',
      claim='low training precision lowers the effective parameter count; PTQ degradation grows with data',
      expected="the paper's fitted law (see its figures); here: known alpha = 0.35 recovered from synthetic points (Figure/Table of the paper for its own values)",
      setting="points drawn from the law (precision, known parameters {'E': 1.8, 'A': 480.0, 'B': 2000.0, 'alpha': 0.35, 'beta': 0.37, 'gamma_w': 2.5}, 0.5% noise): experiments/scaling_laws_precision/synthetic_points.csv",
      hardware='not reproducible here',
      form='precision',
      data='experiments/scaling_laws_precision/synthetic_points.csv',
      columns={'N': 'N', 'D': 'D', 'P_w': 'P_w', 'y': 'y'},
      rules=[{'param': 'alpha', 'op': 'between', 'value': (0.2625, 0.4375)}],
      not_testable="the paper's measurements are not released (or not available offline here): the 465 pretraining runs; the law and the fitter are checked on points drawn from the law with known parameters")
