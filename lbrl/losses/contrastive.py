"""Contrastive and self-supervised losses on embeddings (catalog family CON, issue 16).

Every loss here is ``fn(embeddings, labels, *, where=None, **hyper) -> [B]`` per example, where
``embeddings`` is ``[B, V, D]``: ``V >= 2`` views (augmentations, or image/text for paired data) of each
of the ``B`` examples. The mean of the values over the valid rows is the paper's batch loss. A model may
return instead a dict ``{"embeddings": [B, V, D], "log_temperature": (), "bias": ()}`` when it learns
the temperature (and bias) of the loss (SigLIP, CLIP): the losses read them from there
(``lbrl.models.ssl.SSLNet(learn_temperature=True)``).

The contrastive losses couple the examples of a batch (declared ``batch_wide``): every other row is a
negative. They are written on the global batch, so under ``jit`` with the batch sharded over the data
axis every device's rows see the whole global batch as negatives (XLA gathers the ``[B V, D]``
embeddings; tests/losses/test_contrastive.py checks 8 devices equal 1). Where the ``[B V, B V]``
similarity matrix does not fit, the tiled and ring forms of the CLIP and SigLIP losses in
:mod:`lbrl.kernels.contrastive` never form it (the SigLIP ring passes each device's text block around
the devices with ``ppermute``).

``where`` ([B] bool) removes rows both as anchors and as negatives (padding rows of an eval batch).
``labels`` are the examples' class labels: unused by the self-supervised losses (kept for the trainer's
contract), used as positives by ``supervised=True`` (SupCon) and by the supervised I-Con setting.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

Array = jax.Array
_NEG = -1e30


# ---------------------------------------------------------------------------------------------- helpers


def unpack(embeddings, fn: str, min_views: int = 2):
  """``(z [B, V, D] float32, extras dict)`` from an array or a model's dict output; checks the shape."""
  extras = {}
  if isinstance(embeddings, dict):
    extras = {k: v for k, v in embeddings.items() if k != "embeddings"}
    if "embeddings" not in embeddings:
      raise ValueError(f"{fn}: a dict output needs the key 'embeddings', got keys {sorted(embeddings)}")
    embeddings = embeddings["embeddings"]
  z = jnp.asarray(embeddings)
  if not jnp.issubdtype(z.dtype, jnp.floating):
    raise TypeError(f"{fn}: embeddings must be floating point, got dtype {z.dtype}")
  if z.ndim != 3 or z.shape[1] < min_views:
    raise ValueError(f"{fn}: embeddings must be [batch, views >= {min_views}, dim], got shape {z.shape}")
  return z.astype(jnp.float32), extras


def _positive(name, value, fn):
  if not isinstance(value, jax.Array) and float(value) <= 0:
    raise ValueError(f"{fn}: {name} must be > 0, got {value}")


def l2_normalize(z: Array, eps: float = 1e-12) -> Array:
  return z * jax.lax.rsqrt(jnp.maximum(jnp.sum(z * z, -1, keepdims=True), eps))


def _valid(where, b):
  """[B] validity; a [B, ...] mask (the trainer's for per-slot labels [B, K]) keeps rows with any valid entry."""
  if where is None:
    return jnp.ones((b,), bool)
  w = jnp.asarray(where, bool)
  return w.reshape(b) if w.size == b else w.reshape(b, -1).any(-1)


def _flat(z, valid):
  """Rows of the [B V, D] view matrix, their example index, and validity."""
  b, v, d = z.shape
  owner = jnp.repeat(jnp.arange(b), v)
  return z.reshape(b * v, d), owner, jnp.repeat(valid, v)


def _per_example(values_bv: Array, b: int, v: int, valid: Array) -> Array:
  """Mean over each example's V anchors; 0 at invalid rows."""
  return jnp.where(valid, jnp.mean(values_bv.reshape(b, v), axis=1), 0.0)


def _sims(z, normalize):
  zf = l2_normalize(z) if normalize else z
  return jnp.einsum("id,jd->ij", zf, zf, preferred_element_type=jnp.float32)


# ---------------------------------------------------------------------------------------- NT-Xent, SupCon


def ntxent(embeddings, labels=None, *, temperature: float = 0.5, normalize: bool = True,
           supervised: bool = False, exclude_same_label: bool = False, where=None) -> Array:
  """NT-Xent (SimCLR) over the ``B V`` views, or SupCon with ``supervised=True``; per example.

  Formula: s_ab = cos(z_a, z_b) / temperature over the B V views a, b; P(a) = the other views of a's
  example (``supervised``: every other view whose example has a's label);
    l_a = -1/|P(a)| sum_{p in P(a)} log( exp(s_ap) / sum_{k != a} exp(s_ak) );
  loss_i = mean of l_a over example i's V views. With V = 2 and no labels this is SimCLR's NT-Xent
  (2N - 2 negatives), and its batch mean equals ``optax.losses.ntxent`` on the stacked views with
  labels = example index (pinned in a test; optax returns only the scalar, so the per-example form is
  written here). With ``supervised`` it is SupCon's L_out (Khosla et al. 2020, arXiv:2004.11362, eq. 2).

  Args:
    embeddings: [B, V, D] (V >= 2). labels: [B] int class labels (used only when ``supervised``).
    temperature: tau > 0 (SimCLR: 0.5 at batch 4096 on ImageNet; 0.1-0.5). normalize: cosine
      similarity (True, the paper) or raw dot products. where: [B] bool valid rows.
    exclude_same_label: drop from each anchor's negatives the views whose example shares its label
      (G-SimCLR: with pseudo-labels, what its batches with one example per pseudo-class achieve: no
      negative of the anchor's pseudo-class; the positive stays).

  Reference: T. Chen, S. Kornblith, M. Norouzi, G. Hinton, "A Simple Framework for Contrastive Learning
  of Visual Representations", 2020, arXiv:2002.05709 (used by the g_simclr, scatsimclr papers).

  Example: ``ntxent(jnp.ones((4, 2, 8)) + jax.random.normal(key, (4, 2, 8)))`` -> [4].
  """
  z, _ = unpack(embeddings, "ntxent")
  _positive("temperature", temperature, "ntxent")
  b, v, _ = z.shape
  valid = _valid(where, b)
  zf, owner, ok = _flat(z, valid)
  s = _sims(zf, normalize) / temperature
  n = b * v
  eye = jnp.eye(n, dtype=bool)
  cand = ok[None, :] & ~eye
  if (supervised or exclude_same_label) and labels is None:
    raise ValueError("ntxent: supervised=True or exclude_same_label=True needs labels [batch]")
  lab = jnp.repeat(jnp.asarray(labels).reshape(b), v) if labels is not None else None
  if supervised:
    pos = (lab[:, None] == lab[None, :]) & cand
  else:
    pos = (owner[:, None] == owner[None, :]) & cand
  if exclude_same_label and not supervised:
    cand = cand & ((lab[:, None] != lab[None, :]) | pos)
  log_den = jax.nn.logsumexp(jnp.where(cand, s, _NEG), axis=1)
  npos = jnp.maximum(jnp.sum(pos, 1), 1)
  l = -(jnp.sum(jnp.where(pos, s, 0.0), 1) / npos - log_den)
  return _per_example(l, b, v, valid)


def dcl(embeddings, labels=None, *, temperature: float = 0.1, where=None) -> Array:
  """Decoupled contrastive loss (DCL): NT-Xent with the positive removed from the denominator.

  Formula (two views, s = cos / temperature): for anchor a with positive p,
    l_a = -s_ap + log sum_{k not in {a, p}} exp(s_ak);   loss_i = (l_{i,1} + l_{i,2}) / 2.
  Reference: C.-H. Yeh et al., "Decoupled Contrastive Learning", ECCV 2022, arXiv:2110.06848
  (lightly's ``DCLLoss`` without weighting: the golden reference).
  """
  z, _ = unpack(embeddings, "dcl")
  _positive("temperature", temperature, "dcl")
  b, v, _ = z.shape
  valid = _valid(where, b)
  zf, owner, ok = _flat(z, valid)
  s = _sims(zf, True) / temperature
  same = owner[:, None] == owner[None, :]
  pos = same & ~jnp.eye(b * v, dtype=bool) & ok[None, :]
  neg = ~same & ok[None, :]
  l = -jnp.sum(jnp.where(pos, s, 0.0), 1) / jnp.maximum(jnp.sum(pos, 1), 1) + jax.nn.logsumexp(
      jnp.where(neg, s, _NEG), axis=1)
  return _per_example(l, b, v, valid)


