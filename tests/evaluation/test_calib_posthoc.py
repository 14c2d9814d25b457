"""h-calibration and correctness-aware calibration against float64 NumPy transcriptions of the authors'
code (WenjianHuang93/h-Calibration loss/hCalib.py; liuyvchi/Correctness-aware-calibration
temperature_scaling_CA.py, run_cal.py), and the posthoc_calibration analysis tool on a hand-built context."""
import types

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.evaluation import calibrators as C


def _hcal_reference(p, labels, window, num_bins=15, loo=True):
  """Transcription of hcalib_subfunc (aceweighted, no dropout) and hcalibration (IsIter) in float64."""
  n, c = p.shape
  y = np.eye(c)[labels]

  def sub(pm, ym):
    pf, yf = pm.reshape(-1), ym.reshape(-1)
    order = np.argsort(np.log(pf + 1e-20), kind="stable")
    pf, yf = pf[order], yf[order]
    a = np.pad(pf * (1 - yf), window // 2)       # prob of events that did not occur
    b = np.pad((1 - pf) * yf, window // 2)       # 1 - prob of events that occurred
    k = np.ones(window + 1) / (window + 1)
    t = np.convolve(a, k, "valid") - np.convolve(b, k, "valid")
    err = np.maximum(np.abs(t) - 1e-20, 0)
    losses = []
    for lo in np.linspace(0, 1, num_bins + 1)[:-1]:
      ind = (pf >= lo) & (pf <= lo + 1 / num_bins)
      losses.append((err * ind).sum() / (ind.sum() + 1e-5))
    return np.mean(losses)

  if not loo:
    return sub(p, y)
  return np.mean([sub(p[labels != e], y[labels != e]) for e in range(c)])


@pytest.mark.parametrize("loo", [True, False])
def test_hcalibration_loss_matches_the_authors_transcription(loo):
  rng = np.random.default_rng(0)
  z = rng.normal(0, 2, (120, 4))
  labels = rng.integers(0, 4, 120)
  p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
  got = C.hcalibration_loss(p.astype(np.float32), labels, window=20, leave_one_class_out=loo)
  np.testing.assert_allclose(float(got), _hcal_reference(p, labels, 20, loo=loo), rtol=2e-4, atol=1e-6)


def test_hcalibration_loss_ignores_invalid_rows_and_rejects_bad_window():
  rng = np.random.default_rng(1)
  p = rng.dirichlet(np.ones(3), 50).astype(np.float32)
  labels = rng.integers(0, 3, 50)
  valid = np.arange(50) < 30
  np.testing.assert_allclose(float(C.hcalibration_loss(p, labels, valid, window=10)),
                             float(C.hcalibration_loss(p[:30], labels[:30], window=10)), rtol=1e-5)
  with pytest.raises(ValueError, match="window"):
    C.hcalibration_loss(p, labels, window=7)


@pytest.mark.heavy
def test_fit_hcalibration_keeps_argmax_and_lowers_its_objective():
  rng = np.random.default_rng(2)
  labels = rng.integers(0, 3, 150)
  z = (4.0 * (rng.normal(0, 1, (150, 3)) + 1.2 * np.eye(3)[labels])).astype(np.float32)   # over-confident
  before = C.hcalibration_loss(jax.nn.softmax(z), labels, window=20)
  prm = C.fit_hcalibration(z, labels, steps=150, window=20)
  cal = C.apply_hcalibration(prm, z)
  assert float(C.hcalibration_loss(jnp.exp(cal), labels, window=20)) < 0.5 * float(before)
  np.testing.assert_array_equal(np.argmax(cal, -1), np.argmax(z, -1))
  np.testing.assert_allclose(np.exp(np.asarray(cal)).sum(-1), 1.0, rtol=1e-5)


def test_correctness_features_and_ca_loss_match_the_authors_definitions():
  rng = np.random.default_rng(3)
  z = rng.normal(0, 2, (6, 5)).astype(np.float32)
  zv = rng.normal(0, 2, (3, 6, 5)).astype(np.float32)
  feats = np.asarray(C.correctness_features(z, zv, top_k=4))
  top = np.argsort(-z, 1)[:, :4]
  pv = np.exp(zv) / np.exp(zv).sum(-1, keepdims=True)
  ref = np.concatenate([np.take_along_axis(pv[v], top, 1) for v in range(3)], 1)   # torch.cat(p2topk1, p3topk1, ...)
  np.testing.assert_allclose(feats, ref, rtol=1e-5)
  labels = rng.integers(0, 5, 6)
  cal = z / 2.0
  correct = (z.argmax(1) == labels).astype(float)
  acc = correct.mean()
  w = np.where(correct > 0, 1 - acc, acc)
  conf = (np.exp(cal) / np.exp(cal).sum(1, keepdims=True)).max(1)
  np.testing.assert_allclose(float(C.correctness_aware_loss(cal, labels, z)),
                             (w * (conf - correct) ** 2).sum() / w.sum(), rtol=1e-5)


def test_ca_temperature_is_clamped_and_starts_at_one():
  feats = np.random.default_rng(4).random((10, 12)).astype(np.float32)
  prm = C.fit_correctness_aware(np.zeros((10, 3), np.float32), np.zeros(10, np.int32), feats, steps=0)
  np.testing.assert_allclose(np.asarray(C.ca_temperature(prm, feats)), 1.0)
  prm["b2"] = jnp.array([50.0])
  np.testing.assert_allclose(np.asarray(C.ca_temperature(prm, feats)), 10.0)


@pytest.mark.heavy
def test_posthoc_calibration_tool_on_a_hand_built_context(monkeypatch):
  """Linear 'model' on Gaussian blobs, over-confident by a factor 5: the CA calibrator lowers ECE, keeps
  the accuracy, and the outputs carry the documented keys and differences."""
  from lbrl.data import core
  rng = np.random.default_rng(5)
  means = rng.normal(0, 1, (3, 8))

  def blobs(n, seed):
    r = np.random.default_rng(seed)
    y = r.integers(0, 3, n)
    return (means[y] + r.normal(0, 1.0, (n, 8))).astype(np.float32), y

  xh, yh = blobs(300, 1)
  xe, ye = blobs(300, 2)
  monkeypatch.setattr(core, "load", lambda *a, **k: types.SimpleNamespace(arrays={"x": xh, "label": yh}))
  w = 5.0 * means.T.astype(np.float32)
  cfg = types.SimpleNamespace(data=types.SimpleNamespace(name="blobs", data_dir="", options={},
                                                         split_train="train[:90%]"))
  ctx = types.SimpleNamespace(cfg=cfg, params=w, x=xe, labels=ye, seed=0,
                              apply=lambda params, x, train=False: jnp.asarray(x) @ params)
  out = C.posthoc_calibration(ctx, methods=["uncalibrated", "ca"], reference="ca", heldout="train[90%:]",
                              options={"ca": {"steps": 100, "learning_rate": 3e-2}},
                              views=[{"max_shift": 0, "scale": (1.0, 1.0), "noise": 0.3}] * 3,
                              scores=["accuracy", "ece"], pairs=[["ca", "uncalibrated"]])
  assert out["u/ece/ca"] < -0.05
  assert out["u/accuracy/ca"] == 0.0
  np.testing.assert_allclose(out["p/ece/ca-uncalibrated"], out["u/ece/ca"])
  assert set(out) >= {"uncalibrated/ece", "ca/accuracy", "u/ece/ca"}
  with pytest.raises(ValueError, match="overlaps"):
    C.posthoc_calibration(ctx, heldout="train[:50%]")
