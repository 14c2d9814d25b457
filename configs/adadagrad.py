"""AdAdaGrad (Lau, Liu & Kolar, "AdAdaGrad: Adaptive Batch Size Schemes for Adaptive Gradient Methods",
2024, arXiv:2402.11215).

Claim: growing the batch by adaptive-sampling tests (the norm test; the augmented inner-product test) with
AdaGrad / AdaGrad-Norm converges (AdaGrad-Norm at O(1/K) to a first-order stationary point with high
probability for smooth nonconvex objectives) and trains image classifiers in fewer steps than a fixed small
batch at similar accuracy.
lbrl: the tests (lbrl.optim.batch_rules.norm_test, inner_product_test: float64 transcriptions in the unit
tests), a resumable batch-size schedule (BatchSchedule), and the trainer's adaptive batch inside a
fixed-shape step (grad_estimator ``adaptive_batch``, lbrl.optim.adaptive_batch: per-example gradients of the
delivered batch, the first b rows used, b grown by the norm test and kept in the checkpoint).
cpu: MNIST-1D MLP 40-256-256-10, AdaGrad 0.05 (constant), 3 seeds: fixed batch 16 for 20 epochs (5,000
steps), fixed batch 512 for 20 epochs (156 steps), and AdAdaGrad (norm test, eta = 1, the lbrl default;
batch 16 growing up to 256) for a quarter of the batch-16 steps (1,250). Rules fixed before the run: (1)
AdAdaGrad in 4x fewer steps is not worse than fixed batch 16 (margin 2 points of test accuracy: "fewer
steps at similar accuracy"); (2) AdAdaGrad beats fixed batch 512 (margin 1 point: growing from a small
batch is better than starting large). The examples each arm used are reported (train/tokens).
paper variant: ResNet-18 (PreActResNet-18) on CIFAR-10 with AdaGrad (learning rate 0.1 here: lbrl's
choice), initial batch 128, 200 epochs, 1 GPU.
"""
from lbrl import config as common

EPOCHS, N = 20, 4000


def get_config(arg=None):
  c, variant = common.base(arg)
  smoke = variant == "smoke"
  steps = lambda b: 2 if smoke else EPOCHS * N // b
  c.data.update(name="mnist1d", batch_size=16, eval_batch_size=1000)
  c.model = common.free(name="mlp", hidden=(256, 256))
  c.loss = common.free(name="cross_entropy")
  c.optimizer = common.free(name="adagrad", learning_rate=0.05)
  c.steps = steps(16)
  c.log_every = 1 if smoke else 250
  c.paper.update(
      title="AdAdaGrad: Adaptive Batch Size Schemes for Adaptive Gradient Methods", year=2024, arxiv="2402.11215",
      slug="adadagrad", provides="transform",
      code="optax.adagrad (optimizer 'adagrad') with lbrl.optim.batch_rules.norm_test, inner_product_test, "
           "BatchSchedule",
      claim="adaptive batch growth by norm / inner-product tests with AdaGrad(-Norm) converges and trains in fewer "
            "steps at similar accuracy",
      expected="convergence at O(1/K) (theorem) and image-classification curves (figures; no numbers)",
      setting="CIFAR-10/100 and MNIST classifiers with AdaGrad and adaptive batch sizes",
      hardware="GPU (paper)")
  c.sweep.seeds = [0, 1, 2]
  c.sweep.metric = "eval/accuracy"
  c.sweep.arms = {
      "adagrad_b16": {},
      "adagrad_b512": {"data": {"batch_size": 512}, "steps": steps(512), "log_every": 1 if smoke else 10},
      "adadagrad_norm": {"data": {"batch_size": 32 if smoke else 256}, "steps": 2 if smoke else steps(16) // 4,
                         "grad_estimator": {"name": "adaptive_batch", "initial_batch": 16, "test": "norm",
                                            "eta": 1.0}}}
  c.sweep.rules = [
      {"arm": "adadagrad_norm", "op": "not_worse", "than": "adagrad_b16", "margin": 0.02},
      {"arm": "adadagrad_norm", "op": ">", "than": "adagrad_b512", "margin": 0.01}]
  c.sweep.partly_testable = ("an MLP on MNIST-1D with the norm test only (not the inner-product test, AdaGrad-Norm "
                             "or the CIFAR ResNets); the convergence theorem is not tested")
  if variant == "paper":
    common.cifar(c, model=dict(name="preact_resnet18"), batch=128, epochs=200,
                 optimizer=dict(name="adagrad", learning_rate=0.1), schedule=dict(name="constant"))
  return common.finalize(c)
