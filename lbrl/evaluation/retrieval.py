"""Retrieval evaluation of embeddings: Recall@K, MAP@R, R-precision, NMI of k-means clusters, kNN and
nearest-class-mean accuracy. The standard deep-metric-learning protocol evaluates on classes the model
never saw (train on one half of the classes, retrieve on the other: :func:`lbrl.data.metric_transforms.load_held_out`).

Every query is compared with every other evaluated example (leave-one-out: the query's own row is never
its neighbour). Similarities are computed on device in query chunks of ``chunk`` rows (memory
``chunk x N``), keeping only the top ``k`` neighbours per query (``jax.lax.top_k``), so ``N x N`` is never
formed. ``metric="cosine"`` (default; L2-normalised embeddings) or ``"euclidean"``.

Definitions (``R_q`` = number of other examples with the query's label):

* ``recall_at_k``: fraction of queries with at least one same-class example among their ``k`` nearest
  neighbours (the DML "Recall@K" of Oh Song et al. 2016; ``k=1`` is pytorch-metric-learning's precision_at_1);
* ``r_precision``: mean over queries of (same-class among the ``R_q`` nearest) / ``R_q``;
* ``map_at_r``: mean over queries of ``1/R_q sum_{i <= R_q} P(i) rel(i)`` (Musgrave et al., "A Metric
  Learning Reality Check", ECCV 2020, arXiv:2003.08505); both as pytorch-metric-learning's
  AccuracyCalculator (queries with ``R_q = 0`` are skipped, golden-tested);
* ``nmi``: normalised mutual information between the labels and k-means clusters (k = number of classes;
  ``sklearn.cluster.KMeans`` with ``n_init=10``, ``random_state=0``, ``sklearn.metrics.normalized_mutual_info_score``);
* ``knn_accuracy``: majority vote of the ``k`` nearest neighbours (ties: the smallest label);
* ``ncm_accuracy``: nearest class mean, each class mean computed without the query (leave-one-out).

As eval metrics (:data:`lbrl.registry.METRICS`, declared in :mod:`lbrl.declarations.metric`) the per-example
statistic is the embedding itself (``{"embedding": [N, D], "label": [N]}``, small ``D``) and the host
reduction runs the functions above, once the eval step hands a metric the model's embeddings in its
``logits`` argument (today it passes ``None`` for an embeddings loss: see the metric's error). Until then,
and for models trained through a proxy loss, the post-training stage ``retrieval``
(:class:`RetrievalStage`, ``config.post_training = [dict(name="retrieval")]``) computes them all on the
eval split's embeddings after training.
"""
from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np

METRICS_ = ("cosine", "euclidean")


def _prep(embeddings, labels, metric):
  if metric not in METRICS_:
    raise ValueError(f"retrieval: metric must be one of {METRICS_}, got {metric!r}")
  e = jnp.asarray(embeddings, jnp.float32)
  y = jnp.asarray(labels)
  if e.ndim != 2 or y.shape != e.shape[:1]:
    raise ValueError(f"retrieval: embeddings must be [N, D] and labels [N], got {e.shape} and {y.shape}")
  if not jnp.issubdtype(y.dtype, jnp.integer):
    raise TypeError(f"retrieval: labels must be integers, got {y.dtype}")
  if metric == "cosine":
    e = e * jax.lax.rsqrt(jnp.maximum(jnp.sum(e * e, -1, keepdims=True), 1e-24))
  return e, y


@functools.partial(jax.jit, static_argnames=("k", "metric"))
def _topk_chunk(q, qi, e, k, metric):
  s = q @ e.T
  if metric == "euclidean":
    s = 2.0 * s - jnp.sum(e * e, -1)[None, :]          # -||q - e||^2 up to a per-row constant
  s = jnp.where(qi[:, None] == jnp.arange(e.shape[0])[None, :], -jnp.inf, s)
  return jax.lax.top_k(s, k)[1]


