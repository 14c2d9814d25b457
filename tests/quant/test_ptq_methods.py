"""AdaRound, AdaQuant, bias correction, BAQ / integer-program allocation, PQI, Evol-Q, entropy coding and the
``ptq`` analysis tool: against NumPy/SciPy transcriptions, brute force and the properties the papers state."""
import functools
import itertools
import math

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

from lbrl.analysis.context import AnalysisContext
from lbrl.quant import allocation, compression, ptq, rounding, search, sensitivity
from lbrl.quant.analysis import ptq_tool


def _layer(n=128, d_in=32, d_out=8, seed=0):
  r = np.random.default_rng(seed)
  mix = r.standard_normal((d_in, d_in)) * 0.3 + np.eye(d_in)
  x = (r.standard_normal((n, d_in)) @ mix * np.exp(r.standard_normal(d_in))).astype(np.float32)
  w = (r.standard_normal((d_in, d_out)) / np.sqrt(d_in)).astype(np.float32)
  return w, x


def _err(w, w_hat, x):
  return float(np.mean(np.sum((x @ w - x @ np.asarray(w_hat)) ** 2, -1)))


def test_adaround_init_reproduces_the_weights_and_rounds_each_weight_up_or_down():
  rest = np.linspace(0.0, 0.999, 50, dtype=np.float32)
  h = np.asarray(rounding.rectified_sigmoid(rounding.adaround_init(jnp.asarray(rest))))
  sig = lambda v: 1 / (1 + np.exp(-v))                                       # NumPy transcription of h(V)
  v = np.asarray(rounding.adaround_init(jnp.asarray(rest)), np.float64)
  np.testing.assert_allclose(np.clip(sig(v) * 1.2 - 0.1, 0, 1), rest, atol=1e-5)
  np.testing.assert_allclose(h, rest, atol=1e-5)
  w, _ = _layer()
  x = np.random.default_rng(5).standard_normal((128, 32)).astype(np.float32)
  got = np.asarray(rounding.adaround(w, x, bits=3, iters=1000))
  s = np.abs(w).max(0, keepdims=True) / 3.5
  codes = got / s
  np.testing.assert_allclose(codes, np.round(codes), atol=1e-4)
  down = np.clip(np.floor(w / s), -4, 3)
  assert np.all((np.round(codes) == down) | (np.round(codes) == np.clip(down + 1, -4, 3)))
  assert _err(w, got, x) < _err(w, ptq.rtn(w, bits=3), x)                     # the paper's claim, layer-wise


def test_adaquant_and_bias_correction_lower_the_layer_error():
  w, x = _layer(seed=1)
  b = np.zeros(w.shape[1], np.float32)
  r = np.asarray(ptq.rtn(w, bits=3))
  wq, bq = rounding.adaquant(w, x, b, bits=3, iters=300, lr=1e-3)
  err = lambda wh, bh: float(np.mean((x @ w + b - x @ np.asarray(wh) - np.asarray(bh)) ** 2))
  assert err(wq, bq) < err(r, b)
  bc = np.asarray(rounding.bias_correction(w, r, x, b))
  np.testing.assert_allclose(bc, (x.astype(np.float64) @ (w - r)).mean(0), rtol=1e-4, atol=1e-6)
  assert abs(np.mean(x @ w - (x @ r + bc))) < 1e-4                             # mean shift removed
  with pytest.raises(ValueError, match="w_hat"):
    rounding.bias_correction(w, r[:1], x)
  with pytest.raises(ValueError, match="bits"):
    rounding.adaround(w, x, bits=1)


def test_baq_closed_form_is_the_equal_loss_optimum_and_the_rounding_meets_the_budget():
  sens, sizes = np.array([5.0, 0.2, 40.0]), np.array([100.0, 300.0, 50.0])
  b = allocation.baq_continuous(sens, sizes, 3.0)
  np.testing.assert_allclose(np.sum(sizes * b) / sizes.sum(), 3.0)
  per = sens * 2.0 ** (-2 * b) / sizes
  np.testing.assert_allclose(per, per[0], rtol=1e-10)                        # equal loss per weight
  # the optimum: no feasible move of bits between two layers lowers sum S 2^-2b
  f = lambda bb: np.sum(sens * 2.0 ** (-2 * bb))
  for i, j in itertools.permutations(range(3), 2):
    e = np.zeros(3)
    e[i], e[j] = 1e-3 / sizes[i], -1e-3 / sizes[j]
    assert f(b + e) >= f(b)
  bi = allocation.baq_allocation(sens, sizes, 3.0)
  assert np.sum(sizes * bi) <= 3.0 * sizes.sum() and bi.dtype.kind == "i"
  with pytest.raises(ValueError, match="avg_bits"):
    allocation.baq_allocation(sens, sizes, 9.0)


