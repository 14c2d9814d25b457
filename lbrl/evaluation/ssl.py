"""Evaluation of self-supervised encoders: linear probe, kNN accuracy and collapse diagnostics, on device.

* :func:`linear_probe`: a multinomial logistic-regression head fitted on frozen, standardised features
  (L-BFGS from optax, L2 penalty), its accuracy on test features: the standard linear evaluation
  protocol of SimCLR/BYOL (their ImageNet protocol trains the head with SGD; L-BFGS reaches the same
  convex optimum on small sets).
* :func:`knn_accuracy`: k-nearest-neighbour vote with cosine similarity, the train features as the bank
  (Wu et al. 2018's weighted vote ``exp(s / 0.07)``; ``weighted=False`` gives a plain majority).
* :func:`collapse_stats`: per-dimension standard deviation of the l2-normalised embeddings (1/sqrt(D) for
  a spread, 0 for a collapsed representation: SimSiam, Chen & He 2021, arXiv:2011.10566, section 4.1)
  and the effective rank exp(H(sigma / |sigma|_1)) of the centred embeddings (Roy & Vetterli 2007).

As a post-training stage (``config.post_training = [dict(name="ssl_probe", split="train[50%:]")]``,
declared in :data:`lbrl.registry.POST_TRAINING`): after training, the encoder's features
(``model.apply(..., return_features=True)``) of the labelled held-out ``split`` fit the probe, which is
scored on the eval split; the run's final metrics get ``post/ssl_probe/{linear_accuracy, knn_accuracy,
feature_std_ratio, feature_effective_rank, embedding_std_ratio,
embedding_effective_rank}`` (embeddings: the projector output, without predictor) and, with
``clusters=True``, ``cluster_accuracy``. The per-batch METRICS contract (``fn(logits, labels, loss)``) sees no
features, so these evaluations run as a stage.
"""
from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lbrl.evaluation._common import lbfgs_minimize


def _check(fn, feats, labels):
  feats, labels = jnp.asarray(feats, jnp.float32), jnp.asarray(labels)
  if feats.ndim != 2:
    raise ValueError(f"{fn}: features must be [examples, dim], got shape {feats.shape}")
  if labels.shape != feats.shape[:1] or not jnp.issubdtype(labels.dtype, jnp.integer):
    raise ValueError(f"{fn}: labels must be int [examples={feats.shape[0]}], got {labels.dtype} {labels.shape}")
  return feats, labels


def linear_probe(train_x, train_y, test_x, test_y, *, num_classes: int, l2: float = 1e-4, iters: int = 300) -> jax.Array:
  """Accuracy on (test_x, test_y) of softmax regression fitted on (train_x, train_y) by L-BFGS.

  Loss: mean CE(W h + c, y) + l2 |W|^2 / 2 on features standardised by the train mean and std.
  """
  train_x, train_y = _check("linear_probe", train_x, train_y)
  test_x, test_y = _check("linear_probe", test_x, test_y)
  if num_classes < 2:
    raise ValueError(f"linear_probe: num_classes must be >= 2, got {num_classes}")
  return _probe(train_x, train_y, test_x, test_y, int(num_classes), float(l2), int(iters))


@functools.partial(jax.jit, static_argnames=("num_classes", "iters"))
def _probe(train_x, train_y, test_x, test_y, num_classes, l2, iters):
  mu, sd = jnp.mean(train_x, 0), jnp.std(train_x, 0) + 1e-6
  a, b = (train_x - mu) / sd, (test_x - mu) / sd
  params = {"w": jnp.zeros((a.shape[1], num_classes)), "c": jnp.zeros((num_classes,))}

  def loss(p):
    ce = optax.softmax_cross_entropy_with_integer_labels(a @ p["w"] + p["c"], train_y)
    return jnp.mean(ce) + 0.5 * l2 * jnp.sum(p["w"] ** 2)

  p = lbfgs_minimize(loss, params, iters=iters)
  return jnp.mean((jnp.argmax(b @ p["w"] + p["c"], -1) == test_y).astype(jnp.float32))


