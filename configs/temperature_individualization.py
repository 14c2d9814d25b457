"""iSogCLR (Qiu, Hu, Yuan, Zhou, Zhang, Yang, "Not All Semantics are Created Equal: Contrastive
Self-supervised Learning with Automatic Temperature Individualization", ICML 2023, arXiv:2305.11965): a
DRO-inspired robust contrastive loss in which every anchor learns its own temperature tau_i, optimised by
a stochastic algorithm with per-example moving averages (no large batches needed).

Claim: the learnt tau_i follows the frequency of the anchor's semantics (large for frequent classes,
small for rare ones; the paper's figure 3 on imbalanced data), and iSogCLR beats SimCLR with bigger gains
on imbalanced data.
cpu:   the CON protocol (lbrl.data.ssl_protocol.mnist1d: MLP encoder 40-128-128, projector 128-BN-32,
       fresh augmented views per step, Adam 1e-3) on a long-tailed MNIST-1D training half (exponential
       profile, head/tail ratio 10: about 650 signals), batch 128, 600 steps; iSogCLR (rho 0.3, gamma 0.9,
       tau_init 0.7, tau_lr 0.01) vs SimCLR (NT-Xent, tau 0.2). Measured: Spearman correlation between
       each class's count and its examples' mean learnt tau (post-training stage temperature_by_class),
       the head-minus-tail tau difference, and the linear probe (fitted on the balanced other half,
       scored on the test split). 5 seeds.
paper: CIFAR-10/100, ImageNet-100 and their long-tailed versions, ResNet-50, iSogCLR vs SimCLR/SogCLR
       (table 2: +1-3 points linear evaluation), bimodal CC3M.
"""
from lbrl import config as common
from lbrl.data import ssl_protocol

_LOSS = dict(name="isogclr", rho=0.3, gamma=0.9, tau_init=0.7, tau_min=0.05, tau_lr=0.01)
_LT = dict(name="long_tail", imbalance_ratio=10.0)


def get_config(arg=None):
  c, variant = common.base(arg)
  ssl_protocol.mnist1d(c, variant, loss=_LOSS, steps=600)
  c.data.transforms = [dict(_LT)]
  if variant != "smoke":
    c.post_training = c.post_training + [dict(name="temperature_by_class", split=ssl_protocol.PROBE_SPLIT)]
  c.paper.update(
      title="Not All Semantics are Created Equal: Contrastive Self-supervised Learning with Automatic "
            "Temperature Individualization", year=2023, arxiv="2305.11965", slug="temperature_individualization",
      provides="function", code="lbrl.losses.contrastive.isogclr + lbrl.evaluation.ssl.temperature_frequency",
      claim="learnt per-sample temperatures are large for frequent and small for rare semantics; iSogCLR beats "
            "SimCLR, more on imbalanced data",
      expected="table 2: iSogCLR above SimCLR and SogCLR on CIFAR-10/100-LT and ImageNet-100-LT linear evaluation; "
               "figure 3: tau grows with class frequency",
      setting="ResNet-50, batch 128-256, 400 epochs (CIFAR) / 200 (ImageNet-100), LARS; rho and tau_init tuned",
      hardware="GPUs (paper)")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.metric = "post/temperature_by_class/spearman"
  probe_only = [dict(name="ssl_probe", split=ssl_protocol.PROBE_SPLIT)]
  c.sweep.arms = {"isogclr": {},
                  "simclr": {"loss": {"name": "ntxent", "temperature": 0.2}, "post_training": probe_only}}
  c.sweep.rules = [
      {"arm": "isogclr", "op": ">=", "metric": "post/temperature_by_class/spearman", "value": 0.0},
      {"arm": "isogclr", "op": ">=", "metric": "post/temperature_by_class/head_minus_tail", "value": 0.0},
      {"arm": "isogclr", "op": ">", "than": "simclr", "metric": "post/ssl_probe/linear_accuracy", "margin": 0.005},
  ]
  c.sweep.partly_testable = ("the CIFAR/ImageNet-100 long-tailed numbers need ResNet-50 pre-training; the "
                             "temperature-frequency relation and the ordering against SimCLR are tested on a "
                             "long-tailed MNIST-1D.")
  if variant == "paper":
    common.cifar(c, model=dict(name="resnet18"), batch=256, epochs=400,
                 optimizer=dict(name="lars", learning_rate=0.3 * 256 / 256, weight_decay=1e-6))
    c.model = common.free(name="ssl_net", encoder="resnet50", example_rank=3, hidden=(2048,), projector=(2048, 128))
    c.loss = common.free(**_LOSS)
    c.eval_metrics = ["loss"]
    c.data.augment = dict(kind="image", views=2, options=dict(pad=4, flip=True))
    c.data.transforms = [dict(_LT, imbalance_ratio=100.0)]
    c.post_training = []
    c.paper.update(setting="CIFAR-10-LT (ratio 100), ResNet-50 trunk, batch 256, 400 epochs, LARS (the paper's "
                           "CIFAR protocol; crops and flips stand in for its colour augmentations)")
  return common.finalize(c)
