"""Scaling Laws and Compute-Optimal Training Beyond Fixed Training Durations (Hägele, Bakouch, Kosson,
Ben Allal, Von Werra & Jaggi, 2024, arXiv:2405.18392; slug wsd_cooldown; family LAW, issue 21).

Claim: a constant learning rate followed by a short cooldown (warmup-stable-decay, WSD; 20% of the run,
linear or 1-sqrt) matches a cosine schedule tuned to the same length, so one constant-LR run with
cooldowns replaces a cosine run per length in scaling studies; stochastic weight averaging (SWA) along
the constant phase recovers part of the gap without a cooldown.

cpu (rules fixed before the runs): the 2-layer, 64-wide char GPT of the scaling study
(configs/char_lm_scaling.py: AdamW 1e-3, beta2 0.99, wd 0.1, clip 1.0, batch 16 x context 64) at two
lengths, 500 and 2000 steps, each with cosine to 10% (20 warm-up steps) and with WSD (20 warm-up steps,
constant, linear cooldown to 0 over the last 20%: lbrl.laws.schedules.wsd, schedule name "wsd"); 3 seeds,
paired (same init and batch order per seed). Rules: at each length, WSD's validation loss is not worse
than cosine's by more than 0.02 nats (1% of the loss; the paper's curves differ by less).
The SWA part is not tested here (lbrl's trainer keeps an EMA target, not a uniform average of the
constant phase): partly testable. The scaling-law part of the paper (fits across lengths with one run per
size) is covered by the fitter on the char-LM grid (configs/char_lm_scaling_chinchilla.py).
paper: 124M-parameter model on SlimPajama in the paper (not in TFDS): the LLaMA-130M C4 protocol
(lbrl.config.c4_llama) with the WSD schedule, 20% linear cooldown.
"""
from lbrl import config as common

LENGTHS = (500, 2000)


def get_config(arg=None):
  c, variant = common.base(arg)
  common.char_lm(c, "cpu")
  c.data.batch_size = 16
  c.model.update(num_layers=2, num_heads=4, width=64)
  c.loss = common.free(name="cross_entropy", impl="naive")
  c.schedule.update(name="wsd", warmup_steps=common.by_variant(variant, smoke=1, cpu=20, paper=20),
                    cooldown_fraction=0.2, cooldown_shape="linear")
  c.steps = common.by_variant(variant, smoke=3, cpu=2000, paper=2000)
  c.log_every = common.by_variant(variant, smoke=1, cpu=250, paper=250)
  c.eval_every = 0
  c.eval_metrics = ["loss"]
  if variant == "smoke":
    c.model.width = 16
    c.data.eval_batch_size = 64
    c.data.options.eval_stride = 4096
  c.paper.update(
      title="Scaling Laws and Compute-Optimal Training Beyond Fixed Training Durations", year=2024,
      arxiv="2405.18392", slug="wsd_cooldown", provides="schedule",
      code="lbrl.laws.schedules.wsd (config.schedule.name='wsd', cooldown_fraction, cooldown_shape)",
      claim="constant LR + a 20% cooldown matches cosine at each length; SWA helps along the trajectory",
      expected="WSD validation loss within 0.02 nats of cosine at 500 and 2000 steps",
      setting="124M/210M LLaMA-style models on SlimPajama, AdamW, WSD with 20% (1-sqrt or linear) cooldown vs "
              "cosine to 10%",
      hardware="paper: A100 GPUs; cpu: 2 CPU cores")
  cos = lambda n: {"steps": n, "schedule": {"name": "cosine", "end_fraction": 0.1}}
  wsd = lambda n: {"steps": n}
  lengths = (2, 3) if variant == "smoke" else LENGTHS
  c.sweep.arms = {**{f"wsd_{n}": wsd(n) for n in lengths}, **{f"cosine_{n}": cos(n) for n in lengths}}
  c.sweep.update(seeds=[0, 1, 2], metric="eval/loss")
  c.sweep.rules = [{"arm": f"wsd_{n}", "op": "not_worse", "than": f"cosine_{n}", "margin": 0.02, "better": "lower"}
                   for n in lengths]
  c.sweep.partly_testable = ("the SWA claim (averaging the constant phase recovers part of the cooldown's gain) is "
                             "not measured: the trainer keeps an EMA target, not a uniform average")
  if variant == "paper":
    common.c4_llama(c, size="130m", optimizer=dict(name="adamw", learning_rate=1e-3, b1=0.9, b2=0.95,
                                                   weight_decay=0.1))
    c.schedule.update(name="wsd", warmup_steps=c.steps // 10, cooldown_fraction=0.2, cooldown_shape="linear")
  return common.finalize(c)
