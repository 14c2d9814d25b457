"""The adaptive-batch estimator: its masked tests equal the unmasked tests on the used rows, a fixed
batch (test="none") equals plain training on a batch of that size, the batch grows under the norm test,
and a resumed run continues exactly (the batch size is in the checkpoint)."""
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl import config as common
from lbrl.optim import batch_rules
from lbrl.optim.adaptive_batch import adaptive_batch_estimator
from lbrl.optim.batch_rules import masked_tests
from lbrl.train import train
from tests.train._small import small_config

pytestmark = pytest.mark.heavy


def test_masked_tests_equal_tests_on_the_used_rows():
  rng = np.random.default_rng(0)
  grads = rng.normal(size=(12, 7)) + 0.3
  mask = np.arange(12) < 9
  t = masked_tests(jnp.asarray(grads, jnp.float32), jnp.asarray(mask), eta=0.7, theta=0.9, nu=5.84)
  sub = grads[:9]
  ref_norm = batch_rules.norm_test(sub, 0.7)
  ref_ip = batch_rules.inner_product_test(sub, 0.9, 5.84)
  np.testing.assert_allclose(t["mean"], sub.mean(0), rtol=1e-5)
  assert float(t["norm_required"]) == float(ref_norm["required"])
  assert float(t["ip_required"]) == float(ref_ip["required"])
  np.testing.assert_allclose(float(t["statistic"]), float(ref_norm["statistic"]), rtol=1e-4)
  # noise scale from per-example gradients (B_small = 1, B_big = b): float64 transcription of eq. A.1-A.2
  g = sub.mean(0)
  gsq, mean_sq = g @ g, np.mean(np.sum(sub ** 2, 1))
  np.testing.assert_allclose(float(t["b_simple"]), (9 * (mean_sq - gsq) / 8) / ((9 * gsq - mean_sq) / 8), rtol=1e-4)


def _cfg(steps, **est):
  cfg = small_config(steps=steps, log_every=1)
  with cfg.unlocked():
    cfg.grad_estimator = common.free(name="adaptive_batch", **est)
  return cfg


def test_fixed_batch_equals_plain_training_on_those_rows(tmp_path):
  """test="none" with b = 64 of 64 delivered rows: the plain trainer's update, to float tolerance."""
  plain = train(small_config(steps=3), str(tmp_path / "plain"), progress=False)
  est = train(_cfg(3, initial_batch=64, test="none"), str(tmp_path / "est"), progress=False)
  for a, b in zip(jax.tree.leaves(plain["state"].params), jax.tree.leaves(est["state"].params)):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=2e-4, atol=2e-6)
  assert est["train/estimator/examples"] == 3 * 64 and est["train/tokens"] == 3 * 64


def test_norm_test_grows_the_batch_and_resumes_exactly(tmp_path):
  kw = dict(initial_batch=4, test="norm", eta=0.5, multiple=4)
  full = train(_cfg(6, **kw), str(tmp_path / "full"), progress=False)
  sizes = [json.loads(l)["train/estimator/batch_size"] for l in open(tmp_path / "full" / "metrics.jsonl")
           if "train/estimator/batch_size" in l]
  assert sizes[0] >= 4 and sizes == sorted(sizes) and sizes[-1] > 4 and max(sizes) <= 64
  assert full["train/tokens"] == full["train/estimator/examples"] < 6 * 64
  wd = str(tmp_path / "split")
  train(_cfg(3, **kw), wd, progress=False)
  resumed = train(_cfg(6, **kw), wd, progress=False)
  for a, b in zip(jax.tree.leaves(full["state"]), jax.tree.leaves(resumed["state"])):
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_bad_settings_are_named(tmp_path):
  with pytest.raises(ValueError, match="grad_estimator.test"):
    adaptive_batch_estimator(initial_batch=4, test="variance")
  with pytest.raises(ValueError, match="initial_batch must be >= 2"):
    adaptive_batch_estimator(initial_batch=1)
  with pytest.raises(ValueError, match="grad_accum_steps=1"):
    train(small_config(steps=2, grad_accum_steps=2, grad_estimator=common.free(name="adaptive_batch", initial_batch=8)),
          str(tmp_path / "accum"), progress=False)
