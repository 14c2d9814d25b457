"""Scale propagation: scaled arrays ``x = data * scale`` whose scales travel through the graph, so that
low-precision data (FP8) stays in range without per-tensor amax statistics.

Slug ``scalify`` (Balança, Hu, Luschi, Fitzgibbon, "Scalify: scale propagation for efficient low-precision
LLM training", 2024, arXiv:2407.17353; the authors' ``jax-scalify`` interprets a whole jaxpr and does not run
on jax 0.10, so lbrl implements the idea for the operations of an MLP, forward and backward, by hand).

A :class:`ScaledArray` holds ``data`` (float32 arrays carrying the values of a low-precision format) and a
float32 power-of-two ``scale``. Ops propagate scales by fixed rules instead of measuring the data:

* :func:`matmul` ``(a [m, k], b [k, n])``: ``data = (a.data @ b.data) / r``, ``scale = a.scale b.scale r``,
  ``r = pow2(sqrt(k))`` (the growth of a sum of k unit-scale products), then cast to the format;
* :func:`add_bias` / :func:`relu`: the scale is kept (the bias is divided by it before the add);
* :func:`as_scaled` (at the graph's inputs and the loss gradient): ``scale = pow2(rms(x))``, data cast;
* :func:`dynamic_rescale` (optional, explicit): ``scale *= pow2(rms(data))`` where the propagated estimate
  has drifted (``rescale="layer"`` in :class:`ScalifiedMLP` after every layer, forward and backward).

``pow2(v) = 2^round(log2 v)`` keeps scale products exact. :class:`ScalifiedMLP` (``scalified_mlp``) computes
its forward in ``fwd_format`` (E4M3) and its backward (a ``custom_vjp``: the cotangent enters through
:func:`as_scaled`, then every matmul of the backward pass propagates scales) in ``bwd_format`` (E5M2);
weights are float32 master copies, cast per step through :func:`as_scaled`.
"""
from __future__ import annotations

import math
from functools import partial
from typing import NamedTuple, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from lbrl.quant.formats import get_format, round_to_format


class ScaledArray(NamedTuple):
  data: jax.Array
  scale: jax.Array

  def to_array(self) -> jax.Array:
    return self.data * self.scale


def pow2(v):
  """``2^round(log2 v)`` (1 where ``v`` is 0)."""
  v = jnp.asarray(v, jnp.float32)
  return jnp.where(v > 0, 2.0 ** jnp.round(jnp.log2(jnp.where(v > 0, v, 1.0))), 1.0)


def cast(a: ScaledArray, fmt: str | None) -> ScaledArray:
  """``a`` with its data rounded to ``fmt`` (saturating; ``None`` keeps float32)."""
  return a if fmt is None else ScaledArray(round_to_format(a.data, fmt), a.scale)


def as_scaled(x, fmt: str | None = None) -> ScaledArray:
  """``x`` as a scaled array with ``scale = pow2(rms(x))``, data cast to ``fmt``."""
  x = jnp.asarray(x, jnp.float32)
  s = pow2(jnp.sqrt(jnp.mean(x * x)))
  return cast(ScaledArray(x / s, s), fmt)


def dynamic_rescale(a: ScaledArray, fmt: str | None = None) -> ScaledArray:
  """Moves ``pow2(rms(a.data))`` from the data into the scale."""
  r = pow2(jnp.sqrt(jnp.mean(a.data * a.data)))
  return cast(ScaledArray(a.data / r, a.scale * r), fmt)


def matmul(a: ScaledArray, b: ScaledArray, fmt: str | None = None) -> ScaledArray:
  """``a @ b`` with the propagated scale (module docstring)."""
  k = a.data.shape[-1]
  if b.data.shape[0] != k:
    raise ValueError(f"matmul: contraction sizes differ: {a.data.shape} @ {b.data.shape}")
  r = pow2(math.sqrt(k))
  return cast(ScaledArray((a.data @ b.data) / r, a.scale * b.scale * r), fmt)


def add_bias(a: ScaledArray, bias, fmt: str | None = None) -> ScaledArray:
  return cast(ScaledArray(a.data + jnp.asarray(bias, jnp.float32) / a.scale, a.scale), fmt)


