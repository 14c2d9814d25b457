"""INNAprop (Bolte, Boustany, Pauwels & Purica, "A second-order-like optimizer with adaptive gradient
scaling for deep learning", 2024, arXiv:2410.10929).

Claim: INNA's inertial second-order-like dynamics with RMSprop gradient scaling matches or beats AdamW
in training speed and accuracy with minimal tuning, at AdamW's memory cost.
cpu:   MNIST-1D 1-D CNN, batch 128, 3000 steps, cosine schedule; INNAprop (alpha 0.1, beta 0.9,
       weight decay 0.01, the paper's defaults) and AdamW (weight decay 0.01) at learning rates 3e-3,
       1e-2, 3e-2. 3 seeds, about 3 minutes on 2 cores. The rules compare them rate by rate.
paper: VGG/ResNet/DenseNet on CIFAR-10, ResNet-18/50 ImageNet, GPT-2 pre-training and LoRA fine-tuning.
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.mnist1d_cnn(arg, "innaprop", 1e-2)
  c.paper.update(
      title="A second-order-like optimizer with adaptive gradient scaling for deep learning", year=2024,
      arxiv="2410.10929", slug="innaprop", provides="transform", code="lbrl.optim.adaptive.innaprop",
      claim="INNAprop matches or beats AdamW in accuracy with minimal tuning",
      expected="INNAprop test accuracy at least AdamW's at each learning rate (ties allowed)",
      setting="CIFAR-10, ImageNet, GPT-2 (124M-770M)", hardware="GPU (paper)")
  arms, rules = {}, []
  for i, lr in enumerate(common.ADAM_LRS):
    arms[f"innaprop_lr{i}"] = {"optimizer": {"name": "innaprop", "learning_rate": lr,
                                             "weight_decay": 0.01}}
    arms[f"adamw_lr{i}"] = {"optimizer": {"name": "adamw", "learning_rate": lr, "weight_decay": 0.01}}
    rules.append({"arm": f"innaprop_lr{i}", "op": "tie", "than": f"adamw_lr{i}"})
  c.sweep.arms = arms
  c.sweep.rules = rules
  if variant == "paper":
    # Bolte et al., Sec. 5: ResNet-50 on ImageNet, 90 epochs, batch 256, INNAprop (alpha 0.1, beta 0.9)
    # against AdamW at lr 1e-3, weight decay 0.01 (the paper's defaults), cosine schedule, 8 GPUs.
    common.imagenet_resnet50(c, batch=256, epochs=90, devices=8,
                             optimizer=dict(name="innaprop", learning_rate=1e-3, alpha=0.1, beta=0.9,
                                            weight_decay=0.01))
    c.paper.update(hardware="8 GPUs",
                   expected="INNAprop top-1 at least AdamW's on ResNet-50 ImageNet (the paper's ImageNet figure)")
  return common.finalize(c)
