"""FerKD (Shen, "FerKD: Surgical Label Adaptation for Efficient Distillation", ICCV 2023, arXiv:2312.17473):
distillation on random crops with the teacher's soft labels (FKD), except that crops the teacher is not
confident about (hard regions: crops that miss the object) get a softened hard ground-truth label; SelfMix
mixes two regions of the same image (lbrl.losses.distillation.ferkd / ferkd_targets,
lbrl.data.region_crops). The authors released soft labels and checkpoints (github.com/szq0214/FKD, folder
FerKD), not the label-building code; the paper's threshold values were not reachable offline, so the
confidence threshold is tuned on a validation split and the smoothing is lbrl's 0.1.

Claim: FerKD's calibrated partial soft-hard labels give a better student than FKD's plain soft labels of
the same crops (ImageNet ResNet-50: FKD 80.1%, FerKD 81.2%), and SelfMix helps further.
cpu:   MNIST-1D; every training example cut into 4 random-resized crops (window 25-100% of the 40
       positions, resampled to 40; drawn once, as FKD pre-generates its crops); evaluation on the whole test
       signals. Teacher: the 1-D CNN trained on the crops (Adam 1e-2, 3000 steps, cosine), the first stage,
       shared by every run. Student: the MLP (Adam 1e-2, batch 100, 2000 steps, cosine). Arms: CE on the
       crops; FKD (soft labels of the crops, T = 1, no hard-label term: kd with alpha 1); FerKD (threshold on
       the teacher's ground-truth probability tuned over {0.05, 0.1, 0.25, 0.5} on train[90%:] with the
       student trained on train[:90%], smoothing 0.1); FerKD + SelfMix (half of the crops mixed with another
       crop of the same signal; threshold tuned on the same grid). 10 seeds, paired (5 in the first two runs;
       5 more added when the second was inconclusive, as STANDARD asks when seeds are cheap).
       Rules fixed before the run: FerKD above FKD (margin 0) and above CE by 1 point; FerKD + SelfMix not
       worse than FerKD by more than 1 point.
first run (grid {0.25, 0.5, 0.75} for FerKD only, SelfMix at 0.5 untuned): 0.25 chosen at the grid's end
       (validation 0.540 / 0.533 / 0.518); test accuracy CE 55.2%, FKD 57.3%, FerKD 55.2%, FerKD + SelfMix
       55.6%; FerKD - FKD -2.1 points [-4.7, +0.4]: inconclusive. The teacher (76.7% on the training crops,
       88.6% on the whole test signals) puts 2% / 11% / 24% / 30% of the crops below 0.05 / 0.1 / 0.25 / 0.5,
       its accuracy on them 0% / 0% / 12% / 22%. The grid was then extended below its chosen end and SelfMix
       given the same grid (rules unchanged); the report is that second run.
observed (second run, first 5 seeds): thresholds chosen 0.25 (FerKD; validation 0.538 / 0.525 / 0.540 / 0.533 at
       0.05 / 0.1 / 0.25 / 0.5) and 0.25 (SelfMix); test accuracy CE 55.2 ± 1.9%, FKD 57.3 ± 2.0%, FerKD
       55.2 ± 0.9%, FerKD + SelfMix 54.9 ± 1.5%; FerKD - FKD -2.1 points [-4.7, +0.4], FerKD - CE -0.1
       [-2.8, +2.7], SelfMix - FerKD -0.3 [-2.9, +2.4]: every rule inconclusive (MDE 3.4-3.9 points at 5
       seeds); the point estimate puts FerKD below FKD. The single-seed validation differences between
       thresholds (1.5 points) are within the noise of 400 validation signals.
observed (10 seeds, the same chosen thresholds): CE 55.5 ± 1.4%, FKD 57.0 ± 1.5%, FerKD 56.2 ± 1.3%, FerKD +
       SelfMix 55.6 ± 1.5%; FerKD - FKD -0.8 points [-2.3, +0.6] (MDE 2.0), FerKD - CE +0.6 [-0.6, +1.9] (MDE
       1.7), SelfMix - FerKD -0.6 [-1.9, +0.7]: every rule still inconclusive; FKD's soft labels are the best
       point estimate, and no result favours the calibration or SelfMix at this scale.
paper: ImageNet-1k ResNet-50, the FKD recipe (SGD 0.1 x batch / 512, momentum 0.9, weight decay 1e-4, batch
       1024, 300 epochs, cosine, 4 crops per image, T = 1); teacher: lbrl has none of the paper's giant
       pretrained teachers (RegNetY-128GF, EfficientNet-L2, ViT-H ...), so a ResNet-50 trained first stands in;
       lbrl.data.region_crops is 1-D: the paper variant's crops are the ImageNet input pipeline's, not FKD's
       4 RandomResizedCrop regions per image.
"""
from lbrl import config as common