def neighbours(embeddings, labels, k: int, *, metric: str = "cosine", chunk: int = 1024) -> np.ndarray:
  """Indices ``[N, k]`` of each example's ``k`` nearest other examples (most similar first)."""
  e, _ = _prep(embeddings, labels, metric)
  n = e.shape[0]
  if not 0 < k < n:
    raise ValueError(f"retrieval: k must be in [1, N-1]={n - 1}, got {k}")
  out = []
  for lo in range(0, n, chunk):
    hi = min(lo + chunk, n)
    out.append(np.asarray(_topk_chunk(e[lo:hi], jnp.arange(lo, hi), e, k, metric)))
  return np.concatenate(out)


def retrieval_metrics(embeddings, labels, *, ks=(1, 2, 4, 8), knn: int = 5, metric: str = "cosine",
                      chunk: int = 1024) -> dict[str, float]:
  """Recall@K for ``ks``, MAP@R, R-precision and kNN accuracy (``knn`` neighbours) from one neighbour pass."""
  y = np.asarray(labels)
  n = y.shape[0]
  counts = np.bincount(y - y.min())[y - y.min()] - 1          # R_q: other examples of the query's class
  k = int(min(n - 1, max(max(ks), counts.max(), knn)))
  nn = neighbours(embeddings, labels, k, metric=metric, chunk=chunk)
  rel = y[nn] == y[:, None]                                    # [N, k]
  out = {f"recall_at_{kk}": float(np.mean(rel[:, :kk].any(1))) for kk in ks}
  has = counts > 0
  r = counts[has]
  rel_r = rel[has]
  in_r = np.arange(k)[None, :] < r[:, None]
  hits = np.cumsum(rel_r * in_r, 1)
  prec = hits / np.arange(1, k + 1)[None, :]
  out["map_at_r"] = float(np.mean(np.sum(prec * rel_r * in_r, 1) / r))
  out["r_precision"] = float(np.mean(hits[:, -1] / r))
  votes = y[nn[:, :knn]]
  pred = np.array([np.bincount(v - y.min()).argmax() + y.min() for v in votes])
  out["knn_accuracy"] = float(np.mean(pred == y))
  return out


def ncm_accuracy(embeddings, labels, *, metric: str = "cosine") -> float:
  """Nearest-class-mean accuracy, each query's own class mean computed without it (leave-one-out)."""
  e, y = _prep(embeddings, labels, metric)
  classes, inv = np.unique(np.asarray(y), return_inverse=True)
  onehot = jax.nn.one_hot(jnp.asarray(inv), len(classes), dtype=jnp.float32)     # [N, C]
  sums = onehot.T @ e                                                               # [C, D]
  counts = jnp.sum(onehot, 0)
  means = sums[None, :, :] - onehot[:, :, None] * e[:, None, :]                     # leave-one-out
  cnt = counts[None, :] - onehot
  means = means / jnp.maximum(cnt, 1.0)[..., None]
  if metric == "cosine":
    means = means * jax.lax.rsqrt(jnp.maximum(jnp.sum(means * means, -1, keepdims=True), 1e-24))
    score = jnp.einsum("nd,ncd->nc", e, means)
  else:
    score = -jnp.sum((e[:, None, :] - means) ** 2, -1)
  score = jnp.where(cnt > 0, score, -jnp.inf)
  return float(np.mean(np.asarray(jnp.argmax(score, -1)) == inv))


def mean_pair_distance(embeddings) -> float:
  """Mean Euclidean distance between the L2-normalised embeddings over all pairs ``i != j``: 0 when the
  network has collapsed every input onto one point; ``sqrt(2)`` for mutually orthogonal (or zero-mean,
  spread-out) embeddings. Computed exactly from the Gram matrix, ``||e_i - e_j||^2 = 2 - 2 e_i . e_j``."""
  e = np.asarray(embeddings, np.float64)
  if e.ndim != 2 or e.shape[0] < 2:
    raise ValueError(f"mean_pair_distance: embeddings must be [N >= 2, D], got shape {e.shape}")
  e = e / np.maximum(np.linalg.norm(e, axis=-1, keepdims=True), 1e-12)
  d = np.sqrt(np.maximum(2.0 - 2.0 * (e @ e.T), 0.0))
  n = e.shape[0]
  return float((d.sum() - np.trace(d)) / (n * (n - 1)))


