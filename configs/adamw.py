"""AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019, arXiv:1711.05101).

Claim: L2 regularisation folded into Adam's gradient is scaled by Adam's preconditioner and is not
weight decay; decoupling the decay from the adaptive step (AdamW) makes the best weight decay largely
independent of the learning rate and generalises better than Adam with L2.
cpu:   MNIST-1D 1-D CNN, batch 128, 3000 steps, cosine schedule; a 2 x 2 grid per method: learning
       rate {1e-3, 1e-2} x weight decay {weak, strong}: AdamW (optax.adamw, decay per step lr * wd)
       with wd {1e-4, 1e-1}; Adam + L2 with coefficient {1e-4, 1e-2}. The table shows the whole grid
       (the paper's figure is this grid, finer). The rules test the generalisation claim at matched
       points: strong AdamW decay beats strong L2 at both learning rates. 3 seeds, about 5 minutes.
paper: 26-layer ResNets (shake-shake) on CIFAR-10 and ImageNet32x32, 100-1800 epochs, LR x WD heatmaps
       (figures) showing the axis-aligned (AdamW) vs diagonal (Adam + L2) basins.
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.mnist1d_cnn(arg, "adamw", 1e-3)
  c.optimizer.weight_decay = 1e-1
  c.paper.update(
      title="Decoupled Weight Decay Regularization", year=2019, arxiv="1711.05101", slug="adamw",
      provides="transform", code="lbrl.optim.adaptive.adamw (optax.adamw), adamw_paper (Algorithm 2), adam_l2",
      claim="decoupled weight decay (AdamW) generalises better than Adam + L2, and its best decay "
            "depends less on the learning rate",
      expected="strong AdamW decay > strong Adam + L2 at both learning rates",
      setting="ResNet-26 shake-shake on CIFAR-10, ImageNet32x32; LR x WD grids",
      hardware="GPU (paper)")
  arms = {}
  for lr_name, lr in (("lr1e-3", 1e-3), ("lr1e-2", 1e-2)):
    for strength, wd, l2 in (("weak", 1e-4, 1e-4), ("strong", 1e-1, 1e-2)):
      arms[f"adamw_{lr_name}_{strength}"] = {"optimizer": {"name": "adamw", "learning_rate": lr,
                                                           "weight_decay": wd}}
      arms[f"adaml2_{lr_name}_{strength}"] = {"optimizer": {"name": "adam_l2", "learning_rate": lr,
                                                            "weight_decay": l2}}
  c.sweep.arms = {k.replace("-", "m"): v for k, v in arms.items()}
  c.sweep.rules = [{"arm": "adamw_lr1em3_strong", "op": ">", "than": "adaml2_lr1em3_strong"},
                   {"arm": "adamw_lr1em2_strong", "op": ">", "than": "adaml2_lr1em2_strong"}]
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
