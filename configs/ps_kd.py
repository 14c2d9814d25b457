"""PS-KD (Kim, Ji, Yoon and Hwang, "Self-Knowledge Distillation with Progressive Refinement of Targets",
ICCV 2021, arXiv:2006.12000): the target mixes the one-hot label with the model's own prediction on the
example from the previous epoch, with weight alpha_t = alpha_T * t / T growing over the epochs
(lbrl.losses.distillation.ps_kd; the past predictions live in the trainer's per-example state).

Claim: PS-KD improves accuracy over cross-entropy and gives better calibration (lower ECE), with no
teacher network.
cpu:   MNIST-1D 1-D CNN, Adam lr 1e-2, batch 100, 3000 steps, cosine (75 epochs of 40 steps), CE vs
       PS-KD (alpha_T = 0.8, the paper's) at the same settings; 5 seeds, paired. Rules fixed before the
       run: accuracy above CE by 0.5 point; ECE (15 bins) below CE's by 0.005.
paper: CIFAR-100 PreAct ResNet-18, SGD 0.1 momentum 0.9 weight decay 5e-4, batch 128, 300 epochs, step
       decay x0.1 at epochs 150 and 225, alpha_T = 0.8 (the authors' lgcnsai/PS-KD-Pytorch defaults).
"""
from lbrl import config as common

STEPS_PER_EPOCH = 40   # 4,000 MNIST-1D training examples / batch 100


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="mnist1d", batch_size=100, eval_batch_size=1000)
  c.model = common.free(name="cnn1d")
  steps = common.by_variant(variant, smoke=2, cpu=3000, paper=3000)
  c.loss = common.free(name="ps_kd", alpha_T=0.8, steps_per_epoch=STEPS_PER_EPOCH,
                       epochs=max(steps // STEPS_PER_EPOCH, 1))
  c.optimizer = common.free(name="adam", learning_rate=1e-2)
  c.schedule.name = "cosine"
  c.steps = steps
  c.eval_every = common.by_variant(variant, smoke=0, cpu=500, paper=500)
  c.log_every = common.by_variant(variant, smoke=1, cpu=250, paper=250)
  c.eval_metrics = ["loss", "accuracy", "ece"]
  c.paper.update(
      title="Self-Knowledge Distillation with Progressive Refinement of Targets", year=2021, arxiv="2006.12000",
      slug="ps_kd", provides="function", code="lbrl.losses.distillation.ps_kd",
      claim="targets mixing the label with the model's own previous-epoch prediction (weight growing to "
            "alpha_T) improve accuracy and calibration over cross-entropy, without a teacher",
      expected="PS-KD accuracy above CE and ECE below CE's (CIFAR-100 PreAct ResNet-18: 75.82% -> 79.18% top-1, "
               "ECE 11.12 -> 2.67, Table 1)",
      setting="CIFAR-100 (PreAct ResNet-18/101, DenseNet, PyramidNet), ImageNet, detection and translation",
      hardware="GPU (paper)")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.metric = "eval/accuracy"
  c.sweep.arms = {"ce": {"loss": {"name": "cross_entropy"}}, "ps_kd": {}}
  c.sweep.rules = [{"arm": "ps_kd", "op": ">", "than": "ce", "margin": 0.005},
                   {"arm": "ps_kd", "op": "<", "than": "ce", "metric": "eval/ece", "margin": 0.005}]
  if variant == "paper":
    common.cifar(c, model=dict(name="preact_resnet18"), dataset="cifar100", batch=128, epochs=300, devices=1,
                 optimizer=dict(name="sgd", learning_rate=0.1, momentum=0.9, weight_decay=5e-4),
                 schedule=dict(name="step", boundaries=(0.5, 0.75), factors=(0.1, 0.1)))
    per_epoch = -(-50_000 // 128)
    c.loss = common.free(name="ps_kd", alpha_T=0.8, steps_per_epoch=per_epoch, epochs=300)
    c.paper.update(hardware="one GPU")
  return common.finalize(c)