# ------------------------------------------------------------------------------------ paired: CLIP/SigLIP


def _pair_scale(extras, temperature, bias, fn):
  t = jnp.exp(extras["log_temperature"]) if "log_temperature" in extras else jnp.asarray(temperature, jnp.float32)
  bb = extras["bias"] if "bias" in extras else jnp.asarray(bias, jnp.float32)
  return t.astype(jnp.float32), jnp.asarray(bb, jnp.float32)


def siglip(embeddings, labels=None, *, temperature: float = 10.0, bias: float = -10.0, where=None) -> Array:
  """Pairwise sigmoid loss (SigLIP) between view 0 (images) and view 1 (texts), per example.

  Formula: l_ij = t <x_i, y_j> + b, z_ij = +1 if i = j else -1;
    loss_i = -sum_j log sigmoid(z_ij l_ij)  (row i's pairs), batch mean = the paper's
    -1/|B| sum_i sum_j log sigmoid(z_ij l_ij) (open_clip's ``SigLipLoss``: the golden reference).
  Hyperparameters: temperature t (paper: learnt as t = exp(t'), init t = 10), bias b (init -10). A model
  output dict with ``log_temperature`` and ``bias`` overrides both (they are then trained).
  The embeddings are used as given: normalise them in the model (the paper does).
  Memory-light and multi-device forms: :func:`lbrl.kernels.contrastive.siglip_loss` (tiled; ring with
  ``axis_name`` under ``shard_map``), equal to this one.

  Reference: X. Zhai, B. Mustafa, A. Kolesnikov, L. Beyer, "Sigmoid Loss for Language Image
  Pre-Training", ICCV 2023, arXiv:2303.15343 (slug ``siglip``).
  """
  z, extras = unpack(embeddings, "siglip")
  t, bb = _pair_scale(extras, temperature, bias, "siglip")
  b = z.shape[0]
  valid = _valid(where, b)
  logits = t * jnp.einsum("id,jd->ij", z[:, 0], z[:, 1], preferred_element_type=jnp.float32) + bb
  sign = 2.0 * jnp.eye(b) - 1.0
  l = jnp.sum(jnp.where(valid[None, :], jax.nn.softplus(-sign * logits), 0.0), axis=1)
  return jnp.where(valid, l, 0.0)


def clip(embeddings, labels=None, *, temperature: float = 1.0 / 0.07, where=None) -> Array:
  """Symmetric InfoNCE (CLIP's softmax loss) between view 0 and view 1, per example: the baseline of SigLIP.

  Formula: l_ij = t <x_i, y_j>;  loss_i = 0.5 (lse_j l_ij - l_ii) + 0.5 (lse_j l_ji - l_ii).
  t: the logit scale (CLIP: learnt, init 1/0.07); a model's ``log_temperature`` output overrides it.
  Reference: A. Radford et al., "Learning Transferable Visual Models From Natural Language Supervision",
  2021, arXiv:2103.00020. Tiled/ring form: :func:`lbrl.kernels.contrastive.clip_loss`.
  """
  z, extras = unpack(embeddings, "clip")
  t, _ = _pair_scale(extras, temperature, 0.0, "clip")
  b = z.shape[0]
  valid = _valid(where, b)
  logits = t * jnp.einsum("id,jd->ij", z[:, 0], z[:, 1], preferred_element_type=jnp.float32)
  m = valid[None, :] & valid[:, None]
  pos = jnp.diagonal(logits)
  row = jax.nn.logsumexp(jnp.where(m, logits, _NEG), axis=1)
  col = jax.nn.logsumexp(jnp.where(m, logits, _NEG), axis=0)
  return jnp.where(valid, 0.5 * (row - pos) + 0.5 * (col - pos), 0.0)


# -------------------------------------------------------------------------------------------------- BYOL


def normalized_regression(p: Array, z: Array) -> Array:
  """BYOL's ||p/|p| - z/|z|||^2 = 2 - 2 cos(p, z) over the last axis."""
  return 2.0 - 2.0 * jnp.sum(l2_normalize(p.astype(jnp.float32)) * l2_normalize(z.astype(jnp.float32)), -1)


def byol(embeddings, labels=None, *, target_outputs, where=None) -> Array:
  """BYOL's symmetrised normalised regression of the target's projections, per example.

  Formula: online predictions q_v = q(g(f(view v))), target projections z'_v = g'(f'(view v)) (an EMA of
  the online encoder and projector, no gradient);
    loss_i = sum over the two views v of || q_v/|q_v| - z'_{1-v}/|z'_{1-v}| ||^2 = 2 - 2 cos(q_v, z'_{1-v})
  (the paper's L + L~, section 3.1, eq. 2). lightly's ``NegativeCosineSimilarity`` is -cos averaged:
  the golden reference pins each half.

  Args:
    embeddings: the online network's predictions [B, 2, D] (``SSLNet(predictor=...)``).
    target_outputs: the EMA target's projections [B, 2, D] (``config.auxiliary=[dict(name="ema",
      apply_kwargs=dict(return_embeddings=True, use_predictor=False))]``).

  Reference: J.-B. Grill et al., "Bootstrap Your Own Latent: A New Approach to Self-Supervised
  Learning", NeurIPS 2020, arXiv:2006.07733 (slug ``byol``).
  """
  q, _ = unpack(embeddings, "byol")
  t, _ = unpack(target_outputs, "byol (target_outputs)")
  if q.shape[:2] != t.shape[:2] or q.shape[1] != 2:
    raise ValueError(f"byol: embeddings and target_outputs must both be [batch, 2, dim], got {q.shape} and {t.shape}")
  t = jax.lax.stop_gradient(t)
  l = normalized_regression(q[:, 0], t[:, 1]) + normalized_regression(q[:, 1], t[:, 0])
  return jnp.where(_valid(where, q.shape[0]), l, 0.0)


# ------------------------------------------------------------------------------------------------- I-Con


def i_con_kl(p: Array, log_q: Array, where=None) -> Array:
  """I-Con's loss for each anchor i: KL(p(.|i) || q(.|i)) = sum_j p_ij (log p_ij - log q_ij).

  ``p`` [N, M] is the supervisory neighbourhood distribution (rows sum to 1; zeros allowed), ``log_q``
  [N, M] the learned one as log-probabilities (``jax.nn.log_softmax`` of the model's affinities over the
  candidates). Special cases (the paper's table 1; tests/losses/test_contrastive.py checks each
  numerically): p = the positive view (one-hot), q = softmax of cosine / tau over the other views ->
  InfoNCE / NT-Xent; p and q Gaussian kernels of input and embedding distances -> SNE; columns = class
  prototypes, p = one-hot label -> cross-entropy.

  Reference: S. Alshammari, J. Hershey, A. Feldmann, W. T. Freeman, M. Hamilton, "I-Con: A Unifying
  Framework for Representation Learning", ICLR 2025, arXiv:2504.16929 (slug ``i_con``).
  """
  p = jnp.asarray(p, jnp.float32)
  log_q = jnp.asarray(log_q, jnp.float32)
  if p.shape != log_q.shape or p.ndim != 2:
    raise ValueError(f"i_con_kl: p and log_q must be the same [anchors, candidates] shape, got {p.shape}, {log_q.shape}")
  kl = jnp.sum(jnp.where(p > 0, p * (jnp.log(jnp.where(p > 0, p, 1.0)) - log_q), 0.0), axis=1)
  return kl if where is None else jnp.where(jnp.asarray(where, bool), kl, 0.0)


