"""Normalized losses and Active Passive Loss (Ma et al., "Normalized Loss Functions for Deep Learning with
Noisy Labels", ICML 2020, arXiv:2006.13554): APL (NCE + RCE, NFL + RCE) vs CE under symmetric label noise.

Claim: APL is robust to symmetric label noise, where CE memorises the wrong labels: APL beats CE by a
large margin at high noise rates.
cpu:   MNIST-1D 1-D CNN, Adam lr 1e-2 constant, batch 100, 1500 steps (37.5 epochs of the 4,000 training
       series), with 40% of the training labels flipped uniformly to another class
       (lbrl.data.transforms.label_noise, as the authors' dataset.py does; the test set stays clean).
       Arms: CE on clean labels (the ceiling), CE, NCE+RCE and NFL+RCE (gamma 0.5) at 40% noise, with
       the paper's CIFAR-10 weights alpha = beta = 1 and RCE's log 0 clamp A = -4. 5 seeds (each seed
       draws its own noisy labels, shared by the arms of that seed). About 8 minutes on 2 cores.
protocol (changed for issue 14, rules fixed before the rerun): the first run transplanted the authors'
       MNIST recipe (SGD lr 0.01, coupled weight decay 1e-2, 3000 steps), which underfits MNIST-1D:
       clean CE reached 75.2%, so CE never got to memorise the noisy labels that a robust loss is meant
       to resist, and the test had nothing to show (not reproduced at 80%, inconclusive at 60%). The
       audit's finding holds: with Adam lr 1e-2 (the MNIST-1D recipe) clean CE reaches 93.9% and CE at
       40% noise visibly overfits (a check on seed 0 before the rerun: 64.8% test accuracy at step
       500, 53% at 1500, 47% at 3000), which is the regime the paper's claim is about. The noise rate
       is 40%, the paper's and the guidance's middle setting (60/80% left CE and APL both near chance
       in the first run). NFL+RCE, the paper's other APL, is added. The authors clamp one-hot labels at
       1e-4 in RCE (A = log 1e-4 = -9.2) where the paper says A = -4; lbrl keeps the paper's -4 (the
       audit checked the clamp is not the cause). Rules: each APL above CE at 40% noise by more than 2
       points (margin 0.02: the paper claims a large margin), paired over 5 shared seeds.
observed (this run, 5 seeds): the preconditions hold: clean CE 93.1 ± 0.9%; CE at 40% noise peaks at
       56-70% around step 500 and falls to 54.6 ± 2.3% by step 1500 (it memorises the flipped labels).
       In 4 of 5 seeds both APLs beat CE by 15-20 points and end above CE's own peak (NCE+RCE 69.9-76.5%,
       NFL+RCE 67.3-74.1%, still rising at the end). In seed 2 both APLs never leave chance (10.5-11.0%,
       every evaluation below 20%): the same failure to start that the first run saw with Adam at
       lr 1e-2 (bounded losses give small gradients at initialisation). That one seed makes both paired
       intervals span about -28 to +39 points, so both rules are inconclusive (MDE about 45 points at 5
       seeds). We did not change the recipe or drop the seed after seeing this (that would tune the
       verdict). A confirmatory rerun would fix, before running, a recipe in which the bounded losses
       start reliably (e.g. Adam lr 1e-3, or the authors' SGD with their full 50-epoch budget) and 8+
       seeds; it is left to a later session. The first run's verdict (not reproduced, with an
       underfitting recipe) is replaced by this run's.
paper: CIFAR-10 (8-layer CNN, 120 epochs) and CIFAR-100 (ResNet-34, 200 epochs) with 20-80% symmetric
       noise; the per-setting accuracies are in the paper's Table 2 (not copied here: we only quote
       numbers we can check).
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="mnist1d", batch_size=100, eval_batch_size=1000)
  c.data.transforms = [dict(name="label_noise", rate=0.4)]
  c.model = common.free(name="cnn1d")
  c.loss = common.free(name="active_passive", active="nce", passive="rce", alpha=1.0, beta=1.0)
  c.optimizer = common.free(name="adam", learning_rate=1e-2)
  c.steps = common.by_variant(variant, smoke=2, cpu=1500, paper=120 * 391)
  c.eval_every = common.by_variant(variant, smoke=0, cpu=250, paper=391)
  c.log_every = common.by_variant(variant, smoke=1, cpu=250, paper=250)
  c.paper.update(
      title="Normalized Loss Functions for Deep Learning with Noisy Labels", year=2020, arxiv="2006.13554",
      slug="normalized_losses", provides="function",
      code="lbrl.losses.robust.active_passive (normalized_cross_entropy, reverse_cross_entropy, ...)",
      claim="Active Passive Loss (NCE+RCE, NFL+RCE) beats CE by a large margin under symmetric label noise",
      expected="NCE+RCE and NFL+RCE above CE at 40% symmetric noise by more than 2 points",
      setting="CIFAR-10 8-layer CNN 120 epochs / CIFAR-100 ResNet-34 200 epochs, SGD, symmetric noise "
              "up to 80% (paper Table 2)",
      hardware="GPU (paper)")
  apl = lambda active, **kw: {"loss": {"name": "active_passive", "active": active, "passive": "rce",
                                        "alpha": 1.0, "beta": 1.0, **kw}}
  c.sweep.arms = {
      "ce_clean": {"loss": {"name": "cross_entropy"}, "data": {"transforms": []}},
      "ce_noise40": {"loss": {"name": "cross_entropy"}},
      "nce_rce_noise40": apl("nce"),
      "nfl_rce_noise40": apl("nfl", gamma=0.5),
  }
  c.sweep.seeds = [0, 1, 2, 3, 4]
  m = {"margin": 0.02}   # two points of test accuracy: the paper claims a large margin
  c.sweep.rules = [{"arm": "nce_rce_noise40", "op": ">", "than": "ce_noise40", **m},
                   {"arm": "nfl_rce_noise40", "op": ">", "than": "ce_noise40", **m}]
  if variant == "paper":
    # Ma et al., Sec. 5: CIFAR-100, ResNet-34, 200 epochs, SGD momentum 0.9, lr 0.1 cosine, weight decay
    # 1e-5, batch 128, NCE+RCE with alpha 10, beta 0.1, 40% symmetric noise. lbrl's ResNet-34 is the
    # CIFAR-stem basic-block net with stages (3, 4, 6, 3).
    common.cifar(c, dataset="cifar100", model=dict(name="resnet", stage_sizes=(3, 4, 6, 3), width=64),
                 batch=128, epochs=200, devices=1, transforms=[{"name": "label_noise", "rate": 0.4}],
                 loss=dict(name="active_passive", active="nce", passive="rce", alpha=10.0, beta=0.1),
                 optimizer=dict(name="sgd", learning_rate=0.1, momentum=0.9, weight_decay=1e-5))
    c.paper.update(hardware="one GPU",
                   expected="NCE+RCE test accuracy above CE's at 40% symmetric noise on CIFAR-100 (Table 2)")
  return common.finalize(c)
