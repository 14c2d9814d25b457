"""Scaled Weight Standardization (Brock, De & Smith, "Characterizing signal propagation to close the performance
gap in unnormalized ResNets", ICLR 2021, arXiv:2101.08692).

Claim: signal-propagation plots (per-layer average channel variance and average squared channel mean of
the residual stream at initialisation) show why un-normalized ReLU ResNets fail: the channel means shift
away from zero and the mean shift grows with depth until it dominates the signal (their Figure 2);
Scaled Weight Standardization (each output unit's weights centred and scaled to variance 1/fan_in, the
ReLU multiplied by gamma = sqrt(2/(1-1/pi))) removes the mean shift, and normalizer-free ResNets built on
it match batch-normalized ones.
cpu:   the signal-propagation claim at initialisation (analysis kind, at="init", tool signal_at_init: nothing
       trained) on MNIST-1D inputs (512 fixed examples): lbrl ``res_mlp`` without normalization, 32
       pre-activation ReLU branches of width 64, branch scale 1/sqrt(L), He init (``plain``) vs Scaled WS
       (``model.weight_standardization=True``: lbrl.models.norm.ScaledStdDense). 5 seeds. The rule, fixed before
       the run: the last layer's mean shift (squared channel mean / variance, in [0, 1]) is lower with
       Scaled WS by more than 0.1.
observed (cpu run, 5 seeds): mean shift at the last layer 0.369 (plain) vs 0.016 (Scaled WS), paired
       difference -0.353, 95% interval [-0.422, -0.285]; the variance growth is the same in both (ratio ~2.7
       over 32 layers, the 1/sqrt(L) branch scale): partly reproduced (ImageNet accuracy not trained).
paper: NF-ResNets on ImageNet (their Table 2: NF-ResNet-50 76.8% top-1 vs BN-ResNet-50 76.8%) and
       signal-propagation plots of ResNet-600; lbrl has no NF-ResNet-50 (Scaled WS lives in ResMLP and
       ScaledStdConv), so the paper variant is the cpu setting (cpu_sized). Training is not run here.
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  depth = common.by_variant(variant, smoke=3, cpu=32, paper=32)
  c.data.update(name="mnist1d", batch_size=128, eval_batch_size=1000)
  c.model = common.free(name="res_mlp", width=common.by_variant(variant, smoke=8, cpu=64, paper=64), depth=depth,
                        norm="none", residual_scale="1/sqrt(L)", weight_standardization=True)
  c.loss = common.free(name="cross_entropy")
  c.optimizer = common.free(name="sgd", learning_rate=0.05, momentum=0.9)
  c.steps = common.by_variant(variant, smoke=2, cpu=1000, paper=1000)
  c.sweep.kind = "analysis"
  c.analysis = dict(tool="signal_at_init", kwargs=common.free(), split="train",
                    batch_size=common.by_variant(variant, smoke=16, cpu=512, paper=512), at="init")
  c.paper.update(
      title="Characterizing signal propagation to close the performance gap in unnormalized ResNets", year=2021,
      arxiv="2101.08692", slug="scaled_weight_standardization", provides="module",
      code="lbrl.models.norm.ScaledStdConv / ScaledStdDense; ResMLP(weight_standardization=True); "
           "lbrl.analysis.signal:signal_at_init",
      claim="in un-normalized ReLU ResNets the channel-mean shift grows with depth and dominates the signal at "
            "init; Scaled Weight Standardization removes it",
      expected="at init, the last layer's mean shift (squared channel mean / variance) lower with Scaled WS by "
               "more than 0.1",
      setting="NF-ResNets on ImageNet; signal-propagation plots of deep ResNets at init",
      hardware="TPUv3 (paper)")
  common.cpu_sized(c, "lbrl has no NF-ResNet-50; the paper's signal-propagation plots are init-time statements "
                      "that the residual-MLP setting of the cpu variant measures")
  if variant == "paper":
    c.model.unroll = depth  # the same function; XLA's cost analysis then counts all blocks
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.metric = "analysis/mean_shift_last"
  c.sweep.arms = {"plain": {"model": {"weight_standardization": False}},
                  "scaled_ws": {"model": {"weight_standardization": True}}}
  c.sweep.rules = [{"arm": "scaled_ws", "op": "<", "than": "plain", "margin": 0.1, "better": "lower"}]
  c.sweep.partly_testable = ("the ImageNet accuracy of NF-ResNets is not trained here; the signal-propagation "
                             "claim is measured at init")
  return common.finalize(c)
