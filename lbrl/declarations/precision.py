"""Precision and quantization family (issue 18): lbrl.quant (formats, quantizers, post-training tools)."""
from lbrl.registry import ANALYSIS_TOOLS, DIAGNOSTICS, LOSSES, MODELS, PARAM_TRANSFORMS

DIAGNOSTICS.declare("grad_underflow", "lbrl.quant.diagnostics:grad_underflow", intermediates=False)
ANALYSIS_TOOLS.declare("ptq", "lbrl.quant.analysis:ptq_tool")
MODELS.declare("unit_scaled_mlp", "lbrl.quant.unit_scaling:UnitScaledMLP")
MODELS.declare("self_compressing_mlp", "lbrl.quant.self_compressing:SelfCompressingMLP")
ANALYSIS_TOOLS.declare("self_compression", "lbrl.quant.self_compressing:self_compression_tool")
ANALYSIS_TOOLS.declare("snip", "lbrl.quant.snip:snip_tool")
ANALYSIS_TOOLS.declare("elastic_eval", "lbrl.quant.policy:elastic_eval_tool")
MODELS.declare("scalified_mlp", "lbrl.quant.scalify:ScalifiedMLP")
MODELS.declare("eq_net_mlp", "lbrl.quant.eq_net:EQNetMLP", outputs=("logits", "logits_aux"))
LOSSES.declare("eq_net_sandwich", "lbrl.quant.eq_net:eq_net_sandwich", consumes="logits_aux")
PARAM_TRANSFORMS.declare("eq_net_from_float", "lbrl.quant.eq_net:eq_net_from_float")