def test_integer_program_matches_brute_force():
  r = np.random.default_rng(0)
  choices, sizes = (2, 3, 4, 8), np.array([50.0, 120.0, 30.0, 80.0])
  dl = np.sort(r.uniform(0, 1, (4, 4)), axis=1)[:, ::-1] * r.uniform(0.1, 3, (4, 1))
  got = allocation.integer_program(dl, sizes, choices, 3.5)
  best, arg = np.inf, None
  for combo in itertools.product(range(4), repeat=4):
    bits = np.array(choices)[list(combo)]
    if np.sum(sizes * bits) <= 3.5 * sizes.sum():
      v = dl[np.arange(4), list(combo)].sum()
      if v < best:
        best, arg = v, bits
  np.testing.assert_array_equal(got, arg)
  with pytest.raises(ValueError, match="no allocation"):
    allocation.integer_program(dl, sizes, choices, 1.0)


def test_pqi_sums_to_the_loss_change_where_taylor_falls_short():
  w0 = jnp.array([0.3, -1.2, 0.7])
  quad = lambda p: jnp.sum((p["w"] - w0) ** 2 * jnp.array([1.0, 2.0, 3.0]))
  p, q = {"w": jnp.zeros(3)}, {"w": jnp.array([0.5, -0.5, 1.0])}
  actual = float(quad(q) - quad(p))
  np.testing.assert_allclose(float(sensitivity.taylor_delta(quad, p, q)), actual, rtol=1e-5)   # exact: quadratic
  per, total = sensitivity.pqi(quad, p, q, n=1)                              # midpoint exact for a linear gradient
  np.testing.assert_allclose(float(total), actual, rtol=1e-5)
  quart = lambda p: jnp.sum(p["w"] ** 4)
  actual = float(quart(q) - quart(p))                                         # 0.0625 + 0.0625 + 1
  assert abs(float(sensitivity.taylor_delta(quart, p, q))) < 1e-6              # Taylor at 0 sees nothing
  np.testing.assert_allclose(float(sensitivity.pqi(quart, p, q, n=64)[1]), actual, rtol=1e-3)
  w = jnp.arange(10.0)
  np.testing.assert_array_equal(np.asarray(sensitivity.dense_and_sparse(w, jnp.zeros(10), w, 0.2)),
                                [0] * 8 + [8, 9])


def test_info_nce_and_evolq_never_worse_than_rtn():
  r = np.random.default_rng(0)
  zq, zf = r.standard_normal((6, 5)), r.standard_normal((6, 5))
  a = zq / np.linalg.norm(zq, axis=1, keepdims=True)
  b = zf / np.linalg.norm(zf, axis=1, keepdims=True)
  ref = -np.mean(np.diag(scipy.special.log_softmax(a @ b.T / 0.1, axis=1)))
  np.testing.assert_allclose(float(search.info_nce(jnp.asarray(zq), jnp.asarray(zf))), ref, rtol=1e-5)
  model, v, x, _ = _mlp()
  q, info = search.evolq(model, v, x[:64], bits=3, passes=1, population=3)
  assert info["objective"] <= info["objective_rtn"]


def test_entropy_bits_and_the_entropy_constrained_step():
  codes = np.array([0, 0, 1, -1, 2, 0, 0, 1])
  ref = scipy.stats.entropy(np.unique(codes, return_counts=True)[1], base=2) + 32.0 / codes.size
  assert math.isclose(compression.entropy_bits(codes), ref, rel_tol=1e-12)
  w, _ = _layer(d_in=256, d_out=4)
  w_hat, bits = compression.entropy_constrained(w, 3.0)
  assert 2.9 < bits <= 3.0
  assert np.mean((np.asarray(w_hat) - w) ** 2) < np.mean((np.asarray(ptq.rtn(w, bits=3)) - w) ** 2)
  with pytest.raises(ValueError, match="integers"):
    compression.entropy_bits([0.5])