def i_con(embeddings, labels=None, *, temperature: float = 0.5, debias: float = 0.0, supervised: bool = False,
          where=None) -> Array:
  """I-Con with augmentation (or label) neighbourhoods and the paper's debiasing, per example.

  Formula: over the B V views (self excluded), q(j|i) = softmax_j(cos(z_i, z_j) / tau);
  p(j|i) = (1 - alpha) * uniform over i's positives (its other views; ``supervised``: views with its
  label) + alpha / (B V - 1) (the debiased target of I-Con section 5: a little mass on every candidate,
  which counters the false negatives of contrastive learning);
    loss_i = mean over example i's views a of KL(p(.|a) || q(.|a)).
  With alpha = 0 and one positive this is NT-Xent exactly (its cross-entropy minus the zero entropy of
  a one-hot p).

  Args: temperature tau (> 0); debias alpha in [0, 1) (paper: 0.2-0.6 help clustering); supervised.
  Reference: as :func:`i_con_kl`.
  """
  z, _ = unpack(embeddings, "i_con")
  _positive("temperature", temperature, "i_con")
  if not 0.0 <= float(debias) < 1.0:
    raise ValueError(f"i_con: debias must be in [0, 1), got {debias}")
  b, v, _ = z.shape
  valid = _valid(where, b)
  zf, owner, ok = _flat(z, valid)
  n = b * v
  cand = ok[None, :] & ~jnp.eye(n, dtype=bool)
  log_q = jax.nn.log_softmax(jnp.where(cand, _sims(zf, True) / temperature, _NEG), axis=1)
  if supervised:
    if labels is None:
      raise ValueError("i_con: supervised=True needs labels [batch]")
    lab = jnp.repeat(jnp.asarray(labels).reshape(b), v)
    pos = (lab[:, None] == lab[None, :]) & cand
  else:
    pos = (owner[:, None] == owner[None, :]) & cand
  p_pos = pos / jnp.maximum(jnp.sum(pos, 1, keepdims=True), 1)
  p_uni = cand / jnp.maximum(jnp.sum(cand, 1, keepdims=True), 1)
  p = (1.0 - debias) * p_pos + debias * p_uni
  return _per_example(i_con_kl(p, log_q), b, v, valid)


def i_con_cluster(embeddings, labels=None, *, debias: float = 0.0, where=None) -> Array:
  """I-Con's clustering objective: a cluster-assignment head's kernel fitted to augmentation neighbours.

  The model's outputs are cluster logits ``[B, V, C]`` (``SSLNet(projector=(..., C))``); phi = softmax.
  Formula (the paper's "I-Con clustering" row and the authors' ``UniformCluster`` kernel), over the
  N = B V views of the batch:
    q(j|i) = sum_c phi_ic phi_jc / sum_k phi_kc          (rows sum to 1; self included, as the authors),
    p(j|i) = (1 - alpha) * uniform over i's other views + alpha / N   (the authors' ``leak(alpha)``:
             uniform mass over all N columns, the debiasing of section 5),
    loss_i = mean over example i's views a of KL(p(.|a) || q(.|a)).
  The normaliser by cluster size keeps clusters balanced (a single cluster makes q uniform, far from
  p). Clustering accuracy is read from the head's arg-max (:func:`lbrl.evaluation.ssl.cluster_head_accuracy`).

  Args: embeddings [B, V, C] cluster logits (V >= 2); debias alpha in [0, 1) (paper 0.2-0.6).
  Reference: as :func:`i_con_kl` (authors' code: github.com/ShadeAlsha/ICon, distributions/clustering.py
  and distributions/base.py ``LeakKernel``).
  """
  z, _ = unpack(embeddings, "i_con_cluster")
  if not 0.0 <= float(debias) < 1.0:
    raise ValueError(f"i_con_cluster: debias must be in [0, 1), got {debias}")
  b, v, c = z.shape
  valid = _valid(where, b)
  zf, owner, ok = _flat(z, valid)
  phi = jnp.where(ok[:, None], jax.nn.softmax(zf, axis=-1), 0.0)
  size = jnp.sum(phi, 0)                                         # [C] soft cluster sizes
  q = jnp.einsum("ic,jc->ij", phi / jnp.maximum(size, 1e-12), phi)
  log_q = jnp.log(jnp.maximum(q, 1e-30))
  n_ok = jnp.maximum(jnp.sum(ok), 1).astype(jnp.float32)
  pos = (owner[:, None] == owner[None, :]) & ~jnp.eye(b * v, dtype=bool) & ok[None, :]
  p = (1.0 - debias) * pos / jnp.maximum(jnp.sum(pos, 1, keepdims=True), 1) + debias * ok[None, :] / n_ok
  return _per_example(i_con_kl(p, log_q), b, v, valid)


# ---------------------------------------------------------------------------------------- Dispersive loss


def dispersive(embeddings, labels=None, *, tau: float = 1.0, where=None) -> Array:
  """Dispersive loss (InfoNCE-L2 form): log E_{i,j} exp(-||z_i - z_j||^2 / tau) over the batch.

  A regulariser with no positive pairs: it pushes a batch of (intermediate) representations apart.
  Formula (Wang & He 2025, eq. 6 with D = squared L2 on the flattened representation):
    L_disp = log (1/N^2) sum_i sum_j exp(-||z_i - z_j||^2 / tau)   (i = j included, as in the paper),
  returned per example as row i's share: loss_i = L_disp (the same value on every valid row, so the
  batch mean is L_disp; the loss is batch-wide). ``embeddings`` may be [B, D] or [B, ...] (flattened).
  tau: temperature (paper default 1). Added to the model's own loss with weight lambda (paper 0.25-1).

  Reference: R. Wang, K. He, "Diffuse and Disperse: Image Generation with Representation
  Regularization", 2025, arXiv:2506.09027 (slug ``diffuse_and_disperse``).
  """
  z = jnp.asarray(embeddings["embeddings"] if isinstance(embeddings, dict) else embeddings, jnp.float32)
  if z.ndim < 2:
    raise ValueError(f"dispersive: embeddings must be [batch, ...], got shape {z.shape}")
  _positive("tau", tau, "dispersive")
  z = z.reshape(z.shape[0], -1)
  valid = _valid(where, z.shape[0])
  sq = jnp.sum(z * z, 1)
  d = jnp.maximum(sq[:, None] + sq[None, :] - 2.0 * z @ z.T, 0.0)
  m = valid[:, None] & valid[None, :]
  cnt = jnp.maximum(jnp.sum(m), 1)
  val = jax.nn.logsumexp(jnp.where(m, -d / tau, _NEG)) - jnp.log(cnt.astype(jnp.float32))
  return jnp.where(valid, val, 0.0)


# ------------------------------------------------------------------------------------------------- MACL


def macl_temperature(alignment: Array, *, tau0: float = 0.1, alpha: float = 0.5, a0: float = 0.0) -> Array:
  """MACL's model-aware temperature tau_A = tau0 (1 + alpha (A - A0)), A the batch's mean positive
  cosine (the alignment magnitude), with no gradient through A."""
  return tau0 * (1.0 + alpha * (jax.lax.stop_gradient(alignment) - a0))


def macl(embeddings, labels=None, *, tau0: float = 0.1, alpha: float = 0.5, a0: float = 0.0, where=None) -> Array:
  """Model-aware contrastive learning: NT-Xent whose temperature follows the alignment magnitude.

  Formula: A = mean over valid examples of cos(z_i1, z_i2) (stop-gradient); tau_A = tau0 (1 + alpha (A - A0));
  loss = :func:`ntxent` at temperature tau_A. Well-aligned models (large A) get a larger temperature
  (more tolerance to semantically similar negatives), poorly aligned ones a smaller (more uniformity).
  Defaults tau0 = 0.1, alpha = 0.5, A0 = 0 (lbrl's choice; the paper tunes them per dataset). The paper's
  second ingredient, reweighting the negatives' gradient by the limit of its scaling factor, is not
  included: this is the temperature part only.

  Reference: Z. Huang et al., "Model-Aware Contrastive Learning: Towards Escaping the Dilemmas", ICML 2023,
  arXiv:2207.07874 (slug ``macl``).
  """
  z, _ = unpack(embeddings, "macl")
  b = z.shape[0]
  valid = _valid(where, b)
  zn = l2_normalize(z)
  cos = jnp.sum(zn[:, 0] * zn[:, 1], -1)
  a = jnp.sum(jnp.where(valid, cos, 0.0)) / jnp.maximum(jnp.sum(valid), 1)
  t = macl_temperature(a, tau0=tau0, alpha=alpha, a0=a0)
  return ntxent(z, labels, temperature=t, where=where)


