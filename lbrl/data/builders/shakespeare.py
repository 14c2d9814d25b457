"""Tiny Shakespeare at character level (Karpathy, char-rnn, 2015): 1,115,394 characters of
Shakespeare's plays (public domain), 65 distinct characters.

Source: a local copy of ``tinyshakespeare.txt``, looked up in this order: the ``path`` option, the
``$LBRL_SHAKESPEARE`` variable, ``<repo>/../shared/data/tinyshakespeare.txt`` (the CI layout), then
``/work/shared/data/tinyshakespeare.txt``. A missing file is an error that names the paths tried.

Vocabulary: the sorted distinct characters of the whole file (token id = rank); it is stored in the
dataset's metadata and returned as ``meta["vocab"]`` (with ``vocab_size``) for decoding samples.
Split: the first 90% of the characters (1,003,854) train, the last 10% (111,540) ``validation``
(``test`` is an alias), as in nanoGPT's ``shakespeare_char``.

The builder stores each split as records of ``CHUNK`` consecutive tokens. Loading expands a split into
next-token windows of length ``context`` (default 64): ``x[i] = tokens[s*i : s*i + context]``,
``label[i] = tokens[s*i + 1 : s*i + context + 1]``, with stride ``s = train_stride`` (default 1: every
offset, like sampling random offsets) for ``train`` and ``eval_stride`` (default ``context``:
non-overlapping windows, every validation character predicted once) otherwise. The windows are
read-only views of one token array (no copy).
"""
from __future__ import annotations

import dataclasses
import hashlib
import os

import numpy as np
import tensorflow_datasets as tfds

from lbrl.data import core

CHUNK = 1024
FILE_NAME = "tinyshakespeare.txt"


def candidate_paths(path: str = "") -> list[str]:
  """The places searched for the text, in order."""
  repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
  out = [path] if path else []
  if os.environ.get("LBRL_SHAKESPEARE"):
    out.append(os.environ["LBRL_SHAKESPEARE"])
  out += [os.path.join(os.path.dirname(repo), "shared", "data", FILE_NAME), f"/work/shared/data/{FILE_NAME}"]
  return out


def find_text(path: str = "") -> str:
  """The first existing candidate path; ``path`` given and missing is an error by itself."""
  if path and not os.path.isfile(path):
    raise FileNotFoundError(f"tiny_shakespeare: data.options.path={path!r} does not exist")
  for p in candidate_paths(path):
    if os.path.isfile(p):
      return p
  raise FileNotFoundError(f"tiny_shakespeare: {FILE_NAME} not found; tried {candidate_paths(path)}. Set "
                          f"data.options.path (or $LBRL_SHAKESPEARE) to a copy of the file.")


@dataclasses.dataclass
class ShakespeareConfig(tfds.core.BuilderConfig):
  path: str = ""


class TinyShakespeareChar(tfds.core.GeneratorBasedBuilder):
  """Tiny Shakespeare, character tokens in chunks of CHUNK."""

  VERSION = tfds.core.Version("1.0.0")
  BUILDER_CONFIGS = [ShakespeareConfig(name="default")]

  def _info(self):
    return tfds.core.DatasetInfo(
        builder=self, description=__doc__,
        features=tfds.features.FeaturesDict({
            "tokens": tfds.features.Tensor(shape=(CHUNK,), dtype=np.int32),
            "length": tfds.features.Scalar(dtype=np.int32),
            "index": tfds.features.Scalar(dtype=np.int32),
        }),
        metadata=tfds.core.MetadataDict(),
        homepage="https://github.com/karpathy/char-rnn")

  def _split_generators(self, dl_manager):
    with open(find_text(self.builder_config.path), encoding="utf-8") as f:
      text = f.read()
    vocab = "".join(sorted(set(text)))
    self.info.metadata["vocab"] = vocab
    table = {ch: i for i, ch in enumerate(vocab)}
    tokens = np.array([table[ch] for ch in text], dtype=np.int32)
    n = int(0.9 * len(tokens))
    return {"train": self._generate_examples(tokens[:n]), "validation": self._generate_examples(tokens[n:])}

  def _generate_examples(self, tokens):
    for i, start in enumerate(range(0, len(tokens), CHUNK)):
      piece = tokens[start:start + CHUNK]
      yield i, {"tokens": np.pad(piece, (0, CHUNK - len(piece))), "length": len(piece), "index": i}


def _config(path: str = ""):
  if not path:
    return ShakespeareConfig(name="default")
  with open(find_text(path), "rb") as f:  # the name follows the content, so a copy shares the cache
    digest = hashlib.sha256(f.read()).hexdigest()[:12]
  return ShakespeareConfig(name=f"sha={digest}", path=path)


def read_tokens(builder, split: str) -> np.ndarray:
  """The split's token stream, in text order."""
  base, lo, hi = core.parse_split(split)
  if base not in builder.info.splits:
    raise ValueError(f"tiny_shakespeare has no split {split!r}; splits: {sorted(builder.info.splits)} (with an "
                     "optional slice, e.g. 'train[:90%]': a contiguous part of the text)")
  source = builder.as_data_source(split=base)
  recs = sorted(source.__getitems__(range(len(source))), key=lambda r: int(r["index"]))
  tokens = np.concatenate([np.asarray(r["tokens"])[: int(r["length"])] for r in recs])
  # a slice cuts the text itself (bounds in tokens or percent of them), not the stored records, so the
  # two sides of "train[:90%]" / "train[90%:]" are contiguous, disjoint stretches of text
  n = len(tokens)
  return tokens[core.slice_bound(lo, n, 0):core.slice_bound(hi, n, n)]


def windows(tokens: np.ndarray, context: int, stride: int) -> dict[str, np.ndarray]:
  """Next-token windows ``x [N, context]``, ``label [N, context]`` as read-only strided views."""
  if context < 1 or stride < 1:
    raise ValueError(f"context and stride must be >= 1, got context={context}, stride={stride}")
  if len(tokens) <= context:
    raise ValueError(f"split has {len(tokens)} tokens, too few for context={context}")
  view = np.lib.stride_tricks.sliding_window_view(tokens, context + 1)[::stride]
  return {"x": view[:, :-1], "label": view[:, 1:]}


def load(split: str, *, data_dir: str = "", path: str = "", context: int = 64, train_stride: int = 1,
         eval_stride: int = 0, role: str | None = None) -> core.Dataset:
  """``split`` in {train, validation, test (= validation)}, optionally sliced (``"train[:90%]"``,
  ``"train[90%:]"``: contiguous parts of the text, for tuning on held-out text), as next-token windows (see
  module doc). The stride is ``train_stride`` for a split trained on (``role="train"``, or without a role
  a split of ``train``) and ``eval_stride`` (default ``context``) for a split evaluated on (``role="eval"``:
  a held-out slice of ``train`` is scored once per character, not once per window offset)."""
  builder = core.prepare(TinyShakespeareChar, data_dir or core.default_data_dir(), _config(path))
  name = "validation" if split == "test" else split
  tokens = read_tokens(builder, name)
  trained = role == "train" if role is not None else core.parse_split(name)[0] == "train"
  stride = int(train_stride) if trained else int(eval_stride or context)
  vocab = builder.info.metadata["vocab"]
  return core.Dataset("tiny_shakespeare", split, windows(tokens, int(context), stride),
                      {"vocab_size": len(vocab), "vocab": vocab, "num_tokens": len(tokens)})


def decode(ids, vocab: str) -> str:
  return "".join(vocab[int(i)] for i in ids)
