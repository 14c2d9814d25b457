"""Power Lines (Bergsma, Dey, Gosal, Gray, Soboleva & Hestness, "Power Lines: Scaling Laws for Weight Decay
and Batch Size in LLM Pre-training", 2025, arXiv:2505.13738).

Claim: the AdamW timescale tau = B / (eta lambda D) is what should be held fixed, so at fixed model and
data size the optimal weight decay grows linearly with the batch; across scales tau_opt is a power law in
tokens per parameter, and B_opt, B_crit are power laws in D (lbrl.optim.batch_rules: adamw_timescale,
weight_decay_for_timescale, power_law_fit).
cpu: the character LM (2 layers x 64, context 64) for a fixed number of tokens (D = 76,800 windows), AdamW
1e-3 (optax's decay, multiplied by the rate as in PyTorch), batches 8 and 32 (steps = D / B), weight decay
0.1 and 0.4 at each. 3 seeds. Rules fixed before the run: (1) at batch 32 the 4x decay (the same timescale
as 0.1 at batch 8) beats 0.1 (margin 0.005 nats); (2) at batch 8, 0.1 is not worse than 0.4 (margin 0.005
nats). A two-point probe of lambda_opt proportional to B, not the paper's fitted power lines.
paper variant: a decoder LM (the 130M LLaMA-size of lbrl.config.c4_llama standing in for the paper's
GPT-2-like 111M model on SlimPajama) with AdamW, weight decay set from the timescale rule.
"""
from lbrl import config as common

D = 76_800


def get_config(arg=None):
  c, variant = common.base(arg)
  smoke = variant == "smoke"
  common.char_lm(c, variant)
  c.model.update(num_layers=1 if smoke else 2, width=32 if smoke else 64, num_heads=2)
  c.loss = common.free(name="cross_entropy")
  c.eval_metrics = ["loss"]
  steps = lambda b: 2 if smoke else D // b
  c.data.batch_size = 32
  c.steps = steps(32)
  c.optimizer.weight_decay = 0.4
  c.schedule.warmup_steps = 1 if smoke else 50
  c.log_every = 1 if smoke else 100
  c.paper.update(
      title="Power Lines: Scaling Laws for Weight Decay and Batch Size in LLM Pre-training", year=2025,
      arxiv="2505.13738", slug="power_lines", provides="transform",
      code="AdamW (optimizer 'adamw') with lbrl.optim.batch_rules.adamw_timescale, weight_decay_for_timescale, "
           "power_law_fit",
      claim="optimal AdamW weight decay scales linearly with batch at fixed N, D; tau_opt is a power law in D/N; "
            "B_opt and B_crit are power laws in D",
      expected="lambda_opt proportional to B at fixed N, D and the power lines of the paper's Figure 1",
      setting="GPT-2-like models (111M-3.3B) on SlimPajama with muP and AdamW",
      hardware="Cerebras CS-3 (paper)")
  c.sweep.seeds = [0, 1, 2]
  c.sweep.metric = "eval/loss"
  arm = lambda b, wd: {"data": {"batch_size": b}, "steps": steps(b), "optimizer": {"weight_decay": wd},
                       "log_every": 1 if smoke else max(1, steps(b) // 20)}
  c.sweep.arms = {"b8_wd01": arm(8, 0.1), "b8_wd04": arm(8, 0.4), "b32_wd01": arm(32, 0.1),
                  "b32_wd04": arm(32, 0.4)}
  c.sweep.rules = [
      {"arm": "b32_wd04", "op": "<", "than": "b32_wd01", "margin": 0.005},
      {"arm": "b8_wd01", "op": "not_worse", "than": "b8_wd04", "margin": 0.005, "better": "lower"},
  ]
  c.sweep.partly_testable = "a two-point probe of lambda_opt ~ B on a char LM, not the fitted power lines"
  if variant == "paper":
    common.c4_llama(c, size="130m", optimizer=dict(name="adamw", learning_rate=1e-3, weight_decay=0.1))
  return common.finalize(c)
