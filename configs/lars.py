"""LARS (You, Gitman & Ginsburg, "Large Batch Training of Convolutional Networks", 2017,
arXiv:1708.03888).

Claim: with layer-wise adaptive rate scaling (local lr = eta ||w|| / ||g + wd w|| per layer) large-batch
training keeps the small-batch accuracy, where SGD with a linearly scaled learning rate and warm-up
loses accuracy.
Claim tested: at a large batch that still takes hundreds of steps, (1) LARS beats SGD-momentum, and (2)
LARS is not worse than small-batch SGD-momentum by 1 point or more; every arm at its own best rate.
cpu:   MNIST-1D with 50,000 generated samples (40,000 train / 10,000 test) and its 1-D CNN, 5 epochs for
       every arm, cosine decay to 0 after a linear warm-up of half an epoch: batch 128 (1,563 steps,
       156 warm-up) and batch 1024 (195 steps, 19 warm-up; 2.6% of the training set per step, the ratio
       of the paper's ResNet-50 at 32K of 1.28M images). Arms: SGD with momentum 0.9 and optax.lars
       (trust coefficient 1e-3, momentum 0.9, no weight decay) at each batch. Each arm's rate is chosen
       on a validation split (trained on train[:90%], scored on train[90%:], selection seed 1000) from
       a grid reaching past its optimum: SGD b128 {3e-3 ... 0.3}, SGD b1024 {1e-2 ... 1}, LARS b128
       {0.3 ... 30}, LARS b1024 {1 ... 100}; then 3 seeds (0-2) at each arm's choice on the full
       training set, scored on the test split, paired over the shared seeds. Rules (fixed before the
       run): lars_b1024 > sgd_b1024 (1-point margin) and lars_b1024 not_worse sgd_b128 (margin 1
       point). LARS at batch 128 is context (no rule: the paper claims nothing there).
protocol (changed for issue 14): the first run's large batch was 4,000, the whole training set (96
       full-batch steps, far beyond the paper's 8K of 1.28M images), LARS's rate 30 sat at the end of
       its grid {3, 10, 30}, chosen by one run each on the test split, and the scaled SGD baseline was
       not tuned (first verdict: partly reproduced). Now 10x the generated data so that the large
       batch still means 195 steps, every arm tuned on validation over a grid that reaches past its
       optimum, and warm-up for every arm. 3 seeds to fit the run on this machine; the report gives
       the minimum detectable effect where that is too few.
observed (this run, 3 seeds): validation chose SGD b128 0.1, LARS b128 10, SGD b1024 0.3, LARS b1024
       30, every one inside its grid (the next point up scored lower in each). Test accuracy: SGD
       b128 97.7 ± 0.3%, LARS b128 98.1 ± 0.0%, SGD b1024 91.5 ± 1.3%, LARS b1024 95.8 ± 0.9%. (1) LARS
       beats SGD at batch 1024: +4.3 points, 95% CI [+2.2, +6.4], holds. (2) LARS at batch 1024 against
       small-batch SGD: -1.9 points, CI [-3.4, -0.4]; inconclusive against the 1-point margin (about 6
       seeds would resolve it), and below small-batch SGD beyond noise: LARS recovers most of the large
       batch's loss here, not all. Verdict: partly reproduced.
paper: AlexNet(-BN) to batch 8K and ResNet-50 to batch 32K on ImageNet without accuracy loss (tables).
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="mnist1d", batch_size=1024, eval_batch_size=1000)
  if variant != "smoke":   # smoke (CI) keeps the default 5,000 samples: generating 50,000 takes ~40 s of CPU
    c.data.options = common.free(num_samples=50_000)
  c.model = common.free(name="cnn1d")
  c.loss.name = "cross_entropy"
  c.optimizer = common.free(name="lars", learning_rate=10.0, trust_coefficient=1e-3, momentum=0.9)
  c.schedule.update(name="cosine", warmup_steps=common.by_variant(variant, smoke=0, cpu=19, paper=19))
  c.steps = common.by_variant(variant, smoke=2, cpu=195, paper=195)
  c.eval_every = common.by_variant(variant, smoke=0, cpu=0, paper=0)
  c.log_every = common.by_variant(variant, smoke=1, cpu=39, paper=39)
  small = {"data": {"batch_size": 128}, "steps": 1563, "schedule": {"warmup_steps": 156}, "log_every": 313}
  sgd = {"name": "sgd", "momentum": 0.9}
  lars = {"name": "lars", "trust_coefficient": 1e-3, "momentum": 0.9}
  arms = {"sgd_b128": {**small, "optimizer": sgd}, "lars_b128": {**small, "optimizer": lars},
          "sgd_b1024": {"optimizer": sgd}, "lars_b1024": {"optimizer": lars}}
  c.paper.update(
      title="Large Batch Training of Convolutional Networks", year=2017, arxiv="1708.03888", slug="lars",
      provides="transform", code="lbrl.optim.layerwise.lars (optax.lars)",
      claim="LARS keeps small-batch accuracy at large batch where linearly scaled SGD degrades",
      expected="batch 1024: LARS > SGD-momentum; LARS not worse than batch-128 SGD-momentum (each tuned)",
      setting="AlexNet-BN batch 8K, ResNet-50 batch 32K, ImageNet", hardware="GPU clusters (paper)")
  c.sweep.arms = arms
  c.sweep.seeds = [0, 1, 2]
  lr = "optimizer.learning_rate"
  c.sweep.tune = dict(grids={"sgd_b128": [(lr, [3e-3, 1e-2, 3e-2, 0.1, 0.3])],
                             "sgd_b1024": [(lr, [1e-2, 3e-2, 0.1, 0.3, 1.0])],
                             "lars_b128": [(lr, [0.3, 1.0, 3.0, 10.0, 30.0])],
                             "lars_b1024": [(lr, [1.0, 3.0, 10.0, 30.0, 100.0])]},
                      split="train[90%:]", train_split="train[:90%]", metric="eval/accuracy", seeds=[1000])
  c.sweep.rules = [{"arm": "lars_b1024", "op": ">", "than": "sgd_b1024"},
                   {"arm": "lars_b1024", "op": "not_worse", "than": "sgd_b128", "margin": 0.01}]
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
