"""LLMs on the Line: Data Determines Loss-to-Loss Scaling Laws (2025, arXiv:2502.12120): a scaling-law fit (issue 21, family LAW).

Claim: loss-to-loss scaling is set by the pretraining data and tokenizer; model size, optimizer and architecture matter little.
Fit: shifted_power_law (lbrl.laws.forms) to experiments/loss_to_loss/pivot.csv; rules on the bootstrap intervals (lbrl.tools.kinds.fit).

Real released data: experiments/llms_line_data_determines/real_data.md (loss-to-loss curves per pretraining set (disjoint 95% intervals in 16 of 18 comparisons); `python benchmarks/laws_real_data.py`).
"""
from lbrl.laws import paper_config


def get_config(arg=None):
  return paper_config.law(
      arg, slug='llms_line_data_determines',
      title='LLMs on the Line: Data Determines Loss-to-Loss Scaling Laws',
      year=2025,
      arxiv='2502.12120',
      claim='loss-to-loss scaling is set by the pretraining data and tokenizer; model size, optimizer and architecture matter little',
      expected="curves separate by training data (the paper's figures; no numbers)",
      setting='the 104 models of Gadre et al. 2024 (three training sets)',
      hardware='CPU (a fit)',
      form='shifted_power_law',
      data='experiments/loss_to_loss/pivot.csv',
      columns={'Lx': 'c4_val', 'y': 'paloma_dolma_100_programing_languages'},
      where={'train_dataset': 'rpj'},
      rules=[{'param': 'kappa', 'op': 'between', 'value': (0.3, 3.0)}],
      partly_testable='the data-dependence comparison across training sets is in benchmarks/laws_real_data.py loss_to_loss; architecture and optimizer are not varied in the released models')
