"""allRank's context-aware list scorer: a Transformer encoder ACROSS the documents of each list.

Pobrotyn, Bartczak, Synowiec, Bialobrzeski & Bojar, "Context-Aware Learning to Rank with Self-Attention",
2020, arXiv:2005.10084 (the scorer); the scorer of the NeuralNDCG runs (Pobrotyn & Bialobrzeski, "NeuralNDCG:
Direct Optimisation of a Ranking Metric via Differentiable Relaxation of Sorting", 2021, arXiv:2102.07831,
slug ``neuralndcg``). Written from allegro/allRank ``allrank/models/model.py`` and ``transformer.py`` and the
run's ``reproducibility/configs/neuralndcg_web30k/neuralndcg_atmax.json``::

    h0  = W_in x + b_in                                   input layer to d_model (96), no activation
    per block (num_layers = 2, pre-norm):
        h = h + drop(Attn(LN(h), mask))                   num_heads = 1, keys of padded documents masked
        h = h + drop(W2 drop(relu(W1 LN(h) + b1)) + b2)   d_ff = 384
    s   = tanh(w_out . LN(h) + b_out)                     the final LayerNorm, then a tanh score per document

    Attn(h) = W_o softmax(Q K^T / sqrt(d_k) + mask) V, Q, K, V = W_q h, W_k h, W_v h (with biases), dropout
    (0.1) on the attention probabilities as well as on both sublayers and the feed-forward hidden layer.

No positional encoding (the run's ``positional_encoding: null``: the list is a set). ``x [Q, L, F] -> scores
[Q, L]`` like :class:`lbrl.models.ranking.ListScorer` (output kind ``scores_groups``), but each document's
score depends on every real document of its list.

LayerNorm: allRank's own, ``a (x - mean) / (std + eps) + b`` with the UNBIASED standard deviation and
``eps = 1e-6`` outside the square root (``norm="allrank"``, the default, as in the run); ``norm="layer"``
is flax's ``nn.LayerNorm`` (``(x - mean) / sqrt(var + 1e-6)``, the usual definition). Initialisation as
``make_model``: Xavier-uniform for every weight matrix, PyTorch's Linear default U(+-1/sqrt(fan_in)) for
the biases, LayerNorm gains 1 and offsets 0.

Padding: allRank passes the list's padding mask (``y == -1``) to the model and pads features with zeros;
so does lbrl's trainer (:func:`lbrl.train.trainer.list_items`: labels below 0 are padding; the same mask
reaches the ranking loss and the per-list metrics). Called without ``where`` (user code), a document whose
features are all exactly 0 is padding (allRank's padded rows; a real MSLR-WEB30K document has non-zero
features). Masked keys get a score of -1e30
rather than -inf, so a list with no real document stays finite (uniform attention) instead of NaN.

Fields (defaults: the NeuralNDCG run): ``d_model=96``, ``num_layers=2``, ``num_heads=1``, ``d_ff=384``,
``dropout=0.1``, ``output_activation="tanh"`` (or None), ``norm="allrank"`` (or "layer");
``num_classes`` is accepted and ignored (the trainer passes the dataset's; a list has none). Parameters
with 136 features: 136*96+96 + 2*(4*(96*96+96) + 96*384+384 + 384*96+96 + 2*2*96) + 2*96 + 96+1 = 237,121.

Example::

    model = ListTransformer()
    variables = model.init(jax.random.key(0), jnp.zeros((2, 240, 136)))
    scores = model.apply(variables, x, train=True, rngs={"dropout": key})      # [Q, 240]
"""
from __future__ import annotations

import math
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from lbrl.models import _layers as L

_NEG = -1e30
_NORMS = ("allrank", "layer")
_ACTIVATIONS = {None: lambda s: s, "tanh": jnp.tanh, "sigmoid": jax.nn.sigmoid}


def _torch_bias(key, shape, dtype=jnp.float32, *, fan_in: int):
  bound = 1.0 / math.sqrt(fan_in)
  return jax.random.uniform(key, shape, dtype, -bound, bound)


class AllRankLayerNorm(nn.Module):
  """allRank's LayerNorm: ``a (x - mean) / (std + eps) + b``, std the unbiased (n - 1) standard deviation."""
  eps: float = 1e-6
  param_dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x):
    d = x.shape[-1]
    a = self.param("scale", nn.initializers.ones, (d,), self.param_dtype)
    b = self.param("bias", nn.initializers.zeros, (d,), self.param_dtype)
    xf = x.astype(jnp.float32)
    mean = jnp.mean(xf, -1, keepdims=True)
    std = jnp.sqrt(jnp.sum(jnp.square(xf - mean), -1, keepdims=True) / (d - 1))
    return (a * (xf - mean) / (std + self.eps) + b).astype(x.dtype)


