"""FRACAL's post-hoc transform scored on a long-tailed classifier (``ANALYSIS_TOOLS`` name ``fracal_study``).

FRACAL (Alexandridis, Elezi, Deng, Nguyen and Luo, "Fractal Calibration for long-tailed object detection",
CVPR 2025, arXiv:2410.11774, slug ``fractal_calibration_long_tailed``) recalibrates a detector's softmax
classifier after training: ``p'_c ∝ softmax(z - log prior)_c / D_c^2``
(:func:`lbrl.evaluation.calibrators.apply_fracal`), where ``D_c`` is the box-counting dimension of class
``c``'s object centres in the training images (:func:`lbrl.evaluation.calibrators.box_counting_dimension`).

A classifier has no object locations: with ``fractal_dims=None`` every ``D_c = 1`` and the transform is
its logit-adjustment part alone (the class-prior term). ``fractal_dims`` ([C]) may be given to apply the
full transform with dimensions computed elsewhere.
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np


def _recalls(pred: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
  """Per-class recall (NaN for a class absent from ``labels``)."""
  hit = np.bincount(labels[pred == labels], minlength=num_classes).astype(np.float64)
  n = np.bincount(labels, minlength=num_classes).astype(np.float64)
  return np.where(n > 0, hit / np.maximum(n, 1), np.nan)


def fracal_study(ctx, *, power: float = 2.0, fractal_dims=None, tail_classes: int = 3, num_bins: int = 15) -> dict:
  """Scores of the uncalibrated model and of FRACAL on ``ctx.x`` / ``ctx.labels`` (the balanced eval split).

  The class prior is the training split's class frequencies (``cfg.data.split_train`` with
  ``cfg.data.transforms`` applied as the trainer does, e.g. ``long_tail``). Returns, for ``m`` in
  ``uncalibrated``, ``fracal``: ``m/accuracy``, ``m/balanced_accuracy`` (mean per-class recall),
  ``m/tail_accuracy`` / ``m/head_accuracy`` (mean recall over the ``tail_classes`` rarest / most frequent
  training classes), ``m/ece`` and ``m/nll``; and ``d/<score> = fracal - uncalibrated`` for each.
  """
  from lbrl.data import core
  from lbrl.evaluation.calibrators import apply_fracal, eval_scores
  cfg = ctx.cfg
  train = core.load(cfg.data.name, cfg.data.split_train, data_dir=cfg.data.data_dir, **dict(cfg.data.options))
  train = core.apply_transforms(train, cfg.data.transforms, seed=cfg.seed)
  z = jnp.asarray(ctx.apply(ctx.params, jnp.asarray(ctx.x)), jnp.float32)
  num_classes = z.shape[-1]
  counts = np.bincount(np.asarray(train.arrays["label"]), minlength=num_classes).astype(np.float64)
  if not 1 <= int(tail_classes) <= num_classes // 2:
    raise ValueError(f"tail_classes must be in [1, {num_classes // 2}], got {tail_classes}")
  if np.any(counts == 0):
    raise ValueError(f"fracal_study: the training split lacks classes {np.flatnonzero(counts == 0).tolist()}")
  dims = np.ones(num_classes) if fractal_dims is None else np.asarray(fractal_dims, np.float64)
  log_prior = np.log(counts / counts.sum())
  order = np.argsort(counts, kind="stable")
  tail, head = order[:int(tail_classes)], order[::-1][:int(tail_classes)]
  labels = np.asarray(ctx.labels)
  methods = {"uncalibrated": z, "fracal": apply_fracal(z, fractal_dims=dims, log_prior=log_prior, power=power)}
  out = {}
  for m, logits in methods.items():
    base = eval_scores(logits, labels, num_bins=num_bins)
    rec = _recalls(np.asarray(jnp.argmax(logits, -1)), labels, num_classes)
    scores = {"accuracy": base["accuracy"], "balanced_accuracy": float(np.nanmean(rec)),
              "tail_accuracy": float(np.nanmean(rec[tail])), "head_accuracy": float(np.nanmean(rec[head])),
              "ece": base["ece"], "nll": base["nll"]}
    out.update({f"{m}/{k}": v for k, v in scores.items()})
  for k in ("accuracy", "balanced_accuracy", "tail_accuracy", "head_accuracy", "ece", "nll"):
    out[f"d/{k}"] = out[f"fracal/{k}"] - out[f"uncalibrated/{k}"]
  return out
