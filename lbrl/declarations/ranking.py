"""Ranking family (issue 20): losses over lists of scores (lbrl.losses.ranking, ``consumes="scores_groups"``:
``scores [Q, L]``, ``relevance [Q, L]``, ``where``), rax baselines per list. The metrics (NDCG@k, MRR, recall@k,
AUC, hubness) are functions in lbrl.evaluation.ranking over ``[Q, L]`` scores. Implicit feedback (SimpleX): the
synthetic user-item set, the MF scorer with sampled negatives and the all-item top-k evaluation tool."""
from lbrl.registry import ANALYSIS_TOOLS, DATASETS, LOSSES, METRICS, MODELS

for _name in ("neural_ndcg", "neural_ndcg_transposed", "simplex_ccl", "psl", "rax_softmax", "rax_listmle",
              "rax_pairwise_logistic"):
  LOSSES.declare(_name, f"lbrl.losses.ranking:{_name}", consumes="scores_groups")

ANALYSIS_TOOLS.declare("hubness_simulation", "lbrl.analysis.hubness:hubness_simulation")
LOSSES.declare("mw_auc", "lbrl.losses.ranking:mw_auc", consumes="scores_groups", batch_wide=True)
LOSSES.declare("macro_auc_loss", "lbrl.losses.ranking:macro_auc_loss", batch_wide=True)
for _name, _reduce in (("global_auc", "reduce_global_auc"), ("list_auc", "reduce_list_auc")):
  METRICS.declare(_name, "lbrl.evaluation.ranking:auc_stats", inputs="scores_groups",
                  reduce=f"lbrl.evaluation.ranking:{_reduce}")
ANALYSIS_TOOLS.declare("multilabel_auc", "lbrl.evaluation.ranking:multilabel_auc")
DATASETS.declare("multilabel", "lbrl.data.builders.ranking:load_multilabel")
DATASETS.declare("implicit_feedback", "lbrl.data.builders.implicit_feedback:load")
MODELS.declare("cf_scorer", "lbrl.models.ranking:CFScorer", outputs=("scores_groups",))
ANALYSIS_TOOLS.declare("topk_recommendation", "lbrl.evaluation.ranking:topk_recommendation")
