"""The spherical-family Z-loss (de Brebisson and Vincent, "The Z-loss: a shift and scale invariant
classification loss belonging to the Spherical Family", 2016, arXiv:1604.08859).

Claim: the Z-loss L = (1/a) softplus(a (b - z_c)), z = (o - mean o) / std o, beats log-softmax (CE) on
top-k scores in word language modelling, and, being in the spherical family, trains at a cost that does
not depend on the number of classes (40x faster than log-softmax on One Billion Word).
cpu:   character-level Tiny Shakespeare with the 4-layer 128-wide transformer LM and the optimiser of
       configs/shakespeare_char.py (context 64, batch 12, AdamW 1e-3 cosine, 2000 steps), 3 seeds.
       Metric: validation top-5 accuracy (top-1 and top-10 also reported). The paper tunes a and b on
       validation data; we ran lbrl's defaults (a=0.1, b=10) and the best of a 5-point grid
       {(0.1, 10), (0.1, 5), (1, 5), (1, 2), (5, 3)} by validation top-5 after 400 steps with seed 100
       (a=1, b=5: 0.6899; CE 0.6928 in that run). Tiny Shakespeare has no test split, so the tuned arm is
       scored on the split it was tuned on (a different seed and length): a bias in its favour.
       Arm `zloss_gram` trains the tuned Z-loss through its logit-free Gram form (loss.impl=gram,
       `lbrl.losses.spherical_zloss_linear`): it must tie with `zloss_tuned`.
       The cost claim is measured by benchmarks/spherical_zloss_cost.py (time and memory of loss +
       gradient vs CE as V grows; table in the report). Deviations: a 65-character vocabulary instead
       of a 10k-word one (sqrt(V - 1) = 8 bounds z_c, which is why b = 10 never saturates here), a
       transformer instead of the paper's network, and Vincent et al.'s factored SGD update of the
       output layer is not implemented (the Gram form still costs O(V D^2) per batch).
paper: Penn Treebank word LM (top-k error vs log-softmax) and One Billion Word (793k-word vocabulary:
       40x faster than log-softmax, 4x faster than hierarchical softmax), GPU. PTB and 1B Word are not
       available offline; the `paper` variant names One Billion Word (TFDS lm1b, 793,471 words) with
       the Gram form on a GPT-2-small-sized word model (lbrl's choice of model).
"""
from lbrl import config as common

TUNED = {"a": 1.0, "b": 5.0}


def get_config(arg=None):
  c, variant = common.base(arg)
  common.char_lm(c, variant)     # the model and optimiser of configs/shakespeare_char.py
  c.loss = common.free(name="spherical_zloss", impl="naive" if variant != "paper" else "gram", **TUNED)
  c.eval_every = common.by_variant(variant, smoke=0, cpu=500, paper=500)
  c.log_every = common.by_variant(variant, smoke=1, cpu=100, paper=100)
  c.eval_metrics = ["loss", "accuracy", "top5_accuracy", "top10_accuracy"]
  c.paper.update(
      title="The Z-loss: a shift and scale invariant classification loss belonging to the Spherical Family",
      year=2016, arxiv="1604.08859", slug="spherical_zloss", provides="function",
      code="lbrl.losses.classification.spherical_zloss / spherical_zloss_linear (loss.impl=gram)",
      claim="the Z-loss beats log-softmax on top-k scores in language modelling, and its training cost "
            "does not depend on the number of classes",
      expected="tuned Z-loss validation top-5 accuracy above CE's beyond the seed noise; the Gram form "
               "ties the logit form; loss+gradient cost ratio to CE falls as V grows",
      setting="Penn Treebank word-level LM (top-k vs log-softmax); One Billion Word, 793k-word vocabulary "
              "(40x faster than log-softmax)",
      hardware="GPU (paper); here 2 CPU cores")
  c.sweep.update(seeds=[0, 1, 2], metric="eval/top5_accuracy")
  c.sweep.arms = {"ce": {"loss": {"name": "cross_entropy"}},
                  "zloss_default": {"loss": {"name": "spherical_zloss", "a": 0.1, "b": 10.0}},
                  "zloss_tuned": {"loss": {"name": "spherical_zloss", **TUNED}},
                  "zloss_gram": {"loss": {"name": "spherical_zloss", "impl": "gram", **TUNED}}}
  c.sweep.rules = [{"arm": "zloss_tuned", "op": ">", "than": "ce"},
                   {"arm": "zloss_gram", "op": "tie", "than": "zloss_tuned"}]
  c.sweep.partly_testable = (
      "the cost claim. The companion benchmark below measures the Gram form's loss+gradient time and memory "
      "against CE as V grows: it is cheaper, but its time still grows with V (O((N + V) D^2)); a cost "
      "independent of the number of classes needs the paper's factored output-layer update, which lbrl does "
      "not implement, and the 40x One Billion Word figure is out of reach here.")
  if variant == "paper":
    # de Brebisson & Vincent, Sec. 5: One Billion Word (TFDS lm1b) with its 793,471-word vocabulary, the
    # Gram form of the Z-loss (its cost does not grow with V). The word LM itself is lbrl's choice: a
    # GPT-2-small-sized decoder over 256 tokens, batch 128, 100,000 steps (assumed).
    common.paper_run(c, data="lm1b", batch=128, steps=100_000, devices=8,
                     model=dict(name="transformer_lm", vocab_size=793_471, num_layers=12, num_heads=12, width=768,
                                max_len=256, positions="learned", tie_embeddings=True, use_bias=True),
                     loss=dict(name="spherical_zloss", impl="gram", **TUNED),
                     optimizer=dict(name="adamw", learning_rate=3e-4, weight_decay=0.1),
                     schedule=dict(name="cosine", warmup_steps=1000), grad_clip_norm=1.0)
    c.paper.update(hardware="8 GPUs",
                   expected="Z-loss top-k accuracy above log-softmax's, at 40x less output-layer time with "
                            "793k words (the paper's One Billion Word table)")
  return common.finalize(c)
