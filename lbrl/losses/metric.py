"""Deep-metric-learning losses: pair-based losses over embeddings, miners as pair-weight masks, and
proxy / margin losses over (features, class proxies).

Pair losses take ``embeddings [B, D]`` and integer ``labels [B]`` and return one value per anchor
(``[B]``; the trainer's mean over the valid rows is the loss). Every pair loss is built from fixed-shape
``[B, B]`` similarity and pair masks (no variable-length index lists), so it jits, vmaps and shards:

* ``where [B]`` (optional) drops rows as anchors *and* as partners; labels ``< 0`` are dropped as well.
* positives of anchor ``i``: valid ``j != i`` with ``labels[j] == labels[i]``; negatives: valid ``j`` with a
  different label. An anchor without a valid positive (or negative, for losses that need both) gets
  loss 0 with zero gradient; a batch without any valid pair gives loss 0, never NaN.
* ``axis_name``: called inside ``jax.shard_map`` with the batch sharded over that mesh axis, each shard's
  anchors are compared with the *global* batch (``jax.lax.all_gather`` of the embeddings, labels and
  mask; its transpose sums every shard's gradient contributions back). The values are those of the local
  anchors and equal the rows of the unsharded call on the global batch. Under ``jax.jit`` with a
  sharded batch (the trainer's data parallelism) no argument is needed: the loss sees the global batch
  and XLA inserts the same collectives.

Miners (``miner=``) turn the masks into pair weights usable by any pair loss (:func:`mine`): ``"all"``,
``"multi_similarity"`` (Wang et al. 2019's mining step), ``"batch_hard"`` (the hardest positive and
negative of each anchor, Hermans et al. 2017), ``"semi_hard"`` (negatives farther than the anchor's
hardest positive but within ``margin`` of it, FaceNet's semi-hard rule applied to the hardest positive)
and ``"distance_weighted"`` (Wu et al. 2017's inverse-density weights, used as deterministic weights
instead of sampling).

Reductions (``reduction=``): ``"mean"`` (the default): the mean over valid anchors of the per-anchor
values; ``"nonzero"``: the mean over anchors with a non-zero value (pytorch-metric-learning's default
``AvgNonZeroReducer`` for CircleLoss, TripletMarginLoss, SupConLoss and ContrastiveLoss): the returned
values are rescaled by ``n_valid / n_nonzero`` (the count held constant for the gradient, as in PML), so
the trainer's mean equals it. :func:`contrastive_loss` is a mean over *pairs* (positive and negative
pairs averaged separately, then added, as PML does).

Proxy / margin losses consume ``hidden_unembedding``: ``(features [B, D], proxies [C, D])`` (a model's
``return_hidden=True`` output, e.g. :class:`lbrl.models.metric.EmbeddingNet`): :func:`normalized_softmax`,
:func:`cosface`, :func:`arcface`, :func:`adaface`, :func:`unpg` and :func:`ce_orthogonal_projection`, and the
papers' proxy-form losses (mean-field, MadaCos, DAAL's line segments, ClusterNet's centres).
:func:`clusternet_autoencoder` consumes ``logits_aux``: ``(logits, (latent, centres, reconstruction error))``
of an :class:`~lbrl.models.metric.EmbeddingNet` with a decoder.
"""
from __future__ import annotations

import math

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

from lbrl.losses._common import as_float32
from lbrl.models.heads import l2_normalize  # x / max(||x||, eps), finite gradient at 0

Array = jax.Array

MINERS = ("all", "multi_similarity", "batch_hard", "semi_hard", "distance_weighted")
REDUCTIONS = ("mean", "nonzero")
_BIG = 1e9


# ---------------------------------------------------------------------------------------- helpers


def _check(fn: str, embeddings, labels, where):
  embeddings, labels = jnp.asarray(embeddings), jnp.asarray(labels)
  if not jnp.issubdtype(embeddings.dtype, jnp.floating):
    raise TypeError(f"{fn}: embeddings must be floating point, got dtype {embeddings.dtype}")
  if embeddings.ndim != 2:
    raise ValueError(f"{fn}: embeddings must be [batch, dim], got shape {embeddings.shape}")
  if not jnp.issubdtype(labels.dtype, jnp.integer):
    raise TypeError(f"{fn}: labels must be integer class ids, got dtype {labels.dtype}")
  if labels.shape != embeddings.shape[:1]:
    raise ValueError(f"{fn}: labels must have shape [batch]={embeddings.shape[:1]}, got {labels.shape}")
  valid = labels >= 0
  if where is not None:
    where = jnp.asarray(where)
    if where.shape != labels.shape:
      raise ValueError(f"{fn}: where must have shape [batch]={labels.shape}, got {where.shape}")
    valid = valid & where.astype(bool)
  return as_float32(embeddings), labels, valid


def _positive(fn: str, **values):
  for name, v in values.items():
    if not (isinstance(v, (int, float)) and v > 0):
      raise ValueError(f"{fn}: {name} must be a positive number, got {v!r}")


def _choice(fn: str, name: str, value, allowed):
  if value not in allowed:
    raise ValueError(f"{fn}: {name} must be one of {allowed}, got {value!r}")


def _gallery(e, labels, valid, axis_name):
  """The comparison set (global batch under ``axis_name``) and the global index of each local anchor."""
  if axis_name is None:
    return e, labels, valid, jnp.arange(e.shape[0])
  ge = jax.lax.all_gather(e, axis_name, tiled=True)
  gl = jax.lax.all_gather(labels, axis_name, tiled=True)
  gv = jax.lax.all_gather(valid, axis_name, tiled=True)
  return ge, gl, gv, jax.lax.axis_index(axis_name) * e.shape[0] + jnp.arange(e.shape[0])


def _psum(x, axis_name):
  return x if axis_name is None else jax.lax.psum(x, axis_name)


def pair_masks(labels, valid, gallery_labels, gallery_valid, anchor_index):
  """``(positive [A, G], negative [A, G])`` boolean masks between anchors and the gallery (self excluded)."""
  both = valid[:, None] & gallery_valid[None, :]
  not_self = anchor_index[:, None] != jnp.arange(gallery_labels.shape[0])[None, :]
  same = labels[:, None] == gallery_labels[None, :]
  return both & same & not_self, both & ~same


def _masked_logsumexp(x, mask, add_one: bool = False):
  """``log(sum_{mask} exp x [+ 1])`` per row; 0 (zero gradient) for a row with an empty mask."""
  x = jnp.where(mask, x, -jnp.inf)
  if add_one:
    x = jnp.concatenate([x, jnp.zeros(x.shape[:-1] + (1,), x.dtype)], -1)
  m = jax.lax.stop_gradient(jnp.max(x, -1, keepdims=True))
  m = jnp.where(jnp.isfinite(m), m, 0.0)
  out = m[..., 0] + jnp.log(jnp.sum(jnp.exp(x - m), -1) + (0.0 if add_one else 1e-38))
  return jnp.where(jnp.any(mask, -1), out, 0.0)


def _reduce(values, valid, reduction, axis_name):
  values = jnp.where(valid, values, 0.0)
  if reduction == "mean":
    return values
  n_valid = _psum(jnp.sum(valid.astype(jnp.float32)), axis_name)
  nonzero = _psum(jnp.sum((values != 0).astype(jnp.float32)), axis_name)
  return values * jax.lax.stop_gradient(n_valid / jnp.maximum(nonzero, 1.0))


# ---------------------------------------------------------------------------------------- miners