def knn_accuracy(train_x, train_y, test_x, test_y, *, num_classes: int, k: int = 20, weighted: bool = True,
                 temperature: float = 0.07) -> jax.Array:
  """Accuracy of a k-NN vote (cosine similarity) of the train bank for each test feature."""
  train_x, train_y = _check("knn_accuracy", train_x, train_y)
  test_x, test_y = _check("knn_accuracy", test_x, test_y)
  if not 1 <= int(k) <= train_x.shape[0]:
    raise ValueError(f"knn_accuracy: k must be in [1, {train_x.shape[0]}], got {k}")
  return _knn(train_x, train_y, test_x, test_y, int(num_classes), int(k), bool(weighted), float(temperature))


@functools.partial(jax.jit, static_argnames=("num_classes", "k", "weighted"))
def _knn(train_x, train_y, test_x, test_y, num_classes, k, weighted, temperature):
  n = lambda z: z / jnp.maximum(jnp.linalg.norm(z, axis=1, keepdims=True), 1e-12)
  sims, idx = jax.lax.top_k(n(test_x) @ n(train_x).T, k)
  w = jnp.exp(sims / temperature) if weighted else jnp.ones_like(sims)
  votes = jnp.sum(jax.nn.one_hot(train_y[idx], num_classes) * w[..., None], axis=1)
  return jnp.mean((jnp.argmax(votes, -1) == test_y).astype(jnp.float32))


def cluster_accuracy(feats, labels, *, num_classes: int, seed: int = 0) -> float:
  """Unsupervised clustering accuracy: k-means (scikit-learn, k = num_classes, 10 restarts) on the
  l2-normalised features, clusters matched to classes by the Hungarian algorithm (scipy), the fraction
  of examples whose cluster maps to their class: the metric of I-Con's and IIC's clustering tables."""
  from sklearn.cluster import KMeans
  x, y = _check("cluster_accuracy", feats, labels)
  x, y = np.asarray(x, np.float64), np.asarray(y)
  x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
  pred = KMeans(n_clusters=int(num_classes), n_init=10, random_state=seed).fit_predict(x)
  return matched_accuracy(pred, y, num_classes=num_classes)


def matched_accuracy(clusters, labels, *, num_classes: int) -> float:
  """Accuracy of cluster ids ``[N]`` after the best one-to-one map of clusters to classes (Hungarian,
  scipy's ``linear_sum_assignment``; more clusters than classes leave the extra ones unmatched)."""
  from scipy.optimize import linear_sum_assignment
  pred, y = np.asarray(clusters).reshape(-1), np.asarray(labels).reshape(-1)
  if pred.shape != y.shape or not (np.issubdtype(pred.dtype, np.integer) and np.issubdtype(y.dtype, np.integer)):
    raise ValueError(f"matched_accuracy: clusters and labels must be int [N], got {pred.dtype} {pred.shape}, "
                     f"{y.dtype} {y.shape}")
  counts = np.zeros((int(max(pred.max(), 0)) + 1, max(int(num_classes), int(y.max()) + 1)))
  np.add.at(counts, (pred, y), 1)
  rows, cols = linear_sum_assignment(-counts)
  return float(counts[rows, cols].sum() / len(y))


def cluster_head_accuracy(logits, labels, *, num_classes: int) -> float:
  """Unsupervised accuracy of a clustering head: the arg-max cluster of ``logits [N, C]`` matched to the
  classes (:func:`matched_accuracy`): how I-Con (and IIC, SCAN, TEMI) score their cluster heads."""
  logits = np.asarray(logits)
  if logits.ndim != 2:
    raise ValueError(f"cluster_head_accuracy: logits must be [examples, clusters], got shape {logits.shape}")
  return matched_accuracy(np.argmax(logits, -1), labels, num_classes=num_classes)


def collapse_stats(z) -> dict[str, jax.Array]:
  """``{"std": mean per-dimension std of l2-normalised z, "std_ratio": std * sqrt(D) (1 = spread, 0 =
  collapsed), "effective_rank": exp(entropy of the normalised singular values of centred z)}``."""
  z = jnp.asarray(z, jnp.float32)
  if z.ndim != 2 or z.shape[0] < 2:
    raise ValueError(f"collapse_stats: z must be [examples >= 2, dim], got shape {z.shape}")
  return _collapse_stats(z)


