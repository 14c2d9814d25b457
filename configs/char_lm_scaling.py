"""A parameters x tokens scaling study of the char-level Transformer LM on Tiny Shakespeare (issue 21):
the measurements that lbrl's scaling-law fitter is applied to on data produced here.
Not a catalog slug: lbrl's own measurement grid (a baseline study), the data of the char_lm_scaling_{chinchilla,kaplan,overtraining} fits.

Design (fixed before the runs): the ``char_lm`` setting (lbrl.config.char_lm: AdamW 1e-3, beta2 0.99,
weight decay 0.1, clip 1.0, context 64) with 2-layer, 4-head models of width 32, 64, 128, 192
(parameters counted by the trainer, embeddings included, as Hoffmann et al. count them) trained for
250, 500, 1000 and 2000 steps of batch 16 x context 64 (256k to 2.05M target characters), each run with its own
cosine schedule decayed to 10% at its end (Hoffmann et al. 2022's correction of Kaplan et al.'s fixed
schedule: a shorter run must not be a truncated longer one), 20 warm-up steps. One seed per point: the
fits' bootstrap over points gives the intervals. Loss: validation cross-entropy (nats per character,
every validation character once). 16 runs, cached per point (a rerun adds only missing points).

Fits on these points: configs/char_lm_scaling_chinchilla.py (L = E + A/N^alpha + B/D^beta),
configs/char_lm_scaling_kaplan.py (Kaplan et al.'s L(N, D)) and configs/char_lm_scaling_overtraining.py
(Gadre et al.'s over-training law); the honest caveat of the issue holds: one
decade of N and two of D cannot confirm LLM exponents, only whether the forms describe this grid.
"""
from lbrl import config as common

WIDTHS = (32, 64, 128, 192)
STEPS = (250, 500, 1000, 2000)


def get_config(arg=None):
  c, variant = common.base(arg)
  common.char_lm(c, "cpu")
  c.data.batch_size = 16
  c.model.update(num_layers=2, num_heads=4, width=64)
  c.schedule.update(name="cosine", warmup_steps=common.by_variant(variant, smoke=1, cpu=20, paper=20),
                    end_fraction=0.1)
  c.steps = common.by_variant(variant, smoke=3, cpu=2000, paper=2000)
  c.log_every = common.by_variant(variant, smoke=1, cpu=250, paper=250)
  c.eval_every = 0
  c.eval_metrics = ["loss"]
  if variant == "smoke":
    c.data.eval_batch_size = 64
    c.data.options.eval_stride = 4096
  c.loss = common.free(name="cross_entropy", impl="naive")
  c.paper.update(
      title="Training Compute-Optimal Large Language Models (approach 3 grid, at char-LM scale)", year=2022,
      arxiv="2203.15556", slug="char_lm_scaling", provides="baseline",
      code="lbrl.models.transformer.TransformerLM on tiny_shakespeare; fitted by lbrl.laws",
      claim="validation loss over a parameters x tokens grid is described by a Chinchilla/Kaplan law",
      expected="a smooth loss surface decreasing in both N and D (the fits carry the claims)",
      setting="2-layer char GPT, widths 32-192, 250-2000 steps of batch 16 x context 64, cosine per run",
      hardware="cpu: 2 CPU cores")
  c.sweep.kind = "grid"
  c.sweep.update(seeds=[0], metric="eval/loss")
  c.grid = dict(axes=[("model.width", list(WIDTHS)), ("steps", list(STEPS))], base={})
  c.sweep.rules = []
  c.sweep.not_testable = ("a measurement study, no claim of its own: the scaling-law fits on its points "
                          "(configs/char_lm_scaling_chinchilla.py, _kaplan.py, _overtraining.py) carry the claims")
  if variant == "smoke":
    c.grid = dict(axes=[("model.width", [16]), ("steps", [2, 3])], base={})
    c.model.width = 16
  common.cpu_sized(c, "a study defined at char-LM scale: its 'paper' is the method (Chinchilla's approach 3 "
                      "grid), whose own runs (70M-16B parameters) are not reproducible here")
  return common.finalize(c)
