"""UNPG (Jung et al., "Unified Negative Pair Generation toward Well-discriminative Feature Space
for Face Recognition", BMVC 2022, arXiv:2203.11593): face recognition asks for S^p > S^n; a margin softmax
(ArcFace / CosFace) only compares each example with the class-weight negatives (CLPG). UNPG adds the
batch's negative *pairs* (MLPG, cosine similarities of examples of different classes) to the softmax
denominator, after dropping noisy ones outside the box-and-whisker range [Q1 - wisk IQR, Q3 + wisk IQR]
(lbrl.losses.metric.unpg).

Claim: adding UNPG's negative pairs to a margin loss improves verification of unseen identities over the
margin loss alone (ArcFace + UNPG above ArcFace on the paper's face-verification benchmarks, IJB-B/C
among them).
cpu:   recognition of unseen identities reduced to digits: mnist5k, train on digits 0-4 (train[:90%]),
       retrieve among every example of the unseen digits 5-9 (post/retrieval/recall_at_1, MAP@R; 2,500
       embeddings). EmbeddingNet MLP 784-128-128-64, Adam lr 1e-3, batch 128, 200 steps; ArcFace (m=0.5,
       s=64) with and without UNPG (whisker 1.5), identical otherwise; 5 seeds.
paper: large face-recognition training sets (MS1MV2 among them) with IResNet backbones, evaluated on IJB-B/C
       and other face benchmarks: none of these is in TFDS, so the paper variant trains the cpu setting
       (c.paper.cpu_sized).
Checked against the authors' code (Jung-Jun-Uk/UNPG, recognition/data/head.zoo.yaml and models/build.py):
ArcFace head m=0.5, s=64; the UNPG add-on always reads the zoo's ``unpg`` entry, whisker 1.5 (in both stored
versions of the file), so this config passes wisk=1.5; lbrl.losses.metric.unpg's default (1.0) is the zoo's
``unpgfw`` variants' value.
Rules fixed before any run: UNPG above ArcFace by > 1 point of unseen-class Recall@1 and of MAP@R.
"""
from lbrl import config as common
from lbrl.data import metric_transforms


def get_config(arg=None):
  c, variant = common.base(arg)
  metric_transforms.held_out_digits(c, variant, hidden=(128, 128), steps=200, smoke_eval_batch=64)
  c.loss = common.free(name="unpg", margin=0.5, scale=64.0, head="arcface", wisk=1.5)
  c.paper.update(
      title="Unified Negative Pair Generation toward Well-discriminative Feature Space for Face Recognition",
      year=2022, arxiv="2203.11593", slug="unpg", provides="function", code="lbrl.losses.metric.unpg",
      claim="a margin softmax with the batch's filtered negative pairs added to its denominator (UNPG) "
            "separates unseen identities better than the margin softmax alone",
      expected="ArcFace + UNPG above ArcFace on IJB-B/C TAR@FAR (the paper's tables); no number is "
               "comparable at digit scale",
      setting="MS1MV2-scale face training, IResNet backbones, IJB-B/C and other face benchmarks",
      hardware="GPU (paper)")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.metric = "post/retrieval/recall_at_1"
  c.sweep.arms = {"unpg": {}, "arcface": {"loss": {"name": "arcface", "margin": 0.5, "scale": 64.0}}}
  c.sweep.rules = [{"arm": "unpg", "op": ">", "than": "arcface", "margin": 0.01},
                   {"arm": "unpg", "op": ">", "than": "arcface", "metric": "post/retrieval/map_at_r",
                    "margin": 0.01}]
  c.sweep.partly_testable = ("the paper's scale (millions of face images, thousands of identities per batch "
                             "window); here 5 training classes, so few class-weight negatives and many "
                             "pair negatives per example.")
  if variant == "paper":
    # the authors' run (Jung-Jun-Uk/UNPG recognition/train.py defaults, data/hyp.yaml, data/face.yaml):
    # MS1MV2 (spec row "ms1mv2"; not in TFDS), iresnet-100, ArcFace head + UNPG (wisk 1.5 for the released
    # r100 weights), batch 512 over 2 GPUs (DataParallel, --device 0,1), CUDA autocast (float16), SGD momentum
    # 0.9, lr 0.1, weight decay 5e-4, 20 epochs of cosine decay after 3 warm-up epochs; LFW (lfw.bin) is the
    # validation set. The model is the release's iresnet-100 (lbrl.models.iresnet.IResNet: insightface's layout,
    # conv shortcuts, Kaiming fan-out convolutions, an affine embedding BatchNorm, no dropout: the README's
    # command has no --drop_lastfc), 512-d embedding.
    common.paper_run(c, data="ms1mv2", batch=512, epochs=20, warmup_epochs=3, devices=2, compute_dtype="float16",
                     model=dict(name="iresnet", stage_sizes=(3, 13, 30, 3), embed_dim=512, dropout=0.0,
                                shortcut="conv", feature_bn="affine", weight_init="kaiming"),
                     loss=dict(name="unpg", margin=0.5, scale=64.0, head="arcface", wisk=1.5),
                     optimizer=dict(name="sgd", learning_rate=0.1, momentum=0.9, weight_decay=5e-4),
                     schedule=dict(name="cosine"))
    c.eval_every = 0   # LFW's labels are pairs (same / different person), not training identities
    c.post_training = []   # the paper's IJB-B/C TAR@FAR protocol is not built
    c.paper.update(hardware="2 GPUs (the authors' training script)",
                   expected="ResNet-100 on MS1MV2, IJB-C TAR@FAR=1e-4: ArcFace 96.25, ArcFace+UNPG 96.33 (the "
                            "authors' README table)")
  return common.finalize(c)
