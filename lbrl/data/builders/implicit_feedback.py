"""A synthetic implicit-feedback user-item set at MovieLens-100k scale (issue 20; SimpleX, slug ``simplex``).

No recommendation set is available offline, so :func:`generate` draws one deterministically from ``seed``:

1. latent factors ``P [U, r]``, ``Q [I, r]`` with i.i.d. ``N(0, 1 / r)`` entries (``r = rank``);
2. an item popularity bias ``b_i = -popularity * log(1 + pi_i)`` where ``pi`` is a random permutation of
   ``0..I-1`` (a Zipf-like long tail: the most popular item has ``b = 0``, the ``k``-th ``-popularity log k``);
3. the user-item affinity ``a_ui = sharpness * P_u . Q_i + b_i``;
4. each user's number of interactions ``n_u = min_interactions + Geometric(1 / (mean_interactions -
   min_interactions + 1)) - 1``, capped at ``I / 2`` (MovieLens-100k: 943 users, 1,682 items, every user with at
   least 20 ratings, 106 on average);
5. user ``u``'s items: ``n_u`` items drawn without replacement with probabilities ``softmax(a_u)`` (the
   Gumbel-top-``k`` trick: the ``n_u`` largest ``a_ui + Gumbel``);
6. per user, ``round(test_fraction * n_u)`` (at least 1) of those items, chosen uniformly, are held out as the
   ``test`` split; the rest are ``train``. Both splits list ``(user, item)`` interactions in a shuffled order,
   so a TFDS-style slice such as ``train[90%:]`` is a uniform validation hold-out of training interactions.

Arrays: ``x`` int32 ``[N, 2]`` = ``(user, item)``; ``label`` int32 ``[N, 1 + num_negatives]`` = ``(1, 0, ...,
0)``: the relevance of the positive item and of the ``num_negatives`` items the model samples after it
(:class:`lbrl.models.ranking.CFScorer`), so that the list losses of :mod:`lbrl.losses.ranking` read the row
as one list. ``meta``: ``num_users``, ``num_items``, ``implicit_feedback`` (the generator's options).
"""
from __future__ import annotations

import functools

import numpy as np

from lbrl.data import core

DEFAULTS = dict(num_users=943, num_items=1682, rank=8, sharpness=4.0, popularity=1.0, mean_interactions=106,
                min_interactions=20, test_fraction=0.2, seed=0)


def _check(num_users, num_items, rank, sharpness, popularity, mean_interactions, min_interactions,
           test_fraction, seed):
  for name, v in (("num_users", num_users), ("num_items", num_items), ("rank", rank),
                  ("min_interactions", min_interactions)):
    if int(v) != v or v < 1:
      raise ValueError(f"implicit_feedback: {name} must be a positive integer, got {v!r}")
  if not 2 * min_interactions <= num_items:
    raise ValueError(f"implicit_feedback: min_interactions={min_interactions} must be at most num_items / 2 "
                     f"({num_items} items)")
  if not mean_interactions >= min_interactions:
    raise ValueError(f"implicit_feedback: mean_interactions={mean_interactions} must be >= min_interactions="
                     f"{min_interactions}")
  if not 0.0 < test_fraction < 1.0:
    raise ValueError(f"implicit_feedback: test_fraction must be in (0, 1), got {test_fraction}")
  if sharpness < 0 or popularity < 0:
    raise ValueError(f"implicit_feedback: sharpness and popularity must be >= 0, got {sharpness}, {popularity}")
  if int(seed) != seed or seed < 0:
    raise ValueError(f"implicit_feedback: seed must be a non-negative integer, got {seed!r}")


@functools.lru_cache(maxsize=4)
def generate(num_users: int = 943, num_items: int = 1682, rank: int = 8, sharpness: float = 4.0,
             popularity: float = 1.0, mean_interactions: float = 106, min_interactions: int = 20,
             test_fraction: float = 0.2, seed: int = 0) -> dict[str, np.ndarray]:
  """``{"train": [N_train, 2], "test": [N_test, 2]}`` int32 ``(user, item)`` rows (see the module docstring)."""
  _check(num_users, num_items, rank, sharpness, popularity, mean_interactions, min_interactions, test_fraction,
         seed)
  rng = np.random.default_rng(int(seed))
  p = rng.normal(0.0, 1.0 / np.sqrt(rank), (num_users, rank))
  q = rng.normal(0.0, 1.0 / np.sqrt(rank), (num_items, rank))
  bias = -popularity * np.log1p(rng.permutation(num_items))
  affinity = sharpness * p @ q.T + bias
  extra = rng.geometric(1.0 / (mean_interactions - min_interactions + 1.0), num_users) - 1
  counts = np.minimum(min_interactions + extra, num_items // 2)
  keys = affinity + rng.gumbel(size=affinity.shape)
  train, test = [], []
  for u in range(num_users):
    items = np.argsort(-keys[u], kind="stable")[: counts[u]]
    n_test = max(1, int(round(test_fraction * counts[u])))
    held = rng.permutation(counts[u])[:n_test]
    is_test = np.zeros(counts[u], bool)
    is_test[held] = True
    test.append(np.stack([np.full(n_test, u), items[is_test]], 1))
    train.append(np.stack([np.full(counts[u] - n_test, u), items[~is_test]], 1))
  out = {}
  for name, rows in (("train", train), ("test", test)):
    rows = np.concatenate(rows).astype(np.int32)
    out[name] = rows[rng.permutation(len(rows))]
    out[name].flags.writeable = False
  return out


def load(split: str, *, data_dir: str = "", num_negatives: int = 100, **options) -> core.Dataset:
  """The ``split`` (``train`` or ``test``, optionally sliced: ``"train[90%:]"``) of :func:`generate`
  (``options`` override :data:`DEFAULTS`); ``data_dir`` is unused (nothing is written)."""
  del data_dir
  unknown = set(options) - set(DEFAULTS)
  if unknown:
    raise ValueError(f"implicit_feedback: unknown option(s) {sorted(unknown)}; known: {sorted(DEFAULTS)}, "
                     "num_negatives")
  if int(num_negatives) != num_negatives or num_negatives < 1:
    raise ValueError(f"implicit_feedback: num_negatives must be a positive integer, got {num_negatives!r}")
  opts = {**DEFAULTS, **options}
  splits = generate(**opts)
  base, _, _ = core.parse_split(split)
  if base not in splits:
    raise ValueError(f"implicit_feedback: split must be 'train' or 'test' (optionally sliced), got {split!r}")
  _, lo, hi = core.split_range(split, len(splits[base]))
  rows = splits[base][lo:hi]
  label = np.zeros((len(rows), 1 + int(num_negatives)), np.int32)
  label[:, 0] = 1.0
  meta = {"num_users": int(opts["num_users"]), "num_items": int(opts["num_items"]),
          "implicit_feedback": dict(opts, num_negatives=int(num_negatives))}
  return core.Dataset("implicit_feedback", split, {"x": rows, "label": label}, meta)
