"""lbrl.optim.adaptive: AdamW in the paper's form (Loshchilov & Hutter, arXiv:1711.05101, Algorithm 2)
with alpha read off the schedule (``base_learning_rate="initial"``), as the adamw reproduction tunes it:
a learning-rate grid alone must keep the per-step decay eta_t * lambda independent of alpha."""
import math

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
import pytest

import lbrl.optim as O
from lbrl.train.optimizer import make_optimizer

RNG = np.random.default_rng(0)
P = {"w": jnp.asarray(RNG.normal(size=(5, 3)), jnp.float32)}
ZERO = {"w": jnp.zeros((5, 3), jnp.float32)}


def _decay_after(tx, steps: int) -> np.ndarray:
  """The update at step ``steps`` (0-based) with a zero gradient: only the decoupled decay acts."""
  s = tx.init(P)
  for _ in range(steps + 1):
    u, s = tx.update(ZERO, s, P)
  return np.asarray(u["w"], np.float64)


@pytest.mark.parametrize("alpha", [1e-2, 3e-2, 1e-1])
def test_initial_base_rate_gives_the_papers_decay_under_the_trainers_cosine(alpha):
  """Through the trainer's optimizer factory (cosine to 0 over T steps, no warm-up): the decay at step t
  is eta_t * lambda * w with eta_t = (1 + cos(pi t / T)) / 2, the same for every alpha (float64 by hand)."""
  lam, total, t = 1e-3, 20, 7
  cfg = ml_collections.ConfigDict({
      "optimizer": {"name": "adamw_paper", "learning_rate": alpha, "base_learning_rate": "initial",
                    "weight_decay": lam},
      "schedule": {"name": "cosine", "warmup_steps": 0, "end_fraction": 0.0, "power": 1.0, "boundaries": [],
                   "factors": [], "timescale": 0},
      "grad_clip_norm": 0.0})
  tx, _ = make_optimizer(cfg, total)
  eta = 0.5 * (1.0 + math.cos(math.pi * t / total))
  np.testing.assert_allclose(_decay_after(tx, t), -eta * lam * np.asarray(P["w"], np.float64), rtol=1e-4)


def test_initial_base_rate_equals_giving_the_peak_and_refuses_a_warm_up():
  sched = optax.cosine_decay_schedule(0.05, 10)
  a = O.adamw_paper(sched, weight_decay=1e-2, base_learning_rate="initial")
  b = O.adamw_paper(sched, weight_decay=1e-2, base_learning_rate=0.05)
  np.testing.assert_allclose(_decay_after(a, 4), _decay_after(b, 4), rtol=1e-6)
  # a constant rate: "initial" is the rate itself
  np.testing.assert_allclose(_decay_after(O.adamw_paper(0.05, weight_decay=1e-2, base_learning_rate="initial"), 0),
                             -1e-2 * np.asarray(P["w"], np.float64), rtol=1e-5)
  warm = optax.warmup_cosine_decay_schedule(0.0, 0.05, 3, 10)
  with pytest.raises(ValueError, match="base_learning_rate='initial'.*warm-up"):
    O.adamw_paper(warm, weight_decay=1e-2, base_learning_rate="initial")
  with pytest.raises(ValueError, match="base_learning_rate='peak'.*'initial'"):
    O.adamw_paper(sched, weight_decay=1e-2, base_learning_rate="peak")
