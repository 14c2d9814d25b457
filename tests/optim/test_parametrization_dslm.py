"""DeepScaleLM (Kedia et al., "Transformers Get Stable", ICML 2024, arXiv:2403.09635, slug
transformers_get_stable): the residual scales, the initialisation against a float64 transcription of the
authors' correlation recursion (akhilkedia/TranformersGetStable, ``sigma_attn_v_out``), the GELU moment
against numerical integration, and the property the paper states: unit forward moments at any depth."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate, stats

from lbrl.analysis.signal import residual_stream
from lbrl.models._layers import Block
from lbrl.models.transformer import TransformerLM
from lbrl.optim import parametrization as P


def authors_sigma_attn_v_out(d, p, n_layers, lam_sq, beta_sq, r0):
  """The authors' recursion, transcribed line by line in float64 (their r0 is an argument here)."""
  sigma_new, out = 1.0, []
  r_in = r0 * (1 - p)
  for _ in range(n_layers):
    out.append(math.sqrt(math.sqrt((1 - p) / r_in) / d))
    r_out = 1 - p
    r_in = (lam_sq * r_in * sigma_new + beta_sq * r_out) / (lam_sq * sigma_new + beta_sq)
    sigma_new = lam_sq * sigma_new + beta_sq
    r_out = (1 - p) * (r_in + ((1 - r_in ** 2) ** 0.5 - r_in * math.acos(r_in)) / math.pi)
    r_in = (lam_sq * r_in * sigma_new + beta_sq * r_out) / (lam_sq * sigma_new + beta_sq)
    sigma_new = lam_sq * sigma_new + beta_sq
  return out


def test_scales():
  lam, beta = P.deepscalelm_scales(192)
  assert lam ** 2 + beta ** 2 == pytest.approx(1.0)
  assert beta ** 2 == pytest.approx(1 / 192)   # the authors' 0.005 at 192 layers is k ~ 1
  assert P.deepscalelm_scales(8, k=2.0)[1] ** 2 == pytest.approx(0.25)
  for bad in (dict(num_layers=0), dict(num_layers=4, k=5.0), dict(num_layers=4, k=0.0)):
    with pytest.raises(ValueError):
      P.deepscalelm_scales(**bad)


def test_value_output_stds_match_the_authors_recursion():
  """With the paper's long-sequence limit (seq_len=None) the value/output stds are the authors'."""
  n, d, p = 12, 1024, 0.1
  lam, beta = P.deepscalelm_scales(n)
  got = P.deepscalelm_stds(n, d, 4 * d, r0=0.221, dropout=p)
  want = authors_sigma_attn_v_out(d, p, n, lam ** 2, beta ** 2, 0.221)
  np.testing.assert_allclose(got["vo"], want, rtol=1e-12)
  assert got["embed"] == pytest.approx(math.sqrt(1 - p))
  assert got["qk"] == got["up"] == got["unembed"] == pytest.approx(1 / math.sqrt(d))


def test_causal_context_term():
  """A finite causal context adds the prefix average's own variance: r_att = r + (1 - r) mean_t 1/t."""
  a = P.deepscalelm_stds(2, 64, 256, r0=0.05)["vo"][0]
  b = P.deepscalelm_stds(2, 64, 256, r0=0.05, seq_len=64)["vo"][0]
  c = np.mean(1.0 / np.arange(1, 65))
  assert b == pytest.approx(math.sqrt(math.sqrt(1 / (0.05 + 0.95 * c)) / 64))
  assert b < a


def test_gelu_second_moment_and_unit_mlp_output():
  want = integrate.quad(lambda z: (z * stats.norm.cdf(z)) ** 2 * stats.norm.pdf(z), -np.inf, np.inf)[0]
  assert P._gelu_second_moment() == pytest.approx(want, rel=1e-8)
  d, m = 64, 256
  s = P.deepscalelm_stds(1, d, m, r0=0.1)
  rng = np.random.default_rng(0)
  x = rng.standard_normal((4096, d))
  up, down = rng.normal(0, s["up"], (d, m)), rng.normal(0, s["down"], (m, d))
  gelu = lambda h: h * stats.norm.cdf(h)
  assert np.mean((gelu(x @ up) @ down) ** 2) == pytest.approx(1.0, rel=0.1)


def test_bad_arguments():
  for bad in (dict(r0=0.0), dict(r0=1.5), dict(r0=0.1, dropout=1.0), dict(r0=0.1, seq_len=0)):
    with pytest.raises(ValueError):
      P.deepscalelm_stds(2, 8, 32, **bad)
  with pytest.raises(ValueError, match="r0"):
    P.deepscalelm()


def test_block_skip_scale():
  """x <- s x + a F(N(x)) on both sub-layers: with a = 0 the block multiplies its input by s^2."""
  x = jax.random.normal(jax.random.PRNGKey(0), (2, 5, 8))
  blk = Block(2, mlp_dim=16, skip_scale=0.6, residual_scale=0.0)
  v = jax.jit(blk.init)(jax.random.PRNGKey(1), x)
  np.testing.assert_allclose(jax.jit(blk.apply)(v, x), 0.36 * x, rtol=1e-6)


def _lm(depth, dslm, tie=False):
  kw = dict(vocab_size=32, num_layers=depth, width=32, num_heads=2, tie_embeddings=tie, max_len=16,
            positions="learned")
  if dslm:
    lam, beta = P.deepscalelm_scales(depth)
    kw.update(skip_scale=lam, residual_scale=beta)
  return TransformerLM(**kw)


def test_init_stds_and_unit_forward_moments():
  x = jax.random.randint(jax.random.PRNGKey(0), (16, 16), 0, 32)
  p13n = P.get_parametrization(P.deepscalelm(r0=1 / 32, seq_len=16))
  variances = {}
  for depth, dslm in ((2, False), (8, False), (2, True), (8, True)):
    m = _lm(depth, dslm)
    params = jax.jit(m.init)(jax.random.PRNGKey(depth), x)["params"]
    if dslm:
      params = P.apply_init(params, p13n)
      st = P.deepscalelm_stds(depth, 32, 128, r0=1 / 32, seq_len=16, num_embeddings=2)
      assert float(jnp.std(params["embed"]["embedding"])) == pytest.approx(st["embed"], rel=0.1)
      assert float(jnp.std(params["block_3"]["attn"]["value"]["kernel"])) == pytest.approx(st["vo"][3], rel=0.1) \
          if depth > 3 else True
      assert float(jnp.std(params["block_0"]["mlp"]["down"]["kernel"])) == pytest.approx(st["down"], rel=0.1)
    _, inter = jax.jit(lambda v: m.apply(v, x, capture_intermediates=True, mutable=["intermediates"]))(
        {"params": params})
    variances[depth, dslm] = [float(jnp.var(h)) for h in residual_stream({"intermediates": inter["intermediates"]})]
  # DeepScaleLM: unit variance at every block of every depth; the N(0, 0.02^2) Pre-LN stream grows with depth
  for depth in (2, 8):
    assert 0.6 < min(variances[depth, True]) and max(variances[depth, True]) < 1.6
  assert variances[8, False][-1] > 1.5 * variances[2, False][-1]
  with pytest.raises(ValueError, match="untied"):
    P.apply_init(_lm(2, True, tie=True).init(jax.random.PRNGKey(0), x)["params"], p13n)
