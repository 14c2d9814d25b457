"""Ranking losses over lists: ``fn(scores [Q, L], relevance [Q, L], *, where=None, **hyper) -> [Q]``.

``scores`` are a model's scores of the ``L`` items of each of ``Q`` lists (queries, users), ``relevance``
the graded (or 0/1) labels, ``where`` (bool ``[Q, L]``) the real items (padding False). Each loss returns one
value per list; lists without a relevant item give 0 where the loss is undefined for them.

* :func:`neural_ndcg` (and ``transposed=True``): Pobrotyn & Bialobrzeski, "NeuralNDCG: Direct Optimisation
  of a Ranking Metric via Differentiable Relaxation of Sorting", 2021, arXiv:2102.07831 (slug ``neuralndcg``).
  NeuralSort (Grover et al., ICLR 2019, arXiv:1903.08850) relaxes the sorting permutation:
  ``P[i, :] = softmax(((n + 1 - 2i) s - A_s 1) / tau)`` for ranks ``i = 1..n`` of the ``n`` real items,
  ``A_s[j, k] = |s_j - s_k|``; Sinkhorn scaling (``sinkhorn_iters`` alternating column/row normalisations,
  50 as in allRank) makes it doubly stochastic. NeuralNDCG = ``sum_{i<=k} d_i (P g)_i / IDCG@k`` (the gain
  expected at each rank), the transposed form ``sum_j g_j (P^T d)_j / IDCG@k`` (the discount expected for
  each item), ``g = 2^rel - 1`` (``powered=True``) or ``rel``, ``d_i = 1 / log2(i + 1)`` and ``0`` beyond
  ``k``. The loss is ``-NeuralNDCG`` per list (0 for lists whose IDCG is 0; allRank averages over the
  other lists only). Defaults as allRank: ``temperature=1``, ``powered=True``, ``k=None`` (the list).
  lbrl's choices: a fixed number of Sinkhorn iterations (allRank also stops early at ``tol=1e-6``), and the
  transposed form's IDCG uses the same gain as its DCG (allRank's uses ``2^rel - 1`` either way).
* :func:`simplex_ccl`: SimpleX's cosine contrastive loss (Mao et al., "SimpleX: A Simple and Strong Baseline
  for Collaborative Filtering", CIKM 2021, arXiv:2109.12613, slug ``simplex``):
  ``(1 - s_pos) + w / |N| sum_{j in N} max(0, s_j - m)`` on cosine scores, averaged over the list's positives;
  ``margin=m`` (default 0.8, the paper's tuned range 0.4-0.9) and ``negative_weight=w`` (the negative ratio;
  default 150 as the paper's MovieLens/Amazon settings use large weights; lbrl's default).
* :func:`psl`: Pairwise Softmax Loss (Yang et al., "PSL: Rethinking and Improving Softmax Loss from Pairwise
  Perspective for Recommendation", NeurIPS 2024, arXiv:2411.00163, slug ``psl``), the authors' PSL1
  (Tiny-Snow/IR-Benchmark ``optim_PSL.py``): for each positive ``i`` of a list,
  ``log sum_{j in negatives} exp(sigma(d_ij) / tau_star)`` with ``d_ij = (s_j - s_i) / tau`` and
  ``sigma(x) = log(tanh(x) + 1)`` (``activation="tanh"``), ``log(relu(x + 1))`` (``"relu"``) or
  ``log(atan(x) + 1)`` (``"atan"``), averaged over the list's positives. ``sigma(x) = x`` would be the
  softmax loss; the surrogates bound the step ``1[d >= 0]`` more tightly. Scores are cosine similarities
  (the authors' ``tau >= 2`` keeps ``|d| <= 1``); defaults ``tau=2`` (the authors' command-line default),
  ``tau_star=1`` (tuned over 0.005-0.25 in their grid). lbrl's choice: the argument of the log is floored
  at 1e-30 so that scores outside the cosine range give finite values and gradients. ``activation="exp"``
  (``sigma(x) = x``) is the softmax loss SL of the authors' code (``log sum_j exp((s_j - s_i) / t)`` over the
  sampled negatives, temperature ``t = tau * tau_star``), the baseline PSL generalises;
  ``positive_first=True`` is the ``O(L)`` form for implicit-feedback rows (one positive, first).
* :func:`mw_auc`: the MW loss (Sheikholeslami et al., "Optimizing What Matters: AUC-Driven Learning for
  Robust Neural Retrieval", 2025, arXiv:2510.00137, slug ``mw_auc_loss``): binary cross-entropy of
  ``sigmoid(scale (s_pos - s_neg))`` against 1 over positive-negative pairs, i.e. the mean of
  ``softplus(scale (s_neg - s_pos))``, a smooth upper bound of the area over the ROC curve (1 - AUC, the
  Mann-Whitney U statistic). ``scope="batch"`` (default) pairs every positive of the batch with every
  negative of the batch, across queries, as in the paper's figure 2 (a global AUC: scores comparable
  across queries, which the per-query contrastive loss does not ask for); ``scope="list"`` pairs within a
  list only. Batch-wide: each list's value is its share of the batch's pair sum times the number of lists,
  so the mean over lists is the loss. ``scale`` (default 1) multiplies the score differences (a cosine
  retriever's inverse temperature).
* :func:`macro_auc_loss`: the three Macro-AUC surrogates of Wu et al., "Towards Understanding
  Generalization of Macro-AUC in Multi-label Learning", ICML 2023, arXiv:2305.05248, slug
  ``understanding_generalization_macro_auc``, over ``logits [B, K]`` and multi-hot ``labels [B, K]`` (K labels,
  each a binary task; ``S_k+`` / ``S_k-`` the batch's positives / negatives of label ``k``, base loss ``l``):
  ``univariate`` ``1/K sum_k 1/B sum_i l(y'_ik f_ik)`` (``y'`` in {-1, +1}); ``reweighted``
  ``1/K sum_k [mean_{i in S_k+} l(f_ik) + mean_{j in S_k-} l(-f_jk)]`` (the univariate loss reweighted by the
  inverse of each label's class frequency); ``pairwise`` ``1/K sum_k mean_{i in S_k+, j in S_k-} l(f_ik - f_jk)``.
  ``base="logistic"`` ``l(t) = log(1 + e^-t)`` (default) or ``"squared_hinge"`` ``max(0, 1 - t)^2``
  (lbrl's choices; the paper's bounds hold for any bounded Lipschitz surrogate). Batch-wide (except
  ``univariate``): per-example values whose mean over the batch is the loss.
* Baselines from rax (not rewritten): :func:`rax_softmax`, :func:`rax_listmle`, :func:`rax_pairwise_logistic`
  (``rax.softmax_loss`` = ListNet's top-one softmax cross-entropy with the relevance normalised,
  ``rax.listmle_loss``, ``rax.pairwise_logistic_loss`` summed over pairs), per list.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import rax

_NEG = -1e30   # masked logits: finite (an -inf would give NaN gradients through the softmax's where)


def _check(scores, relevance, where):
  scores = jnp.asarray(scores)
  relevance = jnp.asarray(relevance)
  if scores.ndim != 2 or relevance.shape != scores.shape:
    raise ValueError(f"scores and relevance must both be [Q, L], got {scores.shape} and {relevance.shape}")
  where = jnp.ones(scores.shape, bool) if where is None else jnp.asarray(where, bool)
  if where.shape != scores.shape:
    raise ValueError(f"where must have scores' shape {scores.shape}, got {where.shape}")
  return scores.astype(jnp.float32), relevance.astype(jnp.float32), where


def neural_sort_logits(scores, where=None, *, temperature: float = 1.0):
  """NeuralSort's relaxed permutation as log-probabilities ``log P [Q, L, L]`` (row ``i``: the soft one-hot of
  the item at rank ``i``); rows past the list's real items hold a uniform row over the padded items."""
  s, _, where = _check(scores, scores, where)
  if temperature <= 0:
    raise ValueError(f"temperature must be > 0, got {temperature}")
  n_real = jnp.sum(where, -1, keepdims=True).astype(jnp.float32)          # [Q, 1]
  pair = where[:, :, None] & where[:, None, :]
  a = jnp.where(pair, jnp.abs(s[:, :, None] - s[:, None, :]), 0.0)
  b = jnp.sum(a, -1)                                                       # [Q, L]: A_s 1
  rank = jnp.arange(1, s.shape[1] + 1, dtype=jnp.float32)[None, :]
  scale = jnp.where(rank <= n_real, n_real + 1 - 2 * rank, 0.0)           # [Q, L] per rank i
  logits = scale[:, :, None] * jnp.where(where, s, 0.0)[:, None, :] - b[:, None, :]
  row_real = (rank <= n_real)[:, :, None]                                  # rank i is a real position
  logits = jnp.where(row_real, jnp.where(where[:, None, :], logits / temperature, _NEG),
                     jnp.where(where[:, None, :], _NEG, 0.0))
  return jax.nn.log_softmax(logits, -1)