# ------------------------------------------------------------------------------------ DEXML (multi-label)


def decoupled_softmax(scores: Array, targets: Array, *, where=None) -> Array:
  """DEXML's decoupled softmax loss for multi-label retrieval, per query.

  Formula: scores s_ql (query q, label l; a dual encoder's t <q, l>), P(q) = q's positive labels;
    loss_q = 1/|P(q)| sum_{p in P(q)} -log( exp(s_qp) / (exp(s_qp) + sum_{n not in P(q)} exp(s_qn)) ),
  i.e. InfoNCE where the other positives are removed from each positive's denominator (plain InfoNCE
  over multi-label targets pushes the positives against each other). Queries without positives give 0.

  Args: scores [B, L] float; targets [B, L] multi-hot {0, 1}; where [B] bool.
  Reference: N. Gupta, F. Devvrit, A. S. Rawat, S. Bhojanapalli, P. Jain, I. Dhillon, "Dual-Encoders for
  Extreme Multi-Label Classification", ICLR 2024, arXiv:2310.10636 (slug ``dexml``).
  """
  s = jnp.asarray(scores, jnp.float32)
  y = jnp.asarray(targets)
  if s.ndim != 2 or y.shape != s.shape:
    raise ValueError(f"decoupled_softmax: scores and targets must both be [queries, labels], got {s.shape}, {y.shape}")
  pos = y > 0
  neg_lse = jax.nn.logsumexp(jnp.where(pos, _NEG, s), axis=1, keepdims=True)
  per_pos = jnp.logaddexp(s, neg_lse) - s
  npos = jnp.sum(pos, 1)
  l = jnp.sum(jnp.where(pos, per_pos, 0.0), 1) / jnp.maximum(npos, 1)
  return l if where is None else jnp.where(jnp.asarray(where, bool), l, 0.0)


def multilabel_softmax(scores: Array, targets: Array, *, where=None) -> Array:
  """InfoNCE over multi-label targets (the baseline DEXML improves on), per query.

  Formula: loss_q = 1/|P(q)| sum_{p in P(q)} -log( exp(s_qp) / sum_l exp(s_ql) ): every other positive
  sits in each positive's denominator, so the positives compete (DEXML's section 3 analysis).
  Args and reference: as :func:`decoupled_softmax`.
  """
  s = jnp.asarray(scores, jnp.float32)
  y = jnp.asarray(targets)
  if s.ndim != 2 or y.shape != s.shape:
    raise ValueError(f"multilabel_softmax: scores and targets must both be [queries, labels], got {s.shape}, {y.shape}")
  pos = y > 0
  lse = jax.nn.logsumexp(s, axis=1, keepdims=True)
  l = jnp.sum(jnp.where(pos, lse - s, 0.0), 1) / jnp.maximum(jnp.sum(pos, 1), 1)
  return l if where is None else jnp.where(jnp.asarray(where, bool), l, 0.0)


def multilabel_precision_at_k(scores, relevance, where=None, *, k: int = 1) -> dict:
  """Per-query P@k for multi-hot relevance: the fraction of the k top-scored labels that are relevant
  (the XMC metric of DEXML's tables). ``scores``, ``relevance`` [Q, L]; returns ``{"p": [Q]}`` (0 at
  invalid queries). Read by the ``multilabel_precision`` stage (:mod:`lbrl.evaluation.ssl`)."""
  s, y = jnp.asarray(scores, jnp.float32), jnp.asarray(relevance)
  if s.ndim != 2 or y.shape != s.shape:
    raise ValueError(f"multilabel_precision_at_k: scores and relevance must both be [queries, labels], got {s.shape}, {y.shape}")
  if not 1 <= int(k) <= s.shape[1]:
    raise ValueError(f"multilabel_precision_at_k: k must be in [1, {s.shape[1]}], got {k}")
  _, top = jax.lax.top_k(s, int(k))
  p = jnp.mean((jnp.take_along_axis(y, top, -1) > 0).astype(jnp.float32), -1)
  if where is not None:
    w = jnp.asarray(where, bool)
    p = jnp.where(w.reshape(w.shape[0], -1).any(-1), p, 0.0)
  return {"p": p}


# ------------------------------------------------------------------ per-sample temperatures (iSogCLR)


def isogclr_state(num_examples: int, num_classes: int = 0) -> dict:
  """Per-example state of :func:`isogclr`: ``u`` [N, 2] (the moving averages of each view's inner mean)
  and ``tau_offset`` [N] (tau_i - tau_init, so a fresh zero state is the initial temperature)."""
  return {"u": jnp.zeros((num_examples, 2), jnp.float32), "tau_offset": jnp.zeros((num_examples,), jnp.float32)}


def isogclr(embeddings, labels=None, *, example_state, rho: float = 0.3, gamma: float = 0.9, tau_init: float = 0.7,
            tau_min: float = 0.05, tau_lr: float = 0.01, where=None):
  """Robust contrastive loss with a learned temperature per sample (iSogCLR), per example.

  Formula (two views; anchor a = view v of example i, positive a+ = its other view, s = cosine):
    h_a(z) = s(a, z) - s(a, a+) over the negatives z (the views of the other examples),
    g_a(tau_i) = mean_z exp(h_a(z) / tau_i),
    F_i = tau_i (log g_a(tau_i) + rho)            (the DRO objective with a KL ball of radius rho),
  optimised by the paper's stochastic algorithm: a moving average u_a <- (1 - gamma) u_a + gamma g_a
  (per-example state) replaces g in the log, so the encoder's gradient is tau_i grad g_a / u_a, and
  tau_i takes a projected gradient step on F_i,
    d F / d tau_i = log u_a + rho - mean_z exp(h/tau_i) (h/tau_i) / u_a,
    tau_i <- max(tau_min, tau_i - tau_lr * mean over the two views of d F / d tau_i).
  Returned values: tau_i (log u_a + rho) averaged over the views, with the encoder gradient above.
  A large tau_i spreads the weight over many negatives (frequent semantics), a small one focuses on the
  hardest (rare ones): the paper's claim is that the learnt tau_i grows with the frequency of i's class.

  Hyperparameters (lbrl's defaults; the paper tunes them per dataset): rho 0.3, gamma 0.9, tau_init 0.7,
  tau_min 0.05, tau_lr 0.01 (plain projected SGD on tau; the paper also allows Adam).
  Returns ``(values [B], new example-state rows)`` (declared with ``needs=("example_state",)``).

  Reference: Z.-H. Qiu, Q. Hu, Z. Yuan, D. Zhou, L. Zhang, T. Yang, "Not All Semantics are Created Equal:
  Contrastive Self-supervised Learning with Automatic Temperature Individualization", ICML 2023,
  arXiv:2305.11965 (slug ``temperature_individualization``).
  """
  z, _ = unpack(embeddings, "isogclr")
  if z.shape[1] != 2:
    raise ValueError(f"isogclr: embeddings must have 2 views, got shape {z.shape}")
  if not 0.0 < float(gamma) <= 1.0:
    raise ValueError(f"isogclr: gamma must be in (0, 1], got {gamma}")
  _positive("tau_min", tau_min, "isogclr")
  b = z.shape[0]
  valid = _valid(where, b)
  zf, owner, ok = _flat(z, valid)
  s = _sims(zf, True)                                            # [2B, 2B]
  n = 2 * b
  partner = jnp.arange(n) ^ 1                                    # view 0 <-> view 1 of the same example
  pos = s[jnp.arange(n), partner]
  neg = (owner[:, None] != owner[None, :]) & ok[None, :]
  tau = jnp.maximum(tau_init + jnp.repeat(example_state["tau_offset"], 2), tau_min)
  h = (s - pos[:, None]) / tau[:, None]
  cnt = jnp.maximum(jnp.sum(neg, 1), 1)
  e = jnp.where(neg, jnp.exp(jnp.where(neg, h, 0.0)), 0.0)
  g = jnp.sum(e, 1) / cnt
  u_old = example_state["u"].reshape(n)
  u = jax.lax.stop_gradient((1.0 - gamma) * u_old + gamma * g)
  t_sg = jax.lax.stop_gradient(tau)
  value = t_sg * (jnp.log(u) + rho) + t_sg * (g - jax.lax.stop_gradient(g)) / u
  d_tau = jax.lax.stop_gradient(jnp.log(u) + rho - jnp.sum(jnp.where(neg, e * h, 0.0), 1) / cnt / u)
  new_tau = jnp.maximum(t_sg.reshape(b, 2)[:, 0] - tau_lr * jnp.mean(d_tau.reshape(b, 2), 1), tau_min)
  keep = lambda new, old: jnp.where(valid.reshape((b,) + (1,) * (new.ndim - 1)), new, old)
  rows = {"u": keep(u.reshape(b, 2), example_state["u"]),
          "tau_offset": keep(new_tau - tau_init, example_state["tau_offset"])}
  return _per_example(value, b, 2, valid), rows


