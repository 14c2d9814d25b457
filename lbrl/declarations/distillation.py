"""Knowledge distillation (catalog family KD): lbrl.losses.distillation."""
from lbrl.registry import LOSSES

LOSSES.declare("kd", "lbrl.losses.distillation:kd", needs=("teacher_outputs",))
LOSSES.declare("nkd", "lbrl.losses.distillation:nkd", needs=("teacher_outputs",))
LOSSES.declare("ps_kd", "lbrl.losses.distillation:ps_kd", needs=("example_state", "step"),
               example_state="lbrl.losses.distillation:ps_kd_init")
