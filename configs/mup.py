"""muP: Feature Learning in Infinite-Width Neural Networks (Yang & Hu, 2020, arXiv:2011.14522, Tensor
Programs IV), with the practical tables and checks of Tensor Programs V (Yang et al. 2022, arXiv:2203.03466).

Claim: under the standard parametrisation (SP) wide networks leave the feature-learning regime, so the best
learning rate moves with width (TP5, Figure 1: SP's optimum shifts, muP's stays put); the maximal-update
parametrisation (muP) keeps every layer's update Theta(1) in width, so (i) the coordinate check is flat in
width under muP and grows under SP, and (ii) the learning rate tuned at a small width stays optimal at large
widths.
cpu:   MNIST-1D MLP 40-w-w-10 (ReLU), Adam, batch 128, 200 steps, constant lr; grid: parametrisation (SP,
       muP with base width 64) x width (64..1024) x learning rate (1e-4..1e-1, half-decade steps) x 3 seeds;
       metric: the final training loss (eval on the training split, as TP5 tunes on training loss). Rules:
       muP's plausible optima (paired 95% over seeds, lbrl.tools.kinds.grid.optimum_stable) fit in two
       adjacent grid values at every width; SP's are more than one grid step apart somewhere (its optimum
       moves). The report also locates each seed's optimum between grid points (the vertex of a parabola in
       log10 rate through the best point and its neighbours, lbrl.tools.kinds.grid.optimum_location) with
       95% intervals over seeds and the paired drift from width 64 to 1024: descriptive, added after the
       first run, never the verdict. The coordinate check (lbrl.analysis.coord_check, the companion section
       and plot) is run separately on the same MLP.
       Grid history (rules unchanged): the first run (1e-4..3e-2, 180 runs) put muP's best rate at the top of
       the grid (3e-2) for widths 256..1024, so 1e-1 was added; the finished points' records were kept (their
       workdirs' configs match the current training config).
observed (this report, 210 runs): muP's plausible optima stay within one step (0.01-0.03 at every width:
       the rule holds); SP's move from 0.01 (widths 64-256) to 0.003 (1024), one half-decade step, which the
       one-step rule calls inconclusive. Located between grid points, SP's optimum falls from 0.0126 to
       0.0022, -0.75 decades [-0.98, -0.53] (about width^-0.62), while muP's settles: 0.0126, 0.0151, 0.019,
       0.021, 0.022 (+0.25 decades [+0.07, +0.42] from 64 to 1024, +0.07 from 256 to 1024). Coordinate
       check: hidden and output activations' change grows like width^0.81 / width^0.59 under SP, flat
       (|slope| <= 0.07) under muP.
paper: TP4's experiments are Word2Vec and Omniglot MAML in the infinite-width limit (not testable here);
       the paper variant is TP5's MLP transfer setting (CIFAR-10, 2 hidden layers of width 8192, SGD,
       batch 64, 20 epochs, muP with base width 256).
"""
from lbrl import config as common
from lbrl.optim import parametrization

WIDTHS = (64, 128, 256, 512, 1024)
LRS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
BASE_WIDTH = 64


def get_config(arg=None):
  c, variant = common.base(arg)
  c.model = common.free(name="mlp", hidden=(BASE_WIDTH, BASE_WIDTH))
  c.optimizer = common.free(name="adam", learning_rate=1e-3)
  base = (16, 16) if variant == "smoke" else (BASE_WIDTH, BASE_WIDTH)
  p13n = dict(optimizer="adam", base_model=dict(name="mlp", hidden=base, num_classes=10), input_shape=(1, 40))
  widths = common.by_variant(variant, smoke=(16, 32), cpu=WIDTHS, paper=WIDTHS)
  parametrization.transfer_grid(
      c, names=("sp", "mup"), size_axis="model.hidden", sizes=[(w, w) for w in widths],
      hp_axis="optimizer.learning_rate", hps=common.by_variant(variant, smoke=(1e-3, 1e-2), cpu=LRS, paper=LRS),
      p13n=p13n, steps=common.by_variant(variant, smoke=2, cpu=200, paper=200),
      log_every=common.by_variant(variant, smoke=1, cpu=50, paper=50),
      seeds=common.by_variant(variant, smoke=[0], cpu=[0, 1, 2], paper=[0, 1, 2]))
  c.paper.update(
      title="Feature Learning in Infinite-Width Neural Networks", year=2020, arxiv="2011.14522", slug="mup",
      provides="transform",
      code="lbrl.optim.parametrization (Parametrization, mup, apply_init, scale_updates); "
           "lbrl.analysis.coord_check",
      claim="SP has no feature-learning infinite-width limit; muP does: the coordinate check is flat in width "
            "under muP, and the optimal learning rate transfers across widths under muP but drifts under SP",
      expected="muP: plausible optimal learning rates within one grid step at every width 64..1024; SP: the "
               "optimum moves by more than one half-decade step",
      setting="TP4: Word2Vec and Omniglot MAML infinite-width limits; TP5: MLP / Transformer transfer grids",
      hardware="GPU (paper)")
  c.sweep.partly_testable = ("TP4's own experiments (Word2Vec, Omniglot MAML in the infinite-width limit) are not "
                             "run; the width-transfer and coordinate-check consequences are")
  if variant == "paper":
    common.paper_run(c, data="cifar10", model=dict(name="mlp", hidden=(8192, 8192)), batch=64, epochs=20,
                     optimizer=dict(name="sgd", learning_rate=0.1), devices=1)
    p13n = dict(optimizer="sgd", base_model=dict(name="mlp", hidden=(256, 256), num_classes=10),
                input_shape=(1, 32, 32, 3))
    c.parametrization = common.free(name="mup", **p13n)
    c.grid = dict(axes=[("parametrization.name", ["sp", "mup"]),
                        ("model.hidden", [(w, w) for w in (256, 512, 1024, 2048, 4096, 8192)]),
                        ("optimizer.learning_rate", [2.0 ** k for k in range(-14, -2)])],
                  base={"parametrization": p13n})
  return common.finalize(c)
