"""Metrix (Venkataramanan, Psomas, Kijak, Amsaleg, Karantzalos, Avrithis, "It Takes Two to Tango: Mixup for
Deep Metric Learning", ICLR 2022, arXiv:2106.04990): a generic pair loss rewritten so a candidate's label can
be an interpolation; mixed examples (here mixed embeddings, "Metrix/embed") with labels lam and 1 - lam join
each anchor's positives and negatives (lbrl.losses.metric.metrix). Utilization (the mean distance of test
embeddings to their nearest training embedding, post/retrieval/utilization) measures how much of the
embedding space training explored.

Claim: mixing embeddings and their labels improves the representation of unseen classes (Recall@1, MAP@R)
over the same loss without mixup, and lowers utilization (test examples land nearer to explored regions).
cpu:   the unseen-class protocol of configs/multi_similarity.py: mnist5k, train on digits 0-4
       (train[:90%]), retrieve among every example of digits 5-9 (post/retrieval over 2,500 embeddings).
       EmbeddingNet MLP 784-256-256-64, Adam lr 1e-3, batch 128, 400 steps, identical for every arm;
       the MS loss without mining (alpha 2, beta 50, base 0.5) with and without Metrix/embed (mix weight 1,
       lam ~ Beta(2, 2)), and the contrastive loss (margins 0 / 1) with and without it. 5 seeds.
       Rules (fixed before any run): MAP@R of MS + Metrix above MS by > 0.005; utilization of MS + Metrix
       below MS by > 0.005; and the same two for the contrastive pair.
paper: CUB-200-2011 (TFDS caltech_birds2011), ImageNet-pretrained ResNet-50, 512-d, batch 100, AdamW
       lr 1e-4, Metrix over MS; lbrl trains its CNN EmbeddingNet from scratch (no pretrained backbone).
No code was at hand (the catalog lists none) and the paper's full text was not reachable offline: the pairing
rule and Beta(2, 2) are lbrl's choices, stated in the loss's docstring.
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="held_out_classes", batch_size=common.by_variant(variant, smoke=16, cpu=128, paper=100),
                eval_batch_size=1000, split_train="train[:90%]", split_eval="test")
  c.data.options = common.free(base="mnist5k", num_held_out=5,
                               unseen_pool=common.by_variant(variant, smoke="split", cpu="all", paper="all"))
  c.model = common.free(name="embedding_net", embed_dim=64,
                        hidden=common.by_variant(variant, smoke=(16,), cpu=(256, 256), paper=(256, 256)))
  c.loss = common.free(name="metrix", loss="multi_similarity", mix_weight=1.0, mix_alpha=2.0, alpha=2.0,
                       beta=50.0, base=0.5)
  c.optimizer = common.free(name="adam", learning_rate=1e-3)
  c.steps = common.by_variant(variant, smoke=2, cpu=400, paper=400)
  c.log_every = common.by_variant(variant, smoke=1, cpu=100, paper=100)
  c.eval_metrics = ["loss"]
  # smoke: no utilization pass over the training split (CI cost; lbrl.evaluation.retrieval.utilization is unit-tested)
  c.post_training = [dict(name="retrieval", split="train[90%:]", on="eval", utilization=variant != "smoke",
                          **({"nmi_restarts": 1} if variant == "smoke" else {}))]
  c.paper.update(
      title="It Takes Two to Tango: Mixup for Deep Metric Learning", year=2022, arxiv="2106.04990",
      slug="metrix", provides="function", code="lbrl.losses.metric.metrix, lbrl.evaluation.retrieval.utilization",
      claim="mixing embeddings with interpolated labels (Metrix) improves unseen-class retrieval over the same "
            "loss without mixup and lowers utilization",
      expected="Metrix over MS beats the state of the art on CUB-200, Cars196, SOP and In-Shop (Recall@K, "
               "the paper's tables) and improves utilization",
      setting="CUB-200-2011, Cars196, SOP, In-Shop; ImageNet-pretrained ResNet-50, 512-d",
      hardware="GPU (paper)")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.metric = "post/retrieval/map_at_r"
  c.sweep.arms = {
      "ms_metrix": {},
      "ms": {"loss": {"mix_weight": 0.0}},
      "contrastive_metrix": {"loss": {"loss": "contrastive", "pos_margin": 0.0, "neg_margin": 1.0}},
      "contrastive": {"loss": {"loss": "contrastive", "pos_margin": 0.0, "neg_margin": 1.0, "mix_weight": 0.0}},
  }
  c.sweep.rules = [
      {"arm": "ms_metrix", "op": ">", "than": "ms", "margin": 0.005},
      {"arm": "ms_metrix", "op": "<", "than": "ms", "metric": "post/retrieval/utilization", "margin": 0.005},
      {"arm": "contrastive_metrix", "op": ">", "than": "contrastive", "margin": 0.005},
      {"arm": "contrastive_metrix", "op": "<", "than": "contrastive", "metric": "post/retrieval/utilization",
       "margin": 0.005}]
  c.sweep.partly_testable = ("input and feature (manifold) mixup and the paper's benchmarks with a pretrained "
                             "backbone; here embedding mixup on real digits with unseen classes.")
  if variant == "paper":
    common.paper_run(c, data="caltech_birds2011", batch=100, epochs=60, devices=1,
                     model=dict(name="embedding_net", trunk="cnn", channels=(64, 128, 256, 512), embed_dim=512),
                     loss=dict(name="metrix", loss="multi_similarity", mix_weight=1.0, mix_alpha=2.0),
                     optimizer=dict(name="adamw", learning_rate=1e-4, weight_decay=1e-4),
                     transforms=[dict(name="held_out_classes", num_held_out=100, keep="seen")])
    c.post_training = [dict(name="retrieval", split="train[90%:]", on="eval", utilization=True)]
  return common.finalize(c)
