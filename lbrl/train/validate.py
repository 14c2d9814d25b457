"""Config validation that runs before any data loading or compilation, with errors that name the key."""
from __future__ import annotations

import numpy as np

from lbrl.registry import GRAD_ESTIMATORS, LOSSES, METRICS, MODELS

from lbrl.config import REQUIRED  # the schema's fields, declared once in lbrl.config


class ConfigError(ValueError):
  pass


def validate_config(cfg, mesh=None) -> None:
  """Checks names, sizes and divisibility; with ``mesh``, also the batch against the mesh."""
  from lbrl.train.optimizer import lookup
  for key in REQUIRED:
    if key not in cfg:
      raise ConfigError(f"config has no field {key!r}; build configs with lbrl.config.base()")
  if int(cfg.steps) < 1:
    raise ConfigError(f"config.steps must be >= 1, got {cfg.steps}")
  from lbrl.data.core import check_name
  try:
    check_name(cfg.data.name)
  except KeyError as e:
    raise ConfigError(f"config.data.name: {e.args[0]}") from None
  for key, registry in (("model", MODELS), ("loss", LOSSES)):
    try:
      registry.spec(cfg[key].name)
    except KeyError as e:
      raise ConfigError(f"config.{key}.name: {e.args[0]}") from None
  try:
    lookup(cfg.optimizer.name)
  except KeyError as e:
    raise ConfigError(f"config.optimizer.name: {e.args[0]}") from None
  try:
    GRAD_ESTIMATORS.spec(cfg.grad_estimator.name)
  except KeyError as e:
    raise ConfigError(f"config.grad_estimator.name: {e.args[0]}") from None
  if "learning_rate" not in cfg.optimizer:
    raise ConfigError("config.optimizer.learning_rate is required")
  for name in cfg.eval_metrics:
    try:
      METRICS.spec(name)
    except KeyError as e:
      raise ConfigError(f"config.eval_metrics: {e.args[0]}") from None
  if cfg.on_nonfinite not in ("skip", "stop"):
    raise ConfigError(f"config.on_nonfinite must be 'skip' or 'stop', got {cfg.on_nonfinite!r}")
  for k in ("param", "compute"):
    if cfg.dtype[k] not in ("float32", "bfloat16", "float16", "float64"):
      raise ConfigError(f"config.dtype.{k} must be a float dtype name, got {cfg.dtype[k]!r}")
  bs, accum = int(cfg.data.batch_size), int(cfg.grad_accum_steps)
  if bs < 1 or accum < 1 or bs % accum:
    raise ConfigError(f"config.data.batch_size={bs} must be a positive multiple of grad_accum_steps={accum}")
  if mesh is not None:
    from lbrl.parallel.mesh import data_parallel_size
    dp = data_parallel_size(mesh)
    if (bs // accum) % dp:
      raise ConfigError(f"config.data.batch_size={bs} (per micro-batch {bs // accum}) is not divisible by "
                        f"the data-parallel size {dp} of mesh {dict(mesh.shape)}")
    if int(cfg.data.eval_batch_size) % dp:
      raise ConfigError(f"config.data.eval_batch_size={cfg.data.eval_batch_size} is not divisible by the "
                        f"data-parallel size {dp} of mesh {dict(mesh.shape)}")