def mine(miner: str, sim, pos, neg, *, epsilon: float = 0.1, margin: float = 0.2, dim: int | None = None,
         cutoff: float = 0.5, nonzero_loss_cutoff: float = 1.4):
  """Pair weights ``(w_pos [A, G], w_neg [A, G])`` (float, 0 outside the masks) chosen by ``miner``.

  ``sim`` is the cosine similarity of L2-normalised embeddings (distances ``d = sqrt(2 - 2 sim)``).

  * ``all``: every positive and negative pair.
  * ``multi_similarity`` (Wang et al., "Multi-Similarity Loss with General Pair Weighting for Deep Metric
    Learning", CVPR 2019, arXiv:1904.06627, slug multi_similarity; eq. 11-12): keep a negative if
    ``s_an > min_p s_ap - epsilon`` and a positive if ``s_ap < max_n s_an + epsilon`` (``epsilon=0.1``).
  * ``batch_hard`` (Hermans et al., "In Defense of the Triplet Loss", 2017, arXiv:1703.07737): the
    least similar positive and the most similar negative of each anchor (first index on ties).
  * ``semi_hard``: negatives with ``d_hp < d_an < d_hp + margin`` where ``d_hp`` is the anchor's hardest
    positive distance (FaceNet's semi-hard rule, Schroff et al. 2015, on the hardest positive); every positive.
  * ``distance_weighted`` (Wu et al., "Sampling Matters in Deep Embedding Learning", ICCV 2017,
    arXiv:1706.07567): negatives weighted by the inverse of the density of distances on the unit sphere in
    ``dim`` dimensions, ``q(d)^-1`` with ``log q(d) = (dim-2) log d + (dim-3)/2 log(1 - d^2/4)``, distances
    clipped below at ``cutoff=0.5`` and negatives beyond ``nonzero_loss_cutoff=1.4`` dropped, normalised to
    sum 1 per anchor (times its number of kept negatives). lbrl uses these weights deterministically
    instead of drawing one negative per anchor from them; every positive is kept.
  """
  _choice("mine", "miner", miner, MINERS)
  posf, negf = pos.astype(sim.dtype), neg.astype(sim.dtype)
  if miner == "all":
    return posf, negf
  s = jax.lax.stop_gradient(sim)
  if miner == "multi_similarity":
    min_pos = jnp.min(jnp.where(pos, s, jnp.inf), -1, keepdims=True)
    max_neg = jnp.max(jnp.where(neg, s, -jnp.inf), -1, keepdims=True)
    return posf * (s - epsilon < max_neg), negf * (s + epsilon > min_pos)
  if miner == "batch_hard":
    hp = jnp.argmin(jnp.where(pos, s, jnp.inf), -1)
    hn = jnp.argmax(jnp.where(neg, s, -jnp.inf), -1)
    g = s.shape[-1]
    return (jax.nn.one_hot(hp, g, dtype=s.dtype) * posf, jax.nn.one_hot(hn, g, dtype=s.dtype) * negf)
  d = jnp.sqrt(jnp.maximum(2.0 - 2.0 * s, 0.0))
  if miner == "semi_hard":
    d_hp = jnp.max(jnp.where(pos, d, -jnp.inf), -1, keepdims=True)
    return posf, negf * ((d > d_hp) & (d < d_hp + margin))
  if dim is None or dim < 4:
    raise ValueError(f"mine: distance_weighted needs the embedding dimension dim >= 4, got {dim!r}")
  dc = jnp.maximum(d, cutoff)
  log_q = (dim - 2.0) * jnp.log(dc) + (dim - 3.0) / 2.0 * jnp.log(jnp.maximum(1.0 - 0.25 * dc * dc, 1e-8))
  keep = neg & (d < nonzero_loss_cutoff)
  log_w = jnp.where(keep, -log_q, -jnp.inf)
  w = jnp.exp(log_w - jnp.max(jnp.where(keep, log_w, -_BIG), -1, keepdims=True))
  w = w / jnp.maximum(jnp.sum(w, -1, keepdims=True), 1e-30) * jnp.sum(keep, -1, keepdims=True)
  return posf, jnp.where(keep, w, 0.0)


# ---------------------------------------------------------------------------------------- pair losses


def _setup(fn, embeddings, labels, where, axis_name):
  e, labels, valid = _check(fn, embeddings, labels, where)
  e = l2_normalize(e)
  ge, gl, gv, idx = _gallery(e, labels, valid, axis_name)
  pos, neg = pair_masks(labels, valid, gl, gv, idx)
  return e, ge, valid, pos, neg


def multi_similarity(embeddings, labels, *, alpha: float = 2.0, beta: float = 50.0, base: float = 0.5,
                     epsilon: float = 0.1, miner: str = "multi_similarity", reduction: str = "mean",
                     where=None, axis_name: str | None = None) -> Array:
  """Multi-Similarity loss per anchor, after its mining step.

  Formula (cosine similarities ``s`` of L2-normalised embeddings, mined pairs ``P_i``, ``N_i``)::

      L_i = 1/alpha log(1 + sum_{p in P_i} exp(-alpha (s_ip - base)))
          + 1/beta  log(1 + sum_{n in N_i} exp( beta (s_in - base)))

  Defaults are the paper's: ``alpha=2``, ``beta=50``, ``base`` (lambda) ``=0.5``, mining margin
  ``epsilon=0.1`` (``miner="multi_similarity"``; any miner of :func:`mine`, or ``"all"``).
  Paper: Wang, Han, Huang, Dong, Scott, "Multi-Similarity Loss with General Pair Weighting for Deep
  Metric Learning", CVPR 2019, arXiv:1904.06627, slug multi_similarity (eq. 10-12; the authors'
  research-ms-loss code). Matches pytorch-metric-learning's MultiSimilarityLoss + MultiSimilarityMiner
  (whose default reduction is the mean over anchors, ``reduction="mean"``).

  Example::

      loss = multi_similarity(jnp.ones((4, 8)), jnp.array([0, 0, 1, 1])).mean()
  """
  _choice("multi_similarity", "reduction", reduction, REDUCTIONS)
  _positive("multi_similarity", alpha=alpha, beta=beta)
  e, ge, valid, pos, neg = _setup("multi_similarity", embeddings, labels, where, axis_name)
  sim = e @ ge.T
  wp, wn = mine(miner, sim, pos, neg, epsilon=epsilon, dim=e.shape[-1])
  pos_term = _masked_logsumexp(-alpha * (sim - base) + jnp.log(jnp.maximum(wp, 1e-30)), wp > 0, True) / alpha
  neg_term = _masked_logsumexp(beta * (sim - base) + jnp.log(jnp.maximum(wn, 1e-30)), wn > 0, True) / beta
  return _reduce(pos_term + neg_term, valid, reduction, axis_name)


def circle_loss(embeddings, labels, *, margin: float = 0.25, gamma: float = 256.0, miner: str = "all",
                reduction: str = "mean", where=None, axis_name: str | None = None) -> Array:
  """Circle loss per anchor (pair-wise labels).

  Formula (cosine similarities; ``[x]_+ = max(x, 0)`` with the weights held constant for the gradient)::

      a_p = [1 + m - s_p]_+,  a_n = [s_n + m]_+,  Delta_p = 1 - m,  Delta_n = m
      L_i = softplus( logsumexp_n gamma a_n (s_n - Delta_n) + logsumexp_p -gamma a_p (s_p - Delta_p) )

  0 for an anchor without a positive or a negative. Defaults are the paper's face-recognition setting,
  ``margin=0.25``, ``gamma=256`` (fine-grained retrieval: 0.4 and 80, pytorch-metric-learning's defaults).
  Paper: Sun et al., "Circle Loss: A Unified Perspective of Pair Similarity Optimization", CVPR 2020,
  arXiv:2002.10857, slug circle_loss (eq. 6-8). pytorch-metric-learning's CircleLoss is this with
  ``reduction="nonzero"``.
  """
  _choice("circle_loss", "reduction", reduction, REDUCTIONS)
  _positive("circle_loss", gamma=gamma)
  e, ge, valid, pos, neg = _setup("circle_loss", embeddings, labels, where, axis_name)
  sim = e @ ge.T
  wp, wn = mine(miner, sim, pos, neg, dim=e.shape[-1])
  sg = jax.lax.stop_gradient(sim)
  logit_p = -gamma * jax.nn.relu(1.0 + margin - sg) * (sim - (1.0 - margin))
  logit_n = gamma * jax.nn.relu(sg + margin) * (sim - margin)
  mp, mn = wp > 0, wn > 0
  lse = (_masked_logsumexp(logit_p + jnp.log(jnp.maximum(wp, 1e-30)), mp)
         + _masked_logsumexp(logit_n + jnp.log(jnp.maximum(wn, 1e-30)), mn))
  has = jnp.any(mp, -1) & jnp.any(mn, -1)
  return _reduce(jnp.where(has, jax.nn.softplus(lse), 0.0), valid, reduction, axis_name)


TRIPLET_MINERS = ("batch_hard", "batch_all", "semi_hard")


def triplet_loss(embeddings, labels, *, margin: float = 0.2, miner: str = "batch_hard", normalize: bool = True,
                 reduction: str = "mean", where=None, axis_name: str | None = None) -> Array:
  """Triplet margin loss per anchor, ``[d(a, p) - d(a, n) + margin]_+`` with Euclidean distances.

  miner: ``"batch_hard"`` (default; Hermans et al., "In Defense of the Triplet Loss for Person
  Re-Identification", 2017, arXiv:1703.07737): one triplet per anchor, its farthest positive and nearest
  negative, scored with ``optax.losses.triplet_margin_loss`` (which adds ``eps=1e-6`` inside the norm);
  ``"batch_all"``: the mean over the anchor's valid triplets; ``"semi_hard"`` (Schroff et al., FaceNet,
  2015, arXiv:1503.03832): the mean over triplets with ``d_ap < d_an < d_ap + margin``.
  normalize: L2-normalise the embeddings first (default, as pytorch-metric-learning's LpDistance).
  0 for an anchor without a positive or a negative. The batch-hard triplet loss is the loss the
  mathematical_justification_hard_negative paper (Xu et al., "Mathematical Justification of Hard Negative
  Mining via Isometric Approximation Theorem", 2022, arXiv:2210.11173) analyses. pytorch-metric-learning's
  TripletMarginLoss + BatchHardMiner is ``miner="batch_hard", reduction="nonzero"``.
  """
  _choice("triplet_loss", "miner", miner, TRIPLET_MINERS)
  _choice("triplet_loss", "reduction", reduction, REDUCTIONS)
  e, labels, valid = _check("triplet_loss", embeddings, labels, where)
  if normalize:
    e = l2_normalize(e)
  ge, gl, gv, idx = _gallery(e, labels, valid, axis_name)
  pos, neg = pair_masks(labels, valid, gl, gv, idx)
  has = jnp.any(pos, -1) & jnp.any(neg, -1)
  sq = jnp.sum(e * e, -1)[:, None] - 2.0 * e @ ge.T + jnp.sum(ge * ge, -1)[None, :]
  dist = jnp.sqrt(jnp.maximum(sq, 1e-12))
  if miner == "batch_hard":
    hp = jnp.argmax(jnp.where(pos, jax.lax.stop_gradient(dist), -jnp.inf), -1)
    hn = jnp.argmin(jnp.where(neg, jax.lax.stop_gradient(dist), jnp.inf), -1)
    values = optax.losses.triplet_margin_loss(e, ge[hp], ge[hn], margin=margin)
    return _reduce(jnp.where(has, values, 0.0), valid, reduction, axis_name)
  t = jax.nn.relu(dist[:, :, None] - dist[:, None, :] + margin)          # [A, P, N]
  mask = pos[:, :, None] & neg[:, None, :]
  if miner == "semi_hard":
    dd = jax.lax.stop_gradient(dist)
    mask = mask & (dd[:, None, :] > dd[:, :, None]) & (dd[:, None, :] < dd[:, :, None] + margin)
  count = jnp.sum(mask, (1, 2))
  values = jnp.sum(jnp.where(mask, t, 0.0), (1, 2)) / jnp.maximum(count, 1)
  return _reduce(values, valid, reduction, axis_name)


