"""lbrl.quant.policy: the quantized training matmul against a NumPy transcription on ml_dtypes casts, the
Hadamard identity, the large-gradient quantizer, the pow2 / none scales, and the model wrapper."""
import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest
import scipy.linalg

from lbrl.models.simple import MLP
from lbrl.quant import policy
from lbrl.quant.quantizers import QuantSpec, compute_scale
from lbrl.train.precision import apply_precision

FP8 = dict(x=dict(fmt="float8_e4m3fn", granularity="tensor"), w=dict(fmt="float8_e4m3fn", granularity="tensor"),
           grad=dict(fmt="float8_e5m2", granularity="tensor"))


def _cast(a, dtype, maxv, scaled=True):
  """Per-tensor scaled cast in NumPy on ml_dtypes: s = amax / max, (a / s) saturated, cast, times s."""
  a = np.asarray(a, np.float32)
  s = np.float32(np.abs(a).max() / maxv) if scaled else np.float32(1.0)
  return (np.clip(a / s, -maxv, maxv).astype(dtype).astype(np.float32) * s).astype(np.float32)


def _data(m=16, k=24, n=8, seed=0):
  r = np.random.default_rng(seed)
  return [r.standard_normal(s).astype(np.float32) for s in ((m, k), (k, n), (m, n))]


@pytest.mark.parametrize("scaled", [True, False])
def test_fp8_matmul_forward_and_backward_match_ml_dtypes(scaled):
  a, b, g = _data()
  cfg = {r: {**v, **({} if scaled else {"scale_format": "none"})} for r, v in FP8.items()}
  p = policy.policy_from_config(cfg)
  y, vjp = jax.vjp(lambda a, b: policy.qdot(p, a, b, None), jnp.asarray(a), jnp.asarray(b))
  e4, e5 = ml_dtypes.float8_e4m3fn, ml_dtypes.float8_e5m2
  aq, bq = _cast(a, e4, 448.0, scaled), _cast(b, e4, 448.0, scaled)
  np.testing.assert_allclose(np.asarray(y), aq @ bq, rtol=1e-5, atol=1e-5)
  da, db = vjp(jnp.asarray(g * 1e-3))
  gq = _cast(g * 1e-3, e5, 57344.0, scaled)
  np.testing.assert_allclose(np.asarray(da), gq @ _cast(bq.T, e4, 448.0, scaled), rtol=1e-5, atol=1e-9)
  np.testing.assert_allclose(np.asarray(db), _cast(aq.T, e4, 448.0, scaled) @ gq, rtol=1e-5, atol=1e-9)


def test_hadamard_backward_is_exact_without_quantization():
  np.testing.assert_allclose(policy.hadamard_matrix(8), scipy.linalg.hadamard(8) / np.sqrt(8), atol=1e-7)
  a, b, g = _data()
  p = policy.MatmulPolicy(hadamard=8)
  _, vjp = jax.vjp(lambda a, b: policy.qdot(p, a, b, None), jnp.asarray(a), jnp.asarray(b))
  da, db = vjp(jnp.asarray(g))
  np.testing.assert_allclose(np.asarray(da), g @ b.T, rtol=1e-4, atol=1e-4)
  np.testing.assert_allclose(np.asarray(db), a.T @ g, rtol=1e-4, atol=1e-4)
  _, vjp = jax.vjp(lambda a, b: policy.qdot(policy.MatmulPolicy(hadamard=32), a, b, None), jnp.asarray(a),
                   jnp.asarray(b))                                          # contraction 8 and 16: zero-padded
  da, db = vjp(jnp.asarray(g))
  np.testing.assert_allclose(np.asarray(da), g @ b.T, rtol=1e-4, atol=1e-4)
  np.testing.assert_allclose(np.asarray(db), a.T @ g, rtol=1e-4, atol=1e-4)