def neural_sort(scores, where=None, *, temperature: float = 1.0):
  """NeuralSort's relaxed permutation ``P [Q, L, L]`` (Grover et al., 2019); see :func:`neural_sort_logits`."""
  return jnp.exp(neural_sort_logits(scores, where, temperature=temperature))


def sinkhorn(log_p, where=None, *, iters: int = 50):
  """Sinkhorn scaling of ``exp(log_p) [Q, L, L]`` in the log domain: ``iters`` alternating column then row
  normalisations (allRank's order; the same iterates as dividing by sums, without underflow). With
  ``where``, the real block (real ranks x real items) and the padded block are scaled apart and the
  padded rows and columns are 0 in the result."""
  block = None
  if where is not None:
    where = jnp.asarray(where, bool)
    rank_real = jnp.arange(log_p.shape[1])[None, :] < jnp.sum(where, -1)[:, None]
    block = rank_real[:, :, None] & where[:, None, :]
    log_p = jnp.where(block | (~rank_real[:, :, None] & ~where[:, None, :]), log_p, _NEG)

  def body(_, m):
    m = m - jax.nn.logsumexp(m, 1, keepdims=True)
    return m - jax.nn.logsumexp(m, 2, keepdims=True)

  p = jnp.exp(jax.lax.fori_loop(0, iters, body, log_p))
  return p if block is None else jnp.where(block, p, 0.0)


