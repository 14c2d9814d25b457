"""Generated tasks as offline TFDS builders (deterministic given their options; no source files).

``modular_arithmetic``: every equation ``a op b = c (mod p)`` (Power et al., "Grokking: Generalization
Beyond Overfitting on Small Algorithmic Datasets", 2022, arXiv:2201.02177). Options: ``p=97``,
``op`` in {"+", "-", "*", "/"} (division: ``a * b^-1``, b != 0; p must be prime), ``train_fraction=0.5``,
``seed=0``. ``x`` = tokens ``[a, b, OP, EQ]`` with ``OP = p``, ``EQ = p + 1`` (vocab_size ``p + 2``),
``label = c`` in ``[0, p)``. All ``p^2`` pairs (``p (p-1)`` for "/") are shuffled by ``seed`` and the
first ``round(train_fraction * n)`` train; the rest is ``test``.

``gaussian_mixture``: ``num_classes`` equally likely classes, ``x | y=k ~ N(separation * mu_k, std^2 I)``
in ``dim`` dimensions, ``mu_k`` unit vectors (orthonormal when ``num_classes <= dim``, else random unit
vectors from ``seed``). Overlap grows as ``separation / std`` shrinks. Options: ``num_classes=4``,
``dim=2``, ``separation=3.0``, ``std=1.0``, ``num_train=2000``, ``num_test=1000``, ``seed=0``, and
``class_probs=()`` (equal priors); a list of ``num_classes`` priors draws both splits with those class
frequencies (an imbalanced test set, as in tagging where the background class dominates at test time too).

``arithmetic_text``: multi-digit ``a op b = c`` as characters for language models and number-token
losses (e.g. Zausinger et al., "Regress, Don't Guess", 2024, arXiv:2411.02083). Operands have
``num_digits`` digits (zero-padded), the answer ``answer_digits`` (``num_digits + 1`` for "+",
``2 * num_digits`` for "*", ``num_digits`` plus a sign for "-"). Text ``"012+345=0357"`` over the vocabulary
``VOCAB = "0123456789+-*="``; ``x`` = text[:-1], ``label`` = text[1:] with ``-1`` (ignored) on the prompt
positions, so only the answer's digits are scored. Options: ``num_digits=3``, ``op="+"``,
``num_train=10000``, ``num_test=1000``, ``seed=0``. Train and test pairs are disjoint.

``ranking_lists``: synthetic learning-to-rank. Each list has ``list_size`` items with features
``x ~ N(0, I_F)``; a hidden scorer ``s(x) = w.x + 0.5 * (v.x)^2`` (``w, v`` fixed by ``seed``) plus
``N(0, noise^2)`` noise is cut at its quantiles 50/75/90/97% into relevance grades 0..4. ``label [list_size]``
holds the grades. Options: ``num_train=1000``, ``num_test=200``, ``list_size=10``, ``num_features=16``,
``noise=0.5``, ``seed=0``, ``min_list_size=0``: above 0 and below ``list_size``, each list keeps a uniform
number of items in ``[min_list_size, list_size]`` and is padded to ``list_size`` with all-zero features and
grade ``-1`` (padding, as allRank pads MSLR-WEB30K's variable-length lists; the trainer masks it).
"""
from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow_datasets as tfds

from lbrl.data import core

OPS = ("+", "-", "*", "/")
VOCAB = "0123456789+-*="


def _options(**kv):
  """``{name: value}`` of options that differ from their defaults: ``{name: (value, default)}``."""
  return {k: v for k, (v, d) in kv.items() if v != d}


def _features(**kv):
  return tfds.features.FeaturesDict(kv)


# ---- modular arithmetic ---------------------------------------------------------------------------

def _is_prime(n: int) -> bool:
  return n >= 2 and all(n % d for d in range(2, int(n ** 0.5) + 1))


def modular_table(p: int, op: str):
  """All ``(a, b, c)`` of ``a op b = c (mod p)`` in row-major order of ``(a, b)``."""
  a, b = np.meshgrid(np.arange(p), np.arange(p), indexing="ij")
  a, b = a.ravel(), b.ravel()
  if op == "+":
    c = (a + b) % p
  elif op == "-":
    c = (a - b) % p
  elif op == "*":
    c = (a * b) % p
  else:
    keep = b != 0
    a, b = a[keep], b[keep]
    c = (a * np.array([pow(int(x), p - 2, p) for x in b])) % p
  return a, b, c


@dataclasses.dataclass
class ModularConfig(tfds.core.BuilderConfig):
  p: int = 97
  op: str = "+"
  train_fraction: float = 0.5
  seed: int = 0


