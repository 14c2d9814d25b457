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

import jax
import jax.numpy as jnp
import optax

from lbrl.data import pipeline


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


def fit_temperature(logits, labels, valid, *, iters: int = 100):
  """The temperature ``T > 0`` minimising the mean NLL of ``softmax(logits / T)`` over the valid rows
  (Guo et al., "On Calibration of Modern Neural Networks", ICML 2017, arXiv:1706.04599, section 4.2),
  by L-BFGS on ``log T`` from ``T = 1`` (optax.lbfgs with its zoom line search)."""
  w = valid.astype(jnp.float32)
  safe = jnp.where(valid, labels, 0)

  def nll(log_t):
    z = logits / jnp.exp(log_t)
    ce = optax.softmax_cross_entropy_with_integer_labels(z, safe)
    return jnp.sum(ce * w) / jnp.maximum(jnp.sum(w), 1.0)

  opt = optax.lbfgs()
  value_and_grad = optax.value_and_grad_from_state(nll)

  def body(carry, _):
    x, s = carry
    v, g = value_and_grad(x, state=s)
    u, s = opt.update(g, s, x, value=v, grad=g, value_fn=nll)
    return (optax.apply_updates(x, u), s), None

  x0 = jnp.zeros((), jnp.float32)
  (x, _), _ = jax.lax.scan(body, (x0, opt.init(x0)), None, length=iters)
  return jnp.exp(x)


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
