"""AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019, arXiv:1711.05101).

Claim: L2 regularisation folded into Adam's gradient is scaled by Adam's preconditioner and is not
weight decay; decoupling the decay from the adaptive step (AdamW) makes the best weight decay largely
independent of the learning rate and generalises better than Adam with L2.
Claim tested: AdamW at its best (learning rate, decay) reaches higher test accuracy than Adam + L2 at its
best (learning rate, L2 coefficient), both chosen on a validation split. The (lr x decay) selection
tables in the report show the basins (the paper's second claim) but no rule decides on them.
cpu:   the issue-14 optimizer protocol: MNIST-1D 1-D CNN, batch 128, 1500 steps, cosine decay to 0 (no
       warm-up). AdamW in the paper's form (adamw_paper, Algorithm 2: params -= eta_t (alpha Adam step +
       lambda params), eta_t the schedule multiplier; alpha = the schedule's first value) over alpha
       {1e-2, 3e-2, 1e-1} x lambda {1e-5, 1e-4, 1e-3, 1e-2}; Adam + L2 (adam_l2: coefficient x params
       added to the gradient before Adam) over the same alphas x {1e-5, 1e-4, 1e-3, 1e-2}. Each arm's
       point is chosen on a validation split (trained on train[:90%], scored on train[90%:], selection
       seed 1000); then 5 seeds (0-4) at each arm's choice on the full training set, scored on the test
       split, paired over the shared seeds. The alphas bracket Adam's best rate on this protocol (3e-2,
       chosen on validation in the diffgrad reproduction). Rule (fixed before the run): AdamW > Adam +
       L2 with the 1-point margin.
protocol (changed for issue 14): the first run compared fixed points of a 2 x 2 grid (lr {1e-3, 1e-2} x
       a "weak" and a "strong" decay) with optax.adamw, whose decay is lr x wd, and its rules paired
       the "strong" points, where AdamW's 0.1 and L2's 1e-2 are not comparable strengths (first
       verdict: partly reproduced; best against best, AdamW 0.926 vs Adam + L2 0.918). Now the paper's
       decoupled form, so that a fixed lambda means the same decay at every alpha (as the paper's grids
       hold it), best against best over both grids on validation, 5 seeds, and the shared 1500-step
       protocol.
observed (this run, 5 seeds): validation chose AdamW (alpha 3e-2, lambda 1e-4; lambda 1e-3 tied at
       0.930) and Adam + L2 (3e-2, 1e-3; 0.948), both inside their grids. Test accuracy AdamW 93.7 ±
       0.8%, Adam + L2 93.3 ± 1.2%: paired difference +0.34 points, 95% CI [-1.13, +1.81]; inconclusive
       at 5 seeds (minimum detectable effect 2.0 points; about 14 seeds would resolve the 1-point
       margin). The selection tables lean the paper's way on its second claim (at alpha 3e-2 AdamW
       scores 0.930 / 0.930 / 0.923 over lambda 1e-4 / 1e-3 / 1e-2, Adam + L2 0.925 / 0.948 / 0.818
       over the same coefficients), but they are single runs on 400 validation examples and no rule
       was set on them.
paper: 26-layer ResNets (shake-shake) on CIFAR-10 and ImageNet32x32, 100-1800 epochs, LR x WD heatmaps
       (figures) showing the axis-aligned (AdamW) vs diagonal (Adam + L2) basins.
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.mnist1d_cnn(arg, "adamw_paper", 3e-2)
  c.optimizer.update(base_learning_rate="initial", weight_decay=1e-4)
  c.steps = common.by_variant(variant, smoke=2, cpu=1500, paper=1500)
  c.paper.update(
      title="Decoupled Weight Decay Regularization", year=2019, arxiv="1711.05101", slug="adamw",
      provides="transform", code="lbrl.optim.adaptive.adamw (optax.adamw), adamw_paper (Algorithm 2), adam_l2",
      claim="decoupled weight decay (AdamW) generalises better than Adam + L2, and its best decay "
            "depends less on the learning rate",
      expected="AdamW test accuracy above Adam + L2's, each at its best (lr, decay) on validation",
      setting="ResNet-26 shake-shake on CIFAR-10, ImageNet32x32; LR x WD grids",
      hardware="GPU (paper)")
  alphas = [1e-2, 3e-2, 1e-1]
  c.sweep.arms = {"adamw": {"optimizer": {"name": "adamw_paper", "base_learning_rate": "initial"}},
                  "adam_l2": {"optimizer": {"name": "adam_l2"}}}
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.tune = dict(grids={"adamw": [("optimizer.learning_rate", alphas),
                                       ("optimizer.weight_decay", [1e-5, 1e-4, 1e-3, 1e-2])],
                             "adam_l2": [("optimizer.learning_rate", alphas),
                                         ("optimizer.weight_decay", [1e-5, 1e-4, 1e-3, 1e-2])]},
                      split="train[90%:]", train_split="train[:90%]", metric="eval/accuracy", seeds=[1000])
  c.sweep.rules = [{"arm": "adamw", "op": ">", "than": "adam_l2"}]
  if variant == "paper":
    # Loshchilov & Hutter, Sec. 4: CIFAR-10 with a 26-layer 2x64d ResNet (shake-shake), batch 128, 100
    # epochs, cosine annealing, AdamW with normalised weight decay. lbrl has no shake-shake net: the
    # stand-in is its CIFAR ResNet of the same depth and base width (26 layers, 64 wide, one branch).
    # lr 1e-3 and wd 0.025 x sqrt(b/(BT)) are one point of the paper's LR x WD grid (assumed point).
    # adamw_paper: the paper's Algorithm 2 (decay lambda times the schedule multiplier eta_t, not times
    # the learning rate as optax.adamw does), so the normalised lambda is the paper's.
    common.cifar(c, model=dict(name="resnet", depth=26, width=64), batch=128, epochs=100, devices=1,
                 optimizer=dict(name="adamw_paper", learning_rate=1e-3, base_learning_rate=1e-3,
                                weight_decay=0.025 * (128 / (50_000 * 100)) ** 0.5))
    c.paper.update(hardware="one GPU",
                   expected="AdamW's best test error below Adam + L2's over the LR x WD grid, with a basin that is "
                            "axis-aligned (decay independent of the learning rate) (Figure 2)")
  return common.finalize(c)
