"""Task splits for continual self-supervised learning (Sy-CON): the examples of a subset of classes,
labels and class count unchanged (unlike ``held_out_classes``, which relabels), so every task's model
is evaluated on the full label space."""
from __future__ import annotations

import dataclasses

import numpy as np

from lbrl.data.core import Dataset


def class_task(data: Dataset, *, seed: int = 0, classes) -> Dataset:
  """Keeps the examples whose ``label`` is in ``classes`` (a list of ints); ``seed`` is unused."""
  if "label" not in data.arrays:
    raise ValueError(f"class_task: dataset {data.name!r} has no 'label'")
  classes = np.asarray(list(classes), np.int64)
  if classes.size == 0:
    raise ValueError("class_task: classes must name at least one class")
  keep = np.flatnonzero(np.isin(data.arrays["label"], classes))
  if keep.size == 0:
    raise ValueError(f"class_task: no example of classes {classes.tolist()} in {data.name!r} {data.split!r}")
  arrays = data.gather(keep)
  return dataclasses.replace(data, arrays=arrays, meta={**data.meta, "class_task": classes.tolist()})
