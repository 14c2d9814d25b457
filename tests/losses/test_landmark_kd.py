"""KD-Loss (slug facial_landmark_points_detection) against a float64 NumPy transcription of the authors'
TensorFlow ``Custom_losses.kd_loss`` (github.com/aliprf/KD-Loss, custom_Losses.py, read line by line: the
teachers reflected to the prediction's side, the region maps, the Tolerant-Teacher's switch of the main
term); L2 and NME against NumPy; the NME tool on a hand-built context; stated properties and bad input."""
import types

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.losses import landmarks as LM
from lbrl.registry import ANALYSIS_TOOLS, LOSSES


def np_kd_loss(x_pr, x_gt, x_tough, x_tol, alpha_tough, alpha_mi_tough, alpha_tol, alpha_mi_tol,
               main_loss_weight, tough_loss_weight, tol_loss_weight):
  """The authors' kd_loss with tf -> numpy (global means over batch and coordinates)."""
  x_tough = x_gt + np.sign(x_pr - x_gt) * np.abs(x_tough - x_gt)
  b_tough = x_gt + np.sign(x_pr - x_gt) * np.abs(x_tough - x_gt) * 0.15
  x_tol = x_gt + np.sign(x_pr - x_gt) * np.abs(x_tol - x_gt)
  b_tol = x_gt + np.sign(x_pr - x_gt) * np.abs(x_tol - x_gt) * 0.15
  tou_pos_map = np.where(np.sign(x_pr - x_tough) * np.sign(x_tough - x_gt) > 0, alpha_tough, 0.0)
  tou_neg_map = np.where(np.sign(x_tough - x_pr) * np.sign(x_pr - b_tough) >= 0, alpha_mi_tough, 0.0)
  tou_map = tou_pos_map + tou_neg_map
  tol_pos_map = np.where(np.sign(x_pr - x_tol) * np.sign(x_tol - x_gt) > 0, alpha_tol, 0.0)
  tol_neg_map = np.where(np.sign(x_tol - x_pr) * np.sign(x_pr - b_tol) >= 0, alpha_mi_tol, 0.0)
  tol_map = tol_pos_map + tol_neg_map
  low_diff_main_map = np.where(np.abs(x_gt - x_pr) <= np.abs(x_gt - x_tol), 1.0, 0.0)
  high_diff_main_map = np.where(np.abs(x_gt - x_pr) > np.abs(x_gt - x_tol), 1.0, 0.0)
  loss_main_high_dif = np.mean(
      high_diff_main_map * (np.square(x_gt - x_pr) + (3 * np.abs(x_gt - x_tol)) - np.square(x_gt - x_tol)))
  loss_main_low_dif = np.mean(low_diff_main_map * (3 * np.abs(x_gt - x_pr)))
  loss_main = main_loss_weight * (loss_main_high_dif + loss_main_low_dif)
  loss_tough_assist = tough_loss_weight * np.mean(tou_map * np.abs(x_tough - x_pr))
  loss_tol_assist = tol_loss_weight * np.mean(tol_map * np.abs(x_tol - x_pr))
  return loss_main + loss_tough_assist + loss_tol_assist, loss_main, loss_tough_assist, loss_tol_assist


@pytest.fixture
def case():
  r = np.random.default_rng(7)
  g = r.normal(size=(6, 8))
  return g + 0.3 * r.normal(size=g.shape), g, g + 0.2 * r.normal(size=g.shape), g + 0.4 * r.normal(size=g.shape)


@pytest.mark.parametrize("weights", [(2.0, 1.0, 1.0), (1.0, 0.5, 3.0)])
def test_matches_authors_transcription(case, weights):
  p, g, tough, tol = case
  total, main, t_a, tol_a = np_kd_loss(p, g, tough, tol, 1.9, -0.45, 1.8, -0.4, *weights)
  parts = LM.kd_landmark(jnp.asarray(p, jnp.float32), jnp.asarray(g, jnp.float32),
                         teacher_outputs=jnp.asarray(tough, jnp.float32),
                         tolerant_teacher_outputs=jnp.asarray(tol, jnp.float32),
                         main_weight=weights[0], tough_weight=weights[1], tolerant_weight=weights[2])
  assert set(parts) == {"main", "tough", "tolerant"}
  for key, want in (("main", main), ("tough", t_a), ("tolerant", tol_a)):
    np.testing.assert_allclose(float(jnp.mean(parts[key])), want, rtol=2e-5, atol=1e-7)
  np.testing.assert_allclose(float(sum(jnp.mean(v) for v in parts.values())), total, rtol=2e-5)
  # every region of both maps is exercised
  e, a = np.abs(p - g), np.abs(tough - g)
  assert (e > a).any() and ((e <= a) & (e >= 0.15 * a)).any() and (e < 0.15 * a).any()


