"""KD-Loss (Fard and Mahoor, "Facial Landmark Points Detection Using Knowledge Distillation-Based Neural
Networks", CVIU 2022, arXiv:2111.07047): a lightweight student regresses facial landmarks guided by two
frozen teachers, a Tough-Teacher trained on the annotated (Hard) landmarks and a Tolerant-Teacher trained on
Soft-landmarks (the annotations projected on an active shape model), through an Assistive Loss per teacher
and a main term whose linear-to-quadratic switch is the Tolerant-Teacher's distance to the truth
(lbrl.losses.landmarks.kd_landmark, transcribed from the authors' aliprf/KD-Loss custom_Losses.kd_loss with
their weights; lbrl.data.landmarks).

Claim: the student trained with KD-Loss and both teachers localises landmarks more accurately (lower NME)
than the same student trained with plain L2 on the Hard-landmarks.
cpu:   synthetic faces (lbrl.data.landmarks: 20 landmarks, 5 shape modes and a random similarity pose,
       16 x 16 blob images with pixel noise and 30% random occlusions, annotation noise 0.03 on train and test
       labels; Soft-landmarks: the ASM keeping 85% of the training landmarks' variance, coefficients clamped
       to +-3 sqrt(eigenvalue)); 8,000 training and 500 test faces. Teachers: MLP 256-256 (Adam 1e-3, 3000
       steps, cosine, L2), the Tough one on Hard-landmarks, the Tolerant one on Soft-landmarks, first stages
       shared by every run. Student: MLP with one hidden layer of 32 (Adam, batch 100, 2000 steps, cosine;
       each arm's rate tuned over {1e-3, 3e-3, 1e-2} on train[90%:], trained on train[:90%]). Arms: L2 on the
       Hard-landmarks; KD-Loss with the Tough-Teacher standing in for both teachers (single teacher);
       KD-Loss with both teachers. 5 seeds, paired; metric: test NME (inter-ocular, outer
       eye corners, against the noisy test annotations as in the paper).
       Rules fixed before the run: two-teacher KD-Loss below L2 in NME by more than 0.002, and not above the
       single-teacher KD-Loss by more than 0.002.
first run (2,000 training faces): every arm chose rate 3e-3; NME L2 0.0606, single-teacher 0.0588, two
       teachers 0.0584 (both rules held), but the teachers were no better than the student (Tough 0.0604,
       Tolerant 0.0614 test NME; the 256-256 MLPs overfit 2,000 faces), so the gain could only come from the
       loss's shape, not from the teachers: not the paper's setting (EfficientNet-B3 teachers well above the
       MobileNetV2 student). With 8,000 faces the Tough-Teacher reaches 0.0496 and the L2 student 0.0578
       (one seed), the gap the paper assumes; the report is that second run (rules unchanged). Noise floor:
       the clean shapes score 0.0359 against the noisy test annotations.
observed (second run, 5 seeds): teachers' test NME Tough 0.0496, Tolerant 0.0557; every arm chose rate 3e-3;
       NME L2 0.0575 ± 0.0012, single-teacher KD-Loss 0.0558 ± 0.0010, two-teacher KD-Loss 0.0554 ± 0.0006;
       two teachers - L2 -0.0022 [-0.0036, -0.0008] (holds), two - single teacher -0.0004 [-0.0015, +0.0007]
       (not worse: holds; the Tolerant-Teacher adds nothing measurable). In the first run the same gain
       (-0.0022) came with teachers no better than the student, so part of it may be the loss's shape (KD-Loss's
       main term is linear near the truth): an L1 arm (mean absolute coordinate error, no teacher, its rate
       tuned on the same grid) was added after this run, with its rule fixed before its runs: two-teacher
       KD-Loss below L1 in NME (margin 0.002).
observed (L1 arm, 5 seeds, rate 3e-3 chosen): NME 0.0551 ± 0.0004; two-teacher KD-Loss - L1 +0.0002
       [-0.0007, +0.0012]: contradicted. At this scale KD-Loss's advantage over L2 is that of a linear loss
       near the truth; the teachers (one 10% more accurate than the L2 student) add nothing measurable, and no
       student reaches the Tough-Teacher (0.0496).
paper: 300W, COFW and WFLW with MobileNetV2 students and EfficientNet-B3 teachers (Adam 1e-3, batch 70, 150
       epochs); those sets are not TFDS datasets, so the paper variant is the cpu run (cpu_sized).
"""
import os

