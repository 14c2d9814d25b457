"""The sequential plasticity tool on a hand-built context (tiny shapes)."""
import types

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.analysis.norm_plasticity import sequential_plasticity
from lbrl.models.simple import MLP


def _ctx(norm="layer", seed=0):
  rng = np.random.default_rng(0)
  m = MLP(num_classes=4, hidden=(16,), norm=norm)
  p = m.init(jax.random.key(seed), jnp.zeros((1, 6)))["params"]
  return types.SimpleNamespace(model=m, init_params=p, init_model_state={}, x=rng.standard_normal((32, 6)),
                               labels=rng.integers(0, 4, 32), seed=seed)


def test_projection_keeps_kernel_norm_and_same_tasks_per_seed():
  kw = dict(tasks=4, steps_per_task=20, batch=8, learning_rate=1e-2, num_classes=4, window=2)
  s_nap, e_nap = sequential_plasticity(_ctx(), project=True, **kw)
  s_ln, e_ln = sequential_plasticity(_ctx(), project=False, **kw)
  assert s_nap["param_norm_growth"] == pytest.approx(1.0, rel=1e-5)   # every kernel back at its initial norm
  assert s_ln["param_norm_growth"] > 1.0                              # Adam without projection grows the norm
  assert s_nap["plasticity_drop"] == pytest.approx(s_nap["acc_first"] - s_nap["acc_last"])
  assert len(e_nap["plasticity"]["accuracy"]) == 4 and all(0 <= a <= 1 for a in e_nap["plasticity"]["accuracy"])
  again, _ = sequential_plasticity(_ctx(), project=True, **kw)        # deterministic in the seed
  assert again == s_nap
  s_perm, _ = sequential_plasticity(_ctx(), kind="permuted", **kw)
  assert 0 <= s_perm["acc_last"] <= 1


def test_bad_arguments():
  with pytest.raises(ValueError, match="kind"):
    sequential_plasticity(_ctx(), kind="shuffled")
  with pytest.raises(ValueError, match="tasks"):
    sequential_plasticity(_ctx(), tasks=1, window=1)
  ctx = _ctx()
  ctx.init_model_state = {"batch_stats": {"m": jnp.zeros(2)}}
  with pytest.raises(ValueError, match="mutable state"):
    sequential_plasticity(ctx)
