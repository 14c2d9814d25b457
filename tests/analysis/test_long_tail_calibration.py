"""lbrl.analysis.long_tail_calibration.fracal_study on a hand-built context: with D_c = 1 FRACAL is the
prior logit adjustment (argmax of z - log prior, computed here in NumPy), balanced accuracy matches
scikit-learn's, and the training prior is read from the transformed training split."""
import types

import jax.numpy as jnp
import ml_collections as mlc
import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score

from lbrl.analysis.long_tail_calibration import fracal_study
from lbrl.data import core


def _ctx(seed=0):
  cfg = mlc.ConfigDict(dict(seed=0, data=dict(name="mnist1d", split_train="train", data_dir="", options={},
                                               transforms=[dict(name="long_tail", imbalance_ratio=20.0)])))
  r = np.random.default_rng(seed)
  n, c = 300, 10
  labels = r.integers(0, c, n)
  z = r.normal(size=(n, c)) + 2.0 * np.eye(c)[labels] + np.linspace(1.5, -1.5, c)   # favours the head classes
  apply = lambda params, x: jnp.asarray(z, jnp.float32)
  return types.SimpleNamespace(cfg=cfg, params=None, x=np.zeros((n, 1), np.float32), labels=labels,
                               apply=apply, seed=0), z, labels


def test_fracal_with_unit_dimensions_is_the_prior_adjustment():
  ctx, z, labels = _ctx()
  train = core.apply_transforms(core.load("mnist1d", "train"), ctx.cfg.data.transforms, seed=0)
  counts = np.bincount(np.asarray(train.arrays["label"]), minlength=10).astype(np.float64)
  assert counts.max() / counts.min() > 10
  pred = np.argmax(z - np.log(counts / counts.sum()), -1)
  out = fracal_study(ctx, tail_classes=3)
  assert out["fracal/accuracy"] == pytest.approx(np.mean(pred == labels), abs=1e-6)
  assert out["fracal/balanced_accuracy"] == pytest.approx(balanced_accuracy_score(labels, pred), abs=1e-6)
  raw = np.argmax(z, -1)
  assert out["uncalibrated/balanced_accuracy"] == pytest.approx(balanced_accuracy_score(labels, raw), abs=1e-6)
  tail = np.argsort(counts, kind="stable")[:3]
  rec = [np.mean(pred[labels == k] == k) for k in tail]
  assert out["fracal/tail_accuracy"] == pytest.approx(np.mean(rec), abs=1e-6)
  assert out["d/tail_accuracy"] == pytest.approx(out["fracal/tail_accuracy"] - out["uncalibrated/tail_accuracy"])


def test_bad_tail_classes_is_named():
  ctx, _, _ = _ctx()
  with pytest.raises(ValueError, match="tail_classes"):
    fracal_study(ctx, tail_classes=0)
