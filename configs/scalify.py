"""Scalify (Balança, Hu, Luschi and Fitzgibbon, "Scalify: scale propagation for efficient low-precision LLM
training", 2024, arXiv:2407.17353; authors' code github.com/graphcore-research/jax-scalify).

Method: tensors are scaled arrays (low-precision data times a float32 scale) whose scales are propagated
through the computational graph by fixed rules, forward and backward, instead of being re-measured
(amax statistics) at every tensor; explicit dynamic rescales go where the estimate drifts. FP8 matmuls
and FP8 gradients then work out of the box (:mod:`lbrl.quant.scalify`: ``ScalifiedMLP`` =
``scalified_mlp``, an MLP whose forward and hand-written backward propagate power-of-two scales; E4M3
forward, E5M2 backward data).
Claim: out-of-the-box FP8 matmuls and gradient representation (and float16 optimizer state, not tested
here) at the quality of higher precision.
cpu:   MNIST-1D, MLP 40-256-256-10 (:func:`lbrl.quant.policy.training_protocol`): float32 vs the naive FP8
       cast (scale 1) vs scale propagation vs scale propagation with a dynamic rescale after every layer,
       3 seeds.
paper: GPT-2 / Llama-style LM training in FP8 with jax-scalify; lbrl's scale propagation covers MLPs only,
       so the paper variant is the cpu setting.
"""
from lbrl import config as common
from lbrl.quant.policy import FP8_NAIVE, training_protocol


def get_config(arg=None):
  c, variant = common.base(arg)
  training_protocol(c, variant)
  hidden = c.model.hidden
  c.paper.update(
      title="Scalify: scale propagation for efficient low-precision LLM training", year=2024, arxiv="2407.17353",
      slug="scalify", provides="baseline",
      code="lbrl.quant.scalify (ScaledArray, matmul, as_scaled, dynamic_rescale, ScalifiedMLP = scalified_mlp) "
           "against lbrl.models.simple.MLP",
      claim="propagating scales through the graph gives FP8 matmuls and FP8 gradients at higher-precision quality "
            "without per-tensor statistics",
      expected="cpu: scale propagation within 1 point of float32 and above the naive FP8 cast",
      setting="paper: GPT-2 small / Llama-style pre-training, FP8 matmuls and gradients, float16 optimizer state",
      hardware="paper: Graphcore IPUs / GPUs; cpu: 2 cores, FP8 emulated")
  c.sweep.seeds = [0, 1, 2]
  sc = {"model": {"name": "scalified_mlp", "hidden": hidden}}
  c.sweep.arms = common.free(fp32={}, fp8_naive={"precision": {"matmul": FP8_NAIVE}}, scalify=sc,
                             scalify_rescale={"model": {**sc["model"], "rescale": "layer"}})
  c.sweep.rules = [{"arm": "scalify", "op": "not_worse", "than": "fp32", "margin": 0.01},
                   {"arm": "scalify", "op": ">", "than": "fp8_naive", "margin": 0.01}]
  c.sweep.partly_testable = "MLP operations only (no attention, no float16 optimizer state); MNIST-1D for LLMs"
  common.cpu_sized(c, "lbrl's scale propagation covers MLP operations only, not the paper's transformers; the "
                      "paper variant is the cpu setting")
  return common.finalize(c)