def contrastive_loss(embeddings, labels, *, pos_margin: float = 0.0, neg_margin: float = 1.0,
                     squared: bool = False, miner: str = "all", reduction: str = "mean", where=None,
                     axis_name: str | None = None) -> Array:
  """Contrastive (pair) loss, as per-anchor shares of a mean over pairs.

  Formula (Euclidean distances ``d`` of L2-normalised embeddings; ``p = 2`` if ``squared`` else 1)::

      pair terms:  l_ij = [d_ij - pos_margin]_+^p (positive pairs),  [neg_margin - d_ij]_+^p (negative)
      loss = mean over positive pairs + mean over negative pairs        (reduction="mean")
      loss = mean over non-zero positive terms + mean over non-zero negative terms   (reduction="nonzero")

  Each anchor's value is its share ``n_valid * sum_j l_ij / count`` so that the mean over valid anchors is
  the loss (counts over the global batch). Defaults ``pos_margin=0``, ``neg_margin=1``, unsquared, are
  pytorch-metric-learning's ContrastiveLoss (``reduction="nonzero"`` matches it exactly); Hadsell, Chopra
  and LeCun, "Dimensionality Reduction by Learning an Invariant Mapping", CVPR 2006, use ``squared=True``
  (``1/2`` factors aside).
  """
  _choice("contrastive_loss", "reduction", reduction, REDUCTIONS)
  e, ge, valid, pos, neg = _setup("contrastive_loss", embeddings, labels, where, axis_name)
  wp, wn = mine(miner, e @ ge.T, pos, neg, dim=e.shape[-1])
  sq = jnp.sum(e * e, -1)[:, None] - 2.0 * e @ ge.T + jnp.sum(ge * ge, -1)[None, :]
  dist = jnp.sqrt(jnp.maximum(sq, 1e-12))
  p = 2.0 if squared else 1.0
  lp = jnp.where(wp > 0, wp * jax.nn.relu(dist - pos_margin) ** p, 0.0)
  ln = jnp.where(wn > 0, wn * jax.nn.relu(neg_margin - dist) ** p, 0.0)
  if reduction == "mean":
    cp, cn = _psum(jnp.sum(wp > 0), axis_name), _psum(jnp.sum(wn > 0), axis_name)
  else:
    cp, cn = _psum(jnp.sum(lp > 0), axis_name), _psum(jnp.sum(ln > 0), axis_name)
  n_valid = _psum(jnp.sum(valid), axis_name).astype(jnp.float32)
  share = (jnp.sum(lp, -1) / jnp.maximum(cp, 1).astype(jnp.float32)
           + jnp.sum(ln, -1) / jnp.maximum(cn, 1).astype(jnp.float32))
  return jnp.where(valid, n_valid * share, 0.0)


def supervised_contrastive(embeddings, labels, *, temperature: float = 0.1, reduction: str = "mean",
                           where=None, axis_name: str | None = None) -> Array:
  """Supervised contrastive loss (SupCon, "L_out") per anchor.

  Formula (cosine similarities; ``A(i)`` every valid ``j != i``, ``P(i)`` its positives)::

      L_i = -1/|P(i)| sum_{p in P(i)} log( exp(s_ip / t) / sum_{a in A(i)} exp(s_ia / t) )

  0 for an anchor without positives. ``temperature=0.1`` (pytorch-metric-learning's default; the paper
  reports 0.1 as best on CIFAR). Paper: Khosla et al., "Supervised Contrastive Learning", NeurIPS 2020,
  arXiv:2004.11362 (eq. 2). PML's SupConLoss is this with ``reduction="nonzero"``.
  """
  _choice("supervised_contrastive", "reduction", reduction, REDUCTIONS)
  _positive("supervised_contrastive", temperature=temperature)
  e, ge, valid, pos, neg = _setup("supervised_contrastive", embeddings, labels, where, axis_name)
  z = (e @ ge.T) / temperature
  log_prob = z - _masked_logsumexp(z, pos | neg)[:, None]
  n_pos = jnp.sum(pos, -1)
  values = -jnp.sum(jnp.where(pos, log_prob, 0.0), -1) / jnp.maximum(n_pos, 1)
  return _reduce(jnp.where(n_pos > 0, values, 0.0), valid, reduction, axis_name)


def orthogonal_projection(embeddings, labels, *, gamma: float = 0.5, where=None,
                          axis_name: str | None = None) -> Array:
  """Orthogonal Projection Loss (OPL), a batch-level value spread over the anchors.

  Formula (cosine similarities of L2-normalised features)::

      s = mean_{positive pairs i != j} s_ij,   d = mean_{negative pairs} |s_ij|,   L = (1 - s) + gamma d

  ``gamma=0.5`` (the paper's CIFAR-100 setting and the authors' kahnchana/opl ``scripts/train.sh``; their
  ImageNet code uses 2.0). The absolute value is taken per pair, as in the authors' ``losses.py``
  (``torch.abs(mask_neg * dot_prod).sum() / mask_neg.sum()``); for post-ReLU features every ``s_ij >= 0``
  and it equals ``|mean s_ij|``. Every valid row returns ``L``, so the mean over the batch is ``L``; a batch
  with no positive (negative) pair contributes ``s = 1`` (``d = 0``): loss 0 and zero gradient without any pair. Paper: Ranasinghe et al., "Orthogonal Projection Loss", ICCV 2021,
  arXiv:2103.14021, slug orthogonal_projection (eq. 3-5). Used beside cross-entropy:
  :func:`ce_orthogonal_projection`.
  """
  e, ge, valid, pos, neg = _setup("orthogonal_projection", embeddings, labels, where, axis_name)
  sim = e @ ge.T
  cp, cn = _psum(jnp.sum(pos), axis_name), _psum(jnp.sum(neg), axis_name)
  s = jnp.where(cp > 0, _psum(jnp.sum(jnp.where(pos, sim, 0.0)), axis_name) / jnp.maximum(cp, 1), 1.0)
  d = _psum(jnp.sum(jnp.where(neg, jnp.abs(sim), 0.0)), axis_name) / jnp.maximum(cn, 1)
  return jnp.where(valid, (1.0 - s) + gamma * d, 0.0)


# ---------------------------------------------------------------------------------------- proxy / margin losses


def _check_proxy(fn, features, proxies, labels, where):
  features, proxies, labels = jnp.asarray(features), jnp.asarray(proxies), jnp.asarray(labels)
  if features.ndim != 2 or proxies.ndim != 2 or features.shape[-1] != proxies.shape[-1]:
    raise ValueError(f"{fn}: features must be [batch, D] and proxies [num_classes, D] with the same D, got "
                     f"{features.shape} and {proxies.shape}")
  if not jnp.issubdtype(labels.dtype, jnp.integer) or labels.shape != features.shape[:1]:
    raise ValueError(f"{fn}: labels must be integer [batch]={features.shape[:1]}, got {labels.dtype} {labels.shape}")
  valid = (labels >= 0) & (labels < proxies.shape[0])
  if where is not None:
    valid = valid & jnp.asarray(where, bool)
  f32 = as_float32(features)
  cos = l2_normalize(f32) @ l2_normalize(as_float32(proxies)).T
  return f32, cos, jnp.where(valid, labels, 0), valid


def _margin_ce(logits, target_logit, labels, valid, extra=None):
  """Cross-entropy with the target logit replaced; ``extra [B, K]`` (masked with -inf) joins the denominator."""
  onehot = jax.nn.one_hot(labels, logits.shape[-1], dtype=bool)
  z = jnp.where(onehot, target_logit[:, None], logits)
  if extra is not None:
    z = jnp.concatenate([z, extra], -1)
  values = jax.nn.logsumexp(z, -1) - target_logit
  return jnp.where(valid, values, 0.0)


def normalized_softmax(features, proxies, labels, *, temperature: float = 0.05, where=None) -> Array:
  """Normalised-softmax (proxy) loss: cross-entropy of ``cos(f, w_c) / temperature``.

  Zhai and Wu, "Classification is a Strong Baseline for Deep Metric Learning", BMVC 2019, arXiv:1811.12649
  (``temperature=0.05``); the hyperspherical_embedding paper's training loss. Matches
  pytorch-metric-learning's NormalizedSoftmaxLoss (proxies = its ``W.T``).
  """
  _positive("normalized_softmax", temperature=temperature)
  _, cos, labels, valid = _check_proxy("normalized_softmax", features, proxies, labels, where)
  z = cos / temperature
  return _margin_ce(z, jnp.take_along_axis(z, labels[:, None], -1)[:, 0], labels, valid)


