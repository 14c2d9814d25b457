"""Contrastive and self-supervised learning (catalog family CON, issue 16): losses on embeddings, the SSL
network, the linear-probe/kNN post-training stage."""
from lbrl.registry import DATASETS, LOSSES, MODELS, POST_TRAINING, TRANSFORMS

_C = "lbrl.losses.contrastive:"
# Losses on [B, views, D] embeddings; every negative-using one couples the batch.
LOSSES.declare("ntxent", _C + "ntxent", consumes="embeddings", batch_wide=True)
LOSSES.declare("dcl", _C + "dcl", consumes="embeddings", batch_wide=True)
LOSSES.declare("siglip", _C + "siglip", consumes="embeddings", batch_wide=True)
LOSSES.declare("clip", _C + "clip", consumes="embeddings", batch_wide=True)
LOSSES.declare("i_con", _C + "i_con", consumes="embeddings", batch_wide=True)
LOSSES.declare("i_con_cluster", _C + "i_con_cluster", consumes="embeddings", batch_wide=True)
LOSSES.declare("dispersive", _C + "dispersive", consumes="embeddings", batch_wide=True)
LOSSES.declare("macl", _C + "macl", consumes="embeddings", batch_wide=True)
LOSSES.declare("byol", _C + "byol", consumes="embeddings", needs=("target_outputs",))
# DEXML: scores [B, L] of a dual encoder against multi-hot targets (per query).
LOSSES.declare("decoupled_softmax", _C + "decoupled_softmax")

MODELS.declare("ssl_net", "lbrl.models.ssl:SSLNet", outputs=("embeddings",))

POST_TRAINING.declare("ssl_probe", "lbrl.evaluation.ssl:ssl_probe")
# iSogCLR: per-sample temperatures and moving averages kept per training example.
LOSSES.declare("isogclr", _C + "isogclr", consumes="embeddings", batch_wide=True, needs=("example_state",),
               example_state=_C + "isogclr_state")
POST_TRAINING.declare("temperature_by_class", "lbrl.evaluation.ssl:temperature_by_class")
# Second pass (issue 16): the remaining CON papers.
LOSSES.declare("sy_con", _C + "sy_con", consumes="embeddings", batch_wide=True, needs=("teacher_outputs",))
LOSSES.declare("radical", _C + "radical", consumes="embeddings", batch_wide=True, needs=("teacher_outputs",))
LOSSES.declare("secla", _C + "secla", consumes="embeddings", batch_wide=True)
LOSSES.declare("byol_ccsl", _C + "byol_ccsl", consumes="embeddings", batch_wide=True, needs=("target_outputs",))
LOSSES.declare("hpm", _C + "hpm", consumes="embeddings")
MODELS.declare("hard_patches_mae", "lbrl.models.ssl_mim:HardPatchesMAE", outputs=("embeddings",))
TRANSFORMS.declare("pseudo_labels", "lbrl.data.ssl_gsimclr:pseudo_labels")
LOSSES.declare("scatsimclr", _C + "scatsimclr", consumes="embeddings", batch_wide=True)
MODELS.declare("scatsimclr_net", "lbrl.models.ssl_scatter:ScatSimCLR", outputs=("embeddings",))
TRANSFORMS.declare("class_task", "lbrl.data.ssl_tasks:class_task")
DATASETS.declare("mnist1d_radar", "lbrl.data.ssl_multimodal:load")
LOSSES.declare("multilabel_softmax", _C + "multilabel_softmax")
POST_TRAINING.declare("multilabel_precision", "lbrl.evaluation.ssl:multilabel_precision")
MODELS.declare("label_dual_encoder", "lbrl.models.dual_encoder:LabelDualEncoder", outputs=("logits",))
DATASETS.declare("mnist1d_multilabel", "lbrl.data.ssl_multilabel:load")
LOSSES.declare("diffusion_dispersive", _C + "diffusion_dispersive", consumes="embeddings", batch_wide=True)
MODELS.declare("dispersive_denoiser", "lbrl.models.ssl_diffusion:DispersiveDenoiser", outputs=("embeddings",))
POST_TRAINING.declare("diffusion_quality", "lbrl.evaluation.ssl:diffusion_quality")
DATASETS.declare("face_name_bags", "lbrl.data.ssl_faces:load")
MODELS.declare("face_name_towers", "lbrl.models.ssl_faces:FaceNameTowers", outputs=("embeddings",))
POST_TRAINING.declare("face_naming", "lbrl.evaluation.ssl:face_naming")
LOSSES.declare("cribo", _C + "cribo", consumes="embeddings", batch_wide=True, needs=("target_outputs",))
MODELS.declare("object_ssl_net", "lbrl.models.ssl_objects:ObjectSSLNet", outputs=("embeddings",))
LOSSES.declare("latent_bootstrap", _C + "latent_bootstrap", consumes="embeddings", needs=("target_outputs",))
MODELS.declare("latent_bootstrap_encoder", "lbrl.models.ssl_text:LatentBootstrapEncoder", outputs=("embeddings",))
POST_TRAINING.declare("masked_token_probe", "lbrl.evaluation.ssl:masked_token_probe")
DATASETS.declare("tiny_shakespeare_sliced", "lbrl.data.ssl_multimodal:load_char_windows")
