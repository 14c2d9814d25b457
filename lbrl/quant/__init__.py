"""lbrl.quant: number formats, quantizers, precision policies and post-training quantization (issue 18)."""