def _dcg_terms(relevance, where, k, powered):
  g = jnp.where(where, (2.0 ** relevance - 1.0) if powered else relevance, 0.0)
  length = relevance.shape[1]
  k = length if k is None else int(k)
  pos = jnp.arange(length, dtype=jnp.float32)
  d = jnp.where(pos < k, 1.0 / jnp.log2(pos + 2.0), 0.0)
  ideal = jnp.sum(-jnp.sort(-g, -1) * d, -1)
  return g, d, ideal


def neural_ndcg(scores, relevance, *, where=None, temperature: float = 1.0, k: int | None = None,
                powered: bool = True, transposed: bool = False, sinkhorn_iters: int = 50):
  """``-NeuralNDCG@k`` per list (see the module docstring). Example::

      neural_ndcg(jnp.array([[3., 2., 1.]]), jnp.array([[2., 1., 0.]]), temperature=0.01)  # ~ [-1.]
  """
  s, rel, where = _check(scores, relevance, where)
  if k is not None and int(k) < 1:
    raise ValueError(f"k must be a positive integer or None, got {k}")
  p = sinkhorn(neural_sort_logits(s, where, temperature=temperature), where, iters=sinkhorn_iters)
  g, d, ideal = _dcg_terms(rel, where, k, powered)
  if transposed:
    dcg = jnp.sum(g * jnp.einsum("qij,i->qj", p, d), -1)
  else:
    dcg = jnp.sum(d * jnp.einsum("qij,qj->qi", p, g), -1)
  ndcg = jnp.where(ideal > 0, dcg / jnp.where(ideal > 0, ideal, 1.0), 0.0)
  return -ndcg


def neural_ndcg_transposed(scores, relevance, *, where=None, temperature: float = 1.0, k: int | None = None,
                           powered: bool = True, sinkhorn_iters: int = 50):
  """NeuralNDCG's transposed form (expected discount per item); see :func:`neural_ndcg`."""
  return neural_ndcg(scores, relevance, where=where, temperature=temperature, k=k, powered=powered,
                     transposed=True, sinkhorn_iters=sinkhorn_iters)


