"""Post-training stages: maps fitted after training on a held-out split, on device, applied in the final eval.

``config.post_training = [dict(name="temperature_scaling", split="validation")]`` (names declared in
:data:`lbrl.registry.POST_TRAINING`). After the last step the trainer computes the model's logits on
the held-out split (never the training or the eval split), fits the stage there, reports the final
eval both without (``eval_uncalibrated/...``) and with the map (``eval/...``), and records the fitted
values (``post/<name>/...``).

The contract (what a new stage implements): ``split``; ``fit(task, state, data, mesh, cfg) -> cal``
(a pytree of device arrays); ``apply(cal, logits) -> logits`` (traced in the eval step);
``describe(cal) -> dict[str, float]``.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import jax
import jax.numpy as jnp
import optax

from lbrl.data import pipeline
from lbrl.evaluation import calibrators
from lbrl.evaluation.calibrators import fit_temperature  # noqa: F401  (the stage's fitting function)


def heldout_logits(task, state, data, mesh, batch_size: int):
  """``(logits [N, C] float32, labels [N], valid [N])`` of a split, concatenated on device."""
  from lbrl import parallel
  from lbrl.train import trainer
  sharding = parallel.batch_sharding(mesh)

  @jax.jit
  def fwd(params, model_state, batch):
    outputs, _ = trainer.apply_model(task, params, model_state, batch["x"], False)
    logits = trainer.eval_logits(task, outputs)
    if logits is None:
      raise ValueError("a calibration stage needs a model whose outputs give logits")
    labels = batch["label"]
    if not jnp.issubdtype(labels.dtype, jnp.integer):
      labels = jnp.argmax(labels, -1)
    mask = jnp.broadcast_to(batch["mask"].reshape(batch["mask"].shape + (1,) * (labels.ndim - 1)), labels.shape)
    return (logits.astype(jnp.float32).reshape(-1, logits.shape[-1]), labels.reshape(-1),
            (mask & (labels >= 0)).reshape(-1))

  parts = [fwd(state.params, state.model_state, b) for b in pipeline.eval_batches(data, batch_size, sharding)]
  return tuple(jnp.concatenate(p) for p in zip(*parts))


@dataclasses.dataclass
class TemperatureScaling:
  """Temperature scaling: ``logits / T`` with ``T`` fitted by NLL on the held-out ``split``.

  Guo, Pleiss, Sun, Weinberger, "On Calibration of Modern Neural Networks", ICML 2017,
  arXiv:1706.04599 (catalog slug ``temperature_scaling``). Leaves the arg-max (accuracy) unchanged.
  """
  split: str = "validation"
  iters: int = 100
  batch_size: int = 1000

  def fit(self, task, state, data, mesh, cfg):
    logits, labels, valid = heldout_logits(task, state, data, mesh, int(cfg.data.eval_batch_size))
    return {"temperature": jax.jit(fit_temperature, static_argnames="iters")(logits, labels, valid, iters=self.iters)}

  @staticmethod
  def apply(cal, logits):
    return logits / cal["temperature"]

  @staticmethod
  def describe(cal):
    return {"temperature": float(cal["temperature"])}


def temperature_scaling(split: str = "validation", iters: int = 100):
  return TemperatureScaling(split, int(iters))


@dataclasses.dataclass
class LogitMapStage:
  """A calibrator of :mod:`lbrl.evaluation.calibrators` as a stage: ``fit(logits, labels, valid, **options)``
  on the held-out ``split``'s logits, ``apply(params, logits)`` in the final eval."""
  split: str
  fit_fn: Callable
  apply_fn: Callable
  options: dict = dataclasses.field(default_factory=dict)

  def fit(self, task, state, data, mesh, cfg):
    logits, labels, valid = heldout_logits(task, state, data, mesh, int(cfg.data.eval_batch_size))
    return jax.jit(lambda z, y, v: self.fit_fn(z, y, v, **self.options))(logits, labels, valid)

  def apply(self, cal, logits):
    return self.apply_fn(cal, logits)

  @staticmethod
  def describe(cal):
    """Scalars as they are; arrays by their mean (e.g. ``w_mean``) so a report can show them."""
    out = {}
    for k, v in cal.items():
      v = jnp.asarray(v)
      out[k if v.ndim == 0 else f"{k}_mean"] = float(jnp.mean(v))
    return out


