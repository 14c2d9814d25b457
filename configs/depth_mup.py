"""Depthwise Hyperparameter Transfer in Residual Networks: Dynamics and Scaling Limit (Bordelon, Noci, Li,
Hanin & Pehlevan, ICLR 2024, arXiv:2309.16620).

Claim: with each residual branch scaled by 1/sqrt(depth) on top of muP, the optimal learning rate transfers
across depth (and width); without the branch scaling it shifts with depth (their Figure 1: ResNets and ViTs
on CIFAR-10 / ImageNet).
cpu:   MNIST-1D, lbrl ``res_mlp`` (Pre-LN, width 64, He init), SGD momentum 0.9, batch 128, 200 steps,
       constant lr; grid: parametrisation (SP: unscaled branches; depth_mup: branches x sqrt(2 / L), folded
       into each branch's last layer by ``depth_mup(branch_scale=True)`` relative to the base depth 2) x
       depth (2 and 32: the 16x extremes of the paper's range, shrunk from 2..32 to fit a CPU sweep of
       60 runs) x learning rate (1e-2..1, half-decade steps) x 3 seeds; metric: the final training loss (eval
       on the training split). Rules as for mup: depth_mup's plausible optima (paired 95%) within one grid
       step at every depth; SP's move by more than one step.
paper: a ViT on CIFAR-10 (the paper's Figure 1 architecture family), Adam, depth-muP with the folded
       branch scale and the Adam depth rule.
"""
from lbrl import config as common
from lbrl.optim import parametrization

DEPTHS = (2, 32)
LRS = (1e-2, 3e-2, 1e-1, 3e-1, 1.0)
BASE_DEPTH, WIDTH = 2, 64


def get_config(arg=None):
  c, variant = common.base(arg)
  width = 16 if variant == "smoke" else WIDTH
  c.model = common.free(name="res_mlp", width=width, depth=BASE_DEPTH, norm="layer", placement="pre",
                        residual_scale=1.0)
  c.optimizer = common.free(name="sgd", learning_rate=0.1, momentum=0.9)
  p13n = dict(optimizer="sgd", branch_scale=True, input_shape=(1, 40),
              base_model=dict(name="res_mlp", width=width, depth=BASE_DEPTH, norm="layer", placement="pre",
                              num_classes=10))
  parametrization.transfer_grid(
      c, names=("sp", "depth_mup"), size_axis="model.depth",
      sizes=common.by_variant(variant, smoke=(2, 4), cpu=DEPTHS, paper=DEPTHS),
      hp_axis="optimizer.learning_rate", hps=common.by_variant(variant, smoke=(0.01, 0.1), cpu=LRS, paper=LRS),
      p13n=p13n, steps=common.by_variant(variant, smoke=2, cpu=200, paper=200),
      log_every=common.by_variant(variant, smoke=1, cpu=50, paper=50),
      seeds=common.by_variant(variant, smoke=[0], cpu=[0, 1, 2], paper=[0, 1, 2]))
  c.max_skipped_fraction = 1.0   # a diverged point is recorded (worst), the grid goes on
  c.paper.update(
      title="Depthwise Hyperparameter Transfer in Residual Networks: Dynamics and Scaling Limit", year=2023,
      arxiv="2309.16620", slug="depth_mup", provides="transform",
      code="lbrl.optim.parametrization.depth_mup (branch_scale, depth_lr_exponent); "
           "lbrl.models.simple.ResMLP(residual_scale='1/sqrt(L)')",
      claim="with 1/sqrt(depth) residual-branch scaling and muP, the optimal learning rate transfers across "
            "depth; without it, it shifts",
      expected="depth_mup: plausible optimal learning rates within one half-decade step at depths 2 and 32; "
               "SP (unscaled branches): the optimum moves by more than one step",
      setting="ResNets and ViTs on CIFAR-10 and ImageNet, depths up to ~100 blocks", hardware="GPU (paper)")
  c.sweep.partly_testable = ("depth transfer at fixed width on an MLP stack; the joint width-depth limit (DMFT) "
                             "and the CIFAR-10/ImageNet ResNet and ViT grids are not run")
  if variant == "paper":
    common.cifar(c, model=dict(name="vit", depth=BASE_DEPTH, width=256, num_heads=4, mlp_dim=1024),
                 optimizer=dict(name="adam", learning_rate=1e-3), epochs=20)
    p13n = dict(optimizer="adam", branch_scale=True, input_shape=(1, 32, 32, 3),
                base_model=dict(name="vit", depth=BASE_DEPTH, width=256, num_heads=4, mlp_dim=1024, num_classes=10))
    c.parametrization = common.free(name="depth_mup", **p13n)
    c.grid = dict(axes=[("parametrization.name", ["sp", "depth_mup"]), ("model.depth", [2, 4, 8, 16, 32, 64]),
                        ("optimizer.learning_rate", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2])], base={"parametrization": p13n})
  return common.finalize(c)
