"""FRACAL (Alexandridis, Elezi, Deng, Nguyen and Luo, "Fractal Calibration for long-tailed object
detection", CVPR 2025, arXiv:2410.11774; code github.com/kostas1515/FRACAL).

Method: a post-hoc transform of a trained detector's softmax classifier, ``p'_c ∝ softmax(z - log prior)_c /
D_c^2``: logit adjustment by the class prior, then division by the box-counting (fractal) dimension of the
class's object centres in image space (classes spread uniformly, D near 2, lose the most).
lbrl: ``lbrl.evaluation.calibrators.apply_fracal`` / ``box_counting_dimension`` (the authors'
``fracal_bbox_head.py`` softmax branch and ``calculate_fractality.py``), scored by
``lbrl.analysis.long_tail_calibration.fracal_study``.

cpu: the long-tailed classification stand-in: MNIST-1D with the ``long_tail`` transform (exponential
       profile, head/tail ratio 100), an MLP (100-100, Adam 3e-3, batch 100, 1500 steps, cosine) trained with
       CE, 5 seeds; FRACAL applied to its logits on the balanced 1,000-signal test split, prior from the
       training counts. Classification has no object locations, so every D_c = 1 and what is tested is
       FRACAL's prior (logit-adjustment) term, paired within each run against the uncalibrated model. Rules
       fixed before the run: rare-class accuracy (mean recall of the 3 rarest training classes) up by more
       than 2 points, balanced accuracy up (> 0).
observed (cpu run, 5 seeds; the LT-100 MLP is weak and over-confident: accuracy 31%, ECE 0.56): FRACAL's
       prior term lifts the 3 rarest classes' recall 1.6% -> 6.0% (+4.4 points, 95% CI [+3.3, +5.5]: holds)
       and balanced accuracy 31.0% -> 33.2% (+2.1 [+1.1, +3.1]: holds), at a cost on the 3 most frequent
       classes (-6.1 points); ECE 0.56 -> 0.51, NLL 6.15 -> 4.89. (The rules were first written with op ">"
       and a value, which the rule checker does not take; changed to ">=" with the same values before any
       verdict was computed.) Verdict: partly reproduced (prior term only; fractal term untested).
paper: LVIS v1 with Mask R-CNN / Cascade R-CNN (ResNet-50/101, Swin), rare-category AP (APr) up to +8.6
       over the baseline; not reachable on CPU (no detection datasets or detectors here).
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  smoke = variant == "smoke"
  c.data.update(name="mnist1d", batch_size=100, eval_batch_size=1000)
  c.data.transforms = [dict(name="long_tail", imbalance_ratio=100.0)]
  c.model = common.free(name="mlp", hidden=(16,) if smoke else (100, 100))
  c.loss = common.free(name="cross_entropy")
  c.optimizer = common.free(name="adam", learning_rate=3e-3)
  c.schedule.name = "cosine"
  c.steps = common.by_variant(variant, smoke=2, cpu=1500, paper=1500)
  c.eval_every = common.by_variant(variant, smoke=0, cpu=500, paper=500)
  c.log_every = common.by_variant(variant, smoke=1, cpu=250, paper=250)
  c.eval_metrics = ["loss", "accuracy", "balanced_accuracy"]
  c.sweep.kind = "analysis"
  c.analysis = dict(tool="fracal_study", kwargs=common.free(tail_classes=3), split="eval",
                    batch_size=1000, at="final")
  c.paper.update(
      title="Fractal Calibration for long-tailed object detection", year=2025, arxiv="2410.11774",
      slug="fractal_calibration_long_tailed", provides="analysis tool",
      code="lbrl.evaluation.calibrators.apply_fracal / box_counting_dimension; "
           "lbrl.analysis.long_tail_calibration.fracal_study",
      claim="a training-free post-hoc calibration by class prior and spatial fractal dimension improves rare-class "
            "detection on long-tailed data",
      expected="rare-class AP (APr) up to +8.6 on LVIS v1; gains on COCO, V3Det and OpenImages",
      setting="LVIS v1 (1,203 classes), Mask R-CNN / Cascade R-CNN detectors, post-hoc on the box classifier",
      hardware="GPU (paper)")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.metric = "analysis/fracal/balanced_accuracy"
  c.sweep.arms = {"ce": {}}
  c.sweep.rules = [
      {"arm": "ce", "op": ">=", "value": 0.02, "metric": "analysis/d/tail_accuracy"},
      {"arm": "ce", "op": ">=", "value": 0.0, "metric": "analysis/d/balanced_accuracy"},
  ]
  c.sweep.partly_testable = (
      "only FRACAL's class-prior term: a classification stand-in has no object locations, so the fractal "
      "dimensions are all 1 (the spatial term, the paper's contribution over logit adjustment, is untested "
      "here; box_counting_dimension is unit-tested against the authors' algorithm); no detector, no LVIS APr")
  if variant == "paper":
    c.paper.cpu_sized = ("FRACAL is a detection method (LVIS, Mask R-CNN); lbrl has no detection data or "
                         "detector, so the paper variant is the cpu classification stand-in")
  return common.finalize(c)
