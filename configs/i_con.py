"""I-Con (Alshammari, Hershey, Feldmann, Freeman, Hamilton, "I-Con: A Unifying Framework for
Representation Learning", ICLR 2025, arXiv:2504.16929): one loss, the average KL between a supervisory
neighbourhood distribution p(j|i) and the learned q(j|i), covers InfoNCE, SNE, cross-entropy and 20
more; debiasing p (mass alpha spread over all candidates) improves unsupervised clustering.

Claim: InfoNCE, SNE and CE are special cases (tests/losses/test_contrastive.py::test_i_con_special_cases,
numerically); the debiased I-Con improves unsupervised clustering accuracy over its InfoNCE baseline.
cpu:   MNIST-1D (2,000 signals x 4 augmentation pairs), MLP encoder 40-128-128, projector 128-BN-32,
       batch 128, Adam 1e-3, 800 steps, tau = 0.5; InfoNCE (alpha = 0) vs debiased I-Con (alpha = 0.2);
       clustering accuracy (k-means with 10 clusters on the test split's l2-normalised features, Hungarian
       matching) and the linear probe. 7 seeds (5, then 2 more as the first
       analysis asked).
paper: ImageNet-1K unsupervised classification with DiNO ViT features: +8% over the previous best
       (TEMI), table 2.
"""
from lbrl import config as common

_AUG = dict(name="two_view", kind="1d", copies=4, max_shift=5, scale=(0.8, 1.2), noise=0.05)


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="mnist1d", batch_size=128, eval_batch_size=1000, split_train="train[:50%]",
                transforms=[dict(_AUG)])
  c.model = common.free(name="ssl_net", hidden=common.by_variant(variant, smoke=(16,), cpu=(128, 128), paper=(128, 128)),
                        projector=common.by_variant(variant, smoke=(16, 8), cpu=(128, 32), paper=(128, 32)))
  c.loss = common.free(name="i_con", temperature=0.5, debias=0.2)
  c.optimizer = common.free(name="adam", learning_rate=1e-3)
  c.steps = common.by_variant(variant, smoke=3, cpu=800, paper=800)
  c.log_every = common.by_variant(variant, smoke=1, cpu=200, paper=200)
  c.eval_metrics = ["loss"]
  # smoke: no probe stage (CI time; configs/byol.py exercises it)
  c.post_training = [] if variant == "smoke" else [dict(name="ssl_probe", split="train[50%:]", clusters=True)]
  c.paper.update(
      title="I-Con: A Unifying Framework for Representation Learning", year=2025, arxiv="2504.16929",
      slug="i_con", provides="function", code="lbrl.losses.contrastive.i_con (+ i_con_kl)",
      claim="one KL between neighbourhood distributions unifies InfoNCE, SNE, CE and more; debiasing improves "
            "unsupervised clustering",
      expected="+8% ImageNet-1K unsupervised classification accuracy over the previous state of the art (table 2)",
      setting="ImageNet-1K, frozen DiNO ViT-S/B/L features with a trained head; debias alpha 0.2-0.6",
      hardware="GPUs (paper)")
  # 5 seeds left the rule inconclusive (minimum detectable effect 0.013 > margin 0.01; 7 seeds would
  # detect the margin): seeds 5 and 6 added before any change of the rule.
  c.sweep.seeds = [0, 1, 2, 3, 4, 5, 6]
  c.sweep.metric = "post/ssl_probe/cluster_accuracy"
  c.sweep.arms = {"i_con_debiased": {}, "infonce": {"loss": {"debias": 0.0}}}
  c.sweep.rules = [{"arm": "i_con_debiased", "op": ">", "than": "infonce", "margin": 0.01}]
  c.sweep.partly_testable = ("the ImageNet-1K result uses DiNO features and ImageNet; the special cases are "
                             "tested numerically and the debiasing gain on MNIST-1D clustering.")
  if variant == "paper":
    common.imagenet_resnet50(c, optimizer=dict(name="adamw", learning_rate=1e-3, weight_decay=1e-4),
                             batch=4096, epochs=100, devices=8)
    c.model = common.free(name="ssl_net", encoder="resnet50", example_rank=3, hidden=(2048,), projector=(2048, 128))
    c.loss = common.free(name="i_con", temperature=0.5, debias=0.2)
    c.eval_metrics = ["loss"]
    c.data.transforms = []
    c.paper.update(setting="ImageNet-1K with a ResNet-50 trunk trained by I-Con (lbrl's SSL encoder; the paper "
                           "trains a head on frozen DiNO ViT features)")
  return common.finalize(c)
