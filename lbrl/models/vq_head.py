"""VQ-Logits output head (VQ-Logits: Compressing the Output Bottleneck of Large Language Models via Vector
Quantized Logits, 2025, catalog slug ``vq_logits``).

The V x D output embedding is replaced by a codebook of K << V vectors e_1..e_K and a fixed map c from
tokens to codes:

    s_k = h . e_k  (k = 1..K),        z_v = s_{c(v)} + b_v  (v = 1..V, "scattered" to the vocabulary)

``b`` is an optional per-token bias (V numbers; without it the tokens that share a code share a logit
and are told apart by nothing). Output-layer parameters: K D (+ V) instead of V D.

The cross-entropy never needs the V logits: log sum_v exp z_v = log sum_k exp(s_k + m_k) with
m_k = log sum_{v: c(v) = k} exp(b_v) (m_k = log |c^{-1}(k)|, the code's token count, without bias), so
:func:`vq_cross_entropy` is a softmax over K codes with log-count offsets plus the label's own terms:
O(N K D) work instead of O(N V D).

Codebook construction (:func:`kmeans_codebook`): k-means (scikit-learn's KMeans) of an output embedding
matrix -- of a trained model, or of the model's initial one -- into K clusters; e_k = the cluster
centres, c(v) = v's cluster. lbrl's choice where the paper leaves room: the map c is fixed after
construction (a non-trainable ``vq`` collection), the codebook and the biases train.

The paper's protocol (train with the full softmax, cluster its output embedding, continue with the VQ
head) is :func:`vq_from_dense`, a parameter transform (``PARAM_TRANSFORMS`` name ``"vq_from_dense"``) for
``config.init``: it maps a trained dense ``TransformerLM``'s parameters to those of the same LM with
``head="vq", vq_assign="params"`` (k-means codebook, the map c as a float ``vq_head/assign`` parameter that
the config freezes with ``optimizer.frozen=[r"vq_head/assign"]``, biases 0: the dense head has none).
"""
from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np


def kmeans_codebook(embeddings, num_codes: int, *, seed: int = 0, n_init: int = 1, init="k-means++"):
  """(codebook [K, D] float32, assign [V] int32): k-means of ``embeddings [V, D]`` into ``num_codes`` clusters
  (scikit-learn's Lloyd iterations from ``init``: "k-means++" seeded by ``seed``, or given centres [K, D])."""
  from sklearn.cluster import KMeans
  e = np.asarray(embeddings, np.float64)
  if e.ndim != 2:
    raise ValueError(f"kmeans_codebook: embeddings must be [V, D], got shape {e.shape}")
  if not 1 <= num_codes <= e.shape[0]:
    raise ValueError(f"kmeans_codebook: num_codes must be in [1, V={e.shape[0]}], got {num_codes}")
  if not isinstance(init, str):
    init = np.asarray(init, np.float64)
    if init.shape != (num_codes, e.shape[1]):
      raise ValueError(f"kmeans_codebook: init centres must be [num_codes={num_codes}, D={e.shape[1]}], got {init.shape}")
    n_init = 1
  km = KMeans(num_codes, init=init, n_init=n_init, random_state=seed).fit(e)
  return km.cluster_centers_.astype(np.float32), km.labels_.astype(np.int32)


def code_log_mass(assign, num_codes: int, bias=None):
  """m_k = log sum_{v: c(v) = k} exp(b_v) ([K]; log of the token count without bias; -inf for empty codes)."""
  assign = jnp.asarray(assign)
  b = jnp.zeros(assign.shape, jnp.float32) if bias is None else jnp.asarray(bias, jnp.float32)
  mx = jax.ops.segment_max(b, assign, num_segments=num_codes)
  mx = jnp.where(jnp.isfinite(mx), mx, 0.0)
  s = jax.ops.segment_sum(jnp.exp(b - mx[assign]), assign, num_segments=num_codes)
  return jnp.where(s > 0, mx + jnp.log(jnp.where(s > 0, s, 1.0)), -jnp.inf)


def vq_logits(h, codebook, assign, bias=None):
  """z [..., V] = (h @ codebook.T)[..., assign] (+ bias)."""
  s = jnp.einsum("...d,kd->...k", h, codebook, preferred_element_type=jnp.float32)
  z = jnp.take(s, jnp.asarray(assign), axis=-1)
  return z if bias is None else z + jnp.asarray(bias, jnp.float32)


def vq_cross_entropy(h, codebook, assign, labels, *, bias=None, where=None):
  """Per-token cross-entropy of the VQ logits without forming them: lse over K codes with log-mass offsets.

  loss_i = logsumexp_k(s_ik + m_k) - s_{i, c(y_i)} - b_{y_i}; labels outside [0, V) (and ``where`` False)
  give 0. Equal to ``softmax_cross_entropy(vq_logits(...))`` (tested), at O(K) per token.
  """
  h, codebook, assign, labels = (jnp.asarray(a) for a in (h, codebook, assign, labels))
  if codebook.ndim != 2 or h.shape[-1] != codebook.shape[1]:
    raise ValueError(f"vq_cross_entropy: codebook must be [K, D] with D = h.shape[-1], got {codebook.shape} "
                     f"and h {h.shape}")
  if assign.ndim != 1 or not jnp.issubdtype(assign.dtype, jnp.integer):
    raise ValueError(f"vq_cross_entropy: assign must be integer codes [V], got {assign.dtype} {assign.shape}")
  if labels.shape != h.shape[:-1]:
    raise ValueError(f"vq_cross_entropy: labels must have shape {h.shape[:-1]}, got {labels.shape}")
  k, v = codebook.shape[0], assign.shape[0]
  s = jnp.einsum("...d,kd->...k", h, codebook, preferred_element_type=jnp.float32)
  lse = jax.nn.logsumexp(s + code_log_mass(assign, k, bias), axis=-1)
  ok = (labels >= 0) & (labels < v)
  y = jnp.clip(labels, 0, v - 1)
  zy = jnp.take_along_axis(s, assign[y][..., None], axis=-1)[..., 0]
  if bias is not None:
    zy = zy + jnp.asarray(bias, jnp.float32)[y]
  if where is not None:
    ok = ok & jnp.asarray(where, bool)
  return jnp.where(ok, lse - zy, 0.0)


