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
  ``num_classes`` is accepted and ignored."""
  num_users: int
  num_items: int
  dim: int = 64
  num_negatives: int = 100
  score: str = "cosine"
  scale: float = 1.0
  num_classes: int | None = None

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    if self.score not in ("cosine", "dot"):
      raise ValueError(f"CFScorer: score must be 'cosine' or 'dot', got {self.score!r}")
    if self.num_users < 1 or self.num_items < 1 or self.num_negatives < 1 or self.dim < 1:
      raise ValueError("CFScorer: num_users, num_items, num_negatives and dim must be positive, got "
                       f"{self.num_users}, {self.num_items}, {self.num_negatives}, {self.dim}")
    if x.ndim != 2 or x.shape[-1] not in (1, 2):
      raise ValueError(f"CFScorer: x must be [batch, 2] (user, item) or [batch, 1] (user), got shape {x.shape}")
    x = x.astype(jnp.int32)
    users = nn.Embed(self.num_users, self.dim, name="user")(x[:, 0])            # [B, D]
    item_table = nn.Embed(self.num_items, self.dim, name="item")
    if x.shape[-1] == 1:
      items = item_table.embedding                                               # [I, D]
    else:
      key = self.make_rng("dropout") if train and self.has_rng("dropout") else jax.random.key(0)
      neg = jax.random.randint(key, (x.shape[0], self.num_negatives), 0, self.num_items)
      items = item_table(jnp.concatenate([x[:, 1:2], neg], 1))                   # [B, 1 + K, D]
    if self.score == "cosine":
      users = users / jnp.maximum(jnp.linalg.norm(users, axis=-1, keepdims=True), 1e-12)
      items = items / jnp.maximum(jnp.linalg.norm(items, axis=-1, keepdims=True), 1e-12)
    return self.scale * jnp.einsum("bd,id->bi" if items.ndim == 2 else "bd,bld->bl", users, items)
