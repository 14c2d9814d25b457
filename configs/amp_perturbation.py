"""AMP (Zheng, Zhang & Mao, "Regularizing Neural Networks via Adversarial Model Perturbation", CVPR
2021, arXiv:2010.04925).

Claim: minimising the loss under the worst norm-bounded weight perturbation (inner ascent
delta <- clip_epsilon(delta + zeta grad L(w + delta)), then the gradient at w + delta) regularises
towards flat minima and beats other regularisers and plain training.
cpu:   the SAM reproduction's setting (MNIST-1D 1-D CNN, 20% symmetric label noise, SGD-momentum 0.9,
       lr 0.02 cosine, batch 128, 3000 steps); AMP with the authors' CIFAR settings (epsilon 0.5,
       inner lr 1, 1 inner step) and a smaller ball (epsilon 0.1). 3 seeds, about 3 minutes.
paper: PreActResNet18 / VGG16 on SVHN, CIFAR-10/100, 200 epochs (test errors of AMP vs ERM and
       other regularisers in the paper's tables).
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.noisy_cnn(arg)
  # the base setting is the paper's method (AMP, epsilon 0.5); SGD-momentum is the baseline arm
  c.optimizer = common.free(name="amp_perturbation", learning_rate=0.02, epsilon=0.5, inner_lr=1.0, inner_steps=1,
                            base_kwargs={"momentum": 0.9})
  c.paper.update(
      title="Regularizing Neural Networks via Adversarial Model Perturbation", year=2021,
      arxiv="2010.04925", slug="amp_perturbation", provides="transform",
      code="lbrl.optim.sharpness.amp_perturbation",
      claim="AMP (worst-case weight perturbation in an epsilon ball) generalises better than ERM",
      expected="AMP test accuracy above SGD-momentum's on noisy-label MNIST-1D",
      setting="PreActResNet18 / VGG16, SVHN and CIFAR-10/100, 200 epochs",
      hardware="GPU (paper)")
  amp = lambda eps: {"optimizer": {"name": "amp_perturbation", "learning_rate": 0.02, "epsilon": eps,
                                   "inner_lr": 1.0, "inner_steps": 1, "base_kwargs": {"momentum": 0.9}}}
  c.sweep.arms = {"sgd_momentum": common.SGD_MOMENTUM,
                  "amp_eps0p5": amp(0.5), "amp_eps0p1": amp(0.1)}
  c.sweep.rules = [{"arm": "amp_eps0p5", "op": ">", "than": "sgd_momentum"},
                   {"arm": "amp_eps0p1", "op": ">", "than": "sgd_momentum"}]
  if variant == "paper":
    # Zheng et al., Sec. 5: PreActResNet18 on CIFAR-10, 200 epochs, SGD momentum 0.9, lr 0.1 divided by
    # 10 at epochs 100 and 150, weight decay 1e-4, batch 50, AMP epsilon 0.5, inner lr 1, one inner step
    # (the authors' defaults, assumed: not re-checked against the paper).
    common.cifar(c, model=dict(name="preact_resnet18"), batch=50, epochs=200, devices=1,
                 schedule=dict(name="step", boundaries=[0.5, 0.75], factors=[0.1, 0.1]),
                 optimizer=dict(name="amp_perturbation", learning_rate=0.1, epsilon=0.5, inner_lr=1.0,
                                inner_steps=1, base_kwargs={"momentum": 0.9, "weight_decay": 1e-4}))
    c.paper.update(hardware="one GPU",
                   expected="AMP test error below ERM's on CIFAR-10 PreActResNet18 (the paper's Table 2)")
  return common.finalize(c)
