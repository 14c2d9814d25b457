"""Layer Normalization (Ba, Kiros & Hinton, "Layer Normalization", 2016, arXiv:1607.06450).

Claim: normalising the summed inputs of each layer per training case (mean and variance over the layer's
units, a gain and bias per unit, the same computation at training and test time) substantially reduces
training time compared with previously published techniques, above all in recurrent networks.
cpu:   convergence speed in a deep feed-forward residual network (the regime of the paper's MNIST
       permutation-invariant experiment, Figure 6): MNIST-1D, lbrl ``res_mlp`` (8 pre-activation branches of
       width 64, branch scale 1/sqrt(L)), Adam 1e-3, batch 128, 400 steps; no normalization vs Pre-LayerNorm
       (``norm="layer"``: ``flax.linen.LayerNorm``, pinned against a float64 transcription in
       tests/models/test_norm_flax_layers.py). The recurrent experiments (order embeddings, skip-thoughts,
       DRAW) need a layer-normalized RNN cell, which the zoo does not have. Normalization moves the best
       learning rate, so each arm runs at its own Adam rate, chosen on a validation split (the last 10% of
       the training set; grid 3e-4 .. 3e-2, one selection seed) before the test runs. 5 seeds; rule fixed
       before running: LayerNorm's test accuracy at 400 steps above the un-normalized network's by more than
       1 point. (The paper's MNIST experiment also compares with BatchNorm at batch 128 and 4; evonorm and
       test_time_batch_statistics cover small-batch BatchNorm.)
observed (cpu run, 5 seeds, each arm at its selected Adam rate, 1e-2 for both): test accuracy 0.613 with
       LayerNorm vs 0.621 without, paired difference -0.008, 95% interval [-0.038, +0.021]: inconclusive (MDE
       0.039). With 1/sqrt(L) branch scaling the un-normalized 8-block network already trains well, so this
       setting leaves little for LayerNorm to speed up (test loss 1.090 vs 1.147, not a rule).
paper: RNN tasks (order embeddings, teaching machines to read, skip-thoughts, DRAW on MNIST) and a
       permutation-invariant MNIST MLP; the paper variant is lbrl's Transformer LM with LayerNorm (the modern
       home of LN) on lm1b.
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="mnist1d", batch_size=128, eval_batch_size=1000)
  c.model = common.free(name="res_mlp", width=common.by_variant(variant, smoke=8, cpu=64, paper=64),
                        depth=common.by_variant(variant, smoke=2, cpu=8, paper=8), norm="layer",
                        residual_scale="1/sqrt(L)")
  c.loss = common.free(name="cross_entropy")
  c.optimizer = common.free(name="adam", learning_rate=1e-3)
  c.steps = common.by_variant(variant, smoke=2, cpu=400, paper=400)
  c.log_every = common.by_variant(variant, smoke=1, cpu=50, paper=50)
  c.paper.update(
      title="Layer Normalization", year=2016, arxiv="1607.06450", slug="layernorm", provides="module",
      code="ResMLP(norm='layer'): flax.linen.LayerNorm via make_norm (every zoo model)",
      claim="per-case normalisation over a layer's summed inputs substantially reduces training time, especially "
            "for RNNs",
      expected="test accuracy after 400 steps with LayerNorm above no normalization by more than 1 point",
      setting="RNNs (order embeddings, reading comprehension, skip-thoughts, DRAW), permutation-invariant MNIST",
      hardware="GPU (paper)")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.arms = {"none": {"model": {"norm": "none"}}, "layernorm": {"model": {"norm": "layer"}}}
  c.sweep.tune = dict(grids={arm: [("optimizer.learning_rate", [3e-4, 1e-3, 3e-3, 1e-2, 3e-2])] for arm in c.sweep.arms},
                      split="train[90%:]", train_split="train[:90%]", seeds=[1000])
  c.sweep.rules = [{"arm": "layernorm", "op": ">", "than": "none", "margin": 0.01}]
  c.sweep.partly_testable = "the recurrent-network experiments need a layer-normalized RNN cell (not in the zoo)"
  if variant == "paper":
    common.paper_run(c, data="lm1b", batch=64, steps=100_000,
                     model=dict(name="transformer_lm", vocab_size=32_000, num_layers=6, num_heads=8, width=512,
                                max_len=256, norm="layer"),
                     optimizer=dict(name="adam", learning_rate=1e-3), devices=1)
  return common.finalize(c)
