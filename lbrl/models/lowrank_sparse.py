"""Low-rank and low-rank + channel-wise sparse linear layers (LOST).

LOST (Li, Yin, Shen, Xu, Xu, Huang, Wang, Liu & Wang, "LOST: Low-rank and Sparse Pre-training for Large
Language Models", 2025, arXiv:2508.02668, slug lost; code github.com/JiaxiLi1/LOST-Low-rank-and-Sparse-
Training-for-Large-Language-Models, not in the offline store, so not checked): every linear layer of the
Transformer blocks is trained from scratch as a low-rank part plus a channel-wise sparse part, both obtained
from a singular value decomposition of the layer's (randomly initialised) weight. With the flax kernel
``W0 = U diag(s) V^T`` (``[in, out]``, ``s`` descending)::

    A = U[:, :r] diag(sqrt(s[:r]))          [in, r]     (trained)
    B = diag(sqrt(s[:r])) V[:, :r]^T        [r, out]    (trained)
    R = W0 - A B                              the remaining singular directions
    C = the k output channels (columns of R) of largest 2-norm        (fixed at initialisation)
    S = R[:, C]                              [in, k]     (trained; the channel-wise sparse part)

    y = x A B + scatter_C(x S)              (+ bias)

so at initialisation the layer equals ``W0`` on the ``k`` kept channels and its rank-``r`` truncation on the
others. Choices lbrl made where the paper is open offline: channels are output channels (rows of
``W [out, in]``: whole neurons, so the sparse product is a dense ``[in, k]`` matmul), chosen once by the
residual's column norm and kept fixed (stored in the ``"lost"`` collection), the two parts are summed with
no weighting, and there is no nonlinearity between ``A`` and ``B``. ``channels=0`` is the low-rank-only
baseline, initialised the same way (the rank-``r`` truncated SVD of the same ``W0``).

Sizes: ``rank`` is an int, or a fraction (< 1) of ``min(in, out)``; ``channels`` an int or a fraction of
``out``; or ``budget_rank`` (same convention as ``rank``) sets ``k = floor((budget_rank - rank)(in + out) / in)``,
the most channels whose parameters fit the budget of a rank-``budget_rank`` low-rank layer, so LOST and
low-rank compare at matched parameter counts. :func:`make_linear` builds the layer from such options.
"""
from __future__ import annotations

import math
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp


def _size(value, full: int, what: str) -> int:
  if value is None:
    return 0
  n = int(math.floor(value * full)) if 0 < value < 1 else int(value)
  if n < 0 or n > full:
    raise ValueError(f"{what}={value} gives {n}, expected 0 .. {full}")
  return n


def layer_sizes(fan_in: int, fan_out: int, rank, channels=None, budget_rank=None) -> tuple[int, int]:
  """``(r, k)``: the rank and the number of sparse channels of a ``[fan_in, fan_out]`` layer."""
  r = _size(rank, min(fan_in, fan_out), "rank")
  if r < 1:
    raise ValueError(f"rank must give at least 1, got rank={rank} for a [{fan_in}, {fan_out}] layer")
  if budget_rank is not None and channels is not None:
    raise ValueError("give channels or budget_rank, not both")
  if budget_rank is not None:
    rb = _size(budget_rank, min(fan_in, fan_out), "budget_rank")
    if rb < r:
      raise ValueError(f"budget_rank ({rb}) must be >= rank ({r})")
    return r, min(fan_out, (rb - r) * (fan_in + fan_out) // fan_in)
  return r, _size(channels, fan_out, "channels")


def lost_factors(w0, rank: int, channels: int):
  """``(A, B, S, C)`` of the module docstring from the kernel ``w0`` ``[in, out]`` (float32 SVD)."""
  w0 = jnp.asarray(w0, jnp.float32)
  u, s, vt = jnp.linalg.svd(w0, full_matrices=False)
  root = jnp.sqrt(s[:rank])
  a = u[:, :rank] * root[None, :]
  b = root[:, None] * vt[:rank]
  resid = w0 - a @ b
  order = jnp.argsort(-jnp.linalg.norm(resid, axis=0))
  idx = jnp.sort(order[:channels]).astype(jnp.int32)
  return a, b, resid[:, idx], idx


class LowRankSparseDense(nn.Module):
  """``y = x A B + scatter_C(x S) (+ b)``: LOST's linear layer (``channels=0``: low-rank only)."""
  features: int
  rank: Any = 0.25
  channels: Any = None
  budget_rank: Any = None
  use_bias: bool = True
  kernel_init: Any = nn.initializers.lecun_normal()
  dtype: Any = jnp.float32
  param_dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x):
    fan_in = x.shape[-1]
    r, k = layer_sizes(fan_in, self.features, self.rank, self.channels, self.budget_rank)
    init = None
    if not self.has_variable("params", "A"):   # initialising: one SVD of one draw feeds A, B, S and C
      w0 = self.kernel_init(self.make_rng("params"), (fan_in, self.features), jnp.float32)
      init = lost_factors(w0, r, k)
    shapes = ((fan_in, r), (r, self.features), (fan_in, k))
    # flax evaluates an init function's shape on apply too: zeros of the right shape stand in there
    factor = lambda i: lambda _: (jnp.asarray(init[i], self.param_dtype) if init is not None
                                  else jnp.zeros(shapes[i], self.param_dtype))
    a = self.param("A", factor(0))
    b = self.param("B", factor(1))
    xd = x.astype(self.dtype)
    y = (xd @ a.astype(self.dtype)) @ b.astype(self.dtype)
    if k:
      s = self.param("S", factor(2))
      idx = self.variable("lost", "channels", lambda: init[3] if init is not None else jnp.zeros(k, jnp.int32)).value
      y = y.at[..., idx].add(xd @ s.astype(self.dtype))
    if self.use_bias:
      y = y + self.param("bias", nn.initializers.zeros, (self.features,), self.param_dtype).astype(self.dtype)
    return y


def make_linear(features: int, options: Any, *, name: str | None = None, **kw) -> nn.Module:
  """A :class:`LowRankSparseDense` with ``options`` (a dict or ``(name, value)`` pairs: ``rank``,
  ``channels`` or ``budget_rank``); ``kw``: use_bias, kernel_init, dtype, param_dtype."""
  opts = dict(options)
  unknown = set(opts) - {"rank", "channels", "budget_rank"}
  if unknown:
    raise ValueError(f"unknown low-rank/sparse linear options {sorted(unknown)}; known: rank, channels, budget_rank")
  return LowRankSparseDense(features, name=name, **opts, **kw)


def linear_parameter_count(fan_in: int, fan_out: int, options: Any = ()) -> int:
  """Weights of one ``[fan_in, fan_out]`` linear layer (no bias): ``in*out`` dense, else ``r(in+out) + k*in``."""
  opts = dict(options)
  if not opts:
    return fan_in * fan_out
  r, k = layer_sizes(fan_in, fan_out, opts.get("rank", 0.25), opts.get("channels"), opts.get("budget_rank"))
  return r * (fan_in + fan_out) + k * fan_in


def effective_kernel(params: dict, channels) -> jax.Array:
  """The dense ``[in, out]`` kernel a :class:`LowRankSparseDense` applies (for tests and analysis)."""
  w = params["A"] @ params["B"]
  if "S" in params:
    w = w.at[:, channels].add(params["S"])
  return w
