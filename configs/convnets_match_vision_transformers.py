"""ConvNets Match Vision Transformers at Scale (2023, arXiv:2310.16764): a scaling-law fit (issue 21, family LAW).

Claim: NFNet held-out loss is a log-log linear function of compute; after fine-tuning NFNets match ViTs (90.4% top-1).
Fit: pure_power_law (lbrl.laws.forms) to experiments/convnets_match_vision_transformers/synthetic_points.csv; rules on the bootstrap intervals (lbrl.tools.kinds.fit).

"""
from lbrl.laws import paper_config


def get_config(arg=None):
  return paper_config.law(
      arg, slug='convnets_match_vision_transformers',
      title='ConvNets Match Vision Transformers at Scale',
      year=2023,
      arxiv='2310.16764',
      claim='NFNet held-out loss is a log-log linear function of compute; after fine-tuning NFNets match ViTs (90.4% top-1)',
      expected="the paper's fitted law (see its figures); here: known alpha = 0.06 recovered from synthetic points (Figure/Table of the paper for its own values)",
      setting="points drawn from the law (pure_power_law, known parameters {'A': 40.0, 'alpha': 0.06}, 0.5% noise): experiments/convnets_match_vision_transformers/synthetic_points.csv",
      hardware='not reproducible here',
      form='pure_power_law',
      data='experiments/convnets_match_vision_transformers/synthetic_points.csv',
      columns={'x': 'x', 'y': 'y'},
      rules=[{'param': 'alpha', 'op': 'between', 'value': (0.045, 0.075)}],
      not_testable="the paper's measurements are not released (or not available offline here): NFNet runs on JFT-4B (0.4k-110k TPU-v4 core hours); the law and the fitter are checked on points drawn from the law with known parameters")
