"""On the Scalability of Diffusion-based Text-to-Image Generation (2024, arXiv:2404.02883): a scaling-law fit (issue 21, family LAW).

Claim: text-image alignment scales as a power law in model size, compute and data.
Fit: pure_power_law (lbrl.laws.forms) to experiments/scalability_diffusion_based_text/synthetic_points.csv; rules on the bootstrap intervals (lbrl.tools.kinds.fit).

"""
from lbrl.laws import paper_config


def get_config(arg=None):
  return paper_config.law(
      arg, slug='scalability_diffusion_based_text',
      title='On the Scalability of Diffusion-based Text-to-Image Generation',
      year=2024,
      arxiv='2404.02883',
      claim='text-image alignment scales as a power law in model size, compute and data',
      expected="the paper's fitted law (see its figures); here: known alpha = 0.05 recovered from synthetic points (Figure/Table of the paper for its own values)",
      setting="points drawn from the law (pure_power_law, known parameters {'A': 2.0, 'alpha': 0.05}, 0.5% noise): experiments/scalability_diffusion_based_text/synthetic_points.csv",
      hardware='not reproducible here',
      form='pure_power_law',
      data='experiments/scalability_diffusion_based_text/synthetic_points.csv',
      columns={'x': 'x', 'y': 'y'},
      rules=[{'param': 'alpha', 'op': 'between', 'value': (0.0375, 0.0625)}],
      not_testable="the paper's measurements are not released (or not available offline here): the UNet/Transformer runs (0.4B-4B, up to 600M images); the law and the fitter are checked on points drawn from the law with known parameters")
