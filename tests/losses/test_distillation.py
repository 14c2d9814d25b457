"""Distillation losses against float64 NumPy transcriptions (of the papers and, for NKD, of the authors'
PyTorch NKDLoss in yzd-v/cls_KD), their stated special cases, masks and bad input."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.losses import distillation as D
from lbrl.registry import LOSSES


def _logsoftmax(x):
  x = x - x.max(-1, keepdims=True)
  return x - np.log(np.exp(x).sum(-1, keepdims=True))


def _softmax(x):
  return np.exp(_logsoftmax(x))


@pytest.fixture
def batch():
  r = np.random.default_rng(0)
  s, t = r.normal(size=(6, 5)) * 2, r.normal(size=(6, 5)) * 3
  y = np.array([0, 4, 2, 2, 1, 3])
  return s, t, y


def np_kd(s, t, y, T, a):
  ce = -_logsoftmax(s)[np.arange(len(y)), y]
  p = _softmax(t / T)
  kl = (p * (np.log(p) - _logsoftmax(s / T))).sum(-1)
  return (1 - a) * ce + a * T * T * kl


def np_nkd_authors(s, t, y, temp, gamma):
  """The authors' NKDLoss (per example, before their batch mean) plus the student's cross-entropy."""
  n, c = s.shape
  s_i, t_i = _logsoftmax(s), _softmax(t)
  s_t, t_t = s_i[np.arange(n), y], t_i[np.arange(n), y]
  loss_t = -(t_t * s_t)
  mask = np.ones_like(s, bool)
  mask[np.arange(n), y] = False
  S = _logsoftmax(s[mask].reshape(n, -1) / temp)
  Tn = _softmax(t[mask].reshape(n, -1) / temp)
  loss_non = -gamma * temp ** 2 * (Tn * S).sum(1)
  return -s_t + loss_t + loss_non


@pytest.mark.parametrize("T,a", [(4.0, 0.9), (1.0, 0.5), (2.5, 0.0)])
def test_kd_matches_transcription(batch, T, a):
  s, t, y = batch
  got = D.kd(jnp.float32(s), jnp.int32(y), teacher_outputs=jnp.float32(t), temperature=T, alpha=a)
  np.testing.assert_allclose(got, np_kd(s, t, y, T, a), rtol=2e-5, atol=2e-6)


def test_kd_special_cases(batch):
  s, t, y = (jnp.float32(v) if v.dtype.kind == "f" else jnp.int32(v) for v in batch)
  ce = LOSSES.get("cross_entropy")(s, y)
  np.testing.assert_allclose(D.kd(s, y, teacher_outputs=t, alpha=0.0), ce, rtol=1e-6)
  # a student equal to its teacher: the soft term vanishes
  np.testing.assert_allclose(D.kd(s, y, teacher_outputs=s, alpha=0.7), 0.3 * ce, rtol=1e-5, atol=1e-6)
  # no gradient flows into the teacher
  g = jax.grad(lambda tt: D.kd(s, y, teacher_outputs=tt).sum())(t)
  assert not np.any(np.asarray(g))


@pytest.mark.parametrize("temp,gamma", [(1.0, 1.5), (2.0, 1.0)])
def test_nkd_matches_the_authors_loss(batch, temp, gamma):
  s, t, y = batch
  got = D.nkd(jnp.float32(s), jnp.int32(y), teacher_outputs=jnp.float32(t), temperature=temp, gamma=gamma)
  np.testing.assert_allclose(got, np_nkd_authors(s, t, y, temp, gamma), rtol=2e-5, atol=2e-6)


def test_nkd_gradient_and_non_target_renormalisation(batch):
  s, t, y = batch
  from jax.test_util import check_grads
  f = lambda x: D.nkd(x, jnp.int32(y), teacher_outputs=jnp.asarray(t), temperature=2.0)
  check_grads(f, (jnp.asarray(s, jnp.float64) if jax.config.jax_enable_x64 else jnp.float32(s),), order=1,
              modes=["rev"], atol=5e-2, rtol=5e-2)
  # the non-target term is invariant to the target logit of the teacher (it is renormalised away)
  t2 = t.copy()
  t2[np.arange(len(y)), y] += 5.0
  a = D.nkd(jnp.float32(s), jnp.int32(y), teacher_outputs=jnp.float32(t), gamma=1.0)
  b = D.nkd(jnp.float32(s), jnp.int32(y), teacher_outputs=jnp.float32(t2), gamma=1.0)
  ce = -_logsoftmax(s)[np.arange(len(y)), y]
  ty1, ty2 = _softmax(t)[np.arange(len(y)), y], _softmax(t2)[np.arange(len(y)), y]
  np.testing.assert_allclose(np.asarray(a) - np.asarray(b), (ty2 - ty1) * (-ce), rtol=1e-4, atol=1e-5)


def test_ps_kd_targets_past_predictions_and_state():
  r = np.random.default_rng(1)
  n, c = 8, 4
  s = r.normal(size=(n, c)).astype(np.float32)
  y = r.integers(0, c, n)
  state = D.ps_kd_init(n, c)
  # first epoch: plain cross-entropy, predictions stored
  v0, st = D.ps_kd(jnp.asarray(s), jnp.int32(y), example_state=state, step=jnp.int32(3), epochs=10,
                   steps_per_epoch=5)
  np.testing.assert_allclose(v0, -_logsoftmax(s)[np.arange(n), y], rtol=1e-5)
  np.testing.assert_allclose(st["prediction"], _softmax(s), rtol=1e-5)
  assert np.all(np.asarray(st["seen"]))
  # epoch 6 of 10: alpha = 0.8 * 6 / 10; target mixes the label with the stored prediction
  s2 = r.normal(size=(n, c)).astype(np.float32)
  v, st2 = D.ps_kd(jnp.asarray(s2), jnp.int32(y), example_state=st, step=jnp.int32(32), epochs=10,
                   steps_per_epoch=5)
  a = 0.8 * 6 / 10
  target = (1 - a) * np.eye(c)[y] + a * _softmax(s)
  np.testing.assert_allclose(v, -(target * _logsoftmax(s2)).sum(-1), rtol=1e-5)
  np.testing.assert_allclose(st2["prediction"], _softmax(s2), rtol=1e-5)
  # an ignored label gives 0 and keeps its row
  y_bad = y.copy()
  y_bad[2] = -1
  v, st3 = D.ps_kd(jnp.asarray(s2), jnp.int32(y_bad), example_state=st, step=jnp.int32(32), epochs=10,
                   steps_per_epoch=5)
  assert float(v[2]) == 0.0
  np.testing.assert_array_equal(st3["prediction"][2], st["prediction"][2])


def test_ignored_labels_masks_half_precision_and_bad_input(batch):
  s, t, y = batch
  y = y.copy()
  y[1] = 7   # outside [0, C): ignored
  for fn in (D.kd, D.nkd):
    v = fn(jnp.bfloat16(s), jnp.int32(y), teacher_outputs=jnp.bfloat16(t))
    assert v.dtype == jnp.float32 and float(v[1]) == 0.0 and np.all(np.isfinite(np.asarray(v)))
    w = fn(jnp.float32(s), jnp.int32(y), teacher_outputs=jnp.float32(t), where=jnp.arange(6) < 3)
    assert np.all(np.asarray(w)[3:] == 0)
    jax.jit(lambda a, b, c: fn(a, b, teacher_outputs=c))(jnp.float32(s), jnp.int32(y), jnp.float32(t))
    with pytest.raises(ValueError, match="teacher_outputs must have"):
      fn(jnp.float32(s), jnp.int32(y), teacher_outputs=jnp.float32(t[:, :3]))
    with pytest.raises(ValueError, match="temperature"):
      fn(jnp.float32(s), jnp.int32(y), teacher_outputs=jnp.float32(t), temperature=0.0)
  with pytest.raises(ValueError, match="alpha"):
    D.kd(jnp.float32(s), jnp.int32(y), teacher_outputs=jnp.float32(t), alpha=1.5)
  with pytest.raises(TypeError, match="integer class ids"):
    D.nkd(jnp.float32(s), jnp.float32(np.eye(5)[[0, 1, 2, 3, 4, 0]]), teacher_outputs=jnp.float32(t))


def np_binary_kl_norm(s, t, T, eps=1e-8):
  """The authors' BinaryKLNorm (penghui-yang/DHKD), per example (before their batch mean)."""
  d = np.clip(1 / (1 + np.exp(-(s - t) / T)), eps, 1 - eps)
  kl = lambda p, q: p * (np.log(p) - np.log(q))
  return T ** 2 * (kl(0.5, d) + kl(0.5, 1 - d)).sum(-1)


def test_dual_head_kd_matches_the_authors_losses(batch):
  s, t, y = batch
  aux = s[::-1].copy() * 0.5
  got = D.dual_head_kd(jnp.float32(s), jnp.float32(aux), jnp.int32(y), teacher_outputs=jnp.float32(t), gamma=1.0,
                       alpha=0.5, temperature=2.0)
  ce = -_logsoftmax(s)[np.arange(len(y)), y]
  np.testing.assert_allclose(got["task"], ce, rtol=1e-5)
  np.testing.assert_allclose(got["distill"], 0.5 * np_binary_kl_norm(aux, t, 2.0), rtol=1e-5, atol=1e-6)
  assert float(jnp.max(jnp.abs(D.binary_kl_norm(jnp.float32(t), jnp.float32(t))))) < 1e-6
  with pytest.raises(ValueError, match="aux_logits"):
    D.dual_head_kd(jnp.float32(s), jnp.float32(aux[:, :3]), jnp.int32(y), teacher_outputs=jnp.float32(t))
