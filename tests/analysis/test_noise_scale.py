"""The gradient-noise-scale analysis tool and diagnostic (lbrl.analysis.noise_scale) against a float64
NumPy transcription: per-example softmax cross-entropy gradients of a linear classifier are
(softmax(W^T x) - onehot(y)) x^T."""
import types

import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.analysis import noise_scale as ns


def _ctx(n=64, d=5, k=3, seed=0, loss="cross_entropy"):
  rng = np.random.default_rng(seed)
  x = rng.normal(size=(n, d)).astype(np.float32)
  y = rng.integers(0, k, n).astype(np.int32)
  w = (0.5 * rng.normal(size=(d, k))).astype(np.float32)
  cfg = types.SimpleNamespace(loss=types.SimpleNamespace(name=loss))
  return types.SimpleNamespace(cfg=cfg, params={"w": jnp.asarray(w)}, x=x, labels=y,
                               apply=lambda p, xb, train=False: jnp.asarray(xb) @ p["w"])


def test_tool_matches_float64_per_example_gradients():
  ctx = _ctx()
  out = ns.gradient_noise_scale(ctx, examples=48)
  x, y, w = ctx.x[:48].astype(np.float64), ctx.labels[:48], np.asarray(ctx.params["w"], np.float64)
  z = x @ w
  p = np.exp(z - z.max(1, keepdims=True))
  p /= p.sum(1, keepdims=True)
  p[np.arange(48), y] -= 1
  g = np.einsum("nd,nk->ndk", x, p).reshape(48, -1)
  mean = g.mean(0)
  trace = np.sum(np.mean((g - mean) ** 2, 0))
  assert out["grad_sq"] == pytest.approx(mean @ mean, rel=1e-4)
  assert out["trace_sigma"] == pytest.approx(trace, rel=1e-4)
  assert out["b_simple"] == pytest.approx(trace / (mean @ mean), rel=1e-4)


def test_tool_refuses_other_losses():
  with pytest.raises(ValueError, match="cross-entropy"):
    ns.gradient_noise_scale(_ctx(loss="focal"))


def test_diagnostic_two_batch_estimates():
  grads = {"a": jnp.array([1.0, 1.0]), "b": jnp.array([0.1])}   # |G_big|^2 = 2.01
  out = ns.gradient_noise_diagnostic(params=None, grads=grads, updates=None, intermediates={}, loss=0.0)
  assert set(out) == {"grad_sq"} and float(out["grad_sq"]) == pytest.approx(2.01)
  out = ns.gradient_noise_diagnostic(params=None, grads=grads, updates=None, intermediates={}, loss=0.0,
                                     micro_grad_sq=3.01, micro_batch_size=8, accum=4)
  # |G|^2 = (32 * 2.01 - 8 * 3.01) / 24, tr(Sigma) = (3.01 - 2.01) / (1/8 - 1/32)
  assert float(out["grad_sq_est"]) == pytest.approx((32 * 2.01 - 8 * 3.01) / 24, rel=1e-6)
  assert float(out["trace_sigma_est"]) == pytest.approx(1.0 / (1 / 8 - 1 / 32), rel=1e-6)
  with pytest.raises(ValueError, match="micro_batch_size"):
    ns.gradient_noise_diagnostic(params=None, grads=grads, updates=None, intermediates={}, loss=0.0,
                                 micro_grad_sq=3.0, accum=4)
