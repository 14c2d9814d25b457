"""Weight Normalization (Salimans & Kingma, "Weight Normalization: A Simple Reparameterization to Accelerate
Training of Deep Neural Networks", NeurIPS 2016, arXiv:1602.07868).

Claim: writing each weight vector as ``w = g v / ||v||`` decouples its length from its direction, improves
the conditioning of the optimisation and speeds up SGD's convergence, giving much of BatchNorm's speed-up
without its minibatch dependence (no headline number; CIFAR-10 test error 7.31% with mean-only BN + WN).
cpu:   the early phase where the speed-up shows: MNIST-1D, lbrl ``res_mlp`` (8 pre-activation branches of
       width 64, no normalization, branch scale 1/sqrt(L)), SGD momentum 0.9, batch 128, 400 steps
       (constant lr); plain He init vs WeightNorm on every branch layer (``model.weight_norm=True``:
       ``flax.linen.WeightNorm``, g initialised at 1 rather than the paper's data-dependent init) vs
       BatchNorm (``norm="batch"``). The reparameterisation changes the effective step size, so each arm
       runs at its own SGD learning rate, chosen on a validation split (the last 10% of the training set;
       grid 0.01 .. 1.0, one selection seed; 1.0 was added after a first run chose 0.3, the end of the first
       grid, for two arms) before the test runs (the paper uses one Adam rate for all its CIFAR models).
       5 seeds; rules fixed before running: WeightNorm's test accuracy at 400 steps above plain's by more
       than 1 point, and not worse than BatchNorm's by more than 3 points.
observed (cpu run, 5 seeds; selected rates 0.3 plain, 0.3 WeightNorm, 0.1 BatchNorm, each inside the grid):
       test accuracy 0.661 WeightNorm, 0.614 plain, 0.643 BatchNorm; WeightNorm - plain +0.047, 95% interval
       [+0.020, +0.074]; WeightNorm - BatchNorm +0.018 [-0.008, +0.044]: both rules hold (partly reproduced:
       the paper's data-dependent init and its VAE/DQN experiments are not run). Test loss is lower with
       BatchNorm (1.005) than with WeightNorm (1.127) or plain (1.123), not a rule.
paper: CIFAR-10 ConvPool-CNN-C (test error 8.46% WN vs 8.05% BN; 7.31% mean-only BN + WN), plus VAEs, DQN;
       the paper variant trains lbrl's ResNet-20 on CIFAR-10 (its WeightNorm option lives in res_mlp only, so
       the paper variant is the BatchNorm ResNet baseline).
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="mnist1d", batch_size=128, eval_batch_size=1000)
  c.model = common.free(name="res_mlp", width=common.by_variant(variant, smoke=8, cpu=64, paper=64),
                        depth=common.by_variant(variant, smoke=2, cpu=8, paper=8), norm="none",
                        residual_scale="1/sqrt(L)", weight_norm=True)
  c.loss = common.free(name="cross_entropy")
  c.optimizer = common.free(name="sgd", learning_rate=0.05, momentum=0.9)
  c.steps = common.by_variant(variant, smoke=2, cpu=400, paper=400)
  c.log_every = common.by_variant(variant, smoke=1, cpu=50, paper=50)
  c.paper.update(
      title="Weight Normalization: A Simple Reparameterization to Accelerate Training of Deep Neural Networks",
      year=2016, arxiv="1602.07868", slug="weight_norm", provides="module",
      code="flax.linen.WeightNorm via ResMLP(weight_norm=True)",
      claim="reparameterising w = g v / ||v|| speeds up SGD convergence, giving much of BatchNorm's speed-up "
            "without minibatch dependence",
      expected="test accuracy after 400 SGD steps: WeightNorm above plain by more than 1 point, within 3 points of "
               "BatchNorm",
      setting="CIFAR-10 ConvPool-CNN-C; VAE; DQN", hardware="GPU (paper)")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.arms = {"plain": {"model": {"weight_norm": False}}, "weight_norm": {"model": {"weight_norm": True}},
                  "batch_norm": {"model": {"weight_norm": False, "norm": "batch"}}}
  c.sweep.tune = dict(grids={arm: [("optimizer.learning_rate", [0.01, 0.03, 0.1, 0.3, 1.0])] for arm in c.sweep.arms},
                      split="train[90%:]", train_split="train[:90%]", seeds=[1000])
  c.sweep.rules = [{"arm": "weight_norm", "op": ">", "than": "plain", "margin": 0.01},
                   {"arm": "weight_norm", "op": "not_worse", "than": "batch_norm", "margin": 0.03}]
  c.sweep.partly_testable = "the paper's data-dependent initialisation and its RL/VAE experiments are not run"
  if variant == "paper":
    common.cifar(c, model=dict(name="resnet", depth=20),
                 optimizer=dict(name="adam", learning_rate=3e-3), epochs=200)
  return common.finalize(c)
