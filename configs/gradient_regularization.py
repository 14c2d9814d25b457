"""Finite-difference gradient regularisation (Karakida, Takase, Hayase & Osawa, "Understanding Gradient
Regularization in Deep Learning: Efficient Finite-Difference Computation and Implicit Bias", ICML 2023,
arXiv:2210.02720).

Claim: penalising (gamma/2) ||grad L||^2 computed by a forward (ascent) finite difference,
g + gamma (grad L(w + h g) - g) / h, is cheap (two gradients) and generalises better, with the forward
difference (h > 0) better than the backward one (h < 0).
cpu:   the SAM reproduction's setting (MNIST-1D 1-D CNN, 20% symmetric label noise, SGD-momentum 0.9,
       lr 0.02 cosine, batch 128, 3000 steps). GR with gamma 0.05 and normalised step |h| = 0.05/||g||
       (so gamma/h ~ ||g||), forward (ascent) and backward (descent). 3 seeds, about 3 minutes.
paper: ResNet-18 / WRN on CIFAR-10/100 (F-GR vs B-GR vs double back-propagation in the paper's
       tables), and the diagonal linear network analysis.
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.noisy_cnn(arg)
  # the base setting is the paper's method (forward-difference GR); SGD-momentum and B-GR are arms
  c.optimizer = common.free(name="gradient_regularization", learning_rate=0.02, gamma=0.05, step=0.05,
                            normalize=True, base_kwargs={"momentum": 0.9})
  c.paper.update(
      title="Understanding Gradient Regularization in Deep Learning: Efficient Finite-Difference "
            "Computation and Implicit Bias", year=2023, arxiv="2210.02720",
      slug="gradient_regularization", provides="transform",
      code="lbrl.optim.sharpness.gradient_regularization",
      claim="forward (ascent) finite-difference gradient regularisation generalises better than plain "
            "training and than the backward (descent) difference",
      expected="F-GR > SGD-momentum and F-GR > B-GR test accuracy on noisy-label MNIST-1D",
      setting="ResNet-18 / WRN-28-10 on CIFAR-10/100", hardware="GPU (paper)")
  gr = lambda step: {"optimizer": {"name": "gradient_regularization", "learning_rate": 0.02,
                                   "gamma": 0.05, "step": step, "normalize": True,
                                   "base_kwargs": {"momentum": 0.9}}}
  c.sweep.arms = {"sgd_momentum": common.SGD_MOMENTUM,
                  "forward_gr": gr(0.05), "backward_gr": gr(-0.05)}
  c.sweep.rules = [{"arm": "forward_gr", "op": ">", "than": "sgd_momentum"},
                   {"arm": "forward_gr", "op": ">", "than": "backward_gr"}]
  if variant == "paper":
    # Karakida et al., Sec. 6: WRN-28-10 on CIFAR-10, SGD momentum 0.9, batch 128, 200 epochs, lr 0.1
    # cosine, weight decay 5e-4 (the WRN recipe), forward finite-difference GR (gamma 0.05, step 0.05).
    common.cifar(c, model=dict(name="wide_resnet", depth=28, widen=10), batch=128, epochs=200, devices=1,
                 optimizer=dict(name="gradient_regularization", learning_rate=0.1, gamma=0.05, step=0.05,
                                normalize=True, base_kwargs={"momentum": 0.9, "weight_decay": 5e-4}))
    c.paper.update(hardware="one GPU",
                   expected="F-GR test accuracy above SGD's and above B-GR's on WRN-28-10 CIFAR-10 (the "
                            "paper's table)")
  return common.finalize(c)
