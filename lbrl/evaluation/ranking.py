"""Ranking and retrieval metrics per list (JAX, on device): ``fn(scores [Q, L], relevance [Q, L], *, where=None) -> [Q]``.

* :func:`ndcg_at_k`, :func:`mrr`, :func:`recall_at_k`: rax's metrics (``rax.ndcg_metric``,
  ``rax.mrr_metric``, ``rax.recall_metric``) per list. ``gain="linear"`` uses the relevance itself as the
  gain (``sklearn.metrics.ndcg_score``'s convention), ``gain="exp"`` ``2^rel - 1`` (rax's default and the
  LTR convention of MSLR/NeuralNDCG); discount ``1 / log2(rank + 1)``. Ties are broken by item order.
* :func:`auc`: per list, the fraction of (positive, negative) pairs with the positive scored higher, ties
  counted 1/2 (the Mann-Whitney form of ROC AUC, equal to ``sklearn.metrics.roc_auc_score``); lists without
  both classes give NaN.
* :func:`auc_stats` with :func:`reduce_global_auc` / :func:`reduce_list_auc`: eval metrics (declared as
  ``global_auc`` and ``list_auc``) over grouped scores: every item's score, relevance and mask go to the
  host, where ``global_auc`` is the ROC AUC of all evaluated items pooled across queries (one threshold for
  every query: the retrieval calibration the MW loss paper measures) and ``list_auc`` the mean of the
  per-list AUCs over the lists with both classes.
* :func:`macro_auc` and :func:`multilabel_auc` (the analysis tool ``multilabel_auc``; the trainer's eval
  metrics see integer labels only): over ``scores [N, K]`` and multi-hot labels, the mean over labels of
  each label's ROC AUC across the examples (labels without both classes left out;
  ``sklearn.metrics.roc_auc_score(average="macro")``), and the AUC of the rarest label.
* :func:`topk_recommendation` (the analysis tool ``topk_recommendation``): implicit-feedback evaluation over
  all items (SimpleX, Mao et al., CIKM 2021, arXiv:2109.12613, slug ``simplex``, and the usual CF protocol):
  every user's items of the training split are masked out, the remaining items are ranked by the model's
  scores, and Recall@k (held-out items in the top ``k`` over the user's held-out items) and NDCG@k (binary
  gain, ideal DCG over ``min(#held-out, k)`` items) are averaged over the users with a held-out item; the
  per-user values come from :func:`recall_at_k` and :func:`ndcg_at_k` with ``where`` = not a training item.
* :func:`k_occurrence`, :func:`hubness_skewness`, :func:`hub_occupancy`: hubness of a retrieval similarity
  ``[Q, G]`` (queries x gallery). ``N_k(g)`` counts the queries whose top-``k`` contains gallery item ``g``
  (Radovanovic et al., "Hubs in Space", JMLR 2010); the skewness of ``N_k`` is the usual hubness score;
  hub occupancy is the fraction of all ``Q k`` top-``k`` slots taken by the ``hub_fraction`` (default 1%)
  gallery items with the largest ``N_k`` (as used to show hubs in Balance Act, Wang et al., EMNLP 2023,
  arXiv:2310.11612, slug ``balance_act``).
* :func:`querybank_normalize`: the inverted-softmax normalisation of retrieval scores with a bank of
  queries (``sim'(q, g) = exp(beta sim(q, g)) / sum_{b in bank} exp(beta sim(b, g))``; Bogolin et al.,
  "Cross Modal Retrieval with Querybank Normalisation", CVPR 2022, arXiv:2112.12777), the query-bank half of
  Balance Act's dual-bank normalisation; ``dynamic=True`` is QB-Norm's dynamic inverted softmax (only
  the queries whose top-1 item is in the bank's top-``k`` retrieved set are normalised).
* :func:`dual_bank_normalize`: Balance Act's DBNorm (Wang, Jian & Xue, "Balance Act: Mitigating Hubness in
  Cross-Modal Retrieval with Query and Gallery Banks", EMNLP 2023, arXiv:2310.11612, slug ``balance_act``):
  the dual inverted softmax multiplies the query-bank term by a gallery-bank term,
  ``DualIS(q, g) = exp(b1 s(q, g)) / sum_{q' in Qbank} exp(b1 s(q', g)) * exp(b2 s(q, g)) / sum_{g' in Gbank}
  exp(b2 s(g', g))`` (``s(g', g)``: the gallery bank's similarities to the gallery, the same modality), and
  ``dynamic=True`` gives the dual dynamic inverted softmax (DualDIS). Returned as a log (monotone, ranks
  unchanged). Defaults ``beta_query = 1/1.99``, ``beta_gallery = 3`` (the authors' ``db_norm``). lbrl's
  choices: the authors' released ``db_norm`` passes the gallery-bank similarities where the test queries'
  similarities belong in both terms (its test-query argument is unused); lbrl follows the paper's
  formula. In dynamic mode a row that is not normalised keeps ``b s(q, g)`` (the log of the unnormalised
  ``exp``), where the authors' code keeps the raw similarity, so that the two terms stay a product of
  positive numbers.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
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


def auc_stats(scores, relevance, where):
  """Per-list statistics for the host AUC reductions: ``{"score", "relevance", "where"}`` (each ``[Q, L]``)."""
  s, rel, where = _check(scores, relevance, where)
  return {"score": s, "relevance": rel, "where": where}


def _mann_whitney(score, positive) -> float:
  from scipy.stats import rankdata
  n_pos, n_neg = int(positive.sum()), int((~positive).sum())
  if n_pos == 0 or n_neg == 0:
    return float("nan")
  ranks = rankdata(score)                       # average ranks: ties count 1/2, as roc_auc_score
  return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def reduce_global_auc(stats) -> float:
  """ROC AUC of all evaluated items pooled over the lists (relevance > 0 positive)."""
  w = np.asarray(stats["where"], bool)
  return _mann_whitney(np.asarray(stats["score"], np.float64)[w], np.asarray(stats["relevance"])[w] > 0)


def reduce_list_auc(stats) -> float:
  """Mean per-list ROC AUC over the lists that have both a relevant and an irrelevant item."""
  vals = [_mann_whitney(np.asarray(s, np.float64)[w], np.asarray(r)[w] > 0)
          for s, r, w in zip(stats["score"], stats["relevance"], np.asarray(stats["where"], bool))]
  vals = [v for v in vals if v == v]
  return float(np.mean(vals)) if vals else float("nan")


def label_aucs(scores, labels):
  """``(per-label ROC AUC [K], positive rate [K])`` of ``scores [N, K]`` against multi-hot ``labels [N, K]``."""
  y = np.asarray(labels) > 0
  s = np.asarray(scores, np.float64)
  if y.ndim != 2 or y.shape != s.shape:
    raise ValueError(f"macro AUC needs multi-hot labels [N, K] shaped like the scores, got {y.shape}, {s.shape}")
  return np.array([_mann_whitney(s[:, k], y[:, k]) for k in range(y.shape[1])]), y.mean(0)


def macro_auc(scores, labels) -> float:
  """Mean over labels of the per-label ROC AUC (labels with both classes)."""
  aucs, _ = label_aucs(scores, labels)
  aucs = aucs[aucs == aucs]
  return float(aucs.mean()) if aucs.size else float("nan")


def multilabel_auc(ctx):
  """Analysis tool: Macro-AUC, the rarest label's AUC and each label's AUC of the model's scores on the
  context's batch (``c.analysis = dict(tool="multilabel_auc", split="eval", batch_size=<split size>)``)."""
  scores = np.asarray(ctx.apply(ctx.params, ctx.x, train=False), np.float64)
  aucs, rate = label_aucs(scores, ctx.labels)
  out = {"macro_auc": macro_auc(scores, ctx.labels), "min_label_auc": float(aucs[int(np.argmin(rate))])}
  out.update({f"auc_label{k}": float(a) for k, a in enumerate(aucs)})
  return out