def utilization(queries, reference, *, chunk: int = 1024) -> float:
  """Metrix's utilization: the mean over ``queries`` of the Euclidean distance (L2-normalised embeddings)
  to the nearest ``reference`` embedding. With test queries and the training set as reference, a lower
  value means training explored more of the region where the unseen classes land (Venkataramanan et al.,
  "It Takes Two to Tango: Mixup for Deep Metric Learning", ICLR 2022, arXiv:2106.04990, slug metrix)."""
  q = np.asarray(queries, np.float32)
  r = np.asarray(reference, np.float32)
  if q.ndim != 2 or r.ndim != 2 or q.shape[1] != r.shape[1] or not len(r):
    raise ValueError(f"utilization: queries [N, D] and a non-empty reference [M, D], got {q.shape} and {r.shape}")
  qn = jnp.asarray(q) * jax.lax.rsqrt(jnp.maximum(jnp.sum(jnp.asarray(q) ** 2, -1, keepdims=True), 1e-24))
  rn = jnp.asarray(r) * jax.lax.rsqrt(jnp.maximum(jnp.sum(jnp.asarray(r) ** 2, -1, keepdims=True), 1e-24))
  best = [jnp.max(qn[i:i + chunk] @ rn.T, -1) for i in range(0, len(q), chunk)]
  s = jnp.concatenate(best) if best else jnp.zeros((0,))
  return float(jnp.mean(jnp.sqrt(jnp.maximum(2.0 - 2.0 * s, 0.0))))


def quality_metrics(embeddings, labels, quality, *, metric: str = "cosine", chunk: int = 1024) -> dict[str, float]:
  """Retrieval by image quality: ``recall_at_1_quality<q>`` (the fraction of queries of quality level ``q``
  whose nearest other example, among all levels, has their label) for each level present, and
  ``norm_quality_spearman``, the Spearman correlation between the raw embedding norm and the level (the
  AdaFace premise: the feature norm falls as quality falls, i.e. as the degradation level rises, so a
  negative value; AdaFace's margin is a monotone function of the norm, so this is also the correlation of
  its per-example margin term). Kim, Jain, Liu, "AdaFace: Quality Adaptive Margin for Face Recognition",
  CVPR 2022, arXiv:2204.00964, slug adaface."""
  from scipy.stats import spearmanr
  y, q = np.asarray(labels), np.asarray(quality)
  e = np.asarray(embeddings, np.float32)
  if q.shape != y.shape:
    raise ValueError(f"quality_metrics: quality must be [N]={y.shape}, got {q.shape}")
  first = neighbours(e, y, 1, metric=metric, chunk=chunk)[:, 0]
  hit = y[first] == y
  out = {f"recall_at_1_quality{int(v)}": float(np.mean(hit[q == v])) for v in np.unique(q)}
  norms = np.linalg.norm(e.astype(np.float64), axis=-1)
  out["norm_quality_spearman"] = float(spearmanr(norms, q).correlation) if len(np.unique(q)) > 1 else float("nan")
  return out


