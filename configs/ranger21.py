"""Ranger21 (Wright & Demeure, "Ranger21: a synergistic deep learning optimizer", 2021,
arXiv:2106.13731).

Claim: AdamW plus eight components (adaptive gradient clipping, gradient centralisation,
positive-negative momentum, norm loss, stable weight decay, linear warm-up, explore-exploit warm-down,
lookahead) gives better validation accuracy and faster training than AdamW, and trains networks
without normalisation layers where AdamW stalls.
cpu:   MNIST-1D 1-D CNN (no normalisation layers), batch 128, 3000 steps; Ranger21 (its own warm-up and
       warm-down over the 3000 steps) vs AdamW (weight decay 1e-4, cosine schedule) at learning rates
       3e-3, 1e-2, 3e-2. 3 seeds, about 3 minutes on 2 cores. The rules compare them rate by rate.
paper: ResNet-50 on ImageNet (with and without BN), and smaller benchmarks.
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.mnist1d_cnn(arg, "ranger21", 1e-2)
  c.optimizer.total_steps = int(c.steps)
  c.schedule.name = "constant"   # Ranger21 brings its own warm-up and warm-down
  c.paper.update(
      title="Ranger21: a synergistic deep learning optimizer", year=2021, arxiv="2106.13731",
      slug="ranger21", provides="transform", code="lbrl.optim.adaptive.ranger21",
      claim="Ranger21 reaches better validation accuracy than AdamW",
      expected="Ranger21 test accuracy above AdamW's at each learning rate",
      setting="ResNet-50 ImageNet with and without BatchNorm", hardware="GPU (paper)")
  arms, rules = {}, []
  for i, lr in enumerate(common.ADAM_LRS):
    arms[f"ranger21_lr{i}"] = {"optimizer": {"name": "ranger21", "learning_rate": lr,
                                             "total_steps": int(c.steps)},
                               "schedule": {"name": "constant"}}
    arms[f"adamw_lr{i}"] = {"optimizer": {"name": "adamw", "learning_rate": lr, "weight_decay": 1e-4}}
    rules.append({"arm": f"ranger21_lr{i}", "op": ">", "than": f"adamw_lr{i}"})
  c.sweep.arms = arms
  c.sweep.rules = rules
  if variant == "paper":
    # Wright & Demeure: ResNet-50 on ImageNet, Ranger21 (its own warm-up and warm-down) vs AdamW, batch
    # 256, 60 epochs, lr 1e-3 (assumed training length and rate).
    common.imagenet_resnet50(c, batch=256, epochs=60, devices=8,
                             optimizer=dict(name="ranger21", learning_rate=1e-3,
                                            total_steps=common.steps_from_epochs(60, "imagenet2012", 256)))
    c.schedule.update(name="constant", warmup_steps=0)   # Ranger21 brings its own warm-up and warm-down
    c.paper.update(hardware="8 GPUs",
                   expected="Ranger21 validation accuracy above AdamW's on ResNet-50 ImageNet (the paper's "
                            "figures)")
  return common.finalize(c)
