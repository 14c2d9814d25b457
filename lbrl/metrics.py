"""Evaluation metrics as per-example statistics on device plus a reduction over the evaluated examples.

A metric named in ``config.eval_metrics`` (declared in :data:`lbrl.registry.METRICS`) is a function
``stats(logits [N, C], labels [N], loss [N]) -> Array[N] | dict[str, Array[N]]`` that runs inside the
jitted eval step, and a reduction:

* ``reduce="mean"``: the metric is the mean of its per-example statistic over the evaluated examples.
  The eval loop sums it on device, batch after batch (streaming: nothing per example leaves the device).
* otherwise a host function ``reduce(stats: dict[str, np.ndarray]) -> float`` over the statistics of
  every evaluated example: a few numbers per example (a prediction, a confidence), never the
  ``[N, C]`` logits, so an LM or segmentation eval never copies ``[tokens, vocabulary]`` to a host.

"Evaluated examples" are exactly the rows the eval counts and logs (``eval/num_examples``): real rows
(padding excluded) whose integer label is not the ignore id ``-1``; for LMs each token is a row.
``compute(names, logits, labels, loss)`` evaluates metrics on host arrays (for tests and user code).
"""
from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

# ---------------------------------------------------------------- per-example statistics (device, jittable)


def loss(logits, labels, per_example_loss):
  """The trained loss, as the loss function computed it per example."""
  return per_example_loss


def accuracy(logits, labels, per_example_loss):
  """1 where the arg-max class is the label."""
  return (jnp.argmax(logits, -1) == labels).astype(jnp.float32)


def mse(predictions, targets, per_example_loss):
  """Regression (``inputs="targets"``): each example's mean squared error over its target dimensions."""
  return jnp.mean(jnp.square(predictions - targets), -1)


def mae(predictions, targets, per_example_loss):
  """Regression (``inputs="targets"``): each example's mean absolute error over its target dimensions."""
  return jnp.mean(jnp.abs(predictions - targets), -1)


def _rank_of_label(logits, labels):
  """Number of classes whose logit is above the label's, ties counted for the lower class index
  (the order of a stable descending sort)."""
  true = jnp.take_along_axis(logits, labels[:, None], -1)
  idx = jnp.arange(logits.shape[-1])
  above = (logits > true) | ((logits == true) & (idx[None, :] < labels[:, None]))
  return jnp.sum(above, -1)


def top5_accuracy(logits, labels, per_example_loss):
  """1 where the label is among the 5 largest logits (ties broken by class order)."""
  return (_rank_of_label(logits, labels) < 5).astype(jnp.float32)


def top10_accuracy(logits, labels, per_example_loss):
  """1 where the label is among the 10 largest logits (ties broken by class order)."""
  return (_rank_of_label(logits, labels) < 10).astype(jnp.float32)


def _prediction(logits, labels, per_example_loss):
  return {"pred": jnp.argmax(logits, -1).astype(jnp.int32), "label": labels.astype(jnp.int32)}


balanced_accuracy = macro_f1 = entity_f1 = _prediction


def ece(logits, labels, per_example_loss):
  """Confidence (max softmax probability) and correctness per example, for the binned ECE."""
  z = logits.astype(jnp.float32)
  p = jnp.exp(z - jnp.max(z, -1, keepdims=True))
  conf = jnp.max(p, -1) / jnp.sum(p, -1)
  return {"conf": conf, "correct": (jnp.argmax(z, -1) == labels).astype(jnp.float32)}


def zero_loss_fraction(logits, labels, per_example_loss):
  """1 where the loss (float32, as trained) is exactly 0: such examples give no gradient. Prieto et al.
  ("Grokking at the Edge of Numerical Stability", 2025, arXiv:2501.04697, slug stablemax) track it as
  the signature of Softmax Collapse."""
  return (per_example_loss == 0).astype(jnp.float32)


def softmax_collapse(logits, labels, per_example_loss):
  """1 where the float32 softmax is exactly one-hot: ``sum_k exp(z_k - max z) == 1`` in float32, every
  non-maximal term absorbed (Softmax Collapse, arXiv:2501.04697). Depends only on the logits."""
  z = logits.astype(jnp.float32)
  return (jnp.sum(jnp.exp(z - jnp.max(z, -1, keepdims=True)), -1) == 1).astype(jnp.float32)


def _margin(logits, labels):
  true = jnp.take_along_axis(logits, labels[:, None], -1)[:, 0]
  other = jnp.where(jnp.arange(logits.shape[-1])[None, :] == labels[:, None], -jnp.inf, logits)
  return (true - jnp.max(other, -1)).astype(jnp.float32)


def mean_logit_margin(logits, labels, per_example_loss):
  """``z_y - max_{k != y} z_k`` (the SOVR paper's logit margin; positive iff correctly classified)."""
  return _margin(logits, labels)


def median_logit_margin(logits, labels, per_example_loss):
  return {"margin": _margin(logits, labels)}


