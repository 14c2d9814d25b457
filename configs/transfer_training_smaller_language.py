"""Transfer training from a smaller language model (Han Zhang, "Transfer training from smaller language
model", 2021, arXiv:2104.11390).

Claim: a larger Transformer initialised from a trained smaller one by copying its weights and padding with
zeros (or small values) has about the same outputs (block matrix products and residual connections), stays
comparable with the source on its tasks, and continued training starts from a lower loss.
lbrl: the padding is lbrl.models.growth (expand_width: zero embedding/output columns, random input rows,
RMSNorm gains rescaled, exact; expand_depth: identity blocks; grow_transformer composes them).
cpu (the mechanism at tiny-LM scale): the character LM (pre-RMSNorm, learned positions, 2 layers x 32, 2
heads) trained 200 steps on Tiny Shakespeare, grown to twice the width (64, 4 heads) and to twice the width
and depth (4 layers); the transformer_growth tool compares source and grown model on 64 validation windows.
3 seeds. Rules fixed before the run: |loss change| <= 1e-4 nats for both arms. Continued training of the
grown model needs the trainer to start from given parameters (the family report gives the change), so the
"starts from a smaller loss and continues lower" half is not tested (partly testable).
"""
from lbrl import config as common

ARMS = {"width_2x": dict(width=64, num_heads=4), "width_depth_2x": dict(width=64, num_heads=4, num_layers=4)}


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
  c.schedule.update(name="cosine", warmup_steps=0 if smoke else 20)
  c.steps = 2 if smoke else 200
  c.log_every = 1 if smoke else 50
  c.eval_metrics = ["loss"]
  c.sweep.kind = "analysis"
  c.analysis = dict(tool="transformer_growth", kwargs=common.free(), split="eval",
                    batch_size=8 if smoke else 64, at="final")
  c.paper.update(
      title="Transfer training from smaller language model", year=2021, arxiv="2104.11390",
      slug="transfer_training_smaller_language", provides="analysis tool",
      code="lbrl.models.growth.grow_transformer (expand_width, expand_depth); transformer_growth",
      claim="a larger model initialised from a smaller trained one by zero padding has about the same outputs and "
            "continued training starts from a lower loss",
      expected="approximately equal outputs and a lower starting loss when training continues (figures; no numbers)",
      setting="BERT/GPT-style Transformers grown in width and depth, then trained further",
      hardware="GPU (paper)")
  common.cpu_sized(c, "the paper's claim is the preservation of the function by padding, a parameter-tree "
                      "transform checked on a trained model; its own models and data are not specified reproducibly")
  c.sweep.seeds = [0, 1, 2]
  c.sweep.metric = "analysis/abs_loss_change"
  c.sweep.arms = {a: {"analysis": {"kwargs": kw}} for a, kw in ARMS.items()}
  c.sweep.rules = [{"arm": a, "op": "<=", "value": 1e-4, "better": "lower"} for a in ARMS]
  c.sweep.partly_testable = ("continued training of the grown model needs the trainer to start from given "
                             "parameters (not yet available)")
  return common.finalize(c)
