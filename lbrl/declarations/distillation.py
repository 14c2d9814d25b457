"""Knowledge distillation (catalog family KD): lbrl.losses.distillation, lbrl.optim.distillation."""
from lbrl.registry import ANALYSIS_TOOLS, DATASETS, GRAD_ESTIMATORS, LOSSES, MODELS, OPTIMIZERS, TRANSFORMS

LOSSES.declare("kd", "lbrl.losses.distillation:kd", needs=("teacher_outputs",))
LOSSES.declare("nkd", "lbrl.losses.distillation:nkd", needs=("teacher_outputs",))
LOSSES.declare("ps_kd", "lbrl.losses.distillation:ps_kd", needs=("example_state", "step"),
               example_state="lbrl.losses.distillation:ps_kd_init")
LOSSES.declare("kd_components", "lbrl.losses.distillation:kd_components", needs=("teacher_outputs",),
               components=("task", "distill"))

OPTIMIZERS.declare("dot", "lbrl.optim.distillation:dot", component_grads=True)
LOSSES.declare("dual_head_kd", "lbrl.losses.distillation:dual_head_kd", consumes="logits_aux",
               needs=("teacher_outputs",), components=("task", "distill"))

MODELS.declare("dual_head", "lbrl.models.distill:DualHead", outputs=("logits", "logits_aux"))

# Level-2 knowledge transfer (fundamental_limits_knowledge_transfer) and its finite-domain simulation.
LOSSES.declare("partial_soft_label_sel", "lbrl.losses.distillation:partial_soft_label_sel", needs=("teacher_outputs",))
LOSSES.declare("partial_soft_label_ce", "lbrl.losses.distillation:partial_soft_label_ce", needs=("teacher_outputs",))
ANALYSIS_TOOLS.declare("knowledge_transfer_simulation",
                       "lbrl.analysis.kd_finite_domain:knowledge_transfer_simulation")

# BOOT (boot): the 2-D toy diffusion teacher and its one-step bootstrapped student.
ANALYSIS_TOOLS.declare("boot_toy_study", "lbrl.models.diffusion_toy:boot_toy_study")

# B-MTARD (mitigating_accuracy_robustness_trade): adversarial training as gradient estimators, the
# two-teacher loss (a clean teacher's outputs and a robust teacher's under keyword robust_teacher_outputs),
# the robust accuracy of a trained model.
LOSSES.declare("mtard", "lbrl.losses.distillation:mtard", needs=("teacher_outputs", "robust_teacher_outputs"),
               components=("nat", "adv"))
GRAD_ESTIMATORS.declare("adversarial", "lbrl.optim.adversarial:adversarial_estimator")
GRAD_ESTIMATORS.declare("mtard", "lbrl.optim.adversarial:mtard_estimator")
ANALYSIS_TOOLS.declare("robust_accuracy", "lbrl.analysis.robustness:robust_accuracy")

# FRACAL (fractal_calibration_long_tailed, calibration family; declared here by its session): the
# post-hoc transform scored on a long-tailed classifier.
ANALYSIS_TOOLS.declare("fracal_study", "lbrl.analysis.long_tail_calibration:fracal_study")

# FerKD (ferkd): partial soft-hard labels of random crops; the crops (and SelfMix) drawn once per example.
LOSSES.declare("ferkd", "lbrl.losses.distillation:ferkd", needs=("teacher_outputs",))
TRANSFORMS.declare("region_crops", "lbrl.data.region_crops:region_crops")

# KD-Loss (facial_landmark_points_detection): landmark regression with a Tough-Teacher (teacher_outputs) and a
# Tolerant-Teacher (tolerant_teacher_outputs) trained on ASM Soft-landmarks; the synthetic face set; the NME tool.
LOSSES.declare("landmark_l2", "lbrl.losses.landmarks:landmark_l2")
LOSSES.declare("landmark_l1", "lbrl.losses.landmarks:landmark_l1")
LOSSES.declare("kd_landmark", "lbrl.losses.landmarks:kd_landmark",
               needs=("teacher_outputs", "tolerant_teacher_outputs"), components=("main", "tough", "tolerant"))
ANALYSIS_TOOLS.declare("landmark_nme", "lbrl.losses.landmarks:landmark_nme")
DATASETS.declare("synthetic_landmarks", "lbrl.data.landmarks:load")
