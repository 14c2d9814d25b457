"""Function-preserving expansions of the zoo Transformer (:class:`lbrl.models.transformer.TransformerLM`)
as parameter-tree transforms.

Gesmundo & Maile, "Composable Function-preserving Expansions for Transformer Architectures", 2023,
arXiv:2308.06103 (slug ``composable_function_preserving_expansions``); the same zero-padding idea as
"Transfer training from smaller language model" (slug ``transfer_training_smaller_language``). Each
transform takes ``variables["params"]`` of a model and returns the parameters of a larger one that
computes the same function: the new weights that *read* new units are free (drawn N(0, ``scale^2``),
so that they train), the new weights that *write* into existing paths are zero.

* :func:`expand_mlp` (MLP internal size ``f -> f'``): new columns of ``mlp/up`` random, new rows of
  ``mlp/down`` zero.
* :func:`expand_heads` (attention heads ``h -> h'``, same head size): new heads' query/key/value random,
  their rows of ``attn/out`` zero.
* :func:`expand_head_dim` (head size ``dh -> dh'``): new query columns zero and key columns random (the
  new score terms vanish), existing query weights times ``sqrt(dh'/dh)`` to cancel the change of the
  ``1/sqrt(dh)`` score scale; new value columns random and their ``attn/out`` rows zero. Not exact with
  rotary positions, whose frequencies depend on ``dh`` (:func:`grow_transformer` refuses it).
* :func:`expand_width` (hidden size ``d -> d'``): new embedding/position columns zero (the new residual
  coordinates start and stay zero), new input rows of query/key/value/up random, new output columns of
  ``attn/out``/``mlp/down`` zero, an untied unembedding's new columns random. The root mean square over
  ``d'`` coordinates of which ``d' - d`` are zero is ``sqrt(d/d')`` times the old one; the paper divides
  the RMSNorm gains accordingly. lbrl instead multiplies the whole residual stream by ``c = sqrt(d'/d)``
  (embeddings, positions, ``attn/out`` and ``mlp/down``) and divides every RMSNorm gain by ``c`` (the
  final one by ``c^2`` when the unembedding is the tied, scaled embedding): the normalised values are
  then exactly the old ones *including* RMSNorm's epsilon (flax adds 1e-6 to the mean square, which the
  paper's formula ignores and which the gain rescaling alone gets wrong by ``~1e-6 / (2 mean(x^2))``,
  about 1e-3 on a freshly initialised stream). Needs RMSNorm (``norm="rms"``): LayerNorm's mean over the
  padded coordinates changes the normalised values themselves (the paper's normalisation is RMSNorm).
* :func:`expand_depth` (layers ``L -> L'``): new blocks with random weights except zero ``attn/out`` and
  ``mlp/down``, inserted at ``position`` (each is the identity map in a pre-norm residual stream).

Biases (``use_bias=True``) are padded with zeros. :func:`grow_transformer` composes them from two
``TransformerLM`` field dicts. Example::

    big = grow_transformer(params, dict(num_layers=2, num_heads=2, width=64, norm="rms"),
                           dict(num_layers=4, num_heads=4, width=128, mlp_ratio=4, norm="rms"),
                           key=jax.random.key(0))
"""
from __future__ import annotations

import math
import re
from typing import Any

import jax
import jax.numpy as jnp
from flax import traverse_util

_BLOCK = re.compile(r"^block_(\d+)$")


def _flat(params) -> dict:
  return dict(traverse_util.flatten_dict(params, sep="/"))


def _tree(flat: dict):
  return traverse_util.unflatten_dict(flat, sep="/")


def _pad(x, axis: int, new: int, fill: str, key, scale: float):
  """``x`` grown to ``new`` along ``axis``: the added slice is zero or N(0, scale^2)."""
  old = x.shape[axis]
  if new < old:
    raise ValueError(f"growth cannot shrink a dimension ({old} -> {new})")
  if new == old:
    return x
  shape = list(x.shape)
  shape[axis] = new - old
  extra = (jnp.zeros(shape, x.dtype) if fill == "zero" else
           (scale * jax.random.normal(key, shape, jnp.float32)).astype(x.dtype))
  return jnp.concatenate([x, extra], axis=axis)