class _Net(nn.Module):
  @nn.compact
  def __call__(self, x, train=False):
    return nn.Dense(4)(nn.relu(nn.Dense(16)(x)))


@functools.lru_cache(maxsize=None)
def _mlp(n=400, seed=0):
  r = np.random.default_rng(seed)
  x = r.standard_normal((n, 8)).astype(np.float32)
  y = np.argmax(x @ r.standard_normal((8, 4)), -1)
  model = _Net()
  v = model.init(jax.random.PRNGKey(seed), x[:1])
  import optax
  tx = optax.adam(3e-2)
  opt = tx.init(v["params"])
  loss = lambda p: -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(model.apply({"params": p}, x)), y[:, None], -1))

  @jax.jit
  def step(p, opt):
    u, opt = tx.update(jax.grad(loss)(p), opt, p)
    return optax.apply_updates(p, u), opt

  p = v["params"]
  for _ in range(150):
    p, opt = step(p, opt)
  return model, {"params": p}, x, y


def test_ptq_tool_on_a_hand_built_context():
  model, v, x, y = _mlp()
  ctx = AnalysisContext(cfg=None, model=model, params=v["params"], model_state={}, init_params=v["params"],
                        init_model_state={}, x=x, labels=y, loss=None, apply=None)
  out, extra = ptq_tool(ctx, methods=["rtn", "bias_correction", "baq", "requant", "l2"], bits=[3], calib_size=100,
                        sensitivity_check=True, method_kwargs={"l2": {"per_channel": False}})
  logits = np.asarray(model.apply(v, x[100:]))
  assert out["float"] == pytest.approx(np.mean(np.argmax(logits, -1) == y[100:]))
  r, _ = ptq.quantize_dense_layers(model, v, jnp.asarray(x[:100]), "rtn", bits=3)
  assert out["rtn_w3"] == pytest.approx(np.mean(np.argmax(np.asarray(model.apply(r, x[100:])), -1) == y[100:]))
  assert out["rtn_w3_gain"] == 0.0 and out["l2_w3_gain"] == out["l2_w3"] - out["rtn_w3"]
  assert out["l2_w3_bpw"] <= 3.0 + 1e-9 and out["requant_w3_bpw"] == pytest.approx(out["rtn_w3_bpw"] + 0.32)
  assert out["baq_w3_bpw"] <= out["rtn_w3_bpw"] + 1e-9
  assert len(extra["table"]) == 5 and {"actual_delta_w3", "taylor_delta_w3", "pqi_delta_w3"} <= set(out)
  np.testing.assert_allclose(out["pqi_delta_w3"], out["actual_delta_w3"], rtol=0.05, atol=1e-4)
  with pytest.raises(ValueError, match="methods"):
    ptq_tool(ctx, methods=["nope"])
  with pytest.raises(ValueError, match="calib_size"):
    ptq_tool(ctx, calib_size=400)


@pytest.mark.slow
def test_snip_divergences_and_selection():
  from lbrl.quant import snip
  model, v, x, y = _mlp()
  ld, wd = snip.divergences(model, v, jnp.asarray(x[:100]), jnp.asarray(y[:100]), ["Dense_1"])
  # the forward metric is the loss change of the mixed model, recomputed here directly
  ce = lambda m: float(-np.mean(np.take_along_axis(np.asarray(jax.nn.log_softmax(m.apply(v, x[:100]))),
                                                   y[:100, None], -1)))
  np.testing.assert_allclose(ld[0, 1], ce(snip._mixed(model, {"Dense_1": 4})) - ce(model), rtol=1e-4, atol=1e-6)
  assert wd[0, 1] > wd[0, 0]                             # fp4 disturbs the weight gradient more than fp8
  ctx = AnalysisContext(cfg=None, model=model, params=v["params"], model_state={}, init_params=v["params"],
                        init_model_state={}, x=x, labels=y, loss=None, apply=None, seed=0)
  out, extra = snip.snip_tool(ctx, target_bits=6.0, calib_size=100, random_draws=1)
  assert out["snip_bits"] <= 6.0 and set(extra["assignment"]) <= {4, 8}
  assert out["snip_minus_random"] == out["snip"] - out["random"]
