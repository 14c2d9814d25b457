"""Is the Number of Trainable Parameters All That Actually Matters? (2021, arXiv:2109.11928): a scaling-law fit (issue 21, family LAW).

Claim: test loss vs compute depends only on trainable parameters.
Fit: power_law (lbrl.laws.forms) to experiments/number_trainable_parameters_that/synthetic_points.csv; rules on the bootstrap intervals (lbrl.tools.kinds.fit).

"""
from lbrl.laws import paper_config


def get_config(arg=None):
  return paper_config.law(
      arg, slug='number_trainable_parameters_that',
      title='Is the Number of Trainable Parameters All That Actually Matters?',
      year=2021,
      arxiv='2109.11928',
      claim='test loss vs compute depends only on trainable parameters',
      expected="the paper's fitted law (see its figures); here: known alpha = 0.3 recovered from synthetic points (Figure/Table of the paper for its own values)",
      setting="points drawn from the law (power_law, known parameters {'E': 1.5, 'A': 20.0, 'alpha': 0.3}, 0.5% noise): experiments/number_trainable_parameters_that/synthetic_points.csv",
      hardware='not reproducible here',
      form='power_law',
      data='experiments/number_trainable_parameters_that/synthetic_points.csv',
      columns={'x': 'x', 'y': 'y'},
      rules=[{'param': 'alpha', 'op': 'between', 'value': (0.225, 0.375)}],
      not_testable="the paper's measurements are not released (or not available offline here): the frozen-random vs trainable study (not run in this session); the law and the fitter are checked on points drawn from the law with known parameters")
