"""Choosing an implementation (``impl=``) for the kernels, and padding helpers they share."""
from __future__ import annotations

import jax
import jax.numpy as jnp

Array = jax.Array

IMPLS = ("auto", "reference", "pallas", "pallas_tpu", "pallas_gpu")


def resolve_impl(impl: str, fn: str, *, mosaic_gpu: bool = False, interpret: bool = False) -> str:
  """``impl`` -> one of reference | pallas_tpu | pallas_gpu (| pallas_mgpu).

  auto: Pallas on TPU/GPU, the pure-JAX reference elsewhere (the CPU default). pallas: the Pallas kernel
  of the current backend (an error on CPU unless a platform is named: pallas_tpu / pallas_gpu, which on
  CPU need ``interpret=True``). pallas_mgpu: the opt-in Mosaic GPU kernels of the functions that have them
  (``mosaic_gpu=True``); they use wgmma, which no Pallas interpreter runs, so ``interpret=True`` is an error.
  """
  if impl == "pallas_mgpu" and mosaic_gpu:
    if interpret:
      raise ValueError(f"{fn}: impl='pallas_mgpu' (Mosaic GPU, wgmma) has no interpret mode; use "
                       "impl='pallas_gpu' (Triton) or 'pallas_tpu' with interpret=True on CPU")
    return impl
  if impl not in IMPLS:
    raise ValueError(f"{fn}: impl must be one of {IMPLS}, got {impl!r}")
  backend = jax.default_backend()
  if impl == "auto":
    return {"tpu": "pallas_tpu", "gpu": "pallas_gpu"}.get(backend, "reference")
  if impl == "pallas":
    if backend not in ("tpu", "gpu"):
      raise ValueError(f"{fn}: impl='pallas' needs a TPU or GPU backend (this is {backend!r}); "
                       "name the kernel (impl='pallas_tpu' or 'pallas_gpu') with interpret=True to run it on CPU")
    return "pallas_" + backend
  return impl


def default_block(n_rows: int, budget_elems: int = 1 << 21) -> int:
  """Block length (vocabulary rows, similarity columns) so that one [N, block] float32 tile is about 8 MiB (128..4096, power of 2)."""
  b = max(1, budget_elems // max(n_rows, 1))
  return int(min(4096, max(128, 1 << (b.bit_length() - 1))))


def round_up(n: int, m: int) -> int:
  return -(-n // m) * m


def pad_axis(x: jax.Array, axis: int, size: int, value=0) -> jax.Array:
  """Pads ``x`` along ``axis`` up to ``size`` with ``value`` (no copy when already that size)."""
  extra = size - x.shape[axis]
  if extra == 0:
    return x
  widths = [(0, 0)] * x.ndim
  widths[axis] = (0, extra)
  return jnp.pad(x, widths, constant_values=value)


def varying_axes(x: Array) -> frozenset:
  """The manual mesh axes ``x`` varies over inside ``shard_map`` (empty outside)."""
  aval = jax.typeof(x)
  mat = getattr(aval, "manual_axis_type", None)   # jax 0.10; older releases call it ``vma``
  return frozenset(mat.varying) if mat is not None else frozenset(getattr(aval, "vma", ()))


def match_vma(grad: Array, primal: Array) -> Array:
  """Inside ``shard_map``: sums a gradient over the mesh axes it varies over but its primal does not
  (e.g. dh over the vocabulary axis, dw over the data axis), as autodiff of ``pvary`` would."""
  extra = tuple(sorted(varying_axes(grad) - varying_axes(primal)))
  return jax.lax.psum(grad, extra) if extra else grad


def custom_vjp4(forward, backward, n_static: int):
  """A ``jax.custom_vjp`` function ``f(a, b, c, d, *static)`` built from ``forward(a, b, c, d, *static) ->
  (out, stats)`` and ``backward(*static, (a, b, c, d, stats), g) -> (da, db, dc, dd)``: the four array
  arguments (and the forward statistics) are the residuals, the ``n_static`` trailing ones are static."""
  def f(a, b, c, d, *static):
    return forward(a, b, c, d, *static)[0]

  def fwd(a, b, c, d, *static):
    out, stats = forward(a, b, c, d, *static)
    return out, (a, b, c, d, stats)

  f = jax.custom_vjp(f, nondiff_argnums=tuple(range(4, 4 + n_static)))
  f.defvjp(fwd, backward)
  return f


def check_linear_inputs(name: str, h, w, labels, where=None) -> tuple[jax.Array, jax.Array, jax.Array]:
  """Trace-time checks for the losses of ``h @ w.T`` that never form the logits: ``h [..., D]`` and
  ``w [V, D]`` floating, integer ``labels [...]``, ``where`` (if given) shaped like ``labels``."""
  h, w, labels = jnp.asarray(h), jnp.asarray(w), jnp.asarray(labels)
  if not jnp.issubdtype(h.dtype, jnp.floating) or not jnp.issubdtype(w.dtype, jnp.floating):
    raise TypeError(f"{name}: h and w must be floating point, got h {h.dtype} and w {w.dtype}")
  if w.ndim != 2:
    raise ValueError(f"{name}: w must be [V, D], got shape {w.shape}")
  if h.ndim < 1 or h.shape[-1] != w.shape[1]:
    raise ValueError(f"{name}: h must be [..., D] with D = w.shape[1] = {w.shape[1]}, got h.shape={h.shape}")
  if not jnp.issubdtype(labels.dtype, jnp.integer):
    raise TypeError(f"{name}: labels must be integer class ids, got dtype {labels.dtype}")
  if labels.shape != h.shape[:-1]:
    raise ValueError(f"{name}: labels must have shape h.shape[:-1]={h.shape[:-1]}, got {labels.shape}")
  if where is not None and jnp.shape(where) != labels.shape:
    raise ValueError(f"{name}: where must have shape {labels.shape}, got {jnp.shape(where)}")
  return h, w, labels
