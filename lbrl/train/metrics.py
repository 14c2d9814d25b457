"""Evaluation metrics computed on the host from a split's logits and labels (float64 NumPy).

``config.eval_metrics`` names them; each takes ``(logits [N, C], labels [N], per_example_loss [N])``
with padding already removed (LM outputs are flattened over tokens, ignored tokens dropped).
"""
from __future__ import annotations

import numpy as np

from lbrl.registry import Registry

METRICS = Registry("metric")


def _probs(logits):
  z = logits - logits.max(-1, keepdims=True)
  e = np.exp(z)
  return e / e.sum(-1, keepdims=True)


@METRICS.register("loss")
def loss(logits, labels, per_example_loss):
  return float(np.mean(per_example_loss))


@METRICS.register("accuracy")
def accuracy(logits, labels, per_example_loss):
  return float(np.mean(logits.argmax(-1) == labels))


def top_k_accuracy(logits, labels, k: int) -> float:
  """Share of examples whose label is among the ``k`` largest logits (ties broken by class order)."""
  top = np.argsort(-logits, -1, kind="stable")[:, :k]
  return float(np.mean((top == labels[:, None]).any(-1)))


for _k in (5, 10):
  METRICS.register(f"top{_k}_accuracy", lambda logits, labels, per_example_loss, k=_k: top_k_accuracy(logits, labels, k))


@METRICS.register("balanced_accuracy")
def balanced_accuracy(logits, labels, per_example_loss):
  """Mean over classes present in ``labels`` of the per-class recall."""
  pred = logits.argmax(-1)
  return float(np.mean([np.mean(pred[labels == c] == c) for c in np.unique(labels)]))


@METRICS.register("macro_f1")
def macro_f1(logits, labels, per_example_loss):
  """Unweighted mean over classes of F1 = 2 TP / (2 TP + FP + FN)."""
  pred = logits.argmax(-1)
  f1 = []
  for c in range(logits.shape[-1]):
    tp = np.sum((pred == c) & (labels == c))
    denom = 2 * tp + np.sum((pred == c) & (labels != c)) + np.sum((pred != c) & (labels == c))
    if denom:
      f1.append(2 * tp / denom)
  return float(np.mean(f1))


@METRICS.register("entity_f1")
def entity_f1(logits, labels, per_example_loss):
  """Micro-F1 over the classes other than 0, the background ("O" / negative) class: the token-level
  NER F1 (TP: a non-zero label predicted exactly; FP: a wrong non-zero prediction; FN: a missed non-zero
  label). With two classes it is the binary F1 of class 1. 0 when there is nothing to score."""
  pred = logits.argmax(-1)
  tp = np.sum((pred == labels) & (labels != 0))
  wrong = np.sum((pred != labels) & (pred != 0)) + np.sum((pred != labels) & (labels != 0))
  return float(2 * tp / (2 * tp + wrong)) if tp + wrong else 0.0


@METRICS.register("ece")
def ece(logits, labels, per_example_loss, num_bins: int = 15):
  """Expected calibration error with equal-width confidence bins (Guo et al., 2017, arXiv:1706.04599):
  ``sum_b |B_b|/N * |acc(B_b) - conf(B_b)|`` over 15 bins of the max softmax probability."""
  p = _probs(logits.astype(np.float64))
  conf, pred = p.max(-1), p.argmax(-1)
  correct = pred == labels
  bins = np.minimum((conf * num_bins).astype(int), num_bins - 1)
  total = 0.0
  for b in range(num_bins):
    sel = bins == b
    if sel.any():
      total += sel.mean() * abs(correct[sel].mean() - conf[sel].mean())
  return float(total)


@METRICS.register("zero_loss_fraction")
def zero_loss_fraction(logits, labels, per_example_loss):
  """Share of examples whose loss (as the trained loss computed it, float32) is exactly 0: they give no
  gradient. Prieto et al. ("Grokking at the Edge of Numerical Stability", 2025, arXiv:2501.04697,
  slug stablemax) track it on the training set as the signature of Softmax Collapse."""
  return float(np.mean(np.asarray(per_example_loss) == 0))


@METRICS.register("softmax_collapse")
def softmax_collapse(logits, labels, per_example_loss):
  """Share of examples whose float32 softmax is exactly one-hot: ``sum_k exp(z_k - max z) == 1`` in
  float32, i.e. every non-maximal term is absorbed (Softmax Collapse; the stablemax paper's measure,
  arXiv:2501.04697). Depends only on the logits, whatever loss was trained."""
  z = np.asarray(logits, np.float32)
  total = np.sum(np.exp(z - z.max(-1, keepdims=True)), axis=-1, dtype=np.float32)
  return float(np.mean(total == np.float32(1)))


def compute(names, logits, labels, per_example_loss) -> dict[str, float]:
  return {n: METRICS.get(n)(logits, labels, per_example_loss) for n in names}


# Paper-specific metrics (logit margins, digit error) register themselves here.
from lbrl.losses import eval_metrics  # noqa: E402,F401
