"""4+3 Phases of Compute-Optimal Neural Scaling Laws (2024, arXiv:2405.15074): a scaling-law fit (issue 21, family LAW).

Claim: the PLRF model trained by one-pass SGD follows power laws in steps and compute with phase-dependent exponents.
Fit: power_law (lbrl.laws.forms) to experiments/4_3_phases_compute/plrf_points.csv; rules on the bootstrap intervals (lbrl.tools.kinds.fit).

"""
from lbrl.laws import paper_config


def get_config(arg=None):
  return paper_config.law(
      arg, slug='4_3_phases_compute',
      title='4+3 Phases of Compute-Optimal Neural Scaling Laws',
      year=2024,
      arxiv='2405.15074',
      claim='the PLRF model trained by one-pass SGD follows power laws in steps and compute with phase-dependent exponents',
      expected="loss-curve power laws in every phase (the paper's Figure 2 / Table 2 exponents)",
      setting='PLRF simulation, alpha=1, beta=0.7, d in {25,50,100}',
      hardware='CPU simulation (paper)',
      form='power_law',
      data='experiments/4_3_phases_compute/plrf_points.csv',
      columns={'x': 'steps', 'y': 'risk'},
      where={'d': '100.0'},
      rules=[{'param': 'alpha', 'op': '>=', 'value': 0.3}],
      partly_testable='only the loss-vs-steps power law at one (alpha, beta) point is fitted; the phase diagram needs a sweep over (alpha, beta) left for a later session',
      code='lbrl.laws.plrf.simulate + lbrl.laws.fitting.fit')
