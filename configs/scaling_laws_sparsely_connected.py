"""Scaling Laws for Sparsely-Connected Foundation Models (2023, arXiv:2309.08520): a scaling-law fit (issue 21, family LAW).

Claim: loss follows the sparsity law; optimal sparsity rises with training data.
Fit: sparsity (lbrl.laws.forms) to experiments/scaling_laws_sparsely_connected/synthetic_points.csv; rules on the bootstrap intervals (lbrl.tools.kinds.fit).

"""
from lbrl.laws import paper_config


def get_config(arg=None):
  return paper_config.law(
      arg, slug='scaling_laws_sparsely_connected',
      title='Scaling Laws for Sparsely-Connected Foundation Models',
      year=2023,
      arxiv='2309.08520',
      claim='loss follows the sparsity law; optimal sparsity rises with training data',
      expected="the paper's fitted law (see its figures); here: known b_S = 1.2 recovered from synthetic points (Figure/Table of the paper for its own values)",
      setting="points drawn from the law (sparsity, known parameters {'a_S': 200.0, 'b_S': 1.2, 'c_S': 100.0, 'b_N': 0.35, 'a_D': 10000000.0, 'b_D': 0.3, 'c': 1.5}, 0.5% noise): experiments/scaling_laws_sparsely_connected/synthetic_points.csv",
      hardware='not reproducible here',
      form='sparsity',
      data='experiments/scaling_laws_sparsely_connected/synthetic_points.csv',
      columns={'S': 'S', 'N': 'N', 'D': 'D', 'y': 'y'},
      rules=[{'param': 'b_S', 'op': 'between', 'value': (0.9, 1.5)}],
      not_testable="the paper's measurements are not released (or not available offline here): ViT/JFT-4B and T5/C4 sparse runs; the law and the fitter are checked on points drawn from the law with known parameters")
