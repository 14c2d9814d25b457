"""lbrl.losses.distillation.mtard (B-MTARD's two distillation terms) against a float64 NumPy KL."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.losses.distillation import mtard


def _np_kl(teacher, tau, student):
  t = teacher / tau
  p = np.exp(t - t.max(-1, keepdims=True))
  p /= p.sum(-1, keepdims=True)
  log_q = student - student.max(-1, keepdims=True)
  log_q = log_q - np.log(np.exp(log_q).sum(-1, keepdims=True))
  return (p * (np.log(p) - log_q)).sum(-1)


def test_mtard_terms_match_numpy_and_only_the_student_gets_gradients():
  r = np.random.default_rng(0)
  s, tn, ta = (r.normal(size=(5, 7)) * 2 for _ in range(3))
  y = np.array([0, 3, 6, -1, 2])   # -1: ignored
  out = mtard(jnp.asarray(s, jnp.float32), jnp.asarray(y), teacher_outputs=jnp.asarray(tn, jnp.float32),
              robust_teacher_outputs=jnp.asarray(ta, jnp.float32), temperature_nat=2.0, temperature_adv=0.5)
  valid = y >= 0
  np.testing.assert_allclose(np.asarray(out["nat"]), np.where(valid, _np_kl(tn, 2.0, s), 0.0), rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(np.asarray(out["adv"]), np.where(valid, _np_kl(ta, 0.5, s), 0.0), rtol=1e-5, atol=1e-6)
  g = jax.grad(lambda t: jnp.sum(mtard(jnp.asarray(s, jnp.float32), jnp.asarray(y), teacher_outputs=t,
                                       robust_teacher_outputs=t)["nat"]))(jnp.asarray(tn, jnp.float32))
  assert not np.any(np.asarray(g))
  same = mtard(jnp.asarray(tn, jnp.float32), jnp.asarray(y), teacher_outputs=jnp.asarray(tn, jnp.float32),
               robust_teacher_outputs=jnp.asarray(tn, jnp.float32))
  np.testing.assert_allclose(np.asarray(same["nat"]), 0.0, atol=1e-6)


@pytest.mark.parametrize("kw,match", [(dict(temperature_nat=0.0), "temperature_nat"),
                                      (dict(temperature_adv=-1.0), "temperature_adv")])
def test_mtard_bad_temperatures_are_named(kw, match):
  z = jnp.zeros((2, 3))
  with pytest.raises(ValueError, match=match):
    mtard(z, jnp.array([0, 1]), teacher_outputs=z, robust_teacher_outputs=z, **kw)