def _blocks(flat: dict) -> list[int]:
  return sorted({int(m.group(1)) for k in flat for m in [_BLOCK.match(k.split("/")[0])] if m})


def _keys(key, n):
  return list(jax.random.split(key, n))


def _grow(params, key, scale: float, size: int, table) -> dict:
  """Applies ``table`` (``(path regex, axis, fill, multiplier)`` rows, first match wins) to every leaf:
  the leaf times ``multiplier``, grown to ``size`` along ``axis`` with ``fill``; unmatched leaves kept."""
  flat = _flat(params)
  out = {}
  for (path, x), k in zip(flat.items(), _keys(key, len(flat))):
    for pattern, axis, fill, mult in table:
      if re.search(pattern, path):
        axis = axis % x.ndim
        x = _pad(x * mult(x, axis) if callable(mult) else x * mult, axis, size, fill, k, scale)
        break
    out[path] = x
  return _tree(out)


def expand_mlp(params, hidden: int, *, key, scale: float = 0.02):
  """MLP hidden size to ``hidden`` in every block (see the module docstring)."""
  return _grow(params, key, scale, hidden, [(r"mlp/up/kernel$", 1, "random", 1.0), (r"mlp/up/bias$", 0, "zero", 1.0),
                                            (r"mlp/down/kernel$", 0, "zero", 1.0)])


def expand_heads(params, heads: int, *, key, scale: float = 0.02):
  """Attention heads to ``heads`` (same head size) in every block."""
  return _grow(params, key, scale, heads, [(r"attn/(query|key|value)/kernel$", 1, "random", 1.0),
                                           (r"attn/(query|key|value)/bias$", 0, "zero", 1.0),
                                           (r"attn/out/kernel$", 0, "zero", 1.0)])


def expand_head_dim(params, head_dim: int, *, key, scale: float = 0.02):
  """Head size to ``head_dim`` in every block (learned or no positions; not exact under RoPE)."""
  query_scale = lambda x, axis: math.sqrt(head_dim / x.shape[axis])
  return _grow(params, key, scale, head_dim, [(r"attn/query/(kernel|bias)$", -1, "zero", query_scale),
                                              (r"attn/(key|value)/kernel$", 2, "random", 1.0),
                                              (r"attn/(key|value)/bias$", 1, "zero", 1.0),
                                              (r"attn/out/kernel$", 1, "zero", 1.0)])


def expand_width(params, width: int, *, key, scale: float = 0.02, norm: str = "rms"):
  """Hidden (residual) size to ``width``; ``norm`` must be ``"rms"`` (see the module docstring)."""
  if norm != "rms":
    raise ValueError(f"expand_width preserves the function only with RMSNorm (norm='rms'), got norm={norm!r}")
  flat = _flat(params)
  old = flat["embed/embedding"].shape[1]
  if width < old:
    raise ValueError(f"expand_width: width {width} is smaller than the model's {old}")
  c = math.sqrt(width / old)
  tied = "unembed" not in flat
  out = {}
  ks = iter(_keys(key, len(flat)))
  for path, x in flat.items():
    k = next(ks)
    if path in ("embed/embedding", "pos_embed"):
      x = _pad(x * c, 1, width, "zero", k, scale)
    elif path == "unembed":
      x = _pad(x, 1, width, "random", k, scale)
    elif re.search(r"attn/(query|key|value)/kernel$", path) or path.endswith("mlp/up/kernel"):
      x = _pad(x, 0, width, "random", k, scale)
    elif path.endswith("attn/out/kernel"):
      x = _pad(x * c, 2, width, "zero", k, scale)
    elif path.endswith("mlp/down/kernel"):
      x = _pad(x * c, 1, width, "zero", k, scale)
    elif path.endswith(("attn/out/bias", "mlp/down/bias")):
      x = _pad(x * c, 0, width, "zero", k, scale)
    elif path.endswith("/scale"):
      divisor = c * c if (tied and path.startswith("ln_f/")) else c
      x = _pad(x, 0, width, "zero", k, scale).at[old:].set(1.0) / divisor
    elif re.search(r"(^|/)ln[^/]*/bias$", path):
      raise ValueError(f"expand_width: unexpected normalization offset {path!r} (RMSNorm has none)")
    out[path] = x
  return _tree(out)


