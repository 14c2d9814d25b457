"""A Hitchhiker's Guide to Scaling Law Estimation (2024, arXiv:2410.11840): a scaling-law fit (issue 21, family LAW).

Claim: fitting on intermediate checkpoints (past 10% of training) and on models of similar size makes scaling-law predictions more accurate.
Fit: chinchilla (lbrl.laws.forms) to ../shared/data/scaling_laws/chinchilla_figure4_points.csv; rules on the bootstrap intervals (lbrl.tools.kinds.fit).

Real released data: experiments/hitchhiker_scaling/real_data.md (the Chinchilla Approach 3 refit against Besiroglu et al. (every parameter within 2 of their standard errors) and the compute-optimal allocation; `python benchmarks/laws_real_data.py`).
"""
from lbrl.laws import paper_config


def get_config(arg=None):
  return paper_config.law(
      arg, slug='hitchhiker_scaling',
      title="A Hitchhiker's Guide to Scaling Law Estimation",
      year=2024,
      arxiv='2410.11840',
      claim='fitting on intermediate checkpoints (past 10% of training) and on models of similar size makes scaling-law predictions more accurate',
      expected="lower extrapolation error with checkpoints (the paper's figures; no single number)",
      setting="the fitter's options (lbrl.laws.fitting.select_points) on synthetic checkpoints; the fitter validated on the Chinchilla refit (Besiroglu et al. protocol)",
      hardware='CPU (a fit)',
      form='chinchilla',
      data='../shared/data/scaling_laws/chinchilla_figure4_points.csv',
      drop_highest=5,
      columns={'N': 'params', 'D': 'tokens', 'y': 'loss'},
      rules=[{'param': 'alpha', 'op': 'between', 'value': (0.3078, 0.3878)}, {'param': 'beta', 'op': 'between', 'value': (0.3258, 0.4058)}, {'param': 'E', 'op': 'between', 'value': (1.7572, 1.8772)}],
      partly_testable="the paper's 485-model dataset is not available offline: its advice is tested on synthetic checkpoints (tests/laws/test_fitting.py); the rules check the fitter against Besiroglu et al.'s refit (estimate +- 2 s.e.)")
