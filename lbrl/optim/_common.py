"""Shared pieces of lbrl's optax transforms: argument checks, tree checks, the optimizer wrapper.

Every factory in ``lbrl.optim`` validates its hyperparameters when it is *built* (a negative learning
rate, a beta outside [0, 1), a rank larger than the matrix raise ``ValueError`` naming the argument), and
every returned optimizer checks at trace time that the gradient tree matches the parameter tree,
naming the first differing path. Values that are traced (under ``optax.inject_hyperparams`` or
``jax.jit``) or schedules (callables) cannot be checked when built and are passed through.
"""
from __future__ import annotations

import inspect
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax


# ----------------------------------------------------------------------------------------------------
# Hyperparameter checks.

def concrete(value: Any) -> float | None:
  """``float(value)`` for a Python/NumPy/concrete JAX scalar; ``None`` for tracers and schedules."""
  if callable(value) or value is None or isinstance(value, jax.core.Tracer):
    return None
  if isinstance(value, (bool, np.bool_)):
    return None
  try:
    arr = np.asarray(value)
  except Exception:  # pylint: disable=broad-except
    return None
  if arr.shape != () or not np.issubdtype(arr.dtype, np.number):
    return None
  return float(arr)


def check_nonnegative(name: str, value: Any) -> None:
  v = concrete(value)
  if v is not None and not (v >= 0):   # also rejects NaN
    raise ValueError(f"{name} must be >= 0, got {value!r}")


def check_positive(name: str, value: Any) -> None:
  v = concrete(value)
  if v is not None and not (v > 0):
    raise ValueError(f"{name} must be > 0, got {value!r}")


def check_beta(name: str, value: Any) -> None:
  """Momentum-style decay rates live in [0, 1)."""
  v = concrete(value)
  if v is not None and not (0.0 <= v < 1.0):
    raise ValueError(f"{name} must be in [0, 1), got {value!r}")


def check_learning_rate(value: Any, name: str = "learning_rate") -> None:
  """A constant learning rate must be finite and >= 0; a schedule is checked at step 0."""
  if callable(value):
    try:
      value = value(0)
    except Exception:  # pylint: disable=broad-except
      return
  v = concrete(value)
  if v is not None and not (np.isfinite(v) and v >= 0):
    raise ValueError(f"{name} must be a finite number >= 0 (or a schedule), got {value!r}")


def check_int(name: str, value: Any, minimum: int = 1) -> None:
  """An integer >= ``minimum``; a traced value (``optax.inject_hyperparams``) is passed through."""
  if isinstance(value, jax.core.Tracer):
    return
  if isinstance(value, (jax.Array, np.ndarray)) and np.shape(value) == () and np.issubdtype(
      np.asarray(value).dtype, np.integer):
    value = int(value)
  if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
    raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


# ----------------------------------------------------------------------------------------------------
# Tree checks.

def check_same_tree(updates: Any, other: Any, other_name: str = "params") -> None:
  """Raises ``ValueError`` naming the first path where ``updates`` and ``other`` differ.

  Compares the flattened key paths in order, then the leaf shapes. Runs at trace time (no cost in the
  compiled step).
  """
  if other is None:
    return
  u_leaves = jax.tree_util.tree_flatten_with_path(updates)[0]
  o_leaves = jax.tree_util.tree_flatten_with_path(other)[0]
  for (pu, lu), (po, lo) in zip(u_leaves, o_leaves):
    if pu != po:
      raise ValueError(
          f"gradient/update tree and {other_name} tree differ: first differing path is "
          f"{jax.tree_util.keystr(pu)} (updates) vs {jax.tree_util.keystr(po)} ({other_name})")
    if np.shape(lu) != np.shape(lo):
      raise ValueError(
          f"gradient/update and {other_name} differ in shape at {jax.tree_util.keystr(pu)}: "
          f"{np.shape(lu)} vs {np.shape(lo)}")
  if len(u_leaves) != len(o_leaves):
    longer, name = (u_leaves, "updates") if len(u_leaves) > len(o_leaves) else (o_leaves, other_name)
    extra = longer[min(len(u_leaves), len(o_leaves))][0]
    raise ValueError(
        f"gradient/update tree and {other_name} tree differ: first differing path is "
        f"{jax.tree_util.keystr(extra)}, present only in {name}")


def checked(tx: optax.GradientTransformation) -> optax.GradientTransformationExtraArgs:
  """Wraps ``tx`` so that ``update`` checks the update tree against ``params`` and accepts extra args.

  Extra keyword arguments (``value=``, ``grad_fn=``, ...) are forwarded when ``tx`` takes them and
  dropped otherwise, so a trainer can always call ``tx.update(g, s, p, value=loss, grad_fn=gf)``.
  """
  tx = optax.with_extra_args_support(tx)
  sig = inspect.signature(tx.update).parameters
  takes_all = any(p.kind == inspect.Parameter.VAR_KEYWORD for p in sig.values())

  def update_fn(updates, state, params=None, **extra):
    check_same_tree(updates, params)
    if not takes_all:
      extra = {k: v for k, v in extra.items() if k in sig}
    return tx.update(updates, state, params, **extra)

  return optax.GradientTransformationExtraArgs(tx.init, update_fn)


