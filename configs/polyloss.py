"""PolyLoss (Leng et al., "PolyLoss: A Polynomial Expansion Perspective of Classification Loss Functions",
ICLR 2022, arXiv:2204.12511): Poly-1 = CE + eps (1 - p_t) vs cross-entropy and focal loss.

Claim: adding eps * (1 - p_t) to cross-entropy, with eps tuned per task, beats CE and focal loss.
cpu:   MNIST-1D MLP (40-100-100-10; the MNIST-1D setting: Adam lr 1e-2, batch 128), 3000 steps. Arms: CE,
       focal loss and Poly-1; Poly-1's eps (grid -1, 0, 1, 2, 4, 8) and focal's gamma (0.5, 1, 2, 3) are
       each chosen on a validation split (the last 10% of the training set, a model trained on the
       first 90%, seed 1000), then every arm runs 5 seeds on the full training set and is scored on the
       test set. About 4 minutes on 2 cores.
protocol (changed for issue 14, rules fixed before the rerun): the first run (MNIST-1D CNN, 3 seeds)
       sat at 93-94% where every arm ties within seed noise (std 0.4-0.9 points), so the paper's +0.3
       point effect had no room to show. The rerun uses the MLP, which reaches about 66% on MNIST-1D
       (30 points of headroom, and a model that overfits its training set, where the loss's shape
       matters). The first run compared the paper's ImageNet eps = 2; the claim is about a *tuned* eps,
       so eps (including eps = 0, which is CE itself) and the focal baseline's gamma are now tuned on
       validation, never on the test split. Rules: Poly-1 above CE and above focal by more than 1
       point (margin 0.01), paired over 5 shared seeds; if the intervals stay wide the verdict is
       "inconclusive" with the minimum detectable effect.
observed (this run, 5 seeds): the MLP gives the headroom (CE 66.5 ± 2.3%), but the validation
       selection chose eps = 0: eps = 0 and eps = 4 tied at 65.0% on the 400 selection examples and the
       grid order breaks ties, so the tuned Poly-1 *is* CE and "Poly-1 > CE" is contradicted with a
       difference of exactly 0 (the rule as fixed before the run; we did not change the selection after
       seeing it). Focal's gamma was chosen at its grid's end (3.0): its grid may not reach past its
       optimum, which can only understate focal; Poly-1 vs focal is inconclusive (MDE 5 points at 5
       seeds). What this says: on this task no eps in -1..8 beats CE on validation by more than the
       selection can resolve (one seed on 400 examples, a standard error of about 2.4 points), which is
       consistent with the paper's own effect size (+0.3 points on ImageNet) being far below what a
       CPU-sized test detects. The first run's verdict (inconclusive, CNN near its ceiling, eps = 2
       fixed) is replaced by this run's.
paper: ResNet-50 on ImageNet-1k, 90 epochs (SGD, batch 1024): Poly-1 eps = 2 gives 76.6% top-1 vs
       76.3% for CE (paper Table 3; focal loss is below CE there).
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="mnist1d", batch_size=128, eval_batch_size=1000)
  c.model = common.free(name="mlp")
  c.loss = common.free(name="poly1_cross_entropy", epsilon=2.0)
  c.optimizer = common.free(name="adam", learning_rate=1e-2)
  c.steps = common.by_variant(variant, smoke=2, cpu=3000, paper=90 * 1251)
  c.eval_every = common.by_variant(variant, smoke=0, cpu=500, paper=1251)
  c.log_every = common.by_variant(variant, smoke=1, cpu=250, paper=250)
  c.eval_metrics = ["loss", "accuracy", "ece"]
  c.paper.update(
      title="PolyLoss: A Polynomial Expansion Perspective of Classification Loss Functions", year=2022,
      arxiv="2204.12511", slug="polyloss", provides="function",
      code="lbrl.losses.classification.poly1_cross_entropy (optax.losses.poly_loss_cross_entropy)",
      claim="Poly-1 (CE + eps (1 - p_t)) with a tuned eps beats cross-entropy and focal loss",
      expected="poly1 eps=2 above CE and above focal beyond seed noise",
      setting="ResNet-50, ImageNet-1k, 90 epochs: Poly-1 (eps=2) 76.6% vs CE 76.3% top-1",
      hardware="TPU (paper)")
  c.sweep.arms = {
      "ce": {"loss": {"name": "cross_entropy"}},
      "focal": {"loss": {"name": "softmax_focal", "gamma": 2.0}},
      "poly1": {"loss": {"name": "poly1_cross_entropy", "epsilon": 2.0}},
  }
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.tune = dict(grids={"poly1": [("loss.epsilon", [-1.0, 0.0, 1.0, 2.0, 4.0, 8.0])],
                             "focal": [("loss.gamma", [0.5, 1.0, 2.0, 3.0])]},
                      split="train[90%:]", train_split="train[:90%]", metric="eval/accuracy", seeds=[1000])
  m = {"margin": 0.01}   # one point of test accuracy
  c.sweep.rules = [{"arm": "poly1", "op": ">", "than": "ce", **m},
                   {"arm": "poly1", "op": ">", "than": "focal", **m}]
  if variant == "paper":
    # Leng et al., Table 3 (the TPU ResNet reference): ResNet-50, ImageNet-1k, 90 epochs, batch 1024,
    # SGD momentum 0.9, lr 0.1 x 1024/256 = 0.4 with a 5-epoch warm-up, weight decay 1e-4, bfloat16 on a
    # TPU v3-8 (8 cores); the reference's step decay: x0.1 at epochs 30, 60 and 80.
    common.imagenet_resnet50(c, batch=1024, epochs=90, warmup_epochs=5, devices=8, compute_dtype="bfloat16",
                             schedule=dict(name="step", boundaries=[30 / 90, 60 / 90, 80 / 90], factors=[0.1] * 3),
                             loss=dict(name="poly1_cross_entropy", epsilon=2.0),
                             optimizer=dict(name="sgd", learning_rate=0.4, momentum=0.9, weight_decay=1e-4))
    c.paper.update(hardware="TPU v3-8",
                   expected="top-1 76.6% (Poly-1, epsilon 2) vs 76.3% (cross-entropy) (the paper's Table 3)")
  return common.finalize(c)
