"""The finite-domain knowledge-transfer simulation (Zhao & Zhu 2023, arXiv:2310.07838): the closed-form
learners are the minimisers of lbrl's level-2 losses, reached here by L-BFGS on tabular logits."""
import types

import jax
import ml_collections
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.analysis import kd_finite_domain as kfd
from lbrl.evaluation._common import lbfgs_minimize
from lbrl.losses import distillation


def _dataset(seed=0, s=3, a=4, n=60):
  rng = np.random.default_rng(seed)
  teacher = kfd.teacher_table(rng, s, a)
  counts = kfd.sample_counts(rng, teacher, n)
  xs, ys = np.nonzero(counts)
  reps = counts[xs, ys]
  return teacher, counts, np.repeat(xs, reps), np.repeat(ys, reps)


def _fit(loss_fn, teacher, xs, ys, s, a):
  t_logits = jnp.log(jnp.asarray(teacher, jnp.float32))[xs]

  def total(z):
    return jnp.mean(loss_fn(z[xs], jnp.asarray(ys), teacher_outputs=t_logits))

  return np.asarray(jax.nn.softmax(lbfgs_minimize(total, jnp.zeros((s, a), jnp.float32), iters=300), -1))


def test_sel_minimiser_is_the_level2_learner():
  teacher, counts, xs, ys = _dataset()
  fitted = _fit(distillation.partial_soft_label_sel, teacher, xs, ys, 3, 4)
  np.testing.assert_allclose(fitted, kfd.learner("sel", counts, teacher), atol=2e-3)


def test_ce_minimiser_is_biased_towards_count_weighted_teacher():
  teacher, counts, xs, ys = _dataset(seed=1)
  fitted = _fit(distillation.partial_soft_label_ce, teacher, xs, ys, 3, 4)
  expected = kfd.learner("ce", counts, teacher)
  seen = counts > 0
  np.testing.assert_allclose(fitted[seen], expected[seen], atol=2e-2)


def test_ce_limit_is_teacher_squared():
  """The paper's bias: with many samples, n(x, a) ~ n(x) pi*(a|x), so the CE learner ~ pi*^2 / sum pi*^2."""
  rng = np.random.default_rng(0)
  teacher = kfd.teacher_table(rng, 4, 5)
  counts = kfd.sample_counts(rng, teacher, 2_000_000)
  sq = teacher ** 2 / np.sum(teacher ** 2, 1, keepdims=True)
  np.testing.assert_allclose(kfd.learner("ce", counts, teacher), sq, atol=3e-3)
  np.testing.assert_allclose(kfd.learner("mle", counts, teacher), teacher, atol=3e-3)


def test_learners_on_hand_counts():
  teacher = np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])
  counts = np.array([[2, 1, 0], [0, 0, 0]])
  np.testing.assert_allclose(kfd.learner("mle", counts, teacher), [[2 / 3, 1 / 3, 0], [1 / 3] * 3])
  np.testing.assert_allclose(kfd.learner("sel", counts, teacher), [[0.5, 0.3, 0.2], [1 / 3] * 3])
  np.testing.assert_allclose(kfd.learner("ce", counts, teacher), [[1.0 / 1.3, 0.3 / 1.3, 0], [1 / 3] * 3])
  np.testing.assert_allclose(kfd.learner("kl", counts, teacher), [[0.5, 0.3, 0.2], [1 / 3] * 3])
  assert kfd.tv_error(kfd.learner("kl", counts, teacher), teacher) == pytest.approx(0.5 * (0.7 / 3 * 2 + 0.8 - 1 / 3) / 2)


def test_losses_match_float64_transcription():
  rng = np.random.default_rng(3)
  s, t = rng.normal(size=(6, 5)), rng.normal(size=(6, 5))
  y = np.array([0, 4, 2, 2, -1, 1])
  ls = s - np.log(np.exp(s).sum(1, keepdims=True))
  lt = t - np.log(np.exp(t).sum(1, keepdims=True))
  idx = np.clip(y, 0, 4)
  valid = y >= 0
  sel = np.where(valid, (ls[np.arange(6), idx] - lt[np.arange(6), idx]) ** 2, 0)
  ce = np.where(valid, -np.exp(lt[np.arange(6), idx]) * ls[np.arange(6), idx], 0)
  args = (jnp.asarray(s, jnp.float32), jnp.asarray(y))
  np.testing.assert_allclose(distillation.partial_soft_label_sel(*args, teacher_outputs=jnp.asarray(t, jnp.float32)),
                             sel, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(distillation.partial_soft_label_ce(*args, teacher_outputs=jnp.asarray(t, jnp.float32)),
                             ce, rtol=1e-5, atol=1e-6)
  with pytest.raises(ValueError, match="teacher_outputs"):
    distillation.partial_soft_label_sel(*args, teacher_outputs=jnp.zeros((6, 4)))


def test_tool_pairs_learners_over_seed_and_checks_input():
  ctx = types.SimpleNamespace(seed=7)
  kw = dict(num_inputs=20, num_labels=5, sizes=(20, 80), repeats=3)
  a, rec = kfd.knowledge_transfer_simulation(ctx, learner="sel", **kw)
  b, _ = kfd.knowledge_transfer_simulation(ctx, learner="mle", **kw)
  assert set(a) == {"tv_n20", "tv_n80", "tv_last"} and rec["sizes"] == [20, 80]
  assert a["tv_last"] < b["tv_last"]
  with pytest.raises(ValueError, match="learner"):
    kfd.knowledge_transfer_simulation(ctx, learner="x", **kw)
  with pytest.raises(ValueError, match="sizes"):
    kfd.knowledge_transfer_simulation(ctx, learner="sel", num_inputs=5, num_labels=3, sizes=(80, 20))
  with pytest.raises(ValueError, match="input distribution"):
    kfd.input_distribution(5, "gauss")


def test_tool_reads_the_learner_from_the_runs_config():
  kw = dict(num_inputs=20, num_labels=5, sizes=(20, 80), repeats=3)
  ctx = types.SimpleNamespace(seed=7, cfg=ml_collections.ConfigDict({"analysis": {"kwargs": dict(kw, learner="mle")}}))
  a, rec = kfd.knowledge_transfer_simulation(ctx, **kw)
  assert rec["learner"] == "mle"
