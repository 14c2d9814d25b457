"""Scaling family (issue 19, part 1): parametrisations, coordinate checks and norm monitors."""
from lbrl.registry import ANALYSIS_TOOLS, DIAGNOSTICS, PARAMETRIZATIONS

PARAMETRIZATIONS.declare("depth_mup", "lbrl.optim.parametrization:depth_mup")
PARAMETRIZATIONS.declare("layerwise_wd", "lbrl.optim.parametrization:layerwise_wd")
PARAMETRIZATIONS.declare("deepscalelm", "lbrl.optim.parametrization:deepscalelm")

DIAGNOSTICS.declare("coord_check", "lbrl.analysis.coord_check:coord_check", intermediates=True)
DIAGNOSTICS.declare("top_singular_values", "lbrl.analysis.coord_check:top_singular_values", intermediates=False)
DIAGNOSTICS.declare("output_norm", "lbrl.analysis.coord_check:output_operator_norm", intermediates=False)

ANALYSIS_TOOLS.declare("coord_check", "lbrl.analysis.coord_check:coord_check_tool")
