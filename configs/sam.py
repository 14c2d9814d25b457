"""SAM (Foret, Kleiner, Mobahi & Neyshabur, "Sharpness-Aware Minimization for Efficiently Improving
Generalization", ICLR 2021, arXiv:2010.01412).

Claim: minimising the worst loss in a rho-ball (ascent e = rho g/||g||, then the gradient at w + e)
finds flatter minima and generalises better than the base optimizer, with robustness to label noise.
cpu:   MNIST-1D 1-D CNN, 20% symmetric label noise on the training labels (clean test set), SGD with
       momentum 0.9, lr 0.02, cosine schedule, batch 128, 3000 steps; SAM at the same lr with rho 0.05
       (the paper's CIFAR value) and 0.1. 3 seeds, about 3 minutes on 2 cores (SAM costs two gradient
       evaluations per step). The SGD learning rate was picked from {0.02, 0.1} by one noisy run each
       (0.742 vs 0.674); SAM was not tuned.
paper: WideResNet / PyramidNet on CIFAR-10/100 (200-1800 epochs), ImageNet, fine-tuning, and
       CIFAR-10 with 20-80% label noise (the paper's tables give the accuracies).
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.noisy_cnn(arg)
  # the base setting is the paper's method (SAM, rho 0.05); SGD-momentum is the baseline arm
  c.optimizer = common.free(name="sam", learning_rate=0.02, rho=0.05, base_kwargs={"momentum": 0.9})
  c.paper.update(
      title="Sharpness-Aware Minimization for Efficiently Improving Generalization", year=2021,
      arxiv="2010.01412", slug="sam", provides="transform", code="lbrl.optim.sharpness.sam",
      claim="SAM generalises better than the base optimizer, especially under label noise",
      expected="SAM (rho 0.05) test accuracy above SGD-momentum's on noisy-label MNIST-1D",
      setting="WRN/PyramidNet CIFAR-10/100, ImageNet; label-noise CIFAR-10 with ResNet-32",
      hardware="TPU/GPU (paper)")
  sam = lambda rho: {"optimizer": {"name": "sam", "learning_rate": 0.02, "rho": rho,
                                   "base_kwargs": {"momentum": 0.9}}}
  c.sweep.arms = {"sgd_momentum": common.SGD_MOMENTUM,
                  "sam_rho0p05": sam(0.05), "sam_rho0p1": sam(0.1)}
  c.sweep.rules = [{"arm": "sam_rho0p05", "op": ">", "than": "sgd_momentum"},
                   {"arm": "sam_rho0p1", "op": ">", "than": "sgd_momentum"}]
  if variant == "paper":
    # Foret et al., Table 1: WRN-28-10 on CIFAR-10, 200 epochs, basic augmentation, SGD momentum 0.9,
    # lr 0.1 cosine, weight decay 5e-4, batch 128, rho 0.05 (batch and decay from the WRN recipe the
    # table's runs follow).
    common.cifar(c, model=dict(name="wide_resnet", depth=28, widen=10), batch=128, epochs=200, devices=1,
                 optimizer=dict(name="sam", learning_rate=0.1, rho=0.05,
                                base_kwargs={"momentum": 0.9, "weight_decay": 5e-4}))
    c.paper.update(hardware="one accelerator",
                   expected="test error 2.7% with SAM vs 3.5% with SGD (WRN-28-10, 200 epochs, basic "
                            "augmentation; the paper's Table 1)")
  return common.finalize(c)
