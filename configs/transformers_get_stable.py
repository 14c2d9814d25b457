"""Transformers Get Stable (Kedia, Zaidi, Khyalia, Jung, Goka & Lee, "Transformers Get Stable: An End-to-End
Signal Propagation Theory for Language Models", ICML 2024, arXiv:2403.09635).

Claim: the paper derives the forward and backward moments of every Transformer component and shows that a
standard (Xavier/N(0, 0.02^2)) Pre-LN model's output variance grows linearly with depth (and its
gradients hyperbolically); DeepScaleLM (DSLM) initialises every component for unit output moments and
scales each sub-layer's residual as x <- lambda x + beta F(x), lambda^2 + beta^2 = 1, beta^2 = k/N, so
forward and backward moments stay at unit scale at any depth (1000 layers trained); deeper-narrower DSLM
models then beat shallower ones of equal parameters (LM, speech translation, image classification).
lbrl: ``TransformerLM(skip_scale=lambda, residual_scale=beta)`` (lbrl.optim.parametrization.deepscalelm_scales,
k = 1: the authors' code default beta^2 = 0.005 at 192 layers) and the ``deepscalelm`` parametrisation
(lbrl.optim.parametrization.DeepScaleLM: the component initialisation of deepscalelm_stds, with the authors'
correlation recursion for the value/output weights; lbrl's choices, stated there: the GELU MLP's unit-output
split and the finite-causal-context term of the attention average).
cpu:   the signal-propagation claim at initialisation (analysis kind, at="init", tool signal_at_init: nothing
       trained): the Tiny Shakespeare char-LM (learned positions, untied embeddings, width 64, 2 heads) at
       depths 2, 8 and 32, standard Pre-LN (N(0, 0.02^2), lbrl's default) vs DSLM (r0 = 0.056, the
       character-frequency collision probability sum_c p_c^2 of the corpus; context 64), on 64 training
       windows of 64 characters, 3 initialisation seeds. Rules fixed before the run: (1) DSLM's last-block
       output variance at depth 32 lies in [0.5, 2] (unit forward moment); (2) so does DSLM's ratio of
       last- to first-block variance at depth 32 (no growth with depth); (3) the standard Pre-LN model's
       last/first variance ratio at depth 32 is at least 8 (the paper's Theta(N) growth, a conservative
       bar); (4) DSLM's first/last block parameter-gradient-norm ratio at depth 32 lies in [0.25, 4]
       (backward moments conserved).
paper: BERT-style and decoder models up to 1000 layers (e.g. 192 layers x 1024 in the authors' signal-
       propagation figures) on Wikipedia/C4-scale text; the paper variant is lbrl's LLaMA-350M C4 run made
       2x deeper and narrower at about the same block parameters (48 layers x 720 vs 24 x 1024: 299M vs 302M),
       with DSLM (r0 = 0.221, the value in the authors' code for BERT on Wikipedia; context 256).
"""
from lbrl import config as common
from lbrl.optim.parametrization import deepscalelm_scales

DEPTHS = (2, 8, 32)
R0 = 0.056   # sum_c p_c^2 over Tiny Shakespeare's 65 characters (0.0558)


def dslm(depth: int, context: int = 64) -> dict:
  """The arm overrides that make a ``depth``-layer TransformerLM a DeepScaleLM model."""
  lam, beta = deepscalelm_scales(depth)
  return {"model": {"num_layers": depth, "skip_scale": lam, "residual_scale": beta},
          "parametrization": {"name": "deepscalelm", "r0": R0, "seq_len": context}}


def get_config(arg=None):
  c, variant = common.base(arg)
  common.char_lm(c, variant)
  c.model.update(width=common.by_variant(variant, smoke=16, cpu=64, paper=64), num_heads=2,
                 tie_embeddings=False)
  c.loss = common.free(name="cross_entropy")
  c.eval_metrics = ["loss"]
  c.sweep.kind = "analysis"
  c.analysis = dict(tool="signal_at_init", kwargs=common.free(loss="cross_entropy"), split="train",
                    batch_size=common.by_variant(variant, smoke=4, cpu=64, paper=64), at="init")
  c.paper.update(
      title="Transformers Get Stable: An End-to-End Signal Propagation Theory for Language Models", year=2024,
      arxiv="2403.09635", slug="transformers_get_stable", provides="module",
      code="TransformerLM(skip_scale, residual_scale) with lbrl.optim.parametrization (DeepScaleLM, "
           "deepscalelm_scales, deepscalelm_stds); lbrl.analysis.signal:signal_at_init",
      claim="standard Pre-LN output variance grows with depth; DeepScaleLM keeps forward and backward moments at "
            "unit scale at any depth, so very deep (deeper-narrower) models train and beat shallower ones",
      expected="DSLM: unit output variance and no gradient growth across depth; Pre-LN: variance Theta(N) "
               "(figures; the training gains are stated without one headline number)",
      setting="encoder/decoder Transformers up to 1000 layers (BERT on Wikipedia, LMs, speech translation, ViT)",
      hardware="NVIDIA A100 GPUs (paper)")
  depths = common.by_variant(variant, smoke=(2, 4), cpu=DEPTHS, paper=DEPTHS)
  c.sweep.seeds = common.by_variant(variant, smoke=[0], cpu=[0, 1, 2], paper=[0, 1, 2])
  c.sweep.metric = "analysis/var_last"
  c.sweep.arms = {**{f"preln_d{d}": {"model": {"num_layers": d}} for d in depths},
                  **{f"dslm_d{d}": dslm(d) for d in depths}}
  deep = max(depths)
  c.sweep.rules = [
      {"arm": f"dslm_d{deep}", "op": "between", "value": (0.5, 2.0)},
      {"arm": f"dslm_d{deep}", "op": "between", "value": (0.5, 2.0), "metric": "analysis/var_ratio"},
      {"arm": f"preln_d{deep}", "op": ">=", "value": 8.0, "metric": "analysis/var_ratio"},
      {"arm": f"dslm_d{deep}", "op": "between", "value": (0.25, 4.0), "metric": "analysis/grad_ratio"}]
  c.sweep.partly_testable = ("the moments are measured at initialisation; training the deep-narrow DSLM models "
                             "against shallow ones (the paper's accuracy claims) and Post-LN are not run")
  if variant == "paper":
    common.c4_llama(c, size="350m", optimizer=dict(name="adamw", learning_rate=1e-3, weight_decay=0.1))
    lam, beta = deepscalelm_scales(48)
    c.model.update(num_layers=48, width=720, num_heads=12, skip_scale=lam, residual_scale=beta)
    c.parametrization = common.free(name="deepscalelm", r0=0.221, seq_len=c.model.max_len)
  return common.finalize(c)
