"""Datasets: offline TFDS builders, random-access sources, and the name -> dataset lookup.

Every offline dataset is a ``tfds.core.GeneratorBasedBuilder`` that generates its examples from a local
source (a package, a bundled file, a generator) into ``array_record`` files under a data dir, and is
read back with ``builder.as_data_source(split)``: random access, no TensorFlow needed. Builder options
(e.g. MNIST-1D's ``shuffle_spatial``) become a ``BuilderConfig`` whose name encodes them, so each
option set is prepared once and cached.

``load(name, split, data_dir=..., **options)`` returns a :class:`Dataset`: the split's arrays in
memory (all offline sets are small) plus metadata (``num_classes``, ``vocab_size``...). Names that are
not registered offline builders are looked up as standard TFDS datasets (``cifar10``, ``imagenet2012``
...), which need network or a prepared ``data_dir``.
"""
from __future__ import annotations

import collections
import contextlib
import dataclasses
import fcntl
import inspect
import os
import re
from typing import Any, Callable

import numpy as np

from lbrl.registry import DATASETS, TRANSFORMS


def default_data_dir() -> str:
  """``$LBRL_DATA_DIR``, else ``~/.cache/lbrl/tfds``."""
  return os.environ.get("LBRL_DATA_DIR") or os.path.expanduser("~/.cache/lbrl/tfds")


@dataclasses.dataclass
class Dataset:
  """One split in memory: ``arrays`` maps feature name -> ``[N, ...]`` numpy array."""
  name: str
  split: str
  arrays: dict[str, np.ndarray]
  meta: dict[str, Any] = dataclasses.field(default_factory=dict)

  def __len__(self) -> int:
    return len(next(iter(self.arrays.values())))

  @property
  def num_classes(self) -> int | None:
    return self.meta.get("num_classes")

  def gather(self, indices: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[indices] for k, v in self.arrays.items()}

  def check_labels(self, ignore: int | None = -1, *, num_classes: int | None = None, hint: str = "") -> None:
    """Raises ``ValueError`` naming the split and the first integer ``label`` outside ``[0, C)`` (``C`` =
    ``num_classes`` when given, e.g. the model's, else the split's ``num_classes``, else ``vocab_size``),
    other than the ``ignore`` id (-1: the LM builders' unscored positions).

    Losses mask such ids (loss 0); this check turns a corrupt or mis-specified dataset into an error
    before training instead. No-op for float (soft) labels or when ``C`` is unknown.
    """
    labels = self.arrays.get("label")
    size = num_classes or self.num_classes or self.meta.get("vocab_size")
    if labels is None or size is None or not np.issubdtype(labels.dtype, np.integer):
      return
    bad = (labels < 0) | (labels >= size)
    if ignore is not None:
      bad &= labels != ignore
    if bad.any():
      pos = np.unravel_index(np.argmax(bad), labels.shape)
      raise ValueError(f"dataset {self.name!r} split {self.split!r}: {int(bad.sum())} label(s) outside "
                       f"[0, {size}) (ignore id {ignore}); first: label{list(map(int, pos))} = {labels[pos]}. "
                       + (f"{hint}. " if hint else "Fix the data, or set config.data.check_labels=False to let the "
                          "losses mask them"))

  def class_counts(self) -> np.ndarray:
    """Label histogram over ``[0, num_classes)`` (for class-balanced losses and re-weighting)."""
    if self.num_classes is None or "label" not in self.arrays:
      raise ValueError(f"dataset {self.name!r} has no class labels to count")
    return np.bincount(self.arrays["label"].reshape(-1), minlength=self.num_classes)


@contextlib.contextmanager
def file_lock(path: str):
  """An exclusive lock on ``path`` across processes (``fcntl``): serialises preparing one dataset, or
  training one shared first-stage network, between parallel runs."""
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with open(path, "w") as f:
    fcntl.flock(f, fcntl.LOCK_EX)
    try:
      yield
    finally:
      fcntl.flock(f, fcntl.LOCK_UN)


def config_name(options: dict[str, Any]) -> str:
  """A stable BuilderConfig name for a set of options: ``"p=97,train_fraction=0.3"``."""
  if not options:
    return "default"
  return ",".join(f"{k}={options[k]}" for k in sorted(options))


def prepare(builder_cls, data_dir: str, config=None):
  """Builds (once, under a lock) and returns the TFDS builder for ``builder_cls`` / ``config``."""
  import tensorflow_datasets as tfds  # deferred: importing TFDS costs a second
  tfds.disable_progress_bar()
  kwargs = {"data_dir": data_dir, "file_format": tfds.core.FileFormat.ARRAY_RECORD}
  if config is not None:
    predefined = {c.name for c in getattr(builder_cls, "BUILDER_CONFIGS", [])}
    kwargs["config"] = config.name if config.name in predefined else config
  from absl import logging as absl_logging
  level = absl_logging.get_verbosity()
  absl_logging.set_verbosity(absl_logging.ERROR)  # TFDS warns about every custom BuilderConfig
  try:
    return _prepare(builder_cls, kwargs, data_dir)
  finally:
    absl_logging.set_verbosity(level)


