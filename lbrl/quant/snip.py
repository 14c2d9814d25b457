"""SNIP's layer-wise precision selection: per-layer divergence metrics and an integer program over formats.

Slug ``snip`` ("SNIP: An Adaptive Mixed Precision Framework for Subbyte Large Language Model Training",
2025). SNIP periodically measures, for every linear layer l and candidate format k, a forward metric (the
loss increase when layer l computes in format k: "loss divergence") and a backward metric (the error the
format puts into the layer's weight gradient: "weight divergence"), and solves an integer linear program
that picks each layer's GEMM format to minimise the summed divergence under an efficiency target.

lbrl's version on a trained model (the ``snip`` analysis tool; :mod:`lbrl.quant.policy` computes a layer
in format k, input, kernel and output cotangent quantized):

* ``loss_div[l, k] = L(layer l in k) - L(float)`` on the calibration batch;
* ``weight_div[l, k] = ||dL/dW_l (layer l in k) - dL/dW_l (float)|| / ||dL/dW_l (float)||``;
* the score ``d[l, k] = loss_div[l, k] / mean(loss_div) + weight_div[l, k] / mean(weight_div)`` (the two
  metrics on a common scale; SNIP's exact weighting is lbrl's choice here), and the program
  :func:`lbrl.quant.allocation.integer_program` with each layer's cost its matmul size ``in * out`` times the
  format's bits, under ``target_bits`` average bits per multiply-add (e.g. 5: three quarters of the work in
  4-bit, the rest in 8-bit).

The tool then scores the chosen assignment against random assignments that meet the same budget and
against the uniform formats. SNIP repeats the selection during training; this tool selects once, after.
"""
from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np

from lbrl.quant import allocation, policy, ptq
from lbrl.quant.analysis import _ce

FORMATS = {8: dict(fmt="float8_e4m3fn", granularity="tensor"),
           4: dict(fmt="float4_e2m1fn", granularity="block", block_size=32, scale_format="e8m0")}
GRAD = {8: dict(fmt="float8_e5m2", granularity="tensor"),
        4: dict(fmt="float4_e2m1fn", granularity="block", block_size=32, scale_format="e8m0")}


def _mixed(model, assignment: dict):
  """``model`` with each layer path of ``assignment`` ({path: bits}) computing in that format."""
  for bits in sorted(set(assignment.values())):
    paths = [p for p, b in assignment.items() if b == bits]
    pat = "|".join(re.escape(p) for p in paths)
    model = policy.quantized_model(model, policy.policy_from_config(
        dict(x=FORMATS[bits], w=FORMATS[bits], grad=GRAD[bits], modules=f"(?:{pat})")))
  return model


def divergences(model, variables, x, y, paths, choices=(8, 4)):
  """``(loss_div [L, K], weight_div [L, K])`` of the module docstring on ``(x, y)``."""
  def loss_grad(m):
    def f(p):
      return _ce(m.apply({**variables, "params": p}, x), y)
    return jax.jit(jax.value_and_grad(f))(variables["params"])

  base, g0 = loss_grad(model)
  ld = np.zeros((len(paths), len(choices)))
  wd = np.zeros_like(ld)
  for i, p in enumerate(paths):
    for k, b in enumerate(choices):
      loss, g = loss_grad(_mixed(model, {p: b}))
      ref = ptq._get(g0, p)["kernel"]
      ld[i, k] = float(loss - base)
      wd[i, k] = float(jnp.linalg.norm(ptq._get(g, p)["kernel"] - ref) / (jnp.linalg.norm(ref) + 1e-30))
  return ld, wd


def snip_tool(ctx, *, target_bits: float = 5.0, calib_size: int = 256, random_draws: int = 8,
              choices=(8, 4)) -> tuple[dict, dict]:
  """The ``snip`` analysis tool (module docstring): scalars ``snip`` / ``random`` / ``uniform<b>`` (accuracy
  on the held-out part of the batch), their ``_loss``, ``snip_minus_random`` and the chosen ``snip_bits``
  (average bits per multiply-add); extra: the per-layer metrics and the assignment."""
  choices = tuple(int(c) for c in choices)
  if set(choices) - set(FORMATS):
    raise ValueError(f"snip: choices must be among {sorted(FORMATS)}, got {choices}")
  n = len(ctx.labels)
  if not 0 < calib_size < n:
    raise ValueError(f"snip: calib_size must be in (0, {n}), got {calib_size!r}")
  variables = {"params": ctx.params, **(ctx.model_state or {})}
  cx, cy = jnp.asarray(ctx.x[:calib_size]), jnp.asarray(ctx.labels[:calib_size])
  ex, ey = jnp.asarray(ctx.x[calib_size:]), np.asarray(ctx.labels[calib_size:])
  paths = list(ptq.dense_inputs(ctx.model, variables, cx))
  sizes = np.array([np.prod(ptq._get(ctx.params, p)["kernel"].shape) for p in paths], float)
  ld, wd = divergences(ctx.model, variables, cx, cy, paths, choices)
  score = ld / max(np.mean(np.abs(ld)), 1e-12) + wd / max(np.mean(wd), 1e-12)
  chosen = allocation.integer_program(score, sizes, choices, target_bits)

  def evaluate(assign):
    logits = jax.jit(_mixed(ctx.model, dict(zip(paths, [int(b) for b in assign]))).apply)(variables, ex)
    return float(np.mean(np.argmax(np.asarray(logits), -1) == ey)), float(_ce(logits, ey))

  out = {}
  out["snip"], out["snip_loss"] = evaluate(chosen)
  out["snip_bits"] = float(np.sum(sizes * chosen) / sizes.sum())
  rng = np.random.default_rng(ctx.seed)
  rand = []
  budget = target_bits * sizes.sum()
  while len(rand) < random_draws:
    a = rng.choice(choices, len(paths))
    if np.sum(sizes * a) <= budget + 1e-9:
      rand.append(evaluate(a))
  out["random"], out["random_loss"] = (float(np.mean([r[i] for r in rand])) for i in (0, 1))
  for b in choices:
    out[f"uniform{b}"], out[f"uniform{b}_loss"] = evaluate([b] * len(paths))
  out["snip_minus_random"] = out["snip"] - out["random"]
  out["snip_minus_random_loss"] = out["snip_loss"] - out["random_loss"]
  return out, {"paths": paths, "assignment": chosen.tolist(), "loss_div": ld.tolist(), "weight_div": wd.tolist()}
