"""Ranking and retrieval metrics per list (JAX, on device): ``fn(scores [Q, L], relevance [Q, L], *, where=None) -> [Q]``.

* :func:`ndcg_at_k`, :func:`mrr`, :func:`recall_at_k`: rax's metrics (``rax.ndcg_metric``,
  ``rax.mrr_metric``, ``rax.recall_metric``) per list. ``gain="linear"`` uses the relevance itself as the
  gain (``sklearn.metrics.ndcg_score``'s convention), ``gain="exp"`` ``2^rel - 1`` (rax's default and the
  LTR convention of MSLR/NeuralNDCG); discount ``1 / log2(rank + 1)``. Ties are broken by item order.
* :func:`auc`: per list, the fraction of (positive, negative) pairs with the positive scored higher, ties
  counted 1/2 (the Mann-Whitney form of ROC AUC, equal to ``sklearn.metrics.roc_auc_score``); lists without
  both classes give NaN.
* :func:`k_occurrence`, :func:`hubness_skewness`, :func:`hub_occupancy`: hubness of a retrieval similarity
  ``[Q, G]`` (queries x gallery). ``N_k(g)`` counts the queries whose top-``k`` contains gallery item ``g``
  (Radovanovic et al., "Hubs in Space", JMLR 2010); the skewness of ``N_k`` is the usual hubness score;
  hub occupancy is the fraction of all ``Q k`` top-``k`` slots taken by the ``hub_fraction`` (default 1%)
  gallery items with the largest ``N_k`` (as used to show hubs in Balance Act, Wang et al., EMNLP 2023,
  arXiv:2310.11612, slug ``balance_act``).
* :func:`querybank_normalize`: the inverted-softmax normalisation of retrieval scores with a bank of
  queries (``sim'(q, g) = exp(beta sim(q, g)) / sum_{b in bank} exp(beta sim(b, g))``; Bogolin et al.,
  "Cross Modal Retrieval with Querybank Normalisation", CVPR 2022, arXiv:2112.12777), the query-bank half of
  Balance Act's dual-bank normalisation (lbrl does not implement the gallery-bank half).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import rax

def _check(scores, relevance, where):
  scores, relevance = jnp.asarray(scores, jnp.float32), jnp.asarray(relevance, jnp.float32)
  if scores.ndim != 2 or relevance.shape != scores.shape:
    raise ValueError(f"scores and relevance must both be [Q, L], got {scores.shape} and {relevance.shape}")
  where = jnp.ones(scores.shape, bool) if where is None else jnp.asarray(where, bool)
  if where.shape != scores.shape:
    raise ValueError(f"where must have scores' shape {scores.shape}, got {where.shape}")
  return scores, relevance, where


def _topn(k):
  if k is not None and int(k) < 1:
    raise ValueError(f"k must be a positive integer or None, got {k}")
  return None if k is None else int(k)


def ndcg_at_k(scores, relevance, *, where=None, k: int | None = None, gain: str = "exp"):
  """NDCG@k per list (rax.ndcg_metric); lists with no relevant item give 0."""
  s, rel, where = _check(scores, relevance, where)
  if gain not in ("exp", "linear"):
    raise ValueError(f"gain must be 'exp' or 'linear', got {gain!r}")
  kw = {} if gain == "exp" else {"gain_fn": lambda r: r}
  return rax.ndcg_metric(s, rel, where=where, topn=_topn(k), reduce_fn=None, **kw)


def mrr(scores, relevance, *, where=None, k: int | None = None):
  """Reciprocal rank of the first relevant item (rax.mrr_metric), 0 if none is in the top ``k``."""
  s, rel, where = _check(scores, relevance, where)
  return rax.mrr_metric(s, rel, where=where, topn=_topn(k), reduce_fn=None)


def recall_at_k(scores, relevance, *, where=None, k: int = 10):
  """Fraction of a list's relevant items ranked in its top ``k`` (rax.recall_metric)."""
  s, rel, where = _check(scores, relevance, where)
  return rax.recall_metric(s, rel, where=where, topn=_topn(k), reduce_fn=None)


def auc(scores, relevance, *, where=None):
  """Per-list ROC AUC: ``P(s_pos > s_neg) + P(s_pos = s_neg) / 2`` over the list's pairs (relevance > 0 is
  positive); NaN for a list without both classes."""
  s, rel, where = _check(scores, relevance, where)
  pos, neg = where & (rel > 0), where & (rel <= 0)
  diff = s[:, :, None] - s[:, None, :]
  pair = pos[:, :, None] & neg[:, None, :]
  wins = jnp.where(diff > 0, 1.0, jnp.where(diff == 0, 0.5, 0.0))
  n = jnp.sum(pair, (1, 2))
  return jnp.where(n > 0, jnp.sum(jnp.where(pair, wins, 0.0), (1, 2)) / jnp.maximum(n, 1), jnp.nan)


def k_occurrence(similarity, *, k: int = 10):
  """``N_k [G]``: how many queries (rows of ``similarity [Q, G]``) have gallery item ``g`` in their top ``k``."""
  sim = jnp.asarray(similarity, jnp.float32)
  if sim.ndim != 2 or not 1 <= int(k) <= sim.shape[1]:
    raise ValueError(f"similarity must be [Q, G] and 1 <= k <= G, got {sim.shape} and k={k}")
  _, top = jax.lax.top_k(sim, int(k))
  return jnp.zeros(sim.shape[1], jnp.float32).at[top.reshape(-1)].add(1.0)


def hubness_skewness(similarity, *, k: int = 10):
  """Skewness ``E[(N_k - mu)^3] / sigma^3`` of the k-occurrence distribution (0 when ``N_k`` is constant)."""
  n = k_occurrence(similarity, k=k)
  c = n - jnp.mean(n)
  sd = jnp.sqrt(jnp.mean(c ** 2))
  return jnp.where(sd > 0, jnp.mean(c ** 3) / jnp.where(sd > 0, sd, 1.0) ** 3, 0.0)


def hub_occupancy(similarity, *, k: int = 10, hub_fraction: float = 0.01):
  """Fraction of the ``Q k`` top-``k`` slots held by the ``max(1, round(hub_fraction G))`` most frequent items."""
  if not 0 < hub_fraction <= 1:
    raise ValueError(f"hub_fraction must be in (0, 1], got {hub_fraction}")
  n = k_occurrence(similarity, k=k)
  m = max(1, round(hub_fraction * n.shape[0]))
  return jnp.sum(jax.lax.top_k(n, m)[0]) / jnp.sum(n)


def querybank_normalize(similarity, bank_similarity, *, beta: float = 20.0):
  """Inverted softmax over a query bank: ``log`` of ``exp(beta sim(q, g)) / sum_b exp(beta sim(b, g))``
  (monotone per gallery column, so the log is returned for ranking); ``bank_similarity [B, G]`` holds the
  bank queries' similarities to the same gallery."""
  sim, bank = jnp.asarray(similarity, jnp.float32), jnp.asarray(bank_similarity, jnp.float32)
  if sim.ndim != 2 or bank.ndim != 2 or sim.shape[1] != bank.shape[1]:
    raise ValueError(f"similarity [Q, G] and bank_similarity [B, G] must share G, got {sim.shape} and {bank.shape}")
  return beta * sim - jax.nn.logsumexp(beta * bank, axis=0)[None, :]
