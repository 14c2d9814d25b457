"""Scaling Laws for Neural Machine Translation (2021, arXiv:2109.07740): a scaling-law fit (issue 21, family LAW).

Claim: loss is a bivariate power law in encoder and decoder size with different exponents.
Fit: encoder_decoder (lbrl.laws.forms) to experiments/scaling_laws_neural_machine/synthetic_points.csv; rules on the bootstrap intervals (lbrl.tools.kinds.fit).

"""
from lbrl.laws import paper_config


def get_config(arg=None):
  return paper_config.law(
      arg, slug='scaling_laws_neural_machine',
      title='Scaling Laws for Neural Machine Translation',
      year=2021,
      arxiv='2109.07740',
      claim='loss is a bivariate power law in encoder and decoder size with different exponents',
      expected="the paper's fitted law (see its figures); here: known p_e = 0.2 recovered from synthetic points (Figure/Table of the paper for its own values)",
      setting="points drawn from the law (encoder_decoder, known parameters {'a': 0.8, 'p_e': 0.2, 'p_d': 0.3, 'L_inf': 1.2}, 0.5% noise): experiments/scaling_laws_neural_machine/synthetic_points.csv",
      hardware='not reproducible here',
      form='encoder_decoder',
      data='experiments/scaling_laws_neural_machine/synthetic_points.csv',
      columns={'Ne': 'Ne', 'Nd': 'Nd', 'y': 'y'},
      rules=[{'param': 'p_e', 'op': 'between', 'value': (0.15, 0.25)}],
      not_testable="the paper's measurements are not released (or not available offline here): the encoder/decoder NMT sweeps; the law and the fitter are checked on points drawn from the law with known parameters")
