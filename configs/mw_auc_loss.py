"""MW loss (Sheikholeslami, Hosseini, Bechard, Daruru & Rajeswar, "Optimizing What Matters: AUC-Driven Learning
for Robust Neural Retrieval", 2025, arXiv:2510.00137): binary cross-entropy over positive-negative score
differences, pairing every positive of the batch with every negative of the batch (the Mann-Whitney U
statistic, i.e. AUC), instead of the contrastive loss's per-query softmax, which is blind to how scores
compare across queries.

Claim: MW-trained retrievers beat contrastive training on AUC (scores comparable across queries) and on
standard retrieval metrics.
cpu:   the ranking family's protocol (lbrl.data.ranking_protocol: synthetic graded lists of 30 items,
       per-item MLP, Adam 1e-3, batch 32 lists, 1,500 steps; relevance grade >= 1 is a positive for MW),
       5 seeds: MW over the batch (scale 1) against the softmax cross-entropy over each list
       (rax.softmax_loss, the multi-positive contrastive loss) and MW restricted to pairs within a list.
       Eval: global AUC (all test items pooled across lists, one threshold), mean per-list AUC, NDCG@10.
       Rules fixed before the run: MW > softmax on global AUC (margin 0.005); MW not worse than softmax on
       NDCG@10 (margin 0.01); MW over the batch > MW within lists on global AUC (margin 0).
paper: dual encoders fine-tuned from pretrained text encoders on MS MARCO / NQ with in-batch and hard
       negatives; the paper reports AUC and retrieval metrics above contrastive training (no single number
       in the catalog). The paper's data and encoders are not available offline; the paper variant runs the
       protocol at a larger batch (the cross-query pairs grow with the batch).
"""
from lbrl import config as common
from lbrl.data import ranking_protocol


def get_config(arg=None):
  c, variant = common.base(arg)
  ranking_protocol.ranking_lists(c, variant, loss=dict(name="mw_auc", scale=1.0, scope="batch"))
  c.eval_metrics = list(c.eval_metrics) + ["global_auc", "list_auc"]
  c.paper.update(
      title="Optimizing What Matters: AUC-Driven Learning for Robust Neural Retrieval", year=2025,
      arxiv="2510.00137", slug="mw_auc_loss", provides="function", code="lbrl.losses.ranking.mw_auc",
      claim="the MW loss beats contrastive training on AUC and on standard retrieval metrics",
      expected="higher AUC and retrieval metrics than contrastive training (no numbers in the catalog)",
      setting="dual-encoder retrievers (MS MARCO, NQ, BEIR-style evaluation), in-batch and hard negatives",
      hardware="GPUs (paper)")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.metric = "eval/global_auc"
  c.sweep.arms = {"mw": {}, "softmax": {"loss": {"name": "rax_softmax"}},
                  "mw_list": {"loss": {"name": "mw_auc", "scale": 1.0, "scope": "list"}}}
  c.sweep.rules = [
      {"arm": "mw", "op": ">", "than": "softmax", "margin": 0.005},
      {"arm": "mw", "op": "not_worse", "than": "softmax", "metric": "eval/ndcg@10", "margin": 0.01},
      {"arm": "mw", "op": ">", "than": "mw_list", "margin": 0.0},
  ]
  c.sweep.partly_testable = ("synthetic graded lists and an MLP scorer stand in for text dual encoders on MS MARCO; "
                             "the paper's RAG-downstream claims are not tested")
  if variant == "paper":
    c.data.batch_size = 256
    common.cpu_sized(c, "not CPU-sized: the paper fine-tunes pretrained text dual encoders on MS MARCO / NQ, "
                        "and lbrl has no pretrained text encoder; the protocol at batch 256 lists stands in")
  return common.finalize(c)