def interaction_matrix(rows, num_users: int, num_items: int) -> np.ndarray:
  """``[U, I]`` bool: ``True`` where ``rows [N, 2] = (user, item)`` has the pair."""
  rows = np.asarray(rows)
  if rows.ndim != 2 or rows.shape[1] != 2:
    raise ValueError(f"rows must be [N, 2] (user, item) pairs, got shape {rows.shape}")
  if rows.size and (rows.min() < 0 or rows[:, 0].max() >= num_users or rows[:, 1].max() >= num_items):
    raise ValueError(f"rows: user ids must lie in [0, {num_users}) and item ids in [0, {num_items})")
  m = np.zeros((num_users, num_items), bool)
  m[rows[:, 0], rows[:, 1]] = True
  return m


def topk_per_user(scores, known, targets, *, k: int = 20) -> dict[str, np.ndarray]:
  """Per-user ``recall`` and ``ndcg`` at ``k`` of ``scores [U, I]`` with the ``known [U, I]`` items masked out,
  against ``targets [U, I]`` (bool), for the users with at least one target (see the module docstring)."""
  scores, known, targets = np.asarray(scores, np.float32), np.asarray(known, bool), np.asarray(targets, bool)
  if scores.ndim != 2 or known.shape != scores.shape or targets.shape != scores.shape:
    raise ValueError(f"scores, known and targets must all be [U, I], got {scores.shape}, {known.shape}, "
                     f"{targets.shape}")
  users = np.flatnonzero(targets.any(1))
  s, rel, where = scores[users], targets[users].astype(np.float32), ~known[users]
  return {"recall": np.asarray(recall_at_k(s, rel, where=where, k=k)),
          "ndcg": np.asarray(ndcg_at_k(s, rel, where=where, k=k, gain="linear")), "users": users}


