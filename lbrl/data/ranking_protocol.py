"""The ranking family's shared CPU protocol for learning-to-rank claims (issue 20).

One function sets what the ranking configs share, so their numbers are comparable and a change of protocol
happens in one place:

* data: ``ranking_lists`` (:mod:`lbrl.data.builders.generated`: 2,000 training and 500 test lists of 30
  items, 16 features, a hidden non-linear scorer plus noise cut into relevance grades 0..4 at its
  quantiles 50/75/90/97%); a loss that reads binary relevance treats grades >= 1 as relevant;
* model: :class:`lbrl.models.ranking.ListScorer`, a per-item MLP 16-64-64-1 (smoke: 8 wide);
* optimizer: Adam 1e-3, 32 lists per batch, ``steps`` (cpu) / 3 (smoke), constant rate;
* evaluation: NDCG@10 (exponential gain, the LTR convention), full-list NDCG and MRR per test list.

Usage in a config: ``ranking_protocol.ranking_lists(c, variant, loss=dict(name="neural_ndcg"))``.
"""
from __future__ import annotations

from lbrl import config as common

DATA = dict(num_train=2000, num_test=500, list_size=30, num_features=16, noise=0.5)


def ranking_lists(c, variant: str, *, loss: dict, steps: int = 1500, batch: int = 32, hidden=(64, 64),
                  learning_rate: float = 1e-3):
  """Fills ``c`` (from ``common.base``) with the protocol above; returns ``c``."""
  c.data.update(name="ranking_lists", batch_size=common.by_variant(variant, smoke=8, cpu=batch, paper=batch),
                eval_batch_size=common.by_variant(variant, smoke=20, cpu=500, paper=500))
  c.data.options = common.free(**common.by_variant(variant, smoke=dict(DATA, num_train=40, num_test=20),
                                                   cpu=DATA, paper=DATA))
  c.model = common.free(name="list_scorer", hidden=common.by_variant(variant, smoke=(8,), cpu=tuple(hidden),
                                                                     paper=tuple(hidden)))
  c.loss = common.free(**loss)
  c.optimizer = common.free(name="adam", learning_rate=float(learning_rate))
  c.steps = common.by_variant(variant, smoke=3, cpu=int(steps), paper=int(steps))
  c.log_every = common.by_variant(variant, smoke=1, cpu=max(1, int(steps) // 5), paper=max(1, int(steps) // 5))
  c.eval_metrics = ["loss", "ndcg@10", "ndcg", "mrr"]
  return c
