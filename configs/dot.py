"""DOT (Zhao, Cui, Song and Liang, "DOT: A Distillation-Oriented Trainer", ICCV 2023, arXiv:2307.08436):
SGD with separate momentum buffers for the task (cross-entropy) and distillation gradients, momentum
0.9 - delta on the task part and 0.9 + delta on the distillation part (lbrl.optim.distillation.dot,
checked against the authors' DistillationOrientedTrainer in megvii-research/mdistiller). The trainer
gives it each component's gradient because the loss (kd_components) declares its components.

Claim: replacing SGD by DOT, same hyperparameters and KD loss, gives a better student (ResNet-50 ->
MobileNetV1 on ImageNet: +2.59% top-1), with both losses optimised better.
cpu:   MNIST-1D; teacher: the 1-D CNN (Adam 1e-2, 3000 steps, cosine), trained once as the first stage and
       shared by the student runs; student: the MLP, KD (T = 4, ce weight 0.1, kd weight 0.9: alpha 0.9,
       mdistiller's CIFAR setting) with SGD (momentum 0.9, weight decay 5e-4, lr 0.05, cosine, batch 100,
       3000 steps) vs DOT (the same, delta = 0.075, the paper's); CE with SGD as the reference. 5 seeds,
       paired. Rule fixed before the run: DOT above SGD by 0.5 point.
first run (all arms at lr 0.05): DOT 10.2% in every seed vs SGD 72.0%: the heavier distillation momentum
       (0.975: an effective step 4x SGD's on that gradient) killed the ReLU MLP early (training accuracy at
       chance from step 500). The paper keeps SGD's hyperparameters, but one unstable setting says nothing
       about the method; revised before the rerun: each arm's learning rate (0.005-0.05) is chosen on a
       validation split (train[90%:], students trained on train[:90%]), the rule unchanged.
observed (rerun, tuned): validation chose lr 0.01 for DOT, 0.05 for KD+SGD and CE+SGD. DOT 69.18 ± 0.69% vs
       KD+SGD 72.00 ± 1.04% (CE+SGD 65.10%): DOT - SGD -2.8 points, paired 95% interval [-4.8, -0.9]: not
       reproduced here, on a BatchNorm-free MLP student where the heavier distillation momentum forces a
       5x smaller learning rate; the paper's students are convolutional networks with BatchNorm.
paper: CIFAR-100 ResNet32x4 -> ResNet8x4 (mdistiller's configs/cifar100/dot/res32x4_res8x4.yaml: SGD lr 0.05,
       momentum 0.9, delta 0.075, weight decay 5e-4, batch 64, 240 epochs, decay x0.1 at epochs 150, 180,
       210). lbrl's CIFAR ResNet has one width for the stem and the first stage: the x4 networks here have a
       64-channel stem (mdistiller's: 32), the other layers as in the paper.
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="mnist1d", batch_size=100, eval_batch_size=1000)
  c.model = common.free(name="mlp")
  c.loss = common.free(name="kd_components", temperature=4.0, alpha=0.9)
  c.optimizer = common.free(name="dot", learning_rate=0.05, momentum=0.9, delta=0.075, weight_decay=5e-4)
  c.schedule.name = "cosine"
  c.steps = common.by_variant(variant, smoke=2, cpu=3000, paper=3000)
  c.eval_every = common.by_variant(variant, smoke=0, cpu=500, paper=500)
  c.log_every = common.by_variant(variant, smoke=1, cpu=250, paper=250)
  # the teacher's data block is fixed here: selection runs train the students on train[:90%], the teacher
  # (shared by every run) is the same network for all of them
  teacher = dict(name="teacher", model_config=dict(name="cnn1d"),
                 train=dict(steps=common.by_variant(variant, smoke=2, cpu=3000, paper=3000), seed=0,
                            optimizer=dict(name="adam", learning_rate=1e-2), data=c.data.to_dict()))
  if variant == "cpu":
    teacher["workdir"] = "~/.cache/lbrl/teachers/dot_cpu"
  c.auxiliary = [teacher]
  c.paper.update(
      title="DOT: A Distillation-Oriented Trainer", year=2023, arxiv="2307.08436", slug="dot",
      provides="transform", code="lbrl.optim.distillation.dot",
      claim="separate momenta for the task and distillation gradients (0.9 -/+ delta) train a better KD "
            "student than SGD with the same hyperparameters",
      expected="DOT student accuracy above SGD's with the same KD loss (ResNet-50 -> MobileNetV1 ImageNet: "
               "+2.59% top-1; CIFAR-100 ResNet32x4 -> ResNet8x4: 73.33% KD -> 75.12% KD+DOT, Table 2)",
      setting="CIFAR-100, Tiny-ImageNet, ImageNet teacher/student pairs; SGD momentum 0.9, delta 0.075",
      hardware="GPU (paper)")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  sgd = {"name": "sgd", "learning_rate": 0.05, "momentum": 0.9, "weight_decay": 5e-4}
  c.sweep.arms = {
      "ce_sgd": {"loss": {"name": "cross_entropy"}, "optimizer": sgd, "auxiliary": []},
      "kd_sgd": {"loss": {"name": "kd", "temperature": 4.0, "alpha": 0.9}, "optimizer": sgd},
      "kd_dot": {},
  }
  c.sweep.rules = [{"arm": "kd_dot", "op": ">", "than": "kd_sgd", "margin": 0.005}]
  # each arm's learning rate chosen on a validation split (revised after the first run, before the rerun:
  # at the shared lr 0.05 DOT's distillation momentum 0.975 killed the ReLU MLP in every seed)
  lrs = [0.005, 0.01, 0.02, 0.05]
  c.sweep.tune = dict(grids={arm: [("optimizer.learning_rate", lrs)] for arm in ("ce_sgd", "kd_sgd", "kd_dot")},
                      split="train[90%:]", train_split="train[:90%]", metric="eval/accuracy", seeds=[1000])
  if variant == "paper":
    common.cifar(c, model=dict(name="resnet", depth=8, width=64), dataset="cifar100", batch=64, epochs=240,
                 devices=1, loss=dict(name="kd_components", temperature=4.0, alpha=0.9),
                 optimizer=dict(name="dot", learning_rate=0.05, momentum=0.9, delta=0.075, weight_decay=5e-4),
                 schedule=dict(name="step", boundaries=(150 / 240, 180 / 240, 210 / 240), factors=(0.1, 0.1, 0.1)))
    c.auxiliary = [dict(name="teacher", model_config=dict(name="resnet", depth=32, width=64),
                        train=dict(steps=c.steps, seed=0, optimizer=dict(name="sgd", learning_rate=0.05,
                                                                         momentum=0.9, weight_decay=5e-4)))]
    c.paper.update(hardware="one GPU")
  return common.finalize(c)