def cosface(features, proxies, labels, *, margin: float = 0.35, scale: float = 64.0, where=None) -> Array:
  """CosFace / large-margin cosine loss: target logit ``s (cos theta_y - m)``, others ``s cos theta_j``.

  Wang et al., "CosFace: Large Margin Cosine Loss for Deep Face Recognition", CVPR 2018, arXiv:1801.09414
  (``m=0.35``, ``s=64``). Matches pytorch-metric-learning's CosFaceLoss.
  """
  _, cos, labels, valid = _check_proxy("cosface", features, proxies, labels, where)
  c_y = jnp.take_along_axis(cos, labels[:, None], -1)[:, 0]
  return _margin_ce(scale * cos, scale * (c_y - margin), labels, valid)


def _arc_target(c_y, margin):
  """``cos(theta + m)`` where ``theta + m <= pi``, else ``cos theta - m sin m`` (ArcFace's fallback)."""
  theta = jnp.arccos(jnp.clip(c_y, -1.0 + 1e-7, 1.0 - 1e-7))
  return jnp.where(theta <= math.pi - margin, jnp.cos(theta + margin), c_y - margin * math.sin(margin))


def arcface(features, proxies, labels, *, margin: float = 0.5, scale: float = 64.0, where=None) -> Array:
  """ArcFace / additive angular margin: target logit ``s cos(theta_y + m)``, others ``s cos theta_j``.

  Deng et al., "ArcFace: Additive Angular Margin Loss for Deep Face Recognition", CVPR 2019,
  arXiv:1801.07698 (``m=0.5`` rad, ``s=64``); where ``theta_y + m > pi`` the target is
  ``cos theta_y - m sin m`` (the insightface / pytorch-metric-learning fallback). PML's ArcFaceLoss takes
  the margin in degrees (default 28.6 = 0.4992 rad). The arccos is clipped to ``[-1+1e-7, 1-1e-7]`` so the
  gradient stays finite at ``cos = +-1``.
  """
  _, cos, labels, valid = _check_proxy("arcface", features, proxies, labels, where)
  c_y = jnp.take_along_axis(cos, labels[:, None], -1)[:, 0]
  return _margin_ce(scale * cos, scale * _arc_target(c_y, margin), labels, valid)


def adaface_margins(norms, valid, *, margin: float = 0.4, h: float = 0.333, norm_mean=None, norm_std=None,
                    eps: float = 1e-3):
  """AdaFace's ``(z_hat, g_angle, g_add)`` from the feature norms (held constant for the gradient).

  ``z_hat = clip((||z|| - mu) / (sigma / h), -1, 1)``, ``g_angle = -m z_hat``, ``g_add = m z_hat + m``; ``mu``,
  ``sigma`` are the batch's norm mean and std over the valid rows unless given (the authors keep an EMA
  with momentum 0.01; pass it as ``norm_mean``/``norm_std``).
  """
  n = jax.lax.stop_gradient(norms)
  w = valid.astype(n.dtype)
  count = jnp.maximum(jnp.sum(w), 1.0)
  mu = jnp.sum(n * w) / count if norm_mean is None else jnp.asarray(norm_mean, n.dtype)
  if norm_std is None:
    sigma = jnp.sqrt(jnp.sum(w * (n - mu) ** 2) / jnp.maximum(count - 1.0, 1.0))
  else:
    sigma = jnp.asarray(norm_std, n.dtype)
  z_hat = jnp.clip((n - mu) / (sigma + eps) * h, -1.0, 1.0)
  return z_hat, -margin * z_hat, margin * z_hat + margin


def adaface(features, proxies, labels, *, margin: float = 0.4, h: float = 0.333, scale: float = 64.0,
            norm_mean=None, norm_std=None, z_hat=None, where=None) -> Array:
  """AdaFace: a margin that adapts to image quality, with the feature norm as the quality proxy.

  Formula (``theta_y`` the target angle; :func:`adaface_margins` for ``z_hat``)::

      target logit = s (cos(clip(theta_y + g_angle, eps, pi - eps)) - g_add),
      g_angle = -m z_hat,  g_add = m z_hat + m

  At ``z_hat = -1`` (low norm, hard/low quality) it is ArcFace with margin ``m``; at ``z_hat = 0`` CosFace
  with margin ``m``; at ``z_hat = +1`` ``cos(theta - m) - 2m`` (tested). ``z_hat`` can be given directly.
  Defaults are the paper's: ``m=0.4``, ``h=0.333``, ``s=64``. Paper: Kim, Jain, Liu, "AdaFace: Quality
  Adaptive Margin for Face Recognition", CVPR 2022, arXiv:2204.00964, slug adaface (eq. 10-12; the
  authors' mk-minchul/AdaFace ``head.py``, which clips the angle to ``[eps, pi - eps]``, ``eps=1e-3``).
  lbrl's choice: batch norm statistics unless ``norm_mean``/``norm_std`` (the authors' EMA) are passed.
  """
  f32, cos, labels, valid = _check_proxy("adaface", features, proxies, labels, where)
  if z_hat is None:
    norms = jnp.sqrt(jnp.sum(f32 * f32, -1) + 1e-12)
    z_hat, g_angle, g_add = adaface_margins(norms, valid, margin=margin, h=h, norm_mean=norm_mean, norm_std=norm_std)
  else:
    z_hat = jnp.broadcast_to(jnp.asarray(z_hat, jnp.float32), labels.shape)
    g_angle, g_add = -margin * z_hat, margin * z_hat + margin
  c_y = jnp.take_along_axis(cos, labels[:, None], -1)[:, 0]
  theta = jnp.arccos(jnp.clip(c_y, -1.0 + 1e-7, 1.0 - 1e-7))
  target = jnp.cos(jnp.clip(theta + g_angle, 1e-3, math.pi - 1e-3)) - g_add
  return _margin_ce(scale * cos, scale * target, labels, valid)


def _whisker_filter(values, mask, wisk):
  """Mask of the entries of ``values[mask]`` inside ``[Q1 - wisk IQR, Q3 + wisk IQR]`` (quartiles as the
  authors pick them: the sorted values at ``int(0.25 n)`` and ``int(0.75 n)``)."""
  flat, m = values.reshape(-1), mask.reshape(-1)
  n = jnp.sum(m)
  srt = jnp.sort(jnp.where(m, flat, jnp.inf))
  q1 = srt[jnp.clip((0.25 * n).astype(jnp.int32), 0, flat.shape[0] - 1)]
  q3 = srt[jnp.clip((0.75 * n).astype(jnp.int32), 0, flat.shape[0] - 1)]
  iqr = q3 - q1
  return mask & (values >= q1 - wisk * iqr) & (values <= q3 + wisk * iqr)


def unpg(features, proxies, labels, *, margin: float = 0.5, scale: float = 64.0, head: str = "arcface",
         wisk: float = 1.0, where=None) -> Array:
  """UNPG: a margin softmax whose denominator also holds the batch's negative-pair similarities.

  Formula (``f`` the head's target logit: ArcFace ``cos(theta_y + m)`` or CosFace ``cos theta_y - m``)::

      S_n = { cos(x_i, x_j) : i < j, y_i != y_j }   (metric-loss pair generation, MLPG)
      S_n' = S_n filtered to [Q1 - wisk IQR, Q3 + wisk IQR]  (box-and-whisker: drops noisy negatives)
      L_i = -log( e^{s f(theta_y)} / (e^{s f(theta_y)} + sum_{j != y} e^{s cos theta_j} + sum_{S_n'} e^{s s_n}) )

  The class-weight negatives (CLPG) and the in-batch negatives (MLPG) share one denominator; every example
  gets the whole filtered ``S_n'`` (as in the authors' code). Defaults: ArcFace head ``m=0.5``, ``s=64``,
  ``wisk=1.0`` (the authors' head zoo). Paper: Jung et al., "Unified Negative Pair Generation toward
  Well-discriminative Feature Space for Face Recognition", BMVC 2022, arXiv:2203.11593, slug unpg
  (the authors' Jung-Jun-Uk/UNPG ``models/build.py``). Under a sharded jit the pairs span the global batch.
  """
  _choice("unpg", "head", head, ("arcface", "cosface"))
  f32, cos, labels, valid = _check_proxy("unpg", features, proxies, labels, where)
  c_y = jnp.take_along_axis(cos, labels[:, None], -1)[:, 0]
  target = _arc_target(c_y, margin) if head == "arcface" else c_y - margin
  e = l2_normalize(f32)
  sim = e @ e.T
  b = labels.shape[0]
  upper = jnp.arange(b)[:, None] < jnp.arange(b)[None, :]
  neg = upper & valid[:, None] & valid[None, :] & (labels[:, None] != labels[None, :])
  keep = _whisker_filter(jax.lax.stop_gradient(sim), neg, wisk)
  # Every row shares the same S_n', so its log-sum-exp is one scalar joining each row's denominator as a
  # single logit (O(B^2) memory, not the O(B^3) of repeating S_n' per row; the same value and gradient).
  lse = _masked_logsumexp((scale * sim).reshape(1, -1), keep.reshape(1, -1))
  extra = jnp.where(jnp.any(keep), lse, -jnp.inf)
  return _margin_ce(scale * cos, scale * target, labels, valid, jnp.broadcast_to(extra[:, None], (b, 1)))


