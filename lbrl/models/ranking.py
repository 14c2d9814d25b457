"""Scoring models for learning to rank: one score per item of each query's list.

:class:`ListScorer` maps item features ``x [Q, L, F]`` to scores ``[Q, L]`` with an MLP shared across
items (the pointwise scoring function of the LTR literature: a list-wise *loss* such as NeuralNDCG,
ListMLE or softmax cross-entropy, not the architecture, couples the items; e.g. Pobrotyn & Bialobrzeski,
"NeuralNDCG", 2021, arXiv:2102.07831, train an MLP/Transformer scorer under it). Its output kind is
``scores_groups`` (:data:`lbrl.registry.INPUT_KINDS`); the trainer evaluates grouped metrics (NDCG@k,
MRR) per list on it.
"""
from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp


class ListScorer(nn.Module):
  """``x [Q, L, F] -> scores [Q, L]``: ``hidden`` ReLU layers then a linear score, per item.
  ``num_classes`` is accepted and ignored (the trainer passes the dataset's, a list has none)."""
  hidden: Sequence[int] = (64, 64)
  num_classes: int | None = None

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    if x.ndim != 3:
      raise ValueError(f"ListScorer: x must be [queries, list_size, features], got shape {x.shape}")
    h = x.astype(jnp.float32)
    for width in self.hidden:
      h = nn.relu(nn.Dense(width)(h))
    return nn.Dense(1)(h)[..., 0]


class CFScorer(nn.Module):
  """Matrix factorisation with sampled negatives: ``x [B, 2] = (user, item) -> scores [B, 1 + num_negatives]``
  (column 0 the row's item, then ``num_negatives`` items drawn uniformly from all items: a fresh draw per
  step from the ``dropout`` rng when training, a fixed draw otherwise); ``x [B, 1] = (user,) -> scores
  [B, num_items]`` against every item (for top-k evaluation).

  ``score="cosine"``: ``scale * cos(e_u, e_i)`` (SimpleX's scores; ``scale = 1`` for CCL, ``1 / temperature``
  for a sampled softmax); ``score="dot"``: ``scale * e_u . e_i`` (classic MF). As in SimpleX's released code,
  negatives are not filtered against the user's known items (a rare collision is a false negative).

  ``shared_negatives=True``: one uniform draw of ``num_negatives`` items per step serves every row of the batch
  (each row's negatives are still a uniform sample of the items; rows are correlated within a step), so the
  negative scores are one ``[B, D] x [D, K]`` product instead of a ``[B, K, D]`` gather: lbrl's choice for
  CPU-sized runs with many negatives (the IR-Benchmark code of PSL draws per row, excluding the user's items).
  ``embed_init``: the embedding tables' initialiser: ``"flax"`` (``nn.Embed``'s default, ``N(0, 1 / dim)``),
  ``"normal"`` (``N(0, 1)``: PyTorch's ``nn.Embedding`` default, which the IR-Benchmark MF keeps for the
  cosine losses) or ``"xavier"`` (Xavier-normal, ``N(0, 2 / (rows + dim))``: IR-Benchmark's BPR).
  ``num_classes`` is accepted and ignored."""
  num_users: int
  num_items: int
  dim: int = 64
  num_negatives: int = 100
  score: str = "cosine"
  scale: float = 1.0
  shared_negatives: bool = False
  embed_init: str = "flax"
  num_classes: int | None = None

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    if self.embed_init not in _EMBED_INITS:
      raise ValueError(f"CFScorer: embed_init must be one of {sorted(_EMBED_INITS)}, got {self.embed_init!r}")
    if self.score not in ("cosine", "dot"):
      raise ValueError(f"CFScorer: score must be 'cosine' or 'dot', got {self.score!r}")
    if self.num_users < 1 or self.num_items < 1 or self.num_negatives < 1 or self.dim < 1:
      raise ValueError("CFScorer: num_users, num_items, num_negatives and dim must be positive, got "
                       f"{self.num_users}, {self.num_items}, {self.num_negatives}, {self.dim}")
    if x.ndim != 2 or x.shape[-1] not in (1, 2):
      raise ValueError(f"CFScorer: x must be [batch, 2] (user, item) or [batch, 1] (user), got shape {x.shape}")
    x = x.astype(jnp.int32)
    init = _EMBED_INITS[self.embed_init]
    users = nn.Embed(self.num_users, self.dim, name="user", embedding_init=init)(x[:, 0])   # [B, D]
    item_table = nn.Embed(self.num_items, self.dim, name="item", embedding_init=init)
    norm = self.score == "cosine"
    users = _unit(users) if norm else users
    if x.shape[-1] == 1:
      items = item_table.embedding                                               # [I, D]
      return self.scale * users @ (_unit(items) if norm else items).T
    key = self.make_rng("dropout") if train and self.has_rng("dropout") else jax.random.key(0)
    shape = (self.num_negatives,) if self.shared_negatives else (x.shape[0], self.num_negatives)
    neg = item_table(jax.random.randint(key, shape, 0, self.num_items))        # [K, D] or [B, K, D]
    pos = item_table(x[:, 1])                                                    # [B, D]
    pos, neg = (_unit(pos), _unit(neg)) if norm else (pos, neg)
    neg_scores = users @ neg.T if self.shared_negatives else jnp.einsum("bd,bkd->bk", users, neg)
    return self.scale * jnp.concatenate([jnp.sum(users * pos, -1, keepdims=True), neg_scores], 1)


def _unit(v):
  return v / jnp.maximum(jnp.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


_EMBED_INITS = {"flax": nn.Embed.__dataclass_fields__["embedding_init"].default,
                "normal": jax.nn.initializers.normal(1.0),
                "xavier": jax.nn.initializers.variance_scaling(1.0, "fan_avg", "normal")}
