"""Language models scale reliably with over-training and on downstream tasks (2024, arXiv:2403.08540): a scaling-law fit (issue 21, family LAW).

Claim: a law fitted on small runs predicts the 1.4B/900B-token and 6.9B/138B-token runs' validation loss from 300x less compute.
Fit: overtraining (lbrl.laws.forms) to ../shared/data/scaling_laws/overtraining_104_models.csv; rules on the bootstrap intervals (lbrl.tools.kinds.fit).

Real released data: experiments/language_models_scale_reliably/real_data.md (Gadre et al.'s over-training law fitted on their small runs, predicting the 1.4B and 6.9B runs (mean relative error 1.26%, max 4.50%); `python benchmarks/laws_real_data.py`).
"""
from lbrl.laws import paper_config


def get_config(arg=None):
  return paper_config.law(
      arg, slug='language_models_scale_reliably',
      title='Language models scale reliably with over-training and on downstream tasks',
      year=2024,
      arxiv='2403.08540',
      claim="a law fitted on small runs predicts the 1.4B/900B-token and 6.9B/138B-token runs' validation loss from 300x less compute",
      expected="small relative errors for the two runs (the paper's Figure 1 / Table 2)",
      setting='the 104 released models (RedPajama-trained, C4 eval)',
      hardware='CPU (a fit)',
      form='overtraining',
      data='../shared/data/scaling_laws/overtraining_104_models.csv',
      columns={'N': 'params', 'D': 'tokens', 'y': 'eval_loss'},
      where={'eval_set': 'c4_val', 'train_dataset': 'rpj'},
      rules=[{'param': 'eta', 'op': 'between', 'value': (0.02, 0.5)}],
      partly_testable="the extrapolation from the paper's 5 small runs is decided by benchmarks/laws_real_data.py overtraining; the downstream-error law needs the 46 downstream evaluations, not in the shared table")
