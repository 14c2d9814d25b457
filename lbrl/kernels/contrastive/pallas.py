"""``custom_vjp`` around the Pallas contrastive kernels (TPU, GPU Triton, GPU Mosaic): pads, calls, unpads.

Forward: per-row statistics of t x y^T + b (and, for clip, of its transpose: the same kernel on (y, x)).
Backward: dx from the grads kernel on (x, y), dy from the same kernel on the transposed problem (y, x),
dt and db from the row-side sums; the positive-pair terms are added in plain JAX (O(B D)).
"""
from __future__ import annotations


import jax.numpy as jnp

from lbrl.kernels import _dispatch
from lbrl.kernels.contrastive import reference as ref


def _setup(x, y, platform):
  b = x.shape[0]
  if platform == "pallas_tpu":
    from lbrl.kernels.contrastive import pallas_tpu as mod
    p = _dispatch.round_up(b, 128) if b <= 512 else _dispatch.round_up(b, 512)
    br, bc = (p, p) if p <= 512 else (256, 512)
    d = x.shape[1]
    rowv, colv = (lambda a: a[:, None]), (lambda a: a[None, :])
  elif platform == "pallas_mgpu":   # Mosaic GPU (wgmma, D tiled): fixed 128 x 128 x 64 tiles
    from lbrl.kernels.contrastive import pallas_mgpu as mod
    br, bc = mod.BR, mod.BC
    p = _dispatch.round_up(b, br)
    d = _dispatch.round_up(x.shape[1], mod.BD)
    rowv = colv = lambda a: a
  else:
    from lbrl.kernels.contrastive import pallas_gpu as mod
    br = bc = 64 if b >= 64 else max(16, 1 << (b - 1).bit_length())
    p = _dispatch.round_up(b, br)
    d = max(16, 1 << (x.shape[1] - 1).bit_length())
    rowv = colv = lambda a: a
  pad = lambda a: _dispatch.pad_axis(_dispatch.pad_axis(a, 1, d), 0, p)
  return mod, pad(x), pad(y), dict(br=br, bc=bc), rowv, colv, p


def _forward(x, y, t, b, hy, platform, interpret):
  mod, xp, yp, blocks, _, _, _ = _setup(x, y, platform)
  n = x.shape[0]
  tb = jnp.stack([t, b]).astype(jnp.float32)
  kw = dict(kind=hy.kind, n_rows=n, n_cols=n, interpret=interpret, **blocks)
  stat_r = mod.rows(tb, xp, yp, **kw).reshape(-1)[:n]
  pos = ref.positive_logits(x, y, t, b)
  if hy.kind == "clip":
    stat_c = mod.rows(tb, yp, xp, **kw).reshape(-1)[:n]
    return 0.5 * (stat_r - pos) + 0.5 * (stat_c - pos), (stat_r, stat_c)
  return stat_r - pos, (stat_r, stat_r)


def _bwd(hy, platform, interpret, res, g):
  x, y, t, b, (lse_r, lse_c) = res
  mod, xp, yp, blocks, rowv, colv, p = _setup(x, y, platform)
  n = x.shape[0]
  g = g.astype(jnp.float32)
  tb = jnp.stack([t, b]).astype(jnp.float32)
  pad = lambda a: _dispatch.pad_axis(a, 0, p)
  gp, lr, lc = pad(g), pad(lse_r), pad(lse_c)
  kw = dict(kind=hy.kind, n_rows=n, n_cols=n, interpret=interpret, **blocks)
  dx, dts, dbs = mod.grads(tb, xp, yp, rowv(lr), rowv(gp), colv(lc), colv(gp), g_on_rows=True, **kw)
  dy, _, _ = mod.grads(tb, yp, xp, rowv(lc), rowv(gp), colv(lr), colv(gp), g_on_rows=False, **kw)
  d = x.shape[1]
  dx, dy, dt, db = ref.add_positive_pairs(x, y, t, g, dx[:n, :d], dy[:n, :d], jnp.sum(dts), jnp.sum(dbs))
  return (dx.astype(x.dtype), dy.astype(y.dtype), dt.astype(jnp.result_type(t)), db.astype(jnp.result_type(b)))


# pair_loss(x, y, t, b, hy, platform, interpret): same contract as ``reference.pair_loss``.
pair_loss = _dispatch.custom_vjp4(_forward, _bwd, n_static=3)
