"""Performance Scaling via Optimal Transport: Enabling Data Selection from Partially Revealed Sources (2023, arXiv:2307.02460): a scaling-law fit (issue 21, family LAW).

Claim: an OT-distance predictor plus a parameter-free scaling map predicts performance for mixtures.
Fit: power_law (lbrl.laws.forms) to experiments/performance_scaling_optimal_transport/synthetic_points.csv; rules on the bootstrap intervals (lbrl.tools.kinds.fit).

"""
from lbrl.laws import paper_config


def get_config(arg=None):
  return paper_config.law(
      arg, slug='performance_scaling_optimal_transport',
      title='Performance Scaling via Optimal Transport: Enabling Data Selection from Partially Revealed Sources',
      year=2023,
      arxiv='2307.02460',
      claim='an OT-distance predictor plus a parameter-free scaling map predicts performance for mixtures',
      expected="the paper's fitted law (see its figures); here: known alpha = 0.4 recovered from synthetic points (Figure/Table of the paper for its own values)",
      setting="points drawn from the law (power_law, known parameters {'E': 0.3, 'A': 5.0, 'alpha': 0.4}, 0.5% noise): experiments/performance_scaling_optimal_transport/synthetic_points.csv",
      hardware='not reproducible here',
      form='power_law',
      data='experiments/performance_scaling_optimal_transport/synthetic_points.csv',
      columns={'x': 'x', 'y': 'y'},
      rules=[{'param': 'alpha', 'op': 'between', 'value': (0.3, 0.5)}],
      not_testable="the paper's measurements are not released (or not available offline here): the partially revealed data sources and their runs; the law and the fitter are checked on points drawn from the law with known parameters")