# ------------------------------------------------------------------------------------ shared pieces (II)


def _ce_rows(logits: Array, target: Array, cand: Array) -> Array:
  """-log softmax(logits)[target] per row over the candidate columns ``cand`` (bool, same shape)."""
  lse = jax.nn.logsumexp(jnp.where(cand, logits, _NEG), axis=1)
  return lse - jnp.take_along_axis(logits, target[:, None], axis=1)[:, 0]


def _bank(teacher, fn, b):
  """A frozen network's outputs as [B, V, D] float32 (a [B, D] output is one view)."""
  t = jnp.asarray(teacher["embeddings"] if isinstance(teacher, dict) else teacher, jnp.float32)
  if t.ndim == 2:
    t = t[:, None]
  if t.ndim != 3 or t.shape[0] != b:
    raise ValueError(f"{fn}: teacher_outputs must be [batch={b}, (views,) dim], got shape {t.shape}")
  return jax.lax.stop_gradient(t)


# ------------------------------------------------------------------------------------ Sy-CON / PNR


def sy_con(embeddings, labels=None, *, teacher_outputs, temperature: float = 0.2, distill_temperature: float = 0.2,
           where=None) -> Array:
  """Sy-CON (pseudo-negative regularisation) for SimCLR in continual SSL, per example.

  Two symmetric losses over the current projections z (2B views), the past (frozen) model's projections
  f of the same views, and p = h(z) (a trained predictor, the model's ``predictions`` output):
    plasticity  l1_a = -log exp(z_a.z_a+/t) / (sum_{k != a} exp(z_a.z_k/t) + sum_{k != a} exp(z_a.f_k/t)),
                (SimCLR whose negatives also hold the past model's embeddings: the pseudo-negatives)
    stability   l2_a = -log exp(p_a.f_a/t) / (sum_{k != a} exp(p_a.f_k/t) + sum_{k != a} exp(p_a.z_k/t)),
                (p_a predicts the past embedding of its own view; the current embeddings of the other
                views are the pseudo-negatives), all vectors l2-normalised, t = ``distill_temperature``;
  loss_i = NT-Xent_i(z, ``temperature``) + mean over i's two views of (l1 + l2) (the authors' SimCLR
  wrapper adds the two terms to the method's own loss, with weight 1 and no trade-off parameter).
  The index sets follow the authors' ``simclr_moco_loss_func`` (github.com/csm9493/PNR,
  cassle/losses/pnr.py): the self-similarity z_a.z_a and the same-view past term z_a.f_a leave the
  plasticity denominator; in the stability one p_a.z_a and the positive p_a.f_a itself leave it (the
  authors mask the diagonal of both blocks, so l2 is a decoupled form, as DCL).

  Args:
    embeddings: ``{"embeddings": z [B, 2, D], "predictions": p [B, 2, D]}`` (``SSLNet(predictor=...,
      predictor_output="both")``). teacher_outputs: the past model's projections f [B, 2, D]
      (``config.auxiliary=[dict(name="teacher", workdir=<the previous task's run>)]``).
    temperature: SimCLR's; distill_temperature: the two Sy-CON terms' (authors' default 0.2).

  Reference: S. Cha, K. Cho, T. Moon, "Sy-CON: Symmetric Contrastive Loss for Continual Self-Supervised
  Representation Learning" (v2: "Regularizing with Pseudo-Negatives for Continual Self-Supervised
  Learning"), 2023, arXiv:2306.05101 (slug ``sy_con``).
  """
  z, extras = unpack(embeddings, "sy_con")
  if "predictions" not in extras:
    raise ValueError("sy_con: the model output must be a dict with 'embeddings' and 'predictions' "
                     "(SSLNet(predictor=..., predictor_output='both'))")
  p, _ = unpack(extras["predictions"], "sy_con (predictions)")
  b, v, _ = z.shape
  if v != 2 or p.shape[:2] != (b, 2):
    raise ValueError(f"sy_con: embeddings and predictions must be [batch, 2, dim], got {z.shape}, {p.shape}")
  f = _bank(teacher_outputs, "sy_con", b)
  if f.shape[:2] != (b, 2):
    raise ValueError(f"sy_con: teacher_outputs must be [batch, 2, dim], got {f.shape}")
  _positive("distill_temperature", distill_temperature, "sy_con")
  valid = _valid(where, b)
  zf, owner, ok = _flat(z, valid)
  zf, pf, ff = (l2_normalize(a.reshape(b * v, -1)) for a in (zf, p, f))
  n = b * v
  eye = jnp.eye(n, dtype=bool)
  partner = jnp.arange(n) ^ 1
  t = distill_temperature
  cand = jnp.concatenate([~eye & ok[None, :], ~eye & ok[None, :]], axis=1)
  l1 = _ce_rows(jnp.concatenate([zf @ zf.T, zf @ ff.T], 1) / t, partner, cand)
  l2 = _ce_rows(jnp.concatenate([pf @ ff.T, pf @ zf.T], 1) / t, jnp.arange(n), cand)
  base = ntxent(z, temperature=temperature, where=where)
  return base + _per_example(l1 + l2, b, v, valid)


# -------------------------------------------------------------------------- Radical (radar <-> vision)


def radical(embeddings, labels=None, *, teacher_outputs, temperature: float = 0.07, intra_weight: float = 1.0,
            rescale: bool = True, intra_only: bool = False, where=None) -> Array:
  """Radical's radar self-supervision: radar-to-vision InfoNCE plus a symmetric radar-to-radar term.

  Formula (in-batch form of the authors' MoCo code, github.com/yiduohao/Radical, projects/radical):
  two augmented radar views give q1, q2 (l2-normalised); q = normalise(mean of the raw q1, q2); the
  frozen vision model gives k (l2-normalised; the mean over its views when it returns several);
    cross_i = -log softmax_j(q_i . k_j / t)[i]                                 (radar -> vision)
    intra_i = (-log softmax_j(q1_i . q2_j / t)[i] - log softmax_j(q2_i . q1_j / t)[i]) / 2
  (the authors' ``symmetric_loss_version=3``); loss_i = cross_i + intra_weight * intra_i, multiplied
  by the batch's stop-gradient ratio mean(cross) / mean(loss) when ``rescale`` (their ``mult``: the
  reported value stays the cross-modal loss, the gradient keeps both terms).

  ``intra_only`` (the authors' flag): loss_i = intra_weight * intra_i, no cross-modal term, no rescaling.

  Args: embeddings [B, 2, D] radar views; teacher_outputs [B, (V,) D] the frozen vision features
    (``config.auxiliary=[dict(name="teacher", ...)]``); temperature t (0.07); intra_weight; where.
  Reference: Y. Hao, S. Madani, J. Guan, M. Alloulah, S. Gupta, H. Hassanieh, "Bootstrapping Autonomous
  Driving Radars with Self-Supervised Learning", CVPR 2024, arXiv:2312.04519
  (slug ``bootstrapping_autonomous_driving_radars``).
  """
  z, _ = unpack(embeddings, "radical")
  _positive("temperature", temperature, "radical")
  b = z.shape[0]
  if z.shape[1] != 2:
    raise ValueError(f"radical: embeddings must hold 2 radar views [batch, 2, dim], got {z.shape}")
  k = l2_normalize(jnp.mean(_bank(teacher_outputs, "radical", b), axis=1))
  if k.shape[-1] != z.shape[-1]:
    raise ValueError(f"radical: vision features dim {k.shape[-1]} != radar embedding dim {z.shape[-1]}")
  valid = _valid(where, b)
  q1, q2 = l2_normalize(z[:, 0]), l2_normalize(z[:, 1])
  q = l2_normalize(jnp.mean(z, axis=1))
  cand = jnp.broadcast_to(valid[None, :], (b, b))
  idx = jnp.arange(b)
  cross = _ce_rows(q @ k.T / temperature, idx, cand)
  s12 = q1 @ q2.T / temperature
  intra = 0.5 * (_ce_rows(s12, idx, cand) + _ce_rows(s12.T, idx, cand))
  if intra_only:
    return jnp.where(valid, intra_weight * intra, 0.0)
  total = cross + intra_weight * intra
  if rescale:
    cnt = jnp.maximum(jnp.sum(valid), 1)
    mean = lambda a: jnp.sum(jnp.where(valid, a, 0.0)) / cnt
    total = total * jax.lax.stop_gradient(mean(cross) / mean(total))
  return jnp.where(valid, total, 0.0)


