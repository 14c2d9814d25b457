"""Scaling Laws and Compute-Optimal Training Beyond Fixed Training Durations (2024, arXiv:2405.18392): a scaling-law fit (issue 21, family LAW).

Claim: constant LR + cooldown scales like cosine; SWA helps along the trajectory.
Fit: chinchilla (lbrl.laws.forms) to experiments/wsd_cooldown/synthetic_points.csv; rules on the bootstrap intervals (lbrl.tools.kinds.fit).

"""
from lbrl.laws import paper_config


def get_config(arg=None):
  return paper_config.law(
      arg, slug='wsd_cooldown',
      title='Scaling Laws and Compute-Optimal Training Beyond Fixed Training Durations',
      year=2024,
      arxiv='2405.18392',
      claim='constant LR + cooldown scales like cosine; SWA helps along the trajectory',
      expected="the paper's fitted law (see its figures); here: known alpha = 0.35 recovered from synthetic points (Figure/Table of the paper for its own values)",
      setting="points drawn from the law (chinchilla, known parameters {'E': 1.8, 'A': 480.0, 'B': 2000.0, 'alpha': 0.35, 'beta': 0.37}, 0.5% noise): experiments/wsd_cooldown/synthetic_points.csv",
      hardware='not reproducible here',
      form='chinchilla',
      data='experiments/wsd_cooldown/synthetic_points.csv',
      columns={'N': 'N', 'D': 'D', 'y': 'y'},
      rules=[{'param': 'alpha', 'op': 'between', 'value': (0.2625, 0.4375)}],
      not_testable="the paper's measurements are not released (or not available offline here): the char-LM WSD vs cosine study (not run in this session; lbrl.laws.schedules.wsd is the schedule); the law and the fitter are checked on points drawn from the law with known parameters")
