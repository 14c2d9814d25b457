"""Scaling Learned Image Compression Models up to 1 Billion (2025, arXiv:2508.09075): a scaling-law fit (issue 21, family LAW).

Claim: HPCM test loss follows power laws in model size and optimal compute.
Fit: pure_power_law (lbrl.laws.forms) to experiments/scaling_learned_image_compression/synthetic_points.csv; rules on the bootstrap intervals (lbrl.tools.kinds.fit).

"""
from lbrl.laws import paper_config


def get_config(arg=None):
  return paper_config.law(
      arg, slug='scaling_learned_image_compression',
      title='Scaling Learned Image Compression Models up to 1 Billion',
      year=2025,
      arxiv='2508.09075',
      claim='HPCM test loss follows power laws in model size and optimal compute',
      expected="the paper's fitted law (see its figures); here: known alpha = 0.08 recovered from synthetic points (Figure/Table of the paper for its own values)",
      setting="points drawn from the law (pure_power_law, known parameters {'A': 3.0, 'alpha': 0.08}, 0.5% noise): experiments/scaling_learned_image_compression/synthetic_points.csv",
      hardware='not reproducible here',
      form='pure_power_law',
      data='experiments/scaling_learned_image_compression/synthetic_points.csv',
      columns={'x': 'x', 'y': 'y'},
      rules=[{'param': 'alpha', 'op': 'between', 'value': (0.06, 0.1)}],
      not_testable="the paper's measurements are not released (or not available offline here): HPCM's 68.5M-1B training runs and test losses; the law and the fitter are checked on points drawn from the law with known parameters")
