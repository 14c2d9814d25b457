"""Adaptive batch size inside a fixed-shape step: AdAdaGrad's norm and inner-product tests, and the
gradient noise scale logged while training.

A gradient estimator (the interface of :class:`lbrl.optim.sharpness.GradEstimator`;
``config.grad_estimator = dict(name="adaptive_batch", ...)``) that computes per-example gradients of the
step's batch and uses only its first ``b`` rows, where ``b`` (the *current batch size*) lives in the
estimator's state and so in every checkpoint: a resumed run continues with the same ``b`` and draws the
same batches. The data pipeline delivers ``data.batch_size`` rows per step (the *maximum* batch); rows
``b .. max-1`` are dropped, so the used rows are a uniformly random subset of size ``b`` of a shuffled
epoch (the distribution of a batch of size ``b``). Shapes never change (one compilation), at the price
of computing per-example gradients for the maximum batch every step: the claims this serves are in steps
and examples, not wall time. Per-example gradients are materialised (``[max_batch, P]`` floats): small
models only.

After each step, with ``g`` the mean and ``g_i`` the per-example gradients of the ``b`` used rows:

* **norm test** (Byrd, Chin, Nocedal & Wu 2012; AdAdaGrad's eq. for ``test="norm"``): passes when
  ``sum_j Var_i(g_ij) / b <= eta^2 |g|^2`` (Var with divisor ``b - 1``); the next batch size is
  ``max(b, ceil(sum_j Var_i(g_ij) / (eta^2 |g|^2)))`` rounded up to ``multiple`` and capped at the maximum;
* **augmented inner-product test** (Bollapragada, Byrd & Nocedal 2018; ``test="inner_product"``):
  ``Var_i(<g_i, g>) / b <= theta^2 |g|^4`` and ``sum_i |g_i - (<g_i,g>/|g|^2) g|^2 / ((b - 1) b) <= nu^2 |g|^2``,
  next size the smallest passing both;
* ``test="none"``: ``b`` stays at ``initial_batch`` (a fixed batch with the same per-example statistics
  logged: the baseline arm of a paired comparison).

The batch size never shrinks (AdAdaGrad, Lau, Liu & Kolar 2024, arXiv:2402.11215, Algorithm 1 grows it
monotonically). Logged (``train/estimator/<key>``, from the state after the step): ``batch_size`` (the next
step's ``b``), ``examples`` (rows used so far), ``statistic`` (``sum_j Var_i(g_ij) / (b |g|^2)``: the norm
test passes when it is <= ``eta^2``), and the gradient noise scale ``b_simple = tr(Sigma) / |G|^2`` from the per-example
gradients (McCandlish et al. 2018, arXiv:1812.06162, eqs. A.1-A.2 with B_small = 1, B_big = b):
``|G|^2 ~ (b |g|^2 - mean |g_i|^2) / (b - 1)``, ``tr(Sigma) ~ b (mean |g_i|^2 - |g|^2) / (b - 1)``.

The models' other outputs (model state, accuracy, per-example rows) come from one ordinary forward
pass on the whole delivered batch; a model with batch statistics (BatchNorm in training mode) or a
batch-wide loss is refused: per-example gradients would not be the batch's.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from lbrl.optim.batch_rules import masked_tests

TESTS = ("norm", "inner_product", "none")


class AdaptiveBatchEstimator(NamedTuple):
  """A :class:`lbrl.optim.sharpness.GradEstimator` with ``metrics(state) -> dict`` (logged by the trainer
  as ``train/estimator/<key>``)."""
  name: str
  grad_evals: float
  init: object
  value_and_grad: object
  metrics: object
  per_example: bool = True   # the trainer refuses batch-wide losses and gradient accumulation with it


def adaptive_batch_estimator(*, initial_batch: int, test: str = "norm", eta: float = 1.0, theta: float = 0.9,
                             nu: float = 5.84, multiple: int = 1, max_batch: int | None = None) -> AdaptiveBatchEstimator:
  """The estimator (see the module docstring). ``initial_batch``: ``b`` at step 0 (>= 2); ``test``: one of
  ``TESTS``; ``eta`` (norm test), ``theta``/``nu`` (inner-product test: AdAdaGrad's defaults 0.9 and
  5.84); ``multiple``: batch sizes are rounded up to it; ``max_batch``: cap (default: the delivered
  batch, ``data.batch_size``)."""
  if test not in TESTS:
    raise ValueError(f"grad_estimator.test must be one of {TESTS}, got {test!r}")
  if int(initial_batch) < 2:
    raise ValueError(f"grad_estimator.initial_batch must be >= 2 (the tests need a variance), got {initial_batch}")
  for k, v in (("eta", eta), ("theta", theta), ("nu", nu), ("multiple", multiple)):
    if not v > 0:
      raise ValueError(f"grad_estimator.{k} must be > 0, got {v}")

  def init(params=None, **_):
    del params
    return {"batch_size": jnp.asarray(int(initial_batch), jnp.int32), "examples": jnp.zeros((), jnp.int32),
            "statistic": jnp.zeros((), jnp.float32), "b_simple": jnp.zeros((), jnp.float32)}

  def value_and_grad(loss_fn, params, batch, rng, state):
    rows = jax.tree.leaves(batch)[0].shape[0]
    cap = rows if max_batch is None else min(int(max_batch), rows)
    if int(initial_batch) > cap:
      raise ValueError(f"grad_estimator.initial_batch={initial_batch} exceeds the delivered batch "
                       f"(data.batch_size={rows}, max_batch={max_batch})")
    (_, aux) = loss_fn(params, batch, rng)          # outputs, model state, accuracy, rows: one forward
    if jax.tree.leaves(aux.get("model_state", {})):
      raise ValueError("grad_estimator 'adaptive_batch' needs a model without batch statistics (BatchNorm in "
                       "training mode): per-example gradients would not be the batch's")

    def one(p, ex, i):
      return loss_fn(p, jax.tree.map(lambda v: v[None], ex), jax.random.fold_in(rng, i))[0]

    losses, grads = jax.vmap(jax.value_and_grad(one), in_axes=(None, 0, 0))(params, batch, jnp.arange(rows))
    unravel = ravel_pytree(params)[1]
    flat = jax.vmap(lambda t: ravel_pytree(jax.tree.map(lambda x: x.astype(jnp.float32), t))[0])(grads)
    b = jnp.minimum(state["batch_size"], cap)
    mask = jnp.arange(rows) < b
    t = masked_tests(flat, mask, eta=eta, theta=theta, nu=nu)
    loss = jnp.sum(jnp.where(mask, losses, 0.0)) / t["b"]
    g = jax.tree.map(lambda x, p: x.astype(p.dtype), unravel(t["mean"]), params)
    if test == "none":
      nxt = b
    else:
      req = t["norm_required"] if test == "norm" else t["ip_required"]
      req = jnp.where(jnp.isfinite(req), req, 0.0)
      want = (jnp.ceil(req / multiple) * multiple).astype(jnp.int32)
      nxt = jnp.clip(jnp.maximum(b, want), 0, cap)
    new = {"batch_size": nxt.astype(jnp.int32), "examples": state["examples"] + b.astype(jnp.int32),
           "statistic": t["statistic"].astype(jnp.float32), "b_simple": t["b_simple"].astype(jnp.float32)}
    return (loss, aux), g, new

  def metrics(state):
    return {"batch_size": state["batch_size"], "examples": state["examples"], "statistic": state["statistic"],
            "b_simple": state["b_simple"]}

  return AdaptiveBatchEstimator("adaptive_batch", 1.0, init, value_and_grad, metrics)