def expand_depth(params, layers: int, *, key, position: int | None = None, scale: float = 0.02):
  """``layers - L`` identity blocks inserted before block ``position`` (default: after the last)."""
  flat = _flat(params)
  idx = _blocks(flat)
  n = len(idx)
  if idx != list(range(n)) or n == 0:
    raise ValueError(f"expand_depth: the parameters have blocks {idx}; expected block_0 .. block_(L-1)")
  if layers < n:
    raise ValueError(f"expand_depth: layers {layers} is fewer than the model's {n}")
  position = n if position is None else int(position)
  if not 0 <= position <= n:
    raise ValueError(f"expand_depth: position must be in [0, {n}], got {position}")
  template = {p.split("/", 1)[1]: x for p, x in flat.items() if p.startswith("block_0/")}
  out = {p: x for p, x in flat.items() if not _BLOCK.match(p.split("/")[0])}
  for p, x in flat.items():
    m = _BLOCK.match(p.split("/")[0])
    if m:
      i = int(m.group(1))
      j = i if i < position else i + layers - n
      out[f"block_{j}/" + p.split("/", 1)[1]] = x
  for t, k in zip(range(position, position + layers - n), _keys(key, max(1, layers - n))):
    ks = iter(_keys(k, len(template)))
    for rest, x in template.items():
      kk = next(ks)
      if rest.endswith(("attn/out/kernel", "mlp/down/kernel")) or rest.endswith("bias"):
        v = jnp.zeros_like(x)
      elif rest.endswith("/scale"):
        v = jnp.ones_like(x)
      else:
        v = (scale * jax.random.normal(kk, x.shape, jnp.float32)).astype(x.dtype)
      out[f"block_{t}/{rest}"] = v
  return _tree(out)


_FIELDS = ("num_layers", "num_heads", "width", "mlp_ratio", "positions", "norm", "placement", "use_bias",
           "tie_embeddings", "residual_scale", "layernorm_scaling")


def _fields(cfg: dict) -> dict[str, Any]:
  from lbrl.models.transformer import TransformerLM
  d = {f: getattr(TransformerLM, f) for f in _FIELDS}
  unknown = set(cfg) - set(_FIELDS) - {"name", "vocab_size", "max_len", "dropout"}
  if unknown:
    raise ValueError(f"grow_transformer: unknown TransformerLM fields {sorted(unknown)}")
  d.update({k: v for k, v in cfg.items() if k in _FIELDS})
  return d