@jax.jit
def _collapse_stats(z):
  """One compiled program (op-by-op dispatch compiled a dozen small ones per shape)."""
  zn = z / jnp.maximum(jnp.linalg.norm(z, axis=1, keepdims=True), 1e-12)
  std = jnp.mean(jnp.std(zn, axis=0))
  s = jnp.linalg.svd(z - jnp.mean(z, 0), compute_uv=False)
  p = s / jnp.maximum(jnp.sum(s), 1e-12)
  h = -jnp.sum(jnp.where(p > 0, p * jnp.log(jnp.where(p > 0, p, 1.0)), 0.0))
  return {"std": std, "std_ratio": std * jnp.sqrt(z.shape[1]), "effective_rank": jnp.exp(h)}


# ---------------------------------------------------------------------------------- post-training stage


def features(model, params, model_state, data, batch_size: int = 1000, **call):
  """``(features [N, F], labels [N])`` of a split: the encoder's ``return_features=True`` output (or the
  output of ``model.apply(..., **call)`` when ``call`` is given); per-view outputs ``[N, V, ...]`` give
  their first view, flattened (object-level heads ``[N, V, K, P]`` -> ``[N, K * P]``)."""
  call = call or {"return_features": True}

  def fwd(p, s, x):
    out = model.apply({"params": p, **s}, x, train=False, **call)
    out = out["embeddings"] if isinstance(out, dict) else out
    return out[:, 0].reshape(out.shape[0], -1) if out.ndim >= 3 else out   # [N, V, ...]: view 0, flattened

  apply = jax.jit(fwd)
  x, y = data.arrays["x"], np.asarray(data.arrays["label"])
  parts = [apply(params, model_state, jnp.asarray(x[i:i + batch_size])) for i in range(0, len(x), batch_size)]
  return jnp.concatenate(parts).astype(jnp.float32), jnp.asarray(y)


@dataclasses.dataclass
class SSLProbe:
  """Post-training stage: linear probe and kNN fitted on ``split`` (labelled, held out from the SSL
  training split), scored on the eval split; collapse statistics of the eval features."""
  split: str = "train[50%:]"
  k: int = 20
  l2: float = 1e-4
  clusters: bool = False
  head_clusters: bool = False
  iters: int = 300

  def fit(self, task, state, data, mesh, cfg):
    from lbrl.data import core
    test = core.load(cfg.data.name, cfg.data.split_eval, data_dir=cfg.data.data_dir, **dict(cfg.data.options))
    bs = int(cfg.data.eval_batch_size)
    fx, fy = features(task.model, state.params, state.model_state, data, bs)
    tx, ty = features(task.model, state.params, state.model_state, test, bs)
    c = int(max(int(np.max(np.asarray(fy))), int(np.max(np.asarray(ty)))) + 1)
    out = {"linear_accuracy": linear_probe(fx, fy, tx, ty, num_classes=c, l2=self.l2, iters=self.iters),
           "knn_accuracy": knn_accuracy(fx, fy, tx, ty, num_classes=c, k=min(self.k, fx.shape[0]))}
    if self.clusters:
      out["cluster_accuracy"] = jnp.float32(cluster_accuracy(tx, ty, num_classes=c, seed=int(cfg.seed)))
    st = collapse_stats(tx)
    ez, _ = features(task.model, state.params, state.model_state, test, bs, return_embeddings=True, use_predictor=False)
    se = collapse_stats(ez)
    if self.head_clusters:
      out["cluster_head_accuracy"] = jnp.float32(cluster_head_accuracy(ez, ty, num_classes=c))
    out.update(feature_std_ratio=st["std_ratio"], feature_effective_rank=st["effective_rank"],
               embedding_std_ratio=se["std_ratio"], embedding_effective_rank=se["effective_rank"])
    return out

  @staticmethod
  def apply(cal, logits):
    return logits

  @staticmethod
  def describe(cal):
    return {k: float(v) for k, v in cal.items()}


