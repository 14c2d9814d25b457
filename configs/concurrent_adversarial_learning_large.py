"""Concurrent adversarial learning for large-batch training (Liu, Chen, Hsieh & You, "Concurrent Adversarial
Learning for Large-Batch Training", ICLR 2022, arXiv:2106.00221).

Claim: adversarial examples used as data augmentation let large-batch training keep its accuracy; computing
them with stale parameters (ConAdv) removes the sequential dependence of the two gradient computations, and
ResNet-50 reaches 75.3% ImageNet top-1 at batch 96K (76.2% with data augmentation), the first to scale
ResNet-50 training to that batch.
What lbrl has: the large-batch recipe the method sits on (LARS, lbrl.optim.layerwise.lars / optax.lars,
with linear warm-up: lbrl.optim.batch_rules.linear_scaling_schedule for the learning-rate rule) and the
paper variant below. Not implemented: the ConAdv gradient estimator itself (adversarial examples from
weights k steps stale, mixed with the clean batch), so the training claim is not testable here; the cpu
setting is the shared large-batch CNN (lbrl.config.large_batch: MNIST-1D, batch 4000, LARS) as a smoke-level
recipe check, without rules.
paper variant: ResNet-50 on ImageNet at batch 96K (read as 96 x 1024 = 98,304), LARS (momentum 0.9, weight
decay 5e-5), linear warm-up then polynomial (power 2) decay, 90 epochs, bfloat16, on 256 devices; the
learning rate (LARS 35), warm-up (5 epochs), epochs and device count are lbrl's reading of the LARS
large-batch protocol the paper follows (not stated in the abstract; the authors' code is not released).
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant, arms = common.large_batch(arg, "lars", 30.0)
  c.paper.update(
      title="Concurrent Adversarial Learning for Large-Batch Training", year=2022, arxiv="2106.00221",
      slug="concurrent_adversarial_learning_large", provides="transform",
      code="lbrl.optim.layerwise.lars (the large-batch recipe's optimizer); ConAdv's stale-weight adversarial "
           "estimator is not implemented",
      claim="ConAdv keeps ResNet-50's ImageNet accuracy at batch 96K: 75.3% top-1 (76.2% with data augmentation)",
      expected="75.3% top-1 (ResNet-50, ImageNet, batch 96K; 76.2% with data augmentation)",
      setting="ResNet-50 on ImageNet at batch 32K-96K with LARS and adversarial augmentation from stale weights",
      hardware="TPU v3 pods (paper)")
  c.sweep.arms = {"lars_b4000": arms["lars_b4000"], "sgd_b4000": arms["sgd_b4000"]}
  c.sweep.rules = []
  c.sweep.not_testable = ("the ConAdv estimator (adversarial examples from stale weights) is not implemented and "
                          "the claim is ImageNet ResNet-50 at batch 96K on TPU pods; only the LARS recipe runs here")
  if variant == "paper":
    common.imagenet_resnet50(
        c, batch=98_304, epochs=90, warmup_epochs=5, devices=256, compute_dtype="bfloat16",
        optimizer=dict(name="lars", learning_rate=35.0, momentum=0.9, weight_decay=5e-5),
        schedule=dict(name="polynomial", power=2.0))
  return common.finalize(c)
