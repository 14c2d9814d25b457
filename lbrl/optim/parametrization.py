"""Parametrisations: per-leaf init-scale, learning-rate and weight-decay multipliers (SP and muP).

A parametrisation says how initialisation and learning rates scale with the width of a network. lbrl
expresses it as multipliers *relative to the standard parametrisation (SP)* of a model built by its
usual initialisers (variance 1 / fan_in): at the base shapes every multiplier is 1, so a muP model at
its base width is the SP model, and a learning rate tuned there transfers to other widths.

muP (Yang, Hu, Babuschkin, Sidor, Liu, Farhi, Ryder, Pachocki, Chen & Gao, "Tensor Programs V: Tuning
Large Neural Networks via Zero-Shot Hyperparameter Transfer", 2022, arXiv:2203.03466; Table 3), with
the width multipliers m_in = fan_in / base_fan_in and m_out = fan_out / base_fan_out of each leaf:

  leaf kind (by which of fan_in / fan_out grow with width, read off the base shapes, not the names)
                    input weights & all biases   hidden weights        output weights
                    (fan_in fixed, fan_out grows) (both grow)           (fan_in grows, fan_out fixed)
  init variance     1/fan_in  (x1)               1/fan_in  (x1)        1/fan_in^2 (std x 1/sqrt(m_in))
  Adam lr           x1                           x 1/m_in              x 1/m_in
  SGD lr            x m_out                      x1                    x 1/m_in

(Table 3 gives the absolute scalings, e.g. the Adam hidden lr ~ 1/fan_in; dividing by the same scaling
at the base shapes gives the multipliers above.) Leaves whose fans are both fixed get 1 everywhere; so
does every leaf of a model *at* its base shapes (it is classified ``fixed``: which dimensions are widths
is read off the difference from the base, as the ``mup`` package reads it off its base and delta
models).
Weight decay: ``-lr(t) * wd * wd_mult * w`` with ``wd_mult = 1`` holds the per-step decay fixed across
widths (the ``mup`` package's default for its Adam, which multiplies weight decay by the width
multiplier to undo its lr division); ``wd_follows_lr=True`` uses ``wd_mult = lr_mult`` instead.

Layout: Flax kernels are ``[..., fan_in axes, out]``: fan_out = shape[-1], fan_in = prod(shape[:-1]);
a vector (bias, norm scale) has fan_in 1; an embedding table ``[vocab, d]`` is an input weight.

Example::

    p13n = Parametrization("mup", optimizer="adam", base_shapes=small_params)
    params = apply_init(params, p13n)                     # rescales the standard init
    tx = optax.chain(optax.adam(lr), p13n.scale_updates(lr))
"""
from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

KINDS = ("input", "hidden", "output", "fixed")
NAMES = ("sp", "mup")
OPTIMIZERS = ("adam", "sgd")


class LeafMultipliers(NamedTuple):
  """One leaf's classification and multipliers (relative to SP)."""
  kind: str
  init: float
  lr: float
  wd: float


def fans(shape) -> tuple[int, int]:
  """(fan_in, fan_out) of a Flax parameter: ``prod(shape[:-1])`` and ``shape[-1]`` (1, 1 for a scalar)."""
  shape = tuple(int(d) for d in shape)
  if not shape:
    return 1, 1
  return int(np.prod(shape[:-1], dtype=np.int64)) if len(shape) > 1 else 1, shape[-1]


def classify(shape, base_shape) -> tuple[str, float, float]:
  """(kind, m_in, m_out) of a leaf from its shape and its base shape."""
  if len(tuple(shape)) != len(tuple(base_shape)):
    raise ValueError(f"shape {tuple(shape)} and base shape {tuple(base_shape)} differ in rank")
  fi, fo = fans(shape)
  bfi, bfo = fans(base_shape)
  m_in, m_out = fi / bfi, fo / bfo
  grows_in, grows_out = m_in != 1.0, m_out != 1.0
  if grows_in and grows_out:
    kind = "hidden"
  elif grows_out:
    kind = "input"
  elif grows_in:
    kind = "output"
  else:
    kind = "fixed"
  return kind, m_in, m_out


