"""lbrl.models.norm against timm's EvoNorm2dB0/S0, ScaledStdConv2d and adaptive_clip_grad (recorded by
regen_norm_timm.py; timm and torch are not imported here)."""
import os

import jax
import jax.numpy as jnp
import numpy as np

from lbrl.optim import clipping

from lbrl.models import norm as N

G = np.load(os.path.join(os.path.dirname(__file__), "norm_timm.npz"))
NHWC = (0, 2, 3, 1)


def _evo_vars(with_stats):
  v = {"params": {"v": G["evo_v"], "scale": G["evo_scale"], "bias": G["evo_bias"]}}
  if with_stats:
    v["batch_stats"] = {"var": G["evo_running_var"]}
  return jax.tree.map(lambda a: jnp.asarray(a, jnp.float32), v)


def test_evonorm_b0_and_s0_match_timm():
  x = jnp.asarray(G["evo_x"].transpose(NHWC), jnp.float32)
  train, _ = N.EvoNormB0(use_running_average=False, epsilon=1e-3).apply(_evo_vars(True), x, mutable=["batch_stats"])
  np.testing.assert_allclose(train, G["b0_train"].transpose(NHWC), rtol=1e-5, atol=1e-5)
  ev = N.EvoNormB0(epsilon=1e-3).apply(_evo_vars(True), x)
  np.testing.assert_allclose(ev, G["b0_eval"].transpose(NHWC), rtol=1e-5, atol=1e-5)
  s0 = N.EvoNormS0(groups=4, epsilon=1e-5).apply(_evo_vars(False), x)
  np.testing.assert_allclose(s0, G["s0_train"].transpose(NHWC), rtol=1e-5, atol=1e-5)


def test_scaled_std_conv_matches_timm():
  v = {"params": {"kernel": jnp.asarray(G["sws_kernel"].transpose(2, 3, 1, 0), jnp.float32),
                  "gain": jnp.asarray(G["sws_gain"], jnp.float32), "bias": jnp.zeros(6)}}
  y = N.ScaledStdConv(6, (3, 3), padding="SAME").apply(v, jnp.asarray(G["sws_x"].transpose(NHWC), jnp.float32))
  np.testing.assert_allclose(y, G["sws_y"].transpose(NHWC), rtol=1e-5, atol=1e-5)


def test_agc_matches_timm_adaptive_clip_grad():
  # timm's weights are (out, in, ...); flax's kernels (..., in, out): unit-wise norms over the same units
  to_flax = {"kernel": (1, 0), "conv": (2, 3, 1, 0), "bias": (0,)}
  f = lambda k, s: jnp.asarray(G[f"agc_{k}_{s}"].transpose(to_flax[k]), jnp.float32)
  params = {k: f(k, "param") for k in to_flax}
  grads = {k: f(k, "grad") for k in to_flax}
  tx = clipping.agc(0.05, 1e-3, exclude=r"^$")
  out, _ = tx.update(grads, tx.init(params), params)
  for k in to_flax:
    np.testing.assert_allclose(out[k], f(k, "clipped"), rtol=1e-5, atol=1e-6)
    assert not np.allclose(out[k], grads[k])  # some units were clipped
