"""Variable-length ranking lists padded to a fixed size (grade -1, all-zero features, as allRank pads
MSLR-WEB30K): the data option that makes them, and the trainer masking them end to end - the list model's
attention (``where=``), the ranking loss and the per-list metrics see only the real items."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.metrics import ndcg_score

from lbrl import config as common
from lbrl.data import core
from lbrl.train import train, trainer

OPTS = dict(num_train=96, num_test=40, list_size=10, num_features=8)


def test_padded_lists_keep_the_real_items_and_pad_with_grade_minus_one():
  full = core.load("ranking_lists", "test", **OPTS)
  pad = core.load("ranking_lists", "test", **OPTS, min_list_size=4)
  x, y = pad.arrays["x"], pad.arrays["label"]
  real = y >= 0
  n = real.sum(-1)
  assert n.min() >= 4 and n.max() <= 10 and len(set(n.tolist())) > 3          # lengths vary in [4, 10]
  assert np.all(real == (np.arange(10)[None] < n[:, None]))                  # real items first, then padding
  assert np.all(x[~real] == 0.0)
  np.testing.assert_array_equal(x[real], full.arrays["x"][real])              # the same items as unpadded
  np.testing.assert_array_equal(y[real], full.arrays["label"][real])
  with pytest.raises(ValueError, match="min_list_size"):
    core.load("ranking_lists", "test", **OPTS, min_list_size=11)


def _config(model):
  c, _ = common.base("variant=cpu")
  c.data.update(name="ranking_lists", batch_size=16, eval_batch_size=40)
  c.data.options = common.free(**OPTS, min_list_size=4)
  c.model = model
  c.loss = common.free(name="neural_ndcg")
  c.optimizer = common.free(name="adam", learning_rate=1e-2)
  c.eval_metrics = ["loss", "ndcg"]
  c.steps, c.log_every = 3, 3
  return common.finalize(c)


def test_padded_items_change_nothing_in_the_model_loss_or_metrics(tmp_path):
  cfg = _config(common.free(name="list_transformer", d_model=16, d_ff=32, num_layers=1, dropout=0.0))
  out = train(cfg, str(tmp_path / "wd"), progress=False)
  state, task = out["state"], out["task"]
  assert task.model_takes_where
  test = core.load("ranking_lists", "test", **dict(cfg.data.options))
  x, y = jnp.asarray(test.arrays["x"]), jnp.asarray(test.arrays["label"])
  labels, items = trainer.list_items(task, y)
  assert bool(jnp.all(items == (y >= 0))) and int(labels.min()) == 0

  def scores_and_loss(x):
    s, _ = trainer.apply_model(task, state.params, state.model_state, x, False, items=items)
    values, _ = trainer.call_loss(task, s, labels, items, step=0, rng=jax.random.PRNGKey(0))
    return s, values

  s, values = scores_and_loss(x)
  noisy = jnp.where(items[..., None], x, 5.0 * jax.random.normal(jax.random.PRNGKey(1), x.shape))
  s2, values2 = scores_and_loss(noisy)        # anything in the padded rows: the same real scores and loss
  np.testing.assert_allclose(np.where(items, s2, 0), np.where(items, s, 0), rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(values2, values, rtol=1e-5, atol=1e-6)
  # without the mask the noisy rows would count as documents (the model's all-zero-row fallback)
  s3 = task.model.apply({"params": state.params, **state.model_state}, noisy, train=False)
  assert float(jnp.max(jnp.abs(jnp.where(items, s3 - s, 0)))) > 1e-4
  # the logged eval NDCG is over real items only (sklearn on each list's real block)
  sc, rel = np.asarray(s, np.float64), np.asarray(y, np.float64)
  want = np.mean([ndcg_score(2 ** rel[i:i + 1, :k] - 1, sc[i:i + 1, :k]) if rel[i, :k].max() > 0 else 0.0
                  for i, k in enumerate(np.asarray(items).sum(-1))])
  assert out["eval/ndcg"] == pytest.approx(want, abs=1e-5)
  n = np.asarray(items).sum(-1)            # the eval loss weighs each list by its real items (the items counted)
  assert out["eval/num_examples"] == n.sum()
  assert out["eval/loss"] == pytest.approx(float(np.sum(np.asarray(values) * n) / n.sum()), rel=1e-5)
