"""Greedy decoding of answer tokens and generated-answer errors (lbrl.evaluation.generation) against NumPy
loops and hand-computed answers; the post-training stage on arithmetic_text's layout with oracle models."""
import types

import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.evaluation import generation as G

VOCAB = "0123456789+-*="


def _encode(texts):
  """arithmetic_text's layout: x = text[:-1], label = text[1:] with -1 on the prompt positions."""
  ids = np.array([[VOCAB.index(ch) for ch in t] for t in texts], np.int32)
  eq = texts[0].index("=")
  labels = ids[:, 1:].copy()
  labels[:, :eq] = -1
  return ids[:, :-1], labels


def _equations(n, rng):
  a, b = rng.integers(0, 1000, n), rng.integers(0, 1000, n)
  return [f"{x:03d}*{y:03d}={x * y:06d}" for x, y in zip(a, b)], a * b


def _one_hot_logits(next_tok, vocab=len(VOCAB)):
  return jnp.asarray(np.eye(vocab, dtype=np.float32)[next_tok])


def test_greedy_decode_matches_a_numpy_loop_and_ignores_what_follows_the_prompt():
  rng = np.random.default_rng(0)
  tokens = rng.integers(0, 10, (4, 9)).astype(np.int32)
  start, n = 3, 6

  def model(buf):  # causal: the next token is (sum of the prefix up to p) mod 10, written as one-hot logits
    return _one_hot_logits(np.asarray(jnp.cumsum(buf, 1) % 10))

  def model_jax(buf):
    return jnp.eye(len(VOCAB))[jnp.cumsum(buf, 1) % 10]

  want = np.zeros((4, n), np.int32)
  buf = tokens.copy()
  for i in range(n):                      # reference: a plain loop over numpy arrays
    nxt = np.asarray(model(buf))[:, start + i].argmax(-1)
    want[:, i] = nxt
    if start + i + 1 < buf.shape[1]:
      buf[:, start + i + 1] = nxt
  got = np.asarray(G.greedy_decode(model_jax, tokens, start, n))
  np.testing.assert_array_equal(got, want)
  garbage = tokens.copy()
  garbage[:, start + 1:] = 13                                     # "=" everywhere after the prompt
  np.testing.assert_array_equal(np.asarray(G.greedy_decode(model_jax, garbage, start, n)), want)


def test_greedy_decode_restricts_to_allowed_ids_and_checks_its_arguments():
  tokens = np.zeros((2, 5), np.int32)
  logits_fn = lambda buf: jnp.broadcast_to(jnp.arange(14.0), buf.shape + (14,))   # token 13 always wins
  assert (np.asarray(G.greedy_decode(logits_fn, tokens, 1, 3)) == 13).all()
  assert (np.asarray(G.greedy_decode(logits_fn, tokens, 1, 3, allowed=range(10))) == 9).all()
  with pytest.raises(ValueError, match="start"):
    G.greedy_decode(logits_fn, tokens, 2, 4)
  with pytest.raises(ValueError, match="batch, length"):
    G.greedy_decode(logits_fn, tokens[0], 1, 2)


def test_answer_errors_by_hand():
  gen = np.array([[0, 0, 4, 1, 4, 0], [1, 0, 0, 0, 0, 0], [0, 5, 5, 5, 5, 5]])
  tgt = np.array([[0, 0, 4, 1, 4, 1], [0, 9, 9, 9, 9, 9], [0, 5, 5, 5, 5, 5]])
  e = {k: np.asarray(v) for k, v in G.answer_errors(gen, tgt).items()}
  np.testing.assert_allclose(e["digit_abs_error"], [1 / 6, (1 + 9 * 5) / 6, 0.0])
  np.testing.assert_array_equal(e["exact"], [0, 0, 1])
  np.testing.assert_allclose(e["abs_error"], [1, 1, 0])               # 004140 vs 004141; 100000 vs 099999
  with pytest.raises(ValueError, match="same"):
    G.answer_errors(gen[:, :3], tgt)


def test_answer_span_of_arithmetic_text_labels():
  x, labels = _encode(["012*345=004140", "999*999=998001"])
  assert G.answer_span(labels) == (7, 6) and x.shape == (2, 13)
  bad = labels.copy()
  bad[1, 9] = -1
  with pytest.raises(ValueError, match="contiguous"):
    G.answer_span(bad)


def _stage_task(model_fn):
  model = types.SimpleNamespace(apply=lambda variables, toks, train: model_fn(toks))
  return types.SimpleNamespace(spec=types.SimpleNamespace(consumes="logits"), model=model)


def test_stage_scores_generated_answers_not_teacher_forced_ones():
  rng = np.random.default_rng(1)
  texts, products = _equations(40, rng)
  x, labels = _encode(texts)
  data = types.SimpleNamespace(arrays={"x": x, "label": labels})
  state = types.SimpleNamespace(params={}, model_state={})
  place = jnp.asarray([100, 10, 1])

  def oracle(toks):      # reads a and b from the prompt and writes the product's digits: exact answers
    a, b = toks[:, 0:3] @ place, toks[:, 4:7] @ place
    digits = ((a * b)[:, None] // 10 ** jnp.arange(5, -1, -1)) % 10            # [B, 6]
    nxt = jnp.concatenate([jnp.zeros((toks.shape[0], 7), toks.dtype), digits], 1)[:, :toks.shape[1]]
    return jnp.eye(len(VOCAB))[nxt]

  stage = G.greedy_answer_decode(split="train[90%:]", batch_size=20)
  cal = stage.fit(_stage_task(oracle), state, data, None, None)
  assert stage.describe(cal) == {"digit_abs_error": 0.0, "exact": 1.0, "abs_error": 0.0, "num_examples": 40.0}
  logits = jnp.ones((2, 14))
  assert stage.apply(cal, logits) is logits

  def copier(toks):      # predicts "the previous answer digit + 1": right under teacher forcing only if the
    return jnp.eye(len(VOCAB))[(toks + 1) % 10]   # answer counts up; generated, it counts from its own guess

  d = stage.describe(stage.fit(_stage_task(copier), state, data, None, None))
  gen = np.zeros((40, 6), np.int64)                   # the copier's own answer: "=" (13) + 1 -> 4, then 5, 6, ...
  gen[:, 0] = (13 + 1) % 10
  for i in range(1, 6):
    gen[:, i] = (gen[:, i - 1] + 1) % 10
  tgt = labels[:, 7:13]
  want_digit = np.mean(np.abs(gen - tgt))
  want_abs = np.mean(np.abs(gen @ 10 ** np.arange(5, -1, -1) - products))
  assert np.isclose(d["digit_abs_error"], want_digit, rtol=1e-6) and np.isclose(d["abs_error"], want_abs, rtol=1e-6)
  assert d["exact"] == 0.0
