"""SNIP ("SNIP: An Adaptive Mixed Precision Framework for Subbyte Large Language Model Training", 2025).

Method: per linear layer and candidate format, a forward "loss divergence" (the loss increase when the
layer computes in that format) and a backward "weight divergence" (the error the format puts into the
layer's weight gradient); an integer linear program picks each layer's GEMM precision, down to sub-byte
formats, to minimise the divergence under an efficiency target (:mod:`lbrl.quant.snip`, the ``snip``
analysis tool: FP8 E4M3/E5M2 per tensor or MXFP4 per layer, average 5 bits per multiply-add, i.e. three
quarters of the work in FP4; :func:`lbrl.quant.allocation.integer_program`).
Claim: up to 80% fewer FLOPs with the model's quality preserved, the selection beating uniform and
heuristic assignments at the same efficiency (1B-70B Llama-like models).
cpu:   mnist5k, MLP 784-256-256-256-256-10 (five layers to choose among), Adam 1e-3, batch 128, 800 steps,
       3 seeds; the tool on the 1,000 test digits (256 calibrate, 744 score): SNIP's assignment vs the
       mean of 8 random assignments meeting the same budget, and uniform FP8 / FP4.
paper: Llama-like 1B-70B pre-training; the paper variant trains the LLaMA-60M C4 model.
observed (cpu run, 3 seeds): SNIP's integer program (4.68 average bits per multiply-add) scores 94.49% against
       94.41% for random assignments under the same budget (+0.08 points [-0.46, +0.62]: not worse, holds) with a
       slightly higher loss (+0.004 nats, inconclusive); uniform MXFP4 94.13%, uniform FP8 94.35%: on a five-layer
       MLP every assignment is within half a point, so the selection has little to choose.
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="mnist5k", batch_size=common.by_variant(variant, smoke=16, cpu=128, paper=128),
                eval_batch_size=1000)
  c.model = common.free(name="mlp", hidden=common.by_variant(variant, smoke=(16,), cpu=(256,) * 4, paper=(256,) * 4))
  c.loss.name = "cross_entropy"
  c.optimizer = common.free(name="adam", learning_rate=1e-3)
  c.steps = common.by_variant(variant, smoke=2, cpu=800, paper=800)
  c.eval_every = 0
  c.log_every = common.by_variant(variant, smoke=1, cpu=200, paper=200)
  c.sweep.kind = "analysis"
  c.analysis = dict(tool="snip", split="eval", batch_size=common.by_variant(variant, smoke=64, cpu=1000, paper=1000),
                    at="final", kwargs=common.free(target_bits=5.0,
                                                   calib_size=common.by_variant(variant, smoke=32, cpu=256, paper=256),
                                                   random_draws=common.by_variant(variant, smoke=1, cpu=8, paper=8)))
  c.paper.update(
      title="SNIP: An Adaptive Mixed Precision Framework for Subbyte Large Language Model Training", year=2025,
      arxiv="2602.01410", slug="snip", provides="analysis tool",
      code="lbrl.quant.snip (divergences, snip_tool) with lbrl.quant.allocation.integer_program and lbrl.quant.policy",
      claim="per-layer precision chosen from forward loss divergence and backward weight divergence by an integer "
            "program keeps quality at a FLOPs target better than other assignments",
      expected="cpu: SNIP's assignment at 5 average bits not worse than random assignments at the same budget "
               "(accuracy, 1 point) and lower in loss",
      setting="paper: Llama-like 1B, 3B, 7B, 70B pre-training with FP8/FP4 GEMMs, periodic re-selection",
      hardware="paper: GPUs; cpu: 2 cores, formats emulated")
  c.sweep.seeds = [0, 1, 2]
  c.sweep.metric = "analysis/snip"
  c.sweep.arms = common.free(float32=common.free())
  c.sweep.rules = [{"arm": "float32", "metric": "analysis/snip_minus_random", "op": ">=", "value": -0.01},
                   {"arm": "float32", "metric": "analysis/snip_minus_random_loss", "op": "<=", "value": 0.0}]
  c.sweep.partly_testable = ("the selection runs once on a trained model (SNIP re-selects during training); an "
                             "MLP on MNIST digits stands in for LLMs; the FLOPs saving is the budget, not measured")
  if variant == "paper":
    common.c4_llama(c, size="60m", optimizer=dict(name="adamw", learning_rate=1e-3, weight_decay=0.0))
  return common.finalize(c)