def _prepare(builder_cls, kwargs, data_dir):
  import tensorflow_datasets as tfds
  builder = builder_cls(**kwargs)
  if not builder.is_prepared():
    with file_lock(os.path.join(data_dir, ".locks", f"{builder.name}.{builder.builder_config.name if builder.builder_config else 'default'}.lock")):
      builder = builder_cls(**kwargs)
      if not builder.is_prepared():
        builder.download_and_prepare(file_format=tfds.core.FileFormat.ARRAY_RECORD)
  return builder


_SLICE = re.compile(r"^(?P<base>[A-Za-z0-9_]+)(\[(?P<lo>-?\d+%?)?:(?P<hi>-?\d+%?)?\])?$")


def parse_split(split: str) -> tuple[str, str | None, str | None]:
  """``"train[:90%]"`` -> ``("train", None, "90%")``: a split name with an optional TFDS slice
  (``name[lo:hi]``, bounds as example counts or percentages; ``as_data_source`` reads it). Raises
  ``ValueError`` naming the split otherwise."""
  m = _SLICE.match(split.replace(" ", ""))
  if not m:
    raise ValueError(f"split {split!r}: expected a split name with an optional TFDS slice, e.g. 'train', "
                     "'train[:90%]', 'train[90%:]', 'train[:1000]'")
  return m["base"], m["lo"], m["hi"]


def slice_bound(b: str | None, n: int, default: int) -> int:
  """A TFDS slice bound (``"90%"``, ``"1000"``, ``"-10%"``, None) as an index into ``n`` items."""
  return _bound(b, n, default)


def _bound(b: str | None, n: int, default: int) -> int:
  if b is None:
    return default
  v = round(n * int(b[:-1]) / 100) if b.endswith("%") else int(b)
  return min(max(v + n if v < 0 else v, 0), n)


def split_range(split: str, n: int = 1_000_000) -> tuple[str, int, int]:
  """``(base, start, stop)`` of ``split`` over a base split of ``n`` examples (percent bounds are exact
  at the default ``n`` up to rounding; pass the base split's size for example-count bounds)."""
  base, lo, hi = parse_split(split)
  return base, _bound(lo, n, 0), _bound(hi, n, n)


def splits_overlap(a: str, b: str, n: int = 1_000_000) -> bool:
  """Whether splits ``a`` and ``b`` share examples (same base split and intersecting slices).
  Used to refuse a selection or calibration split that overlaps the training or test split."""
  (ba, a0, a1), (bb, b0, b1) = split_range(a, n), split_range(b, n)
  return ba == bb and max(a0, b0) < min(a1, b1)


def read_split(builder, split: str) -> dict[str, np.ndarray]:
  """Reads a whole split through ``as_data_source`` (random access, no TensorFlow) into arrays;
  non-numeric features (strings, objects) are left out. ``split`` may carry a TFDS slice
  (``"train[:90%]"``, ``"train[90%:]"``): the standard way to hold out a validation set from a
  dataset that has none (:func:`parse_split`)."""
  base, _, _ = parse_split(split)
  if base not in builder.info.splits:
    raise ValueError(f"dataset {builder.name!r} has no split {base!r}; splits: {sorted(builder.info.splits)} "
                     "(hold out a validation set with a slice, e.g. 'train[:90%]' / 'train[90%:]')")
  source = builder.as_data_source(split=split)
  records = source.__getitems__(range(len(source)))
  return {k: np.stack([np.asarray(r[k]) for r in records]) for k in records[0]
          if np.asarray(records[0][k]).dtype != object}


def builder_loader(name: str, builder_cls, make_config: Callable[..., Any] | None = None,
                   meta: Callable[[Any], dict] | None = None):
  """The loader ``load(split, *, data_dir="", **options) -> Dataset`` of an offline TFDS builder; the
  builder module exposes it and :data:`lbrl.registry.DATASETS` declares it under ``name``.

  ``make_config(**options)`` turns the config's ``data.options`` into a ``BuilderConfig`` (or None);
  ``meta(builder)`` returns extra metadata (``num_classes`` is read from a ``label`` ClassLabel).
  """
  def loader(split: str, *, data_dir: str = "", **options) -> Dataset:
    config = make_config(**options) if make_config else None
    if config is None and options:
      raise ValueError(f"dataset {name!r} takes no options, got {sorted(options)}")
    builder = prepare(builder_cls, data_dir or default_data_dir(), config)
    info = builder.info
    m = _label_meta(info)
    if meta:
      m.update(meta(builder))
    return Dataset(name, split, read_split(builder, split), m)
  loader.builder_cls = builder_cls
  return loader


OFFLINE_HINT = ("This machine has no internet: use an offline dataset ({names}), or run on a machine with "
                "network, or point data.data_dir at a directory where the dataset is already prepared.")


