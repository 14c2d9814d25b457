"""Optimizer construction from a config: schedule, registered/optax optimizer, per-parameter rules.

``config.optimizer = dict(name=..., learning_rate=..., <optimizer kwargs>, frozen=[regex...],
lr_multipliers=[(regex, factor)...], weight_decay_mask=[regex...])``: frozen parameters get zero
updates, matching parameters' updates are scaled, and weight decay (the factory's ``mask`` argument,
as in ``optax.adamw``) applies only to parameters matching ``weight_decay_mask`` when it is given. ``name`` is looked up in :data:`lbrl.registry.OPTIMIZERS`
(lbrl's transforms and optax's, registered by :mod:`lbrl.optim`), then in ``optax`` itself, so any
optax optimizer factory works by name. The learning rate follows ``config.schedule``.

Optimizer-valued arguments (``inner=`` of ``scaled_gradient``/``perpgrad``, ``base=`` of the two-pass
methods; the optimizer's declared ``components``) are given by name in a config, with their keyword arguments in
``<arg>_kwargs``; they are resolved here (recursively) into transforms built with the run's schedule,
so ``lbrl.optim`` never looks optimizers up by name.

Parametrisations (:mod:`lbrl.optim.parametrization`): with ``parametrization=`` (or
``config.parametrization`` naming one: ``"sp"``, ``"mup"``), each leaf's update is multiplied by its
learning-rate multiplier and, when ``config.optimizer.weight_decay`` is set, decoupled weight decay
``-lr * wd * wd_mult * w`` is applied per leaf (the factory's own decay is then turned off, so under
muP an optimizer's coupled L2 decay, as ``sgd``'s, becomes decoupled). ``"sp"`` changes nothing.
"""
from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import optax

from lbrl.parallel.mesh import path_str
from lbrl.registry import OPTIMIZERS


def make_schedule(cfg_schedule, learning_rate: float, steps: int) -> optax.Schedule:
  """The learning rate at each step: ``warmup_steps`` of linear warm-up from 0, then ``name``:

  * ``constant``;
  * ``cosine``: cosine decay to ``end_fraction * lr`` at ``steps`` (optax.warmup_cosine_decay_schedule);
  * ``linear``: linear decay to ``end_fraction * lr``;
  * ``polynomial``: ``end + (lr - end) (1 - t/T)^power`` over the steps after warm-up (LARS's power 2);
  * ``step``: multiplied by ``factors[i]`` at each of ``boundaries[i]`` (fractions of ``steps`` in
    (0, 1), e.g. ``[0.5, 0.75]`` with ``[0.1, 0.1]``: /10 at epochs 100 and 150 of 200), cumulatively;
  * ``inverse_sqrt``: ``lr * sqrt(timescale / max(t, timescale))`` with ``timescale`` (default the
    warm-up length): the Transformer's rsqrt decay; Adafactor's ``min(1e-2, 1/sqrt(t))`` is lr 1e-2
    with timescale 10^4 and no warm-up.
  * ``wsd``: warmup-stable-decay, constant after the warm-up and a cooldown to 0 over the last
    ``cooldown_fraction`` (default 0.2) of the steps, ``cooldown_shape`` ``"linear"`` (default) or
    ``"1-sqrt"`` (:func:`lbrl.laws.schedules.wsd`; Hägele et al. 2024, arXiv:2405.18392).

  Optional ``warmup_start`` (a fraction of ``lr``, default 0): the warm-up ramps from ``warmup_start *
  lr`` instead of 0 (Goyal et al. 2017's gradual warm-up from the small-batch rate ``lr / k``; not for
  ``wsd``).
  """
  name, warmup = cfg_schedule.name, int(cfg_schedule.warmup_steps)
  get = lambda k, d: cfg_schedule.get(k, d) if hasattr(cfg_schedule, "get") else d
  end = learning_rate * float(cfg_schedule.end_fraction)
  start = learning_rate * float(get("warmup_start", 0.0))   # the warm-up's first rate (Goyal et al.: lr / k)
  if learning_rate < 0:
    raise ValueError(f"optimizer.learning_rate must be >= 0, got {learning_rate}")
  if not 0 <= warmup <= steps:
    raise ValueError(f"schedule.warmup_steps={warmup} must be in [0, steps={steps}]")
  rest = max(steps - warmup, 1)
  if name == "wsd":
    from lbrl.laws.schedules import wsd
    return wsd(learning_rate, steps, warmup_steps=warmup, cooldown_fraction=float(get("cooldown_fraction", 0.2)),
               shape=str(get("cooldown_shape", "linear")))
  if name == "constant":
    after = optax.constant_schedule(learning_rate)
  elif name == "cosine":
    return optax.warmup_cosine_decay_schedule(start, learning_rate, warmup, max(steps, warmup + 1), end)
  elif name == "linear":
    after = optax.linear_schedule(learning_rate, end, rest)
  elif name == "polynomial":
    after = optax.polynomial_schedule(learning_rate, end, float(get("power", 1.0)), rest)
  elif name == "step":
    boundaries, factors = list(get("boundaries", [])), list(get("factors", []))
    if len(boundaries) != len(factors) or not boundaries or any(not 0 < b < 1 for b in boundaries):
      raise ValueError(f"schedule 'step' needs boundaries (fractions of steps in (0, 1)) and as many factors; "
                       f"got boundaries={boundaries}, factors={factors}")
    after = optax.piecewise_constant_schedule(
        learning_rate, {max(int(round(b * steps)) - warmup, 1): float(f) for b, f in zip(boundaries, factors)})
  elif name == "inverse_sqrt":
    scale = float(get("timescale", 0) or warmup or 1)
    after = lambda t: learning_rate * jnp.sqrt(scale / jnp.maximum(t + warmup, scale))
  else:
    raise ValueError(f"unknown schedule.name {name!r}; known: constant, cosine, linear, polynomial, step, inverse_sqrt, wsd")
  if not warmup:
    return after
  return optax.join_schedules([optax.linear_schedule(start, learning_rate, warmup), after], [warmup])