def relu(a: ScaledArray) -> ScaledArray:
  return ScaledArray(jnp.maximum(a.data, 0.0), a.scale)


def _transpose(a: ScaledArray) -> ScaledArray:
  return ScaledArray(a.data.T, a.scale)


def _mlp_forward(params, x, fwd, rescale):
  """Returns (logits float32, the layers' scaled inputs and pre-activations for the backward)."""
  h = as_scaled(x, fwd)
  saved = []
  for i, (w, b) in enumerate(params):
    ws = as_scaled(w, fwd)
    z = add_bias(matmul(h, ws, fwd), b, fwd)
    saved.append((h, ws, z))
    if i < len(params) - 1:
      h = relu(z)
      if rescale:
        h = dynamic_rescale(h, fwd)
  return z.to_array(), saved


@partial(jax.custom_vjp, nondiff_argnums=(2, 3, 4))
def scalified_mlp(params, x, fwd, bwd, rescale):
  """Logits of an MLP ``params = [(W [in, out], b [out]), ...]`` (ReLU between layers) with scale
  propagation (module docstring); ``fwd`` / ``bwd``: the data formats (``None``: float32)."""
  return _mlp_forward(params, x, fwd, rescale)[0]


def _fwd(params, x, fwd, bwd, rescale):
  y, saved = _mlp_forward(params, x, fwd, rescale)
  return y, (saved, x.shape)


def _bwd(fwd, bwd, rescale, res, g):
  saved, x_shape = res
  gs = as_scaled(g, bwd)                     # the loss gradient enters with its own scale
  grads = []
  for i in reversed(range(len(saved))):
    h, ws, z = saved[i]
    if i < len(saved) - 1:
      gs = ScaledArray(jnp.where(z.data > 0, gs.data, 0.0), gs.scale)
    dw = matmul(_transpose(h), gs, bwd).to_array()
    db = jnp.sum(gs.data, axis=0) * gs.scale
    grads.append((dw, db))
    if i:
      gs = matmul(gs, _transpose(ws), bwd)
      if rescale:
        gs = dynamic_rescale(gs, bwd)
  dx = matmul(gs, _transpose(saved[0][1]), bwd).to_array()
  return list(reversed(grads)), dx.reshape(x_shape)


scalified_mlp.defvjp(_fwd, _bwd)


class ScalifiedMLP(nn.Module):
  """MLP trained with scale propagation (``scalified_mlp``): ``fwd_format`` / ``bwd_format`` data (E4M3 /
  E5M2 by default; ``None`` for float32), ``rescale``: ``"none"`` or ``"layer"`` (a dynamic rescale after
  every layer). Parameters as ``lbrl.models.simple.MLP`` (lecun-normal kernels, zero biases)."""
  num_classes: int | None = None
  hidden: Sequence[int] = (256, 256)
  fwd_format: str | None = "float8_e4m3fn"
  bwd_format: str | None = "float8_e5m2"
  rescale: str = "none"
  dtype: str = "float32"
  param_dtype: str = "float32"

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    if self.num_classes is None:
      raise ValueError("ScalifiedMLP: num_classes is required")
    if self.rescale not in ("none", "layer"):
      raise ValueError(f"ScalifiedMLP: rescale must be 'none' or 'layer', got {self.rescale!r}")
    for f in (self.fwd_format, self.bwd_format):
      if f is not None:
        get_format(f)
    x = x.reshape(x.shape[0], -1).astype(jnp.float32)
    params, fan_in = [], x.shape[-1]
    for i, width in enumerate([*self.hidden, self.num_classes]):
      w = self.param(f"kernel_{i}", nn.initializers.lecun_normal(), (fan_in, width), self.param_dtype)
      b = self.param(f"bias_{i}", nn.initializers.zeros, (width,), self.param_dtype)
      params.append((w.astype(jnp.float32), b.astype(jnp.float32)))
      fan_in = width
    return scalified_mlp(params, x, self.fwd_format, self.bwd_format, self.rescale == "layer")