def ssl_probe(split: str = "train[50%:]", k: int = 20, l2: float = 1e-4, clusters: bool = False,
              head_clusters: bool = False, iters: int = 300):
  """``dict(name="ssl_probe", split=..., k=20, l2=1e-4, clusters=False, head_clusters=False, iters=300)``
  (``iters``: the linear probe's L-BFGS iterations; a smoke run may take a few); ``clusters``
  adds the k-means clustering accuracy of the eval split's features (``post/ssl_probe/cluster_accuracy``),
  ``head_clusters`` the matched accuracy of the output head's arg-max cluster
  (``post/ssl_probe/cluster_head_accuracy``: a model whose embeddings are cluster logits, I-Con)."""
  if int(iters) < 1:
    raise ValueError(f"ssl_probe: iters must be >= 1, got {iters}")
  return SSLProbe(split, int(k), float(l2), bool(clusters), bool(head_clusters), int(iters))


# ------------------------------------------------------- per-sample temperatures against class frequency


def temperature_frequency(tau, labels, *, num_classes: int | None = None) -> dict[str, float]:
  """How learnt per-example temperatures ``tau [N]`` follow the frequency of the examples' classes.

  Returns ``{"spearman": Spearman rank correlation between each class's count and its mean tau (scipy),
  "head_minus_tail": mean tau of the more frequent half of the classes minus that of the rarer half,
  "tau_mean", "tau_std"}``: iSogCLR's claim (Qiu et al. 2023, arXiv:2305.11965, figure 3) is a positive
  correlation (frequent semantics get a large tau, rare ones a small tau)."""
  from scipy.stats import spearmanr
  tau, y = np.asarray(tau, np.float64).reshape(-1), np.asarray(labels).reshape(-1)
  if tau.shape != y.shape or not np.issubdtype(y.dtype, np.integer):
    raise ValueError(f"temperature_frequency: tau and labels must be [N] (labels int), got {tau.shape}, {y.dtype} {y.shape}")
  c = int(num_classes or y.max() + 1)
  counts = np.bincount(y, minlength=c)
  present = np.flatnonzero(counts)
  if len(present) < 3:
    raise ValueError(f"temperature_frequency: need >= 3 classes present, got {len(present)}")
  means = np.array([tau[y == k].mean() for k in present])
  order = np.argsort(-counts[present], kind="stable")
  half = len(present) // 2
  return {"spearman": float(spearmanr(counts[present], means).statistic),
          "head_minus_tail": float(means[order[:half]].mean() - means[order[-half:]].mean()),
          "tau_mean": float(tau.mean()), "tau_std": float(tau.std())}


@dataclasses.dataclass
class TemperatureByClass:
  """Post-training stage: the per-example temperatures a loss kept in the trainer's example state
  (``tau_offset`` + the loss's ``tau_init``, :func:`lbrl.losses.contrastive.isogclr`) against the class
  counts of the training set (rebuilt as the trainer builds it: split, then ``data.transforms`` with the
  run's seed); ``post/temperature_by_class/{spearman, head_minus_tail, tau_mean, tau_std}``."""
  split: str = "train[50%:]"

  def fit(self, task, state, data, mesh, cfg):
    from lbrl.data import core
    examples = (state.aux or {}).get("examples")
    if not examples or "tau_offset" not in examples:
      raise ValueError("temperature_by_class: the loss keeps no per-example 'tau_offset' (use loss 'isogclr')")
    train = core.load(cfg.data.name, cfg.data.split_train, data_dir=cfg.data.data_dir, **dict(cfg.data.options))
    train = core.apply_transforms(train, cfg.data.transforms, seed=cfg.seed)
    tau = np.asarray(examples["tau_offset"]) + float(cfg.loss.get("tau_init", 0.7))
    tau = np.maximum(tau, float(cfg.loss.get("tau_min", 0.05)))
    out = temperature_frequency(tau, np.asarray(train.arrays["label"]))
    return {k: jnp.float32(v) for k, v in out.items()}

  apply = staticmethod(lambda cal, logits: logits)
  describe = staticmethod(lambda cal: {k: float(v) for k, v in cal.items()})


def temperature_by_class(split: str = "train[50%:]"):
  """``dict(name="temperature_by_class", split=...)`` (the split is unused; stages need a held-out one)."""
  return TemperatureByClass(split)


# ------------------------------------------------------------------ multi-label retrieval (DEXML)