def ce_orthogonal_projection(features, proxies, labels, *, weight: float = 1.0, gamma: float = 0.5,
                             where=None) -> Array:
  """Cross-entropy on ``features @ proxies.T`` (a bias-free linear classifier) plus ``weight`` x OPL on the
  features (:func:`orthogonal_projection`): the paper's training objective ``L_CE + lambda L_OPL``.
  ``weight=1``, ``gamma=0.5`` (the paper's CIFAR-100 setting, lambda = 1; see its section 4).
  """
  f32 = as_float32(jnp.asarray(features))
  labels = jnp.asarray(labels)
  logits = f32 @ as_float32(jnp.asarray(proxies)).T
  valid = (labels >= 0) & (labels < logits.shape[-1])
  if where is not None:
    valid = valid & jnp.asarray(where, bool)
  ce = optax.softmax_cross_entropy_with_integer_labels(logits, jnp.where(valid, labels, 0))
  opl = orthogonal_projection(f32, labels, gamma=gamma, where=valid)
  return jnp.where(valid, ce + weight * opl, 0.0)


# ------------------------------------------------------------------ mean-field losses (mean_field_theory_deep)


def _log1p_weighted_exp(z, w, axis=-1):
  """``log(1 + sum w exp(z))`` along ``axis`` (``w >= 0``), shifted by a held-constant maximum in ``[0, 80]``."""
  m = jax.lax.stop_gradient(jnp.clip(jnp.max(jnp.where(w > 0, z, -jnp.inf)), 0.0, 80.0))
  return m + jnp.log(jnp.exp(-m) + jnp.sum(w * jnp.exp(z - m), axis))


def _off_diagonal_mean_sum(x):
  """``mean_c sum_{k != c} x[c, k]`` of a square matrix."""
  return jnp.mean(jnp.sum(jnp.where(jnp.eye(x.shape[0], dtype=bool), 0.0, x), -1))


def mean_field_contrastive(features, proxies, labels, *, pos_margin: float = 0.02, neg_margin: float = 0.3,
                           mf_reg: float = 0.0, where=None) -> Array:
  """MeanFieldContrastive: the contrastive loss with every partner replaced by its class's mean field.

  Formula (``d_ic = 1 - cos(x_i, w_c)`` between the L2-normalised embedding and the learnable mean field
  ``w_c`` of class ``c``, one per class: the ``proxies``)::

      L_i = sum_c [ 1{y_i = c} [d_ic - pos_margin]_+ + 1{y_i != c} [neg_margin - d_ic]_+ ]
            + mf_reg mean_c sum_{k != c} [neg_margin - (1 - cos(w_c, w_k))]_+^2

  so the mean over the batch is the authors' loss (``mean_i sum_c``), a classification-form loss with
  ``O(B C)`` terms instead of the pair-based contrastive loss's ``O(B^2)``. Defaults: ``pos_margin=0.02``,
  ``neg_margin=0.3`` (the authors' ``train.py``), ``mf_reg=0`` (their README runs; power 2 as their code).
  Paper: Furusawa, "Mean Field Theory in Deep Metric Learning", ICLR 2024, arXiv:2306.15368, slug
  mean_field_theory_deep (the official implementation's ``MeanFieldContrastiveLoss``; its mean fields
  are initialised N(0, 1) like :class:`lbrl.models.metric.EmbeddingNet`'s proxies, and trained at
  ``lr_ratio`` times the network's learning rate, which lbrl's single optimizer does not reproduce).
  """
  _, cos, labels, valid = _check_proxy("mean_field_contrastive", features, proxies, labels, where)
  d = 1.0 - cos
  onehot = jax.nn.one_hot(labels, cos.shape[-1], dtype=bool)
  values = jnp.sum(jnp.where(onehot, jax.nn.relu(d - pos_margin), jax.nn.relu(neg_margin - d)), -1)
  if mf_reg:
    w = l2_normalize(as_float32(jnp.asarray(proxies)))
    values = values + mf_reg * _off_diagonal_mean_sum(jax.nn.relu(neg_margin - (1.0 - w @ w.T)) ** 2)
  return jnp.where(valid, values, 0.0)


def mean_field_class_wise_multi_similarity(features, proxies, labels, *, alpha: float = 0.01, beta: float = 80.0,
                                           base: float = 0.8, mf_reg: float = 0.0, where=None) -> Array:
  """MeanFieldClassWiseMultiSimilarity: the class-wise Multi-Similarity loss with mean fields as partners.

  Formula (``s_ic = cos(x_i, w_c)``; ``P_c`` the batch's examples of class ``c``, ``n_b`` the number of
  classes in the batch; every class mean below is over ``P_c``)::

      pos_c  = mean_{i in P_c} exp(-alpha (s_ic - base))
      neg_ck = mean_{i in P_c} exp( beta (s_ik - base)),   neg~_ck = neg_ck + neg_kc
      L = 1/(alpha n_b) sum_c log(1 + pos_c) + 1/(2 beta n_b) sum_{c != k} log(1 + neg~_ck)
          + mf_reg mean_c sum_{k != c} softplus_beta(cos(w_c, w_k) - base)^2

  (``softplus_beta(x) = log(1 + e^{beta x}) / beta``, torch's ``Softplus(beta)``). A batch-level value: every
  valid row returns ``L``. Defaults are the authors' README runs (``alpha=0.01``, ``beta=80``, ``base``
  (their ``--mrg``) ``=0.8``, ``mf_reg=0``). Paper: Furusawa, "Mean Field Theory in Deep Metric Learning",
  ICLR 2024, arXiv:2306.15368, slug mean_field_theory_deep (the official ``MeanFieldClassWiseMultiSimilarityLoss``).
  Classes absent from the batch still take part through ``neg_kc`` as in the authors' code.
  """
  _positive("mean_field_class_wise_multi_similarity", alpha=alpha, beta=beta)
  _, cos, labels, valid = _check_proxy("mean_field_class_wise_multi_similarity", features, proxies, labels, where)
  c = cos.shape[-1]
  t = jax.nn.one_hot(labels, c, dtype=jnp.float32) * valid[:, None]            # [B, C]
  counts = jnp.sum(t, 0)
  tn = t / jnp.maximum(counts, 1.0)                                             # per-class means
  n_b = jnp.maximum(jnp.sum(counts > 0), 1).astype(jnp.float32)
  pos = _log1p_weighted_exp((-alpha * (cos - base)).T, tn.T)                    # [C]: log(1 + pos_cc)
  pos = jnp.where(counts > 0, pos, 0.0)
  z = beta * (cos - base)
  m = jax.lax.stop_gradient(jnp.clip(jnp.max(jnp.where(valid[:, None], z, -jnp.inf)), 0.0, 80.0))
  neg = tn.T @ jnp.exp(z - m)                                                   # [C, C], scaled by e^-m
  neg = jnp.where(jnp.eye(c, dtype=bool), 0.0, m + jnp.log(jnp.exp(-m) + neg + neg.T))
  total = jnp.sum(pos) / (alpha * n_b) + jnp.sum(neg) / (2.0 * beta * n_b)
  if mf_reg:
    w = l2_normalize(as_float32(jnp.asarray(proxies)))
    total = total + mf_reg * _off_diagonal_mean_sum((jax.nn.softplus(beta * (w @ w.T - base)) / beta) ** 2)
  return jnp.where(valid, total, 0.0)


# ------------------------------------------------------------------ MadaCos (coarse_to_fine)


