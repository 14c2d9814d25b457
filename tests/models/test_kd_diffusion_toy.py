"""BOOT's 2-D toy (lbrl.models.diffusion_toy): energy distance against a float64 loop, DDIM with an exact
epsilon oracle, the student's boundary condition and the bootstrapping target."""
import jax
import jax.numpy as jnp
import numpy as np

from lbrl.models import diffusion_toy as D


def test_energy_distance_matches_a_loop_and_vanishes_on_identical_sets():
  rng = np.random.default_rng(0)
  x, y = rng.normal(size=(30, 2)), rng.normal(1.0, 1.0, size=(20, 2))
  d = lambda a, b: np.mean([np.linalg.norm(u - v) for u in a for v in b])
  np.testing.assert_allclose(D.energy_distance(x, y), 2 * d(x, y) - d(x, x) - d(y, y), rtol=1e-10)
  assert abs(D.energy_distance(x, x)) < 1e-12 and D.energy_distance(x, y) > 0


def test_ddim_step_is_exact_for_a_point_mass_teacher():
  """For data at a single point x0 the ideal epsilon is (x_t - alpha_t x0) / sigma_t; a teacher that returns
  it makes every DDIM step land on alpha_s x0 + sigma_s eps."""
  x0 = jnp.array([1.5, -0.5])
  eps = jax.random.normal(jax.random.PRNGKey(0), (5, 2))
  t, s = jnp.full((5,), 0.7), jnp.full((5,), 0.3)
  a_t, s_t = D.schedule(t)
  a_s, s_s = D.schedule(s)
  x_t = a_t[:, None] * x0 + s_t[:, None] * eps
  orig = D.mlp
  try:
    D.mlp = lambda params, x, tt: (x - D.schedule(tt)[0][:, None] * x0) / D.schedule(tt)[1][:, None]
    got = D.ddim_step(None, x_t, t, s)
  finally:
    D.mlp = orig
  np.testing.assert_allclose(got, a_s[:, None] * x0 + s_s[:, None] * eps, atol=1e-5)


def test_student_boundary_and_bootstrap_target():
  student = D.init_mlp(jax.random.PRNGKey(1), width=8)
  teacher = D.init_mlp(jax.random.PRNGKey(2), width=8)
  eps = jax.random.normal(jax.random.PRNGKey(3), (4, 2))
  t, delta = jnp.full((4,), 0.5), 0.1

  @jax.jit
  def pieces(student, teacher, eps, t):
    s = t - delta
    y_s = D.ddim_step(teacher, D.student_state(student, eps, t), t, s)
    a_s, s_s = D.schedule(s)
    target = (y_s - s_s[:, None] * eps) / a_s[:, None]
    return (D.student_state(student, eps, jnp.ones(4)), D.mlp(student, eps, s), target,
            D.boot_loss(student, teacher, eps, t, delta), jax.grad(D.boot_loss)(student, teacher, eps, t, delta))

  y1, pred, target, loss, g = pieces(student, teacher, eps, t)
  np.testing.assert_allclose(y1, eps, atol=1e-6)   # y_1 = eps
  np.testing.assert_allclose(float(loss), np.mean((np.asarray(pred) - np.asarray(target)) ** 2), rtol=1e-5)
  assert all(np.isfinite(np.asarray(w)).all() for w, _ in g)   # the target is stop-gradient