def few_shot_accuracy(embeddings, labels, *, way: int = 5, shot: int = 5, queries: int = 15,
                      episodes: int = 600, seed: int = 0) -> float:
  """Mean accuracy of ``way``-way ``shot``-shot episodes classified by the nearest prototype (the mean of a
  class's support embeddings, squared Euclidean distance on the raw embeddings: Snell et al.'s prototypical
  networks, the few-shot protocol of the susana_distance paper). Each episode draws ``way`` classes and, per
  class, ``shot`` support and ``queries`` query examples without replacement (``numpy`` generator ``seed``);
  classes with fewer than ``shot + queries`` examples are never drawn."""
  e = np.asarray(embeddings, np.float64)
  y = np.asarray(labels)
  if e.ndim != 2 or y.shape != e.shape[:1]:
    raise ValueError(f"few_shot_accuracy: embeddings must be [N, D] and labels [N], got {e.shape} and {y.shape}")
  classes = [c for c in np.unique(y) if np.sum(y == c) >= shot + queries]
  if len(classes) < way or min(way, shot, queries, episodes) < 1:
    raise ValueError(f"few_shot_accuracy: need way={way} classes with >= shot + queries = {shot + queries} "
                     f"examples each (have {len(classes)}), and positive way/shot/queries/episodes")
  rng = np.random.default_rng(seed)
  hits = []
  for _ in range(episodes):
    chosen = rng.choice(classes, way, replace=False)
    protos, qs = [], []
    for c in chosen:
      idx = rng.choice(np.flatnonzero(y == c), shot + queries, replace=False)
      protos.append(e[idx[:shot]].mean(0))
      qs.append(e[idx[shot:]])
    protos = np.stack(protos)
    for k, q in enumerate(qs):
      d = np.sum((q[:, None, :] - protos[None]) ** 2, -1)
      hits.append(np.argmin(d, 1) == k)
  return float(np.mean(np.concatenate(hits)))


def nmi(embeddings, labels, *, metric: str = "cosine", seed: int = 0, n_init: int = 10) -> float:
  """NMI between the labels and k-means clusters of the embeddings (k = number of classes; the best of
  ``n_init`` k-means++ restarts)."""
  from sklearn.cluster import KMeans
  from sklearn.metrics import normalized_mutual_info_score
  e, y = _prep(embeddings, labels, metric)
  y = np.asarray(y)
  clusters = KMeans(len(np.unique(y)), n_init=int(n_init), random_state=seed).fit_predict(np.asarray(e, np.float64))
  return float(normalized_mutual_info_score(y, clusters))


# ---------------------------------------------------------------- eval metrics (lbrl.metrics contract)


def embedding_stats(embeddings, labels, per_example_loss):
  """Per-example statistics of every retrieval metric: the embedding and its label."""
  if embeddings is None:
    raise ValueError("retrieval metrics need the model's embeddings in the eval step (a model/loss whose eval "
                     "outputs are embeddings [N, D]); got none")
  return {"embedding": embeddings.astype(jnp.float32), "label": labels.astype(jnp.int32)}


def _host(s):
  return np.asarray(s["embedding"], np.float32), np.asarray(s["label"])


def reduce_recall_at_1(s) -> float:
  return retrieval_metrics(*_host(s), ks=(1,))["recall_at_1"]


def reduce_recall_at_4(s) -> float:
  return retrieval_metrics(*_host(s), ks=(4,))["recall_at_4"]


def reduce_map_at_r(s) -> float:
  return retrieval_metrics(*_host(s), ks=(1,))["map_at_r"]


def reduce_r_precision(s) -> float:
  return retrieval_metrics(*_host(s), ks=(1,))["r_precision"]


def reduce_knn_accuracy(s) -> float:
  return retrieval_metrics(*_host(s), ks=(1,))["knn_accuracy"]


def reduce_ncm_accuracy(s) -> float:
  return ncm_accuracy(*_host(s))


def reduce_nmi(s) -> float:
  return nmi(*_host(s))


# ---------------------------------------------------------------- post-training stage (final metrics)