def check_name(name: str) -> None:
  """Raises a clear error unless ``name`` is an offline builder, a standard TFDS dataset lbrl knows the
  shape of (:mod:`lbrl.data.specs`), or another TFDS name (``name/config`` allowed; the builder class is
  looked up without TensorFlow, so a builder that needs TensorFlow to be found is accepted by its spec)."""
  if name in DATASETS:
    return
  from lbrl.data.specs import SPECS
  if name in SPECS:
    return
  import tensorflow_datasets as tfds
  try:
    tfds.builder_cls(name.split("/")[0])
  except Exception:  # DatasetNotFoundError
    DATASETS.get(name)  # raises: unknown dataset, with the closest offline names


_MEMO: "collections.OrderedDict[tuple, Dataset]" = collections.OrderedDict()
MEMO_ENTRIES, MEMO_MAX_BYTES = 16, 256 << 20


def _memoized(key: tuple, read: Callable[[], Dataset]) -> Dataset:
  """The split read once per process (a sweep trains many runs on the same offline split): arrays are
  shared read-only between callers (transforms return new arrays), ``meta`` is copied. Splits above
  ``MEMO_MAX_BYTES`` are not kept."""
  if key not in _MEMO:
    data = read()
    if sum(a.nbytes for a in data.arrays.values()) > MEMO_MAX_BYTES:
      return data
    for a in data.arrays.values():
      a.flags.writeable = False
    _MEMO[key] = data
    while len(_MEMO) > MEMO_ENTRIES:
      _MEMO.popitem(last=False)
  _MEMO.move_to_end(key)
  d = _MEMO[key]
  return Dataset(d.name, d.split, dict(d.arrays), dict(d.meta))


ROLES = ("train", "eval")


def load(name: str, split: str, *, data_dir: str = "", role: str | None = None, **options) -> Dataset:
  """Loads ``split`` of dataset ``name`` (an offline builder, else a standard TFDS name). Offline splits
  are read once per process (:func:`_memoized`). ``role`` ("train" | "eval" | None) says what the split is
  used for where the builder cares and takes a ``role`` argument (Tiny Shakespeare: the training stride
  or the evaluation stride for a slice of ``train`` held out for selection); None: decided by the name."""
  if role is not None and role not in ROLES:
    raise ValueError(f"core.load: role={role!r}; expected one of {ROLES} or None")
  if name in DATASETS:
    fn = DATASETS.get(name)
    if role is not None and "role" in inspect.signature(fn).parameters:
      options = dict(options, role=role)
    key = (name, split, data_dir or default_data_dir(), tuple(sorted((k, repr(v)) for k, v in options.items())))
    return _memoized(key, lambda: fn(split, data_dir=data_dir, **options))
  check_name(name)
  import tensorflow_datasets as tfds
  data_dir = data_dir or default_data_dir()
  try:
    builder = tfds.builder(name, data_dir=data_dir, **options)
    if not builder.is_prepared():
      _check_network()
      builder.download_and_prepare(file_format=tfds.core.FileFormat.ARRAY_RECORD)
  except Exception as e:  # network errors surface as many exception types
    raise RuntimeError(f"could not prepare standard TFDS dataset {name!r} in {data_dir}: {e}\n"
                       + OFFLINE_HINT.format(names=", ".join(DATASETS.names()))) from e
  arrays = read_split(builder, split)
  if "image" in arrays:
    arrays["x"] = arrays.pop("image")
  return Dataset(name, split, arrays, _label_meta(builder.info))


def _check_network(host: str = "storage.googleapis.com", timeout: float = 3.0) -> None:
  """Fails in seconds (not after TFDS's retries) when the TFDS download host is unreachable."""
  import socket
  try:
    socket.create_connection((host, 443), timeout=timeout).close()
  except OSError as e:
    raise ConnectionError(f"no network: cannot reach {host} ({e})") from e


def _label_meta(info) -> dict[str, Any]:
  """``num_classes`` from a ``label`` ClassLabel feature, if there is one."""
  if "label" in info.features and hasattr(info.features["label"], "num_classes"):
    return {"num_classes": int(info.features["label"].num_classes)}
  return {}


def apply_transforms(data: Dataset, transforms, *, seed: int) -> Dataset:
  """Applies ``[dict(name=..., **kwargs), ...]`` in order: ``TRANSFORMS.get(name)(data, seed=, **kw)``.

  Transforms (label noise, long-tail subsampling, ...) live in :mod:`lbrl.data.transforms` and are
  declared in :data:`lbrl.registry.TRANSFORMS`; each returns a new Dataset and
  may record what it did in ``meta`` (e.g. which labels it flipped).
  """
  if not transforms:
    return data
  for i, t in enumerate(transforms):
    t = dict(t)
    if "name" not in t:
      raise ValueError(f"data.transforms[{i}] has no 'name': {t}")
    data = TRANSFORMS.get(t.pop("name"))(data, seed=seed + 1000 * i, **t)
  return data
