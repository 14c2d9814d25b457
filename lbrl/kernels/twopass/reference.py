"""The Two-Pass Softmax algorithm and the blockwise log-sum-exp state the kernels share (pure JAX).

Two-Pass Softmax (Dukhan & Ablavatski, "The Two-Pass Softmax Algorithm", 2020, arXiv:2001.04438,
catalog slug ``two_pass_softmax``). The textbook softmax reads its input three times (max, sum of
exponentials, normalise). The two-pass algorithm reads it twice:

  pass 1: for every x_i write exp(x_i) = m_i * 2**n_i with n_i = round(x_i / ln 2) an integer and
          m_i = exp(x_i - n_i ln 2) in [2**-0.5, 2**0.5]; accumulate the pairs in extended range,
          (m, n) + (m', n') = (m 2**(n - N) + m' 2**(n' - N), N) with N = max(n, n').
  pass 2: y_i = (m_i / m) * 2**(n_i - n)        (and log-sum-exp = log m + n ln 2).

Nothing overflows: the mantissas stay near 1 and the exponents are kept apart. ``x - n ln 2`` is
computed with a Cody-Waite split of ln 2 (a high part with 10 significant bits, so ``n * LN2_HI`` is
exact for |n| < 2**14, i.e. |x| < 11000, plus a low correction), as XNNPACK does; beyond that range the
rounding error grows with |x| (relative error ~ |x| * 2**-24 in the probabilities), see the tests.

The blockwise kernels (fused linear cross-entropy, tiled/ring contrastive losses) reduce over blocks
that arrive one at a time, so they keep the running pass-1 state of every row as a pair of floats
:class:`LSEState` ``(max, sumexp)`` -- the online-normaliser form of the same first pass, whose "exponent"
is the running maximum itself (exact for any finite logit, hence used inside the kernels) -- and
merge blocks with :func:`lse_combine`. Pass 2 is then the kernel's own use of ``lse`` (a gradient, or
the normalised probabilities).
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

Array = jax.Array

LOG2E = 1.4426950408889634
LN2_HI = 0.693359375                # ln 2 to 10 significant bits: n * LN2_HI is exact for |n| < 2**14
LN2_LO = -2.1219444170128554e-04    # ln 2 - LN2_HI (float32)
NEG_BIG = -1e30                     # exponent of an empty accumulator (2**NEG_BIG == 0, no NaN in max-differences)


# ----------------------------------------------------------------------------------------------------
# The paper's (mantissa, exponent) representation.

def _split(x: Array) -> tuple[Array, Array]:
  """exp(x) = m * 2**n elementwise; -inf gives (0, NEG_BIG)."""
  finite = x > -jnp.inf
  xs = jnp.where(finite, x, 0.0)
  n = jnp.floor(xs * LOG2E + 0.5)    # round to nearest (floor: it lowers on Mosaic and Triton)
  m = jnp.exp((xs - n * LN2_HI) - n * LN2_LO)
  return jnp.where(finite, m, 0.0), jnp.where(finite, n, NEG_BIG)


def exp_pairs_sum(x: Array, axis: int = -1) -> tuple[Array, Array]:
  """Pass 1: sum_i exp(x_i) along ``axis`` as a (mantissa, exponent) pair, without overflow."""
  m, n = _split(x)
  n_max = jnp.max(n, axis=axis, keepdims=True)
  total = jnp.sum(m * jnp.exp2(n - n_max), axis=axis, keepdims=True)
  return jnp.squeeze(total, axis), jnp.squeeze(n_max, axis)


def pairs_combine(a: tuple[Array, Array], b: tuple[Array, Array]) -> tuple[Array, Array]:
  """(m, n) + (m', n') in extended range (associative, commutative)."""
  (ma, na), (mb, nb) = a, b
  n = jnp.maximum(na, nb)
  return ma * jnp.exp2(na - n) + mb * jnp.exp2(nb - n), n


def two_pass_logsumexp(x: Array, axis: int = -1) -> Array:
  """log sum_i exp(x_i) along ``axis`` with the two-pass representation (float32 at least)."""
  x = x.astype(jnp.promote_types(x.dtype, jnp.float32))
  m, n = exp_pairs_sum(x, axis)
  return jnp.log(m) + n * LN2_HI + n * LN2_LO


def two_pass_softmax(x: Array, axis: int = -1) -> Array:
  """softmax(x) along ``axis`` by the Two-Pass algorithm; returns ``x.dtype``.

  y_i = (m_i / m) * 2**(n_i - n), where exp(x_i) = m_i 2**n_i and sum_j exp(x_j) = m 2**n (pass 1).
  A row that is all -inf gives NaN, as ``jax.nn.softmax`` does.
  """
  xf = x.astype(jnp.promote_types(x.dtype, jnp.float32))
  m, n = exp_pairs_sum(xf, axis)
  mi, ni = _split(xf)
  y = (mi / jnp.expand_dims(m, axis)) * jnp.exp2(ni - jnp.expand_dims(n, axis))
  return y.astype(x.dtype)


# ----------------------------------------------------------------------------------------------------
# The running state the blockwise kernels share.

class LSEState(NamedTuple):
  """Running log-sum-exp of a stream of blocks: lse = max + log(sumexp); empty = (NEG_BIG, 0)."""
  max: Array
  sumexp: Array


def lse_init(shape, dtype=jnp.float32) -> LSEState:
  return LSEState(jnp.full(shape, NEG_BIG, dtype), jnp.zeros(shape, dtype))


def lse_block(z: Array, axis: int = -1, where: Array | None = None) -> LSEState:
  """Pass-1 state of one block of logits ``z`` reduced along ``axis`` (``where`` False entries skipped)."""
  if where is not None:
    z = jnp.where(where, z, -jnp.inf)
  mx = jnp.maximum(jnp.max(z, axis=axis), NEG_BIG)
  s = jnp.sum(jnp.exp(z - jnp.expand_dims(mx, axis)), axis=axis)
  return LSEState(mx, s)


def lse_combine(a: LSEState, b: LSEState) -> LSEState:
  """Merges two states (associative, commutative; never overflows, an empty state is the identity)."""
  mx = jnp.maximum(a.max, b.max)
  return LSEState(mx, a.sumexp * jnp.exp(a.max - mx) + b.sumexp * jnp.exp(b.max - mx))


def lse_finalize(s: LSEState) -> Array:
  """log-sum-exp of everything merged into ``s`` (-inf when it was empty)."""
  return s.max + jnp.log(s.sumexp)


def lse_allreduce(s: LSEState, axis_name) -> LSEState:
  """Merges the states of every device on ``axis_name`` (inside ``shard_map``): pmax, then psum."""
  mx = jax.lax.pmax(s.max, axis_name)
  return LSEState(mx, jax.lax.psum(s.sumexp * jnp.exp(s.max - mx), axis_name))