# ------------------------------------------------------------------------ SECLA (faces <-> names)


def secla(embeddings, labels=None, *, temperature: float = 0.1, symmetric: bool = True, where=None) -> Array:
  """Symmetry-enhanced contrastive alignment of bags of faces and names (SECLA), per image-caption pair.

  Each example is an image-caption pair with F face slots and N name slots: ``embeddings`` is
  ``{"faces": [B, F, D], "names": [B, N, D], "face_mask": [B, F] bool, "name_mask": [B, N] bool}``
  (l2-normalised inside). Weak supervision: a face's name is one of its own caption's names, unknown
  which. With s(f, n) = cos(f, n) / t:
    face -> name:  l_f = -log( exp(max_{n in C_b} s(f, n)) / (exp(max_{n in C_b} s(f, n)) + sum_{n not in C_b} exp s(f, n)) )
                   (the best-matching name of its own caption is the positive, names of the other
                   captions of the batch are the negatives: multiple-instance InfoNCE),
    name -> face:  l_n the same with faces and names exchanged (the symmetric term);
  loss_b = mean over the pair's valid faces of l_f + mean over its valid names of l_n
  (``symmetric=False``: the face -> name term alone, the ablation of the symmetry).
  lbrl's reading of the paper's section 3 (the paper's code is not released): the max over the own bag
  is the alignment hypothesis, both directions are trained (the "symmetry enhancement"); the NONAME
  token and SECLA-B's two-stage curriculum are left to the data (a null name slot, an easy subset first).
  Assignment at test time: each face takes the arg-max name of its caption (:func:`secla_assign`).

  Reference: T. Qu, T. Tuytelaars, M.-F. Moens, "Weakly Supervised Face Naming with Symmetry-Enhanced
  Contrastive Loss", WACV 2023, arXiv:2210.08957 (slug ``weakly_supervised_face_naming``).
  """
  if not isinstance(embeddings, dict) or not {"faces", "names"} <= set(embeddings):
    raise ValueError("secla: embeddings must be a dict with 'faces' [B, F, D] and 'names' [B, N, D]")
  fa = l2_normalize(jnp.asarray(embeddings["faces"], jnp.float32))
  na = l2_normalize(jnp.asarray(embeddings["names"], jnp.float32))
  if fa.ndim != 3 or na.ndim != 3 or fa.shape[0] != na.shape[0] or fa.shape[2] != na.shape[2]:
    raise ValueError(f"secla: faces [B, F, D] and names [B, N, D] must share B and D, got {fa.shape}, {na.shape}")
  _positive("temperature", temperature, "secla")
  b, nf, d = fa.shape
  nn_ = na.shape[1]
  fm = jnp.asarray(embeddings.get("face_mask", jnp.ones((b, nf), bool)), bool)
  nm = jnp.asarray(embeddings.get("name_mask", jnp.ones((b, nn_), bool)), bool)
  valid = _valid(where, b)
  fm, nm = fm & valid[:, None], nm & valid[:, None]
  s = jnp.einsum("bfd,cnd->bfcn", fa, na) / temperature            # [B, F, B, N]
  own = jnp.eye(b, dtype=bool)[:, None, :, None]

  def direction(sim, qmask, kmask, own_):
    # sim [B, Q, B, K]: each query's positive = its best key in its own bag; negatives = other bags' keys
    pos = jnp.max(jnp.where(own_ & kmask[None, None], sim, _NEG), axis=(2, 3))
    neg = jnp.where(~own_ & kmask[None, None], sim, _NEG).reshape(sim.shape[0], sim.shape[1], -1)
    l = jnp.logaddexp(pos, jax.nn.logsumexp(neg, axis=-1)) - pos
    cnt = jnp.maximum(jnp.sum(qmask, 1), 1)
    return jnp.sum(jnp.where(qmask, l, 0.0), 1) / cnt

  lf = direction(s, fm, nm, own)
  if not symmetric:
    return jnp.where(valid, lf, 0.0)
  ln = direction(jnp.transpose(s, (2, 3, 0, 1)), nm, fm, own)
  return jnp.where(valid, lf + ln, 0.0)


def secla_assign(faces, names, name_mask=None) -> Array:
  """Each face's name slot within its own caption: arg-max cosine over the caption's valid names, [B, F]."""
  s = jnp.einsum("bfd,bnd->bfn", l2_normalize(jnp.asarray(faces, jnp.float32)), l2_normalize(jnp.asarray(names, jnp.float32)))
  if name_mask is not None:
    s = jnp.where(jnp.asarray(name_mask, bool)[:, None, :], s, _NEG)
  return jnp.argmax(s, -1)


# ------------------------------------------------------------------- BYOL + cross-cosine self-labeling


def byol_ccsl(embeddings, labels=None, *, target_outputs, weight: float = 1.0, threshold: float = 0.9,
              kind: str = "cosine", temperature: float = 0.1, where=None) -> Array:
  """BYOL plus the self-labeling refinement's in-batch similarity term (CCSL or CSSL), per example.

  BYOL's loss (:func:`byol`) learns only from the two views of an image. The refinement finds
  semantically similar pairs inside the batch from the target network and pulls the online predictions
  of one toward the target projections of the other:
    similar(i, j) = [cos(z'_i, z'_j) >= threshold], j != i   (z' the EMA target's projections, no gradient;
                    the two views' target projections averaged before the comparison),
    CCSL (``kind="cosine"``): c_i = mean over similar j and both view pairings of 2 - 2 cos(q_{i,v}, z'_{j,1-v}),
    CSSL (``kind="sigmoid"``): c_i = mean over all j != i of BCE(sigmoid(cos(q_i, z'_j) / temperature), similar(i, j));
  loss_i = byol_i + weight * c_i (c_i = 0 when i has no similar pair).
  lbrl's reading of the paper (no code released): the threshold rule for "semantically similar", the
  view pairing and the BCE form of the sigmoid loss are lbrl's choices, stated here.

  Reference: S. Garg, D. Jain, "Self-Labeling Refinement for Robust Representation Learning with Bootstrap
  Your Own Latent", 2022, arXiv:2204.04545 (slug ``self_labeling_refinement_robust``).
  """
  if kind not in ("cosine", "sigmoid"):
    raise ValueError(f"byol_ccsl: kind must be 'cosine' or 'sigmoid', got {kind!r}")
  if not -1.0 <= float(threshold) <= 1.0:
    raise ValueError(f"byol_ccsl: threshold must be in [-1, 1], got {threshold}")
  base = byol(embeddings, labels, target_outputs=target_outputs, where=where)
  q, _ = unpack(embeddings, "byol_ccsl")
  t, _ = unpack(target_outputs, "byol_ccsl (target_outputs)")
  t = jax.lax.stop_gradient(t)
  b = q.shape[0]
  valid = _valid(where, b)
  tm = l2_normalize(jnp.mean(l2_normalize(t), axis=1))
  sim = (tm @ tm.T >= threshold) & ~jnp.eye(b, dtype=bool) & valid[None, :] & valid[:, None]
  qn, tn = l2_normalize(q), l2_normalize(t)
  cross = 0.5 * (qn[:, 0] @ tn[:, 1].T + qn[:, 1] @ tn[:, 0].T)     # [B, B] online i vs target j, across views
  if kind == "cosine":
    cnt = jnp.sum(sim, 1)
    c = jnp.sum(jnp.where(sim, 2.0 - 2.0 * cross, 0.0), 1) / jnp.maximum(cnt, 1)
  else:
    off = ~jnp.eye(b, dtype=bool) & valid[None, :]
    x = cross / temperature
    bce = jax.nn.softplus(x) - sim * x                                  # BCE with logits
    c = jnp.sum(jnp.where(off, bce, 0.0), 1) / jnp.maximum(jnp.sum(off, 1), 1)
  return jnp.where(valid, base + weight * c, 0.0)


