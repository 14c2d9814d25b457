"""TVLARS (Do, Nguyen, Nguyen, Tran-Thanh & Pham, "Revisiting LARS for Large Batch Training
Generalization of Neural Networks", 2023, arXiv:2309.14053).

Claim: replacing LARS's warm-up by a time-varying factor phi_t = 1 / (alpha + exp(lam (t - delay))) on
the trust ratio (large early, decaying towards LARS) explores more early on and beats LARS (and LAMB)
in large-batch training.
cpu:   the LARS reproduction's data and model (MNIST-1D 1-D CNN, batch 4000 = the whole training set,
       96 steps = 96 epochs). Arms: TVLARS as the authors run it (constant learning rate 15, no
       warm-up, weight decay 5e-4, but the weight-decay and adaptation filters off, see below; norms clamped
       at 10, plain LARS for the first 10 epochs and then phi_t = 1 / (0.1 + exp(lam t)) with lam 0.01:
       phi 0.82 at epoch 11, 0.37 at 96); LARS without warm-up as the authors run it (the same update
       with phi = 1 and no clamp, i.e. their Barlow-Twins LARS, filters off as well, constant rate 15,
       weight decay 5e-4); and the LARS reproduction's warmed-up LARS (optax.lars, lr 30, 10-step
       warm-up then cosine, no decay). lam was set so that phi decays within this short run (the
       authors' grid at batch 4096 runs lam 1e-6 to 0.05); the rate 15 is the middle of the authors'
       grid at batch 4096 (12-20, the same grid for TVLARS and non-warm LARS); neither was tuned on
       results. 5 seeds, about 4 minutes on 2 cores.
protocol (changed for issue 14, rules fixed before the rerun): the first run (i) put the inherited
       cosine decay on top of TVLARS's own decaying factor, while the authors' TVLARS script runs a
       constant rate (sd "None"); (ii) turned the authors' filters and norm clamp off (exclude_vectors /
       norm_clamp, kept off there so the committed report matched its config); (iii) compared only with
       warmed-up LARS, while the authors' scripts run LARS without warm-up at the same rates as TVLARS,
       which is the baseline TVLARS replaces. Now TVLARS runs as the authors' clf.py does (constant
       rate, clamp 10, the 10-epoch plain-LARS start: delay_mode "switch"; the filters: see below), a LARS-without-
       warm-up arm is added, and the first run's rate of 30 is replaced by 15 from the authors' grid
       (with the filters on, biases take the raw rate). Rules: TVLARS > LARS without warm-up (the
       authors' comparison) and TVLARS > warmed-up LARS (the report's earlier claim that TVLARS can
       replace warm-up), each with a 1-point margin. 3 -> 5 seeds.
       Attempt 1 of this protocol (filters on, as the authors) diverged in both constant-rate arms: with
       the filters on, biases skip the trust ratio and take the raw step 15 * g (150 * g with momentum
       0.9); this model has no batch norm to absorb that, and test accuracy ended near chance (TVLARS
       16.0 ± 10.6%, LARS without warm-up 13.6 ± 4.1%, 5 seeds; warmed-up LARS 82.0 ± 2.5%). A
       comparison of two diverged runs says nothing about the claim, so the run reported here turns
       the filters off in both constant-rate arms (every tensor gets the trust ratio, as optax.lars
       and the first run); everything else, and the rules, stay as fixed above. This departs from the
       authors' code on purpose and is the setting in which their rates train this model at all.
observed (this run, 5 seeds): TVLARS 69.0 ± 2.7%, LARS without warm-up 69.0 ± 5.1%, warmed-up LARS
       82.0 ± 2.5%. Against the baseline the authors claim to beat, TVLARS ties it on average (paired
       +0.08 points, 95% CI [-5.3, +5.4]; TVLARS' seed spread is half LARS's): inconclusive, the
       interval cannot resolve a 1-point margin (about 150 seeds would). Against warmed-up LARS it loses
       13 points (CI [-16.5, -9.4]): contradicted, so the time-varying factor does not replace warm-up
       here. Caveats: the rates were not tuned per arm (MNIST-1D has no validation split in lbrl's data
       layer, so the fair-tuning mechanism cannot select on it): TVLARS and non-warm LARS share the
       authors' rate 15, warmed-up LARS keeps the LARS reproduction's rate 30 with a cosine schedule;
       and 96 full-batch steps are far fewer than the paper's 100 epochs of a few to tens of steps.
paper: CIFAR-10/100 and Tiny-ImageNet classification and Barlow Twins / BYOL self-supervised learning
       at batch sizes up to 16K (tables: up to 2% and 10% gains over LARS/LAMB).
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant, arms = common.large_batch(arg, "tvlars", 30.0)
  c.paper.update(
      title="Revisiting LARS for Large Batch Training Generalization of Neural Networks", year=2023,
      arxiv="2309.14053", slug="tvlars", provides="transform", code="lbrl.optim.layerwise.tvlars",
      claim="TVLARS (time-varying trust-ratio factor, no warm-up) beats LARS without warm-up, and LARS with "
            "warm-up, at large batch",
      expected="batch 4000: TVLARS > LARS without warm-up and > warmed-up LARS in test accuracy",
      setting="CIFAR-10/100, Tiny-ImageNet, SSL (Barlow Twins, BYOL), batch up to 16K",
      hardware="GPU (paper)")
  # the authors' clf.py: clamp 10, constant rate, plain LARS for the first 10 epochs (1 step = 1 epoch
  # here); LARS without warm-up: the same update with phi = 1 throughout and no clamp (their Barlow-Twins
  # LARS), at the same rate. Filters off in both (exclude_vectors=False): with them on (the authors'
  # setting) both arms diverged here (see the docstring)
  const = {"name": "constant", "warmup_steps": 0}
  arms["tvlars_b4000"] = {"optimizer": {"name": "tvlars", "learning_rate": 15.0, "lam": 0.01,
                                        "alpha": 0.1, "delay": 10.0, "delay_mode": "switch",
                                        "weight_decay": 5e-4, "exclude_vectors": False, "norm_clamp": 10.0},
                          "schedule": const}
  arms["lars_nowarmup_b4000"] = {"optimizer": {"name": "tvlars", "learning_rate": 15.0, "lam": 0.01,
                                               "alpha": 0.1, "delay": 1e9, "delay_mode": "switch",
                                               "weight_decay": 5e-4, "exclude_vectors": False,
                                               "norm_clamp": None},
                                 "schedule": const}
  arms["lars_b4000"]["optimizer"]["weight_decay"] = 0.0
  c.sweep.arms = {k: arms[k] for k in ("lars_b4000", "lars_nowarmup_b4000", "tvlars_b4000")}   # SGD arms: see lars
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.rules = [{"arm": "tvlars_b4000", "op": ">", "than": "lars_nowarmup_b4000", "margin": 0.01},
                   {"arm": "tvlars_b4000", "op": ">", "than": "lars_b4000", "margin": 0.01}]
  if variant == "paper":
    # Do et al., Sec. 5: CIFAR-10 with ResNet-18 at batch 16,384, TVLARS (alpha 0.1, lambda 1e-3, no
    # warm-up) vs LARS with warm-up, weight decay 5e-4, 200 epochs (assumed length), 8 GPUs.
    common.cifar(c, model=dict(name="resnet18"), batch=16_384, epochs=200, devices=8,
                 optimizer=dict(name="tvlars", learning_rate=1.0, alpha=0.1, lam=1e-3, weight_decay=5e-4))
    c.paper.update(hardware="8 GPUs",
                   expected="TVLARS test accuracy above LARS's at batch 16K on CIFAR-10 (the paper's table, up "
                            "to about 2 points)")
  return common.finalize(c)