def topk_recommendation(ctx, *, k: int = 20, batch_users: int = 1024):
  """Analysis tool: Recall@k and NDCG@k over all items of an implicit-feedback model (a model that maps
  ``x [B, 1] = (user,)`` to scores ``[B, num_items]``, e.g. :class:`lbrl.models.ranking.CFScorer`). Reads the
  config's training split (``data.split_train``: the masked items) and evaluation split (``data.split_eval``:
  the held-out items; under ``sweep.tune`` the selection split) of ``data.name``; ``c.analysis`` needs no
  batch (the tool reads the splits itself)."""
  from lbrl.data import core
  cfg = ctx.cfg
  options = dict(cfg.data.get("options") or {})
  train = core.load(cfg.data.name, cfg.data.split_train, data_dir=cfg.data.get("data_dir", ""), **options)
  held = core.load(cfg.data.name, cfg.data.split_eval, data_dir=cfg.data.get("data_dir", ""), **options)
  nu, ni = train.meta.get("num_users"), train.meta.get("num_items")
  if not nu or not ni:
    raise ValueError(f"topk_recommendation: dataset {cfg.data.name!r} must give num_users and num_items in meta")
  known, targets = interaction_matrix(train.arrays["x"], nu, ni), interaction_matrix(held.arrays["x"], nu, ni)
  ids = np.arange(nu, dtype=np.int32)[:, None]
  scores = np.concatenate([np.asarray(ctx.apply(ctx.params, ids[i:i + batch_users], train=False), np.float32)
                           for i in range(0, nu, batch_users)])
  per = topk_per_user(scores, known, targets, k=k)
  return {f"recall@{k}": float(per["recall"].mean()), f"ndcg@{k}": float(per["ndcg"].mean()),
          "users": float(len(per["users"]))}


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


def _bank_log_normalize(similarity, bank_similarity, beta, dynamic, k):
  sim, bank = jnp.asarray(similarity, jnp.float32), jnp.asarray(bank_similarity, jnp.float32)
  if sim.ndim != 2 or bank.ndim != 2 or sim.shape[1] != bank.shape[1]:
    raise ValueError(f"similarity [Q, G] and the bank's similarities [B, G] must share G, got {sim.shape} and "
                     f"{bank.shape}")
  if beta <= 0:
    raise ValueError(f"beta must be > 0, got {beta}")
  out = beta * sim - jax.nn.logsumexp(beta * bank, axis=0)[None, :]
  if not dynamic:
    return out
  if not 1 <= int(k) <= sim.shape[1]:
    raise ValueError(f"k must be in [1, G={sim.shape[1]}], got {k}")
  active = k_occurrence(bank, k=int(k)) > 0                           # [G]: the bank's retrieved set
  rows = active[jnp.argmax(sim, axis=1)]                              # top-1 item of the row is in it
  return jnp.where(rows[:, None], out, beta * sim)


def querybank_normalize(similarity, bank_similarity, *, beta: float = 20.0, dynamic: bool = False, k: int = 1):
  """Inverted softmax over a query bank: ``log`` of ``exp(beta sim(q, g)) / sum_b exp(beta sim(b, g))``
  (monotone per gallery column, so the log is returned for ranking); ``bank_similarity [B, G]`` holds the
  bank queries' similarities to the same gallery. ``dynamic``: only rows whose top-1 gallery item is among
  the bank's top-``k`` retrievals are normalised (QB-Norm's DIS); the others keep ``beta sim``."""
  return _bank_log_normalize(similarity, bank_similarity, beta, dynamic, k)


def dual_bank_normalize(similarity, query_bank_similarity, gallery_bank_similarity, *, beta_query: float = 1 / 1.99,
                        beta_gallery: float = 3.0, dynamic: bool = False, k: int = 1):
  """Balance Act's DBNorm (see the module docstring): ``log DualIS`` (or ``log DualDIS`` with ``dynamic``).

  ``similarity [Q, G]`` (test queries x gallery), ``query_bank_similarity [Bq, G]`` (bank queries x the same
  gallery), ``gallery_bank_similarity [Bg, G]`` (bank gallery items x the gallery, same modality). Example::

      dual_bank_normalize(q @ g.T, qbank @ g.T, gbank @ g.T)
  """
  return (_bank_log_normalize(similarity, query_bank_similarity, beta_query, dynamic, k)
          + _bank_log_normalize(similarity, gallery_bank_similarity, beta_gallery, dynamic, k))
