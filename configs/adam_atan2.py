"""Adam-atan2 (Everett et al., "Scaling Exponents Across Parameterizations and Optimizers", ICML 2024,
arXiv:2407.05872): Adam's epsilon swallows small gradients; atan2 removes epsilon and is scale invariant.

Claim: at small gradient scale Adam's update m / (sqrt(v) + eps) underflows towards m / eps (tiny
steps, training stalls), while Adam-atan2's update atan2(m, sqrt(v)) is exactly invariant to the
gradient scale.
cpu:   MNIST-1D MLP (40-100-100-10), batch 128, 3000 steps, constant lr 1e-2 (the MNIST-1D setting).
       The gradient scale c is set by multiplying the gradient by c before the optimizer
       (``scaled_gradient``: exact, and equivalent to Adam with eps / c). Arms: Adam at c = 1, 2^-13
       (1.2e-4), 2^-20 (9.5e-7) and 2^-30 (9.3e-10); Adam-atan2 at c = 1, 2^-20 and 2^-30. 5 seeds,
       about 4 minutes on 2 cores.
protocol (changed for issue 14, rules fixed before the rerun): (1) the first run's strongest stress,
       c = 1e-6, is mild: Adam at c = 1e-6 is Adam with eps 1e-2, which still trains (accuracy 63.4% vs
       66.3%); a scale c <= 1e-9 (Adam with eps >= 10, i.e. about SGD at lr 1e-3) makes the underflow
       unambiguous, so a 2^-30 arm is added for both optimizers. (2) The scales are powers of two
       instead of 1e-4 / 1e-6: multiplying by a power of two is exact in floating point, so Adam-atan2's
       exact invariance can be tested as such. With c = 1e-6 the rounding of c * g alone (relative
       1e-7 per step) decorrelated the chaotic 3000-step runs, so atan2 at c = 1 and 1e-6 differed by
       the seed noise (paired sd 1.6 points) and the tie needed about 23 seeds; that noise came from
       the probe, not from the optimizer. (3) Rules state their margins (1 accuracy point) and the
       invariance rules test c = 2^-20 and 2^-30; Adam's drop is tested at both scales. 3 -> 5 seeds.
       The first run's verdict (partly reproduced: the tie at 1e-6 inconclusive with paired intervals,
       TOST 90% CI [-2.1, +3.1] points) is replaced by this run's.
observed (this run, 5 seeds): the underflow is unambiguous: Adam at c = 2^-30 reaches 23.4% test
       accuracy (chance is 10%) vs 66.5% at c = 1, while Adam-atan2 at 2^-30 reaches 67.2%; Adam at
       2^-20 loses 2.5 points (paired 95% CI [-4.3, -0.6]). Adam-atan2 at 2^-20 and 2^-30 gives
       bit-identical runs in 4 of 5 seeds, so its update is scale invariant in practice too; but its
       runs at c = 1 are not bit-identical to them (at c = 1 the multiply by the scale is compiled
       away, which changes the rounding of the fused moment updates, and c = 2^-30 flushes some
       squared gradients to zero), and 3000 chaotic steps turn that rounding into seed-sized accuracy
       differences (0.0 to +3.6 points). The ties against c = 1 are therefore inconclusive at 5 seeds
       (about 20 seeds would confirm a 1-point margin), not contradicted: nothing in the runs shows
       Adam-atan2 losing accuracy at small gradient scales (both differences are positive).
paper: the paper's finding comes from tens of thousands of Transformer runs up to 26.8B parameters in
       bf16 (width sweeps with Adam and Adam-atan2 across 4 parameterizations), where per-layer
       gradients shrink with width; it reports no single number for this claim.
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="mnist1d", batch_size=128, eval_batch_size=1000)
  c.model = common.free(name="mlp")
  c.loss.name = "cross_entropy"
  c.optimizer = common.free(name="adam_atan2", learning_rate=1e-2)  # the method; the scaled-gradient probes are arms
  c.steps = common.by_variant(variant, smoke=2, cpu=3000, paper=3000)
  c.eval_every = common.by_variant(variant, smoke=0, cpu=500, paper=500)
  c.log_every = common.by_variant(variant, smoke=1, cpu=250, paper=250)
  c.paper.update(
      title="Scaling Exponents Across Parameterizations and Optimizers", year=2024,
      arxiv="2407.05872", slug="adam_atan2", provides="transform",
      code="lbrl.optim.adaptive.adam_atan2",
      claim="Adam's epsilon makes updates underflow when gradients are small; Adam-atan2 (no epsilon) "
            "is invariant to the gradient scale",
      expected="Adam's accuracy drops at gradient scales 2^-20 and 2^-30; Adam-atan2 gives the same "
               "accuracy at scale 1, 2^-20 and 2^-30, above Adam at 2^-30",
      setting="Transformers up to 26.8B params, bf16, width and LR sweeps (Everett et al. 2024)",
      hardware="TPU pods (paper)")
  arm = lambda inner, scale: {"optimizer": {"name": "scaled_gradient", "learning_rate": 1e-2,
                                            "inner": inner, "scale": scale}}
  c.sweep.arms = {
      "adam_c1": arm("adam", 1.0),
      "adam_c2pow-13": arm("adam", 2.0 ** -13),
      "adam_c2pow-20": arm("adam", 2.0 ** -20),
      "adam_c2pow-30": arm("adam", 2.0 ** -30),
      "atan2_c1": arm("adam_atan2", 1.0),
      "atan2_c2pow-20": arm("adam_atan2", 2.0 ** -20),
      "atan2_c2pow-30": arm("adam_atan2", 2.0 ** -30),
  }
  c.sweep.seeds = [0, 1, 2, 3, 4]
  m = {"margin": 0.01}   # one point of test accuracy
  c.sweep.rules = [
      {"arm": "adam_c2pow-30", "op": "<", "than": "adam_c1", **m},
      {"arm": "adam_c2pow-20", "op": "<", "than": "adam_c1", **m},
      {"arm": "atan2_c2pow-30", "op": "tie", "than": "atan2_c1", **m},
      {"arm": "atan2_c2pow-20", "op": "tie", "than": "atan2_c1", **m},
      {"arm": "atan2_c2pow-30", "op": ">", "than": "adam_c2pow-30", **m},
  ]
  if variant == "paper":
    # Everett et al.: decoder-only Transformers (NanoDO) on C4 with the T5 SentencePiece tokenizer
    # (32,000 pieces), bfloat16, widths swept at fixed depth. One point of that sweep: width 1024,
    # 8 layers, head dimension 128, context 512, batch 256, 50,000 steps (assumed: lbrl has not
    # checked these against the paper's appendix), cosine decay with warm-up, on a TPU v3-32.
    common.paper_run(
        c, data="c4/en", batch=256, steps=50_000,
        model=dict(name="transformer_lm", vocab_size=32_000, num_layers=8, num_heads=8, width=1024,
                   max_len=512, positions="rope", tie_embeddings=False, use_bias=False),
        optimizer=dict(name="adam_atan2", learning_rate=1e-3),
        schedule=dict(name="cosine", warmup_steps=1000), grad_clip_norm=1.0, compute_dtype="bfloat16",
        devices=32)
    c.paper.update(hardware="TPU v3-32 (assumed; the paper trains on TPU pods)",
                   expected="Adam-atan2 matches the best epsilon-tuned Adam at every width and needs no "
                            "epsilon (the paper's figures; no single number)")
  return common.finalize(c)
