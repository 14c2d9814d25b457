"""ClusterNet (Shukla, Cheema, Anand, "Semi-Supervised Clustering with Neural Networks", 2018,
arXiv:1806.01547): pairwise semantic constraints (must-link / cannot-link) from a few labelled examples plus a
k-means term over every example in an autoencoder's latent space, with the cluster centres learned jointly
(lbrl.losses.metric.clusternet_autoencoder; labels hidden by the hide_labels transform).

Claim: combining the pairwise constraints of < 5% labelled examples with k-means on all the data clusters
better (NMI) than either part alone.
cpu:   mnist5k train[:90%] (3,600 real digits; 5% of each class's labels kept by hide_labels: about 180); every
       training example in the k-means term; NMI of k-means (k = 10) on the 1,000 test digits' embeddings
       (post/retrieval/nmi). An MLP autoencoder 784-256-256-10-256-256-784 (EmbeddingNet with a decoder)
       whose 10 proxies are the cluster centres, Adam lr 1e-3, batch 128, 400 steps, identical for every arm.
       Arms: ClusterNet (reconstruction + k-means + pairwise, weights 1 / 1 / 1, hinge margin 2), pairwise
       constraints only (k-means weight 0), k-means only (pairwise weight 0; unsupervised); every arm keeps
       the reconstruction term. 5 seeds. Rules (fixed before any run): NMI of ClusterNet above each
       single-term arm by > 0.01.
paper: MNIST (TFDS mnist, 70,000 digits) with a convolutional autoencoder (10-d latent), fewer than 5% of the
       labels; the paper variant runs lbrl's CNN encoder with an MLP decoder.
The paper's equations were not reachable offline (only its abstract; no code released): the loss's docstring
states lbrl's reading (Hsu and Kira's pairwise KL hinge + hard k-means distortion + the summed squared
reconstruction error, DCN's balance). A first run without the decoder (the k-means term on a bare encoder)
collapsed every arm with a k-means term (NMI 0.02-0.03: the distortion is minimised by mapping every digit
onto one centre); the autoencoder the paper trains is what prevents that, so it was added before the
recorded run (the rules are unchanged).
observed (untuned run, all weights 1, 5 seeds; not committed as a verdict because the term weights are lbrl's
       guess, not the paper's, and no arm was tuned): NMI ClusterNet 0.468 +- 0.023, k-means + reconstruction
       0.477 +- 0.017, pairwise + reconstruction 0.501 +- 0.017 (ClusterNet - pairwise -0.033 [-0.057, -0.009],
       ClusterNet - k-means -0.008 [-0.023, +0.006]). sweep.tune now picks each arm's weight on a validation
       slice (train[80%:90%]) before the verdict run.
observed (tuned run, 5 seeds; chosen weights: ClusterNet k-means 0.1, k-means-only 0.1, pairwise-only 0.3, the
       last at its grid's end, flagged in the report): NMI ClusterNet 0.519 +- 0.014, k-means 0.512 +- 0.015,
       pairwise 0.510 +- 0.014; ClusterNet - pairwise +0.010 [-0.020, +0.039], ClusterNet - k-means +0.007
       [-0.024, +0.038]: the ordering the paper claims, inside the noise (MDE 0.040 / 0.041; about 50 seeds
       would decide the 0.01 margin): "inconclusive at this scale".
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="mnist5k", batch_size=common.by_variant(variant, smoke=16, cpu=128, paper=256),
                eval_batch_size=1000, split_train="train[:90%]", split_eval="test",
                transforms=[dict(name="hide_labels", fraction=0.05)])
  c.model = common.free(name="embedding_net", embed_dim=10, num_classes=10,
                        hidden=common.by_variant(variant, smoke=(16,), cpu=(256, 256), paper=(500, 500, 2000)),
                        decoder=common.by_variant(variant, smoke=(16,), cpu=(256, 256), paper=(2000, 500, 500)))
  c.loss = common.free(name="clusternet_autoencoder", reconstruction_weight=1.0, kmeans_weight=1.0,
                       pair_weight=1.0, margin=2.0)
  c.optimizer = common.free(name="adam", learning_rate=1e-3)
  c.steps = common.by_variant(variant, smoke=2, cpu=400, paper=400)
  c.log_every = common.by_variant(variant, smoke=1, cpu=100, paper=100)
  c.eval_metrics = ["loss"]
  c.post_training = [dict(name="retrieval", split="train[90%:]", on="eval",
                          **({"nmi_restarts": 1} if variant == "smoke" else {}))]
  c.paper.update(
      title="Semi-Supervised Clustering with Neural Networks", year=2018, arxiv="1806.01547",
      slug="semi_supervised_clustering_neural", provides="function", code="lbrl.losses.metric.clusternet_autoencoder",
      claim="pairwise constraints from < 5% labelled examples plus k-means on all the data (centres learned "
            "jointly) cluster better than either alone",
      expected="clustering accuracy / NMI above deep-clustering baselines on MNIST and other datasets (the "
               "paper's tables; no numbers restated in lbrl)",
      setting="MNIST, Fashion-MNIST and others; convolutional autoencoder latent space, < 5% labels",
      hardware="GPU (paper)")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.metric = "post/retrieval/nmi"
  c.sweep.arms = {
      "clusternet": {},
      "pairwise_only": {"loss": {"kmeans_weight": 0.0}},
      "kmeans_only": {"loss": {"pair_weight": 0.0}},
  }
  # Each arm at its own best weight of the term it keeps (relative to the reconstruction term), chosen on a
  # labelled validation slice of the training split (added after the untuned run below, before any tuned run).
  c.sweep.tune = dict(grids={"clusternet": [("loss.kmeans_weight", [0.01, 0.1, 1.0])],
                             "kmeans_only": [("loss.kmeans_weight", [0.01, 0.1, 1.0])],
                             "pairwise_only": [("loss.pair_weight", [0.3, 1.0, 3.0])]},
                      split="train[80%:90%]", train_split="train[:80%]", metric="post/retrieval/nmi", mode="max",
                      seeds=[1000])
  c.sweep.rules = [{"arm": "clusternet", "op": ">", "than": "pairwise_only", "margin": 0.01},
                   {"arm": "clusternet", "op": ">", "than": "kmeans_only", "margin": 0.01}]
  c.sweep.partly_testable = ("the paper's exact loss equations and weights (lbrl's reading, see "
                             "lbrl.losses.metric.clusternet_autoencoder) and its convolutional autoencoder (an MLP "
                             "one here); the pairwise-plus-k-means mechanism on real digits is tested.")
  if variant == "paper":
    common.paper_run(c, data="mnist", batch=256, epochs=50, devices=1,
                     model=dict(name="embedding_net", trunk="cnn", channels=(32, 64, 128), embed_dim=10,
                                num_classes=10, decoder=(256, 256)),
                     loss=dict(name="clusternet_autoencoder", reconstruction_weight=1.0, kmeans_weight=1.0,
                               pair_weight=1.0, margin=2.0),
                     optimizer=dict(name="adam", learning_rate=1e-3),
                     transforms=[dict(name="hide_labels", fraction=0.05)])
    c.post_training = [dict(name="retrieval", split="train[90%:]", on="eval")]
  return common.finalize(c)
