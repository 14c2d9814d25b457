"""Evaluation metrics for the classification-loss papers, registered in
:data:`lbrl.train.metrics.METRICS` on import (a config imports this module to use them).

- ``mean_logit_margin`` / ``median_logit_margin``: ``z_y - max_{k != y} z_k`` over examples (the SOVR
  paper's logit margin; positive iff correctly classified).
- ``digit_abs_error``: for tokens whose label is a digit token ``0..9`` (the ids of ``arithmetic_text``'s
  vocabulary ``"0123456789+-*="``), the mean ``|argmax_digit(z) - label|``: the numeric error of the
  predicted digit, the quantity number-token losses target. Other tokens are ignored.

Host-side float64 NumPy with the trainer's metric signature:
``(logits [N, C], labels [N], per_example_loss [N]) -> float``.
"""
from __future__ import annotations

import numpy as np

from lbrl.train.metrics import METRICS


def logit_margins(logits, labels) -> np.ndarray:
  logits = np.asarray(logits, np.float64)
  labels = np.asarray(labels)
  rows = np.arange(len(labels))
  true = logits[rows, labels]
  other = logits.copy()
  other[rows, labels] = -np.inf
  return true - other.max(-1)


def mean_logit_margin(logits, labels, per_example_loss):
  return float(np.mean(logit_margins(logits, labels)))


def median_logit_margin(logits, labels, per_example_loss):
  return float(np.median(logit_margins(logits, labels)))


def digit_abs_error(logits, labels, per_example_loss):
  labels = np.asarray(labels)
  digits = (labels >= 0) & (labels <= 9)
  if not digits.any():
    return float("nan")
  pred = np.asarray(logits)[digits][:, :10].argmax(-1)
  return float(np.mean(np.abs(pred - labels[digits])))


for _name, _fn in (("mean_logit_margin", mean_logit_margin), ("median_logit_margin", median_logit_margin),
                   ("digit_abs_error", digit_abs_error)):
  if _name not in METRICS:
    METRICS.register(_name, _fn)
