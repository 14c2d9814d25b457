"""Accurate, large minibatch SGD (Goyal, Dollar, Girshick, Noordhuis, Wesolowski, Kyrola, Tulloch, Jia & He,
"Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour", 2017, arXiv:1706.02677).

Claim: with the linear scaling rule (multiply the learning rate by k when the minibatch grows k-fold) and a
gradual warm-up over the first 5 epochs, large-minibatch SGD matches small-minibatch accuracy (ResNet-50 on
ImageNet up to 8192 images: 23.74% vs 23.60% top-1 error); without warm-up, or without scaling, it does not.
The rule: lbrl.optim.batch_rules.scale_learning_rate / linear_scaling_schedule (the paper's schedule, warm-up
from the base rate; unit-tested against the paper's 0.1 x kn/256 and 5/30/60/80-epoch schedule).
cpu: MNIST-1D 1-D CNN (4,000 training examples), SGD momentum 0.9, 40 epochs, cosine decay: batch 128 at
0.05 (the reference) against batch 1024 with the linearly scaled 0.4 and a 5-epoch warm-up, 0.4 without
warm-up, and the unscaled 0.05. 3 seeds. Rules fixed before the run: (1) scaled + warm-up not worse than
batch 128 (margin 1 point of test accuracy); (2) scaled + warm-up beats unscaled (margin 1 point).
The warm-up ramps from the small-batch rate 0.05 = 0.4 / 8 to 0.4 as the paper's does
(``schedule.warmup_start = 1/8``, the same schedule as linear_scaling_schedule).
paper variant: ResNet-50 (zero-init last BN scale of each block), ImageNet, batch 8192 on 256 GPUs (32 per
GPU), learning rate 0.1 x 8192/256 = 3.2, momentum 0.9, weight decay 1e-4, 90 epochs, gradual warm-up of 5
epochs, divided by 10 at epochs 30, 60 and 80.
"""
from lbrl import config as common

EPOCHS, N = 40, 4000


def get_config(arg=None):
  c, variant = common.base(arg)
  smoke = variant == "smoke"
  steps = lambda b: 2 if smoke else EPOCHS * N // b
  c.data.update(name="mnist1d", batch_size=1024, eval_batch_size=1000)
  c.model = common.free(name="cnn1d")
  c.loss = common.free(name="cross_entropy")
  c.optimizer = common.free(name="sgd", learning_rate=0.4, momentum=0.9)
  c.schedule.update(name="cosine", warmup_steps=0 if smoke else 5 * N // 1024)
  c.schedule.warmup_start = 0.05 / 0.4   # gradual warm-up from the small-batch rate (k = 8)
  c.steps = steps(1024)
  c.log_every = 1 if smoke else 20
  c.paper.update(
      title="Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour", year=2017, arxiv="1706.02677",
      slug="linear_lr_scaling", provides="transform",
      code="SGD (optimizer 'sgd') with lbrl.optim.batch_rules.scale_learning_rate / linear_scaling_schedule",
      claim="linear learning-rate scaling with gradual warm-up keeps small-batch accuracy up to minibatch 8192",
      expected="ResNet-50 top-1 error 23.74% at 8k vs 23.60% at 256 (Table 1 of the paper)",
      setting="ResNet-50, ImageNet, 90 epochs, 256 GPUs",
      hardware="256 NVIDIA P100 GPUs (paper)")
  c.sweep.seeds = [0, 1, 2]
  c.sweep.metric = "eval/accuracy"
  warm = 0 if smoke else 5 * N // 1024
  c.sweep.arms = {
      "b128": {"data": {"batch_size": 128}, "steps": steps(128), "log_every": 1 if smoke else 100,
               "optimizer": {"learning_rate": 0.05}, "schedule": {"warmup_steps": 0}},
      "b1024_scaled_warmup": {"schedule": {"warmup_steps": warm}},
      "b1024_scaled": {"schedule": {"warmup_steps": 0}},
      "b1024_unscaled": {"optimizer": {"learning_rate": 0.05}, "schedule": {"warmup_steps": 0}},
  }
  c.sweep.rules = [
      {"arm": "b1024_scaled_warmup", "op": "not_worse", "than": "b128", "margin": 0.01},
      {"arm": "b1024_scaled_warmup", "op": ">", "than": "b1024_unscaled", "margin": 0.01},
  ]
  c.sweep.partly_testable = "a small CNN on MNIST-1D stands in for ResNet-50 on ImageNet"
  if variant == "paper":
    common.imagenet_resnet50(
        c, batch=8192, epochs=90, warmup_epochs=5, devices=256, model=dict(zero_init_residual=True),
        optimizer=dict(name="sgd", learning_rate=3.2, momentum=0.9, weight_decay=1e-4),
        schedule=dict(name="step", boundaries=[30 / 90, 60 / 90, 80 / 90], factors=[0.1, 0.01, 0.001]))
    c.schedule.warmup_start = 0.1 / 3.2   # from the batch-256 rate 0.1 to 3.2 over 5 epochs
  return common.finalize(c)