def vector_scaling(split: str = "validation", iters: int = 200):
  """Vector scaling (Guo et al., 2017, arXiv:1706.04599): ``z * w + b`` fitted by held-out NLL."""
  return LogitMapStage(split, calibrators.fit_vector_scaling, calibrators.apply_vector_scaling, dict(iters=int(iters)))


def matrix_scaling(split: str = "validation", l2: float = 0.0, iters: int = 300):
  """Matrix scaling (Guo et al., 2017): ``W z + b`` fitted by held-out NLL (+ ``l2 ||W - I||^2``)."""
  return LogitMapStage(split, calibrators.fit_matrix_scaling, calibrators.apply_matrix_scaling,
                       dict(l2=float(l2), iters=int(iters)))


def platt_scaling(split: str = "validation", smooth_targets: bool = True, iters: int = 100):
  """Platt scaling (binary) or one-vs-rest Platt scaling (multi-class), see :func:`calibrators.fit_platt`."""
  return LogitMapStage(split, calibrators.fit_platt, calibrators.apply_platt,
                       dict(smooth_targets=bool(smooth_targets), iters=int(iters)))


def h_calibration(split: str = "validation", steps: int = 1000, num_temperatures: int = 16):
  """h-calibration (Huang et al., 2025, arXiv:2506.17968): the authors' temperature-mixture calibrator fitted
  by the h-calibration objective, see :func:`calibrators.fit_hcalibration`."""
  return LogitMapStage(split, calibrators.fit_hcalibration, calibrators.apply_hcalibration,
                       dict(steps=int(steps), num_temperatures=int(num_temperatures)))


def _top_label(logits, labels):
  p = jax.nn.softmax(logits, -1)
  return jnp.max(p, -1), (jnp.argmax(p, -1) == labels)


def _fit_online_platt(logits, labels, valid, **kw):
  conf, correct = _top_label(logits, labels)
  _, _, state = calibrators.online_platt(conf, correct, where=valid, **kw)
  return state


def _apply_online_platt(calibeat):
  def apply(state, logits):
    """Top-label map: the predicted class's probability becomes the calibrated confidence ``p'`` and the
    others share ``1 - p'`` in their old ratios, or evenly when that would lift one of them above ``p'``;
    the prediction is kept whenever ``p' >= 1/C`` (top-label calibration calibrates the confidence of the
    predicted class; it does not change the prediction)."""
    p = jax.nn.softmax(logits, -1)
    top = jnp.max(p, -1, keepdims=True)
    new = calibrators.apply_online_platt(state, top[..., 0], calibeat=calibeat)[..., None]
    is_top = jnp.arange(p.shape[-1]) == jnp.argmax(p, -1, keepdims=True)
    scaled = jnp.where(is_top, 0.0, p * (1 - new) / jnp.maximum(1 - top, 1e-12))
    even = jnp.where(is_top, 0.0, (1 - new) / (p.shape[-1] - 1))
    others = jnp.where(jnp.max(scaled, -1, keepdims=True) <= new, scaled, even)
    q = jnp.where(is_top, new, others)
    return jnp.log(jnp.maximum(q, 1e-30))
  return apply


def online_platt_scaling(split: str = "validation", calibeat: bool = True, gamma: float = 0.1, eps: float = 1.0,
                         num_bins: int = 10):
  """Online Platt scaling, with calibeating by tracking when ``calibeat`` (Gupta & Ramdas, 2023,
  arXiv:2305.00070), run over the held-out split as a stream on the top-label confidence (binary:
  the confidence of the predicted class), its final state applied to the eval split."""
  kw = dict(gamma=float(gamma), eps=float(eps), num_bins=int(num_bins))
  return LogitMapStage(split, _fit_online_platt,
                       _apply_online_platt(bool(calibeat)), kw)