def test_gradients_match_transcription(case):
  """Gradient of the total w.r.t. the prediction against central differences of the transcription (away
  from the kinks)."""
  p, g, tough, tol = case
  f = lambda x: sum(jnp.mean(v) for v in LM.kd_landmark(x, jnp.asarray(g), teacher_outputs=jnp.asarray(tough),
                                                         tolerant_teacher_outputs=jnp.asarray(tol)).values())
  with jax.enable_x64(True):
    grad = np.asarray(jax.grad(f)(jnp.asarray(p, jnp.float64)))
  h = 1e-6
  for idx in [(0, 0), (1, 3), (4, 7), (5, 2)]:
    d = np.zeros_like(p)
    d[idx] = h
    num = (np_kd_loss(p + d, g, tough, tol, 1.9, -0.45, 1.8, -0.4, 2.0, 1.0, 1.0)[0]
           - np_kd_loss(p - d, g, tough, tol, 1.9, -0.45, 1.8, -0.4, 2.0, 1.0, 1.0)[0]) / (2 * h)
    np.testing.assert_allclose(grad[idx], num, rtol=1e-3, atol=1e-6)


def test_perfect_student_and_no_teacher_gradient(case):
  _, g, tough, tol = (jnp.asarray(v, jnp.float32) for v in case)
  parts = LM.kd_landmark(g, g, teacher_outputs=tough, tolerant_teacher_outputs=tol)
  for v in parts.values():
    np.testing.assert_allclose(v, 0.0, atol=1e-7)
  p = jnp.asarray(case[0], jnp.float32)
  gt = jax.grad(lambda t: sum(v.sum() for v in LM.kd_landmark(p, g, teacher_outputs=t,
                                                               tolerant_teacher_outputs=tol).values()))(tough)
  assert not np.any(np.asarray(gt))


def test_l2_l1_and_nme_match_numpy(case):
  p, g = case[0], case[1]
  np.testing.assert_allclose(LM.landmark_l2(jnp.asarray(p), jnp.asarray(g)), ((p - g) ** 2).mean(-1), rtol=1e-5)
  np.testing.assert_allclose(LM.landmark_l1(jnp.asarray(p), jnp.asarray(g)), np.abs(p - g).mean(-1), rtol=1e-5)
  pp, gg = p.reshape(6, 4, 2), g.reshape(6, 4, 2)
  io = np.linalg.norm(gg[:, 0] - gg[:, 3], axis=-1)
  want = np.linalg.norm(pp - gg, axis=-1).mean(-1) / io
  np.testing.assert_allclose(LM.normalized_mean_error(jnp.asarray(p), jnp.asarray(g), eyes=(0, 3)), want, rtol=1e-5)


def test_nme_tool_on_a_hand_built_context(case):
  p, g = (np.asarray(v, np.float32) for v in case[:2])
  g = np.concatenate([g, g[:, :8], g[:, :8], g[:, :16]], -1)   # 20 landmarks: the tool's default eyes 5, 10
  p = np.concatenate([p, p[:, :8], p[:, :8], p[:, :16]], -1)
  ctx = types.SimpleNamespace(params={"shift": p - g}, x=g, labels=g,
                              apply=lambda params, x, train=False: x + params["shift"])
  out = ANALYSIS_TOOLS.get("landmark_nme")(ctx)
  np.testing.assert_allclose(out["nme"], float(jnp.mean(LM.normalized_mean_error(p, g))), rtol=1e-6)
  np.testing.assert_allclose(out["mse"], ((p - g) ** 2).mean(), rtol=1e-5)
  bad = types.SimpleNamespace(params=None, x=g, labels=g, apply=lambda params, x, train=False: x[:, :4])
  with pytest.raises(ValueError, match="landmark_nme"):
    ANALYSIS_TOOLS.get("landmark_nme")(bad)


def test_bad_input(case):
  p, g, tough, tol = (jnp.asarray(v, jnp.float32) for v in case)
  with pytest.raises(ValueError, match="tolerant_teacher_outputs"):
    LM.kd_landmark(p, g, teacher_outputs=tough, tolerant_teacher_outputs=tol[:, :4])
  with pytest.raises(ValueError, match="2K"):
    LM.landmark_l2(p[:, :7], g[:, :7])
  with pytest.raises(TypeError, match="float"):
    LM.landmark_l2(p, jnp.zeros(p.shape, jnp.int32))
  with pytest.raises(ValueError, match="band"):
    LM.kd_landmark(p, g, teacher_outputs=tough, tolerant_teacher_outputs=tol, band=2.0)


def test_declared():
  spec = LOSSES.spec("kd_landmark")
  assert set(spec.needs) == {"teacher_outputs", "tolerant_teacher_outputs"}
  assert tuple(spec.components) == ("main", "tough", "tolerant")


def test_bf16_and_jit(case):
  p, g, tough, tol = (jnp.asarray(v, jnp.float32) for v in case)
  f = lambda a, b, c, d: sum(LM.kd_landmark(a, b, teacher_outputs=c, tolerant_teacher_outputs=d).values())
  want = f(p, g, tough, tol)
  np.testing.assert_allclose(jax.jit(f)(p, g, tough, tol), want, rtol=1e-6)
  low = f(*(v.astype(jnp.bfloat16) for v in (p, g, tough, tol)))
  assert low.dtype == jnp.float32 and np.all(np.isfinite(np.asarray(low)))
  np.testing.assert_allclose(low, want, rtol=0.1, atol=0.02)
