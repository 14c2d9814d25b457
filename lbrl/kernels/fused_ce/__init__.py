"""Fused linear cross-entropy: the public, dispatching entry (see :func:`linear_cross_entropy`)."""
from __future__ import annotations

import jax
import jax.numpy as jnp

from lbrl.kernels import _dispatch
from lbrl.kernels.fused_ce import reference
from lbrl.kernels.fused_ce.reference import Hyper


def linear_cross_entropy(h, w, labels, *, where=None, z_loss: float = 0.0, label_smoothing: float = 0.0,
                         logit_softcap: float | None = None, block_size: int | None = None,
                         grad_filter_eps: float | str | None = None, vocab_axis_name: str | None = None,
                         backward: str = "auto", token_block: int | None = None,
                         impl: str = "auto", interpret: bool = False) -> jax.Array:
  """Cross-entropy of ``h @ w.T`` per token, without materialising the N x V logits (Cut Cross-Entropy).

  Formula, per token i (z_ij = softcap(h_i . w_j), softcap(u) = c tanh(u / c) when ``logit_softcap=c``):
    loss_i = lse_i - (1 - a) z_{i,y_i} - (a / V) sum_j z_ij + zl * lse_i**2,   lse_i = log sum_j exp z_ij.
  The value alone streams vocabulary blocks of ``w`` and keeps a running (max, sum-exp) pair per token
  (the two-pass / online log-sum-exp of :mod:`lbrl.kernels.twopass`): 2NVD FLOPs, one [N, block] tile.
  The gradient (``backward=``):
    "fused" (Liger-Kernel's scheme): when differentiated, the forward pass walks chunks of
      ``token_block`` tokens, forms each chunk's [bn, V] logits once and, vocabulary block by block, dz,
      dh and dw (in place); the backward pass scales these residuals (the inputs' size) by the cotangent:
      6NVD FLOPs, the naive count, at one [bn, V] tile of memory. Exact for any cotangent (a cotangent
      that differs between valid tokens, unlike a mean or a sum, makes dw fall back to "recompute").
    "recompute" (CCE's scheme): the backward pass re-streams the vocabulary blocks, recomputing each
      block's logits: 8NVD FLOPs, one [N, block] tile.
    "auto" (default): "fused" for the reference implementation when w is not vocabulary-sharded;
      "recompute" with ``vocab_axis_name`` (one lse collective, not one per chunk) and for the Pallas kernels.

  Args:
    h: ``[..., D]`` hidden states (float32 or bf16; accumulation in float32).
    w: ``[V, D]`` classifier / unembedding matrix (inside ``shard_map`` with ``vocab_axis_name``, this
      device's ``[V / n, D]`` slice, shards in axis-index order).
    labels: integer ``[...]``; ids outside ``[0, V)`` (e.g. -100 or -1 padding) are ignored: loss 0 and
      no gradient.
    where: optional boolean ``[...]``; False positions give 0 and no gradient.
    z_loss: zl >= 0, weight of the log-partition penalty zl * lse**2 (PaLM uses 1e-4). Default 0.
    label_smoothing: a in [0, 1), target (1 - a) one_hot + a / V. Default 0.
    logit_softcap: c > 0 or None (Gemma 2 uses 30); default None (no cap).
    block_size: vocabulary rows per block (default: "recompute" ~8 MiB [N, block] tiles, see
      ``lbrl.kernels._dispatch.default_block``; "fused" 2**18 / D rows rounded down to a power of 2 (128..2048),
      a ~1 MiB float32 block of w. Measured on the shared 2-core CPU at N=1024, D=512, V=131072
      (benchmarks/kernels_linear_ce_profile.py, single interleaved rounds): 512-row blocks 0.90x and 1.29x
      naive in two runs, 1024-row 1.10x and 1.23x, 4096-row 1.32x; token chunks of 128-512 within 4%: the
      4096-row block is slower, the rest is inside the run-to-run noise of a loaded machine).
    grad_filter_eps: if set (e.g. 2**-12 for bf16), the gradient skips a vocabulary block whose
      entries |dL/dz| are all below eps and that holds no label (the paper's gradient filtering; "fused"
      tests the unit-cotangent |dL/dz|, i.e. the softmax, as CCE does); ignored with label smoothing
      (every entry then carries -a/V). "auto": CCE's default finfo(dtype).eps / 32 for 16-bit inputs
      (2**-12 for bf16, 2**-15 for float16) and None (exact) otherwise. Default None: exact.
    vocab_axis_name: mesh axis over which ``w`` is sharded by vocabulary rows, when called inside
      ``jax.shard_map``: partial (max, sum-exp) pairs are combined across the axis with pmax/psum.
      Outside shard_map, under an Explicit mesh (``jax.set_mesh``, as the trainer's models use), a ``w``
      whose rows are sharded over a mesh axis is detected from its type and takes this path by itself
      (the trainer needs no change: a config that shards the unembedding over ``model`` gets it).
    backward: "auto" | "fused" | "recompute" (above).
    token_block: tokens per chunk of the "fused" backward (default 128, fewer only past V = 2**18 so that
      the float32 [bn, V] tile stays <= 128 MiB; measured on a 2-core CPU: 32-token chunks ran 2.1x naive
      at V=131072 because every chunk re-reads all of w and dw, 128-token chunks keep the matmuls
      compute-bound). The tile is then 128 / N of the naive [N, V] logits.
    impl: "auto" (Pallas on TPU/GPU, reference on CPU) | "reference" | "pallas" | "pallas_tpu" | "pallas_gpu"
      (Triton) | "pallas_mgpu" (opt-in: Mosaic GPU with wgmma and D tiled, bf16/f16 inputs, the "recompute"
      backward without gradient filtering; lowered for cuda in the CPU tests, numerics checked only on a
      GPU: :mod:`lbrl.kernels.fused_ce.pallas_mgpu`).
    interpret: run a Pallas kernel in interpret mode (CPU tests).

  Returns: float32 per-token losses shaped ``labels.shape`` (reduce with ``lbrl.losses.reduce``).

  Reference: E. Wijmans, B. Huval, A. Hertzberg, V. Koltun, P. Kraehenbuehl, "Cut Your Losses in
  Large-Vocabulary Language Models", 2024, arXiv:2411.09009 (catalog slug ``cut_cross_entropy``).
  """
  fn = "linear_cross_entropy"
  h, w, labels = _dispatch.check_linear_inputs(fn, h, w, labels, where)
  if z_loss < 0:
    raise ValueError(f"{fn}: z_loss must be >= 0, got {z_loss}")
  if not 0 <= label_smoothing < 1:
    raise ValueError(f"{fn}: label_smoothing must be in [0, 1), got {label_smoothing}")
  if logit_softcap is not None and not logit_softcap > 0:
    raise ValueError(f"{fn}: logit_softcap must be > 0 or None, got {logit_softcap}")
  if grad_filter_eps == "auto":
    low = jnp.dtype(h.dtype).itemsize < 4
    grad_filter_eps = float(jnp.finfo(h.dtype).eps) / 32 if low else None
  if grad_filter_eps is not None and (isinstance(grad_filter_eps, str) or not grad_filter_eps > 0):
    raise ValueError(f"{fn}: grad_filter_eps must be > 0, 'auto' or None, got {grad_filter_eps!r}")
  if block_size is not None and block_size < 1:
    raise ValueError(f"{fn}: block_size must be a positive integer, got {block_size}")
  if token_block is not None and token_block < 1:
    raise ValueError(f"{fn}: token_block must be a positive integer, got {token_block}")
  if backward not in ("auto", "fused", "recompute"):
    raise ValueError(f"{fn}: backward must be 'auto', 'fused' or 'recompute', got {backward!r}")

  batch_shape = labels.shape
  h2 = h.reshape(-1, h.shape[-1])
  lab = labels.reshape(-1).astype(jnp.int32)
  vocab = w.shape[0] * (1 if vocab_axis_name is None else jax.lax.axis_size(vocab_axis_name))
  valid = (lab >= 0) & (lab < vocab)
  if where is not None:
    valid = valid & jnp.asarray(where, bool).reshape(-1)
  which = _dispatch.resolve_impl(impl, fn, mosaic_gpu=True, interpret=interpret)   # opt-in Mosaic GPU kernels
  if vocab_axis_name is None and which == "reference" and _explicit_mesh():
    vocab_axis = _explicit_vocab_axis(w)
    if vocab_axis is not None or _names(tuple(jax.typeof(h2).sharding.spec)[0]):
      # Explicit shardings: each device runs its tokens (and, if w's rows are sharded, its vocabulary shard)
      hyper = dict(z_loss=z_loss, label_smoothing=label_smoothing, logit_softcap=logit_softcap,
                   block_size=block_size, grad_filter_eps=grad_filter_eps)
      return _explicit_sharded(h2, w, lab, valid, vocab_axis, hyper).reshape(batch_shape)
  if backward == "auto":
    backward = "fused" if which == "reference" and vocab_axis_name is None else "recompute"
  if backward == "fused" and (which != "reference" or vocab_axis_name is not None):
    raise ValueError(f"{fn}: backward='fused' needs impl='reference' and an unsharded w "
                     f"(got impl={impl!r}, vocab_axis_name={vocab_axis_name!r})")
  if backward == "fused":
    bn = token_block or min(128, max(8, 1 << max(0, (2 ** 25 // max(w.shape[0], 1)).bit_length() - 1)))
    bn = int(min(bn, _dispatch.round_up(h2.shape[0], 8)))
    # a power of 2 (divides common vocabularies: the value-only scan then pads no copy of w)
    block = block_size or min(2048, max(128, 1 << (2 ** 18 // max(w.shape[1], 1)).bit_length() - 1))
  else:
    bn, block = 0, block_size or _dispatch.default_block(h2.shape[0])
  hy = Hyper(vocab=int(vocab), block=int(min(block, w.shape[0])), token_block=bn, z_loss=float(z_loss),
             label_smoothing=float(label_smoothing),
             softcap=None if logit_softcap is None else float(logit_softcap),
             filter_eps=None if grad_filter_eps is None else float(grad_filter_eps), axis_name=vocab_axis_name)
  if which == "reference":
    loss = reference.fused_ce(h2, w, lab, valid, hy)
  else:
    if vocab_axis_name is not None:
      raise ValueError(f"{fn}: vocab_axis_name is supported by impl='reference' only")
    from lbrl.kernels.fused_ce import pallas as pallas_mod
    loss = pallas_mod.fused_ce(h2, w, lab, valid, hy, which, interpret)
  return loss.reshape(batch_shape)


def _names(entry) -> tuple:
  return () if entry is None else tuple(entry) if isinstance(entry, (tuple, list)) else (entry,)


def _explicit_mesh() -> bool:
  mesh = jax.sharding.get_abstract_mesh()
  return not mesh.empty and jax.sharding.AxisType.Explicit in tuple(mesh.axis_types)


def _explicit_vocab_axis(w) -> str | None:
  """The Explicit mesh axis (of size > 1) that shards w's vocabulary rows, if any (e.g. the ``model`` axis
  of a TransformerLM whose unembedding follows its sharding rules), else None."""
  mesh = jax.sharding.get_abstract_mesh()
  if mesh.empty:
    return None
  explicit = {n for n, t in zip(mesh.axis_names, mesh.axis_types) if t == jax.sharding.AxisType.Explicit}
  spec = tuple(jax.typeof(w).sharding.spec)
  axes = [a for a in _names(spec[0] if spec else None) if a in explicit and mesh.shape[a] > 1]
  if len(axes) > 1:
    raise ValueError(f"linear_cross_entropy: w's rows are sharded over several mesh axes {axes}; one is supported")
  return axes[0] if axes else None


def _explicit_sharded(h2, w, lab, valid, vocab_axis: str | None, hyper: dict):
  """Per-token losses under the current Explicit mesh: tokens keep their own sharding (minus
  ``vocab_axis``), w is gathered over its other axes, and each device streams its vocabulary shard
  (:func:`linear_cross_entropy` with ``vocab_axis_name``, one lse merge; with ``vocab_axis`` None, all of
  w and the fused backward)."""
  P = jax.sharding.PartitionSpec
  hspec = tuple(jax.typeof(h2).sharding.spec)
  tok = tuple(a for a in _names(hspec[0] if hspec else None) if a != vocab_axis) or None
  tok = tok[0] if tok and len(tok) == 1 else tok
  rs = jax.sharding.reshard
  h2, w = rs(h2, P(tok, None)), rs(w, P(vocab_axis, None))   # no-ops when already so
  lab, valid = rs(lab, P(tok)), rs(valid, P(tok))

  def local(h, w, y, ok):
    return linear_cross_entropy(h, w, y, where=ok, vocab_axis_name=vocab_axis, impl="reference", **hyper)

  return jax.shard_map(local, in_specs=(P(tok, None), P(vocab_axis, None), P(tok), P(tok)),
                       out_specs=P(tok))(h2, w, lab, valid)


def linear_cross_entropy_sharded(h, w, labels, *, mesh, token_axes=("data",), vocab_axis: str | None = "model",
                                 where=None, **hyper) -> jax.Array:
  """:func:`linear_cross_entropy` over a mesh: tokens sharded on ``token_axes`` (the leading axis of h,
  labels and where), the vocabulary rows of ``w`` on ``vocab_axis`` (None: w replicated).

  Wraps ``jax.shard_map``: each device streams its own vocabulary shard for its own tokens, and the
  per-token (max, sum-exp) pairs are merged across ``vocab_axis`` (pmax + psum); dh is summed over the
  vocabulary axis and dw over the token axes. Use it inside the jitted train step of an ``Auto`` mesh.
  """
  P = jax.sharding.PartitionSpec
  axes = tuple(a for a in token_axes if a in mesh.axis_names)
  if vocab_axis is not None and vocab_axis not in mesh.axis_names:
    vocab_axis = None
  tok = P(axes or None)
  args = (h, w, labels) + (() if where is None else (jnp.asarray(where, bool),))
  specs = (tok, P(vocab_axis, None), tok) + (() if where is None else (tok,))

  def local(h, w, labels, where=None):
    return linear_cross_entropy(h, w, labels, where=where, vocab_axis_name=vocab_axis, **hyper)

  return jax.shard_map(local, mesh=mesh, in_specs=specs, out_specs=tok)(*args)