def lookup(name: str):
  """A registered optimizer factory, else ``optax.<name>``."""
  import lbrl.optim  # noqa: F401  (registers lbrl's optimizers)
  if name in OPTIMIZERS:
    return OPTIMIZERS.get(name)
  fn = getattr(optax, name, None)
  if callable(fn) and not name.startswith("_"):
    return fn
  return OPTIMIZERS.get(name)  # raises with the closest names


def _label_tree(params, rules, default):
  """A pytree of per-leaf values from ``[(regex, value)]`` rules (first match wins)."""
  def one(path, _):
    p = path_str(path)
    for regex, value in rules:
      if re.search(regex, p):
        return value
    return default
  return jax.tree_util.tree_map_with_path(one, params)


def _with_components(name: str, kwargs: dict, schedule) -> dict:
  """Replaces ``kwargs``' optimizer-valued arguments of factory ``name`` (names and ``*_kwargs``) by
  transforms built with ``schedule``; returns the keyword arguments for the factory."""
  components = OPTIMIZERS.spec(name).components if name in OPTIMIZERS else None
  if not components:
    return dict(kwargs, learning_rate=schedule)
  out = dict(kwargs)
  for arg, default in components.items():
    inner = out.pop(arg, default)
    inner_kwargs = dict(out.pop(f"{arg}_kwargs", None) or {})
    if isinstance(inner, str):
      try:
        inner = lookup(inner)(**_with_components(inner, inner_kwargs, schedule))
      except TypeError as e:
        raise TypeError(f"optimizer {name!r}: {arg}={inner!r} rejected {arg}_kwargs {sorted(inner_kwargs)}: "
                        f"{e}") from e
    elif inner_kwargs:
      raise ValueError(f"optimizer {name!r}: {arg}_kwargs given but {arg} is already a transform")
    out[arg] = inner
  return out


