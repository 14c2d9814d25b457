"""The ranking family's shared CPU protocol for implicit-feedback collaborative filtering (issue 20: PSL, SimpleX).

One function sets what the recommendation configs share, so their numbers are comparable:

* data: ``implicit_feedback`` (:mod:`lbrl.data.builders.implicit_feedback`: 943 users, 1,682 items, ~80k
  training interactions; smoke: 30 users x 60 items); each row ``(user, item)`` with ``num_negatives``
  sampled items after it;
* model: :class:`lbrl.models.ranking.CFScorer`, MF with 64-dim embeddings and cosine scores, N(0, 1) initial
  embeddings (PyTorch's ``nn.Embedding`` default, which the papers' released code keeps); at cpu the
  negatives are drawn once per step and shared by the batch's rows (``shared_negatives``), in the paper
  variant per row;
* evaluation: Recall@20 and NDCG@20 over all items with each user's training items masked (the analysis tool
  ``topk_recommendation`` on the trained model);
* the MF-BPR baseline (:func:`bpr_arm`): ``softplus(f_uj - f_ui)`` on dot-product scores with one negative per
  row and Xavier-normal embeddings (IR-Benchmark's ``BPROptimizer``, Tiny-Snow/IR-Benchmark).

Usage in a config: ``implicit_protocol.implicit_mf(c, variant, loss=..., negatives=..., batch=..., steps=...)``.
"""
from __future__ import annotations

from lbrl import config as common

SMOKE_DATA = dict(num_users=30, num_items=60, mean_interactions=12, min_interactions=5)
USERS, ITEMS = 943, 1682   # the builder's defaults (MovieLens-100k scale)


def _mf(variant: str) -> dict:
  small = variant == "smoke"
  return dict(name="cf_scorer", num_users=SMOKE_DATA["num_users"] if small else USERS,
              num_items=SMOKE_DATA["num_items"] if small else ITEMS, dim=8 if small else 64)


def implicit_mf(c, variant: str, *, loss: dict, negatives: dict, batch: int, steps: dict,
                learning_rate: float = 1e-2):
  """Fills ``c`` (from ``common.base``) with the protocol above; ``negatives`` and ``steps`` are per variant
  (``{"cpu": ..., "paper": ...}``; smoke uses 4 negatives and 3 steps). Returns ``c``."""
  k = common.by_variant(variant, smoke=4, cpu=int(negatives["cpu"]), paper=int(negatives["paper"]))
  c.data.update(name="implicit_feedback", batch_size=common.by_variant(variant, smoke=8, cpu=batch, paper=batch),
                eval_batch_size=common.by_variant(variant, smoke=16, cpu=2048, paper=2048), check_labels=False)
  c.data.options = common.free(num_negatives=k, **(SMOKE_DATA if variant == "smoke" else {}))
  c.model = common.free(**_mf(variant), num_negatives=k, score="cosine", scale=1.0,
                        shared_negatives=variant != "paper", embed_init="normal")
  c.loss = common.free(**loss)
  c.optimizer = common.free(name="adam", learning_rate=float(learning_rate))
  n = common.by_variant(variant, smoke=3, cpu=int(steps["cpu"]), paper=int(steps["paper"]))
  c.steps = n
  c.log_every = max(1, n // 2) if variant != "paper" else max(1, n // 10)
  c.eval_metrics = ["loss"]
  # Recall/NDCG over all items need every user's training items masked: an analysis tool on the trained model
  # (it reads the training and evaluation splits itself; its batch is unused).
  c.sweep.kind = "analysis"
  c.analysis = dict(tool="topk_recommendation", kwargs=dict(k=20), split="eval", batch_size=8, at="final")
  return c


def bpr_arm(variant: str) -> dict:
  """The MF-BPR arm's overrides (see the module docstring)."""
  model = dict(_mf(variant), num_negatives=1, score="dot", scale=1.0, shared_negatives=False, embed_init="xavier")
  return {"loss": {"name": "rax_pairwise_logistic"}, "model": model, "data": {"options": {"num_negatives": 1}}}