def decayed_weights(weight_decay: Any, mask: Any = None) -> list[optax.GradientTransformation]:
  """``[optax.add_decayed_weights(...)]`` (kept even at 0, so the chain's state structure does not
  depend on the value, as ``optax.inject_hyperparams`` requires)."""
  check_nonnegative("weight_decay", weight_decay)
  return [optax.add_decayed_weights(weight_decay, mask)]


def optimizer(core: optax.GradientTransformation | list, learning_rate: Any, weight_decay: Any = 0.0,
              mask: Any = None) -> optax.GradientTransformationExtraArgs:
  """``chain(core, add_decayed_weights(wd, mask), scale_by_learning_rate(lr))``, tree-checked."""
  check_learning_rate(learning_rate)
  core = [core] if isinstance(core, optax.GradientTransformation) else list(core)
  return checked(optax.chain(*core, *decayed_weights(weight_decay, mask),
                             optax.scale_by_learning_rate(learning_rate)))


# ----------------------------------------------------------------------------------------------------
# Numerics shared by several transforms.

def f32(x: jax.Array) -> jax.Array:
  return jnp.asarray(x, jnp.float32)


def zeros_f32(params: Any) -> Any:
  """A float32 zero accumulator shaped like each leaf of ``params``."""
  return jax.tree.map(lambda p: jnp.zeros(jnp.shape(p), jnp.float32), params)


def ema(decay: Any, moment: Any, value: Any, power: int = 1) -> Any:
  """decay * moment + (1 - decay) * f32(value)**power, leafwise: ``optax.tree.update_moment`` on the
  float32 view of ``value`` (so bf16 gradients accumulate in the float32 state)."""
  return optax.tree.update_moment(jax.tree.map(f32, value), moment, decay, power)


def bias_corrected(moment: Any, decay: Any, count: jax.Array) -> Any:
  """``moment / (1 - decay**count)`` leafwise (``count`` >= 1): ``optax.tree.bias_correction``."""
  return optax.tree.bias_correction(moment, jnp.asarray(decay, jnp.float32), count)


def bias_factor(decay: Any, count: jax.Array) -> jax.Array:
  """``1 - decay**count`` as a float32 scalar (the denominator of bias correction)."""
  return 1.0 - jnp.asarray(decay, jnp.float32) ** jnp.asarray(count).astype(jnp.float32)


def channel_rows(x: jax.Array) -> jax.Array:
  """Reshapes a Flax kernel to ``[out_channels, fan_in]`` (Flax puts the output channel last)."""
  return jnp.moveaxis(x, -1, 0).reshape(x.shape[-1], -1)


def from_channel_rows(rows: jax.Array, shape: tuple[int, ...]) -> jax.Array:
  moved = rows.reshape((shape[-1],) + tuple(shape[:-1]))
  return jnp.moveaxis(moved, 0, -1)


def lr_at(learning_rate: Any, count: jax.Array) -> jax.Array:
  """The learning rate at step ``count`` (constant or schedule)."""
  return jnp.asarray(learning_rate(count) if callable(learning_rate) else learning_rate, jnp.float32)


def mask_tree(mask: Any, params: Any) -> Any:
  """The per-leaf booleans of a weight-decay ``mask`` (as in ``optax.add_decayed_weights``): ``None``
  selects every leaf; a callable is called on ``params``; a tree of booleans is used as is."""
  if mask is None:
    return jax.tree.map(lambda _: True, params)
  tree = mask(params) if callable(mask) else mask
  return tree


def masked_decay(weight_decay: Any, mask: Any, params: Any) -> Any:
  """A tree of per-leaf weight-decay coefficients: ``weight_decay`` where ``mask`` selects, else 0."""
  sel = mask_tree(mask, params)
  return jax.tree.map(lambda s, _: weight_decay * jnp.asarray(s, jnp.float32), sel, params)


def check_transform(name: str, value: Any) -> optax.GradientTransformation:
  """``value`` must be an optax transform (composition is by transform, never by registered name)."""
  if isinstance(value, str):
    raise TypeError(f"{name} must be an optax GradientTransformation (e.g. lbrl.optim.adam(1e-3)), got the "
                    f"name {value!r}: names are resolved by lbrl.train.optimizer, not by lbrl.optim")
  if not isinstance(value, optax.GradientTransformation):
    raise TypeError(f"{name} must be an optax GradientTransformation, got {type(value).__name__}")
  return value
