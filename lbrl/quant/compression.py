"""Lossy + lossless model-size reduction: uniform quantization whose codes are entropy-coded.

Slug ``lossy_lossless_l_2`` (Shi, Ning, Wang, ..., "Lossy and Lossless (L^2) Post-training Model Size
Compression", ICCV 2023, arXiv:2308.04269; authors' code github.com/ModelTC/L2_Compression). The paper's
point: the size that matters is the size after lossless coding, so the lossy step should produce codes
that compress well; it steers the lossy step with a differentiable estimate of the coded size and sets
per-layer ratios adaptively under a global target. lbrl implements the two measurable parts without the
learned transformation:

* :func:`entropy_bits`: the coded size of integer codes, ``H = -sum_k p_k log2 p_k`` bits per weight (the
  empirical entropy, which an arithmetic coder reaches within a few bytes per layer) plus the float32
  step per output channel;
* :func:`entropy_constrained`: per layer, a uniform step ``Delta`` (codes ``round(w / Delta)``, unbounded)
  found by bisection so that the layer's entropy equals the target bits per weight; with the same target
  in every layer the model's mean coded size equals the target. A uniform fine grid with entropy coding
  spends few bits on the many small weights and keeps the outliers exact, where a b-bit absmax grid has
  ``2^b`` levels only.
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np


def entropy_bits(codes, channels: int = 1) -> float:
  """Bits per weight of ``codes`` (ints) after entropy coding, plus ``32 channels / codes.size``."""
  c = np.asarray(codes).ravel()
  if not c.size:
    raise ValueError("entropy_bits: codes is empty")
  if not np.all(c == np.round(c)):
    raise ValueError("entropy_bits: codes must be integers")
  _, counts = np.unique(c, return_counts=True)
  p = counts / c.size
  return float(-np.sum(p * np.log2(p)) + 32.0 * channels / c.size)


def uniform_codes(w, step):
  """``round(w / step)`` (``step`` broadcast over ``w``)."""
  return np.round(np.asarray(w, np.float64) / step)


def entropy_constrained(w, target_bits: float, per_channel: bool = True, iters: int = 60) -> tuple[jnp.ndarray, float]:
  """``(w_hat [in, out], coded bits per weight)`` of a ``[in, out]`` kernel whose codes' entropy (plus the
  steps' share) meets ``target_bits`` (module docstring). ``per_channel``: one step per output channel,
  all channels scaled by the same factor of their absmax (the bisection's variable)."""
  w = np.asarray(w, np.float64)
  if w.ndim != 2:
    raise ValueError(f"w must be a [in, out] kernel, got shape {w.shape}")
  if not target_bits > 0:
    raise ValueError(f"target_bits must be > 0, got {target_bits!r}")
  amax = np.abs(w).max(axis=0, keepdims=True) if per_channel else np.abs(w).max(keepdims=True)
  amax = np.where(amax > 0, amax, 1.0)
  channels = w.shape[1] if per_channel else 1

  def size(log_k):
    return entropy_bits(uniform_codes(w, amax * 2.0 ** -log_k), channels)

  lo, hi = -4.0, 24.0          # the step as amax * 2^-log_k: log_k = lo gives ~0 bits, hi ~ lossless
  for _ in range(iters):
    mid = 0.5 * (lo + hi)
    lo, hi = (mid, hi) if size(mid) <= target_bits else (lo, mid)
  step = amax * 2.0 ** -lo
  return jnp.asarray(uniform_codes(w, step) * step, jnp.float32), size(lo)
