"""Number-token loss (Zausinger et al., "Regress, Don't Guess -- A Regression-like Loss on Number Tokens for
Language Models", 2024, arXiv:2411.02083): CE plus a regression-like loss on the digit tokens.

Claim: on arithmetic, adding the number-token loss (NTL-MSE, or NTL-WAS: the Wasserstein-1 distance
between the predicted digit distribution and the true digit) to CE lowers the numeric error of the
model's answers compared with CE alone.
cpu:   3-digit multiplication as text ("012*345=004140", lbrl's arithmetic_text; only the answer digits
       are scored), 10,000 training equations (``train[:10000]`` of 11,000), 1,000 test equations, a
       2-layer 4-head 128-wide decoder-only Transformer LM, AdamW lr 1e-3 with cosine decay to 10%,
       batch 64, 750 steps; NTL weight lambda = 0.3 over the digit tokens 0-9. Two metrics, both
       lower-is-better: (1) teacher-forced: the mean absolute error of the arg-max digit at each answer
       position given the true digits before it, on the test set (eval/digit_abs_error); (2) generated:
       the model writes the whole answer from the prompt by greedy decoding (digits only; an early wrong
       digit feeds the next step), scored by the mean absolute digit error, exact-match rate and
       |value error| of the generated numbers (post/greedy_answer_decode/*, lbrl.evaluation.generation),
       on the 1,000 held-out training-distribution equations ``train[10000:]``, never trained on (the
       trainer's post-training stages may not read the test split; see the report). 8 seeds.
protocol (changed for issue 14, rules fixed before the rerun): the first run (3 seeds, 3000 steps,
       constant lr) had NTL-WAS below CE in 3 of 3 seeds (-16%) but n = 3 could not confirm it, and it
       scored teacher-forced digits only. Now: 8 seeds; the answers the model generates are scored too,
       and each metric has its own rules; cosine decay replaces the constant rate, because at a
       constant rate CE's endpoint wandered by +-0.25 digits between evaluations 500 steps apart (its
       per-seed curves), seed noise that came from where the run happened to stop; and 750 steps
       instead of 3000 so that 8 seeds x 3 arms fit the CPU budget (the first run's NTL-WAS advantage
       was already there at its first evaluation, step 500: 1.52 vs CE 1.84-2.11). Margins: 0.05 digits of mean absolute error
       (about 3% of CE's first-run error; the first run's NTL-WAS effect was 0.26).
paper: T5 on the DeepMind mathematics dataset (interpolation / extrapolation splits), NTL-MSE and
       NTL-WAS with lambda 0.3; per-split tables of accuracy and numeric error.
"""
from lbrl import config as common

DIGITS = list(range(10))


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="arithmetic_text", batch_size=64, eval_batch_size=500)
  # 11,000 training equations: the first 10,000 train, the last 1,000 are held out for the generated answers
  c.data.options = common.free(num_digits=3, op="*", num_train=11000, num_test=1000)
  c.data.split_train = "train[:10000]"
  c.model = common.free(name="transformer_lm", num_layers=2, num_heads=4, width=128, max_len=16,
                        positions="learned", tie_embeddings=True, use_bias=False, dropout=0.0)
  c.loss = common.free(name="number_token_loss", number_token_ids=DIGITS, variant="wasserstein", weight=0.3)
  c.optimizer = common.free(name="adamw", learning_rate=1e-3, weight_decay=0.0)
  c.schedule.update(name="cosine", end_fraction=0.1)
  c.steps = common.by_variant(variant, smoke=2, cpu=750, paper=750)
  c.eval_every = common.by_variant(variant, smoke=0, cpu=250, paper=250)
  c.log_every = common.by_variant(variant, smoke=1, cpu=250, paper=250)
  c.eval_metrics = ["loss", "accuracy", "digit_abs_error"]
  # generated answers (greedy decoding) on the held-out equations: post/greedy_answer_decode/<metric>
  # (not in the smoke variant: the CI smoke run stays cheap; tests/evaluation/test_generation.py tests it)
  c.post_training = [] if variant == "smoke" else [dict(name="greedy_answer_decode", split="train[10000:]")]
  c.paper.update(
      title="Regress, Don't Guess -- A Regression-like Loss on Number Tokens for Language Models",
      year=2024, arxiv="2411.02083", slug="number_token_loss", provides="function",
      code="lbrl.losses.lm.number_token_loss",
      claim="CE + number-token loss (MSE or Wasserstein) has lower numeric error than CE alone on arithmetic",
      expected="both NTL arms below CE in digit absolute error, teacher-forced and of generated answers",
      setting="T5 on the DeepMind mathematics dataset, NTL weight 0.3", hardware="GPU (paper)")
  c.sweep.metric = "eval/digit_abs_error"
  ntl = lambda v: {"loss": {"name": "number_token_loss", "number_token_ids": DIGITS, "variant": v,
                            "weight": 0.3}}
  c.sweep.arms = {"ce": {"loss": {"name": "cross_entropy"}}, "ntl_mse": ntl("mse"),
                  "ntl_wasserstein": ntl("wasserstein")}
  c.sweep.seeds = list(range(8))
  m = {"margin": 0.05}   # digits of mean absolute error
  gen = "post/greedy_answer_decode/digit_abs_error"
  c.sweep.rules = [{"arm": "ntl_mse", "op": "<", "than": "ce", **m},
                   {"arm": "ntl_wasserstein", "op": "<", "than": "ce", **m},
                   {"arm": "ntl_mse", "op": "<", "than": "ce", "metric": gen, **m},
                   {"arm": "ntl_wasserstein", "op": "<", "than": "ce", "metric": gen, **m}]
  # the authors' mathematics run (tum-ai/number-token-loss config/training_args/train.yaml and
  # run_specific_config/mathematics_dataset_run.yaml): T5-base, batch 32, AdamW lr 1e-4 with weight decay 0.01,
  # reduce-on-plateau (x0.5, patience 5 evaluations), 1,050,000 steps; their T5 tokenizer splits every number
  # into single-digit tokens (T5Custom_Tokenizer), whose ids in T5's vocabulary are the number tokens
  common.cpu_sized(
      c, "not CPU-sized: the paper trains T5 (an encoder-decoder) on the mathematics dataset, which lbrl's zoo does not have; the decoder-only proxy stands in")
  return common.finalize(c)
