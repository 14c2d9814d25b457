"""Family SCALE, part 2 (issue 19): batch-size and learning-rate rules, model growth, recipes. Code:
lbrl/optim/batch_rules.py, lbrl/analysis/noise_scale.py, lbrl/models/growth.py, lbrl/models/recipes.py."""
from lbrl.registry import ANALYSIS_TOOLS, DIAGNOSTICS, MODELS

ANALYSIS_TOOLS.declare("gradient_noise_scale", "lbrl.analysis.noise_scale:gradient_noise_scale")
DIAGNOSTICS.declare("gradient_noise_scale", "lbrl.analysis.noise_scale:gradient_noise_diagnostic", intermediates=False)
ANALYSIS_TOOLS.declare("transformer_growth", "lbrl.models.growth:growth_preservation")

MODELS.declare("efficientnet", "lbrl.models.recipes:EfficientNet")
MODELS.declare("resnet_rs", "lbrl.models.recipes:ResNetRS")
ANALYSIS_TOOLS.declare("efficientnet_table", "lbrl.models.recipes:efficientnet_table")
ANALYSIS_TOOLS.declare("resnet_rs_table", "lbrl.models.recipes:resnet_rs_table")
