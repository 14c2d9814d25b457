"""MNIST-1D (Greydanus, 2020, arXiv:2011.14439), generated locally with ``mnist1d.data.make_dataset``.

The default split is 4000 train / 1000 test examples of length 40, 10 classes. With
``shuffle_spatial=True`` every sequence is permuted by one fixed random permutation of its 40 positions
(the README's "shuffled" setting, which removes spatial structure: CNNs and GRUs lose most of their
advantage, MLPs and logistic regression are unchanged since they are permutation-equivariant in the
input). Published test accuracies (mnist1d README): logistic 32%, MLP 68%, CNN 94%, GRU 91%; shuffled
32% / 68% / 56% / 57%.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow_datasets as tfds

from lbrl.data import core

_PERMUTATION_SEED = 0  # the fixed spatial permutation for the shuffled variant


@dataclasses.dataclass
class Mnist1dConfig(tfds.core.BuilderConfig):
  shuffle_spatial: bool = False
  seed: int = 42              # mnist1d's default generation seed
  num_samples: int = 5000     # 80% train / 20% test, as mnist1d does


class Mnist1d(tfds.core.GeneratorBasedBuilder):
  """MNIST-1D generated offline from the mnist1d package's templates."""

  VERSION = tfds.core.Version("1.0.0")
  BUILDER_CONFIGS = [Mnist1dConfig(name="default")]

  def _info(self):
    return tfds.core.DatasetInfo(
        builder=self,
        description=__doc__,
        features=tfds.features.FeaturesDict({
            "x": tfds.features.Tensor(shape=(40,), dtype=np.float32),
            "label": tfds.features.ClassLabel(num_classes=10),
        }),
        supervised_keys=("x", "label"),
        homepage="https://github.com/greydanus/mnist1d",
    )

  def _split_generators(self, dl_manager):
    from mnist1d.data import get_dataset_args, make_dataset
    args = get_dataset_args()
    args.seed = self.builder_config.seed
    args.num_samples = self.builder_config.num_samples
    data = make_dataset(args)
    x, x_test = data["x"], data["x_test"]
    if self.builder_config.shuffle_spatial:
      perm = np.random.RandomState(_PERMUTATION_SEED).permutation(x.shape[1])
      x, x_test = x[:, perm], x_test[:, perm]
    return {"train": self._generate_examples(x, data["y"]), "test": self._generate_examples(x_test, data["y_test"])}

  def _generate_examples(self, x, y):
    for i in range(len(x)):
      yield i, {"x": x[i].astype(np.float32), "label": int(y[i])}


def _config(shuffle_spatial: bool = False, seed: int = 42, num_samples: int = 5000):
  opts = {}
  if shuffle_spatial:
    opts["shuffle_spatial"] = True
  if seed != 42:
    opts["seed"] = seed
  if num_samples != 5000:
    opts["num_samples"] = num_samples
  return Mnist1dConfig(name=core.config_name(opts), shuffle_spatial=bool(shuffle_spatial), seed=int(seed),
                       num_samples=int(num_samples))


load = core.builder_loader("mnist1d", Mnist1d, _config)