def digit_abs_error(logits, labels, per_example_loss):
  """For tokens whose label is a digit token ``0..9`` (``arithmetic_text``'s vocabulary
  ``"0123456789+-*="``), ``|argmax over the digit logits - label|``: the numeric error of the predicted
  digit, the quantity number-token losses target. Other tokens are left out."""
  pred = jnp.argmax(logits[:, :10], -1)
  return {"error": jnp.abs(pred - labels).astype(jnp.float32),
          "digit": ((labels >= 0) & (labels <= 9)).astype(jnp.float32)}


# ---------------------------------------------------------------- host reductions (float64 NumPy)


def reduce_balanced_accuracy(s) -> float:
  """Mean over the classes present in the labels of the per-class recall."""
  pred, label = s["pred"], s["label"]
  return float(np.mean([np.mean(pred[label == c] == c) for c in np.unique(label)]))


def reduce_macro_f1(s) -> float:
  """Unweighted mean over classes (present as a label or a prediction) of F1 = 2TP / (2TP + FP + FN)."""
  pred, label = s["pred"], s["label"]
  f1 = []
  for c in np.union1d(np.unique(pred), np.unique(label)):
    tp = np.sum((pred == c) & (label == c))
    f1.append(2 * tp / (2 * tp + np.sum((pred == c) & (label != c)) + np.sum((pred != c) & (label == c))))
  return float(np.mean(f1))


def reduce_entity_f1(s) -> float:
  """Micro-F1 over the classes other than 0, the background ("O" / negative) class: the token-level NER
  F1 (TP: a non-zero label predicted exactly; FP: a wrong non-zero prediction; FN: a missed non-zero
  label). With two classes it is the binary F1 of class 1. 0 when there is nothing to score."""
  pred, label = s["pred"], s["label"]
  tp = np.sum((pred == label) & (label != 0))
  wrong = np.sum((pred != label) & (pred != 0)) + np.sum((pred != label) & (label != 0))
  return float(2 * tp / (2 * tp + wrong)) if tp + wrong else 0.0


def reduce_ece(s, num_bins: int = 15) -> float:
  """Expected calibration error with 15 equal-width confidence bins (Guo et al., 2017, arXiv:1706.04599):
  ``sum_b |B_b|/N * |acc(B_b) - conf(B_b)|``. Bins are ``((b-1)/B, b/B]`` (closed on the right, as Guo et
  al. and scikit-learn's ``calibration_curve``), confidence 0 in the first; the other calibration
  metrics are in :mod:`lbrl.evaluation.calibration`."""
  conf, correct = np.asarray(s["conf"], np.float64), np.asarray(s["correct"], np.float64)
  bins = np.clip(np.ceil(conf * num_bins).astype(int) - 1, 0, num_bins - 1)
  total = 0.0
  for b in range(num_bins):
    sel = bins == b
    if sel.any():
      total += sel.mean() * abs(correct[sel].mean() - conf[sel].mean())
  return float(total)


def reduce_median_margin(s) -> float:
  return float(np.median(s["margin"]))


def reduce_digit_abs_error(s) -> float:
  digit = s["digit"] > 0
  return float(np.mean(s["error"][digit])) if digit.any() else float("nan")


# ---------------------------------------------------------------- evaluation on host arrays


def compute(names, logits, labels, per_example_loss=None) -> dict[str, float]:
  """The metrics ``names`` over every row of ``logits [N, C]`` / ``labels [N]`` (host arrays), through
  the same statistics and reductions the trainer's streaming eval uses."""
  from lbrl.registry import METRICS, resolve
  logits = jnp.asarray(logits, jnp.float32)
  labels = jnp.asarray(labels)
  per_example_loss = jnp.zeros(labels.shape, jnp.float32) if per_example_loss is None else jnp.asarray(
      per_example_loss, jnp.float32)
  out: dict[str, Any] = {}
  for name in names:
    stats = METRICS.get(name)(logits, labels, per_example_loss)
    reduce = METRICS.spec(name).reduce
    if reduce == "mean":
      out[name] = float(np.mean(np.asarray(stats, np.float64)))
    else:
      out[name] = resolve(reduce)({k: np.asarray(v) for k, v in stats.items()})
  return out


# ---------------------------------------------------------------- metrics of grouped scores (ranking)
# MetricSpec(inputs="scores_groups"): fn(scores [Q, L], relevance [Q, L], where [Q, L]) -> [Q], averaged
# over the query lists that have an evaluated item (lbrl.evaluation.ranking: rax's metrics per list).

def ndcg_at_10(scores, relevance, where):
  """NDCG@10 per list, exponential gain ``2^rel - 1`` (the LTR convention; rax's default)."""
  from lbrl.evaluation.ranking import ndcg_at_k
  return ndcg_at_k(scores, relevance, where=where, k=10)


def ndcg_full(scores, relevance, where):
  """NDCG over the whole list, exponential gain."""
  from lbrl.evaluation.ranking import ndcg_at_k
  return ndcg_at_k(scores, relevance, where=where, k=None)


def mrr_groups(scores, relevance, where):
  """Reciprocal rank of the first item with relevance > 0, per list."""
  from lbrl.evaluation.ranking import mrr
  return mrr(scores, relevance, where=where)

