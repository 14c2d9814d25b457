"""Adafactor (Shazeer & Stern, "Adafactor: Adaptive Learning Rates with Sublinear Memory Cost", ICML
2018, arXiv:1804.04235).

Claim: keeping only per-row and per-column statistics of the squared gradients (O(n + m) state per n x m
matrix, no momentum), with update clipping, an increasing decay 1 - t^-0.8 and relative step sizes,
trains a Transformer about as well as Adam with far less optimizer memory.
cpu:   the nanoGPT shakespeare_char CPU model (lbrl transformer_lm: 4 layers, 4 heads, width 128,
       context 64, 804,096 parameters), batch 12, 300 steps, 30 warm-up steps then cosine to 10%,
       gradient clipping 1; AdamW (lr 1e-3, beta2 0.99, weight decay 0.1: the baseline config) vs
       optax.adafactor (lr 1e-2 = the paper's relative step cap, factored for tensors whose two largest
       dimensions are >= 32, no momentum, update clipping 1, parameter-scale steps). The metric is the
       validation loss on every 4th window (stride 256). Optimizer state measured with lbrl (float32): AdamW 8.00 bytes/param
       (6,432,772 bytes); Adafactor 0.084 bytes/param (67,768 bytes) with factoring at >= 32, and 1.42
       bytes/param with optax's default threshold of 128 (the 128 x 4 x 32 attention kernels then keep a
       full second moment). 3 seeds, about 8 minutes on 2 cores (a short run: the
       shakespeare_char baseline trains 2000 steps).
paper: Transformer (base) on WMT'14 En-De, BLEU of Adam vs Adafactor variants (the paper's Table 2).
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="tiny_shakespeare", split_train="train", split_eval="validation",
                batch_size=12, eval_batch_size=common.by_variant(variant, smoke=64, cpu=256, paper=256))
  c.data.options = common.free(context=64, eval_stride=common.by_variant(variant, smoke=4096, cpu=256,
                                                                         paper=256))
  c.model = common.free(name="transformer_lm", num_layers=4, num_heads=4, width=128, max_len=64,
                        positions="learned", tie_embeddings=True, use_bias=False, dropout=0.0)
  c.loss = common.free(name="cross_entropy")
  c.optimizer = common.free(name="adafactor", learning_rate=1e-2, min_dim_size_to_factor=32)
  c.schedule.update(name="cosine", warmup_steps=common.by_variant(variant, smoke=1, cpu=30, paper=30),
                    end_fraction=0.1)
  c.grad_clip_norm = 1.0
  c.steps = common.by_variant(variant, smoke=3, cpu=300, paper=300)
  c.eval_every = common.by_variant(variant, smoke=0, cpu=150, paper=150)
  c.log_every = common.by_variant(variant, smoke=1, cpu=100, paper=100)
  c.paper.update(
      title="Adafactor: Adaptive Learning Rates with Sublinear Memory Cost", year=2018,
      arxiv="1804.04235", slug="adafactor", provides="transform",
      code="lbrl.optim.adaptive.adafactor (optax.adafactor)",
      claim="factored second moments (O(n+m) state per matrix) train a Transformer about as well as Adam",
      expected="validation loss of Adafactor ties AdamW's at about 1% of AdamW's optimizer state",
      setting="Transformer base, WMT'14 En-De, 100k steps", hardware="TPU (paper)")
  c.sweep.metric = "eval/loss"
  c.sweep.arms = {
      "adamw": {"optimizer": {"name": "adamw", "learning_rate": 1e-3, "b2": 0.99, "weight_decay": 0.1}},
      "adafactor": {"optimizer": {"name": "adafactor", "learning_rate": 1e-2,
                                  "min_dim_size_to_factor": 32}},
  }
  c.sweep.rules = [{"arm": "adafactor", "op": "tie", "than": "adamw"}]
  if variant == "paper":
    # Shazeer & Stern, Sec. 9: the Transformer (base) of Tensor2Tensor on WMT'14 En-De, 100,000 steps,
    # batches of about 4,096 source + 4,096 target tokens, one TPU v2 (8 cores); the Adafactor of
    # Algorithm 6 (beta1 = 0, decay exponent 0.8, update clipping d = 1, relative step 1e-2).
    # lbrl has no encoder-decoder: the stand-in is a decoder-only LM over "source target" sequences of
    # Transformer-base width (512, 8 heads, MLP 2048) with the encoder's and decoder's 6 + 6 layers
    # stacked (12); 32 sequences x 256 tokens = the paper's 8,192 tokens per batch. Vocabulary: T2T's
    # ende_wmt32k subwords (32,768, assumed: the paper says only "the Tensor2Tensor setup"). The paper's
    # rate decays as min(1e-2, 1/sqrt(t)): lr 1e-2 with an inverse-sqrt decay from t = 10^4.
    common.paper_run(
        c, data="wmt14_translate/de-en", batch=32, steps=100_000,
        model=dict(name="transformer_lm", vocab_size=32_768, num_layers=12, num_heads=8, width=512,
                   max_len=256, positions="learned", tie_embeddings=True, use_bias=True),
        optimizer=dict(name="adafactor", learning_rate=1e-2, decay_rate=0.8, clipping_threshold=1.0,
                       multiply_by_parameter_scale=True, momentum=None),
        schedule=dict(name="inverse_sqrt", warmup_steps=0, timescale=10_000), grad_clip_norm=0.0, compute_dtype="bfloat16",
        devices=8)
    c.paper.update(hardware="one TPU v2 (8 cores)",
                   expected="Adafactor (factored second moments, beta1 = 0) reaches the BLEU of Adam on "
                            "newstest2013 (the paper's Table 2, about 25 BLEU for every stable setting)")
  return common.finalize(c)
