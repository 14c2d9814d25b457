"""CFScorer: matrix factorisation with sampled negatives (SimpleX's MF backbone)."""
import jax
import numpy as np
import pytest

from lbrl.models.ranking import CFScorer


def _init(**kw):
  m = CFScorer(num_users=5, num_items=30, dim=8, num_negatives=6, **kw)
  x = np.array([[0, 3], [4, 29], [2, 0]], np.int32)
  return m, x, m.init({"params": jax.random.key(0), "dropout": jax.random.key(0)}, x)


@pytest.mark.parametrize("score", ["cosine", "dot"])
def test_scores_match_embeddings(score):
  m, x, v = _init(score=score, scale=2.0)
  u, it = np.asarray(v["params"]["user"]["embedding"]), np.asarray(v["params"]["item"]["embedding"])
  if score == "cosine":
    u, it = u / np.linalg.norm(u, axis=1, keepdims=True), it / np.linalg.norm(it, axis=1, keepdims=True)
  full = 2.0 * u @ it.T                                                   # [users, items]
  all_items = np.asarray(m.apply(v, x[:, :1]))
  np.testing.assert_allclose(all_items, full[x[:, 0]], rtol=1e-5, atol=1e-5)
  s = np.asarray(m.apply(v, x))
  assert s.shape == (3, 7)
  np.testing.assert_allclose(s[:, 0], full[x[:, 0], x[:, 1]], rtol=1e-5, atol=1e-5)
  # every negative's score is the full table's score of some item
  assert all(np.isclose(full[x[b, 0]][None], s[b, 1:, None], atol=1e-5).any(1).all() for b in range(3))
  if score == "cosine":
    assert np.abs(s).max() <= 2.0 + 1e-5


def test_negatives_fresh_in_training_fixed_in_eval():
  m, x, v = _init()
  ev1, ev2 = m.apply(v, x), m.apply(v, x)
  np.testing.assert_array_equal(ev1, ev2)
  tr1 = m.apply(v, x, train=True, rngs={"dropout": jax.random.key(1)})
  tr2 = m.apply(v, x, train=True, rngs={"dropout": jax.random.key(2)})
  np.testing.assert_array_equal(tr1[:, 0], ev1[:, 0])
  assert not np.allclose(tr1[:, 1:], tr2[:, 1:])


def test_bad_input():
  m, x, v = _init()
  with pytest.raises(ValueError, match="x must be"):
    m.apply(v, np.zeros((3, 3), np.int32))
  with pytest.raises(ValueError, match="score"):
    _init(score="l2")


def test_shared_negatives_score_one_item_set_for_every_row():
  m, x, v = _init(shared_negatives=True)
  u, it = np.asarray(v["params"]["user"]["embedding"]), np.asarray(v["params"]["item"]["embedding"])
  u, it = u / np.linalg.norm(u, axis=1, keepdims=True), it / np.linalg.norm(it, axis=1, keepdims=True)
  full = (u @ it.T)[x[:, 0]]                                             # [B, items]
  s = np.asarray(m.apply(v, x, train=True, rngs={"dropout": jax.random.key(3)}))
  np.testing.assert_allclose(s[:, 0], full[np.arange(3), x[:, 1]], rtol=1e-5, atol=1e-5)
  # column k is the same item for every row: some item matches all rows' scores at once
  for k in range(1, s.shape[1]):
    assert np.isclose(full, s[:, k:k + 1], atol=1e-5).all(0).any()


@pytest.mark.parametrize("init, std", [("normal", 1.0), ("xavier", (2.0 / (400 + 64)) ** 0.5)])
def test_embedding_inits(init, std):
  m = CFScorer(num_users=400, num_items=400, dim=64, num_negatives=2, embed_init=init)
  v = m.init({"params": jax.random.key(0)}, np.zeros((1, 2), np.int32))
  got = np.asarray(v["params"]["user"]["embedding"]).std()
  assert abs(got / std - 1) < 0.03
  with pytest.raises(ValueError, match="embed_init"):
    CFScorer(num_users=4, num_items=4, embed_init="zeros").init({"params": jax.random.key(0)}, np.zeros((1, 2), np.int32))