def simplex_ccl(scores, relevance, *, where=None, margin: float = 0.8, negative_weight: float = 150.0):
  """SimpleX's cosine contrastive loss per list: ``mean_pos (1 - s_pos) + w mean_neg max(0, s_neg - m)``
  (items with relevance > 0 are positives); ``scores`` are cosine similarities in ``[-1, 1]``."""
  s, rel, where = _check(scores, relevance, where)
  if negative_weight < 0:
    raise ValueError(f"negative_weight must be >= 0, got {negative_weight}")
  pos = where & (rel > 0)
  neg = where & (rel <= 0)
  n_pos = jnp.maximum(jnp.sum(pos, -1), 1)
  n_neg = jnp.maximum(jnp.sum(neg, -1), 1)
  pos_term = jnp.sum(jnp.where(pos, 1.0 - s, 0.0), -1) / n_pos
  neg_term = jnp.sum(jnp.where(neg, jax.nn.relu(s - margin), 0.0), -1) / n_neg
  return jnp.where(jnp.any(pos, -1), pos_term, 0.0) + negative_weight * neg_term


_PSL_ACTIVATIONS = {"tanh": lambda x: jnp.log(jnp.maximum(jnp.tanh(x) + 1.0, 1e-30)),
                    "relu": lambda x: jnp.log(jnp.maximum(jax.nn.relu(x + 1.0), 1e-30)),
                    "atan": lambda x: jnp.log(jnp.maximum(jnp.arctan(x) + 1.0, 1e-30)),
                    "exp": lambda x: x}


def psl(scores, relevance, *, where=None, tau: float = 2.0, tau_star: float = 1.0, activation: str = "tanh",
        positive_first: bool = False):
  """PSL1 per list: mean over positives ``i`` of ``logsumexp_{j neg} sigma((s_j - s_i) / tau) / tau_star``
  (0 for a list without a positive or a negative). ``activation="exp"`` (``sigma(x) = x``) is the softmax
  loss SL with temperature ``tau * tau_star`` as the authors' code computes it (the positive left out of the
  sum). ``positive_first=True``: each list's first item is its only candidate positive and the others are its
  candidate negatives (implicit-feedback rows of :class:`lbrl.models.ranking.CFScorer`: the interaction, then
  the sampled items), computed in ``O(L)`` instead of ``O(L^2)``; equal to the default where that holds."""
  s, rel, where = _check(scores, relevance, where)
  if activation not in _PSL_ACTIVATIONS:
    raise ValueError(f"psl: activation must be one of {sorted(_PSL_ACTIVATIONS)}, got {activation!r}")
  if tau <= 0 or tau_star <= 0:
    raise ValueError(f"psl: tau and tau_star must be > 0, got {tau}, {tau_star}")
  sigma = _PSL_ACTIVATIONS[activation]
  pos, neg = where & (rel > 0), where & (rel <= 0)
  if positive_first:
    neg = neg.at[:, 0].set(False)
    sig = sigma((s[:, 1:] - s[:, :1]) / tau) / tau_star               # [Q, L - 1]
    lse = jax.nn.logsumexp(jnp.where(neg[:, 1:], sig, _NEG), axis=-1)
    return jnp.where(pos[:, 0] & jnp.any(neg, -1), lse, 0.0)
  d = (s[:, None, :] - s[:, :, None]) / tau                        # [Q, i, j] = (s_j - s_i) / tau
  lse = jax.nn.logsumexp(jnp.where(neg[:, None, :], sigma(d) / tau_star, _NEG), axis=-1)   # [Q, i]
  n_pos = jnp.sum(pos, -1)
  per = jnp.sum(jnp.where(pos, lse, 0.0), -1) / jnp.maximum(n_pos, 1)
  return jnp.where((n_pos > 0) & jnp.any(neg, -1), per, 0.0)


def mw_auc(scores, relevance, *, where=None, scale: float = 1.0, scope: str = "batch"):
  """The MW loss per list (see the module docstring); lists without a positive give 0 (``scope="batch"``:
  they still serve as negatives of the others)."""
  s, rel, where = _check(scores, relevance, where)
  if scope not in ("batch", "list"):
    raise ValueError(f"mw_auc: scope must be 'batch' or 'list', got {scope!r}")
  if scale <= 0:
    raise ValueError(f"mw_auc: scale must be > 0, got {scale}")
  pos, neg = where & (rel > 0), where & (rel <= 0)
  if scope == "list":
    pair = pos[:, :, None] & neg[:, None, :]
    terms = jax.nn.softplus(scale * (s[:, None, :] - s[:, :, None]))          # [Q, i pos, j neg]
    return jnp.sum(jnp.where(pair, terms, 0.0), (1, 2)) / jnp.maximum(jnp.sum(pair, (1, 2)), 1)
  flat_s, flat_neg = s.reshape(-1), neg.reshape(-1)
  terms = jax.nn.softplus(scale * (flat_s[None, None, :] - s[:, :, None]))   # [Q, L pos, Q*L neg]
  per_pos = jnp.sum(jnp.where(flat_neg[None, None, :], terms, 0.0), -1)
  n_pairs = jnp.sum(pos) * jnp.sum(flat_neg)
  per_list = jnp.sum(jnp.where(pos, per_pos, 0.0), -1)
  return per_list * s.shape[0] / jnp.maximum(n_pairs, 1)


