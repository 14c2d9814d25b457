"""lbrl.quant.ptq: GPTQ against a float64 NumPy transcription of the authors' gptq.py, AWQ's objective and
qwix's proxy, the properties the papers state, and the model-level pass."""
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from qwix._src.core import qarray
from qwix.contrib import awq_core

from lbrl.quant import ptq


def _layer(n=256, d_in=48, d_out=12, seed=0):
  r = np.random.default_rng(seed)
  mix = r.standard_normal((d_in, d_in)) * 0.3 + np.eye(d_in)
  x = (r.standard_normal((n, d_in)) @ mix * np.exp(r.standard_normal(d_in))).astype(np.float32)  # correlated, uneven
  w = (r.standard_normal((d_in, d_out)) / np.sqrt(d_in)).astype(np.float32)
  return w, x


def _q_int(w_oi, bits):
  """qwix's symmetric int quantizer in NumPy: s = amax / (qmax + 0.5) per row, codes clipped to the int range."""
  qmax = 2 ** (bits - 1) - 1
  s = np.abs(w_oi).max(1, keepdims=True) / (qmax + 0.5)
  s = np.where(s > 0, s, 1.0)
  return s, lambda col, srow: np.clip(np.round(col / srow), -qmax - 1, qmax) * srow


def gptq_numpy(W, X, bits, blocksize, percdamp):
  """IST-DASLab/gptq gptq.py fasterquant (no groups, no act-order), float64. W: [out, in]."""
  W = W.astype(np.float64).copy()
  H = X.T.astype(np.float64) @ X.astype(np.float64)
  cols = W.shape[1]
  dead = np.diag(H) == 0
  H[dead, dead] = 1
  W[:, dead] = 0
  H += percdamp * np.mean(np.diag(H)) * np.eye(cols)
  L = np.linalg.cholesky(H)
  Hinv = np.linalg.cholesky(np.linalg.inv(L @ L.T)).T      # upper Cholesky factor of H^-1
  s, quant = _q_int(W, bits)
  Q = np.zeros_like(W)
  for i1 in range(0, cols, blocksize):
    i2 = min(i1 + blocksize, cols)
    W1, Err1, Hinv1 = W[:, i1:i2].copy(), np.zeros((W.shape[0], i2 - i1)), Hinv[i1:i2, i1:i2]
    for i in range(i2 - i1):
      w, d = W1[:, i], Hinv1[i, i]
      q = quant(w, s[:, 0])
      Q[:, i1 + i] = q
      err = (w - q) / d
      W1[:, i:] -= np.outer(err, Hinv1[i, i:])
      Err1[:, i] = err
    W[:, i2:] -= Err1 @ Hinv[i1:i2, i2:]
  return Q


def test_gptq_matches_the_authors_algorithm_in_float64():
  w, x = _layer()
  got = np.asarray(ptq.gptq(w, x, bits=4, percdamp=0.01))
  ref = gptq_numpy(w.T, x, 4, 16, 0.01).T
  s, _ = _q_int(w.T, 4)
  codes_equal = np.mean(np.isclose(got, ref, atol=1e-3 * s.max()))
  assert codes_equal >= 0.99          # float32 vs float64 may flip a rare near-tie rounding
  assert np.linalg.norm(x @ (got - ref)) / np.linalg.norm(x @ w) < 0.02


@pytest.mark.parametrize("bits", [4, 3])
def test_gptq_and_awq_beat_rtn_on_the_output_error(bits):
  w, x = _layer(seed=bits)
  err = lambda wh: float(np.mean((x @ (np.asarray(wh) - w)) ** 2))
  e_rtn = err(ptq.rtn(w, bits=bits))
  e_gptq = err(ptq.gptq(w, x, bits=bits))
  e_awq = err(ptq.awq(w, x, bits=bits))
  assert e_gptq < 0.8 * e_rtn
  assert e_awq <= e_rtn * (1 + 1e-6)     # alpha = 0 is RTN itself, so AWQ never does worse on its data


