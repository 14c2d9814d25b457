"""Research without Re-search: Maximal Update Parametrization Yields Accurate Loss Prediction across Scales (2023, arXiv:2304.06875): a scaling-law fit (issue 21, family LAW).

Claim: with muP, a law fitted on small widths predicts large widths' loss without search.
Fit: power_law (lbrl.laws.forms) to experiments/research_without_re_search/synthetic_points.csv; rules on the bootstrap intervals (lbrl.tools.kinds.fit).

"""
from lbrl.laws import paper_config


def get_config(arg=None):
  return paper_config.law(
      arg, slug='research_without_re_search',
      title='Research without Re-search: Maximal Update Parametrization Yields Accurate Loss Prediction across Scales',
      year=2023,
      arxiv='2304.06875',
      claim="with muP, a law fitted on small widths predicts large widths' loss without search",
      expected="the paper's fitted law (see its figures); here: known alpha = 0.3 recovered from synthetic points (Figure/Table of the paper for its own values)",
      setting="points drawn from the law (power_law, known parameters {'E': 1.5, 'A': 20.0, 'alpha': 0.3}, 0.5% noise): experiments/research_without_re_search/synthetic_points.csv",
      hardware='not reproducible here',
      form='power_law',
      data='experiments/research_without_re_search/synthetic_points.csv',
      columns={'x': 'x', 'y': 'y'},
      rules=[{'param': 'alpha', 'op': 'between', 'value': (0.225, 0.375)}],
      not_testable="the paper's measurements are not released (or not available offline here): the muP width sweep (a grid-kind study, not run in this session); the law and the fitter are checked on points drawn from the law with known parameters")