@dataclasses.dataclass
class MultilabelPrecision:
  """Post-training stage: P@k of the model's label scores ``[N, L]`` on the eval split against its
  multi-hot ``label`` array (the per-batch metrics see arg-max labels only); ``post/multilabel_precision/
  p@<k>`` for each k in ``ks``. ``split`` is unused (stages need a held-out one)."""
  split: str = "train[90%:]"
  ks: tuple = (1, 5)

  def fit(self, task, state, data, mesh, cfg):
    from lbrl.data import core
    from lbrl.losses.contrastive import multilabel_precision_at_k
    test = core.load(cfg.data.name, cfg.data.split_eval, data_dir=cfg.data.data_dir, **dict(cfg.data.options))
    y = np.asarray(test.arrays["label"])
    if y.ndim != 2:
      raise ValueError(f"multilabel_precision: the eval split's label must be multi-hot [N, L], got shape {y.shape}")
    apply = jax.jit(lambda p, s, x: task.model.apply({"params": p, **s}, x, train=False))
    x, bs = test.arrays["x"], int(cfg.data.eval_batch_size)
    scores = jnp.concatenate([apply(state.params, state.model_state, jnp.asarray(x[i:i + bs]))
                              for i in range(0, len(x), bs)])
    return {f"p@{k}": jnp.mean(multilabel_precision_at_k(scores, y, k=int(k))["p"]) for k in self.ks}

  apply = staticmethod(lambda cal, logits: logits)
  describe = staticmethod(lambda cal: {k: float(v) for k, v in cal.items()})


def multilabel_precision(split: str = "train[90%:]", ks=(1, 5)):
  """``dict(name="multilabel_precision", split=..., ks=(1, 5))``."""
  return MultilabelPrecision(split, tuple(int(k) for k in ks))


# ------------------------------------------------------------------ generative quality (diffusion)


def frechet_distance(a, b) -> float:
  """Frechet distance between Gaussian fits of samples ``a [N, D]`` and ``b [M, D]`` (float64, scipy's
  ``sqrtm``): |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^{1/2}), the FID formula on given features."""
  from scipy import linalg
  a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
  if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or min(len(a), len(b)) < 2:
    raise ValueError(f"frechet_distance: a and b must be [N >= 2, D] with the same D, got {a.shape}, {b.shape}")
  sa, sb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
  covmean = linalg.sqrtm(sa @ sb)
  covmean = np.real(covmean)
  return float(np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(sa + sb - 2.0 * covmean))


@dataclasses.dataclass
class DiffusionQuality:
  """Post-training stage for :class:`lbrl.models.ssl_diffusion.DispersiveDenoiser`: ``num`` DDIM samples
  (``steps``, eta 0, key from the run's seed) against the eval split: ``post/diffusion_quality/fd`` (Frechet
  distance of the raw signals) and ``denoise_mse`` (the plain epsilon-prediction error on the eval split
  at the model's fixed eval draw of t and eps, without any regulariser)."""
  split: str = "train[90%:]"
  num: int = 1000
  steps: int = 50

  def fit(self, task, state, data, mesh, cfg):
    from lbrl.data import core
    from lbrl.models.ssl_diffusion import ddim_sample
    test = core.load(cfg.data.name, cfg.data.split_eval, data_dir=cfg.data.data_dir, **dict(cfg.data.options))
    x = np.asarray(test.arrays["x"], np.float32).reshape(len(test), -1)
    samples = ddim_sample(task.model, state.params, jax.random.PRNGKey(int(cfg.seed) + 7919), self.num, x.shape[1],
                          self.steps)
    out = task.model.apply({"params": state.params}, jnp.asarray(x), train=False, return_embeddings=True)
    mse = jnp.mean((out["prediction"] - out["noise"]) ** 2)
    return {"fd": jnp.float32(frechet_distance(np.asarray(samples), x)), "denoise_mse": mse}

  apply = staticmethod(lambda cal, logits: logits)
  describe = staticmethod(lambda cal: {k: float(v) for k, v in cal.items()})


def diffusion_quality(split: str = "train[90%:]", num: int = 1000, steps: int = 50):
  """``dict(name="diffusion_quality", split=..., num=1000, steps=50)``."""
  return DiffusionQuality(split, int(num), int(steps))


