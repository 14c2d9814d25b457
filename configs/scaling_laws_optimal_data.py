"""Scaling Laws for Optimal Data Mixtures (2025, arXiv:2507.09404): a scaling-law fit (issue 21, family LAW).

Claim: a mixture-aware law predicts loss for (N, D, h) and finds optimal domain weights.
Fit: mixture (lbrl.laws.forms) to experiments/scaling_laws_optimal_data/synthetic_points.csv; rules on the bootstrap intervals (lbrl.tools.kinds.fit).

"""
from lbrl.laws import paper_config


def get_config(arg=None):
  return paper_config.law(
      arg, slug='scaling_laws_optimal_data',
      title='Scaling Laws for Optimal Data Mixtures',
      year=2025,
      arxiv='2507.09404',
      claim='a mixture-aware law predicts loss for (N, D, h) and finds optimal domain weights',
      expected="the paper's fitted law (see its figures); here: known alpha = 0.3 recovered from synthetic points (Figure/Table of the paper for its own values)",
      setting="points drawn from the law (mixture, known parameters {'E': 1.5, 'A': 400.0, 'B': 900.0, 'C': 0.4, 'alpha': 0.3, 'beta': 0.3, 'gamma': 1.0, 'r': 0.3}, 0.5% noise): experiments/scaling_laws_optimal_data/synthetic_points.csv",
      hardware='not reproducible here',
      form='mixture',
      data='experiments/scaling_laws_optimal_data/synthetic_points.csv',
      columns={'N': 'N', 'D': 'D', 'h': 'h', 'y': 'y'},
      rules=[{'param': 'alpha', 'op': 'between', 'value': (0.225, 0.375)}],
      not_testable="the paper's measurements are not released (or not available offline here): the LLM/NMM/LVM mixture runs; the law and the fitter are checked on points drawn from the law with known parameters")