@dataclasses.dataclass
class RetrievalStage:
  """Post-training stage: the retrieval metrics of the trained model's embeddings
  (``model.apply(..., return_embeddings=True)``) on the config's eval split (``on="eval"``: with the
  ``held_out_classes`` dataset, the unseen classes) or on the stage's own ``split`` (``on="split"``).
  ``split`` is the held-out split the trainer loads for a stage (it must not overlap the training or eval
  split). The run's final metrics get ``post/retrieval/{recall_at_1, recall_at_2, recall_at_4,
  recall_at_8, map_at_r, r_precision, knn_accuracy, ncm_accuracy, nmi, mean_pair_distance}``
  (the last: collapse, :func:`mean_pair_distance`). Nothing is calibrated: the
  eval logits pass through unchanged. ``nmi_restarts``: k-means restarts of the NMI (10; 1 keeps smoke
  runs cheap). ``utilization``: also ``post/retrieval/utilization`` (:func:`utilization` of the evaluated
  embeddings against the training split's, the metrix paper's measure). ``few_shot``: shot counts, each
  giving ``post/retrieval/few_shot_<shot>shot`` (:func:`few_shot_accuracy`, 5-way (or every class when
  fewer), 15 queries, 600 episodes). An eval split with a per-example ``quality`` array (the ``degrade``
  option of the held_out_classes dataset) also gives :func:`quality_metrics`."""
  split: str = "train[90%:]"
  on: str = "eval"
  knn: int = 5
  chunk: int = 1024
  nmi_restarts: int = 10
  utilization: bool = False
  few_shot: tuple = ()

  def fit(self, task, state, data, mesh, cfg):
    from lbrl.data import core
    from lbrl.evaluation.ssl import features
    if self.on not in ("eval", "split"):
      raise ValueError(f"retrieval stage: on must be 'eval' or 'split', got {self.on!r}")
    if self.on == "eval":
      data = core.load(cfg.data.name, cfg.data.split_eval, data_dir=cfg.data.data_dir, **dict(cfg.data.options))
    emb, labels = features(task.model, state.params, state.model_state, data, int(cfg.data.eval_batch_size),
                           return_embeddings=True)
    emb, labels = np.asarray(emb), np.asarray(labels)
    out = retrieval_metrics(emb, labels, knn=self.knn, chunk=self.chunk)
    out["ncm_accuracy"] = ncm_accuracy(emb, labels)
    out["nmi"] = nmi(emb, labels, n_init=self.nmi_restarts)
    out["mean_pair_distance"] = mean_pair_distance(emb)
    if self.utilization:
      train = core.load(cfg.data.name, cfg.data.split_train, data_dir=cfg.data.data_dir, **dict(cfg.data.options))
      ref, _ = features(task.model, state.params, state.model_state, train, int(cfg.data.eval_batch_size),
                        return_embeddings=True)
      out["utilization"] = utilization(emb, np.asarray(ref), chunk=self.chunk)
    if "quality" in data.arrays:
      out.update(quality_metrics(emb, labels, np.asarray(data.arrays["quality"]), chunk=self.chunk))
    for shot in self.few_shot:
      out[f"few_shot_{shot}shot"] = few_shot_accuracy(emb, labels, way=min(5, len(np.unique(labels))), shot=shot)
    return {k: jnp.asarray(v, jnp.float32) for k, v in out.items()}

  @staticmethod
  def apply(cal, logits):
    return logits

  @staticmethod
  def describe(cal):
    return {k: float(v) for k, v in cal.items()}


def retrieval_stage(split: str = "train[90%:]", on: str = "eval", knn: int = 5, chunk: int = 1024,
                    nmi_restarts: int = 10, utilization: bool = False, few_shot=()):
  if int(nmi_restarts) < 1:
    raise ValueError(f"retrieval stage: nmi_restarts must be >= 1, got {nmi_restarts!r}")
  shots = tuple(int(s) for s in few_shot)
  if any(s < 1 for s in shots):
    raise ValueError(f"retrieval stage: few_shot must hold positive shot counts, got {few_shot!r}")
  return RetrievalStage(split, on, int(knn), int(chunk), int(nmi_restarts), bool(utilization), shots)
