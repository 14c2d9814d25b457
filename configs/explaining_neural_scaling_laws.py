"""Explaining Neural Scaling Laws (2021, arXiv:2102.06701): a scaling-law fit (issue 21, family LAW).

Claim: variance-limited (exponent 1) and resolution-limited regimes in data and model size.
Fit: variance_limited (lbrl.laws.forms) to experiments/explaining_neural_scaling_laws/synthetic_points.csv; rules on the bootstrap intervals (lbrl.tools.kinds.fit).

"""
from lbrl.laws import paper_config


def get_config(arg=None):
  return paper_config.law(
      arg, slug='explaining_neural_scaling_laws',
      title='Explaining Neural Scaling Laws',
      year=2021,
      arxiv='2102.06701',
      claim='variance-limited (exponent 1) and resolution-limited regimes in data and model size',
      expected="the paper's fitted law (see its figures); here: known E = 0.2 recovered from synthetic points (Figure/Table of the paper for its own values)",
      setting="points drawn from the law (variance_limited, known parameters {'E': 0.2, 'A': 30.0}, 0.5% noise): experiments/explaining_neural_scaling_laws/synthetic_points.csv",
      hardware='not reproducible here',
      form='variance_limited',
      data='experiments/explaining_neural_scaling_laws/synthetic_points.csv',
      columns={'x': 'x', 'y': 'y'},
      rules=[{'param': 'E', 'op': 'between', 'value': (0.15, 0.25)}],
      not_testable="the paper's measurements are not released (or not available offline here): a random-feature study (not run in this session); the law and the fitter are checked on points drawn from the law with known parameters")
