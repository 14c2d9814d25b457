"""Shapes and sizes of the standard TFDS datasets that configs name, known without downloading them.

The ``paper`` variant of a config names the paper's own dataset by its standard TFDS name
(``imagenet2012``, ``cifar10``, ``lm1b``, ...). Two things need that dataset's shape before any data
exists: the config (steps computed from epochs and the number of training examples) and the lowering
of the paper's train step on an abstract mesh (``lbrl.train.lowering``: ``ShapeDtypeStruct`` batches).
This table gives both. Split sizes are the TFDS catalog's (``tfds.builder(name).info.splits``);
image shapes are the model's input after the standard preprocessing (ImageNet: the 224 x 224 crop;
CIFAR and SVHN: the stored 32 x 32 images). Text datasets have no fixed shape: their batches are
``[batch, model.max_len]`` token ids and the vocabulary is the tokenizer's (``model.vocab_size``).

``spec(name)`` raises a ``KeyError`` naming the known datasets; add a row when a config needs a new one.
"""
from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
  """One dataset: ``kind`` (image | text | tabular | ranking | multilabel), the per-example input shape
  (images, feature lists), the number of classes (classification), and the number of examples per split.
  ``label_shape``/``label_dtype``: one example's label where it is not a class id (a ranking list's graded
  relevance ``[L]`` int32; a multi-label example's multi-hot ``[num_labels]`` float32); ``meta``: the
  dataset metadata its offline builders give (a ranking set's ``num_grades``)."""
  name: str
  kind: str
  splits: dict
  input_shape: tuple = ()
  num_classes: int | None = None
  train_split: str = "train"
  eval_split: str = "test"
  label_shape: tuple = ()
  label_dtype: str = "int32"
  meta: dict = dataclasses.field(default_factory=dict)

  @property
  def num_train(self) -> int:
    return int(self.splits[self.train_split])


def _image(name, shape, classes, train, evals, eval_split="test", train_split="train"):
  return DatasetSpec(name, "image", {train_split: train, eval_split: evals}, tuple(shape), classes,
                     train_split, eval_split)


def _text(name, train, evals, eval_split="validation", train_split="train"):
  return DatasetSpec(name, "text", {train_split: train, eval_split: evals}, (), None, train_split, eval_split)


SPECS: dict[str, DatasetSpec] = {s.name: s for s in (
    # ILSVRC-2012: 1,281,167 training and 50,000 validation images, 1000 classes; 224 x 224 crops
    _image("imagenet2012", (224, 224, 3), 1000, 1_281_167, 50_000, eval_split="validation"),
    # ImageNet downsampled to 32 x 32 (Chrabaszcz et al. 2017), the AdamW paper's ImageNet32x32
    _image("imagenet_resized/32x32", (32, 32, 3), 1000, 1_281_167, 50_000, eval_split="validation"),
    _image("cifar10", (32, 32, 3), 10, 50_000, 10_000),
    _image("cifar100", (32, 32, 3), 100, 50_000, 10_000),
    _image("svhn_cropped", (32, 32, 3), 10, 73_257, 26_032),
    _image("mnist", (28, 28, 1), 10, 60_000, 10_000),
    _image("fashion_mnist", (28, 28, 1), 10, 60_000, 10_000),
    # metric learning (TFDS catalog sizes; images resized to 224 by the papers' pipelines)
    _image("caltech_birds2011", (224, 224, 3), 200, 5_994, 5_794),
    _image("cars196", (224, 224, 3), 196, 8_144, 8_041),
    _image("stanford_online_products", (224, 224, 3), 22_634, 59_551, 60_502),
    # MS1MV2 (MS1M-ArcFace, Deng et al. 2019, arXiv:1801.07698): 5,822,653 aligned 112 x 112 face crops of
    # 85,742 identities, the insightface "faces_emore" release (not in the TFDS catalog: MS-Celeb-1M was
    # withdrawn; a local builder of that name is needed to train). Its validation split is the release's
    # lfw.bin: 6,000 LFW pairs (12,000 images) scored by verification accuracy.
    _image("ms1mv2", (112, 112, 3), 85_742, 5_822_653, 12_000, eval_split="lfw"),
    # MSLR-WEB30K Fold1 (Qin & Liu 2013, TFDS mslr_web/30k_fold1): 31,531 queries (18,919 train, 6,306
    # validation, 6,306 test) of 136 features per document, relevance grades 0-4; lists padded or truncated
    # to allRank's slate length of 240 documents (the NeuralNDCG runs)
    DatasetSpec("mslr_web/30k_fold1", "ranking", {"train": 18_919, "vali": 6_306, "test": 6_306}, (240, 136),
                label_shape=(240,), meta={"num_grades": 5}),
    # One Billion Word (Chelba et al. 2013): sentences
    _text("lm1b", 30_301_028, 306_688, eval_split="test"),
    # C4 English (Raffel et al. 2020), the LLaMA pre-training runs of GaLore, Fira and FRUGAL: documents
    _text("c4/en", 364_868_892, 364_608),
    # WMT'14 English-German: sentence pairs (newstest2014 is the test split)
    _text("wmt14_translate/de-en", 4_508_785, 3_000, eval_split="validation"),
    # The DeepMind mathematics dataset, one module per config (number-token loss: arithmetic)
    _text("math_dataset/arithmetic__mixed", 1_999_998, 10_000, eval_split="test"),
)}


def spec(name: str) -> DatasetSpec:
  """The :class:`DatasetSpec` of a standard TFDS dataset named by a config."""
  try:
    return SPECS[name]
  except KeyError:
    raise KeyError(f"no dataset spec for {name!r}: add it to lbrl/data/specs.py; known: {sorted(SPECS)}") from None
