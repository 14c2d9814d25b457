"""Family NORM (issue 17): normalization layers, weight reparameterizations, residual inits, AGC and the
signal-propagation diagnostics. Code: lbrl/models/norm.py, lbrl/models/simple.py (ResMLP),
lbrl/analysis/signal.py."""
from lbrl.registry import ANALYSIS_TOOLS, DIAGNOSTICS, MODELS, OPTIMIZERS

MODELS.declare("res_mlp", "lbrl.models.simple:ResMLP")
# NFNets' SGD-Nesterov with adaptive gradient clipping (classifier excluded); clipping=0 is the plain baseline
OPTIMIZERS.declare("sgd_agc", "lbrl.optim.clipping:sgd_agc", static_args=("clipping", "exclude"))

DIAGNOSTICS.declare("activation_variance", "lbrl.analysis.signal:activation_variance", intermediates=True)
DIAGNOSTICS.declare("residual_norm_growth", "lbrl.analysis.signal:residual_norm_growth", intermediates=True)
DIAGNOSTICS.declare("max_activation", "lbrl.analysis.signal:max_activation", intermediates=True)
DIAGNOSTICS.declare("attention_entropy", "lbrl.analysis.signal:attention_entropy", intermediates=True)
DIAGNOSTICS.declare("layer_gradient_norms", "lbrl.analysis.signal:layer_gradient_norms", intermediates=False)
ANALYSIS_TOOLS.declare("signal_at_init", "lbrl.analysis.signal:signal_at_init")
ANALYSIS_TOOLS.declare("alpha_bn_under_shift", "lbrl.analysis.norm_shift:alpha_bn_under_shift")
OPTIMIZERS.declare("sgd_norm_loss", "lbrl.optim.clipping:sgd_norm_loss")
# Variance control (variance_control_weight_rescaling): TVR around a base optimizer (LIR: TransformerLM(lir=True))
OPTIMIZERS.declare("tvr", "lbrl.optim.norm_rescaling:tvr_optimizer", components={"base": "adamw"},
                   static_args=("every", "scale_with_depth", "include"))
# Normalize-and-Project (normalization_effective_learning_rates): weight projection around a base optimizer,
# and the sequential random-label / permuted-input plasticity benchmark as an analysis tool
OPTIMIZERS.declare("nap", "lbrl.optim.norm_nap:nap", components={"base": "adam"}, static_args=("include",))
ANALYSIS_TOOLS.declare("sequential_plasticity", "lbrl.analysis.norm_plasticity:sequential_plasticity")
# GDN density model of image patches vs ICA and radial Gaussianization (density_modeling_images_generalized)
ANALYSIS_TOOLS.declare("gdn_density", "lbrl.analysis.norm_gdn_density:gdn_density")
# Contrast invariance of a trained classifier's predictions (instance_normalization)
ANALYSIS_TOOLS.declare("contrast_invariance", "lbrl.analysis.norm_contrast:contrast_invariance")
