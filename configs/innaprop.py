"""INNAprop (Bolte, Boustany, Pauwels & Purica, "A second-order-like optimizer with adaptive gradient
scaling for deep learning", 2024, arXiv:2410.10929).

Claim tested: INNA's inertial second-order-like dynamics with RMSprop gradient scaling matches or beats
AdamW in accuracy at AdamW's memory cost: non-inferiority, INNAprop's test accuracy at its best learning
rate is not worse than AdamW's at its best by 1 point or more.
cpu:   the issue-14 optimizer protocol: MNIST-1D 1-D CNN, batch 128, 1500 steps, cosine decay to 0;
       INNAprop (alpha 0.1, beta 0.9, weight decay 0.01: the paper's defaults) and AdamW (weight decay
       0.01). Each arm's learning rate is chosen on a validation split (trained on train[:90%], scored
       on train[90%:], selection seed 1000) from {3e-4 ... 1e-1}; then 5 seeds (0-4) at each arm's
       choice on the full training set, scored on the test split, paired over the shared seeds.
       Rule (fixed before the run): INNAprop not_worse AdamW, margin 1 point.
protocol (changed for issue 14): the first run used `tie` rules rate by rate at {3e-3, 1e-2, 3e-2} (3
       seeds, 3000 steps); a tie at one nominal rate says little when the two optimizers' best rates
       differ, and the first report's "partly reproduced" rested on such per-rate ties (a re-run at
       each arm's best put INNAprop 3.1 points below AdamW). "Matches or beats" is one-sided, so the
       rule is now non-inferiority at the arms' validation-chosen rates, 5 seeds, on the shared
       1500-step protocol.
observed (this run, 5 seeds): INNAprop chose lr 1e-2 on validation (0.900; 3e-2 gave 0.885, 0.1
       diverged to 0.095), AdamW chose 3e-2 (0.920). Test accuracy INNAprop 90.3 ± 1.0%, AdamW 94.0 ±
       0.7%: paired difference -3.7 points, 95% CI [-4.2, -3.1], lower in every seed; INNAprop is worse
       by more than the 1-point margin beyond noise, so "not reproduced" on this small CNN (its test
       loss is also far higher, 1.35 vs 0.25). The first report's "partly reproduced" came from
       same-rate ties and overstated it.
paper: VGG/ResNet/DenseNet on CIFAR-10, ResNet-18/50 ImageNet, GPT-2 pre-training and LoRA fine-tuning.
"""
from lbrl import config as common

LRS = [3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]


def get_config(arg=None):
  c, variant = common.mnist1d_cnn(arg, "innaprop", 1e-2)
  c.steps = common.by_variant(variant, smoke=2, cpu=1500, paper=1500)
  c.paper.update(
      title="A second-order-like optimizer with adaptive gradient scaling for deep learning", year=2024,
      arxiv="2410.10929", slug="innaprop", provides="transform", code="lbrl.optim.adaptive.innaprop",
      claim="INNAprop matches or beats AdamW in accuracy with minimal tuning",
      expected="INNAprop test accuracy not worse than AdamW's by 1 point or more, each at its best rate",
      setting="CIFAR-10, ImageNet, GPT-2 (124M-770M)", hardware="GPU (paper)")
  c.sweep.arms = {"innaprop": {"optimizer": {"name": "innaprop", "alpha": 0.1, "beta": 0.9,
                                             "weight_decay": 0.01}},
                  "adamw": {"optimizer": {"name": "adamw", "weight_decay": 0.01}}}
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.tune = dict(grids={"innaprop": [("optimizer.learning_rate", LRS)],
                             "adamw": [("optimizer.learning_rate", LRS)]},
                      split="train[90%:]", train_split="train[:90%]", metric="eval/accuracy", seeds=[1000])
  c.sweep.rules = [{"arm": "innaprop", "op": "not_worse", "than": "adamw", "margin": 0.01}]
  if variant == "paper":
    # Bolte et al., Sec. 5: ResNet-50 on ImageNet, 90 epochs, batch 256, INNAprop (alpha 0.1, beta 0.9)
    # against AdamW at lr 1e-3, weight decay 0.01 (the paper's defaults), cosine schedule, 8 GPUs.
    common.imagenet_resnet50(c, batch=256, epochs=90, devices=8,
                             optimizer=dict(name="innaprop", learning_rate=1e-3, alpha=0.1, beta=0.9,
                                            weight_decay=0.01))
    c.paper.update(hardware="8 GPUs",
                   expected="INNAprop top-1 at least AdamW's on ResNet-50 ImageNet (the paper's ImageNet figure)")
  return common.finalize(c)
