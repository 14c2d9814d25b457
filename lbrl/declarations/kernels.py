"""Declarations of the kernel family (issue 22): parameter transforms of the output-head kernels."""
from lbrl.registry import PARAM_TRANSFORMS

PARAM_TRANSFORMS.declare("vq_from_dense", "lbrl.models.vq_head:vq_from_dense")