class ModularArithmetic(tfds.core.GeneratorBasedBuilder):
  VERSION = tfds.core.Version("1.0.0")
  BUILDER_CONFIGS = [ModularConfig(name="default")]

  def _info(self):
    p = self.builder_config.p
    return tfds.core.DatasetInfo(builder=self, description=__doc__, features=_features(
        x=tfds.features.Tensor(shape=(4,), dtype=np.int32), label=tfds.features.ClassLabel(num_classes=p)))

  def _split_generators(self, dl_manager):
    c = self.builder_config
    a, b, y = modular_table(c.p, c.op)
    order = np.random.default_rng(c.seed).permutation(len(a))
    n_train = int(round(c.train_fraction * len(a)))
    op_tok, eq_tok = c.p, c.p + 1
    x = np.stack([a, b, np.full_like(a, op_tok), np.full_like(a, eq_tok)], 1).astype(np.int32)
    return {"train": self._generate_examples(x[order[:n_train]], y[order[:n_train]]),
            "test": self._generate_examples(x[order[n_train:]], y[order[n_train:]])}

  def _generate_examples(self, x, y):
    for xi, yi in zip(x, y):
      yield f"{xi[0]}_{xi[1]}", {"x": xi, "label": int(yi)}


def _modular_config(p: int = 97, op: str = "+", train_fraction: float = 0.5, seed: int = 0):
  p, train_fraction = int(p), float(train_fraction)
  if op not in OPS:
    raise ValueError(f"modular_arithmetic: op must be one of {OPS}, got {op!r}")
  if p < 2 or (op == "/" and not _is_prime(p)):
    raise ValueError(f"modular_arithmetic: p must be >= 2 (and prime for '/'), got {p}")
  if not 0.0 < train_fraction < 1.0:
    raise ValueError(f"modular_arithmetic: train_fraction must be in (0, 1), got {train_fraction}")
  opts = _options(p=(p, 97), op=(op, "+"), train_fraction=(train_fraction, 0.5), seed=(int(seed), 0))
  name = core.config_name(opts).replace("/", "div").replace("*", "mul").replace("+", "add")
  return ModularConfig(name=name, p=p, op=op, train_fraction=train_fraction, seed=int(seed))


# ---- Gaussian mixture -----------------------------------------------------------------------------

def mixture_means(num_classes: int, dim: int, seed: int) -> np.ndarray:
  rng = np.random.default_rng([seed, 1])
  g = rng.standard_normal((dim, max(num_classes, dim)))
  if num_classes <= dim:
    q, _ = np.linalg.qr(g)
    return q[:, :num_classes].T
  m = rng.standard_normal((num_classes, dim))
  return m / np.linalg.norm(m, axis=1, keepdims=True)


@dataclasses.dataclass
class MixtureConfig(tfds.core.BuilderConfig):
  num_classes: int = 4
  dim: int = 2
  separation: float = 3.0
  std: float = 1.0
  num_train: int = 2000
  num_test: int = 1000
  seed: int = 0
  class_probs: tuple = ()


class GaussianMixture(tfds.core.GeneratorBasedBuilder):
  VERSION = tfds.core.Version("1.0.0")
  BUILDER_CONFIGS = [MixtureConfig(name="default")]

  def _info(self):
    c = self.builder_config
    return tfds.core.DatasetInfo(builder=self, description=__doc__, features=_features(
        x=tfds.features.Tensor(shape=(c.dim,), dtype=np.float32),
        label=tfds.features.ClassLabel(num_classes=c.num_classes)))

  def _split_generators(self, dl_manager):
    c = self.builder_config
    mu = c.separation * mixture_means(c.num_classes, c.dim, c.seed)

    def sample(n, stream):
      rng = np.random.default_rng([c.seed, stream])
      y = rng.choice(c.num_classes, n, p=c.class_probs) if c.class_probs else rng.integers(0, c.num_classes, n)
      return (mu[y] + c.std * rng.standard_normal((n, c.dim))).astype(np.float32), y
    return {"train": self._generate_examples(*sample(c.num_train, 2)), "test": self._generate_examples(*sample(c.num_test, 3))}

  def _generate_examples(self, x, y):
    for i, (xi, yi) in enumerate(zip(x, y)):
      yield i, {"x": xi, "label": int(yi)}


