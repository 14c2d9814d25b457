"""Calibration family (issue 20): eval metrics, post-training calibrators, training-time calibration losses.

Metrics: lbrl.evaluation.calibration (statistics on device, reductions over the gathered statistics);
equal-width ECE stays ``ece`` in lbrl.metrics. Calibrators: lbrl.evaluation.calibrators (pure fitting
functions) wrapped as stages in lbrl.train.stages.
"""
from lbrl.registry import ANALYSIS_TOOLS, LOSSES, METRICS, POST_TRAINING, TRANSFORMS

_C = "lbrl.evaluation.calibration:"
METRICS.declare("ece_mass", "lbrl.metrics:ece", reduce=_C + "reduce_ece_mass")
METRICS.declare("mce", "lbrl.metrics:ece", reduce=_C + "reduce_mce")
METRICS.declare("smooth_ece", "lbrl.metrics:ece", reduce=_C + "reduce_smooth_ece")
METRICS.declare("classwise_ece", _C + "classwise_stats", reduce=_C + "reduce_classwise_ece")
METRICS.declare("brier", _C + "brier_stats", reduce="mean")
METRICS.declare("nll", _C + "nll_stats", reduce="mean")

# Post-training calibrators (lbrl.train.stages wrapping lbrl.evaluation.calibrators); temperature_scaling is
# declared in lbrl.registry.
for _name in ("vector_scaling", "matrix_scaling", "platt_scaling", "online_platt_scaling", "h_calibration"):
  POST_TRAINING.declare(_name, f"lbrl.train.stages:{_name}")

TRANSFORMS.declare("mixup", "lbrl.data.calibration_transforms:mixup")
LOSSES.declare("acls", "lbrl.losses.calibration:acls")

# Several calibrators fitted on one trained model per seed (h_calibration, optimizing_calibration_gaining_aware).
ANALYSIS_TOOLS.declare("posthoc_calibration", "lbrl.evaluation.calibrators:posthoc_calibration")
ANALYSIS_TOOLS.declare("regression_calibration_study", "lbrl.evaluation.calibrators:regression_calibration_study")
ANALYSIS_TOOLS.declare("lsboost_study", "lbrl.evaluation.calibrators:lsboost_study")
ANALYSIS_TOOLS.declare("bayesian_bootstrap_conformal_study", "lbrl.evaluation.calibrators:bayesian_bootstrap_conformal_study")
