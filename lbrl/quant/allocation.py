"""Per-layer bit allocation under an average-bits budget: BAQ's closed form and an integer program.

* :func:`baq_allocation` (BAQ, "BAQ: Efficient Bit Allocation Quantization for Large Language Models",
  2025, slug ``baq``; authors' code github.com/CSU-ModelCompression/BAQ): the layer-wise loss of a b-bit
  uniform quantizer is modelled from a Hessian proxy as ``L_l(b) = S_l 2^(-2 b)``, with
  ``S_l = sum_o (2 amax_o)^2 / 12 * tr(H_l)`` (error variance ``Delta^2 / 12`` of a step
  ``Delta_o = 2 amax_o 2^-b`` per output channel o, weighted by the input Hessian proxy
  ``H_l = X^T X / n`` of the layer, :func:`layer_sensitivity`). Minimising ``sum_l L_l(b_l)`` subject to
  ``sum_l n_l b_l = B n`` (``n_l`` weights per layer, ``B`` the average bits) is convex with the closed form
  ``b_l = B + 1/2 [log2(S_l / n_l) - sum_k (n_k / n) log2(S_k / n_k)]``: every layer ends at the same loss
  per weight ``S_l 2^(-2 b_l) / n_l`` (the paper's equal-loss structure). lbrl rounds the continuous
  solution to integers in ``[b_min, b_max]`` by flooring and then giving one more bit to the layer with the
  largest modelled loss decrease per added bit-weight while the budget allows (the paper's rounding of
  the closed form is not stated in its abstract; this is lbrl's choice).
* :func:`integer_program` (Hubara et al., "Improving Post Training Neural Quantization: Layer-wise
  Calibration and Integer Programming", ICML 2021, arXiv:2006.10518, slug ``improving_post_training_neural``):
  given the measured loss increase ``dL[l, k]`` of quantizing layer l alone at ``choices[k]`` bits, pick
  one choice per layer minimising ``sum dL`` subject to ``sum_l n_l b_l <= B n`` (the paper's
  assumption that the layers' loss increases add up), solved exactly with ``scipy.optimize.milp``.
"""
from __future__ import annotations

import numpy as np


def layer_sensitivity(w, x) -> float:
  """BAQ's ``S_l`` of a ``[in, out]`` kernel with calibration inputs ``x [n, in]`` (module docstring)."""
  w = np.asarray(w, np.float64)
  x = np.asarray(x, np.float64)
  if w.ndim != 2 or x.ndim != 2 or x.shape[1] != w.shape[0]:
    raise ValueError(f"layer_sensitivity: w must be [in, out] and x [n, in]; got {w.shape}, {x.shape}")
  tr_h = float(np.sum(x * x) / x.shape[0])
  amax = np.abs(w).max(axis=0)
  return float(np.sum((2 * amax) ** 2 / 12.0) * tr_h)


def baq_continuous(sens, sizes, avg_bits: float) -> np.ndarray:
  """The closed-form real-valued bits ``b_l`` (module docstring)."""
  s, n = _check(sens, sizes)
  if not avg_bits > 0:
    raise ValueError(f"avg_bits must be > 0, got {avg_bits!r}")
  r = np.log2(s / n)
  return avg_bits + 0.5 * (r - np.sum(n * r) / np.sum(n))


def baq_allocation(sens, sizes, avg_bits: float, b_min: int = 2, b_max: int = 8) -> np.ndarray:
  """Integer bits per layer with ``sum n_l b_l <= avg_bits sum n_l`` (module docstring)."""
  s, n = _check(sens, sizes)
  if not b_min <= avg_bits <= b_max:
    raise ValueError(f"avg_bits={avg_bits} must lie in [b_min, b_max] = [{b_min}, {b_max}]")
  b = np.clip(np.floor(baq_continuous(s, n, avg_bits)), b_min, b_max).astype(int)
  budget = avg_bits * n.sum()
  while np.sum(n * b) > budget + 1e-9:       # clipping at b_min can overshoot: take bits back where cheapest
    cost = np.where(b > b_min, s * 2.0 ** (-2 * (b - 1)) - s * 2.0 ** (-2 * b), np.inf) / n
    b[np.argmin(cost)] -= 1
  while True:
    gain = np.where((b < b_max) & (np.sum(n * b) + n <= budget + 1e-9),
                    (s * 2.0 ** (-2 * b) - s * 2.0 ** (-2 * (b + 1))) / n, -np.inf)
    if not np.isfinite(gain.max()):
      return b
    b[np.argmax(gain)] += 1


def integer_program(dloss, sizes, choices, avg_bits: float) -> np.ndarray:
  """Bits per layer minimising ``sum_l dloss[l, k_l]`` with ``sum n_l choices[k_l] <= avg_bits sum n_l``."""
  from scipy.optimize import Bounds, LinearConstraint, milp
  d = np.asarray(dloss, np.float64)
  n = np.asarray(sizes, np.float64)
  c = np.asarray(choices, np.float64)
  if d.ndim != 2 or d.shape != (len(n), len(c)):
    raise ValueError(f"dloss must be [layers, choices] = [{len(n)}, {len(c)}], got {d.shape}")
  L, K = d.shape
  one = np.kron(np.eye(L), np.ones(K))                         # one choice per layer
  cost = (n[:, None] * c[None, :]).ravel()[None, :]
  res = milp(d.ravel(), integrality=np.ones(L * K), bounds=Bounds(0, 1),
             constraints=[LinearConstraint(one, 1, 1), LinearConstraint(cost, -np.inf, avg_bits * n.sum())])
  if not res.success:
    raise ValueError(f"integer_program: no allocation meets avg_bits={avg_bits} with choices {list(c)} "
                     f"({res.message})")
  return c[np.argmax(res.x.reshape(L, K), axis=1)].astype(int)


def _check(sens, sizes):
  s = np.asarray(sens, np.float64)
  n = np.asarray(sizes, np.float64)
  if s.shape != n.shape or s.ndim != 1 or not len(s):
    raise ValueError(f"sens and sizes must be equal-length 1-D arrays; got {s.shape}, {n.shape}")
  if np.any(s <= 0) or np.any(n <= 0):
    raise ValueError("sens and sizes must be positive")
  return s, n