def _mixture_config(num_classes=4, dim=2, separation=3.0, std=1.0, num_train=2000, num_test=1000, seed=0,
                    class_probs=()):
  if int(num_classes) < 2 or int(dim) < 1 or float(std) <= 0 or float(separation) < 0:
    raise ValueError(f"gaussian_mixture: need num_classes >= 2, dim >= 1, std > 0, separation >= 0; got "
                     f"{num_classes}, {dim}, {std}, {separation}")
  probs = tuple(float(v) for v in class_probs or ())
  if probs and (len(probs) != int(num_classes) or min(probs) < 0 or abs(sum(probs) - 1) > 1e-6):
    raise ValueError(f"gaussian_mixture: class_probs must be {num_classes} non-negative priors summing to 1, "
                     f"got {class_probs}")
  kw = dict(num_classes=int(num_classes), dim=int(dim), separation=float(separation), std=float(std),
            num_train=int(num_train), num_test=int(num_test), seed=int(seed))
  defaults = MixtureConfig(name="x")
  opts = _options(**{k: (v, getattr(defaults, k)) for k, v in kw.items()})
  if probs:
    opts["class_probs"] = "_".join(f"{v:g}" for v in probs)
  return MixtureConfig(name=core.config_name(opts), class_probs=probs, **kw)


# ---- multi-digit arithmetic as text ---------------------------------------------------------------

def answer_digits(num_digits: int, op: str) -> int:
  return {"+": num_digits + 1, "-": num_digits + 1, "*": 2 * num_digits}[op]


def format_equation(a: int, b: int, op: str, num_digits: int) -> str:
  c = {"+": a + b, "-": a - b, "*": a * b}[op]
  w = answer_digits(num_digits, op)
  ans = (("-" if c < 0 else "0") + str(abs(c)).zfill(w - 1)) if op == "-" else str(c).zfill(w)
  return f"{a:0{num_digits}d}{op}{b:0{num_digits}d}={ans}"


@dataclasses.dataclass
class ArithmeticConfig(tfds.core.BuilderConfig):
  num_digits: int = 3
  op: str = "+"
  num_train: int = 10000
  num_test: int = 1000
  seed: int = 0


class ArithmeticText(tfds.core.GeneratorBasedBuilder):
  VERSION = tfds.core.Version("1.0.0")
  BUILDER_CONFIGS = [ArithmeticConfig(name="default")]

  def _length(self):
    c = self.builder_config
    return 2 * c.num_digits + 2 + answer_digits(c.num_digits, c.op)

  def _info(self):
    t = self._length() - 1
    return tfds.core.DatasetInfo(builder=self, description=__doc__, features=_features(
        x=tfds.features.Tensor(shape=(t,), dtype=np.int32), label=tfds.features.Tensor(shape=(t,), dtype=np.int32),
        a=tfds.features.Scalar(dtype=np.int64), b=tfds.features.Scalar(dtype=np.int64)))

  def _split_generators(self, dl_manager):
    c = self.builder_config
    hi = 10 ** c.num_digits
    total = c.num_train + c.num_test
    if total > hi * hi:
      raise ValueError(f"arithmetic_text: {total} examples requested but only {hi * hi} distinct pairs exist")
    rng = np.random.default_rng(c.seed)
    pairs = rng.choice(hi * hi, size=total, replace=False)  # distinct, so train and test are disjoint
    a, b = pairs // hi, pairs % hi
    return {"train": self._generate_examples(a[:c.num_train], b[:c.num_train]), "test": self._generate_examples(a[c.num_train:], b[c.num_train:])}

  def _generate_examples(self, a, b):
    c = self.builder_config
    table = {ch: i for i, ch in enumerate(VOCAB)}
    prompt = 2 * c.num_digits + 2  # "aaa+bbb=" ; the label at position t is the token at t+1
    for ai, bi in zip(a, b):
      tok = np.array([table[ch] for ch in format_equation(int(ai), int(bi), c.op, c.num_digits)], np.int32)
      label = tok[1:].copy()
      label[: prompt - 1] = -1
      yield f"{ai}_{bi}", {"x": tok[:-1], "label": label, "a": int(ai), "b": int(bi)}


def _arithmetic_config(num_digits=3, op="+", num_train=10000, num_test=1000, seed=0):
  if op not in ("+", "-", "*"):
    raise ValueError(f"arithmetic_text: op must be '+', '-' or '*', got {op!r}")
  if int(num_digits) < 1:
    raise ValueError(f"arithmetic_text: num_digits must be >= 1, got {num_digits}")
  kw = dict(num_digits=int(num_digits), op=op, num_train=int(num_train), num_test=int(num_test), seed=int(seed))
  defaults = ArithmeticConfig(name="x")
  name = core.config_name(_options(**{k: (v, getattr(defaults, k)) for k, v in kw.items()}))
  return ArithmeticConfig(name=name.replace("*", "mul").replace("+", "add").replace("-", "sub"), **kw)


