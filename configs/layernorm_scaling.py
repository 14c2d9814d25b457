"""LayerNorm Scaling (Sun, Song, Li, Yin, Zheng & Liu, "The Curse of Depth in Large Language Models", 2025,
arXiv:2502.05795).

Claim: in Pre-LN Transformers the output variance grows with depth, so deep blocks act close to the identity
and contribute little; scaling the output of each layer normalization by 1/sqrt(l) in layer l (LayerNorm
Scaling) curbs the growth and improves pre-training (models of 130M to 1B parameters).
cpu:   Tiny Shakespeare char-LM (the nanoGPT setting: AdamW 1e-3, batch 12 x 64 characters, cosine) made
       deep and narrow: 12 layers of width 64, 4 heads, 600 steps (a 2000-step run costs ~6 min on the
       shared 2-core machine, too much for 10 runs; 600 steps reach loss ~2.2, still falling).
       Arms: Pre-LN, and Pre-LN with LayerNorm Scaling
       (``model.layernorm_scaling=True``: each block's two pre-norms times 1/sqrt(l)). 4 seeds (~6 min a run here); the rule
       asks for a lower validation loss (margin 0.01 nats). The variance-growth mechanism is measurable
       with diagnostics=["activation_variance", "residual_norm_growth"] (lbrl.analysis.signal) once the
       trainer logs diagnostics.
observed (cpu run, 4 seeds, 600 steps): validation loss 2.390 with LayerNorm Scaling vs 2.360 with Pre-LN,
       paired difference +0.029, 95% interval [+0.025, +0.034]: the opposite of the claim beyond noise at this
       scale ("not reproduced" for a 12 x 64 char-LM early in training; the paper's gains are for 130M+ models
       trained to convergence). The implementation was compared with the authors' repository
       (lmsdss/LayerNorm-Scaling): each pre-norm's output times 1/sqrt(l), l counted from 1, as here.
paper: LLaMA-130M to 1B on C4 (the GaLore protocol; Table 1 reports perplexity, Pre-LN vs LN-Scaling);
       the paper variant is the 130M run with LayerNorm Scaling.
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  common.char_lm(c, variant)
  c.model.update(num_layers=common.by_variant(variant, smoke=2, cpu=12, paper=12),
                 width=common.by_variant(variant, smoke=16, cpu=64, paper=64), num_heads=4,
                 layernorm_scaling=True)
  c.loss = common.free(name="cross_entropy")
  c.steps = common.by_variant(variant, smoke=3, cpu=600, paper=5000)
  c.eval_every = common.by_variant(variant, smoke=0, cpu=0, paper=500)
  c.eval_metrics = ["loss"]
  c.paper.update(
      title="The Curse of Depth in Large Language Models", year=2025, arxiv="2502.05795", slug="layernorm_scaling",
      provides="module", code="TransformerLM(layernorm_scaling=True) in lbrl.models.transformer (Block.norm_multiplier)",
      claim="Pre-LN output variance grows with depth and deep layers become ineffective; scaling each LayerNorm "
            "output by 1/sqrt(layer index) fixes it and improves pre-training",
      expected="validation loss: LayerNorm Scaling below Pre-LN by more than 0.01 nats in a 12-layer char-LM",
      setting="LLaMA-130M/250M/350M/1B on C4, perplexity", hardware="NVIDIA A100/H100 (paper)")
  c.sweep.metric = "eval/loss"
  c.sweep.seeds = [0, 1, 2, 3]
  c.sweep.arms = {"pre_ln": {"model": {"layernorm_scaling": False}},
                  "layernorm_scaling": {"model": {"layernorm_scaling": True}}}
  c.sweep.rules = [{"arm": "layernorm_scaling", "op": "<", "than": "pre_ln", "margin": 0.01}]
  c.sweep.partly_testable = ("the claim is about 130M-1B models; a 12-layer char-LM tests the direction only, and "
                             "the per-layer effectiveness (layer pruning) analysis is not run")
  if variant == "paper":
    common.c4_llama(c, size="130m", optimizer=dict(name="adam", learning_rate=1e-3))
    c.model.layernorm_scaling = True
    c.paper.update(expected="LLaMA-130M C4 perplexity below Pre-LN's (the paper's Table 1)")
  return common.finalize(c)
