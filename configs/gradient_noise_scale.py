"""An empirical model of large-batch training (McCandlish, Kaplan, Amodei & OpenAI Dota Team, 2018,
arXiv:1812.06162).

Claim: the gradient noise scale B_simple = tr(Sigma) / |G|^2, measured during training, predicts the critical
batch size: below it, doubling the batch about halves the steps to a target loss (perfect scaling); above it
the steps stop falling (S = S_min (1 + B_crit / B)).
cpu: MNIST-1D 1-D CNN (4,000 training examples), Adam 3e-3 at every batch (the paper's model assumes the
best step per batch: a fixed Adam rate is lbrl's simplification), batches 16, 64, 256, 1024 for 20 epochs
each (sized for a 3-minute sweep); steps to 85% test accuracy (sweep.reach, evaluated every ~1/40 of the
run) and, at the end of each
run, B_simple from the exact per-example gradients of 512 training examples (analysis tool
gradient_noise_scale). 3 seeds. Rules fixed before the run: (1) steps_to_target at batch 64 < at batch 16
(margin 10% of the batch-16 steps, i.e. scaling is close to perfect below B_simple); (2) the measured
B_simple at batch 64 lies in [16, 4096] (the swept range, widened by 4x: the noise scale predicts a
critical batch of the order of the batches where the steps stop falling). The fit S(B) = S_min(1 + B_crit/B)
(lbrl.optim.batch_rules.fit_critical_batch) against B_simple is reported from the records, not ruled on.
paper variant: CIFAR-10 (the paper's SVHN/CIFAR-10 image classifiers; PreActResNet-18 here), SGD momentum,
batch 512 as 4 micro-batches of 128, with the gradient_noise_scale diagnostic (the two-batch estimator
from micro-batch and batch gradients, once the trainer passes micro-batch norms: see the family report).
"""
from lbrl import config as common

BATCHES = (16, 64, 256, 1024)
EPOCHS = 20


def get_config(arg=None):
  c, variant = common.base(arg)
  smoke = variant == "smoke"
  c.data.update(name="mnist1d", batch_size=64, eval_batch_size=1000)
  c.model = common.free(name="cnn1d")
  c.loss = common.free(name="cross_entropy")
  c.optimizer = common.free(name="adam", learning_rate=3e-3)
  steps = lambda b: 2 if smoke else EPOCHS * 4000 // b
  c.steps = steps(64)
  c.eval_every = 0 if smoke else max(1, steps(64) // 40)
  c.log_every = 1 if smoke else max(1, steps(64) // 40)
  c.sweep.kind = "analysis"
  c.analysis = dict(tool="gradient_noise_scale", kwargs=common.free(examples=16 if smoke else 512),
                    split="train", batch_size=16 if smoke else 512, at="final")
  c.sweep.reach = {"steps_to_target": {"metric": "eval/accuracy", "threshold": 0.85, "op": ">="}}
  c.paper.update(
      title="An Empirical Model of Large-Batch Training", year=2018, arxiv="1812.06162",
      slug="gradient_noise_scale", provides="analysis tool",
      code="lbrl.optim.batch_rules (noise_scale_from_norms, noise_scale_exact, noise_scale_full, "
           "fit_critical_batch); lbrl.analysis.noise_scale.gradient_noise_scale",
      claim="the gradient noise scale predicts the largest useful batch size (MNIST, SVHN, CIFAR-10, ImageNet, "
            "Billion Word, Atari, Dota)",
      expected="B_crit close to B_noise across tasks (Figure 4/7 of the paper: e.g. MNIST ~ 10^2-10^3 examples)",
      setting="steps and examples to a target loss over batch sizes, with tuned step sizes, per task",
      hardware="GPUs (paper)")
  c.sweep.seeds = [0, 1, 2]
  c.sweep.metric = "steps_to_target"
  c.sweep.arms = {f"b{b}": {"data": {"batch_size": b}, "steps": steps(b),
                            "eval_every": 0 if smoke else max(1, steps(b) // 40),
                            "log_every": 1 if smoke else max(1, steps(b) // 40)} for b in BATCHES}
  c.sweep.rules = [
      {"arm": "b64", "op": "<", "than": "b16", "margin": 0.1 * EPOCHS * 4000 // 16, "better": "lower"},
      {"arm": "b64", "op": "between", "value": (16, 4096), "metric": "analysis/b_simple"},
  ]
  c.sweep.partly_testable = ("one fixed Adam rate instead of the per-batch optimal SGD step the paper's model "
                             "assumes; the B_crit fit against B_simple is reported, not ruled on")
  if variant == "paper":
    common.cifar(c, model=dict(name="preact_resnet18"), batch=512, epochs=100, devices=1,
                 optimizer=dict(name="sgd", learning_rate=0.1, momentum=0.9, weight_decay=5e-4))
    c.grad_accum_steps = 4
    c.diagnostics = ["gradient_noise_scale"]
  return common.finalize(c)
