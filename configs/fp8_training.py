"""FP8 training with dynamic per-tensor scaling (Perez, Zhang, Briggs, Blake, Levy-Kramer, Balanca, Luschi,
Barlow and Fitzgibbon, "Training and inference of large language models using 8-bit floating point",
2023, arXiv:2309.17224).

Method: the linear layers compute in FP8: weights and activations in E4M3, gradients in E5M2, each tensor
with its own scale computed from its current absolute maximum (``s = amax / max_fp8``, so that the
tensor fills the format's range), accumulation and master weights in higher precision
(``config.precision.matmul`` with per-tensor specs: :mod:`lbrl.quant.policy`, every Dense layer's forward
and both backward matmuls). The naive cast (same formats, scale 1) is the baseline that the scaling fixes.
Claim: GPT and Llama-2 models from 111M to 70B train and validate in FP8 with dynamic per-tensor scales
close to their higher-precision runs (the paper shows loss curves, no table of gaps).
cpu:   MNIST-1D MLP 40-256-256-10 (:func:`lbrl.quant.policy.training_protocol`), float32 vs FP8 with
       dynamic scaling vs the naive FP8 cast, 5 seeds; test accuracy at the end.
paper: the LLaMA-style 60M model on C4 of the GaLore protocol with the FP8 policy on 8 devices (the
       paper's 111M-70B GPT/Llama-2 runs on Graphcore IPUs are far beyond it).
observed (cpu run, 5 seeds): float32 66.94 +- 0.70%, FP8 with dynamic per-tensor scales 67.34 +- 0.99%, the
       naive FP8 cast 67.00 +- 0.56%: both within noise of float32 (intervals [-1.2, +2.0] and [-1.4, +1.6]
       points; inconclusive, MDE 2.2 points at 5 seeds). At this scale (O(1) activations, Adam, batch 128) the
       unscaled E5M2 gradients do not underflow enough to hurt, so the scaling's benefit is not visible.
"""
from lbrl import config as common
from lbrl.quant.policy import FP8, FP8_NAIVE, matmul_arms, paper_recipe, training_protocol


def get_config(arg=None):
  c, variant = common.base(arg)
  training_protocol(c, variant)
  c.paper.update(
      title="Training and inference of large language models using 8-bit floating point", year=2023,
      arxiv="2309.17224", slug="fp8_training", provides="baseline",
      code="lbrl.quant.policy (config.precision.matmul: per-tensor E4M3 forward / E5M2 gradient, dynamic amax scales) on lbrl.models.simple.MLP",
      claim="FP8 linear layers with dynamically updated per-tensor scales train as well as higher precision; "
            "without scaling the FP8 cast loses values",
      expected="cpu: FP8 with dynamic scaling within 1 point of float32 accuracy; the unscaled cast below float32",
      setting="paper: GPT 111M-13B and Llama-2 7B-70B pre-training / fine-tuning, E4M3 weights/activations, E5M2 "
              "gradients, per-tensor scale biases recomputed from the tensors",
      hardware="paper: Graphcore IPUs (FP8 arithmetic); cpu: 2 cores, FP8 emulated exactly by ml_dtypes casts")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.arms = common.free(**matmul_arms(fp8=FP8, fp8_naive=FP8_NAIVE))
  c.sweep.rules = [{"arm": "fp8", "op": "not_worse", "than": "fp32", "margin": 0.01},
                   {"arm": "fp8_naive", "op": "<", "than": "fp32", "margin": 0.01}]
  c.sweep.partly_testable = "an MNIST-1D MLP stands in for the paper's LLMs; quality only (no FP8 hardware here)"
  paper_recipe(c, variant, "c4_llama_60m", FP8)
  return common.finalize(c)