class ListTransformer(nn.Module):
  """allRank's context-aware scorer: ``x [Q, L, F]`` -> scores ``[Q, L]``. See the module docstring."""
  d_model: int = 96
  num_layers: int = 2
  num_heads: int = 1
  d_ff: int = 384
  dropout: float = 0.1
  output_activation: str | None = "tanh"
  norm: str = "allrank"
  num_classes: int | None = None
  dtype: Any = jnp.float32
  param_dtype: Any = jnp.float32

  def _check(self, x, where):
    if x.ndim != 3:
      raise ValueError(f"ListTransformer: x must be [queries, list_size, features], got shape {x.shape}")
    if self.norm not in _NORMS:
      raise ValueError(f"ListTransformer.norm must be one of {', '.join(_NORMS)}, got {self.norm!r}")
    if self.output_activation not in _ACTIVATIONS:
      raise ValueError(f"ListTransformer.output_activation must be one of {list(_ACTIVATIONS)}, "
                       f"got {self.output_activation!r}")
    if self.d_model < 2 or self.d_model % self.num_heads or self.num_layers < 0 or self.d_ff < 1:
      raise ValueError(f"ListTransformer: d_model ({self.d_model}) must be >= 2 and divisible by num_heads "
                       f"({self.num_heads}); num_layers ({self.num_layers}) >= 0; d_ff ({self.d_ff}) >= 1")
    if not 0.0 <= self.dropout < 1.0:
      raise ValueError(f"ListTransformer.dropout must be in [0, 1), got {self.dropout}")
    if where is not None and tuple(where.shape) != tuple(x.shape[:2]):
      raise ValueError(f"ListTransformer: where must be [queries, list_size] = {tuple(x.shape[:2])}, "
                       f"got {tuple(where.shape)}")

  def _dense(self, features, fan_in, name):
    return L.Dense(features, kernel_init=nn.initializers.xavier_uniform(),
                   bias_init=lambda k, s, d=jnp.float32: _torch_bias(k, s, d, fan_in=fan_in), name=name,
                   dtype=self.dtype, param_dtype=self.param_dtype)

  def _norm(self, name):
    if self.norm == "allrank":
      return AllRankLayerNorm(param_dtype=self.param_dtype, name=name)
    return nn.LayerNorm(epsilon=1e-6, dtype=self.dtype, param_dtype=self.param_dtype, name=name)

  @nn.compact
  def __call__(self, x, *, train: bool = False, where=None):
    self._check(x, where)
    real = jnp.any(x != 0, axis=-1) if where is None else jnp.asarray(where, bool)     # [Q, L]
    drop = lambda h: nn.Dropout(self.dropout)(h, deterministic=not train)
    d, dk = self.d_model, self.d_model // self.num_heads
    h = self._dense(d, x.shape[-1], "input")(jnp.asarray(x, self.dtype))
    for i in range(self.num_layers):
      y = self._norm(f"block{i}_ln1")(h)
      q, k, v = (self._dense(d, d, f"block{i}_{n}")(y).reshape(*y.shape[:-1], self.num_heads, dk)
                 for n in ("query", "key", "value"))
      scores = jnp.einsum("qthd,qshd->qhts", q, k).astype(jnp.float32) / math.sqrt(dk)
      scores = jnp.where(real[:, None, None, :], scores, _NEG)
      w = drop(jax.nn.softmax(scores, axis=-1).astype(self.dtype))
      o = jnp.einsum("qhts,qshd->qthd", w, v).reshape(y.shape)
      h = h + drop(self._dense(d, d, f"block{i}_out")(o))
      y = self._norm(f"block{i}_ln2")(h)
      y = drop(nn.relu(self._dense(self.d_ff, d, f"block{i}_ff1")(y)))
      h = h + drop(self._dense(d, self.d_ff, f"block{i}_ff2")(y))
    if self.num_layers:
      h = self._norm("final_ln")(h)
    s = self._dense(1, d, "output")(h)[..., 0]
    return _ACTIVATIONS[self.output_activation](s)

  @classmethod
  def sharding_rules(cls) -> list[tuple[str, tuple]]:
    """Tensor-parallel feed-forward (its hidden units over ``"model"``), other kernels stored over ``"fsdp"``."""
    return [(r".*ff1/kernel", ("fsdp", "model")), (r".*ff1/bias", ("model",)), (r".*ff2/kernel", ("model", "fsdp")),
            (r".*(input|query|key|value|out)/kernel", (None, "fsdp"))]