# ------------------------------------------------------------------------------- face naming (SECLA)


@dataclasses.dataclass
class FaceNaming:
  """Post-training stage: each face of the eval split's bags takes the arg-max name of its own caption
  (:func:`lbrl.losses.contrastive.secla_assign`); ``post/face_naming/accuracy`` is the fraction of faces
  named correctly (the paper's accuracy; its F1 equals it when every face has a name in its caption)."""
  split: str = "train[90%:]"

  def fit(self, task, state, data, mesh, cfg):
    from lbrl.data import core
    from lbrl.losses.contrastive import secla_assign
    test = core.load(cfg.data.name, cfg.data.split_eval, data_dir=cfg.data.data_dir, **dict(cfg.data.options))
    x, y = test.arrays["x"], np.asarray(test.arrays["label"])
    apply = jax.jit(lambda p, s, xb: task.model.apply({"params": p, **s}, xb, train=False, return_embeddings=True))
    bs, hits, total = int(cfg.data.eval_batch_size), 0, 0
    for i in range(0, len(x), bs):
      out = apply(state.params, state.model_state, jnp.asarray(x[i:i + bs]))
      pred = np.asarray(secla_assign(out["faces"], out["names"], out["name_mask"]))
      yb = y[i:i + bs]
      hits += int(np.sum((pred == yb) & (yb >= 0)))
      total += int(np.sum(yb >= 0))
    return {"accuracy": jnp.float32(hits / max(total, 1))}

  apply = staticmethod(lambda cal, logits: logits)
  describe = staticmethod(lambda cal: {k: float(v) for k, v in cal.items()})


def face_naming(split: str = "train[90%:]"):
  """``dict(name="face_naming", split=...)`` (the split is unused; the eval split is scored)."""
  return FaceNaming(split)


# ----------------------------------------------------------------------- masked-token probe (text SSL)


@dataclasses.dataclass
class MaskedTokenProbe:
  """Post-training stage for masked-token encoders: the frozen encoder's final states at the masked
  positions of the eval split (the model's fixed evaluation mask) fit a linear softmax probe to the
  hidden token on the first half of the sequences, scored on the second half:
  ``post/masked_token_probe/accuracy``. Every arm gets a fresh probe, so an MLM head's training does not
  decide the score."""
  split: str = "train[90%:]"
  max_examples: int = 4000
  l2: float = 1e-4

  def fit(self, task, state, data, mesh, cfg):
    from lbrl.data import core
    test = core.load(cfg.data.name, cfg.data.split_eval, data_dir=cfg.data.data_dir, **dict(cfg.data.options))
    x = np.asarray(test.arrays["x"])
    half = len(x) // 2

    @jax.jit
    def states(p, s, xb):
      out = task.model.apply({"params": p, **s}, xb, train=False, return_embeddings=True)
      h = task.model.apply({"params": p, **s}, jnp.where(out["mask"], task.model.vocab_size, xb), train=False,
                           return_features=True)
      return h, out["mask"]

    def collect(rows):
      feats, toks = [], []
      for i in range(0, len(rows), 256):
        h, m = states(state.params, state.model_state, jnp.asarray(rows[i:i + 256]))
        m = np.asarray(m)
        feats.append(np.asarray(h)[m])
        toks.append(rows[i:i + 256][m])
      f, t = np.concatenate(feats)[: self.max_examples], np.concatenate(toks)[: self.max_examples]
      return jnp.asarray(f), jnp.asarray(t.astype(np.int32))

    fx, fy = collect(x[:half])
    tx, ty = collect(x[half:])
    acc = linear_probe(fx, fy, tx, ty, num_classes=int(task.model.vocab_size), l2=self.l2)
    return {"accuracy": acc}

  apply = staticmethod(lambda cal, logits: logits)
  describe = staticmethod(lambda cal: {k: float(v) for k, v in cal.items()})


def masked_token_probe(split: str = "train[90%:]", max_examples: int = 4000, l2: float = 1e-4):
  """``dict(name="masked_token_probe", split=..., max_examples=4000, l2=1e-4)``."""
  return MaskedTokenProbe(split, int(max_examples), float(l2))