# ---- learning to rank -----------------------------------------------------------------------------

GRADE_QUANTILES = (0.5, 0.75, 0.9, 0.97)


@dataclasses.dataclass
class RankingConfig(tfds.core.BuilderConfig):
  num_train: int = 1000
  num_test: int = 200
  list_size: int = 10
  num_features: int = 16
  noise: float = 0.5
  seed: int = 0
  min_list_size: int = 0      # 0: every list has list_size items; else lists are padded (grade -1)


def ranking_scores(x: np.ndarray, seed: int) -> np.ndarray:
  """The hidden scorer ``w.x + 0.5 (v.x)^2`` (without noise)."""
  rng = np.random.default_rng([seed, 1])
  w, v = rng.standard_normal(x.shape[-1]), rng.standard_normal(x.shape[-1]) / np.sqrt(x.shape[-1])
  return x @ w / np.sqrt(x.shape[-1]) + 0.5 * (x @ v) ** 2


class RankingLists(tfds.core.GeneratorBasedBuilder):
  VERSION = tfds.core.Version("1.0.0")
  BUILDER_CONFIGS = [RankingConfig(name="default")]

  def _info(self):
    c = self.builder_config
    return tfds.core.DatasetInfo(builder=self, description=__doc__, features=_features(
        x=tfds.features.Tensor(shape=(c.list_size, c.num_features), dtype=np.float32),
        label=tfds.features.Tensor(shape=(c.list_size,), dtype=np.int32)))

  def _split_generators(self, dl_manager):
    c = self.builder_config
    ref = ranking_scores(np.random.default_rng([c.seed, 2]).standard_normal((20000, c.num_features)), c.seed)
    cuts = np.quantile(ref, GRADE_QUANTILES)  # grade thresholds from the noise-free score distribution

    def sample(n, stream):
      rng = np.random.default_rng([c.seed, stream])
      x = rng.standard_normal((n, c.list_size, c.num_features))
      s = ranking_scores(x, c.seed) + c.noise * rng.standard_normal((n, c.list_size))
      y = np.searchsorted(cuts, s).astype(np.int32)
      if 0 < c.min_list_size < c.list_size:   # variable-length lists, padded (a separate stream: x, s unchanged)
        n_items = np.random.default_rng([c.seed, stream, 5]).integers(c.min_list_size, c.list_size + 1, n)
        pad = np.arange(c.list_size)[None, :] >= n_items[:, None]
        x[pad], y[pad] = 0.0, -1
      return x.astype(np.float32), y
    return {"train": self._generate_examples(*sample(c.num_train, 3)), "test": self._generate_examples(*sample(c.num_test, 4))}

  def _generate_examples(self, x, y):
    for i, (xi, yi) in enumerate(zip(x, y)):
      yield i, {"x": xi, "label": yi}


def _ranking_config(num_train=1000, num_test=200, list_size=10, num_features=16, noise=0.5, seed=0, min_list_size=0):
  if int(list_size) < 2 or float(noise) < 0:
    raise ValueError(f"ranking_lists: need list_size >= 2 and noise >= 0, got {list_size}, {noise}")
  if not 0 <= int(min_list_size) <= int(list_size):
    raise ValueError(f"ranking_lists: min_list_size must be in [0, list_size={list_size}], got {min_list_size}")
  kw = dict(num_train=int(num_train), num_test=int(num_test), list_size=int(list_size),
            num_features=int(num_features), noise=float(noise), seed=int(seed), min_list_size=int(min_list_size))
  defaults = RankingConfig(name="x")
  return RankingConfig(name=core.config_name(_options(**{k: (v, getattr(defaults, k)) for k, v in kw.items()})), **kw)


load_modular_arithmetic = core.builder_loader("modular_arithmetic", ModularArithmetic, _modular_config,
                                              meta=lambda b: {"vocab_size": b.builder_config.p + 2})
load_gaussian_mixture = core.builder_loader("gaussian_mixture", GaussianMixture, _mixture_config)
load_arithmetic_text = core.builder_loader("arithmetic_text", ArithmeticText, _arithmetic_config,
                                           meta=lambda b: {"vocab_size": len(VOCAB), "vocab": VOCAB,
                                      "answer_start": 2 * b.builder_config.num_digits + 1})
load_ranking_lists = core.builder_loader("ranking_lists", RankingLists, _ranking_config,
                                         meta=lambda b: {"num_grades": len(GRADE_QUANTILES) + 1})
