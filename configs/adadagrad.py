"""AdAdaGrad (Lau, Liu & Kolar, "AdAdaGrad: Adaptive Batch Size Schemes for Adaptive Gradient Methods",
2024, arXiv:2402.11215).

Claim: growing the batch by adaptive-sampling tests (the norm test; the augmented inner-product test) with
AdaGrad / AdaGrad-Norm converges (AdaGrad-Norm at O(1/K) to a first-order stationary point with high
probability for smooth nonconvex objectives) and trains image classifiers in fewer steps than a fixed small
batch at similar accuracy.
lbrl: the tests (lbrl.optim.batch_rules.norm_test, inner_product_test: float64 transcriptions in the unit
tests) and a resumable batch-size schedule (BatchSchedule: a growing batch drawn from one seeded stream;
resuming from its saved state draws the same batches). The trainer cannot yet change the batch size during
a run (the family report gives the data-pipeline change), so the adaptive arm is not testable here; the cpu
sweep runs the fixed-batch AdaGrad references the adaptive arm will be compared with (MNIST-1D MLP, AdaGrad
0.05, 20 epochs at batch 16 and at batch 512).
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
  c.sweep.arms = {"adagrad_b16": {},
                  "adagrad_b512": {"data": {"batch_size": 512}, "steps": steps(512), "log_every": 1 if smoke else 10}}
  c.sweep.not_testable = ("the adaptive arm needs a batch size that changes during a run: the data pipeline and "
                          "trainer do not support it yet (the schedule and tests are built and unit-tested)")
  if variant == "paper":
    common.cifar(c, model=dict(name="preact_resnet18"), batch=128, epochs=200,
                 optimizer=dict(name="adagrad", learning_rate=0.1), schedule=dict(name="constant"))
  return common.finalize(c)