class VQHead(nn.Module):
  """Codebook output head: ``h [..., D]`` -> logits ``[..., V]`` (or, with ``return_parts=True``, the
  (codebook, assign, bias) triple for :func:`vq_cross_entropy`).

  Fields: ``vocab_size`` V, ``num_codes`` K, ``token_bias`` (default True: the V biases b_v, init 0),
  ``assign`` (optional [V] codes, e.g. from :func:`kmeans_codebook`; default v mod K). Parameters:
  ``codebook [K, D]`` (init N(0, 0.02^2), or pass ``codebook_init``), ``bias [V]``; the map lives in the
  non-trainable ``vq`` collection (``assign``), or with ``assign_in_params=True`` in ``params`` as a float
  array ``assign`` of integer codes (rounded, no gradient) that a parameter transform can set
  (:func:`vq_from_dense`) and the optimizer must freeze (``optimizer.frozen=[r"vq_head/assign"]``).
  """
  vocab_size: int
  num_codes: int
  token_bias: bool = True
  assign: Any = None
  codebook_init: Any = None
  assign_in_params: bool = False
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, h, *, return_parts: bool = False):
    if not 1 <= self.num_codes <= self.vocab_size:
      raise ValueError(f"VQHead: num_codes must be in [1, vocab_size={self.vocab_size}], got {self.num_codes}")
    d = h.shape[-1]
    init = (nn.initializers.normal(0.02) if self.codebook_init is None
            else (lambda *_: jnp.asarray(self.codebook_init, jnp.float32)))
    codebook = self.param("codebook", init, (self.num_codes, d))
    default = np.arange(self.vocab_size) % self.num_codes if self.assign is None else np.asarray(self.assign)
    if default.shape != (self.vocab_size,):
      raise ValueError(f"VQHead: assign must be [vocab_size={self.vocab_size}], got shape {default.shape}")
    if self.assign_in_params:
      stored = self.param("assign", lambda *_: jnp.asarray(default, jnp.float32))
      assign = jnp.round(jax.lax.stop_gradient(stored)).astype(jnp.int32)
    else:
      assign = self.variable("vq", "assign", lambda: jnp.asarray(default, jnp.int32)).value
    bias = self.param("bias", nn.initializers.zeros, (self.vocab_size,)) if self.token_bias else None
    if return_parts:
      return codebook, assign, bias
    return vq_logits(jnp.asarray(h, self.dtype), codebook, assign, bias)


def vq_from_dense(params, *, source: dict, target: dict, key, n_init: int = 1):
  """Parameters of a ``TransformerLM(head="vq", vq_assign="params")`` from a trained dense one's (the paper's
  construction): k-means (:func:`kmeans_codebook`, k-means++ seeded from ``key``) of the dense output
  embedding rows (``unembed [V, D]``, or ``embed/embedding`` when the source ties them) into
  ``target["vq_codes"]`` clusters; ``vq_head/codebook`` = the centres, ``vq_head/assign`` = each token's
  cluster, ``vq_head/bias`` = 0 (when the target has token biases). Every other parameter is kept; the
  untied ``unembed`` is dropped. ``source``/``target``: the two models' config dicts (``config.init``)."""
  for name, model in (("source", source), ("target", target)):
    if dict(model).get("name", "transformer_lm") != "transformer_lm":
      raise ValueError(f"vq_from_dense: {name} must be a transformer_lm, got {model.get('name')!r}")
  if source.get("head", "dense") != "dense":
    raise ValueError(f"vq_from_dense: source must have head='dense', got {source.get('head')!r}")
  if target.get("head") != "vq" or target.get("vq_assign") != "params":
    raise ValueError("vq_from_dense: target must have head='vq' and vq_assign='params' (the map is a parameter the "
                     f"transform sets), got head={target.get('head')!r}, vq_assign={target.get('vq_assign')!r}")
  params = dict(params)
  tied = source.get("tie_embeddings", True)
  if tied:
    rows = params["embed"]["embedding"]
  else:
    if "unembed" not in params:
      raise ValueError(f"vq_from_dense: an untied source needs an 'unembed' parameter, got {sorted(params)}")
    rows = params.pop("unembed")
  seed = int(jax.random.randint(key, (), 0, 2 ** 31 - 1))
  codebook, assign = kmeans_codebook(np.asarray(rows, np.float64), int(target["vq_codes"]), seed=seed, n_init=n_init)
  head = {"codebook": jnp.asarray(codebook), "assign": jnp.asarray(assign, jnp.float32)}
  if target.get("vq_token_bias", False):
    head["bias"] = jnp.zeros(assign.shape, jnp.float32)
  params["vq_head"] = head
  return params
