"""Every classification-family loss with the arguments the shared battery needs."""
import numpy as np

C = 5
COUNTS = np.array([100, 50, 20, 5, 1])

# name -> (kind, kwargs). kind: "multi" (logits [..., C]), "binary" (scores [...]), "distance".
CASES = {
    "cross_entropy": ("multi", {}),
    "poly1_cross_entropy": ("multi", {}),
    "softmax_focal": ("multi", {}),
    "squentropy": ("multi", {}),
    "spherical_zloss": ("multi", {}),
    "sparsemax_loss": ("multi", {}),
    "ldam": ("multi", {"class_counts": COUNTS}),
    "acls": ("multi", {}),
    # distillation: the teacher's logits, a fixed function of the student's (same shape and dtype)
    "kd": ("multi", {"teacher_outputs": lambda o: 0.5 * o[..., ::-1] + 0.25}),
    "nkd": ("multi", {"teacher_outputs": lambda o: 0.5 * o[..., ::-1] + 0.25}),
    "ferkd": ("multi", {"teacher_outputs": lambda o: 0.5 * o[..., ::-1] + 0.25}),
    "partial_soft_label_sel": ("multi", {"teacher_outputs": lambda o: 0.5 * o[..., ::-1] + 0.25}),
    "partial_soft_label_ce": ("multi", {"teacher_outputs": lambda o: 0.5 * o[..., ::-1] + 0.25}),
    "ldam_drw": ("multi", {"class_counts": COUNTS, "step": 10, "drw_start_step": 5}),
    "cross_entropy_drw": ("multi", {"class_counts": COUNTS, "step": 10, "drw_start_step": 5}),
    "one_vs_rest": ("multi", {}),
    "sovr": ("multi", {}),
    "stablemax_cross_entropy": ("multi", {}),
    "harmonic_loss": ("distance", {}),
    "normalized_cross_entropy": ("multi", {}),
    "normalized_focal": ("multi", {}),
    "reverse_cross_entropy": ("multi", {}),
    "mean_absolute_error": ("multi", {}),
    "active_passive": ("multi", {}),
    "comp_sum": ("multi", {"tau": 0.0}),
    "generalized_cross_entropy": ("multi", {}),
    "ldr_kl": ("multi", {}),
    "aldr_kl": ("multi", {}),
    "logit_zloss": ("multi", {}),
    "cross_entropy_zloss": ("multi", {}),
    "number_token_loss": ("multi", {"number_token_ids": [1, 2, 3, 4]}),
    "ensloss": ("binary", {"rng": np.array([0, 3], np.uint32)}),
    "binary_logistic": ("binary", {}),
    "binary_hinge": ("binary", {}),
    "anyloss": ("binary", {}),
    "dice_nlp": ("multi", {}),
    "tversky_nlp": ("multi", {}),
}

# Losses whose value couples the examples of a batch (selection, ranking or a batch metric), as declared.
from lbrl.registry import LOSSES  # noqa: E402
BATCH_WIDE = {n for n in CASES if LOSSES.spec(n).batch_wide}


def inputs(kind, rng, shape=(6,), scale=3.0):
  """(outputs, integer labels) for a loss kind."""
  if kind == "binary":
    return rng.normal(size=shape) * scale, rng.integers(0, 2, size=shape)
  out = rng.normal(size=shape + (C,)) * scale
  if kind == "distance":
    out = np.abs(out)
  return out, rng.integers(0, C, size=shape)
