"""Number-token loss (Zausinger et al., "Regress, Don't Guess -- A Regression-like Loss on Number Tokens for
Language Models", 2024, arXiv:2411.02083): CE plus a regression-like loss on the digit tokens.

Claim: on arithmetic, adding the number-token loss (NTL-MSE, or NTL-WAS: the Wasserstein-1 distance
between the predicted digit distribution and the true digit) to CE lowers the numeric error of the
model's answers compared with CE alone.
cpu:   3-digit multiplication as text ("012*345=004140", lbrl's arithmetic_text; only the answer digits
       are scored), 10,000 training / 1,000 test equations, a 2-layer 4-head 128-wide decoder-only
       Transformer LM, AdamW lr 1e-3, batch 64, 3000 steps; NTL weight lambda = 0.3 over the digit
       tokens 0-9. Metric: the mean absolute error of the predicted digit on answer positions
       (digit_abs_error, lower is better); token accuracy in the table. 3 seeds.
paper: T5 on the DeepMind mathematics dataset (interpolation / extrapolation splits), NTL-MSE and
       NTL-WAS with lambda 0.3; per-split tables of accuracy and numeric error.
"""
from lbrl import config as common

DIGITS = list(range(10))


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="arithmetic_text", batch_size=64, eval_batch_size=500)
  c.data.options = common.free(num_digits=3, op="*", num_train=10000, num_test=1000)
  c.model = common.free(name="transformer_lm", num_layers=2, num_heads=4, width=128, max_len=16,
                        positions="learned", tie_embeddings=True, use_bias=False, dropout=0.0)
  c.loss = common.free(name="number_token_loss", number_token_ids=DIGITS, variant="wasserstein", weight=0.3)
  c.optimizer = common.free(name="adamw", learning_rate=1e-3, weight_decay=0.0)
  c.steps = common.by_variant(variant, smoke=2, cpu=3000, paper=3000)
  c.eval_every = common.by_variant(variant, smoke=0, cpu=500, paper=500)
  c.log_every = common.by_variant(variant, smoke=1, cpu=250, paper=250)
  c.eval_metrics = ["loss", "accuracy", "digit_abs_error"]
  c.paper.update(
      title="Regress, Don't Guess -- A Regression-like Loss on Number Tokens for Language Models",
      year=2024, arxiv="2411.02083", slug="number_token_loss", provides="function",
      code="lbrl.losses.lm.number_token_loss",
      claim="CE + number-token loss (MSE or Wasserstein) has lower numeric error than CE alone on arithmetic",
      expected="both NTL arms below CE in digit absolute error beyond seed noise",
      setting="T5 on the DeepMind mathematics dataset, NTL weight 0.3", hardware="GPU (paper)")
  c.sweep.metric = "eval/digit_abs_error"
  ntl = lambda v: {"loss": {"name": "number_token_loss", "number_token_ids": DIGITS, "variant": v,
                            "weight": 0.3}}
  c.sweep.arms = {"ce": {"loss": {"name": "cross_entropy"}}, "ntl_mse": ntl("mse"),
                  "ntl_wasserstein": ntl("wasserstein")}
  c.sweep.rules = [{"arm": "ntl_mse", "op": "<", "than": "ce"},
                   {"arm": "ntl_wasserstein", "op": "<", "than": "ce"}]
  common.cpu_sized(
      c, "not CPU-sized: the paper trains T5 (an encoder-decoder) on the mathematics dataset, which lbrl's zoo does not have; the decoder-only proxy stands in")
  return common.finalize(c)
