"""Adafactor (Shazeer & Stern, "Adafactor: Adaptive Learning Rates with Sublinear Memory Cost", ICML
2018, arXiv:1804.04235).

Claim tested: keeping only per-row and per-column statistics of the squared gradients (O(n + m) state per
n x m matrix, no momentum), with update clipping, an increasing decay 1 - t^-0.8 and relative step sizes,
trains about as well as Adam with far less optimizer memory: non-inferiority, Adafactor's test accuracy
at its best relative step is not worse than Adam's at its best by 1 point or more.
cpu:   the issue-14 optimizer protocol: MNIST-1D 1-D CNN, batch 128, 1500 steps, cosine decay to 0 for
       both arms, no gradient clipping, no weight decay. optax.adafactor (factored for tensors whose two
       largest dimensions are >= 8, so the 3 x 25 x 25 conv kernels and the 125 x 10 head keep row and
       column statistics; no momentum; update clipping 1; parameter-scale steps) vs Adam (b1 0.9, b2
       0.999, the paper's baseline). Each arm's rate (Adafactor: the relative step cap) is chosen on a
       validation split (trained on train[:90%], scored on train[90%:], selection seed 1000): Adafactor
       from {1e-3 ... 0.3}, Adam from {3e-4 ... 1e-1}; then 5 seeds (0-4) at each arm's choice on the full
       training set, scored on the test split, paired over the shared seeds. Optimizer state measured
       with lbrl (float32, 5,210 parameters): Adam 41,680 bytes (8.0 bytes/param), Adafactor 2,632 bytes
       (0.51 bytes/param; 4.0 bytes/param with optax's default factoring threshold of 128, which this
       small model's dimensions never reach). Rule (fixed before the run): Adafactor not_worse Adam,
       margin 1 point.
protocol (changed for issue 14): the first run trained the nanoGPT shakespeare_char model for 300 steps,
       AdamW at the learning rate tuned for that model's 2,000-step baseline against Adafactor at an
       untuned relative step 1e-2 (verdict: not reproduced); a re-run at relative step 3e-2 tied AdamW.
       Now each arm is tuned on a validation split with the same steps for both, and the model is the
       shared MNIST-1D CNN of the issue-14 optimizer reproductions: the transformer run cost about a
       minute per run, which a tuned, 5-seed comparison cannot afford on this machine. The claim is about
       the optimizer, but the paper's evidence is a Transformer; this is a smaller, different model.
observed (this run, 5 seeds): Adafactor chose the relative step 0.1 on validation (0.933; 0.3 fell to
       0.473), Adam chose 3e-2 (0.930). Test accuracy Adafactor 94.6 ± 0.6%, Adam 93.5 ± 0.3%: paired
       difference +1.04 points, 95% CI [+0.20, +1.88], higher in every seed: not worse than Adam (it
       is better here), at 6% of Adam's optimizer state. The first run's untuned cap of 1e-2 is 10x
       below the best relative step on this model. Adam's 6 tuning and 5 final runs are the diffgrad
       sweep's records (identical config, seeds and overrides; the gravity sweep retrained the tuning
       runs and matched them digit for digit), reused rather than retrained.
paper: Transformer (base) on WMT'14 En-De, BLEU of Adam vs Adafactor variants (the paper's Table 2).
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.mnist1d_cnn(arg, "adafactor", 1e-2)
  c.optimizer.min_dim_size_to_factor = 8
  c.steps = common.by_variant(variant, smoke=2, cpu=1500, paper=1500)
  c.paper.update(
      title="Adafactor: Adaptive Learning Rates with Sublinear Memory Cost", year=2018,
      arxiv="1804.04235", slug="adafactor", provides="transform",
      code="lbrl.optim.adaptive.adafactor (optax.adafactor)",
      claim="factored second moments (O(n+m) state per matrix) train a Transformer about as well as Adam",
      expected="Adafactor test accuracy not worse than Adam's by 1 point or more, each at its best rate, "
               "at about 6% of Adam's optimizer state",
      setting="Transformer base, WMT'14 En-De, 100k steps", hardware="TPU (paper)")
  c.sweep.arms = {
      "adafactor": {"optimizer": {"name": "adafactor", "min_dim_size_to_factor": 8}},
      "adam": {"optimizer": {"name": "adam"}}}
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.tune = dict(grids={"adafactor": [("optimizer.learning_rate", [1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3])],
                             "adam": [("optimizer.learning_rate", [3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1])]},
                      split="train[90%:]", train_split="train[:90%]", metric="eval/accuracy", seeds=[1000])
  c.sweep.rules = [{"arm": "adafactor", "op": "not_worse", "than": "adam", "margin": 0.01}]
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
