"""EQ-Net's supernet loss, regulariser and model (lbrl.quant.eq_net) against float64 NumPy transcriptions of
the authors' criterion.py / QuantSuperNetTrainer (github.com/xuke225/EQ-Net)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

from lbrl.models.simple import MLP
from lbrl.quant.eq_net import (EQNetMLP, eq_net_from_float, eq_net_sandwich, standardized_moments,
                               weight_distribution_regularizer)
from lbrl.quant.policy import MatmulPolicy, quantized_model


def _np_log_softmax(z):
  z = z - z.max(-1, keepdims=True)
  return z - np.log(np.exp(z).sum(-1, keepdims=True))


def test_moments_match_scipy_with_bessel_corrected_sd():
  w = np.random.default_rng(0).gamma(2.0, size=(17, 9))
  skew, kurt = standardized_moments(jnp.asarray(w))
  n = w.size
  c = ((n - 1) / n)   # scipy's biased moments use sd with ddof=0; the authors' torch.std has ddof=1
  np.testing.assert_allclose(skew, scipy.stats.skew(w.ravel()) * c ** 1.5, rtol=1e-4)
  np.testing.assert_allclose(kurt, scipy.stats.kurtosis(w.ravel(), fisher=False) * c ** 2, rtol=1e-4)


def test_wdr_is_the_authors_weighted_sum():
  rng = np.random.default_rng(1)
  ws = [rng.normal(size=(8, 6)), rng.laplace(size=(6, 4))]
  k = [np.mean(((w - w.mean()) / w.std(ddof=1)) ** 4) for w in ws]
  s = [np.mean(((w - w.mean()) / w.std(ddof=1)) ** 3) for w in ws]
  want = 0.015 * np.mean([(x - 1.8) ** 2 for x in k]) + 1.0 * np.mean([x ** 2 for x in s])
  got = weight_distribution_regularizer([jnp.asarray(w, jnp.float32) for w in ws])
  np.testing.assert_allclose(got, want, rtol=1e-4)
  with pytest.raises(ValueError, match="kernels is empty"):
    weight_distribution_regularizer([])


def test_sandwich_loss_matches_transcription_and_stops_teacher_gradients():
  rng = np.random.default_rng(2)
  z = rng.normal(size=(5, 7))
  sub = rng.normal(size=(2, 5, 7))
  y = rng.integers(0, 7, size=5)
  ce = lambda x: -_np_log_softmax(x)[np.arange(5), y]
  kl = lambda t, s: (np.exp(_np_log_softmax(t)) * (_np_log_softmax(t) - _np_log_softmax(s))).sum(-1)
  want = ce(z) + 0.5 * kl(z, sub[0]) + 0.5 * ce(sub[0]) + 0.5 * kl(sub[0], sub[1]) + 0.5 * ce(sub[1]) + 0.25
  aux = {"logits": jnp.asarray(sub, jnp.float32), "wdr": jnp.float32(0.25)}
  got = eq_net_sandwich(jnp.asarray(z, jnp.float32), aux, jnp.asarray(y))
  np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
  # the largest subnet's logits get only the CE gradient: the distillation targets are stop-gradient
  g = jax.grad(lambda zz: eq_net_sandwich(zz, aux, jnp.asarray(y)).sum())(jnp.asarray(z, jnp.float32))
  p = np.exp(_np_log_softmax(z))
  np.testing.assert_allclose(g, p - np.eye(7)[y], rtol=1e-4, atol=1e-5)
  with pytest.raises(ValueError, match="alpha"):
    eq_net_sandwich(jnp.asarray(z), aux, jnp.asarray(y), alpha=1.5)


def test_supernet_passes_are_the_static_quantized_mlp():
  x = jax.random.normal(jax.random.key(0), (6, 12))
  m = EQNetMLP(num_classes=5, hidden=(8, 8), widths=(2, 4))
  v = m.init(jax.random.key(1), x)
  plain = MLP(num_classes=5, hidden=(8, 8))
  pv = {"params": v["params"]["net"]}
  np.testing.assert_allclose(m.apply(v, x), plain.apply(pv, x), rtol=1e-6)   # no aux: the float MLP
  z, aux = m.apply(v, x, train=True, return_aux=True, rngs={"dropout": jax.random.key(3)})
  at = lambda b: quantized_model(plain, MatmulPolicy(elastic_bits=(b,))).apply(pv, x)
  np.testing.assert_allclose(z, at(4), rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(aux["logits"][1], at(2), rtol=1e-5, atol=1e-6)
  net = v["params"]["net"]
  want = weight_distribution_regularizer([net["Dense_1"]["kernel"], net["Dense_2"]["kernel"]])
  np.testing.assert_allclose(aux["wdr"], want, rtol=1e-6)
  # evaluation (no RNG): the first output at eval_width
  z_eval, _ = EQNetMLP(num_classes=5, hidden=(8, 8), widths=(2, 4), eval_width=2).apply(v, x, return_aux=True)
  np.testing.assert_allclose(z_eval, at(2), rtol=1e-5, atol=1e-6)
  with pytest.raises(ValueError, match="widths"):
    EQNetMLP(num_classes=5, widths=(4,)).init(jax.random.key(0), x)


def test_from_float_transform_makes_the_supernet_the_float_model():
  """The pretrained start (config.init transform ``eq_net_from_float``): the float MLP's parameters nested
  under ``net`` have the supernet's shapes, its float forward equals the MLP's, and its 8-bit pass equals
  the 8-bit quantized MLP's."""
  from lbrl.registry import PARAM_TRANSFORMS
  from lbrl.train.checkpoint import shape_mismatch
  x = jax.random.normal(jax.random.key(0), (6, 12))
  plain = MLP(num_classes=5, hidden=(8, 8))
  pv = plain.init(jax.random.key(7), x)["params"]
  src, tgt = {"name": "mlp", "hidden": [8, 8]}, {"name": "eq_net_mlp", "hidden": [8, 8], "widths": [2, 8]}
  params = PARAM_TRANSFORMS.get("eq_net_from_float")(pv, source=src, target=tgt, key=jax.random.key(0))
  m = EQNetMLP(num_classes=5, hidden=(8, 8), widths=(2, 8))
  assert shape_mismatch(params, m.init(jax.random.key(1), x)["params"]) is None
  np.testing.assert_array_equal(m.apply({"params": params}, x), plain.apply({"params": pv}, x))
  # the supernet's evaluation pass (no RNG) at 2 bits with the authors' clip search is the quantized MLP's
  sup = EQNetMLP(num_classes=5, hidden=(8, 8), widths=(2, 8), quantizer="mse", eval_width=2)
  z = jax.jit(lambda p: sup.apply({"params": p}, x, return_aux=True)[0])(params)
  want = jax.jit(quantized_model(plain, MatmulPolicy(elastic_bits=(2,), elastic_quantizer="mse")).apply)({"params": pv}, x)
  np.testing.assert_allclose(z, want, rtol=1e-6, atol=1e-6)
  for bad, match in ((dict(src, norm="layer"), "norm"), (dict(src, hidden=[8]), "hidden"),
                     ({"name": "cnn1d"}, "source must be")):
    with pytest.raises(ValueError, match=match):
      eq_net_from_float(pv, source=bad, target=tgt)

