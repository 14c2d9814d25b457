"""DOT against a NumPy transcription of the authors' DistillationOrientedTrainer (mdistiller,
engine/dot.py) and its stated special case (delta = 0 is SGD with momentum on the summed gradient)."""
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from lbrl.optim.distillation import dot


def _authors(params, g_task_seq, g_kd_seq, lr, momentum, delta, wd):
  """mdistiller's two-step update per parameter: step_kd() then step(); buffers start at the first grad."""
  p = params.copy()
  b_task = b_kd = None
  for g_t, g_k in zip(g_task_seq, g_kd_seq):
    d_p = g_t + wd * p
    b_task = d_p.copy() if b_task is None else (momentum - delta) * b_task + d_p
    p = p - lr * b_task
    b_kd = g_k.copy() if b_kd is None else (momentum + delta) * b_kd + g_k
    p = p - lr * b_kd
  return p


@pytest.mark.parametrize("delta,wd", [(0.075, 5e-4), (0.05, 0.0)])
def test_dot_matches_the_authors_update(delta, wd):
  r = np.random.default_rng(0)
  p0 = r.normal(size=(3, 4))
  gt = [r.normal(size=(3, 4)) for _ in range(5)]
  gk = [r.normal(size=(3, 4)) for _ in range(5)]
  tx = dot(0.05, momentum=0.9, delta=delta, weight_decay=wd)
  params = {"w": jnp.asarray(p0, jnp.float32)}
  state = tx.init(params)
  for a, b in zip(gt, gk):
    comp = {"task": {"w": jnp.float32(a)}, "distill": {"w": jnp.float32(b)}}
    u, state = tx.update(jax.tree.map(jnp.zeros_like, params), state, params, component_grads=comp)
    params = optax.apply_updates(params, u)
  np.testing.assert_allclose(params["w"], _authors(p0, gt, gk, 0.05, 0.9, delta, wd), rtol=1e-5, atol=1e-6)


def test_dot_without_delta_is_sgd_momentum_on_the_sum():
  r = np.random.default_rng(1)
  params = {"w": jnp.float32(r.normal(size=(5,)))}
  ref_tx = optax.chain(optax.add_decayed_weights(1e-3), optax.sgd(0.1, momentum=0.9))
  tx = dot(0.1, momentum=0.9, delta=0.0, weight_decay=1e-3)
  s, rs, p, rp = tx.init(params), ref_tx.init(params), params, params
  for _ in range(4):
    a, b = jnp.float32(r.normal(size=(5,))), jnp.float32(r.normal(size=(5,)))
    u, s = tx.update({"w": a + b}, s, p, component_grads={"task": {"w": a}, "distill": {"w": b}})
    ru, rs = ref_tx.update({"w": a + b}, rs, rp)
    p, rp = optax.apply_updates(p, u), optax.apply_updates(rp, ru)
  np.testing.assert_allclose(p["w"], rp["w"], rtol=1e-5, atol=1e-6)


def test_dot_refuses_missing_components_and_bad_momentum():
  tx = dot(0.1)
  params = {"w": jnp.zeros(2)}
  with pytest.raises(ValueError, match="component_grads"):
    tx.update(params, tx.init(params), params)
  with pytest.raises(ValueError, match="momentum"):
    dot(0.1, momentum=0.95, delta=0.075)