def _parametrization(cfg, parametrization):
  """The parametrisation object for ``parametrization`` (an object, a name) or, when None,
  ``cfg.parametrization`` (a name or a block ``dict(name="mup", optimizer="adam", base_model=..., ...)``
  whose other fields are the declared factory's arguments, :data:`lbrl.registry.PARAMETRIZATIONS`)."""
  if parametrization is None:
    spec = cfg.get("parametrization") if hasattr(cfg, "get") else None
    if not spec:
      return None
    fields = {"name": spec} if isinstance(spec, str) else dict(spec)
    name = fields.pop("name", "")
    if not name:
      return None
    from lbrl.registry import PARAMETRIZATIONS  # pylint: disable=import-outside-toplevel
    return PARAMETRIZATIONS.get(name)(**fields)
  if parametrization == "":
    return None
  if isinstance(parametrization, str):
    from lbrl.optim.parametrization import get_parametrization  # pylint: disable=import-outside-toplevel
    return get_parametrization(parametrization)
  return parametrization


def make_optimizer(cfg, steps: int, parametrization=None, base_params=None,
                   ) -> tuple[optax.GradientTransformationExtraArgs, optax.Schedule]:
  """The optimizer of ``cfg.optimizer`` with ``cfg.schedule`` and the per-parameter rules.

  ``parametrization``: a :class:`lbrl.optim.parametrization.Parametrization` (or its name; default
  ``cfg.parametrization`` when present): the per-leaf learning-rate and weight-decay multipliers it
  gives (relative to ``base_params``, a tree of shapes of the base model, or its ``base_width``) are
  applied to the updates. The trainer calls :func:`lbrl.optim.parametrization.apply_init` on the
  initial parameters with the same object.
  """
  kwargs = dict(cfg.optimizer)
  name = kwargs.pop("name")
  frozen = list(kwargs.pop("frozen", []) or [])
  decay_only = list(kwargs.pop("weight_decay_mask", []) or [])
  if decay_only:  # weight decay only on parameters whose path matches one of these regexes
    kwargs["mask"] = lambda params: _label_tree(params, [(r, True) for r in decay_only], False)
  multipliers = list(kwargs.pop("lr_multipliers", []) or [])
  schedule = make_schedule(cfg.schedule, float(kwargs.pop("learning_rate")), steps)
  p13n = _parametrization(cfg, parametrization)
  if p13n is not None and p13n.name == "sp":
    p13n = None   # SP: every multiplier is 1; the optimizer (and its own form of decay) is unchanged
  p13n_decay = 0.0
  if p13n is not None and "weight_decay" in kwargs:
    # muP scales the decay per leaf: apply it here (decoupled, -lr * wd * mult * w) instead of in the factory.
    p13n_decay = float(kwargs["weight_decay"])
    kwargs["weight_decay"] = 0.0
  try:
    tx = lookup(name)(**_with_components(name, kwargs, schedule))
  except TypeError as e:
    raise TypeError(f"optimizer {name!r} rejected config.optimizer arguments {sorted(kwargs)}: {e}") from e
  parts = []
  if cfg.grad_clip_norm:
    parts.append(optax.clip_by_global_norm(float(cfg.grad_clip_norm)))
  parts.append(tx)
  if p13n is not None:
    parts.append(p13n.scale_updates(schedule, p13n_decay, base_params, mask=kwargs.get("mask")))
  if multipliers:
    parts.append(_scale_by_rules(multipliers))
  tx = optax.chain(*parts) if len(parts) > 1 else tx
  if frozen:
    tx = optax.multi_transform({"train": tx, "frozen": optax.set_to_zero()},
                               lambda p: _label_tree(p, [(r, "frozen") for r in frozen], "train"))
  return optax.with_extra_args_support(tx), schedule


def _scale_by_rules(rules) -> optax.GradientTransformation:
  """Multiplies each parameter's update by the factor of the first matching ``(regex, factor)``."""
  def init(params):
    del params
    return optax.EmptyState()

  def update(updates, state, params=None):
    factors = _label_tree(updates, rules, 1.0)
    return jax.tree.map(lambda u, f: u * f, updates, factors), state

  return optax.GradientTransformation(init, update)
