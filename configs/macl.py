"""MACL (Huang et al., "Model-Aware Contrastive Learning: Towards Escaping the Dilemmas", ICML 2023,
arXiv:2207.07874): the InfoNCE temperature follows the alignment magnitude A of the positive pairs,
tau_A = tau0 (1 + alpha (A - A0)), softening the uniformity-tolerance dilemma.

Claim: MACL improves SimCLR-style contrastive learning (linear evaluation) at the same budget.
cpu:   SimCLR on MNIST-1D (2,000 signals x 4 augmentation pairs), MLP encoder 40-128-128, projector
       128-BN-32, batch 128, Adam 1e-3, 800 steps; NT-Xent at tau = 0.1 vs MACL (tau0 = 0.1, alpha = 0.5,
       A0 = 0). Linear probe on the other, labelled half of the training split, scored on test. 5 seeds.
       lbrl implements the temperature part only (the paper's gradient reweighting is not included).
paper: CIFAR-10/100, STL-10, ImageNet-100 with ResNet-18/50 (SimCLR/MoCo); sentence and graph tasks.
"""
from lbrl import config as common

_AUG = dict(name="two_view", kind="1d", copies=4, max_shift=5, scale=(0.8, 1.2), noise=0.05)


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="mnist1d", batch_size=128, eval_batch_size=1000, split_train="train[:50%]",
                transforms=[dict(_AUG)])
  c.model = common.free(name="ssl_net", hidden=common.by_variant(variant, smoke=(16,), cpu=(128, 128), paper=(128, 128)),
                        projector=common.by_variant(variant, smoke=(16, 8), cpu=(128, 32), paper=(128, 32)))
  c.loss = common.free(name="macl", tau0=0.1, alpha=0.5, a0=0.0)
  c.optimizer = common.free(name="adam", learning_rate=1e-3)
  c.steps = common.by_variant(variant, smoke=3, cpu=800, paper=800)
  c.log_every = common.by_variant(variant, smoke=1, cpu=200, paper=200)
  c.eval_metrics = ["loss"]
  # smoke: no probe stage (CI time; configs/byol.py exercises it)
  c.post_training = [] if variant == "smoke" else [dict(name="ssl_probe", split="train[50%:]")]
  c.paper.update(
      title="Model-Aware Contrastive Learning: Towards Escaping the Dilemmas", year=2023, arxiv="2207.07874",
      slug="macl", provides="function", code="lbrl.losses.contrastive.macl",
      claim="an alignment-adaptive temperature improves contrastive learning across modalities",
      expected="table 1: SimCLR+MACL above SimCLR on CIFAR-10/100, STL-10, ImageNet-100 linear evaluation",
      setting="SimCLR, ResNet-18 on CIFAR/STL, ResNet-50 on ImageNet-100, batch 256-512, 200-800 epochs",
      hardware="GPUs (paper)")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.metric = "post/ssl_probe/linear_accuracy"
  c.sweep.arms = {"macl": {}, "simclr": {"loss": {"name": "ntxent", "temperature": 0.1}}}
  c.sweep.rules = [{"arm": "macl", "op": ">", "than": "simclr", "margin": 0.005}]
  c.sweep.partly_testable = "the gradient-reweighting half of MACL is not implemented; only its temperature."
  if variant == "paper":
    common.cifar(c, model=dict(name="resnet18"), batch=512, epochs=200,
                 optimizer=dict(name="lars", learning_rate=0.3 * 512 / 256, weight_decay=1e-6))
    c.model = common.free(name="ssl_net", encoder="resnet50", example_rank=3, hidden=(2048,), projector=(2048, 128))
    c.loss = common.free(name="macl", tau0=0.1, alpha=0.5, a0=0.0)
    c.eval_metrics = ["loss"]
    c.data.transforms = []
    c.paper.update(setting="CIFAR-10 SimCLR with a ResNet-50 trunk (lbrl's SSL encoder; the paper: ResNet-18), "
                           "LARS, batch 512, 200 epochs")
  return common.finalize(c)
