"""Training-set transforms for calibration papers (``fn(data, *, seed, **kw) -> Dataset``, see
:mod:`lbrl.data.transforms`).

``mixup``: Zhang et al., "mixup: Beyond Empirical Risk Minimization", ICLR 2018, arXiv:1710.09412, as used
by Chidambaram & Ge, "On the Limitations of Temperature Scaling for Distributions with Overlaps", ICLR 2024,
arXiv:2306.00740 (slug ``limitations_temperature_scaling_distributions``): each new example is
``x = lam x_i + (1 - lam) x_j`` with soft label ``lam e_{y_i} + (1 - lam) e_{y_j}``, ``j`` a uniformly random
partner and ``lam ~ Beta(alpha, alpha)`` (default ``alpha=1``, the paper's). lbrl draws the mixed set
once, as ``copies`` (default 4) independently mixed copies of the training split (the paper mixes fresh
pairs every batch: a fixed finite sample of that stream); ``keep_original=True`` (default False) also keeps
the clean examples with one-hot labels. Labels become float ``[N', C]`` (cross-entropy takes soft targets);
``mix_source``, ``mix_partner`` and ``mix_lambda`` record each row's pair and weight.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from lbrl.data.core import Dataset


def mixup(data: Dataset, *, seed: int, alpha: float = 1.0, copies: int = 4, keep_original: bool = False) -> Dataset:
  """Static mixup of the training split (see the module docstring)."""
  if alpha <= 0 or int(copies) < 1:
    raise ValueError(f"mixup: need alpha > 0 and copies >= 1, got alpha={alpha}, copies={copies}")
  y = data.arrays.get("label")
  if y is None or y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
    raise ValueError(f"mixup: dataset {data.name!r} needs integer class labels [N]")
  c = data.num_classes if data.num_classes is not None else int(y.max()) + 1
  x = np.asarray(data.arrays["x"], np.float32)
  onehot = np.eye(c, dtype=np.float32)[y]
  rng = np.random.default_rng(seed)
  n = len(y)
  idx = np.arange(n)
  xs, ys, js, lams = ([x], [onehot], [idx], [np.ones(n, np.float32)]) if keep_original else ([], [], [], [])
  for _ in range(int(copies)):
    j = rng.integers(0, n, n)
    lam = rng.beta(alpha, alpha, n).astype(np.float32)
    shape = (-1,) + (1,) * (x.ndim - 1)
    xs.append(lam.reshape(shape) * x + (1 - lam.reshape(shape)) * x[j])
    ys.append(lam[:, None] * onehot + (1 - lam[:, None]) * onehot[j])
    js.append(j)
    lams.append(lam)
  k = len(xs)
  arrays = {"x": np.concatenate(xs), "label": np.concatenate(ys), "mix_source": np.tile(idx, k),
            "mix_partner": np.concatenate(js), "mix_lambda": np.concatenate(lams)}
  meta = {**data.meta, "mixup": dict(alpha=float(alpha), copies=int(copies), keep_original=bool(keep_original))}
  return dataclasses.replace(data, arrays=arrays, meta=meta)
