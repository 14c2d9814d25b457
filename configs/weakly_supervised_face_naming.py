"""SECLA (Qu, Tuytelaars, Moens, "Weakly Supervised Face Naming with Symmetry-Enhanced Contrastive Loss",
WACV 2023, arXiv:2210.08957): given image-caption pairs, label the faces with the caption's names by a
contrastive loss between bags of faces and bags of names, enhanced by symmetry (face -> name and name ->
face); SECLA-B adds an easy-to-hard two-stage curriculum.

Claim: SECLA aligns faces and names from weak (bag-level) supervision, and the symmetric loss beats the
one-directional one (state of the art on Labeled Faces in the Wild and Celebrity Together).
cpu:   synthetic face-name bags (dataset face_name_bags: 1-3 real MNIST digits of distinct classes per
       "photo", their class ids as the caption's names in random order; 10 "people"), 3,600 training /
       1,000 test bags; towers: face MLP 784-256-64, name embeddings 64; Adam 1e-3, batch 64, 600 steps;
       arms: secla (symmetric, tau 0.1), one_way (face -> name only). Measured: face-naming accuracy on
       the test bags (each face takes the best name of its own caption). 5 seeds.
       The loss is lbrl's reading of the paper (no code released): see lbrl.losses.contrastive.secla.
paper: Labeled Faces in the Wild (augmented) and Celebrity Together, FaceNet + BERT features; F1 ~0.8 on LFW.
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  small = variant == "smoke"
  c.data.update(name="face_name_bags", batch_size=8 if small else 64, eval_batch_size=500,
                split_train="train[:90%]", split_eval="test")
  c.model = common.free(name="face_name_towers", num_names=10, hidden=(16,) if small else (256,),
                        embed_dim=8 if small else 64)
  c.loss = common.free(name="secla", temperature=0.1, symmetric=True)
  c.optimizer = common.free(name="adam", learning_rate=1e-3)
  c.steps = 3 if small else 600
  c.log_every = 1 if small else 150
  c.eval_metrics = ["loss"]
  c.post_training = [dict(name="face_naming", split="train[90%:]")]
  c.paper.update(
      title="Weakly Supervised Face Naming with Symmetry-Enhanced Contrastive Loss", year=2023, arxiv="2210.08957",
      slug="weakly_supervised_face_naming", provides="function",
      code="lbrl.losses.contrastive.secla (+ secla_assign) + lbrl.models.ssl_faces.FaceNameTowers",
      claim="a symmetric bag-level contrastive loss aligns faces and caption names from weak supervision",
      expected="state of the art face-naming F1 on augmented LFW (~0.82 with SECLA-B) and Celebrity Together",
      setting="LFW (augmented) / Celebrity Together image-caption pairs; frozen FaceNet and BERT features + projections",
      hardware="GPU (paper)")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.metric = "post/face_naming/accuracy"
  c.sweep.arms = {"secla": {}, "one_way": {"loss": {"symmetric": False}}}
  c.sweep.rules = [{"arm": "secla", "op": ">=", "value": 0.9},
                   {"arm": "secla", "op": ">", "than": "one_way", "margin": 0.005}]
  c.sweep.not_testable = ("the face-caption benchmarks (LFW, Celebrity Together) and SECLA-B's curriculum on them; "
                          "the bag-level alignment mechanism is tested on synthetic digit bags.")
  if variant == "paper":
    c.paper.cpu_sized = ("the face-caption datasets have no TFDS builder; the paper variant keeps the synthetic "
                         "bags at the paper's batch size")
    c.data.batch_size = 128
    c.steps = 10000
  return common.finalize(c)
