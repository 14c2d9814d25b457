"""PolyLoss (Leng et al., "PolyLoss: A Polynomial Expansion Perspective of Classification Loss Functions",
ICLR 2022, arXiv:2204.12511): Poly-1 = CE + eps (1 - p_t) vs cross-entropy and focal loss.

Claim: adding eps * (1 - p_t) to cross-entropy, with eps tuned per task, beats CE and focal loss.
cpu:   MNIST-1D 1-D CNN (the MNIST-1D setting: Adam lr 1e-2, batch 100), 3000 steps. Arms: CE, focal
       (gamma 2), Poly-1 with eps in {-1, 1, 2}; 3 seeds; a few minutes on 2 cores. The claim is that
       the *best* eps beats CE, so the rule compares the paper's ImageNet choice (eps = 2) and reports
       the others in the table (picking the best arm after the fact would be a tuned verdict).
paper: ResNet-50 on ImageNet-1k, 90 epochs (SGD, batch 1024): Poly-1 eps = 2 gives 76.6% top-1 vs
       76.3% for CE (paper Table 3; focal loss is below CE there).
observed (cpu run, 3 seeds): every arm lands at 93.0-93.8% test accuracy with seed std 0.4-0.9
       points; Poly-1 eps=2 is 0.8 points below CE (within noise). The paper's ImageNet gain (+0.3
       points) is smaller than our seed noise, and MNIST-1D's CNN is near its ceiling: at this scale the
       claim is not detectable, and the tuned-eps version of it would need a per-task eps search.
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="mnist1d", batch_size=100, eval_batch_size=1000)
  c.model = common.free(name="cnn1d")
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
      "focal_g2": {"loss": {"name": "softmax_focal", "gamma": 2.0}},
      "poly1_eps-1": {"loss": {"name": "poly1_cross_entropy", "epsilon": -1.0}},
      "poly1_eps1": {"loss": {"name": "poly1_cross_entropy", "epsilon": 1.0}},
      "poly1_eps2": {"loss": {"name": "poly1_cross_entropy", "epsilon": 2.0}},
  }
  c.sweep.rules = [
      {"arm": "poly1_eps2", "op": ">", "than": "ce"},
      {"arm": "poly1_eps2", "op": ">", "than": "focal_g2"},
  ]
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