# --------------------------------------------------------------------- Hard Patches Mining (masked)


def hpm(embeddings, labels=None, *, weight: float = 1.0, relative: bool = True, where=None) -> Array:
  """Masked reconstruction plus HPM's loss-prediction objective, per example.

  ``embeddings``: :class:`lbrl.models.ssl_mim.HardPatchesMAE`'s dict (``reconstruction``, ``target``,
  ``mask``, ``loss_prediction``). With e_l = mean over the patch's values of (reconstruction - target)^2:
    reconstruction_i = mean over i's masked patches of e_l                       (MAE)
    relative (the paper's choice): for masked patches l != m with e_l != e_m,
      lp_i = mean over those ordered pairs of BCE(sigmoid(s_m - s_l), [e_m > e_l])
      (s the predicted losses; e under stop-gradient: the predictor learns which patch is harder, not
      how hard; the authors' ``forward_learning_loss(relative=True)``, with log-sigmoid in place of their
      log(sigmoid + 1e-6));
    absolute: lp_i = mean over masked patches of (s_l - standardise_i(e)_l)^2;
  loss_i = reconstruction_i + weight * lp_i (weight 1 in the paper; 0 when the model has no predictor).
  Reference: as :mod:`lbrl.models.ssl_mim` (slugs ``hard_patches_mining_masked``,
  ``bootstrap_masked_visual_modeling``).
  """
  need = {"reconstruction", "target", "mask", "loss_prediction"}
  if not isinstance(embeddings, dict) or not need <= set(embeddings):
    raise ValueError(f"hpm: embeddings must be a dict with keys {sorted(need)} (HardPatchesMAE), got "
                     f"{sorted(embeddings) if isinstance(embeddings, dict) else type(embeddings).__name__}")
  rec = jnp.asarray(embeddings["reconstruction"], jnp.float32)
  tgt = jax.lax.stop_gradient(jnp.asarray(embeddings["target"], jnp.float32))
  m = jnp.asarray(embeddings["mask"], bool)
  s = jnp.asarray(embeddings["loss_prediction"], jnp.float32)
  if rec.shape != tgt.shape or rec.ndim != 3 or m.shape != rec.shape[:2] or s.shape != m.shape:
    raise ValueError(f"hpm: reconstruction/target [B, L, P], mask and loss_prediction [B, L] expected, got "
                     f"{rec.shape}, {tgt.shape}, {m.shape}, {s.shape}")
  b = rec.shape[0]
  valid = _valid(where, b)
  err = jnp.mean((rec - tgt) ** 2, -1)
  cnt = jnp.maximum(jnp.sum(m, 1), 1)
  recon = jnp.sum(jnp.where(m, err, 0.0), 1) / cnt
  e = jax.lax.stop_gradient(err)
  if relative:
    pair = m[:, :, None] & m[:, None, :]
    pos = (e[:, None, :] > e[:, :, None]) & pair               # [b, l, m]: e_m > e_l
    neg = (e[:, None, :] < e[:, :, None]) & pair
    d = s[:, None, :] - s[:, :, None]                          # s_m - s_l
    bce = jnp.where(pos, -jax.nn.log_sigmoid(d), 0.0) + jnp.where(neg, -jax.nn.log_sigmoid(-d), 0.0)
    lp = jnp.sum(bce, (1, 2)) / jnp.maximum(jnp.sum(pos | neg, (1, 2)), 1)
  else:
    mu = jnp.sum(jnp.where(m, e, 0.0), 1, keepdims=True) / cnt[:, None]
    var = jnp.sum(jnp.where(m, (e - mu) ** 2, 0.0), 1, keepdims=True) / jnp.maximum(cnt[:, None] - 1, 1)
    z = (e - mu) / jnp.sqrt(var + 1e-6)
    lp = jnp.sum(jnp.where(m, (s - z) ** 2, 0.0), 1) / cnt
  return jnp.where(valid, recon + weight * lp, 0.0)


# ------------------------------------------------------------------------------- ScatSimCLR pretext


def scatsimclr(embeddings, labels=None, *, temperature: float = 0.5, pretext_weight: float = 1.0, where=None) -> Array:
  """SimCLR's NT-Xent plus a pretext-task cross-entropy, per example (ScatSimCLR).

  Formula: loss_i = ntxent_i(z) + pretext_weight * mean over i's views v of CE(r_{i,v}, c_{i,v}), where r
  are the pretext head's logits and c the transform actually applied to the view (the model's
  ``pretext_labels``; :class:`lbrl.models.ssl_scatter.ScatSimCLR`: the jigsaw permutation). The paper
  weights the pretext loss against the contrastive one (lambda in its eq. 3; lbrl default 1).
  Reference: V. Kinakh, O. Taran, S. Voloshynovskiy, "ScatSimCLR: self-supervised contrastive learning
  with pretext task regularization for small-scale datasets", ICCV Workshops 2021, arXiv:2108.13939
  (slug ``scatsimclr``).
  """
  z, extras = unpack(embeddings, "scatsimclr")
  if not {"pretext_logits", "pretext_labels"} <= set(extras):
    raise ValueError("scatsimclr: the model output needs 'pretext_logits' and 'pretext_labels' (ScatSimCLR)")
  r = jnp.asarray(extras["pretext_logits"], jnp.float32)
  c = jnp.asarray(extras["pretext_labels"])
  if r.shape[:2] != z.shape[:2] or c.shape != z.shape[:2]:
    raise ValueError(f"scatsimclr: pretext logits [B, V, P] / labels [B, V] must match embeddings {z.shape[:2]}, "
                     f"got {r.shape}, {c.shape}")
  ce = jax.nn.logsumexp(r, -1) - jnp.take_along_axis(r, c[..., None], -1)[..., 0]
  base = ntxent(z, temperature=temperature, where=where)
  return jnp.where(_valid(where, z.shape[0]), base + pretext_weight * jnp.mean(ce, 1), 0.0)


def diffusion_dispersive(embeddings, labels=None, *, weight: float = 0.5, tau: float = 1.0, where=None) -> Array:
  """A diffusion model's epsilon-prediction loss plus the Dispersive Loss on its hidden representation.

  Formula (Wang & He 2025, eq. 1 with eq. 6): loss_i = mean_l (eps_hat_il - eps_il)^2 + weight * L_disp(h),
  L_disp = :func:`dispersive` of the batch's hidden representations h (InfoNCE-L2 form, temperature
  ``tau``); ``weight`` is the paper's lambda (0.25-1; lbrl default 0.5; 0 = the plain diffusion baseline).
  ``embeddings``: :class:`lbrl.models.ssl_diffusion.DispersiveDenoiser`'s dict (``embeddings`` h,
  ``prediction``, ``noise``). Batch-wide through the dispersive term.
  """
  if not isinstance(embeddings, dict) or not {"embeddings", "prediction", "noise"} <= set(embeddings):
    raise ValueError("diffusion_dispersive: embeddings must be a dict with 'embeddings', 'prediction', 'noise' "
                     "(DispersiveDenoiser)")
  pred = jnp.asarray(embeddings["prediction"], jnp.float32)
  eps = jnp.asarray(embeddings["noise"], jnp.float32)
  if pred.shape != eps.shape:
    raise ValueError(f"diffusion_dispersive: prediction {pred.shape} and noise {eps.shape} differ")
  b = pred.shape[0]
  mse = jnp.mean((pred - eps).reshape(b, -1) ** 2, -1)
  disp = dispersive(embeddings["embeddings"], tau=tau, where=where) if weight else 0.0
  return jnp.where(_valid(where, b), mse + weight * disp, 0.0)


# --------------------------------------------------------------------- CrIBo (object-level bootstrapping)


