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
