"""SAM on class-imbalanced data (Rangwani, Aithal, Mishra & Babu, "Escaping Saddle Points for Effective
Generalization on Class-Imbalanced Data", NeurIPS 2022, arXiv:2212.13827).

Claim: with re-weighting (deferred re-weighting, DRW), the minority-class weights converge to saddle
points; SAM with a large radius escapes them and raises minority-class (and average) accuracy over the
re-weighted loss trained with SGD.
cpu:   MNIST-1D 1-D CNN on a long-tailed training set (exponential subsample, head/tail ratio 100),
       cross-entropy with deferred re-weighting (class-balanced weights, beta 0.9999, switched on at
       step 2400 of 3000 = the paper's epoch 160 of 200), SGD-momentum 0.9, lr 0.02, cosine, batch 128.
       Arms: SGD (CE-DRW), SAM rho 0.05 (CE-DRW) and SAM rho 0.5 (the large radius the paper
       recommends). The metric is the balanced (per-class mean) test accuracy. 3 seeds, about 4 minutes.
paper: CIFAR-10/100-LT, ImageNet-LT, iNaturalist with LDAM-DRW / VS losses (the paper's tables; the
       abstract reports +6.2% minority-class accuracy over VS loss and +4% on average).
rules (revised for issue 14, re-evaluated from the committed runs, no rerun): the first evaluation
       used Welch intervals and called the claim not reproduced although SAM rho 0.5 beat SGD in every
       seed (+7.2, +7.7, +5.3 balanced-accuracy points): arms sharing a seed share the long-tailed
       subsample and the initialisation, so the comparison is paired. The rule now states its margin (1
       point of balanced accuracy, the default for accuracies). A second rule, added with this revision
       and therefore after the runs were seen, tests the part of the claim that is about the radius
       (the paper's point is that the *large* radius escapes the saddles, the usual 0.05 does not): SAM
       rho 0.5 > SAM rho 0.05, same margin. CE-DRW with rho 0.5 is the authors' CIFAR-10 setting. The
       "especially on minority classes" part is not tested separately (balanced accuracy averages all
       classes; no per-group accuracy is recorded).
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  steps = common.by_variant(variant, smoke=2, cpu=3000, paper=3000)
  c.data.update(name="mnist1d", batch_size=128, eval_batch_size=1000,
                transforms=[{"name": "long_tail", "imbalance_ratio": 100}])
  c.model = common.free(name="cnn1d")
  c.loss = common.free(name="cross_entropy_drw", drw_start_step=int(0.8 * steps), beta=0.9999)
  # the base setting is the paper's method (SAM rho 0.5 with DRW); SGD + DRW is the baseline arm
  c.optimizer = common.free(name="sam_imbalance", learning_rate=0.02, rho=0.5, base_kwargs={"momentum": 0.9})
  c.schedule.name = "cosine"
  c.eval_metrics = ["loss", "accuracy", "balanced_accuracy"]
  c.steps = steps
  c.eval_every = common.by_variant(variant, smoke=0, cpu=500, paper=500)
  c.log_every = common.by_variant(variant, smoke=1, cpu=250, paper=250)
  c.paper.update(
      title="Escaping Saddle Points for Effective Generalization on Class-Imbalanced Data", year=2022,
      arxiv="2212.13827", slug="sam_imbalance", provides="transform",
      code="lbrl.optim.sharpness.sam_imbalance + lbrl.losses cross_entropy_drw",
      claim="SAM with a large radius plus re-weighting beats the re-weighted loss with SGD on "
            "long-tailed data, especially on minority classes",
      expected="balanced test accuracy: SAM rho 0.5 + DRW > SGD + DRW",
      setting="CIFAR-10/100-LT (ratio 100), ImageNet-LT, iNaturalist; LDAM-DRW / VS + SAM",
      hardware="GPU (paper)")
  c.sweep.metric = "eval/balanced_accuracy"
  sam = lambda rho: {"optimizer": {"name": "sam_imbalance", "learning_rate": 0.02, "rho": rho,
                                   "base_kwargs": {"momentum": 0.9}}}
  c.sweep.arms = {"sgd_drw": {"optimizer": {"name": "sgd", "learning_rate": 0.02, "momentum": 0.9}},
                  "sam_rho0p05_drw": sam(0.05), "sam_rho0p5_drw": sam(0.5)}
  c.sweep.rules = [{"arm": "sam_rho0p5_drw", "op": ">", "than": "sgd_drw", "margin": 0.01},
                   {"arm": "sam_rho0p5_drw", "op": ">", "than": "sam_rho0p05_drw", "margin": 0.01}]
  if variant == "paper":
    # Rangwani et al.: CIFAR-10-LT (imbalance 100: 12,406 images), ResNet-32, 200 epochs, batch 128,
    # SGD momentum 0.9, lr 0.1, weight decay 2e-4, DRW from epoch 160, SAM with rho 0.5 (the DRW
    # recipe of Cao et al. that the paper builds on).
    n_lt = 12_406
    common.cifar(c, model=dict(name="resnet", depth=32), batch=128, epochs=200, warmup_epochs=5,
                 train_size=n_lt, devices=1,
                 transforms=[{"name": "long_tail", "imbalance_ratio": 100}],
                 loss=dict(name="cross_entropy_drw", drw_start_step=common.steps_from_epochs(160, n_lt, 128),
                           beta=0.9999),
                 optimizer=dict(name="sam_imbalance", learning_rate=0.1, rho=0.5,
                                base_kwargs={"momentum": 0.9, "weight_decay": 2e-4}))
    c.paper.update(hardware="one GPU",
                   expected="balanced accuracy of DRW + SAM above DRW + SGD on CIFAR-10-LT (the paper's table; "
                            "abstract: +6.2% minority-class accuracy over the VS loss, +4% on average)")
  return common.finalize(c)