def cribo(embeddings, labels=None, *, target_outputs, student_temp: float = 0.1, teacher_temp: float = 0.04,
          cross_weight: float = 1.0, where=None) -> Array:
  """Cross-image object-level bootstrapping (CrIBo), per example.

  Inputs: the student's and the EMA teacher's ``{"embeddings": prototype logits [B, 2, K, P], "objects":
  object representations [B, 2, K, D]}`` for two views of B images with K objects each (object k of both
  views is the same object). With P_t(o) = softmax((t(o) - c) / teacher_temp) (c the teacher logits'
  batch mean, no gradient: lbrl's stand-in for DINO's EMA centre) and log P_s(o) = log_softmax(s(o) / student_temp):
    intra (cross-view):  for view v, object (i, k): H(P_t(o^{1-v}_{ik}), P_s(o^v_{ik}));
    cross-image: the teacher's nearest neighbour of o^v_{ik} among the objects of the *other* images in
      view v, (j, l) = argmax cos; kept only if cycle-consistent: the nearest neighbour of o^{1-v}_{jl}
      among the view 1 - v objects of the images other than j is o^{1-v}_{ik} (the authors'
      ``get_nn_centroids`` cycle: their bank holds past batches, so the neighbour's own image is never a
      candidate on the way back); then
      H(P_t(o^v_{jl}), P_s(o^{1-v}_{ik})): the student's other view of the object learns the teacher's
      view of the neighbour (the authors' ``loss_nn``: teacher(nn of view 1) against student view 2).
  loss_i = mean over its 2K intra terms + cross_weight * mean over its kept cross terms (0 if none).
  lbrl's choices (stated): the memory bank is the batch itself (the authors keep a FIFO queue of past
  batches' object centroids), the centre is the batch mean, and the global [CLS] term is left out.

  Reference: T. Lebailly, T. Stegmüller, B. Bozorgtabar, J.-P. Thiran, T. Tuytelaars, "CrIBo:
  Self-Supervised Learning via Cross-Image Object-Level Bootstrapping", ICLR 2024, arXiv:2310.07855
  (slug ``cribo``); authors' code github.com/tileb1/CrIBo (main_cribo.py).
  """
  def parts(out, fn):
    if not isinstance(out, dict) or not {"embeddings", "objects"} <= set(out):
      raise ValueError(f"cribo: {fn} must be a dict with 'embeddings' [B, 2, K, P] and 'objects' [B, 2, K, D]")
    s, o = jnp.asarray(out["embeddings"], jnp.float32), jnp.asarray(out["objects"], jnp.float32)
    if s.ndim != 4 or s.shape[1] != 2 or o.shape[:3] != s.shape[:3]:
      raise ValueError(f"cribo: {fn} shapes must be [B, 2, K, P] and [B, 2, K, D], got {s.shape}, {o.shape}")
    return s, o

  s, _ = parts(embeddings, "embeddings")
  t, to = parts(target_outputs, "target_outputs")
  t, to = jax.lax.stop_gradient(t), jax.lax.stop_gradient(to)
  _positive("teacher_temp", teacher_temp, "cribo")
  _positive("student_temp", student_temp, "cribo")
  b, _, k, _ = s.shape
  valid = _valid(where, b)
  cnt = jnp.maximum(jnp.sum(valid), 1)
  center = jnp.sum(jnp.where(valid[:, None, None, None], t, 0.0), (0, 1, 2)) / (cnt * 2 * k)
  pt = jax.nn.softmax((t - center) / teacher_temp, -1)                 # [B, 2, K, P]
  ls = jax.nn.log_softmax(s / student_temp, -1)
  h = lambda p, logq: -jnp.sum(p * logq, -1)
  intra = 0.5 * (h(pt[:, 1], ls[:, 0]) + h(pt[:, 0], ls[:, 1]))       # [B, K]
  on = l2_normalize(to).reshape(b, 2, k, -1)
  owner = jnp.repeat(jnp.arange(b), k)
  okf = jnp.repeat(valid, k)
  cross_sum = jnp.zeros((b,), jnp.float32)
  cross_cnt = jnp.zeros((b,), jnp.float32)
  for v in (0, 1):
    q = on[:, v].reshape(b * k, -1)
    other = on[:, 1 - v].reshape(b * k, -1)
    sim = q @ q.T
    nn_idx = jnp.argmax(jnp.where((owner[:, None] != owner[None, :]) & okf[None, :], sim, _NEG), axis=1)
    back_ok = (owner[nn_idx][:, None] != owner[None, :]) & okf[None, :]
    back = jnp.argmax(jnp.where(back_ok, other[nn_idx] @ other.T, _NEG), axis=1)
    keep = (back == jnp.arange(b * k)) & okf
    target = pt[:, v].reshape(b * k, -1)[nn_idx]
    term = h(target, ls[:, 1 - v].reshape(b * k, -1))
    cross_sum = cross_sum + jnp.sum(jnp.where(keep, term, 0.0).reshape(b, k), 1)
    cross_cnt = cross_cnt + jnp.sum(keep.reshape(b, k), 1)
  cross = cross_sum / jnp.maximum(cross_cnt, 1.0)
  return jnp.where(valid, jnp.mean(intra, 1) + cross_weight * cross, 0.0)


# ------------------------------------------------------------------------- latent bootstrapping (text)


def latent_bootstrap(embeddings, labels=None, *, target_outputs=None, latent_weight: float = 1.0,
                     mlm_weight: float = 0.0, where=None) -> Array:
  """Latent bootstrapping for masked language models, per sequence: regress the EMA teacher's contextual
  embeddings of the masked positions (optionally plus masked-token cross-entropy).

  Formula (Samuel 2023, after data2vec): the student sees the sequence with masked positions M and
  predicts y_t = mean over the teacher's top layers of LN(h^l_t) (the teacher, an EMA of the student,
  sees the unmasked sequence; no gradient):
    latent_i = mean over t in M_i of mean_d (p_td - y_td)^2,
    mlm_i = mean over t in M_i of CE(mlm_logits_t, token_t)           (the MLM baseline),
    loss_i = latent_weight * latent_i + mlm_weight * mlm_i.
  ``embeddings``: :class:`lbrl.models.ssl_text.LatentBootstrapEncoder`'s dict; ``target_outputs``: the
  EMA teacher's ``{"targets": [B, T, D]}`` (``apply_kwargs=dict(return_targets=True)``); may be None when
  ``latent_weight`` is 0.

  Reference: D. Samuel, "Mean BERTs make erratic language teachers: the effectiveness of latent
  bootstrapping in low-resource settings", CoNLL-CMCL BabyLM Challenge 2023, arXiv:2310.19420
  (slug ``mean_berts_make_erratic``).
  """
  need = {"embeddings", "mlm_logits", "mask", "tokens"}
  if not isinstance(embeddings, dict) or not need <= set(embeddings):
    raise ValueError(f"latent_bootstrap: embeddings must be a dict with keys {sorted(need)} (LatentBootstrapEncoder)")
  p = jnp.asarray(embeddings["embeddings"], jnp.float32)
  m = jnp.asarray(embeddings["mask"], bool)
  b = p.shape[0]
  cnt = jnp.maximum(jnp.sum(m, 1), 1)
  total = jnp.zeros((b,), jnp.float32)
  if latent_weight:
    if target_outputs is None or "targets" not in target_outputs:
      raise ValueError("latent_bootstrap: latent_weight > 0 needs target_outputs={'targets': [B, T, D]} (EMA teacher)")
    y = jax.lax.stop_gradient(jnp.asarray(target_outputs["targets"], jnp.float32))
    if y.shape != p.shape:
      raise ValueError(f"latent_bootstrap: targets {y.shape} and predictions {p.shape} differ")
    total = total + latent_weight * jnp.sum(jnp.where(m, jnp.mean((p - y) ** 2, -1), 0.0), 1) / cnt
  if mlm_weight:
    lg = jnp.asarray(embeddings["mlm_logits"], jnp.float32)
    tok = jnp.asarray(embeddings["tokens"])
    ce = jax.nn.logsumexp(lg, -1) - jnp.take_along_axis(lg, tok[..., None], -1)[..., 0]
    total = total + mlm_weight * jnp.sum(jnp.where(m, ce, 0.0), 1) / cnt
  return jnp.where(_valid(where, b), total, 0.0)
