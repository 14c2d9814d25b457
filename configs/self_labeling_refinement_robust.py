"""Self-labeling refinement for BYOL (Garg, Jain, "Self-Labeling Refinement for Robust Representation
Learning with Bootstrap Your Own Latent", 2022, arXiv:2204.04545): BYOL learns only from the two views of
each image; two extra losses pull semantically similar in-batch pairs together (Cross-Cosine Similarity
Loss, CCSL; Cross-Sigmoid Similarity Loss, CSSL); and BYOL is found not to need BatchNorm.

Claim: on STL-10, BYOL 71.04% -> 76.87% with CCSL; CSSL about equal to BYOL; BN layers not necessary.
cpu:   BYOL with the CON protocol (lbrl.data.ssl_protocol.mnist1d: MLP encoder 40-128-128, projector
       128-BN-32, predictor 32-128-BN-32, fresh views per step, Adam 1e-3, batch 128, 400 steps; EMA target
       tau 0.99 cosine to 1); arms: byol; ccsl (byol + CCSL, weight 1, pairs whose target projections
       have cosine >= 0.8); cssl (byol + CSSL, temperature 0.1); byol_no_bn (no BatchNorm in the
       projector and predictor). Linear probe of the encoder. 5 seeds. The pair rule and the BCE form of
       CSSL are lbrl's reading of the paper (no code released).
paper: STL-10 (ResNet-18, 100k unlabeled images), linear evaluation 71.04 / 76.87 / ~71 %.
"""
from lbrl import config as common
from lbrl.data import ssl_protocol

_EMA = dict(name="ema", decay=0.99, schedule="cosine", apply_kwargs=dict(return_embeddings=True, use_predictor=False))
_LOSS = dict(name="byol_ccsl", weight=1.0, threshold=0.8, kind="cosine", temperature=0.1)


def get_config(arg=None):
  c, variant = common.base(arg)
  ssl_protocol.mnist1d(c, variant, loss=_LOSS, steps=400, predictor=(128, 32) if variant != "smoke" else (16, 32))
  c.auxiliary = [dict(_EMA)]
  c.paper.update(
      title="Self-Labeling Refinement for Robust Representation Learning with Bootstrap Your Own Latent", year=2022,
      arxiv="2204.04545", slug="self_labeling_refinement_robust", provides="function",
      code="lbrl.losses.contrastive.byol_ccsl (kind cosine = CCSL, sigmoid = CSSL) + EMA target + SSLNet",
      claim="pulling semantically similar in-batch pairs together (CCSL) improves BYOL; CSSL about equals it; BYOL "
            "does not need BatchNorm",
      expected="STL-10 linear evaluation: BYOL 71.04%, BYOL + CCSL 76.87%, BYOL + CSSL comparable to BYOL",
      setting="STL-10, ResNet-18, BYOL (EMA 0.99), batch 256 (as lbrl reads the paper)",
      hardware="GPU (paper)")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.metric = "post/ssl_probe/linear_accuracy"
  c.sweep.arms = {"ccsl": {}, "cssl": {"loss": {"kind": "sigmoid"}}, "byol": {"loss": {"name": "byol"}},
                  "byol_no_bn": {"loss": {"name": "byol"}, "model": {"batch_norm": False}}}
  c.sweep.published = {"byol": 0.7104, "ccsl": 0.7687}
  c.sweep.rules = [{"arm": "ccsl", "op": ">", "than": "byol", "margin": 0.005},
                   {"arm": "cssl", "op": "tie", "than": "byol", "margin": 0.01},
                   {"arm": "byol_no_bn", "op": "not_worse", "than": "byol", "margin": 0.02}]
  c.sweep.partly_testable = ("the STL-10 numbers need ResNet-18 pre-training on 100k images; the orderings "
                             "(CCSL > BYOL, CSSL ~ BYOL, BN unnecessary) are tested on MNIST-1D.")
  if variant == "paper":
    common.cifar(c, model=dict(name="resnet18"), dataset="cifar10", batch=256, epochs=100,
                 optimizer=dict(name="adam", learning_rate=3e-4))
    c.model = common.free(name="ssl_net", encoder="resnet50", example_rank=3, hidden=(2048,), projector=(4096, 256),
                          predictor=(4096, 256))
    c.loss = common.free(**_LOSS)
    c.eval_metrics = ["loss"]
    c.data.augment = dict(kind="image", views=2, options=dict(pad=4, flip=True))
    c.post_training = []
    c.auxiliary = [dict(_EMA, decay=0.996)]
    c.paper.update(setting="stand-in: CIFAR-10 (lbrl.data.specs has no stl10 row yet), ResNet-50 trunk (paper "
                           "ResNet-18), Adam 3e-4, batch 256, 100 epochs (lbrl's reading)")
  return common.finalize(c)
