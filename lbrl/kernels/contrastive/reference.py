"""Tiled and ring contrastive losses (Inf-CL), pure JAX with ``custom_vjp``: CLIP/InfoNCE and SigLIP.

Logits l_ij = t x_i . y_j + b for a batch of B pairs (x_i, y_i). Per example i:
  clip:   loss_i = 0.5 (lse_j l_ij - l_ii) + 0.5 (lse_j l_ji - l_ii)      (image->text and text->image)
  siglip: loss_i = sum_j log(1 + exp(-z_ij l_ij)),  z_ij = +1 if i = j else -1
                 = sum_j softplus(l_ij) - l_ii
The mean over i is the CLIP loss, and the SigLIP loss -1/|B| sum_i sum_j log sigmoid(z_ij l_ij).

Tiling (Inf-CL): the B x B matrix is never built. Rows stay whole on their device; the columns arrive in
tiles of ``block`` and each tile updates the running row state (a two-pass (max, sum-exp) pair for clip,
a plain sum for siglip) and produces the column state of its own columns in one go.
Ring: inside ``jax.shard_map`` with ``axis_name``, device r holds x_r and y_r (B / n pairs each). The y
block, with its column state (forward) or its column cotangents and dy accumulator (backward), travels
around the ring by ``ppermute``; after n hops it is home with its column statistics complete, so no
device ever holds more than its own rows against one tile.
Gradient (cotangent g_i of loss_i):
  clip:   dl_ij = 0.5 g_i softmax_j(l_i.)_j + 0.5 g_j softmax_i(l_.j)_i - g_i [i = j]
  siglip: dl_ij = g_i sigmoid(l_ij) - g_i [i = j]
  dx_i = t sum_j dl_ij y_j,  dy_j = t sum_i dl_ij x_i,  dt = sum_ij dl_ij x_i.y_j,  db = sum_ij dl_ij.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from lbrl.kernels import _dispatch
from lbrl.kernels.twopass import reference as tp

Array = jax.Array


class Hyper(NamedTuple):
  kind: str                 # clip | siglip
  block: int                # columns per tile
  axis_name: str | None = None


def _dot(a, b, contract):
  return jax.lax.dot_general(a, b, (contract, ((), ())), preferred_element_type=jnp.float32)


def _ring(hy: Hyper):
  """(number of devices on the ring, send-to-next permutation, this device's index)."""
  if hy.axis_name is None:
    return 1, None, 0
  n = jax.lax.axis_size(hy.axis_name)
  return n, [(i, (i + 1) % n) for i in range(n)], jax.lax.axis_index(hy.axis_name)


def _rotate(tree, hy: Hyper, perm):
  if perm is None:
    return tree
  return jax.tree.map(lambda a: jax.lax.ppermute(a, hy.axis_name, perm), tree)


def _tiles(a: Array, hy: Hyper) -> Array:
  """[Bl, ...] -> [tiles, block, ...] (zero-padded)."""
  size = _dispatch.round_up(a.shape[0], hy.block)
  a = _dispatch.pad_axis(a, 0, size)
  return a.reshape(size // hy.block, hy.block, *a.shape[1:])


def _untile(a: Array, n: int) -> Array:
  return a.reshape(-1, *a.shape[2:])[:n]


def _varying(x, hy: Hyper):
  return x if hy.axis_name is None else jax.lax.pcast(x, (hy.axis_name,), to="varying")


def _col_mask(c, hy: Hyper, n_cols: int) -> Array:
  return (c * hy.block + jnp.arange(hy.block))[None, :] < n_cols


def tile_dlogits(l, kind: str, lse_r, g_r, lse_c, g_c, g_on_rows: bool = True):
  """dL/dl for one tile of logits l[rows, cols]; per-row stats are [rows, 1], per-column [1, cols].

  clip: 0.5 g_r softmax-over-columns + 0.5 g_c softmax-over-rows (the -[i = j] term is added apart);
  siglip: g sigmoid(l), g of the rows (or of the columns when the tile is transposed, g_on_rows=False).
  """
  if kind == "clip":
    return 0.5 * g_r * jnp.exp(l - lse_r) + 0.5 * g_c * jnp.exp(l - lse_c)
  return (g_r if g_on_rows else g_c) * jax.nn.sigmoid(l)


def _forward(x, y, t, b, hy: Hyper):
  """Per-example losses and the statistics the backward pass needs (row and column log-sum-exps)."""
  bl = y.shape[0]
  n, perm, _ = _ring(hy)
  row0 = _varying(jnp.zeros((x.shape[0],), jnp.float32), hy)
  ntiles = _dispatch.round_up(bl, hy.block) // hy.block

  def tile(row, xs):
    c, yt, col = xs
    l = t * _dot(x, yt, ((1,), (1,))) + b
    ok = _col_mask(c, hy, bl)
    if hy.kind == "clip":
      row = tp.lse_combine(row, tp.lse_block(l, axis=1, where=ok))
      col = tp.lse_combine(col, tp.lse_block(l, axis=0))
    else:
      row = row + jnp.sum(jnp.where(ok, jax.nn.softplus(l), 0.0), axis=1)
    return row, col

  def hop(carry, _):
    row, (yv, colv) = carry
    row, colv = jax.lax.scan(tile, row, (jnp.arange(ntiles), _tiles(yv, hy), colv))
    return (row, _rotate((yv, colv), hy, perm)), None

  if hy.kind == "clip":
    row = tp.LSEState(row0 + tp.NEG_BIG, row0)
    col = jax.tree.map(lambda a: _tiles(a, hy), tp.LSEState(row0 + tp.NEG_BIG, row0))
  else:
    row, col = row0, _tiles(row0, hy)   # siglip has no column statistics: an unused placeholder
  (row, (_, col)), _ = jax.lax.scan(hop, (row, (y, col)), None, length=n)
  pos = positive_logits(x, y, t, b)
  if hy.kind == "clip":
    lse_row, lse_col = tp.lse_finalize(row), _untile(tp.lse_finalize(col), bl)
    return 0.5 * (lse_row - pos) + 0.5 * (lse_col - pos), (lse_row, lse_col)
  return row - pos, (row0, row0)


def _bwd(hy: Hyper, res, g):
  x, y, t, b, (lse_row, lse_col) = res
  g = g.astype(jnp.float32)
  bl = y.shape[0]
  n, perm, _ = _ring(hy)
  ntiles = _dispatch.round_up(bl, hy.block) // hy.block
  gr, lr = g[:, None], lse_row[:, None]

  def tile(carry, xs):
    dx, dt, db = carry
    c, yt, lc, gc, dyt = xs
    s = _dot(x, yt, ((1,), (1,)))
    l = t * s + b
    dl = tile_dlogits(l, hy.kind, lr, gr, lc[None, :], gc[None, :])
    dl = jnp.where(_col_mask(c, hy, bl), dl, 0.0)
    dx = dx + t * _dot(dl, yt, ((1,), (0,)))
    dyt = dyt + t * _dot(dl, x, ((0,), (0,)))
    return (dx, dt + jnp.sum(dl * s), db + jnp.sum(dl)), dyt

  def hop(carry, _):
    acc, (yv, lcv, gv, dyv) = carry
    acc, dyv = jax.lax.scan(tile, acc, (jnp.arange(ntiles), _tiles(yv, hy), _tiles(lcv, hy), _tiles(gv, hy), dyv))
    return (acc, _rotate((yv, lcv, gv, dyv), hy, perm)), None

  zero = _varying(jnp.zeros((), jnp.float32), hy)
  acc0 = (_varying(jnp.zeros(x.shape, jnp.float32), hy), zero, zero)
  dy0 = _tiles(_varying(jnp.zeros(y.shape, jnp.float32), hy), hy)
  ((dx, dt, db), (_, _, _, dy)), _ = jax.lax.scan(hop, (acc0, (y, lse_col, g, dy0)), None, length=n)
  dx, dy, dt, db = add_positive_pairs(x, y, t, g, dx, _untile(dy, bl), dt, db)
  m = _dispatch.match_vma
  return (m(dx.astype(x.dtype), x), m(dy.astype(y.dtype), y), m(dt.astype(jnp.result_type(t)), t),
          m(db.astype(jnp.result_type(b)), b))


# pair_loss(x, y, t, b, hy): per-example losses of this device's pairs (see the module docstring).
pair_loss = _dispatch.custom_vjp4(_forward, _bwd, n_static=1)


def positive_logits(x, y, t, b):
  """l_ii = t x_i . y_i + b (float32)."""
  return t * jnp.sum(x.astype(jnp.float32) * y.astype(jnp.float32), axis=1) + b


def add_positive_pairs(x, y, t, g, dx, dy, dt, db):
  """Adds the gradient of the -l_ii term of every loss_i (both halves for clip) to the tile sums."""
  xf, yf = x.astype(jnp.float32), y.astype(jnp.float32)
  return (dx - t * g[:, None] * yf, dy - t * g[:, None] * xf, dt - jnp.sum(g * jnp.sum(xf * yf, axis=1)),
          db - jnp.sum(g))


def dense_loss(x, y, t, b, kind: str) -> Array:
  """The naive B x B computation (materialised logits, autodiff): the baseline of the benchmarks."""
  l = t * _dot(x, y, ((1,), (1,))) + b
  pos = jnp.diagonal(l)
  if kind == "clip":
    return 0.5 * (jax.nn.logsumexp(l, 1) - pos) + 0.5 * (jax.nn.logsumexp(l, 0) - pos)
  return jnp.sum(jax.nn.softplus(l), 1) - pos
