"""Metric learning (issue 15, family MET): pair losses over embeddings, proxy / margin losses over
(features, class proxies), embedding models, retrieval metrics and the held-out-class datasets."""
from lbrl.registry import DATASETS, LOSSES, METRICS, MODELS, POST_TRAINING, TRANSFORMS

_L = "lbrl.losses.metric:"
# Pair losses: the global batch's pairs (batch-wide), over embeddings [B, D].
for _name in ("multi_similarity", "circle_loss", "triplet_loss", "contrastive_loss", "supervised_contrastive",
              "orthogonal_projection", "proto_triplet", "icnn_loss", "prototypical_loss", "proto_triplet_icnn"):
  LOSSES.declare(_name, _L + _name, consumes="embeddings", batch_wide=True)
# Proxy / margin losses over (features [B, D], proxies [C, D]); UNPG and OPL also couple the batch's pairs.
for _name, _wide in (("normalized_softmax", False), ("cosface", False), ("arcface", False), ("adaface", True),
                     ("unpg", True), ("ce_orthogonal_projection", True), ("mean_field_contrastive", False),
                     ("mean_field_class_wise_multi_similarity", True), ("madacos", True),
                     ("clusternet", True), ("daal", False)):
  LOSSES.declare(_name, _L + _name, consumes="hidden_unembedding", batch_wide=_wide)
# ClusterNet in an autoencoder's latent space: (cosine logits, (latent, centres, reconstruction error)).
LOSSES.declare("clusternet_autoencoder", _L + "clusternet_autoencoder", consumes="logits_aux", batch_wide=True)
# Metrix: the mixed pairs are drawn from the step's key.
LOSSES.declare("metrix", _L + "metrix", consumes="embeddings", batch_wide=True, needs=("rng",))

MODELS.declare("embedding_net", "lbrl.models.metric:EmbeddingNet",
               outputs=("logits", "embeddings", "hidden_unembedding", "logits_aux"))

DATASETS.declare("held_out_classes", "lbrl.data.metric_transforms:load_held_out")
TRANSFORMS.declare("hide_labels", "lbrl.data.metric_transforms:hide_labels")

# Retrieval metrics: the per-example statistic is the embedding; a host reduction (lbrl.evaluation.retrieval).
for _name in ("recall_at_1", "recall_at_4", "map_at_r", "r_precision", "knn_accuracy", "ncm_accuracy", "nmi"):
  METRICS.declare(_name, "lbrl.evaluation.retrieval:embedding_stats",
                  reduce=f"lbrl.evaluation.retrieval:reduce_{_name}")

# Retrieval metrics of the trained embeddings as final metrics post/retrieval/... (a post-training stage).
POST_TRAINING.declare("retrieval", "lbrl.evaluation.retrieval:retrieval_stage")
