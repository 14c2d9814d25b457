"""Generated answers: greedy decoding of a causal LM's answer tokens and the numeric error of what it writes.

Teacher-forced metrics (``digit_abs_error`` in :mod:`lbrl.metrics`) score each answer digit given the
*true* digits before it; a model is used by letting it write its own answer, where an early wrong digit
changes everything after it. :func:`greedy_decode` generates the answer from the prompt alone and
:func:`answer_errors` scores the generated digits against the true ones. Used by the number-token-loss
reproduction (Zausinger et al., "Regress, Don't Guess -- A Regression-like Loss on Number Tokens for
Language Models", 2024, arXiv:2411.02083; slug ``number_token_loss``), whose claim is about the
numbers a model produces.

:func:`greedy_answer_decode` wraps both as a post-training stage (:data:`lbrl.registry.POST_TRAINING`,
contract in :mod:`lbrl.train.stages`): after training it decodes the answers of a held-out split and
reports ``post/greedy_answer_decode/<metric>``; its ``apply`` is the identity (the final eval's logits are
unchanged). The trainer fits stages on a held-out split that may not overlap the eval split, so the
generated-answer metrics are measured on held-out training equations (e.g. ``train[90%:]`` with
``data.split_train="train[:90%]"``), not on the test split.
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np


def greedy_decode(logits_fn: Callable, tokens, start: int, num_new: int,
                  allowed: Sequence[int] | None = None):
  """Greedy decoding into a fixed-length buffer.

  ``tokens [B, T]`` holds the prompt up to and including position ``start``; ``logits_fn(tokens) ->
  [B, T, V]`` is a *causal* model (position ``p`` sees positions ``<= p`` only). Token ``i`` (``i = 0 ..
  num_new - 1``) is the arg-max of the logits at position ``start + i`` (over ``allowed`` token ids when
  given) and is written at position ``start + i + 1`` when that lies inside the buffer, so the next read
  sees the model's own token. Whatever the buffer holds after ``start`` on entry is overwritten before
  it can be read. Returns the generated ids ``[B, num_new]`` (int32).
  """
  tokens = jnp.asarray(tokens)
  if tokens.ndim != 2:
    raise ValueError(f"greedy_decode: tokens must be [batch, length], got shape {tokens.shape}")
  length = tokens.shape[1]
  if not (0 <= start and num_new >= 1 and start + num_new - 1 < length):
    raise ValueError(f"greedy_decode: start={start}, num_new={num_new} need 0 <= start and "
                     f"start + num_new - 1 < length={length}")
  ids = None if allowed is None else jnp.asarray(list(allowed), jnp.int32)
  if ids is not None and ids.size == 0:
    raise ValueError("greedy_decode: allowed must name at least one token id")
  pos = jnp.arange(length)

  def step(i, carry):
    buf, out = carry
    row = jax.lax.dynamic_index_in_dim(logits_fn(buf), start + i, axis=1, keepdims=False)   # [B, V]
    tok = (jnp.argmax(row, -1) if ids is None else ids[jnp.argmax(row[:, ids], -1)]).astype(buf.dtype)
    buf = jnp.where(pos[None, :] == start + i + 1, tok[:, None], buf)   # no-op past the buffer's end
    return buf, out.at[:, i].set(tok.astype(jnp.int32))

  _, out = jax.lax.fori_loop(0, num_new, step, (tokens, jnp.zeros((tokens.shape[0], num_new), jnp.int32)))
  return out


def answer_errors(generated, target, values: Sequence[float] | None = None) -> dict:
  """Per-example errors of generated answers ``[B, n]`` against the true answer tokens ``[B, n]``.

  ``values[token id]`` is the digit a token stands for (default: the id itself, as in
  ``arithmetic_text``'s vocabulary ``"0123456789+-*="``). Returns per-example arrays:
  ``digit_abs_error`` (mean over the answer's positions of ``|generated digit - true digit|``, the
  generated counterpart of the teacher-forced ``digit_abs_error``), ``exact`` (1 when every digit is
  right) and ``abs_error`` (``|value(generated) - value(true)|`` of the answers read as base-10 numbers,
  most significant digit first).
  """
  generated, target = jnp.asarray(generated), jnp.asarray(target)
  if generated.shape != target.shape or generated.ndim != 2:
    raise ValueError(f"answer_errors: generated {generated.shape} and target {target.shape} must be the same "
                     "[batch, answer length] shape")
  table = None if values is None else jnp.asarray(values, jnp.float32)
  digit = (lambda t: t.astype(jnp.float32)) if table is None else (lambda t: table[t])
  g, t = digit(generated), digit(target)
  place = 10.0 ** jnp.arange(generated.shape[1] - 1, -1, -1, dtype=jnp.float32)
  return {"digit_abs_error": jnp.mean(jnp.abs(g - t), -1),
          "exact": jnp.all(generated == target, -1).astype(jnp.float32),
          "abs_error": jnp.abs(jnp.sum((g - t) * place, -1))}


def answer_span(labels: np.ndarray) -> tuple[int, int]:
  """``(start, n)``: the answer occupies label positions ``start + 1 .. start + n`` of the text, i.e. the
  labels ``labels[:, start : start + n]`` are the answer (every row the same, ``-1`` elsewhere; the
  layout of ``arithmetic_text``, whose labels are the text shifted by one)."""
  labels = np.asarray(labels)
  scored = labels >= 0
  if labels.ndim != 2 or not scored.any():
    raise ValueError(f"answer_span: labels must be [batch, length] with scored (>= 0) answer positions, got "
                     f"shape {labels.shape}")
  cols = np.flatnonzero(scored[0])
  start, n = int(cols[0]), int(len(cols))
  if not (np.array_equal(cols, np.arange(start, start + n)) and (scored == scored[0]).all()):
    raise ValueError("answer_span: the scored label positions must be one contiguous span, the same in every row")
  return start, n


@dataclasses.dataclass
class GreedyAnswerDecode:
  """Post-training stage: greedy-decodes the answers of the held-out ``split`` (from the prompt alone,
  digits only) and reports the mean of :func:`answer_errors` over its examples."""
  split: str = "validation"
  digit_ids: tuple = tuple(range(10))
  batch_size: int = 500

  def fit(self, task, state, data, mesh, cfg):
    if task.spec.consumes != "logits":
      raise ValueError(f"greedy_answer_decode: needs a model that outputs logits; the loss consumes "
                       f"{task.spec.consumes!r}")
    x, labels = np.asarray(data.arrays["x"]), np.asarray(data.arrays["label"])
    start, n = answer_span(labels)
    variables = {"params": state.params, **state.model_state}
    logits_fn = lambda toks: task.model.apply(variables, toks, train=False)

    @jax.jit
    def errors(tokens, target):
      gen = greedy_decode(logits_fn, tokens, start, n, self.digit_ids)
      return {k: jnp.sum(v) for k, v in answer_errors(gen, target).items()}

    totals = None
    for i in range(0, len(x), self.batch_size):
      e = errors(jnp.asarray(x[i:i + self.batch_size]), jnp.asarray(labels[i:i + self.batch_size, start:start + n]))
      totals = e if totals is None else jax.tree.map(jnp.add, totals, e)
    return {k: v / len(x) for k, v in totals.items()} | {"num_examples": jnp.asarray(float(len(x)))}

  @staticmethod
  def apply(cal, logits):
    return logits

  @staticmethod
  def describe(cal):
    return {k: float(v) for k, v in cal.items()}


def greedy_answer_decode(split: str = "validation", batch_size: int = 500) -> GreedyAnswerDecode:
  """The stage as configs name it: ``dict(name="greedy_answer_decode", split="train[90%:]")``."""
  return GreedyAnswerDecode(split, batch_size=int(batch_size))