def madacos_scale_margin(cos, labels, valid, *, alpha: float = 0.1, min_scale: float = 32.0):
  """MadaCos's batch ``(scale, margin)`` (held constant for the gradient) from the cosine logits ``[B, C]``.

  ``med``: the median target cosine over the valid rows (the lower one for an even count, as
  ``torch.median``); ``scale = max(min_scale, log(9999999 (1 - alpha) / alpha) / (1 - med))``;
  ``B_med = sum_{j != y} exp(scale cos_j)`` of the median row; ``margin = max(0, med - log(B_med alpha /
  (1 - alpha)) / scale)``: the margin at which the median example's target probability (under the
  margin) is exactly ``alpha`` (tested). The scale grows as the target cosines grow during training (the
  paper's progressively strengthened supervision).
  """
  cos = jax.lax.stop_gradient(cos)
  onehot = jax.nn.one_hot(labels, cos.shape[-1], dtype=bool)
  c_y = jnp.sum(jnp.where(onehot, cos, 0.0), -1)
  n = jnp.sum(valid)
  order = jnp.argsort(jnp.where(valid, c_y, jnp.inf))
  mi = order[jnp.clip((n - 1) // 2, 0, c_y.shape[0] - 1)]
  med = c_y[mi]
  scale = jnp.maximum(min_scale, math.log(9999999.0 * (1.0 - alpha) / alpha) / jnp.maximum(1.0 - med, 1e-6))
  log_b = jax.nn.logsumexp(jnp.where(onehot[mi], -jnp.inf, scale * cos[mi]))
  margin = jnp.maximum(med - (log_b + math.log(alpha / (1.0 - alpha))) / scale, 0.0)
  return scale, jnp.where(n > 0, margin, 0.0)


def madacos(features, proxies, labels, *, alpha: float = 0.1, min_scale: float = 32.0, where=None) -> Array:
  """MadaCos: a cosine-margin softmax whose scale and margin are set from each mini-batch.

  Formula (:func:`madacos_scale_margin` for ``s`` and ``m``)::

      L_i = CE( s cos theta_j  (j != y_i),  s (cos theta_y - m) )

  ``alpha=0.1`` (the authors' config default; their ResNet-50 stage-1 landmark run uses 0.02),
  ``min_scale=32``. The gradient treats ``s`` and ``m`` as constants, as the authors' custom backward
  (``grad_logit * scale``). The authors set ``m = 0`` outside training; this function always applies it.
  Paper: Zhu et al., "Coarse-to-Fine: Learning Compact Discriminative Representation for Single-Stage
  Image Retrieval", ICCV 2023, arXiv:2308.04008, slug coarse_to_fine (the authors' bassyess/CFCD
  ``core/model/madacos.py``). The paper's second, fine stage (attentive local-descriptor selection with
  hard-negative triplets) needs a CNN's local feature map and is not part of this loss.
  """
  if not 0.0 < alpha < 1.0:
    raise ValueError(f"madacos: alpha must be in (0, 1), got {alpha!r}")
  _, cos, labels, valid = _check_proxy("madacos", features, proxies, labels, where)
  scale, margin = madacos_scale_margin(cos, labels, valid, alpha=alpha, min_scale=min_scale)
  c_y = jnp.take_along_axis(cos, labels[:, None], -1)[:, 0]
  return _margin_ce(scale * cos, scale * (c_y - margin), labels, valid)


# ------------------------------------------------------------------ Metrix (metrix)

METRIX_LOSSES = ("multi_similarity", "contrastive")


def _soft_pair_loss(loss, sim, t, w, *, alpha, beta, base, pos_margin, neg_margin):
  """Per-anchor generic pair loss over candidates with positivity ``t`` in [0, 1] and weights ``w`` (0 drops)."""
  if loss == "multi_similarity":
    return (_log1p_weighted_exp(-alpha * (sim - base), w * t) / alpha
            + _log1p_weighted_exp(beta * (sim - base), w * (1.0 - t)) / beta)
  d = jnp.sqrt(jnp.maximum(2.0 - 2.0 * sim, 1e-12))
  wp, wn = w * t, w * (1.0 - t)
  return (jnp.sum(wp * jax.nn.relu(d - pos_margin), -1) / jnp.maximum(jnp.sum(wp, -1), 1e-12)
          + jnp.sum(wn * jax.nn.relu(neg_margin - d), -1) / jnp.maximum(jnp.sum(wn, -1), 1e-12))


def metrix(embeddings, labels, *, rng, loss: str = "multi_similarity", mix_weight: float = 0.4,
           mix_alpha: float = 2.0, alpha: float = 2.0, beta: float = 50.0, base: float = 0.5,
           pos_margin: float = 0.0, neg_margin: float = 1.0, where=None) -> Array:
  """Metrix (embedding mixup for metric learning): a pair loss over clean pairs plus the same loss over
  mixed embeddings with interpolated labels.

  Generic form (anchor ``a``, candidates ``u`` with positivity ``t_au`` in [0, 1], the anchor's label mass
  in ``u``'s label vector)::

      multi_similarity: l(a) = 1/alpha log(1 + sum_u t_au e^{-alpha (s_au - base)})
                             + 1/beta  log(1 + sum_u (1 - t_au) e^{beta (s_au - base)})
      contrastive:      l(a) = mean_u^{t} [d_au - pos_margin]_+ + mean_u^{1-t} [neg_margin - d_au]_+
      L(a) = l_clean(a) + mix_weight l_mix(a)

  Clean candidates are the batch's other examples (``t`` = 1 same label, 0 otherwise: the loss without
  mining). Mixed candidates: each example ``k`` is paired with a random example ``pi(k)`` of another label,
  ``u_k = normalize(lam_k e_k + (1 - lam_k) e_pi(k))`` with ``lam_k ~ Beta(mix_alpha, mix_alpha)`` and
  ``t_ak = lam_k 1{y_a = y_k} + (1 - lam_k) 1{y_a = y_pi(k)}`` (positive-negative mixes for the anchor's
  class, negative-negative mixes otherwise); a mix made from the anchor itself is not its candidate.
  Paper: Venkataramanan, Psomas, Kijak, Amsaleg, Karantzalos, Avrithis, "It Takes Two to Tango: Mixup for
  Deep Metric Learning", ICLR 2022, arXiv:2106.04990, slug metrix (Metrix/embed). Checked against the
  authors' code (billpsomas/Metrix_ICLR22, mixup/utils.py and train.py, which implement the contrastive
  loss only: L2 distance, margins 0 / 0.5): ``lam ~ Beta(2, 2)`` and the mixed term weighted 0.4
  (``mix_weight=0.4``; 0.3 for their anchor-negative mixes), the mixed-pair loss
  ``lam [d]_+ + (1 - lam) [0.5 - d]_+`` as the ``t``-weighted form above. Where lbrl departs: the authors
  draw one ``lam`` per batch and, per step at random, mix each anchor's positive with each of its negatives
  (positive-negative mixes) or the anchor itself with its negatives; lbrl draws ``lam`` per mixed example
  and mixes each example with one random other-class partner, so every anchor sees positive-negative mixes
  (its own class's examples mixed away) and negative-negative ones in the same step, and a mix made from
  the anchor itself is left out. The authors average each part over its non-zero terms (pytorch-metric-
  learning's AvgNonZeroReducer); lbrl averages with the weights ``t`` and ``1 - t``.
  ``rng`` draws the pairing and ``lam`` (the trainer supplies one per step).
  """
  _choice("metrix", "loss", loss, METRIX_LOSSES)
  _positive("metrix", alpha=alpha, beta=beta, mix_alpha=mix_alpha)
  e, labels, valid = _check("metrix", embeddings, labels, where)
  e = l2_normalize(e)
  b = labels.shape[0]
  pos, neg = pair_masks(labels, valid, labels, valid, jnp.arange(b))
  kw = dict(alpha=alpha, beta=beta, base=base, pos_margin=pos_margin, neg_margin=neg_margin)
  clean = _soft_pair_loss(loss, e @ e.T, pos.astype(jnp.float32), (pos | neg).astype(jnp.float32), **kw)
  k_pair, k_lam = jax.random.split(rng)
  partner = jnp.argmax(jnp.where(neg, jax.random.uniform(k_pair, (b, b)), -1.0), -1)
  has_partner = jnp.any(neg, -1)
  lam = jax.random.beta(k_lam, mix_alpha, mix_alpha, (b,))
  mixed = l2_normalize(lam[:, None] * e + (1.0 - lam[:, None]) * e[partner])
  same_k = labels[:, None] == labels[None, :]
  same_pk = labels[:, None] == labels[partner][None, :]
  t = lam[None, :] * same_k + (1.0 - lam[None, :]) * same_pk                    # [anchor, mix]
  ar = jnp.arange(b)
  usable = (valid[:, None] & has_partner[None, :] & (ar[:, None] != ar[None, :])
            & (ar[:, None] != partner[None, :]))
  mix = _soft_pair_loss(loss, e @ mixed.T, t, usable.astype(jnp.float32), **kw)
  return jnp.where(valid, clean + mix_weight * mix, 0.0)


# ------------------------------------------------------------------ SuSana distancia (susana_distance)


def _sq_distances(x, y):
  """``||x_i - y_j||^2 [N, M]`` without an ``[N, M, D]`` intermediate (clipped at 0)."""
  return jnp.maximum(jnp.sum(x * x, -1)[:, None] - 2.0 * x @ y.T + jnp.sum(y * y, -1)[None, :], 0.0)


def _distances(e, eps):
  return jnp.sqrt(_sq_distances(e, e) + eps)


def proto_triplet(embeddings, labels, *, margin: float = 0.5, where=None) -> Array:
  """Proto-Triplet loss: a triplet loss whose positive and negative are class prototypes.

  Formula (Euclidean distances ``d(x, y) = sqrt(||x - y||^2 + 1e-6)`` as the authors' code; ``c_k`` the
  prototype (mean embedding) of class ``k``)::

      L_i = [ d(x_i, c_{y_i}) - min_{k != y_i} d(x_i, c_k) + margin ]_+

  The authors compute prototypes from an episode's support set and apply the loss to its queries; on a
  non-episodic batch lbrl uses every valid example as a query and leave-one-out prototypes (the query is
  left out of its own class's mean). 0 for a row without another example of its class or without another
  class. ``margin=0.5`` (the authors' ``proto_triplet_loss``). Paper: Mendez-Ruiz et al., "SuSana
  Distancia is all you need: Enforcing class separability in metric learning via two novel
  distance-based loss functions for few-shot image classification", 2023, arXiv:2305.09062, slug susana_distance.
  """
  e, labels, valid = _check("proto_triplet", embeddings, labels, where)
  logits, _, usable, same = _loo_prototype_logits(e, labels, valid)
  d = jnp.sqrt(-logits + 1e-6)                                                  # the authors' +eps distance
  d_pos = jnp.min(jnp.where(same & usable, d, jnp.inf), -1)                    # one prototype: its distance
  d_neg = jnp.min(jnp.where(usable & ~same, d, jnp.inf), -1)
  has = jnp.any(same & usable, -1) & jnp.any(usable & ~same, -1)
  return jnp.where(has, jax.nn.relu(jnp.where(has, d_pos - d_neg, 0.0) + margin), 0.0)


def icnn_score(embeddings, labels, *, k: int = 4, ipc: int | None = None, where=None) -> Array:
  """The ICNN score (inter- and intra-class nearest neighbours) of a batch of embeddings, in [0, 1].

  Transcribed from the authors' ``modified_score`` (each row's ``ipc`` nearest other rows, Euclidean
  ``sqrt(||.||^2 + 1e-6)``; ``k`` of them scored)::

      nn_dc_i  = distance to the nearest other-class row among the ipc neighbours
      nd_ij    = d_ij / nn_dc_i (j <= k), then divided by max(1, max_j nd_ij)
      lam_sc   = 1 - mean over rows with a same-class neighbour of mean_{same class j} nd_ij
      lam_dc   = mean over rows with an other-class neighbour of mean_{other class j} d_ij / max d  (1 if none)
      gamma    = mean_i (same-class neighbours among the k) / k
      score    = ((lam_sc + lam_dc) / 2 + gamma) / 2

  ``k=4`` and ``ipc = k + 1`` when not given (the authors pass shots + queries per class). ``k`` is cut to
  ``B - 2`` and ``ipc`` to ``B - 1`` for a small batch (the authors' rule; ``gamma = 1`` then).
  """
  e, labels, valid = _check("icnn_score", embeddings, labels, where)
  b = labels.shape[0]
  if b < 3:
    raise ValueError(f"icnn_score: needs a batch of at least 3 rows, got {b}")
  small = k + 2 >= b
  k = b - 2 if small else int(k)
  ipc = min(k + 1 if ipc is None else int(ipc), b - 1)
  if ipc < k:
    raise ValueError(f"icnn_score: ipc must be >= k={k}, got {ipc}")
  eps = 1e-7
  dist = _distances(e, 1e-6)
  usable = valid[None, :] & ~jnp.eye(b, dtype=bool)
  neg_d, idx = jax.lax.top_k(-jnp.where(usable, dist, jnp.inf), ipc)
  nv = jnp.isfinite(neg_d) & valid[:, None]
  d = jnp.where(nv, -neg_d, 0.0)
  same = (labels[idx] == labels[:, None])
  sc, dc = same & nv, ~same & nv
  dcnd = jnp.where(dc, d, 0.0)
  nn_dc = jnp.min(jnp.where(dcnd > 0, dcnd, jnp.inf), -1)
  nd = (d / (nn_dc[:, None] + eps))[:, :k]
  nd = nd / jnp.maximum(1.0, jnp.max(nd, -1, keepdims=True))
  sc_k, dc_k, dcnd_k = sc[:, :k], dc[:, :k], dcnd[:, :k]
  sc_count, dc_count = jnp.sum(sc_k, -1), jnp.sum(dc_k, -1)
  sc_mean = jnp.sum(jnp.where(sc_k, nd, 0.0), -1) / (sc_count + eps)
  lam_sc = 1.0 - jnp.sum(sc_mean) / (jnp.sum(sc_count > 0) + eps)
  dcnd_k = dcnd_k / (jnp.max(dcnd_k) + eps)
  dc_mean = jnp.sum(dcnd_k, -1) / (dc_count + eps)
  lam_dc = jnp.sum(dc_mean) / (jnp.sum(dc_count > 0) + eps)
  lam_dc = jnp.abs(lam_dc - jnp.where(jnp.any(dc_k), 0.0, 1.0))
  n_rows = jnp.maximum(jnp.sum(valid), 1).astype(jnp.float32)
  gamma = 1.0 if small else jnp.sum(jnp.where(valid, sc_count / k, 0.0)) / n_rows
  return ((lam_sc + lam_dc) / 2.0 + gamma) / 2.0


def icnn_loss(embeddings, labels, *, k: int = 4, ipc: int | None = None, where=None) -> Array:
  """ICNN loss ``-log(icnn_score)`` (:func:`icnn_score`), a batch-level value every valid row returns.

  The authors' "fullicnn" term (support and query features together). Paper: Mendez-Ruiz et al., "SuSana
  Distancia is all you need", 2023, arXiv:2305.09062, slug susana_distance. The score is floored at 1e-12
  before the log (the authors' code has no floor); a batch with fewer than two valid rows gives 0.
  """
  e, labels, valid = _check("icnn_loss", embeddings, labels, where)
  score = icnn_score(e, labels, k=k, ipc=ipc, where=valid)
  has_pair = jnp.sum(valid) >= 2                     # one valid row (or none): no neighbour, loss 0
  return jnp.where(valid & has_pair, -jnp.log(jnp.maximum(score, 1e-12)), 0.0)


def _loo_prototype_logits(e, labels, valid):
  """``-||x_i - c_{y_j}||^2`` for every pair ``[i, j]`` (``c`` the class means; the row's own class mean
  leaves the row out), the class size ``n_j`` each column stands for, and the usable-pair mask."""
  same = (labels[:, None] == labels[None, :]) & valid[:, None] & valid[None, :]
  n = jnp.sum(same, -1).astype(jnp.float32)
  class_sum = same.astype(jnp.float32) @ e
  proto = class_sum / jnp.maximum(n, 1.0)[:, None]                                      # row j: c_{y_j}
  own = (class_sum - e) / jnp.maximum(n - 1.0, 1.0)[:, None]                            # c_{y_i} without i
  d_other = _sq_distances(e, proto)
  d_own = jnp.sum((e - own) ** 2, -1)
  d = jnp.where(same, d_own[:, None], d_other)
  count = jnp.where(same, (n - 1.0)[:, None], n[None, :])                               # members per column's class
  usable = valid[:, None] & valid[None, :] & ~jnp.eye(labels.shape[0], dtype=bool)
  return -d, count, usable, same


def prototypical_loss(embeddings, labels, *, where=None) -> Array:
  """Prototypical-network cross-entropy on in-batch prototypes: ``-log softmax_k(-||x_i - c_k||^2)[y_i]``.

  ``c_k`` the mean embedding of class ``k`` in the batch, the row's own class leaving the row out (the
  in-batch form of an episode's support / query split; Snell, Swersky, Zemel, "Prototypical Networks for
  Few-shot Learning", NeurIPS 2017, arXiv:1703.05175, squared Euclidean distance). The baseline and the
  cross-entropy term of the susana_distance paper's objective (the authors' ``'cross'`` term). 0 for a row
  without another example of its class or without another class.
  """
  e, labels, valid = _check("prototypical_loss", embeddings, labels, where)
  logits, count, usable, same = _loo_prototype_logits(e, labels, valid)
  # every column j of class k stands for c_k once: weight 1/count so the log-sum-exp runs over classes
  lse = _masked_logsumexp(logits - jnp.log(jnp.maximum(count, 1.0)), usable)
  own = jnp.max(jnp.where(same & usable, logits, -jnp.inf), -1)
  has = jnp.any(same & usable, -1) & jnp.any(usable & ~same, -1)
  return jnp.where(has, lse - jnp.where(has, own, 0.0), 0.0)


def proto_triplet_icnn(embeddings, labels, *, margin: float = 0.5, k: int = 4, ipc: int | None = None,
                       ce_weight: float = 1.0, icnn_weight: float = 1.0, triplet_weight: float = 1.0,
                       where=None) -> Array:
  """The susana_distance paper's objective: the mean of its active terms, as the authors' ``get_icnn_loss``
  (``loss / count``)::

      L = (ce_weight CE_proto + icnn_weight ICNN + triplet_weight ProtoTriplet) / (number of non-zero weights)

  (:func:`prototypical_loss`, :func:`icnn_loss`, :func:`proto_triplet`). A zero weight drops a term (and its
  share of the count).
  """
  weights = (ce_weight, icnn_weight, triplet_weight)
  if any(w < 0 for w in weights) or not any(weights):
    raise ValueError(f"proto_triplet_icnn: weights must be >= 0 with one positive, got {weights}")
  total = 0.0
  if ce_weight:
    total = total + ce_weight * prototypical_loss(embeddings, labels, where=where)
  if icnn_weight:
    total = total + icnn_weight * icnn_loss(embeddings, labels, k=k, ipc=ipc, where=where)
  if triplet_weight:
    total = total + triplet_weight * proto_triplet(embeddings, labels, margin=margin, where=where)
  return total / sum(1 for w in weights if w)


# ------------------------------------------------------------------ ClusterNet (semi_supervised_clustering_neural)


def clusternet(features, centers, labels, *, kmeans_weight: float = 1.0, pair_weight: float = 1.0,
               margin: float = 2.0, where=None) -> Array:
  """A pairwise-constraint clustering loss for semi-supervised clustering (labels ``< 0`` = unlabelled).

  Formula (latent codes ``z_i``, learnable cluster centres ``mu_k`` = ``centers [K, D]``,
  ``q_i = softmax_k(-||z_i - mu_k||^2)``; must-link / cannot-link pairs = labelled pairs with equal /
  different labels)::

      L_i = kmeans_weight min_k ||z_i - mu_k||^2                           (every valid row)
          + pair_weight mean_{j: labelled pair (i, j)} [ must_ij KL(sg(q_i) || q_j)
                                                       + cannot_ij max(0, margin - KL(sg(q_i) || q_j)) ]

  Both orders of a pair are counted (the symmetric KL), each with its first distribution held constant,
  as Hsu and Kira's pairwise KL-divergence clustering loss ("Neural network-based clustering using
  pairwise constraints", 2016, arXiv:1511.06321; hinge margin 2). Paper: Shukla, Cheema, Anand,
  "Semi-Supervised Clustering with Neural Networks" (ClusterNet), 2018, arXiv:1806.01547, slug
  semi_supervised_clustering_neural: pairwise semantic constraints from fewer than 5% labelled examples
  with constrained k-means in an autoencoder's latent space, centres learned jointly. lbrl's reading:
  the paper's equations were not reachable offline; the pairwise term is Hsu and Kira's and the k-means term
  the hard-assignment distortion, and the autoencoder's reconstruction term is left to the model (lbrl's
  EmbeddingNet has no decoder). A row with no labelled partner gets only its k-means term.
  """
  _positive("clusternet", margin=margin)
  z, centers, labels = jnp.asarray(features), jnp.asarray(centers), jnp.asarray(labels)
  if z.ndim != 2 or centers.ndim != 2 or z.shape[-1] != centers.shape[-1]:
    raise ValueError(f"clusternet: features must be [batch, D] and centers [K, D] with the same D, got "
                     f"{z.shape} and {centers.shape}")
  if not jnp.issubdtype(labels.dtype, jnp.integer) or labels.shape != z.shape[:1]:
    raise ValueError(f"clusternet: labels must be integer [batch]={z.shape[:1]} (< 0: unlabelled), got "
                     f"{labels.dtype} {labels.shape}")
  valid = jnp.ones(labels.shape, bool) if where is None else jnp.asarray(where, bool)
  z, mu = as_float32(z), as_float32(centers)
  d2 = jnp.sum(z * z, -1)[:, None] - 2.0 * z @ mu.T + jnp.sum(mu * mu, -1)[None, :]
  kmeans = jnp.min(d2, -1)
  logq = jax.nn.log_softmax(-d2, -1)
  p = jax.lax.stop_gradient(jnp.exp(logq))
  lp = jax.lax.stop_gradient(logq)
  kl = jnp.sum(p * lp, -1)[:, None] - p @ logq.T                               # KL(sg(q_i) || q_j)
  lab = valid & (labels >= 0)
  both = lab[:, None] & lab[None, :] & ~jnp.eye(labels.shape[0], dtype=bool)
  same = labels[:, None] == labels[None, :]
  terms = jnp.where(same, kl, jax.nn.relu(margin - kl))
  count = jnp.sum(both, -1)
  pair = jnp.sum(jnp.where(both, terms, 0.0), -1) / jnp.maximum(count, 1)
  return jnp.where(valid, kmeans_weight * kmeans + pair_weight * pair, 0.0)


def clusternet_autoencoder(logits, aux, labels, *, reconstruction_weight: float = 1.0, kmeans_weight: float = 1.0,
                           pair_weight: float = 1.0, margin: float = 2.0, where=None) -> Array:
  """ClusterNet with its autoencoder: :func:`clusternet` in the latent space of an autoencoder plus the
  reconstruction error, ``L_i = reconstruction_weight ||x_i - dec(z_i)||^2 + clusternet_i`` (the squared
  error summed over the input, the usual autoencoder loss and DCN's (Yang et al. 2017) balance against a
  k-means distortion in the latent space).

  ``aux = (latent z [B, D], cluster centres [K, D], reconstruction error [B])`` as
  :class:`lbrl.models.metric.EmbeddingNet` returns it with a ``decoder`` and ``return_aux=True`` (``logits``,
  the cosine to the centres, is unused). The reconstruction term keeps the latent space from collapsing
  onto one centre (the k-means term alone is minimised by mapping every example to it); the paper trains a
  convolutional autoencoder for this. Paper: Shukla, Cheema, Anand, "Semi-Supervised Clustering with Neural
  Networks", 2018, arXiv:1806.01547, slug semi_supervised_clustering_neural.
  """
  del logits
  if not (isinstance(reconstruction_weight, (int, float)) and reconstruction_weight >= 0):
    raise ValueError(f"clusternet_autoencoder: reconstruction_weight must be a number >= 0, got "
                     f"{reconstruction_weight!r}")
  if not isinstance(aux, (tuple, list)) or len(aux) != 3:
    raise ValueError("clusternet_autoencoder: aux must be (latent [B, D], centers [K, D], reconstruction error [B]) "
                     f"(EmbeddingNet with a decoder, return_aux=True), got {type(aux).__name__}")
  z, centers, error = aux
  error = jnp.asarray(error, jnp.float32)
  if error.shape != jnp.shape(labels):
    raise ValueError(f"clusternet_autoencoder: the reconstruction error must be [batch]={jnp.shape(labels)}, "
                     f"got {error.shape}")
  cluster = clusternet(z, centers, labels, kmeans_weight=kmeans_weight, pair_weight=pair_weight, margin=margin,
                       where=where)
  valid = jnp.ones(error.shape, bool) if where is None else jnp.asarray(where, bool)
  return cluster + jnp.where(valid, reconstruction_weight * error, 0.0)


# ------------------------------------------------------------------ DAAL (daal)


def segment_distance(x, a, b):
  """Euclidean distance ``[N, C]`` from each row of ``x [N, D]`` to the segments ``[a_c, b_c]`` (``a, b
  [C, D]``): ``||x - (a + t (b - a))||`` with ``t = clip(<x - a, b - a> / ||b - a||^2, 0, 1)`` (a point when
  ``a = b``)."""
  ab = b - a
  den = jnp.sum(ab * ab, -1)
  t = (x @ ab.T - jnp.sum(a * ab, -1)[None, :]) / jnp.maximum(den, 1e-12)[None, :]
  t = jnp.clip(jnp.where(den[None, :] > 1e-12, t, 0.0), 0.0, 1.0)
  xa = jnp.sum(x * x, -1)[:, None] - 2.0 * x @ a.T + jnp.sum(a * a, -1)[None, :]       # ||x - a||^2
  sq = xa - 2.0 * t * (x @ ab.T - jnp.sum(a * ab, -1)[None, :]) + t * t * den[None, :]
  return jnp.sqrt(jnp.maximum(sq, 1e-12))


def daal(features, proxies, labels, *, scale: float = 16.0, margin: float = 0.1, line: bool = True,
         where=None) -> Array:
  """Line-segment class proxies with an additive margin: the "adaptive line" part of DAAL.

  Each class ``c`` is a segment between two learnable vertices ``a_c = proxies[2c]``, ``b_c = proxies[2c + 1]``
  (so the model has ``2 C`` proxies), L2-normalised like the embeddings; ``d_c(x)`` the distance to the
  segment (:func:`segment_distance`)::

      L_i = CE( -scale d_c(x_i)^2 for c != y_i,  -scale (d_y(x_i) + margin)^2 )

  A class's examples may spread along its segment (sub-clusters, intra-class variance kept) instead of
  collapsing onto one point; ``line=False`` uses the first vertex only (a point proxy: the baseline).
  Paper: Gebrerufael, Tiwari, Neupane, Hailu, "DAAL: Density-Aware Adaptive Line Margin Loss for
  Multi-Modal Deep Metric Learning", 2024, arXiv:2410.05438, slug daal. lbrl's reading of the abstract and
  of a secondary summary ("each class is represented by a line segment defined by two vertices"): the
  paper's equations and its density-aware margin were not reachable offline (no code released), so the
  margin here is a fixed additive one and ``scale``/``margin`` are lbrl's defaults. Check against the paper
  before any verdict on DAAL itself.
  """
  _positive("daal", scale=scale)
  f, p, labels = jnp.asarray(features), jnp.asarray(proxies), jnp.asarray(labels)
  if p.ndim != 2 or p.shape[0] % 2:
    raise ValueError(f"daal: proxies must be [2 x num_classes, D] (two vertices per class), got {p.shape}")
  vertices = p.reshape(p.shape[0] // 2, 2, p.shape[-1])
  _, _, labels, valid = _check_proxy("daal", f, vertices[:, 0], labels, where)
  x = l2_normalize(as_float32(f))
  a = l2_normalize(as_float32(vertices[:, 0]))
  b = l2_normalize(as_float32(vertices[:, 1])) if line else a
  d = segment_distance(x, a, b)
  d_y = jnp.take_along_axis(d, labels[:, None], -1)[:, 0]
  return _margin_ce(-scale * d * d, -scale * (d_y + margin) ** 2, labels, valid)


# ------------------------------------------------------------------ a module owning the class proxies
MARGIN_KINDS = ("normalized_softmax", "cosface", "arcface", "adaface", "unpg")


class MarginHead(nn.Module):
  """Class proxies + a margin loss: ``head(embeddings, labels) -> per-example loss [B]``;
  ``head(embeddings) -> cosine logits [B, C]`` (inference). ``kwargs`` are the loss's hyperparameters
  (e.g. ``{"margin": 0.5, "scale": 64.0}``; defaults: the papers', see :mod:`lbrl.losses.metric`)."""
  num_classes: int
  kind: str = "arcface"
  kwargs: dict | None = None
  param_dtype: str = "float32"

  @nn.compact
  def __call__(self, embeddings, labels=None):
    if self.kind not in MARGIN_KINDS:
      raise ValueError(f"MarginHead: kind must be one of {MARGIN_KINDS}, got {self.kind!r}")
    proxies = self.param("proxies", nn.initializers.normal(1.0), (self.num_classes, embeddings.shape[-1]),
                         self.param_dtype)
    if labels is None:
      return l2_normalize(embeddings.astype(jnp.float32)) @ l2_normalize(proxies).T
    return globals()[self.kind](embeddings, proxies, labels, **(self.kwargs or {}))

  @classmethod
  def sharding_rules(cls):
    return [(r".*proxies", ("model", None))]