_AUC_BASE = {"logistic": lambda t: jax.nn.softplus(-t), "squared_hinge": lambda t: jax.nn.relu(1.0 - t) ** 2}


def macro_auc_loss(logits, labels, *, where=None, kind: str = "pairwise", base: str = "logistic"):
  """A Macro-AUC surrogate (see the module docstring) as per-example values ``[B]`` whose batch mean is
  the loss. ``labels`` are multi-hot ``[B, K]`` (any value > 0 is positive); ``where [B]`` masks rows."""
  f = jnp.asarray(logits)
  if f.ndim != 2 or jnp.shape(labels) != f.shape:
    raise ValueError(f"macro_auc_loss: logits and labels must both be [B, K], got {f.shape} and "
                     f"{jnp.shape(labels)}")
  if kind not in ("univariate", "reweighted", "pairwise"):
    raise ValueError(f"macro_auc_loss: kind must be univariate, reweighted or pairwise, got {kind!r}")
  if base not in _AUC_BASE:
    raise ValueError(f"macro_auc_loss: base must be one of {sorted(_AUC_BASE)}, got {base!r}")
  f = f.astype(jnp.promote_types(f.dtype, jnp.float32))
  loss = _AUC_BASE[base]
  rows = jnp.ones(f.shape[:1], bool) if where is None else jnp.asarray(where, bool)
  if rows.shape != f.shape[:1]:
    raise ValueError(f"macro_auc_loss: where must be [B] = {f.shape[:1]}, got {rows.shape}")
  y = jnp.asarray(labels) > 0
  pos, neg = y & rows[:, None], ~y & rows[:, None]
  n = jnp.maximum(jnp.sum(rows), 1)
  k = f.shape[1]
  if kind == "univariate":
    per = jnp.where(pos, loss(f), 0.0) + jnp.where(neg, loss(-f), 0.0)
    return jnp.sum(per, -1) / k
  n_pos, n_neg = jnp.sum(pos, 0), jnp.sum(neg, 0)                         # [K]
  if kind == "reweighted":
    per = (jnp.where(pos, loss(f), 0.0) / jnp.maximum(n_pos, 1)
           + jnp.where(neg, loss(-f), 0.0) / jnp.maximum(n_neg, 1))
    return n * jnp.sum(per, -1) / k
  terms = loss(f[:, None, :] - f[None, :, :])                             # [i, j, K]: l(f_ik - f_jk)
  per = jnp.sum(jnp.where(pos[:, None, :] & neg[None, :, :], terms, 0.0), 1)   # [i, K]
  return n * jnp.sum(per / jnp.maximum(n_pos * n_neg, 1), -1) / k


# ---------------------------------------------------------------- rax baselines, per list


def rax_softmax(scores, relevance, *, where=None):
  """``rax.softmax_loss`` per list (ListNet top-one / softmax cross-entropy)."""
  s, rel, where = _check(scores, relevance, where)
  return rax.softmax_loss(s, rel, where=where, reduce_fn=None)


def rax_listmle(scores, relevance, *, where=None):
  """``rax.listmle_loss`` per list (Xia et al., 2008)."""
  s, rel, where = _check(scores, relevance, where)
  return rax.listmle_loss(s, rel, where=where, reduce_fn=None)


def rax_pairwise_logistic(scores, relevance, *, where=None):
  """``rax.pairwise_logistic_loss`` summed over each list's pairs (RankNet)."""
  s, rel, where = _check(scores, relevance, where)
  per_pair = rax.pairwise_logistic_loss(s, rel, where=where, reduce_fn=None)
  return jnp.sum(per_pair.reshape(s.shape[0], -1), -1)
