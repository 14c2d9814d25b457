"""Zoo models of the papers' own runs (helper "zoo-paper"): the face-recognition IResNets of ArcFace /
AdaFace / UNPG (lbrl.models.iresnet) and allRank's context-aware list scorer (lbrl.models.list_transformer)."""
from lbrl.registry import MODELS

_FACE = dict(outputs=("logits", "embeddings", "hidden_unembedding"))
MODELS.declare("iresnet", "lbrl.models.iresnet:IResNet", **_FACE)
MODELS.declare("iresnet100", "lbrl.models.iresnet:IResNet100", **_FACE)
MODELS.declare("ir101", "lbrl.models.iresnet:IR101", **_FACE)
MODELS.declare("list_transformer", "lbrl.models.list_transformer:ListTransformer", outputs=("scores_groups",))
