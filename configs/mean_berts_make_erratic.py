"""Latent bootstrapping (Samuel, "Mean BERTs make erratic language teachers: the effectiveness of latent
bootstrapping in low-resource settings", BabyLM Challenge 2023, arXiv:2310.19420): a masked language
model whose student predicts the contextual embeddings an EMA ("mean") teacher gives the masked tokens,
instead of (or besides) the discrete tokens themselves; studied on the 10M/100M-word BabyLM corpora.

Claim (as lbrl states it before running): in a low-resource setting latent bootstrapping learns
representations as good as masked-token prediction, and adding it to MLM does not hurt; the paper
reports mixed ("erratic") results across its four benchmarks.
cpu:   Tiny Shakespeare characters (context 64), a bidirectional encoder (2 pre-LN blocks, width 64, 4
       heads), 15% of positions masked, Adam 1e-3, batch 32, 600 steps, EMA teacher 0.99 cosine to 1,
       targets = mean of the top 2 layer-normalised layers (data2vec's); arms: latent (regression only),
       mlm (masked-token cross-entropy only), latent_mlm (both, weight 1 each). Measured: a fresh linear
       probe from the frozen encoder's states at masked positions to the hidden character (validation
       sequences, first half fits, second half scores). 5 seeds.
paper: BabyLM strict / strict-small corpora, LTG-BERT encoders; BLiMP, (Super)GLUE, MSGS, BLiMP
       supplement.
"""
from lbrl import config as common

_EMA = dict(name="ema", decay=0.99, schedule="cosine", apply_kwargs=dict(return_targets=True))


def get_config(arg=None):
  c, variant = common.base(arg)
  small = variant == "smoke"
  context = 16 if small else 64
  c.data.update(name="tiny_shakespeare_sliced", split_train="train[:95%]", split_eval="validation",
                batch_size=4 if small else 32, eval_batch_size=256)
  c.data.options = common.free(context=context)
  if small:
    c.data.options.eval_stride = 4096
  c.model = common.free(name="latent_bootstrap_encoder", vocab_size=65, width=16 if small else 64, num_layers=2,
                        num_heads=2 if small else 4, max_len=context, mask_rate=0.15, top_k=2)
  c.loss = common.free(name="latent_bootstrap", latent_weight=1.0, mlm_weight=0.0)
  c.auxiliary = [dict(_EMA)]
  c.optimizer = common.free(name="adam", learning_rate=1e-3)
  c.steps = 3 if small else 600
  c.log_every = 1 if small else 150
  c.eval_metrics = ["loss"]
  c.post_training = [dict(name="masked_token_probe", split="train[95%:]", max_examples=200 if small else 4000)]
  c.paper.update(
      title="Mean BERTs make erratic language teachers: the effectiveness of latent bootstrapping in low-resource "
            "settings", year=2023, arxiv="2310.19420", slug="mean_berts_make_erratic", provides="function",
      code="lbrl.losses.contrastive.latent_bootstrap + lbrl.models.ssl_text.LatentBootstrapEncoder + EMA teacher",
      claim="latent bootstrapping (regressing an EMA teacher's contextual embeddings) is a usable pre-training "
            "objective in low-resource settings, with mixed results against MLM",
      expected="BabyLM benchmarks (BLiMP, GLUE, MSGS, BLiMP supplement): no consistent gain over MLM (no numbers in the catalog)",
      setting="BabyLM strict-small (10M words) and strict (100M), LTG-BERT base, EMA teacher",
      hardware="GPUs (paper)")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.metric = "post/masked_token_probe/accuracy"
  c.sweep.arms = {"latent": {}, "mlm": {"loss": {"latent_weight": 0.0, "mlm_weight": 1.0}},
                  "latent_mlm": {"loss": {"latent_weight": 1.0, "mlm_weight": 1.0}}}
  c.sweep.rules = [{"arm": "latent", "op": "not_worse", "than": "mlm", "margin": 0.02},
                   {"arm": "latent_mlm", "op": "not_worse", "than": "mlm", "margin": 0.01}]
  c.sweep.not_testable = "the BabyLM benchmarks (BLiMP, GLUE, MSGS) need the BabyLM corpora and BERT-scale models."
  c.sweep.partly_testable = ("the objectives are compared on Tiny Shakespeare characters with a masked-token "
                             "linear probe.")
  if variant == "paper":
    c.paper.cpu_sized = ("the BabyLM corpora have no TFDS builder; the paper variant trains the character encoder "
                         "on Tiny Shakespeare at a BERT-base width and the paper's masking")
    c.model.update(width=768, num_layers=12, num_heads=12, max_len=128)
    c.data.options = common.free(context=128)
    c.data.batch_size = 256
    c.steps = 31250
  return common.finalize(c)