CROPS = dict(name="region_crops", copies=4, scale=(0.25, 1.0), selfmix=0.0)


def get_config(arg=None):
  c, variant = common.base(arg)
  crops = dict(CROPS, copies=common.by_variant(variant, smoke=1, cpu=4, paper=4))
  c.data.update(name="mnist1d", batch_size=100, eval_batch_size=1000, transforms=[crops])
  c.model = common.free(name="mlp")
  c.loss = common.free(name="ferkd", threshold=0.5, smoothing=0.1)
  c.optimizer = common.free(name="adam", learning_rate=1e-2)
  c.schedule.name = "cosine"
  c.steps = common.by_variant(variant, smoke=2, cpu=2000, paper=2000)
  c.eval_every = common.by_variant(variant, smoke=0, cpu=500, paper=500)
  c.log_every = common.by_variant(variant, smoke=1, cpu=250, paper=250)
  teacher_data = dict(c.data.to_dict(), transforms=[crops])
  teacher = dict(name="teacher", model_config=dict(name="cnn1d"),
                 train=dict(steps=common.by_variant(variant, smoke=2, cpu=3000, paper=3000), seed=0,
                            data=teacher_data))
  if variant == "cpu":
    teacher["workdir"] = "~/.cache/lbrl/teachers/ferkd_cpu"
  c.auxiliary = [teacher]
  c.paper.update(
      title="FerKD: Surgical Label Adaptation for Efficient Distillation", year=2023, arxiv="2312.17473",
      slug="ferkd", provides="function", code="lbrl.losses.distillation.ferkd",
      claim="calibrating the teacher's soft labels of low-confidence crops to softened hard labels (and SelfMix) "
            "gives a better student than FKD's soft labels of the same crops",
      expected="ImageNet-1k ResNet-50 top-1: FKD 80.1%, FerKD 81.2% (FerKD* 81.4%): the abstract and the authors' READMEs",
      setting="ImageNet-1k, ResNet-50 / ViT students, soft labels of RandomResizedCrop regions from giant teachers",
      hardware="8 GPUs (paper)")
  c.sweep.seeds = list(range(10))
  mixed = dict(CROPS, copies=crops["copies"], selfmix=0.5)
  c.sweep.arms = {
      "ce": {"loss": {"name": "cross_entropy"}, "auxiliary": []},
      "fkd": {"loss": {"name": "kd", "temperature": 1.0, "alpha": 1.0}},
      "ferkd": {},
      "ferkd_selfmix": {"data": {"transforms": [mixed]}},
  }
  thresholds = [("loss.threshold", [0.05, 0.1, 0.25, 0.5])]
  c.sweep.tune = dict(grids={"ferkd": thresholds, "ferkd_selfmix": list(thresholds)}, split="train[90%:]",
                      train_split="train[:90%]", metric="eval/accuracy", seeds=[1000])
  c.sweep.rules = [{"arm": "ferkd", "op": ">", "than": "fkd", "margin": 0.0},
                   {"arm": "ferkd", "op": ">", "than": "ce", "margin": 0.01},
                   {"arm": "ferkd_selfmix", "op": "not_worse", "than": "ferkd", "margin": 0.01}]
  c.sweep.partly_testable = (
      "the paper's thresholds and SelfMix's region-matching rule were not reachable offline (threshold tuned on "
      "validation, SelfMix read as same-signal CutMix); 1-D crops of MNIST-1D with a 1-D CNN teacher stand in for "
      "RandomResizedCrop on ImageNet with giant pretrained teachers; the convergence-speed claim is not measured.")
  if variant == "paper":
    common.imagenet_resnet50(c, batch=1024, epochs=300, devices=8,
                             optimizer=dict(name="sgd", learning_rate=0.1 * 1024 / 512, momentum=0.9,
                                            weight_decay=1e-4),
                             loss=dict(name="ferkd", threshold=0.5, smoothing=0.1))
    c.auxiliary = [dict(name="teacher", model_config=dict(name="resnet50"),
                        train=dict(steps=c.steps, seed=0, loss=dict(name="cross_entropy")))]
    c.paper.update(hardware="8 GPUs (batch 128 each)")
  return common.finalize(c)