def _shape(x) -> tuple[int, ...]:
  if isinstance(x, (tuple, list)) and all(isinstance(d, (int, np.integer)) for d in x):
    return tuple(int(d) for d in x)
  return tuple(np.shape(x))


@dataclasses.dataclass(frozen=True)
class Parametrization:
  """SP or muP (see the module docstring) for Adam-type or SGD-type optimizers.

  name:           ``"sp"`` (every multiplier 1) or ``"mup"``.
  optimizer:      ``"adam"`` (any entrywise-normalised optimizer: Adam, AdamW, Lion, sign descent) or
                  ``"sgd"`` (SGD and momentum SGD): Table 3's two lr rows.
  base_shapes:    a tree like the params (arrays, ``ShapeDtypeStruct`` or shape tuples) of the base
                  model; or give ``width`` and ``base_width``: every dimension that is a multiple of
                  ``width`` is taken to scale, d -> d * base_width / width.
  wd_follows_lr:  weight-decay multiplier = the lr multiplier (else 1: per-step decay width-independent).
  """
  name: str = "mup"
  optimizer: str = "adam"
  base_shapes: Any = None
  width: int | None = None
  base_width: int | None = None
  wd_follows_lr: bool = False

  def __post_init__(self):
    if self.name not in NAMES:
      raise ValueError(f"parametrization name must be one of {NAMES}, got {self.name!r}")
    if self.optimizer not in OPTIMIZERS:
      raise ValueError(f"parametrization optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
    if (self.width is None) != (self.base_width is None):
      raise ValueError("give both width and base_width (or base_shapes)")
    for k in ("width", "base_width"):
      v = getattr(self, k)
      if v is not None and (not isinstance(v, (int, np.integer)) or v < 1):
        raise ValueError(f"{k} must be a positive integer, got {v!r}")

  # -- shapes ----------------------------------------------------------------------------------------
  def _base_shape(self, shape, base=None):
    if base is not None:
      return _shape(base)
    if self.width is None:
      raise ValueError(f"parametrization {self.name!r} needs base_shapes or width and base_width")
    w, bw = int(self.width), int(self.base_width)
    return tuple(d * bw // w if d % w == 0 else d for d in shape)

  def leaf(self, shape, base_shape=None) -> LeafMultipliers:
    """The multipliers of one leaf of ``shape`` (``base_shape``: its shape in the base model)."""
    shape = _shape(shape)
    if self.name == "sp":
      return LeafMultipliers("fixed", 1.0, 1.0, 1.0)
    kind, m_in, m_out = classify(shape, self._base_shape(shape, base_shape))
    init = 1.0 / np.sqrt(m_in) if kind == "output" else 1.0
    if self.optimizer == "adam":
      lr = 1.0 / m_in if kind in ("hidden", "output") else 1.0
    else:
      lr = {"input": m_out, "hidden": 1.0, "output": 1.0 / m_in, "fixed": 1.0}[kind]
    wd = lr if self.wd_follows_lr else 1.0
    return LeafMultipliers(kind, float(init), float(lr), float(wd))

  def multipliers(self, params, base_shapes=None) -> Any:
    """A tree of :class:`LeafMultipliers` shaped like ``params`` (``base_shapes`` overrides the
    object's)."""
    base = base_shapes if base_shapes is not None else self.base_shapes
    is_leaf = lambda x: isinstance(x, tuple) and all(isinstance(d, (int, np.integer)) for d in x)
    if base is None:
      return jax.tree.map(lambda p: self.leaf(_shape(p)), params, is_leaf=is_leaf)
    p_leaves, treedef = jax.tree.flatten(params, is_leaf=is_leaf)
    b_leaves, b_def = jax.tree.flatten(base, is_leaf=is_leaf)
    if len(p_leaves) != len(b_leaves):
      raise ValueError(f"base_shapes has {len(b_leaves)} leaves but params have {len(p_leaves)} "
                       f"({b_def} vs {treedef})")
    return jax.tree.unflatten(treedef, [self.leaf(_shape(p), _shape(b)) for p, b in zip(p_leaves, b_leaves)])

  def _field(self, params, field, base_shapes=None):
    mults = self.multipliers(params, base_shapes)
    return jax.tree.map(lambda m: getattr(m, field), mults, is_leaf=lambda x: isinstance(x, LeafMultipliers))

  def init_multipliers(self, params, base_shapes=None):
    return self._field(params, "init", base_shapes)

  def lr_multipliers(self, params, base_shapes=None):
    return self._field(params, "lr", base_shapes)

  def wd_multipliers(self, params, base_shapes=None):
    return self._field(params, "wd", base_shapes)

  def kinds(self, params, base_shapes=None):
    return self._field(params, "kind", base_shapes)

  # -- the optimizer side ----------------------------------------------------------------------------
  def scale_updates(self, learning_rate: Any = 0.0, weight_decay: Any = 0.0, base_shapes=None,
                    mask: Any = None) -> optax.GradientTransformation:
    """A transform to chain after an optimizer (whose updates already include ``-lr``):

      u <- lr_mult * u - learning_rate(t) * weight_decay * wd_mult * w     (decay on ``mask``ed leaves)

    The multipliers are computed from the parameter shapes at trace time (no state but a count).
    """
    def init_fn(params):
      del params
      return optax.ScaleByScheduleState(count=jnp.zeros([], jnp.int32))

    def update_fn(updates, state, params=None):
      lrm = self.lr_multipliers(updates, base_shapes)
      out = jax.tree.map(lambda u, m: (u * m).astype(u.dtype), updates, lrm)
      wd_on = not (isinstance(weight_decay, (int, float)) and weight_decay == 0)
      if wd_on:
        if params is None:
          raise ValueError("parametrization weight decay needs params")
        from lbrl.optim import _common as C  # pylint: disable=import-outside-toplevel
        lr = C.lr_at(learning_rate, state.count)
        wdm = self.wd_multipliers(updates, base_shapes)
        sel = C.mask_tree(mask, params)
        out = jax.tree.map(
            lambda u, p, m, s: (u - lr * weight_decay * m * jnp.asarray(s, jnp.float32)
                                * p.astype(jnp.float32)).astype(u.dtype),
            out, params, wdm, sel)
      return out, optax.ScaleByScheduleState(count=optax.safe_increment(state.count))

    return optax.GradientTransformation(init_fn, update_fn)


def sp(**kwargs) -> Parametrization:
  """The standard parametrisation (every multiplier 1); the registry entry ``sp``."""
  return Parametrization("sp", **kwargs)


def mup(optimizer: str = "adam", **kwargs) -> Parametrization:
  """muP (Tensor Programs V, Table 3) for ``optimizer`` (``adam`` or ``sgd``); the registry entry ``mup``.
  Give ``base_shapes`` or ``width`` and ``base_width``."""
  return Parametrization("mup", optimizer=optimizer, **kwargs)


def get_parametrization(spec: Any) -> Parametrization:
  """A :class:`Parametrization` from a name (``"sp"``, ``"mup"``), a mapping of its fields (a config
  block such as ``{"name": "mup", "optimizer": "adam", "width": 256, "base_width": 64}``), or itself."""
  if isinstance(spec, Parametrization):
    return spec
  if isinstance(spec, str):
    return Parametrization(spec)
  if hasattr(spec, "items"):
    return Parametrization(**dict(spec.items()))
  raise TypeError(f"parametrization must be a name, a mapping or a Parametrization, got {type(spec).__name__}")


def apply_init(params, param13n: Parametrization | str, base_shapes=None):
  """Rescales a standard (variance 1 / fan_in) initialisation to ``param13n``'s: each leaf is
  multiplied by its init multiplier (muP: output weights by 1 / sqrt(m_in); everything else 1)."""
  p = get_parametrization(param13n)
  mult = p.init_multipliers(params, base_shapes)
  return jax.tree.map(lambda x, m: (x * m).astype(x.dtype) if m != 1.0 else x, params, mult)
