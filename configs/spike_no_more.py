"""Spike No More (Takase, Kiyono, Kobayashi & Suzuki, "Spike No More: Stabilizing the Pre-training of Large
Language Models", 2023, arXiv:2312.16903).

Claim: loss spikes in Pre-LN LLM pre-training come from exploding gradients, and the gradient norms stay
bounded when (1) the sub-layers are small at initialisation and (2) the shortcut is large: the residual
stream entering each LayerNorm has a standard deviation near 1, since the LayerNorm's Jacobian scales like
1/std(x). With N(0, 0.02^2) embeddings (the usual "Vanilla" init) the stream's std is ~0.02 and the
first layers' gradients are ~50x larger; "Scaled Embed" (embeddings times sqrt(d)) or "Embed LN" meets
requirement (2) and removes the spikes.
cpu:   the mechanism at initialisation (analysis kind, at="init", tool signal_at_init: nothing trained): the
       nanoGPT-style Tiny Shakespeare char-LM (lbrl TransformerLM, Pre-LN, N(0, 0.02^2) init, 8 layers x 128
       wide) on 64 fixed windows of 64 characters; arms vanilla (embed_scale 1) and scaled_embed
       (``model.embed_scale="sqrt(d)"``, std 0.02 * sqrt(128) = 0.23). 5 seeds (initialisations). Rules
       fixed before the run: the first block's parameter-gradient norm is lower with Scaled Embed by more
       than a factor 10^0.5 (log10 margin 0.5), and so is the whole model's by a factor 10^0.25 (the
       output layer's gradient does not go through the small-std LayerNorms).
observed (cpu run, 5 seeds): log10 of the first block's gradient norm 0.45 (vanilla) vs -0.25 (Scaled
       Embed), difference -0.70 [-0.75, -0.65] (a factor 5); whole model -0.29 [-0.32, -0.27]: partly
       reproduced (the spikes themselves are not trained for).
paper: 350M and 1.7B (and 13B) LLaMA-like Pre-LN models on C4-sized corpora at lr up to 1e-3, loss curves
       with and without spikes (no single headline number); the paper variant is the 350M-sized LLaMA on C4
       with Scaled Embed. Training at high learning rate (where the spikes appear) is not run here.
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  common.char_lm(c, variant)
  c.model.update(num_layers=common.by_variant(variant, smoke=2, cpu=8, paper=8),
                 width=common.by_variant(variant, smoke=32, cpu=128, paper=128),
                 num_heads=common.by_variant(variant, smoke=2, cpu=4, paper=4), embed_scale="sqrt(d)")
  c.loss = common.free(name="cross_entropy")
  c.eval_metrics = ["loss"]
  c.sweep.kind = "analysis"
  c.analysis = dict(tool="signal_at_init", kwargs=common.free(loss="cross_entropy"), split="train",
                    batch_size=common.by_variant(variant, smoke=8, cpu=64, paper=64), at="init")
  c.paper.update(
      title="Spike No More: Stabilizing the Pre-training of Large Language Models", year=2023, arxiv="2312.16903",
      slug="spike_no_more", provides="module",
      code="TransformerLM(embed_scale='sqrt(d)') (lbrl.models.norm.embed_scale_value); lbrl.analysis.signal:signal_at_init",
      claim="gradients (and loss spikes) stay bounded when the residual stream entering the LayerNorms has std near 1; "
            "scaling the N(0, 0.02^2) embeddings by sqrt(d) achieves it",
      expected="at init, the first block's gradient norm lower with Scaled Embed by more than x10^0.5, the whole "
               "model's by more than x10^0.25",
      setting="350M / 1.7B / 13B LLaMA-like Pre-LN models, loss curves with and without spikes",
      hardware="NVIDIA A100/H100 (paper)")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.metric = "analysis/log10_grad_first"
  c.sweep.arms = {"vanilla": {"model": {"embed_scale": 1.0}}, "scaled_embed": {"model": {"embed_scale": "sqrt(d)"}}}
  c.sweep.rules = [
      {"arm": "scaled_embed", "op": "<", "than": "vanilla", "margin": 0.5, "better": "lower"},
      {"arm": "scaled_embed", "op": "<", "than": "vanilla", "metric": "analysis/log10_grad_total", "margin": 0.25,
       "better": "lower"}]
  c.sweep.partly_testable = ("the loss spikes themselves need long high-learning-rate pre-training of 350M+ "
                             "models; the gradient-scale mechanism the paper derives is measured at init")
  if variant == "paper":
    common.c4_llama(c, size="350m", optimizer=dict(name="adamw", learning_rate=1e-3, b1=0.9, b2=0.95,
                                                   weight_decay=0.01))
    c.model.embed_scale = "sqrt(d)"
  return common.finalize(c)
