"""Composable function-preserving expansions (Gesmundo & Maile, "Composable Function-preserving Expansions
for Transformer Architectures", 2023, arXiv:2308.06103).

Claim: six transformations enlarge a Transformer (MLP internal size, number of heads, head size for
key/query and for value/output, hidden size, layers) while exactly preserving its function, under minimal
constraints on the new weights (zero where they write into existing paths); they compose.
Mechanism at tiny-LM scale (lbrl.models.growth, transforms of the zoo TransformerLM's parameter tree):
a character LM (pre-RMSNorm, learned positions, 2 layers x 32 wide, 2 heads, MLP 4x) is trained on Tiny
Shakespeare, then grown; the tool (transformer_growth) compares the source and the grown model on 64
validation windows. Arms: mlp_depth (MLP 4x -> 8x and 2 -> 4 layers), heads_width_size (2 -> 3 heads, width
32 -> 72: head size 16 -> 24) and all (4 layers, 4 heads, width 64, MLP 8x: head size kept). 3 seeds,
200 steps of AdamW 3e-3. Rules fixed before the run: |loss change| <= 1e-4 nats and
max |logit change| <= 1e-3 for every arm (float32 tolerance; the paper's statement is exact equality).
Exactness of each transform is also unit-tested (tests/models/test_growth.py).
paper: no experiments (proofs only): CPU-sized by nature.
"""
from lbrl import config as common

ARMS = {"mlp_depth": dict(mlp_ratio=8, num_layers=4),
        "heads_width_size": dict(num_heads=3, width=72),
        "all": dict(num_layers=4, num_heads=4, width=64, mlp_ratio=8)}


def get_config(arg=None):
  c, variant = common.base(arg)
  smoke = variant == "smoke"
  c.data.update(name="tiny_shakespeare", split_train="train", split_eval="validation", batch_size=16,
                eval_batch_size=64)
  c.data.options = common.free(context=32)
  if smoke:
    c.data.options.eval_stride = 4096
  c.model = common.free(name="transformer_lm", num_layers=2, num_heads=2, width=32, mlp_ratio=4, max_len=32,
                        positions="learned", norm="rms", tie_embeddings=True, use_bias=False)
  c.loss = common.free(name="cross_entropy")
  c.optimizer = common.free(name="adamw", learning_rate=3e-3, weight_decay=0.01)
  c.schedule.update(name="cosine", warmup_steps=common.by_variant(variant, smoke=0, cpu=20, paper=20))
  c.steps = common.by_variant(variant, smoke=2, cpu=200, paper=200)
  c.log_every = common.by_variant(variant, smoke=1, cpu=50, paper=50)
  c.eval_metrics = ["loss"]
  c.sweep.kind = "analysis"
  c.analysis = dict(tool="transformer_growth", kwargs=common.free(**ARMS["all"]), split="eval",
                    batch_size=common.by_variant(variant, smoke=8, cpu=64, paper=64), at="final")
  c.paper.update(
      title="Composable Function-preserving Expansions for Transformer Architectures", year=2023,
      arxiv="2308.06103", slug="composable_function_preserving_expansions", provides="analysis tool",
      code="lbrl.models.growth.grow_transformer (expand_mlp, expand_heads, expand_head_dim, expand_width, "
           "expand_depth); transformer_growth",
      claim="six composable transformations enlarge a Transformer while exactly preserving its function",
      expected="exact preservation (Theorems 1-6 of the paper; no numbers): loss change 0 up to float32",
      setting="proofs on a generic pre-norm Transformer (RMSNorm); no training experiments",
      hardware="none (theory paper)")
  common.cpu_sized(c, "the paper proves function preservation and reports no training run: the check of the "
                      "transforms on a trained tiny LM is the whole claim")
  c.sweep.seeds = [0, 1, 2]
  c.sweep.metric = "analysis/abs_loss_change"
  c.sweep.arms = {a: {"analysis": {"kwargs": kw}} for a, kw in ARMS.items()}
  c.analysis.kwargs = common.free()   # each arm sets its own target
  c.sweep.rules = ([{"arm": a, "op": "<=", "value": 1e-4, "better": "lower"} for a in ARMS]
                   + [{"arm": a, "op": "<=", "value": 1e-3, "metric": "analysis/max_abs_logit_change",
                       "better": "lower"} for a in ARMS])
  return common.finalize(c)
