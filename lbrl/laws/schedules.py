"""Warmup-stable-decay (WSD): a constant learning rate with a short final cooldown, composed from optax
schedules (Hägele et al. 2024, "Scaling Laws and Compute-Optimal Training Beyond Fixed Training
Durations", arXiv:2405.18392; slug ``wsd_cooldown``).

    lr(t) = peak * t / warmup                       t < warmup
            peak                                    warmup <= t < total - cooldown
            peak * shape(1 - (t - t_c) / cooldown)  the last ``cooldown`` steps (t_c = total - cooldown)

with ``shape(u) = u`` (``"linear"``) or ``1 - sqrt(1 - u)`` (``"1-sqrt"``, the paper's best cooldown,
its section 3). ``cooldown_fraction`` defaults to 0.2 (the paper's 20% matches cosine). One constant-LR
run serves every length: a cooldown can start from any of its checkpoints.
"""
from __future__ import annotations

import jax.numpy as jnp
import optax


def wsd(peak: float, total_steps: int, *, warmup_steps: int = 0, cooldown_fraction: float = 0.2,
        shape: str = "linear") -> optax.Schedule:
  """The WSD schedule (see the module docstring), built with ``optax.join_schedules``."""
  if not peak > 0:
    raise ValueError(f"peak={peak}: expected > 0")
  if not 0.0 < cooldown_fraction <= 1.0:
    raise ValueError(f"cooldown_fraction={cooldown_fraction}: expected in (0, 1]")
  cooldown = max(1, int(round(cooldown_fraction * total_steps)))
  if not 0 <= warmup_steps <= total_steps - cooldown:
    raise ValueError(f"warmup_steps={warmup_steps}: expected 0 <= warmup <= total_steps - cooldown "
                     f"({total_steps - cooldown})")
  if shape == "linear":
    decay = optax.linear_schedule(peak, 0.0, cooldown)
  elif shape == "1-sqrt":
    decay = lambda t: peak * (1.0 - jnp.sqrt(jnp.clip(t / cooldown, 0.0, 1.0)))
  else:
    raise ValueError(f"shape={shape!r}; expected 'linear' or '1-sqrt'")
  parts, bounds = [], []
  if warmup_steps:
    parts.append(optax.linear_schedule(0.0, peak, warmup_steps))
    bounds.append(warmup_steps)
  parts.append(optax.constant_schedule(peak))
  bounds.append(total_steps - cooldown)
  parts.append(decay)
  return optax.join_schedules(parts, bounds)
