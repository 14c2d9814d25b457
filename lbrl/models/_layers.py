"""Building blocks shared by the ResNet, ViT, Transformer LM and dual encoder: mesh-aware matmuls and
convolutions, an embedding, attention with RoPE, and the pre-LN Transformer block.

Sharding under an explicit mesh (``jax.make_mesh(..., axis_types=(AxisType.Explicit, ...))``): JAX
0.10 types every array with its sharding and refuses a matmul whose result sharding is ambiguous
(a contraction over a sharded axis) or illegal (one mesh axis on two output dimensions). The helpers
here make the models run under any parameter layout produced by their ``sharding_rules``:

- tensor-parallel axis ``"model"``: kept on parameters; a contraction over a ``"model"``-sharded
  dimension is reduced by passing an explicit ``out_sharding``;
- every other axis (``"fsdp"``, ...) on a parameter is a storage layout (ZeRO-3 / FSDP): the parameter
  is all-gathered over it at use (``jax.sharding.reshard``), and autodiff turns that gather into a
  reduce-scatter of the gradient.

Without a mesh, or on a mesh whose axes are all ``Auto``, every helper is the plain ``lax`` op.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.sharding import AxisType, PartitionSpec as P

TENSOR_AXIS = "model"

Dtype = Any


def count_params(tree) -> int:
  """Number of scalars in a pytree of arrays (e.g. ``variables["params"]``)."""
  return int(sum(np.prod(np.shape(x)) for x in jax.tree_util.tree_leaves(tree)))


def _explicit_axes() -> frozenset[str]:
  mesh = jax.sharding.get_abstract_mesh()
  if mesh.empty:
    return frozenset()
  return frozenset(n for n, t in zip(mesh.axis_names, mesh.axis_types) if t == AxisType.Explicit)


def _names(entry) -> tuple[str, ...]:
  if entry is None:
    return ()
  return tuple(entry) if isinstance(entry, (tuple, list)) else (entry,)


def _entry(names: Sequence[str]):
  names = tuple(names)
  return None if not names else names[0] if len(names) == 1 else names


def _spec(x) -> list:
  spec = list(jax.typeof(x).sharding.spec)
  return spec + [None] * (jnp.ndim(x) - len(spec))


def _reshard(x, spec: list):
  if spec == _spec(x):
    return x
  return jax.sharding.reshard(x, P(*spec))


def gather(w, keep: Sequence[str] = (TENSOR_AXIS,)):
  """All-gathers ``w`` over every explicit mesh axis except ``keep`` (a no-op without one)."""
  if not _explicit_axes():
    return w
  return _reshard(w, [_entry([n for n in _names(e) if n in keep]) for e in _spec(w)])


def data_axes(x) -> tuple[str, ...]:
  """Mesh axes on the leading (batch) dimension of an activation ``x``."""
  return _names(_spec(x)[0]) if _explicit_axes() else ()


def _dedupe(specs: list, used: set) -> list:
  out = []
  for e in specs:
    names = [n for n in _names(e) if n not in used]
    used.update(names)
    out.append(_entry(names))
  return out


def dot_general(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None, **kw):
  """``lax.dot_general`` that works under an explicit mesh for any layout of ``rhs`` (the parameter).

  ``rhs`` is gathered over its non-tensor-parallel axes; a contracting dimension sharded on one side
  only is gathered on ``lhs``; the output keeps ``lhs``'s batch/free shardings and ``rhs``'s free
  ``"model"`` sharding unless that mesh axis is already used (then ``rhs`` is gathered on it).
  """
  if not _explicit_axes():
    return lax.dot_general(lhs, rhs, dimension_numbers, precision=precision,
                           preferred_element_type=preferred_element_type, **kw)
  (lc, rc), (lb, rb) = dimension_numbers
  rhs = gather(rhs)
  ls, rs = _spec(lhs), _spec(rhs)
  for i, j in zip(lc, rc):  # contracting dims must agree: take rhs's layout on lhs
    if ls[i] != rs[j]:
      ls[i] = rs[j]
  lfree = [i for i in range(lhs.ndim) if i not in lc and i not in lb]
  rfree = [j for j in range(rhs.ndim) if j not in rc and j not in rb]
  used: set = set()
  for i in list(lb) + lfree:
    used.update(_names(ls[i]))
  for i, j in zip(lc, rc):
    used.update(_names(ls[i]))
  new_rfree = _dedupe([rs[j] for j in rfree], set(used))
  for j, e in zip(rfree, new_rfree):
    rs[j] = e
  lhs, rhs = _reshard(lhs, ls), _reshard(rhs, rs)
  out = [ls[i] for i in lb] + [ls[i] for i in lfree] + new_rfree
  return lax.dot_general(lhs, rhs, dimension_numbers, precision=precision,
                         preferred_element_type=preferred_element_type, out_sharding=P(*out), **kw)


def conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=None, rhs_dilation=None,
                         dimension_numbers=None, feature_group_count=1, batch_group_count=1,
                         precision=None, preferred_element_type=None):
  """``lax.conv_general_dilated`` with an explicit ``out_sharding`` under an explicit mesh.

  The kernel is gathered over its non-``"model"`` axes; the input's feature dimension takes the
  kernel's input-feature layout; the output keeps the input's batch sharding and the kernel's
  output-feature sharding.
  """
  kw = dict(lhs_dilation=lhs_dilation, rhs_dilation=rhs_dilation, dimension_numbers=dimension_numbers,
            feature_group_count=feature_group_count, batch_group_count=batch_group_count,
            precision=precision, preferred_element_type=preferred_element_type)
  if not _explicit_axes():
    return lax.conv_general_dilated(lhs, rhs, window_strides, padding, **kw)
  dn = lax.conv_dimension_numbers(lhs.shape, rhs.shape, dimension_numbers)
  rhs = gather(rhs)
  ls, rs = _spec(lhs), _spec(rhs)
  for d in dn.lhs_spec[2:]:
    ls[d] = None
  ls[dn.lhs_spec[1]] = rs[dn.rhs_spec[1]]
  out = [None] * lhs.ndim
  out[dn.out_spec[0]] = ls[dn.lhs_spec[0]]
  out[dn.out_spec[1]] = _dedupe([rs[dn.rhs_spec[0]]], set(_names(ls[dn.lhs_spec[0]])))[0]
  rs[dn.rhs_spec[0]] = out[dn.out_spec[1]]
  return lax.conv_general_dilated(_reshard(lhs, ls), _reshard(rhs, rs), window_strides, padding,
                                  out_sharding=P(*out), **kw)


def Dense(features, **kw) -> nn.Dense:  # noqa: N802 (a module factory)
  """``nn.Dense`` with the mesh-aware :func:`dot_general`."""
  return nn.Dense(features, dot_general=dot_general, **kw)


def DenseGeneral(features, **kw) -> nn.DenseGeneral:  # noqa: N802
  """``nn.DenseGeneral`` with the mesh-aware :func:`dot_general`."""
  return nn.DenseGeneral(features, dot_general=dot_general, **kw)


def Conv(features, kernel_size, **kw) -> nn.Conv:  # noqa: N802
  """``nn.Conv`` with the mesh-aware :func:`conv_general_dilated`."""
  return nn.Conv(features, kernel_size, conv_general_dilated=conv_general_dilated, **kw)


class Embed(nn.Module):
  """Token embedding ``[V, D]``; ``attend(h)`` is the tied unembedding ``h @ E^T``."""
  num_embeddings: int
  features: int
  dtype: Dtype = jnp.float32
  param_dtype: Dtype = jnp.float32
  embedding_init: Any = nn.initializers.normal(stddev=0.02)

  def setup(self):
    self.embedding = self.param("embedding", self.embedding_init, (self.num_embeddings, self.features),
                                self.param_dtype)

  def __call__(self, ids):
    if not jnp.issubdtype(ids.dtype, jnp.integer):
      raise TypeError(f"Embed expects integer token ids, got dtype {ids.dtype}")
    table = jnp.asarray(self.embedding, self.dtype)
    if not _explicit_axes():
      return jnp.take(table, ids, axis=0)
    table = gather(table)
    spec = _spec(table)
    if spec[0] is not None:  # a vocabulary-sharded table is gathered over the vocabulary for lookup
      table = _reshard(table, [None, spec[1]])
    out = _dedupe(_spec(ids) + [spec[1]], set())
    return table.at[ids].get(out_sharding=P(*out))

  def attend(self, h):
    """Logits ``h @ E^T``: ``[..., D] -> [..., V]``."""
    table = jnp.asarray(self.embedding, self.dtype)
    return dot_general(h, table, (((h.ndim - 1,), (1,)), ((), ())))


def rope(x, positions, base: float = 10000.0):
  """Rotary position embedding (Su et al., 2021, arXiv:2104.09864) on ``x [B, T, H, Dh]``.

  Pairs (x[2i], x[2i+1]) are rotated by angle ``pos * base^(-2i/Dh)``.
  """
  dh = x.shape[-1]
  if dh % 2:
    raise ValueError(f"rope needs an even head dimension, got {dh}")
  inv = base ** (-jnp.arange(0, dh, 2, dtype=jnp.float32) / dh)
  ang = positions.astype(jnp.float32)[:, None] * inv[None, :]  # [T, Dh/2]
  cos, sin = jnp.cos(ang)[None, :, None, :], jnp.sin(ang)[None, :, None, :]
  xf = x.astype(jnp.float32)
  x1, x2 = xf[..., 0::2], xf[..., 1::2]
  out = jnp.stack([x1 * cos - x2 * sin, x1 * sin + x2 * cos], axis=-1).reshape(x.shape)
  return out.astype(x.dtype)


class _AttentionFields(nn.Module):
  num_heads: int
  causal: bool = False
  use_rope: bool = False
  use_bias: bool = False
  dropout: float = 0.0
  dtype: Dtype = jnp.float32
  param_dtype: Dtype = jnp.float32
  init_std: float = 0.02   # std of the N(0, std^2) kernels (Layer Index Rescaling passes 0.02 / sqrt(l))
  linear: tuple = ()       # low-rank (+ sparse) projections (lbrl.models.lowrank_sparse.make_linear); () dense


class Attention(_AttentionFields):
  """Multi-head self-attention: ``softmax(q k^T / sqrt(Dh) + mask) v``, optional causal mask and RoPE."""

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    d = x.shape[-1]
    if d % self.num_heads:
      raise ValueError(f"width {d} is not divisible by num_heads {self.num_heads}")
    dh = d // self.num_heads
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype, use_bias=self.use_bias,
              kernel_init=nn.initializers.normal(self.init_std))
    if self.linear:   # LOST / low-rank projections of the flattened heads
      from lbrl.models.lowrank_sparse import make_linear
      proj = lambda n: make_linear(d, self.linear, name=n, **kw)
      q, k, v = (proj(n)(x).reshape(*x.shape[:-1], self.num_heads, dh) for n in ("query", "key", "value"))
    else:
      q, k, v = (DenseGeneral((self.num_heads, dh), name=n, **kw)(x) for n in ("query", "key", "value"))
    if self.use_rope:
      pos = jnp.arange(x.shape[-2])
      q, k = rope(q, pos), rope(k, pos)
    scores = jnp.einsum("bthd,bshd->bhts", q, k).astype(jnp.float32) / math.sqrt(dh)
    if self.causal:
      t = x.shape[-2]
      scores = jnp.where(jnp.tril(jnp.ones((t, t), bool)), scores, jnp.finfo(jnp.float32).min)
    w = jax.nn.softmax(scores, axis=-1)
    # per-head mean attention entropy, kept only when "intermediates" is mutable (diagnostics)
    self.sow("intermediates", "attention_entropy",
             -jnp.mean(jnp.sum(w * jnp.log(jnp.maximum(w, 1e-30)), -1), axis=(0, 2)))
    w = w.astype(self.dtype)
    w = nn.Dropout(self.dropout)(w, deterministic=not train)
    o = jnp.einsum("bhts,bshd->bthd", w, v)
    if self.linear:
      return proj("out")(o.reshape(*o.shape[:-2], d))
    return DenseGeneral(d, axis=(-2, -1), name="out", **kw)(o)


class MlpBlock(nn.Module):
  """``W2 gelu(W1 x)`` with hidden width ``hidden``; kernels N(0, ``init_std``^2)."""
  hidden: int
  use_bias: bool = False
  dtype: Dtype = jnp.float32
  param_dtype: Dtype = jnp.float32
  init_std: float = 0.02
  linear: tuple = ()   # low-rank (+ sparse) layers (lbrl.models.lowrank_sparse.make_linear); () dense

  @nn.compact
  def __call__(self, x):
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype, use_bias=self.use_bias,
              kernel_init=nn.initializers.normal(self.init_std))
    dense = Dense
    if self.linear:
      from lbrl.models.lowrank_sparse import make_linear
      dense = lambda f, **k: make_linear(f, self.linear, **k)
    h = nn.gelu(dense(self.hidden, name="up", **kw)(x))
    return dense(x.shape[-1], name="down", **kw)(h)


class Block(_AttentionFields):
  """Transformer block with a selectable normalization and its placement (default: Pre-LN).

      pre:       x <- s * x + a * F(N(x))           (the default; N = nn.LayerNorm named ln1 / ln2)
      post:      x <- N(s * x + a * F(x))           (the original Transformer's Post-LN)
      sandwich:  x <- s * x + a * N'(F(N(x)))       (Sandwich-LN: an extra norm ln1_post / ln2_post)

  ``F`` is attention then the MLP (width ``mlp_dim``); ``norm`` is a name of
  :func:`lbrl.models.norm.make_norm`; ``residual_scale`` is ``a``; ``skip_scale`` is ``s`` (default 1;
  DeepScaleLM's lambda with a = beta, lbrl.optim.parametrization.deepscalelm); ``norm_multiplier``
  multiplies each pre-norm's output (LayerNorm Scaling, Sun et al., "The Curse of Depth in Large Language
  Models", 2025, arXiv:2502.05795: ``1/sqrt(l)`` in layer ``l``); ``attention_module`` is the attention's module class
  (called with the head count and :class:`_AttentionFields`; None: softmax :class:`Attention`; e.g.
  :class:`lbrl.models.attention.SigmoidAttention`). ``gpas`` (pre/sandwich placements): after each
  sub-layer's residual sum ``x <- x - SiLU(a) * stop_gradient(x)`` with one learned scalar ``a`` (init 0,
  parameter ``gpas``) shared by the block's two sub-layers, as the authors' ``GPASBlock`` (Chen et al.,
  2025, arXiv:2506.22049; github.com/dandingsky/GPAS, ``pre_gpas``). The defaults give exactly the
  previous Pre-LN block.
  """
  mlp_dim: int = 0
  norm: str = "layer"
  placement: str = "pre"
  residual_scale: float = 1.0
  skip_scale: float = 1.0
  norm_multiplier: float = 1.0
  attention_module: Any = None
  norm_options: tuple = ()   # extra fields of the norm layer ((name, value) pairs, lbrl.models.norm.make_norm)
  gpas: bool = False         # GPAS gate after each sub-layer (one scalar per block)

  def _attention(self, kw):
    common = dict(causal=self.causal, use_rope=self.use_rope, use_bias=self.use_bias, dropout=self.dropout,
                  name="attn", **kw)
    if self.init_std != 0.02:
      common["init_std"] = self.init_std
    if self.linear:
      common["linear"] = self.linear
    return (self.attention_module or Attention)(self.num_heads, **common)

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    from lbrl.models import norm as N
    if self.mlp_dim <= 0:
      raise ValueError(f"Block.mlp_dim must be positive, got {self.mlp_dim}")
    N.check_placement(self.placement)
    if self.gpas and self.placement == "post":
      raise ValueError("Block.gpas needs placement 'pre' or 'sandwich' (the gate scales the residual stream)")
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype)
    drop = nn.Dropout(self.dropout)
    gate = self.param("gpas", nn.initializers.zeros, (), self.param_dtype) if self.gpas else None
    make = lambda name: N.make_norm(self.norm, use_bias=self.use_bias, train=train, name=name,
                                    options=self.norm_options, **kw)
    branches = [
        lambda h: self._attention(kw)(h, train=train),
        lambda h: MlpBlock(self.mlp_dim, use_bias=self.use_bias, init_std=self.init_std, linear=self.linear,
                           name="mlp", **kw)(h)]
    for i, f in enumerate(branches, 1):
      if self.placement == "post":
        x = make(f"ln{i}")(self._skip(x) + self._scaled(drop(f(x), deterministic=not train)))
        continue
      h = make(f"ln{i}")(x)
      if self.norm_multiplier != 1.0:
        h = h * jnp.asarray(self.norm_multiplier, h.dtype)
      h = f(h)
      if self.placement == "sandwich":
        h = make(f"ln{i}_post")(h)
      x = self._skip(x) + self._scaled(drop(h, deterministic=not train))
      if gate is not None:
        x = x - nn.silu(jnp.asarray(gate, x.dtype)) * jax.lax.stop_gradient(x)
    return x

  def _skip(self, x):
    return x if self.skip_scale == 1.0 else x * jnp.asarray(self.skip_scale, x.dtype)

  def _scaled(self, h):
    return h if self.residual_scale == 1.0 else h * jnp.asarray(self.residual_scale, h.dtype)


def block_sharding_rules() -> list[tuple[str, tuple]]:
  """Megatron-style tensor parallelism over ``"model"`` plus FSDP storage over ``"fsdp"`` for
  :class:`Block` parameters (heads and MLP hidden units split over ``"model"``)."""
  return [
      (r".*attn/(query|key|value)/kernel", ("fsdp", "model", None)),
      (r".*attn/(query|key|value)/bias", ("model", None)),
      (r".*attn/out/kernel", ("model", None, "fsdp")),
      (r".*mlp/up/kernel", ("fsdp", "model")),
      (r".*mlp/up/bias", ("model",)),
      (r".*mlp/down/kernel", ("model", "fsdp")),
  ]
