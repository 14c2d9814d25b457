"""diffGrad (Dubey et al., "diffGrad: An Optimization Method for Convolutional Neural Networks", IEEE
TNNLS 2019, arXiv:1909.11015).

Claim: scaling Adam's step by the friction xi = sigmoid(|g_{t-1} - g_t|) (smaller steps where the
gradient barely changes) beats Adam on CNN image classification.
cpu:   MNIST-1D 1-D CNN, batch 128, 3000 steps, cosine schedule; diffGrad and Adam each at learning
       rates 3e-3, 1e-2, 3e-2 (matched tuning budget: the same three rates). 3 seeds, about 3 minutes on
       2 cores. The rules compare the two at each rate.
paper: ResNet-18/34/50 on CIFAR-10/100 (and with several activations); accuracies in the paper's tables.
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.mnist1d_cnn(arg, "diffgrad", 1e-2)
  c.paper.update(
      title="diffGrad: An Optimization Method for Convolutional Neural Networks", year=2019,
      arxiv="1909.11015", slug="diffgrad", provides="transform", code="lbrl.optim.adaptive.diffgrad",
      claim="diffGrad beats Adam on CNN image classification",
      expected="diffGrad test accuracy above Adam's at each learning rate of the grid",
      setting="ResNet-18/34/50 on CIFAR-10/100", hardware="GPU (paper)")
  common.versus(c, "diffgrad", common.ADAM_LRS)
  if variant == "paper":
    # Dubey et al., Sec. IV: CIFAR-10 with ResNet-18 (the authors' code trains the CIFAR ResNets of
    # pytorch-cifar), batch 128, 100 epochs, lr 1e-3 for diffGrad and Adam (assumed from the authors'
    # code, not re-checked against the paper).
    common.cifar(c, model=dict(name="resnet18"), batch=128, epochs=100, devices=1,
                 optimizer=dict(name="diffgrad", learning_rate=1e-3), schedule=dict(name="constant"))
    c.paper.update(hardware="one GPU",
                   expected="diffGrad test accuracy above Adam's with ResNet-18/34/50 on CIFAR-10/100 (the "
                            "paper's tables)")
  return common.finalize(c)
