"""Unlock Predictable Scaling from Emergent Abilities (2023, arXiv:2310.03262): a scaling-law fit (issue 21, family LAW).

Claim: PassUntil follows a strict task scaling law; a 2.4B model's code score predicted within 0.05%.
Fit: pass_until (lbrl.laws.forms) to experiments/unlock_predictable_scaling_emergent/synthetic_points.csv; rules on the bootstrap intervals (lbrl.tools.kinds.fit).

"""
from lbrl.laws import paper_config


def get_config(arg=None):
  return paper_config.law(
      arg, slug='unlock_predictable_scaling_emergent',
      title='Unlock Predictable Scaling from Emergent Abilities',
      year=2023,
      arxiv='2310.03262',
      claim="PassUntil follows a strict task scaling law; a 2.4B model's code score predicted within 0.05%",
      expected="the paper's fitted law (see its figures); here: known alpha = 0.4 recovered from synthetic points (Figure/Table of the paper for its own values)",
      setting="points drawn from the law (pass_until, known parameters {'c': 300.0, 'alpha': 0.4}, 0.5% noise): experiments/unlock_predictable_scaling_emergent/synthetic_points.csv",
      hardware='not reproducible here',
      form='pass_until',
      data='experiments/unlock_predictable_scaling_emergent/synthetic_points.csv',
      columns={'N': 'N', 'y': 'y'},
      rules=[{'param': 'alpha', 'op': 'between', 'value': (0.3, 0.5)}],
      not_testable="the paper's measurements are not released (or not available offline here): the PassUntil evaluations of the model series; the law and the fitter are checked on points drawn from the law with known parameters")