def test_rtn_is_qwix_per_channel_and_on_the_grid():
  w, _ = _layer()
  got = np.asarray(ptq.rtn(w, bits=4))
  s = (np.abs(w).max(0) / np.float32(7.5)).astype(np.float32)        # float32 as qwix: the amax entry
  ref = np.clip(np.round((w / s).astype(np.float32)), -8, 7) * s      # lands on -7.5 or -7.4999995
  off = ~np.isclose(got, ref, rtol=1e-6, atol=1e-7)
  assert np.all(np.abs(w[off]) == np.abs(w).max(0)[np.nonzero(off)[1]])  # only the -7.5 ties may differ
  assert max(len(np.unique(c)) for c in got.T) <= 16
  g = np.asarray(ptq.rtn(w, bits=4, group_size=16))
  assert ptq.bits_per_weight(w.shape, bits=4, group_size=16) == 6.0
  assert np.mean((g - w) ** 2) < np.mean((got - w) ** 2)   # finer groups, smaller error


def test_awq_proxy_objective_is_qwix_awq():
  w, x = _layer()
  h = ptq.how(4)
  qw, scales = awq_core.quantize_weight(jnp.asarray(w.T), awq_core.compute_act_scale(jnp.asarray(x)), h)
  ref = (np.asarray(qarray.dequantize(qw)) / np.asarray(scales)).T
  np.testing.assert_allclose(np.asarray(ptq.awq(w, x, bits=4, objective="proxy")), ref, rtol=1e-5, atol=1e-6)


def test_quantize_dense_layers_sequentially():
  class Net(nn.Module):
    @nn.compact
    def __call__(self, x):
      return nn.Dense(4)(nn.relu(nn.Dense(32)(x)))
  x, _ = _layer(n=64, d_in=16)[1], None
  net = Net()
  v = net.init(jax.random.key(0), x)
  q, bpw = ptq.quantize_dense_layers(net, v, x, "gptq", bits=4)
  # call order (flax names Dense(4) first: it is constructed before its argument is evaluated)
  assert list(bpw) == ["Dense_1", "Dense_0"] and bpw["Dense_1"] == 4 + 32 / 16 and bpw["Dense_0"] == 4 + 32 / 32
  np.testing.assert_array_equal(np.asarray(q["params"]["Dense_0"]["bias"]), np.asarray(v["params"]["Dense_0"]["bias"]))
  assert max(len(np.unique(c)) for c in np.asarray(q["params"]["Dense_1"]["kernel"]).T) <= 16
  assert 4.0 < ptq.mean_bits(bpw, q) < 6.0
  with pytest.raises(ValueError, match="method"):
    ptq.quantize_dense_layers(net, v, x, "obq")
  with pytest.raises(ValueError, match="bits"):
    ptq.rtn(np.ones((4, 4)), bits=9)
  with pytest.raises(ValueError, match=r"x must be \[n, in\]"):
    ptq.gptq(np.ones((4, 4)), np.ones((3, 5)))


def test_accuracy_after_matches_a_direct_evaluation():
  class Net(nn.Module):
    @nn.compact
    def __call__(self, x):
      return nn.Dense(3)(x)
  x, _ = _layer(n=64, d_in=16)[1], None
  y = np.arange(64) % 3
  v = Net().init(jax.random.key(1), x)
  m = ptq.accuracy_after(Net(), v, x, x, y, "rtn", bits=8)
  q, _ = ptq.quantize_dense_layers(Net(), v, x, "rtn", bits=8)
  assert m["accuracy"] == float(np.mean(np.argmax(np.asarray(Net().apply(q, x)), -1) == y))
  assert m["bits_per_weight"] == 8 + 32 / 16
  with pytest.raises(ValueError, match="eval_y"):
    ptq.accuracy_after(Net(), v, x, x, y[:10])
