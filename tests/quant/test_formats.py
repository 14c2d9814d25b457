"""lbrl.quant.formats against ml_dtypes casts (exhaustive over the codes of the 4- and 8-bit formats)."""
import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest

from lbrl.quant import formats as F

SMALL = ["float8_e4m3fn", "float8_e5m2", "float4_e2m1fn"]


def _cast(x, name):
  """The independent reference: saturate, then ml_dtypes' cast in NumPy, back to float64."""
  f = F.get_format(name)
  return np.clip(np.asarray(x, np.float32), f.min, f.max).astype(f.dtype).astype(np.float64)


def _probes(g):
  """Every grid value, every midpoint (ties), points just beside each midpoint, and values past the range."""
  mids = (g[1:] + g[:-1]) / 2
  return np.concatenate([g, mids, np.nextafter(mids.astype(np.float32), np.inf), np.nextafter(
      mids.astype(np.float32), -np.inf), [g[-1] * 1.1, g[0] * 1.1, 1e30, -1e30]]).astype(np.float32)


@pytest.mark.parametrize("name", SMALL)
def test_grid_is_the_finite_codes_of_ml_dtypes(name):
  g = F.grid(name)
  f = F.get_format(name)
  assert g[-1] == f.max == float(ml_dtypes.finfo(f.dtype).max) and g[0] == -f.max
  n_codes = 2 ** f.bits
  # e4m3fn: 2 NaN codes, +-0 share a value; e5m2: 6 NaN + 2 inf codes; e2m1fn: +-0 only
  expect = {"float8_e4m3fn": n_codes - 2 - 1, "float8_e5m2": n_codes - 8 - 1, "float4_e2m1fn": n_codes - 1}[name]
  assert len(g) == expect


@pytest.mark.parametrize("name", SMALL + ["float16", "bfloat16"])
def test_nearest_is_bit_exact_with_ml_dtypes(name):
  if F.get_format(name).bits <= 8:
    x = _probes(F.grid(name))
  else:
    x = np.random.default_rng(0).standard_normal(20000).astype(np.float32) * np.float32(
        10.0) ** np.random.default_rng(1).integers(-9, 6, 20000)
  got = np.asarray(jax.jit(lambda v: F.round_to_format(v, name))(jnp.asarray(x)), np.float64)
  np.testing.assert_array_equal(got, _cast(x, name))


@pytest.mark.parametrize("name", ["int8", "int4"])
def test_int_nearest_is_half_even_and_clipped(name):
  f = F.get_format(name)
  x = np.arange(-2 * f.max - 0.5, 2 * f.max + 1, 0.25, dtype=np.float32)
  got = np.asarray(F.round_to_format(jnp.asarray(x), name))
  np.testing.assert_array_equal(got, np.clip(np.round(x), f.min, f.max))  # np.round: half to even
  assert np.all(got.astype(f.dtype).astype(np.float32) == got)


@pytest.mark.parametrize("name", SMALL + ["int4"])
def test_stochastic_rounding_lands_on_a_neighbour_and_is_unbiased(name):
  g = F.grid(name)
  rng = np.random.default_rng(0)
  x = rng.uniform(g[0], g[-1], 64).astype(np.float32)
  n = 4000
  keys = jax.random.split(jax.random.key(0), n)
  q = np.asarray(jax.vmap(lambda k: F.round_to_format(jnp.asarray(x), name, rounding="stochastic", key=k))(keys),
                 np.float64)
  hi = g[np.searchsorted(g, x, side="left")]
  lo = g[np.searchsorted(g, x, side="right") - 1]
  assert np.all((q == lo) | (q == hi))
  p_hi = np.where(hi > lo, (x - lo) / np.where(hi > lo, hi - lo, 1), 0.0)
  se = np.sqrt(p_hi * (1 - p_hi) / n) + 1e-9
  assert np.all(np.abs((q == hi).mean(0) - np.where(hi > lo, p_hi, (q == hi).mean(0))) <= 5 * se + 1e-3)


def test_stochastic_saturates_and_needs_a_key():
  q = F.round_to_format(jnp.array([1e9, -1e9]), "float8_e4m3fn", rounding="stochastic", key=jax.random.key(1))
  np.testing.assert_array_equal(np.asarray(q), [448.0, -448.0])
  with pytest.raises(ValueError, match="key"):
    F.round_to_format(jnp.ones(3), "float8_e4m3fn", rounding="stochastic")


def test_e8m0_floor_is_the_ocp_rule_and_representable():
  amax = np.array([6.0, 7.9, 8.0, 0.3, 1e-30, 0.0], np.float32)
  s = np.asarray(F.e8m0_floor(jnp.asarray(amax), "float4_e2m1fn"))
  # OCP MX v1.0: X = 2^(floor(log2 amax) - emax_elem), emax(e2m1) = 2
  expect = np.where(amax > 0, 2.0 ** (np.floor(np.log2(np.maximum(amax, 1e-38))) - 2), 1.0)
  expect = np.maximum(expect, 2.0 ** -127)
  np.testing.assert_array_equal(s, expect.astype(np.float32))
  np.testing.assert_array_equal(s.astype(F.E8M0).astype(np.float32), s)  # exact in e8m0
  assert F.get_format("e4m3").emax == 8 and F.get_format("e5m2").emax == 15


def test_bad_input_names_the_argument():
  with pytest.raises(ValueError, match="format must be one of"):
    F.get_format("float7")
  with pytest.raises(ValueError, match="rounding"):
    F.round_to_format(jnp.ones(2), "int8", rounding="up")
