"""Unraveling the Mystery of Scaling Laws: Part I (2024, arXiv:2403.06563): a scaling-law fit (issue 21, family LAW).

Claim: Kaplan's L(N, S_min) with critical batch predicts losses up to 33B from 1M-60M models.
Fit: kaplan_ns (lbrl.laws.forms) to experiments/scaling_laws_part1/synthetic_points.csv; rules on the bootstrap intervals (lbrl.tools.kinds.fit).

"""
from lbrl.laws import paper_config


def get_config(arg=None):
  return paper_config.law(
      arg, slug='scaling_laws_part1',
      title='Unraveling the Mystery of Scaling Laws: Part I',
      year=2024,
      arxiv='2403.06563',
      claim="Kaplan's L(N, S_min) with critical batch predicts losses up to 33B from 1M-60M models",
      expected="the paper's fitted law (see its figures); here: known alpha_N = 0.077 recovered from synthetic points (Figure/Table of the paper for its own values)",
      setting="points drawn from the law (kaplan_ns, known parameters {'Nc': 65000000000000.0, 'Sc': 2100.0, 'alpha_N': 0.077, 'alpha_S': 0.76}, 0.5% noise): experiments/scaling_laws_part1/synthetic_points.csv",
      hardware='not reproducible here',
      form='kaplan_ns',
      data='experiments/scaling_laws_part1/synthetic_points.csv',
      columns={'N': 'N', 'S': 'S', 'y': 'y'},
      rules=[{'param': 'alpha_N', 'op': 'between', 'value': (0.05775, 0.09625)}],
      not_testable="the paper's measurements are not released (or not available offline here): the 1M-60M-parameter study (not run in this session); the law and the fitter are checked on points drawn from the law with known parameters")