def test_large_gradient_quantizer_matches_its_numpy_transcription():
  g = np.random.default_rng(1).standard_t(2, 4096).astype(np.float32)
  got = np.asarray(policy.large_gradient_quantize(jnp.asarray(g), bits=4, quantile=0.99))
  a = np.abs(g)
  big = a >= np.quantile(a, 0.99)
  best, ref = np.inf, None
  for gamma in np.arange(1, 17) / 16:
    s = np.float32(gamma * a.max() / 7)
    q = np.clip(np.round(g / s), -7, 7) * s
    err = np.sum((q - g)[big] ** 2)
    if err < best:
      best, ref = err, q
  np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-7)
  assert len(np.unique(got)) <= 15


def test_kth_largest_is_the_sorted_entry_ties_included():
  r = np.random.default_rng(3)
  cases = [np.abs(r.standard_t(2, (128, 256))).astype(np.float32),           # a [batch, out] cotangent
           r.integers(0, 5, 999).astype(np.float32),                         # many ties, zeros
           np.array([np.inf, 1e-40, 3e38, 0.0, 0.0], np.float32)]            # subnormal, huge, inf, zeros
  for a in cases:
    s = np.sort(a.ravel())
    for k in (1, a.size // 2 + 1, a.size):
      got = np.float32(policy.kth_largest(jnp.asarray(a), k))
      assert got == s[a.size - k], (a.size, k)
    assert got == np.asarray(jax.lax.top_k(jnp.asarray(a).ravel(), a.size)[0])[-1]
  with pytest.raises(ValueError, match="k must be"):
    policy.kth_largest(jnp.ones(3), 4)


def test_large_set_equals_the_sort_based_quantile_selection():
  """The top-k threshold selects exactly what ``|g| >= quantile(|g|, q)`` (the sort-based rule) selects,
  on fixed inputs of the layer shapes (ties: every entry equal to the threshold is large in both)."""
  r = np.random.default_rng(4)
  for shape in ((4096,), (128, 256), (128, 10), (37,)):
    for q in (0.99, 0.9, 0.5):
      a = np.abs(r.standard_t(2, shape)).astype(np.float32)
      a.ravel()[: a.size // 3] = a.ravel()[a.size // 3]                   # a third of the entries tied
      t = np.float32(policy.kth_largest(jnp.asarray(a), policy.num_large(a.size, q)))
      mask = a >= t
      np.testing.assert_array_equal(mask, a >= np.asarray(jnp.quantile(jnp.asarray(a), q)))
      np.testing.assert_array_equal(mask, a >= np.quantile(a, q, method="higher"))
  assert policy.num_large(4096, 0.99) == 41 and policy.num_large(10, 0.99) == 1


def _np_lsq_init_quant(a, bits, stride=1):
  """NumPy transcription of EQ-Net's base_lsq.py symmetric_init + sym_quantize (per tensor), in float32 as
  the authors' torch code computes (near-tied clip errors would pick another candidate in float64)."""
  a = np.asarray(a, np.float32)
  pos = a.min() >= 0
  hi, lo = (2 ** bits - 1, 0) if pos else (2 ** (bits - 1) - 1, -2 ** (bits - 1))
  best, out = np.inf, None
  for i in range(80):
    m = np.abs(a).max() * np.float32(1.0 - i * 0.01)
    s = np.float32((m - 0) / (hi - lo) if pos else 2 * m / (hi - lo))
    q = np.round(np.clip(a / s, lo, hi)) * s
    err = np.mean(np.abs(a - q).ravel()[::stride].astype(np.float64) ** 2.4)
    if err < best:
      best, out = err, q
  return out


def test_elastic_mse_quantizer_matches_the_authors_init_clip_search():
  r = np.random.default_rng(5)
  signed = r.standard_t(3, (32, 24)).astype(np.float32)
  relu = np.maximum(r.standard_normal((32, 24)), 0).astype(np.float32)
  for a in (signed, relu):
    for bits in (2, 4, 8):
      got = np.asarray(policy.elastic_mse_fake_quant(jnp.asarray(a), jnp.float32(bits), sample=256))
      ref = _np_lsq_init_quant(a, bits, stride=3)        # 768 entries, sample=256: every third one
      # the same clip; an entry whose a / s falls on a half step may round the other way (XLA's division
      # differs from NumPy's in the last bit): at most one step, on a handful of entries
      off = ~np.isclose(got, ref, rtol=1e-5, atol=1e-6)
      step = np.min(np.diff(np.unique(ref)))
      assert off.sum() <= 2 and np.all(np.abs(got - ref)[off] <= step * 1.001), (bits, off.sum())
  full = np.asarray(policy.elastic_mse_fake_quant(jnp.asarray(signed), 4.0))   # size <= sample: every entry
  assert np.sum(~np.isclose(full, _np_lsq_init_quant(signed, 4), rtol=1e-5, atol=1e-6)) <= 2
  assert len(np.unique(np.asarray(policy.elastic_mse_fake_quant(jnp.asarray(relu), 2.0)))) == 4   # 0..3, unsigned
  # straight through inside the clip, zero gradient where clipped (torch.clamp)
  a = jnp.asarray(signed)
  g = np.asarray(jax.grad(lambda a: jnp.sum(policy.elastic_mse_fake_quant(a, 2.0)))(a))
  q = np.asarray(policy.elastic_mse_fake_quant(a, 2.0))
  assert set(np.unique(g).tolist()) <= {0.0, 1.0} and g.min() == 0.0 and g.max() == 1.0
  assert np.all(g[np.abs(signed) > np.abs(q).max() * 1.5] == 0.0)
  with pytest.raises(ValueError, match="elastic_quantizer"):
    policy.policy_from_config({"elastic_bits": [4], "elastic_quantizer": "lsq"})


def test_pow2_and_none_scales():
  x = np.array([[0.3, -5.0], [1.0, 7.0]], np.float32)
  s = np.asarray(compute_scale(x, QuantSpec("int4", "channel", 0, scale_format="pow2")))
  amax = np.abs(x).max(1, keepdims=True)
  np.testing.assert_array_equal(s, 2.0 ** np.ceil(np.log2(amax / 7)))
  np.testing.assert_array_equal(np.asarray(compute_scale(x, QuantSpec("float8_e4m3fn", "tensor", scale_format="none"))),
                                1.0)


def test_quantized_model_keeps_the_parameters_and_changes_the_numbers():
  model = MLP(num_classes=10, hidden=(32,))
  qm = apply_precision(model, {"matmul": FP8})
  x = jnp.asarray(np.random.default_rng(0).standard_normal((8, 40)), jnp.float32)
  v = model.init(jax.random.key(0), x)
  assert jax.tree.structure(qm.init(jax.random.key(0), x)) == jax.tree.structure(v)
  y, yq = np.asarray(model.apply(v, x)), np.asarray(qm.apply(v, x))
  assert 0 < np.abs(y - yq).max() < 0.1 * np.abs(y).max()
  h = np.asarray(v["params"]["Dense_0"]["kernel"])
  h1 = np.maximum(_cast(np.asarray(x), ml_dtypes.float8_e4m3fn, 448.0) @ _cast(h, ml_dtypes.float8_e4m3fn, 448.0)
                  + np.asarray(v["params"]["Dense_0"]["bias"]), 0)
  k2 = np.asarray(v["params"]["Dense_1"]["kernel"])
  ref = (_cast(h1, ml_dtypes.float8_e4m3fn, 448.0) @ _cast(k2, ml_dtypes.float8_e4m3fn, 448.0)
         + np.asarray(v["params"]["Dense_1"]["bias"]))
  np.testing.assert_allclose(yq, ref, rtol=1e-4, atol=1e-4)
  with pytest.raises(ValueError, match="not both"):
    apply_precision(model, {"matmul": FP8, "rules": [{"module_path": ".*", "weight_qtype": "int8"}]})
  with pytest.raises(ValueError, match="unknown keys"):
    policy.policy_from_config({"x": {"fmt": "int8", "bogus": 1}})
  with pytest.raises(ValueError, match="grad_quantizer"):
    policy.policy_from_config({"grad_quantizer": "magic"})


def test_stochastic_rounding_draws_from_the_dropout_stream():
  model = MLP(num_classes=4, hidden=(16,))
  cfg = {"grad": dict(fmt="float4_e2m1fn", granularity="block", block_size=8, scale_format="e8m0",
                      rounding="stochastic")}
  qm = apply_precision(model, {"matmul": cfg})
  x = jnp.asarray(np.random.default_rng(0).standard_normal((16, 40)), jnp.float32)
  v = model.init(jax.random.key(0), x)
  grad = lambda k: jax.grad(lambda v: jnp.sum(qm.apply(v, x, train=True, rngs={"dropout": k}) ** 2))(v)
  g1, g2, g1b = grad(jax.random.key(1)), grad(jax.random.key(2)), grad(jax.random.key(1))
  k = lambda g: np.asarray(g["params"]["Dense_0"]["kernel"])
  np.testing.assert_array_equal(k(g1), k(g1b))
  assert not np.array_equal(k(g1), k(g2))


def test_start_step_keeps_a_float_phase_then_quantizes():
  model = MLP(num_classes=4, hidden=(16,))
  qm = apply_precision(model, {"matmul": {**FP8, "start_step": 2}})
  x = jnp.asarray(np.random.default_rng(0).standard_normal((8, 40)), jnp.float32)
  v = qm.init(jax.random.key(0), x)
  assert set(v) == {"params", "precision"}
  params, state = {"params": v["params"]}, {"precision": v["precision"]}
  ref_f = np.asarray(model.apply(params, x))
  ref_q = np.asarray(apply_precision(model, {"matmul": FP8}).apply(params, x))
  outs = []
  for _ in range(3):
    y, state = qm.apply({**params, **state}, x, train=True, rngs={"dropout": jax.random.key(1)},
                        mutable=["precision"])
    outs.append(np.asarray(y))
  np.testing.assert_allclose(outs[0], ref_f, atol=1e-6)
  np.testing.assert_allclose(outs[1], ref_f, atol=1e-6)
  np.testing.assert_allclose(outs[2], ref_q, atol=1e-6)
  assert int(state["precision"]["Dense_0"]["step"]) == 3
  np.testing.assert_allclose(np.asarray(qm.apply({**params, **state}, x)), ref_q, atol=1e-6)  # eval: reads only


def test_elastic_widths_quantize_per_tensor_and_eval_uses_each_width():
  from lbrl.analysis.context import AnalysisContext
  a = np.array([[0.3, -1.0], [0.05, 0.6]], np.float32)
  for bits in (2, 3, 8):
    qmax = 2 ** (bits - 1) - 1
    s = 1.0 / qmax
    np.testing.assert_allclose(np.asarray(policy.elastic_fake_quant(jnp.asarray(a), bits)),
                               np.clip(np.round(a / s), -qmax, qmax) * s, atol=1e-6)
  model = MLP(num_classes=4, hidden=(16,))
  sup = apply_precision(model, {"matmul": {"elastic_bits": [2, 8]}})
  x = jnp.asarray(np.random.default_rng(0).standard_normal((32, 40)), jnp.float32)
  v = model.init(jax.random.key(0), x)
  outs = {tuple(np.asarray(sup.apply(v, x, train=True, rngs={"dropout": jax.random.key(k)})).ravel()[:3])
          for k in range(6)}
  assert len(outs) > 1                                       # the width changes with the key
  y = np.asarray(model.apply(v, x)).argmax(-1)
  ctx = AnalysisContext(cfg=None, model=sup, params=v["params"], model_state={}, init_params=v["params"],
                        init_model_state={}, x=np.asarray(x), labels=y, loss=None, apply=None)
  out = policy.elastic_eval_tool(ctx, widths=[2, 8])
  assert out["acc_float"] == 1.0 and out["acc_w8"] >= out["acc_w2"]
  with pytest.raises(ValueError, match="elastic_bits"):
    policy.policy_from_config({"elastic_bits": [1]})
