"""MoMo (Schaipp, Ohana, Eickenberg, Defazio & Gower, "MoMo: Momentum Models for Adaptive Learning
Rates", ICML 2024, arXiv:2305.07583).

Claim: the MoMo step (a Polyak-type step from a momentum model of the loss, truncated at the lower
bound 0, capped by the learning rate) makes SGD-momentum far less sensitive to the learning rate.
cpu:   MNIST-1D 1-D CNN, batch 128, 3000 steps, constant learning rate; SGD-momentum (0.9) and MoMo
       (beta 0.9, lower bound 0) at learning rates 0.03, 0.3 and 3 (for MoMo the learning rate is the
       cap on the adaptive step). 3 seeds, about 3 minutes on 2 cores.
paper: ResNet-110 / VGG16 on CIFAR-10/100, ResNet-18 ImageNet, DLRM Criteo, Transformers on IWSLT14;
       the figures show test accuracy vs learning rate across about 3 orders of magnitude, flat for
       MoMo where SGD-M collapses at large rates.
"""
from lbrl import config as common

LRS = (0.03, 0.3, 3.0)


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="mnist1d", batch_size=128, eval_batch_size=1000)
  c.model = common.free(name="cnn1d")
  c.loss.name = "cross_entropy"
  c.optimizer = common.free(name="momo", learning_rate=0.3)
  c.steps = common.by_variant(variant, smoke=2, cpu=3000, paper=3000)
  c.eval_every = common.by_variant(variant, smoke=0, cpu=500, paper=500)
  c.log_every = common.by_variant(variant, smoke=1, cpu=250, paper=250)
  c.paper.update(
      title="MoMo: Momentum Models for Adaptive Learning Rates", year=2024, arxiv="2305.07583",
      slug="momo", provides="transform", code="lbrl.optim.descent.momo (optax.contrib.momo)",
      claim="MoMo's accuracy is much flatter across learning rates than SGD-momentum's",
      expected="at the large learning rates MoMo beats SGD-momentum; at the smallest they are close",
      setting="CIFAR-10/100, ImageNet, Criteo, IWSLT14 learning-rate sweeps", hardware="GPU (paper)")
  arms = {}
  for lr in LRS:
    arms[f"sgdm_lr{lr:g}".replace(".", "p")] = {"optimizer": {"name": "sgd", "learning_rate": lr, "momentum": 0.9}}
    arms[f"momo_lr{lr:g}".replace(".", "p")] = {"optimizer": {"name": "momo", "learning_rate": lr, "beta": 0.9}}
  c.sweep.arms = arms
  c.sweep.rules = [{"arm": "momo_lr3", "op": ">", "than": "sgdm_lr3"},
                   {"arm": "momo_lr0p3", "op": ">", "than": "sgdm_lr0p3"},
                   {"arm": "momo_lr3", "op": ">=", "value": 0.8}]
  if variant == "paper":
    # Schaipp et al., Sec. 5: ResNet-110 on CIFAR-100, batch 128, 100 epochs, MoMo (beta 0.9) across
    # learning rates; one point of the sweep, lr 1 (assumed training length).
    common.cifar(c, dataset="cifar100", model=dict(name="resnet", depth=110, width=16), batch=128, epochs=100,
                 devices=1, optimizer=dict(name="momo", learning_rate=1.0, beta=0.9),
                 schedule=dict(name="constant"))
    c.paper.update(hardware="one GPU",
                   expected="MoMo's test accuracy stays near its best over about three orders of magnitude of "
                            "learning rate where SGD-M's collapses (the paper's figures)")
  return common.finalize(c)
