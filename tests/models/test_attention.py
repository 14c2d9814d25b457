"""Sigmoid attention: the reference vs a float64 NumPy transcription of the paper's formula, the -log n
normalisation's stated property, the module as a drop-in for softmax attention."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.models import _layers as L
from lbrl.models.attention import SigmoidAttention, sigmoid_attention


def numpy_sigmoid_attention(q, k, v, b, causal):
  q, k, v = (np.asarray(a, np.float64) for a in (q, k, v))
  s = np.einsum("bthd,bshd->bhts", q, k) / math.sqrt(q.shape[-1]) + b
  w = 1.0 / (1.0 + np.exp(-s))
  if causal:
    w = w * np.tril(np.ones(s.shape[-2:]))
  return np.einsum("bhts,bshd->bthd", w, v)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("bias", ["-log n", "none", 0.5])
def test_reference_matches_float64(causal, bias):
  k = jax.random.split(jax.random.key(0), 3)
  q, kk, v = (jax.random.normal(key, (2, 7, 3, 8)) for key in k)
  b = {"-log n": -math.log(7), "none": 0.0}.get(bias, bias)
  got = sigmoid_attention(q, kk, v, bias=bias, causal=causal)
  np.testing.assert_allclose(np.asarray(got), numpy_sigmoid_attention(q, kk, v, b, causal), rtol=1e-5, atol=1e-6)


def test_log_n_bias_keeps_the_row_mass_near_one_at_zero_scores():
  """The paper's normalisation: with scores ~0, each row's weights sum to n sigmoid(-log n) = n / (n + 1)."""
  for n in (16, 256):
    q = jnp.zeros((1, n, 1, 4))
    ones = jnp.ones((1, n, 1, 4))
    row = sigmoid_attention(q, q, ones, bias="-log n")[0, 0, 0, 0]
    np.testing.assert_allclose(float(row), n / (n + 1), rtol=1e-6)
    unnormalised = sigmoid_attention(q, q, ones, bias="none")[0, 0, 0, 0]
    np.testing.assert_allclose(float(unnormalised), n / 2, rtol=1e-6)   # grows with n: the instability


def test_module_is_a_drop_in_for_softmax_attention():
  x = jax.random.normal(jax.random.key(1), (2, 6, 16))
  soft = L.Attention(4, causal=True, use_rope=True)
  sig = SigmoidAttention(4, causal=True, use_rope=True)
  ps = soft.init(jax.random.key(2), x)
  pg = sig.init(jax.random.key(2), x)
  assert jax.tree.structure(ps) == jax.tree.structure(pg)           # same parameters: rules, muP, checkpoints
  out = sig.apply(ps, x)
  # against the reference applied to the module's own projections
  p = ps["params"]
  proj = lambda n: jnp.einsum("btd,dhk->bthk", x, p[n]["kernel"])
  pos = jnp.arange(6)
  o = sigmoid_attention(L.rope(proj("query"), pos), L.rope(proj("key"), pos), proj("value"), causal=True)
  want = jnp.einsum("bthk,hkd->btd", o, p["out"]["kernel"])
  np.testing.assert_allclose(np.asarray(out), np.asarray(want), rtol=1e-5, atol=1e-6)
  # causal: changing a future token leaves earlier outputs unchanged
  x2 = x.at[:, -1].set(0.0)
  np.testing.assert_allclose(np.asarray(sig.apply(ps, x2))[:, :-1], np.asarray(out)[:, :-1], atol=1e-6)
  g = jax.grad(lambda p: jnp.sum(sig.apply(p, x) ** 2))(ps)
  assert all(bool(jnp.all(jnp.isfinite(a))) for a in jax.tree.leaves(g))
  qk = SigmoidAttention(4, qk_norm=True).init(jax.random.key(0), x)["params"]
  assert {"q_norm", "k_norm"} <= set(qk)


def test_bad_inputs_name_the_argument():
  q = jnp.zeros((1, 4, 2, 8))
  with pytest.raises(ValueError, match="bias must be"):
    sigmoid_attention(q, q, q, bias="-log t")
  with pytest.raises(ValueError, match="q must be"):
    sigmoid_attention(q[0], q, q)
  with pytest.raises(ValueError, match="causal needs"):
    sigmoid_attention(q, jnp.zeros((1, 5, 2, 8)), jnp.zeros((1, 5, 2, 8)), causal=True)