def grow_transformer(params, source: dict, target: dict, *, key, scale: float = 0.02):
  """The parameters of ``TransformerLM(**target)`` computing the same function as ``params`` of
  ``TransformerLM(**source)`` (field dicts; unspecified fields take the class defaults). Heads, head
  size, MLP size, width and depth may grow; the other fields must agree; ``placement="pre"`` (a new
  block is the identity only with pre-norm residual branches); ``residual_scale=1`` and no LayerNorm
  scaling (their factors depend on the depth)."""
  s, t = _fields(source), _fields(target)
  for f in ("positions", "norm", "placement", "use_bias", "tie_embeddings", "residual_scale", "layernorm_scaling"):
    if s[f] != t[f]:
      raise ValueError(f"grow_transformer: {f} differs ({s[f]!r} -> {t[f]!r}); growth keeps it")
  if s["placement"] != "pre" or s["residual_scale"] != 1.0 or s["layernorm_scaling"]:
    raise ValueError("grow_transformer: needs placement='pre', residual_scale=1.0, layernorm_scaling=False")
  if s["width"] % s["num_heads"] or t["width"] % t["num_heads"]:
    raise ValueError("grow_transformer: width must be divisible by num_heads in source and target")
  dh_s, dh_t = s["width"] // s["num_heads"], t["width"] // t["num_heads"]
  if dh_t != dh_s and s["positions"] == "rope":
    raise ValueError(f"grow_transformer: head size {dh_s} -> {dh_t} is not function-preserving under rotary "
                     "positions (their frequencies depend on the head size): grow heads with the width instead")
  if t["width"] != s["width"] and s["norm"] != "rms":
    raise ValueError(f"grow_transformer: growing the width needs norm='rms', got {s['norm']!r}")
  k = iter(jax.random.split(key, 5))
  p = params
  p = expand_heads(p, t["num_heads"], key=next(k), scale=scale)
  p = expand_head_dim(p, dh_t, key=next(k), scale=scale)
  p = expand_mlp(p, t["mlp_ratio"] * t["width"], key=next(k), scale=scale)
  if t["width"] != s["width"]:
    p = expand_width(p, t["width"], key=next(k), scale=scale, norm=s["norm"])
  else:
    next(k)
  return expand_depth(p, t["num_layers"], key=next(k), scale=scale)


def growth_preservation(ctx, *, seed: int = 0, scale: float = 0.02, **target):
  """Analysis tool (``ANALYSIS_TOOLS["transformer_growth"]``): grows the analysed TransformerLM
  (``ctx.params``, fields from ``ctx.cfg.model``) to ``target`` (TransformerLM fields that change) and
  compares the two models on ``ctx.x`` / ``ctx.labels`` (next-token ids): ``loss_source``,
  ``loss_grown`` (mean token cross-entropy; labels < 0 ignored), ``abs_loss_change`` and
  ``max_abs_logit_change``, plus the parameter counts. Without ``target`` the fields come from the
  run's own ``cfg.analysis.kwargs`` (a sweep's arms set them there)."""
  import numpy as np
  import optax

  from lbrl.models.transformer import TransformerLM
  if not target:
    target = {k: v for k, v in dict(ctx.cfg.analysis.kwargs).items() if k in _FIELDS}
  if not target:
    raise ValueError("transformer_growth: no target fields (give e.g. width=..., num_layers=...)")
  source = {k: v for k, v in dict(ctx.cfg.model).items() if k in _FIELDS}
  dst = dict(source, **target)
  grown = grow_transformer(ctx.params, source, dst, key=jax.random.key(seed), scale=scale)
  vocab = ctx.model.vocab_size
  big = TransformerLM(vocab_size=vocab, max_len=ctx.model.max_len, **{k: v for k, v in dst.items()})
  x, y = jnp.asarray(ctx.x), jnp.asarray(ctx.labels)
  mask = (y >= 0).astype(jnp.float32)

  def ce(logits):
    v = optax.softmax_cross_entropy_with_integer_labels(logits.astype(jnp.float32), jnp.maximum(y, 0))
    return float(jnp.sum(v * mask) / jnp.maximum(jnp.sum(mask), 1))

  small_logits = ctx.apply(ctx.params, x)
  big_logits = jax.jit(lambda p: big.apply({"params": p}, x))(grown)
  count = lambda p: int(sum(np.prod(a.shape) for a in jax.tree_util.tree_leaves(p)))
  a, b = ce(small_logits), ce(big_logits)
  return {"loss_source": a, "loss_grown": b, "abs_loss_change": abs(b - a),
          "max_abs_logit_change": float(jnp.max(jnp.abs(big_logits - small_logits))),
          "params_source": count(ctx.params), "params_grown": count(grown)}