from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="synthetic_landmarks", batch_size=100, eval_batch_size=500,
                options=common.free(n_train=common.by_variant(variant, smoke=200, cpu=8000, paper=8000)))
  c.model = common.free(name="mlp", hidden=(32,))
  c.loss = common.free(name="kd_landmark")
  c.optimizer = common.free(name="adam", learning_rate=1e-3)
  c.schedule.name = "cosine"
  c.eval_metrics = ["loss"]
  c.steps = common.by_variant(variant, smoke=2, cpu=2000, paper=2000)
  c.eval_every = common.by_variant(variant, smoke=0, cpu=500, paper=500)
  c.log_every = common.by_variant(variant, smoke=1, cpu=250, paper=250)
  teacher_steps = common.by_variant(variant, smoke=2, cpu=3000, paper=3000)
  teacher_model = dict(name="mlp", hidden=(256, 256))

  def teacher(target):
    data = dict(c.data.to_dict(), options=dict(c.data.options.to_dict(), target=target))
    t = dict(name="teacher", model_config=teacher_model,
             train=dict(steps=teacher_steps, seed=0, data=data, loss=dict(name="landmark_l2"),
                        optimizer=dict(name="adam", learning_rate=1e-3)))
    if variant == "cpu":
      t["workdir"] = os.path.expanduser(f"~/.cache/lbrl/teachers/facial_landmarks_{target}_cpu")
    return t

  tough, tolerant = teacher("hard"), teacher("soft")
  c.auxiliary = [tough, dict(tolerant, keyword="tolerant_teacher_outputs")]
  c.paper.update(
      title="Facial Landmark Points Detection Using Knowledge Distillation-Based Neural Networks", year=2022,
      arxiv="2111.07047", slug="facial_landmark_points_detection", provides="function",
      code="lbrl.losses.landmarks.kd_landmark",
      claim="a lightweight student trained with KD-Loss from a Tough-Teacher (Hard-landmarks) and a Tolerant-Teacher "
            "(ASM Soft-landmarks) localises landmarks more accurately than the same student trained with L2",
      expected="MobileNetV2 + KD-Loss NME (inter-ocular) on 300W: full 4.06%, common 3.56%, challenging 6.13% "
               "(paperswithcode's listing of the paper's results)",
      setting="300W, COFW, WFLW; EfficientNet-B3 teachers, MobileNetV2 student, 224 x 224 face crops",
      hardware="one GPU (paper)")
  c.paper.cpu_sized = ("300W, COFW and WFLW are not TFDS datasets and not offline; the synthetic face set with "
                       "the same Hard/Soft-landmark structure is the only run lbrl can make")
  # the NME of the final model on the whole test split (an analysis tool: eval metrics see float labels as
  # soft class targets)
  c.sweep.kind = "analysis"
  c.analysis = dict(tool="landmark_nme", kwargs=common.free(), split="eval", batch_size=500, at="final")
  c.sweep.metric = "analysis/nme"
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.arms = {
      "l2": {"loss": {"name": "landmark_l2"}, "auxiliary": []},
      "kd_single": {"auxiliary": [tough, dict(tough, keyword="tolerant_teacher_outputs")]},
      "kd_two": {},
      "l1": {"loss": {"name": "landmark_l1"}, "auxiliary": []},   # added after the second run (see above)
  }
  rates = [("optimizer.learning_rate", [1e-3, 3e-3, 1e-2])]
  c.sweep.tune = dict(grids={arm: rates for arm in c.sweep.arms}, split="train[90%:]", train_split="train[:90%]",
                      metric="analysis/nme", mode="min", seeds=[1000])
  c.sweep.rules = [{"arm": "kd_two", "op": "<", "than": "l2", "margin": 0.002},
                   {"arm": "kd_two", "op": "not_worse", "than": "kd_single", "margin": 0.002, "better": "lower"},
                   {"arm": "kd_two", "op": "<", "than": "l1", "margin": 0.002}]
  c.sweep.partly_testable = (
      "synthetic 16 x 16 blob faces and MLPs stand in for face images, EfficientNet-B3 teachers and a MobileNetV2 "
      "student; the paper's per-dataset NME numbers cannot be compared.")
  return common.finalize(c)
