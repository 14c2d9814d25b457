"""Evol-Q: evolutionary search over quantization scales on a contrastive objective.

Frumkin, Gope and Marculescu, "Jumping through Local Minima: Quantization in the Loss Landscape of Vision
Transformers", ICCV 2023, arXiv:2308.10814, slug ``jumping_through_local_minima`` (authors' code
github.com/enyac-group/evol-q). The loss as a function of the quantization scales is jagged, so small
scale perturbations found by search (not gradients) lower it. Starting from round-to-nearest scales
``s_l`` (qwix's per-output-channel absmax grid, :mod:`lbrl.quant.ptq`), each pass visits the layers in
order; for layer l it draws ``population`` candidates ``s_l * (1 + u)``, ``u ~ U(-delta, delta)`` per output
channel, evaluates the whole quantized model on the calibration set and keeps the best candidate when it
lowers the objective. The objective is the InfoNCE loss between the quantized model's outputs and the
float model's outputs for the same examples (positives) against the other examples of the set
(negatives): ``-mean_i log softmax_j(cos(z^q_i, z^f_j) / tau)_i`` (``tau = 0.1``; the paper's choice of
InfoNCE over the task loss, which needs no labels). lbrl perturbs per output channel where the paper
perturbs the scales of one block at a time; ``passes``, ``population`` and ``delta`` are this module's
defaults for a CPU run (the paper: 10 passes, population 15 over the blocks of a ViT).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from lbrl.quant import ptq


def info_nce(z_q, z_f, tau: float = 0.1) -> jax.Array:
  """``-mean_i log softmax_j(cos(z_q_i, z_f_j) / tau)_i``."""
  a = z_q / (jnp.linalg.norm(z_q, axis=-1, keepdims=True) + 1e-12)
  b = z_f / (jnp.linalg.norm(z_f, axis=-1, keepdims=True) + 1e-12)
  logits = a @ b.T / tau
  return -jnp.mean(jnp.diag(jax.nn.log_softmax(logits, axis=-1)))


def quantize_scaled(w, bits: int, mult):
  """RTN of a ``[in, out]`` kernel on the int grid with its absmax scales multiplied by ``mult [out]``."""
  W = jnp.asarray(w, jnp.float32).T
  s = ptq._int_scale(W, bits) * jnp.asarray(mult, jnp.float32)[:, None]
  return ptq._int_quant(W, bits, s).T


def evolq(model, variables, calib_x, *, bits: int = 4, passes: int = 3, population: int = 15,
          delta: float = 0.02, tau: float = 0.1, seed: int = 0, apply=None) -> tuple[dict, dict]:
  """``(quantized variables, {"objective_rtn", "objective"})`` after the search (module docstring).
  ``apply(variables, x)`` defaults to ``model.apply``."""
  if not isinstance(passes, int) or passes < 0 or not isinstance(population, int) or population < 1:
    raise ValueError(f"evolq needs passes >= 0 and population >= 1; got {passes}, {population}")
  if not 0 < delta < 1:
    raise ValueError(f"evolq: delta must be in (0, 1), got {delta!r}")
  apply = apply or model.apply
  x = jnp.asarray(calib_x)
  paths = list(ptq.dense_inputs(model, variables, x))
  kernels = [ptq._get(variables["params"], p)["kernel"] for p in paths]
  z_f = apply(variables, x)

  def build(mults):
    v = variables
    for p, w, m in zip(paths, kernels, mults):
      v = ptq._set(v, ["params", *p.split("/"), "kernel"], quantize_scaled(w, bits, m).astype(w.dtype))
    return v

  @jax.jit
  def objective(mults):
    return info_nce(apply(build(mults), x), z_f, tau)

  mults = [jnp.ones(w.shape[1], jnp.float32) for w in kernels]
  best = float(objective(mults))
  start = best
  rng = np.random.default_rng(seed)
  for _ in range(passes):
    for li in range(len(paths)):
      for _ in range(population):
        cand = list(mults)
        cand[li] = mults[li] * (1.0 + rng.uniform(-delta, delta, mults[li].shape).astype(np.float32))
        val = float(objective(cand))
        if val < best:
          best, mults = val, cand
  return build(mults), {"objective_rtn": start, "objective": best}
