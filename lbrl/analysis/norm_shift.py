"""Test-time batch-statistics calibration under a covariate shift: accuracy of a BatchNorm model evaluated
with alpha-BN at several mixing coefficients on a noise-corrupted batch (an analysis tool,
:data:`lbrl.registry.ANALYSIS_TOOLS` ``alpha_bn_under_shift``).

You, Li, Lin & Wang, "Test-time Batch Statistics Calibration for Covariate Shift", 2021, arXiv:2110.04065
(slug test_time_batch_statistics), eq. 5: alpha-BN normalises with
``alpha * (test-batch statistics) + (1 - alpha) * (running source statistics)``; alpha = 0 is standard BN
inference, alpha = 1 the test batch alone (the paper recommends alpha = 0.1).
"""
from __future__ import annotations

import numpy as np


def corrupt(x, noise_std: float, seed: int):
  """``x + noise_std * N(0, 1)`` (additive Gaussian noise, the Gaussian-noise corruption of ImageNet-C /
  MNIST-C in its simplest form), deterministic in ``seed``."""
  if noise_std < 0:
    raise ValueError(f"noise_std must be >= 0, got {noise_std}")
  rng = np.random.default_rng(seed)
  x = np.asarray(x, np.float32)
  return x + np.float32(noise_std) * rng.standard_normal(x.shape).astype(np.float32)


def alpha_bn_under_shift(ctx, *, alphas=(0.0, 0.1, 0.5, 1.0), noise_std: float = 1.0) -> tuple[dict, dict]:
  """Accuracy of ``ctx.model`` (built with ``norm="alpha_batch"``, i.e. a BatchNorm model whose variables
  alpha-BN reads; its ``norm_options`` field is replaced) on ``ctx.x`` corrupted by
  :func:`corrupt` (``noise_std``; seed ``ctx.seed``), as one test batch, for each ``alpha``.

  Scalars: ``acc_alpha_<a>`` on the corrupted batch, ``clean_acc_alpha_<a>`` on the clean one, and
  ``gain_<a>`` = ``acc_alpha_<a> - acc_alpha_0`` (what calibrating the statistics buys under the shift).
  """
  import jax
  import jax.numpy as jnp
  if not alphas or any(not 0.0 <= float(a) <= 1.0 for a in alphas):
    raise ValueError(f"alphas must be a non-empty list of values in [0, 1], got {alphas}")
  if not hasattr(ctx.model, "norm_options") or getattr(ctx.model, "norm", None) != "alpha_batch":
    raise ValueError("alpha_bn_under_shift needs a model with norm='alpha_batch' and a norm_options field "
                     f"(e.g. res_mlp), got {type(ctx.model).__name__}")
  labels = np.asarray(ctx.labels)
  shifted = corrupt(ctx.x, noise_std, ctx.seed)
  variables = {"params": ctx.params, **dict(ctx.model_state or {})}
  out, curve = {}, []
  for a in [0.0] + [float(a) for a in alphas if float(a) != 0.0]:
    model = ctx.model.clone(norm_options={"alpha": a})
    f = jax.jit(lambda v, x: model.apply(v, x, train=False))
    acc = float(np.mean(np.argmax(np.asarray(f(variables, jnp.asarray(shifted))), -1) == labels))
    clean = float(np.mean(np.argmax(np.asarray(f(variables, jnp.asarray(ctx.x))), -1) == labels))
    out[f"acc_alpha_{a:g}"], out[f"clean_acc_alpha_{a:g}"] = acc, clean
    curve.append([a, acc, clean])
  for a, acc, _ in curve[1:]:
    out[f"gain_{a:g}"] = acc - out["acc_alpha_0"]
  return out, {"alpha_curve": curve, "noise_std": float(noise_std)}
