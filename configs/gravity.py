"""Gravity (Bahrami & Zadeh, "Gravity Optimizer: a Kinematic Approach on Optimization in Deep Learning",
2021, arXiv:2101.09192).

Claim: the kinematics-inspired velocity update (gradients damped by 1 / (1 + (g max|g|)^2), averaged
with beta_t = (beta t + 1)/(t + 2)) is more stable than Adam and reaches higher validation accuracy.
cpu:   MNIST-1D 1-D CNN, batch 128, 3000 steps, cosine schedule; Gravity at learning rates 0.03, 0.1
       (the paper's default), 0.3 vs Adam at 3e-3, 1e-2, 3e-2 (three rates each). 3 seeds, about 3
       minutes on 2 cores. The rules compare them rate by rate (low with low, ...).
paper: VGG-16/19 on CIFAR-10/100, MNIST, Fashion-MNIST and a fifth set, batch 128, 100 epochs.
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.mnist1d_cnn(arg, "gravity", 0.1)
  c.paper.update(
      title="Gravity Optimizer: a Kinematic Approach on Optimization in Deep Learning", year=2021,
      arxiv="2101.09192", slug="gravity", provides="transform", code="lbrl.optim.adaptive.gravity",
      claim="Gravity is more stable than Adam and reaches higher validation accuracy",
      expected="Gravity test accuracy above Adam's at each point of the learning-rate grid",
      setting="VGG-16/19, 5 datasets incl. CIFAR-10/100, batch 128, 100 epochs", hardware="GPU (paper)")
  common.versus(c, "gravity", (0.03, 0.1, 0.3), "adam", common.ADAM_LRS)
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
