"""Multi-label splits of the offline classification sets (issue 20, Macro-AUC).

``multilabel``: a classification set (``base``, default ``mnist1d``) whose class ``y`` becomes ``K`` binary
labels, label ``k`` positive iff ``y`` is in ``groups[k]``. The default groups of MNIST-1D's ten classes,
``[[0, 1, 2, 3, 4], [5, 6, 7], [8, 9], [3], [9]]``, give positive rates 50%, 30%, 20%, 10%, 10%: the
label-wise class imbalance ``tau_k`` of Wu et al., "Towards Understanding Generalization of Macro-AUC
in Multi-label Learning", ICML 2023, arXiv:2305.05248 (slug ``understanding_generalization_macro_auc``).
``label`` is float32 multi-hot ``[N, K]``; ``class_label`` keeps the original class; ``num_classes`` is ``K``
(the model's outputs, one score per label). Both splits are mapped the same way (deterministic, no draw).
Options: ``base``, ``groups`` and the base set's own options.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from lbrl.data.core import Dataset

DEFAULT_GROUPS = ((0, 1, 2, 3, 4), (5, 6, 7), (8, 9), (3,), (9,))


def load_multilabel(split: str, *, data_dir: str = "", base: str = "mnist1d", groups=DEFAULT_GROUPS,
                    **base_options) -> Dataset:
  """The ``split`` of ``base`` with multi-hot labels (see the module docstring)."""
  from lbrl.registry import DATASETS
  if base == "multilabel":
    raise ValueError("multilabel: base must be a classification set, got 'multilabel'")
  data = DATASETS.get(base)(split, data_dir=data_dir, **base_options)
  y = data.arrays.get("label")
  c = data.num_classes
  if y is None or y.ndim != 1 or not np.issubdtype(y.dtype, np.integer) or c is None:
    raise ValueError(f"multilabel: base {base!r} needs integer class labels [N] and num_classes")
  groups = [tuple(int(v) for v in g) for g in groups]
  if not groups or any(not g or min(g) < 0 or max(g) >= c for g in groups):
    raise ValueError(f"multilabel: groups must be non-empty lists of classes in [0, {c}), got {groups}")
  member = np.zeros((c, len(groups)), np.float32)
  for k, g in enumerate(groups):
    member[list(g), k] = 1.0
  arrays = {**data.arrays, "label": member[y], "class_label": y}
  meta = {**data.meta, "num_classes": len(groups), "multilabel": dict(base=base, groups=groups)}
  return dataclasses.replace(data, name="multilabel", arrays=arrays, meta=meta)
