"""``custom_vjp`` around the Pallas fused cross-entropy kernels (TPU, GPU Triton, GPU Mosaic): pads, calls, unpads."""
from __future__ import annotations


import jax.numpy as jnp

from lbrl.kernels import _dispatch
from lbrl.kernels.fused_ce import reference as ref


def _setup(h, w, hy: ref.Hyper, platform: str):
  """Padded h, w, the kernel module, the token block and the per-token column shape."""
  if platform == "pallas_tpu":
    from lbrl.kernels.fused_ce import pallas_tpu as mod
    bn = 256 if h.shape[0] >= 256 else _dispatch.round_up(h.shape[0], 8)
    bv = _dispatch.round_up(min(hy.block, 512), 128)   # w tile [bv, D] double-buffered in VMEM
    d = w.shape[1]
    col = lambda a: a[:, None]
  elif platform == "pallas_mgpu":   # Mosaic GPU (wgmma, D tiled): fixed 128 x 128 x 64 tiles
    from lbrl.kernels.fused_ce import pallas_mgpu as mod
    bn, bv, d = mod.BN, mod.BV, _dispatch.round_up(w.shape[1], mod.BD)
    col = lambda a: a
  else:
    from lbrl.kernels.fused_ce import pallas_gpu as mod
    bn = 64 if h.shape[0] >= 64 else max(16, 1 << (h.shape[0] - 1).bit_length())
    bv = max(16, min(128, 1 << (hy.block - 1).bit_length()))
    d = max(16, 1 << (w.shape[1] - 1).bit_length())
    col = lambda a: a
  hy = hy._replace(block=bv)
  hp = _dispatch.pad_axis(_dispatch.pad_axis(h, 1, d), 0, _dispatch.round_up(h.shape[0], bn))
  wp = _dispatch.pad_axis(_dispatch.pad_axis(w, 1, d), 0, _dispatch.round_up(w.shape[0], bv))
  return hp, wp, mod, bn, hy, col


def _forward(h, w, labels, valid, hy, platform, interpret):
  hp, wp, mod, bn, khy, _ = _setup(h, w, hy, platform)
  lse, zsum = (a.reshape(-1)[:h.shape[0]] for a in mod.forward(hp, wp, khy, bn=bn, interpret=interpret))
  zy = ref.label_logits(h, w, labels, 0, hy)
  return jnp.where(valid, ref.loss_from_stats(lse, zy, zsum, hy), 0.0), lse


def _bwd(hy, platform, interpret, res, g):
  h, w, labels, valid, lse = res
  hp, wp, mod, bn, khy, col = _setup(h, w, hy, platform)
  n = hp.shape[0]
  g = jnp.where(valid, g.astype(jnp.float32), 0.0)
  pad = lambda a, v: col(_dispatch.pad_axis(a, 0, n, v))
  dh, dw = mod.backward(hp, wp, pad(labels, -1), pad(lse, 0.0), pad(g, 0.0), khy, bn=bn, interpret=interpret)
  return dh[:h.shape[0], :h.shape[1]], dw[:w.shape[0], :w.shape[1]], None, None


# fused_ce(h, w, labels, valid, hy, platform, interpret): same contract as ``reference.fused_ce``.
fused_ce = _dispatch.custom_vjp4(_forward, _bwd, n_static=3)
