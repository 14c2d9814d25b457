"""Gravity (Bahrami & Zadeh, "Gravity Optimizer: a Kinematic Approach on Optimization in Deep Learning",
2021, arXiv:2101.09192).

Claim tested: the kinematics-inspired velocity update (gradients damped by 1 / (1 + (g max|g|)^2),
averaged with beta_t = (beta t + 1)/(t + 2)) reaches higher test accuracy than Adam, each optimizer at
its best learning rate.
cpu:   the issue-14 optimizer protocol: MNIST-1D 1-D CNN, batch 128, 1500 steps, cosine decay to 0, no
       weight decay. Each arm's learning rate is chosen on a validation split (trained on train[:90%],
       scored on train[90%:], selection seed 1000): Gravity from {0.03, 0.1 (the paper's default), 0.3,
       1, 3, 10}, Adam from {3e-4 ... 1e-1}; then 5 seeds (0-4) at each arm's choice on the full
       training set, scored on the test split, paired over the shared seeds. Gravity's (alpha 0.01,
       beta 0.9) are the paper's. Rule (fixed before the run): Gravity > Adam with the 1-point margin.
protocol (changed for issue 14): the first run paired Gravity at {0.03, 0.1, 0.3} with Adam at {3e-3,
       1e-2, 3e-2} (3 seeds, 3000 steps). Gravity's step is lr times g / (1 + (g max|g|)^2), which is
       g itself when gradients are small (|g| max|g| << 1): momentum SGD, whose best rate on this model
       sits near 1, outside that grid: the comparison was against an under-stepped Gravity (first verdict: not reproduced).
       Now best against best on validation with a grid reaching 10, 5 seeds, and the shared 1500-step
       protocol of the issue-14 optimizer reproductions.
observed (this run, 5 seeds): Gravity chose lr 3.0 on validation (0.948; 1.0 gave 0.930, 10 diverged
       to 0.095), Adam chose 3e-2 (0.930). Test accuracy Gravity 94.0 ± 1.0%, Adam 93.5 ± 0.3%: paired
       difference +0.44 points, 95% CI [-0.73, +1.61]; inconclusive at 5 seeds (minimum detectable
       effect 1.6 points; about 10 seeds would resolve the 1-point margin). The first run's 4-23 point
       deficits were the under-sized grid. Adam's 5 final runs are the diffgrad sweep's records
       (identical config, seeds and overrides), reused rather than retrained; this sweep retrained
       Adam's 6 tuning runs and they matched diffgrad's to every printed digit.
paper: VGG-16/19 on CIFAR-10/100, MNIST, Fashion-MNIST and a fifth set, batch 128, 100 epochs.
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.mnist1d_cnn(arg, "gravity", 0.1)
  c.steps = common.by_variant(variant, smoke=2, cpu=1500, paper=1500)
  c.paper.update(
      title="Gravity Optimizer: a Kinematic Approach on Optimization in Deep Learning", year=2021,
      arxiv="2101.09192", slug="gravity", provides="transform", code="lbrl.optim.adaptive.gravity",
      claim="Gravity reaches higher validation accuracy than Adam",
      expected="Gravity test accuracy above Adam's, each at its best learning rate on validation",
      setting="VGG-16/19, 5 datasets incl. CIFAR-10/100, batch 128, 100 epochs", hardware="GPU (paper)")
  c.sweep.arms = {"gravity": {"optimizer": {"name": "gravity", "alpha": 0.01, "beta": 0.9}},
                  "adam": {"optimizer": {"name": "adam"}}}
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.tune = dict(grids={"gravity": [("optimizer.learning_rate", [0.03, 0.1, 0.3, 1.0, 3.0, 10.0])],
                             "adam": [("optimizer.learning_rate", [3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1])]},
                      split="train[90%:]", train_split="train[:90%]", metric="eval/accuracy", seeds=[1000])
  c.sweep.rules = [{"arm": "gravity", "op": ">", "than": "adam"}]
  if variant == "paper":
    # Bahrami & Zadeh: VGG-16 on CIFAR-10, batch 128, 100 epochs, Gravity lr 0.1, alpha 0.01, beta 0.9.
    # lbrl has no VGG: the stand-in is its CIFAR ResNet-18.
    common.cifar(c, model=dict(name="resnet18"), batch=128, epochs=100, devices=1,
                 optimizer=dict(name="gravity", learning_rate=0.1, alpha=0.01, beta=0.9),
                 schedule=dict(name="constant"))
    c.paper.update(hardware="one GPU",
                   expected="Gravity validation accuracy above Adam's, RMSProp's and SGD's (the paper's "
                            "VGG-16 CIFAR-10 figures)")
  return common.finalize(c)
