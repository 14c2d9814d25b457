"""lbrl.analysis.robustness.robust_accuracy on a hand-built context: for a two-class linear model the
worst l_inf perturbation is closed-form (the margin drops by eps * ||w_1 - w_0||_1), and FGSM and PGD
both reach it, so the robust accuracy is the fraction of examples whose margin exceeds that."""
import types

import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.analysis.robustness import robust_accuracy


def _ctx(seed=0, n=400, d=5):
  r = np.random.default_rng(seed)
  w, b = r.normal(size=(d, 2)), np.array([0.1, -0.1])
  x = r.normal(size=(n, d)).astype(np.float32)
  labels = r.integers(0, 2, n)
  apply = lambda params, z, train=False: z @ jnp.asarray(params["w"], jnp.float32) + jnp.asarray(params["b"], jnp.float32)
  return types.SimpleNamespace(params={"w": w, "b": b}, x=x, labels=labels, apply=apply, seed=0), w, b


def test_linear_two_class_robust_accuracy_is_closed_form():
  ctx, w, b = _ctx()
  eps = 0.2
  z = ctx.x.astype(np.float64) @ w + b
  sign = np.where(ctx.labels == 1, 1.0, -1.0)
  margin = sign * (z[:, 1] - z[:, 0])
  radius = eps * np.abs(w[:, 1] - w[:, 0]).sum()
  out = robust_accuracy(ctx, eps=eps)  # 20 steps of eps / 8 reach the corner from any start
  assert out["clean_accuracy"] == pytest.approx(np.mean(margin > 0))
  assert out["fgsm_accuracy"] == pytest.approx(np.mean(margin > radius))
  assert out["pgd_accuracy"] == pytest.approx(np.mean(margin > radius))
  assert out["pgd_accuracy"] < out["clean_accuracy"]


def test_bad_eps_is_named():
  ctx, _, _ = _ctx()
  with pytest.raises(ValueError, match="eps"):
    robust_accuracy(ctx, eps=0.0)
