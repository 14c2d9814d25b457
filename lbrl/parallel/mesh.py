"""Device mesh construction, regex parameter-sharding rules, and multi-host initialisation.

Mesh axes are named in the config (``mesh.axes``, e.g. ``("data",)`` or ``("data", "fsdp", "model")``)
with sizes in ``mesh.shape`` where one ``-1`` takes the remaining devices. The batch is sharded over
every data-parallel axis (``data`` and ``fsdp``); parameters are replicated unless a rule
``(regex, spec)`` matches their path.

Axis types are always passed explicitly (jax 0.10's default is Explicit; older releases defaulted to
Auto). lbrl uses ``Auto``: the sharded train step is one ``jax.jit`` with ``in_shardings`` /
``out_shardings`` and XLA propagates shardings through the model, so model code needs no
``out_sharding`` annotations.
"""
from __future__ import annotations

import os
import re
from typing import Any, Sequence

import jax
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec as P

DATA_AXES = ("data", "fsdp")  # batch-parallel axes, in this order when both exist


def resolve_shape(shape: Sequence[int], num_devices: int) -> tuple[int, ...]:
  """Fills a single ``-1`` so that the product equals ``num_devices``; clear errors otherwise.

  A fully specified shape may use fewer devices than exist (the first ones), e.g. ``(1,)`` to run
  on one device of eight.
  """
  shape = tuple(int(s) for s in shape)
  if sum(s == -1 for s in shape) > 1:
    raise ValueError(f"mesh.shape {shape} has more than one -1")
  known = int(np.prod([s for s in shape if s != -1])) if shape else 1
  if any(s == 0 or s < -1 for s in shape):
    raise ValueError(f"mesh.shape {shape} has a non-positive size")
  if -1 in shape:
    if num_devices % known:
      raise ValueError(f"mesh.shape {shape}: {num_devices} devices are not divisible by {known}")
    shape = tuple(num_devices // known if s == -1 else s for s in shape)
  if int(np.prod(shape)) > num_devices:
    raise ValueError(f"mesh.shape {shape} needs {int(np.prod(shape))} devices but only {num_devices} "
                     f"are available ({jax.devices()[0].platform})")
  return shape


def make_mesh(shape: Sequence[int], axes: Sequence[str]) -> jax.sharding.Mesh:
  """A mesh over all devices (all processes) with Auto axis types."""
  if len(shape) != len(axes):
    raise ValueError(f"mesh.shape {tuple(shape)} and mesh.axes {tuple(axes)} differ in length")
  if len(set(axes)) != len(axes):
    raise ValueError(f"mesh.axes {tuple(axes)} repeats a name")
  shape = resolve_shape(shape, jax.device_count())
  n = int(np.prod(shape))
  devices = jax.devices()[:n] if n < jax.device_count() else None
  return jax.make_mesh(shape, tuple(axes), axis_types=(jax.sharding.AxisType.Auto,) * len(axes),
                       devices=devices)


def data_axes(mesh) -> tuple[str, ...]:
  return tuple(a for a in DATA_AXES if a in mesh.axis_names)


def data_parallel_size(mesh) -> int:
  return int(np.prod([mesh.shape[a] for a in data_axes(mesh)])) if data_axes(mesh) else 1


def batch_sharding(mesh) -> NamedSharding:
  """Leading (batch) dimension split over the data-parallel axes; the rest replicated."""
  axes = data_axes(mesh)
  return NamedSharding(mesh, P(axes if axes else None))


def replicated(mesh) -> NamedSharding:
  return NamedSharding(mesh, P())


def example_sharding(shape, num_examples: int, mesh) -> NamedSharding:
  """Per-example state (``[..., num_examples, ...]``) sharded like the data on its first axis of size
  ``num_examples`` (when the data-parallel size divides it), else replicated."""
  axes, dp = data_axes(mesh), data_parallel_size(mesh)
  for i, d in enumerate(shape):
    if num_examples and d == num_examples and axes and d % dp == 0:
      return NamedSharding(mesh, P(*([None] * i), axes))
  return NamedSharding(mesh, P())


def model_rules(config_rules, model) -> list[tuple]:
  """Sharding rules of a run: the config's ``sharding_rules`` when given, else the model class's own
  ``sharding_rules()`` when it declares some, else none (every parameter replicated)."""
  rules = [tuple(r) for r in config_rules]
  if rules:
    return rules
  own = getattr(type(model), "sharding_rules", None)
  return list(own()) if own is not None else []


def path_str(path) -> str:
  """``"params/Dense_0/kernel"`` for a pytree key path."""
  parts = []
  for k in path:
    for attr in ("key", "name", "idx"):
      if hasattr(k, attr):
        parts.append(str(getattr(k, attr)))
        break
    else:
      parts.append(str(k))
  return "/".join(parts)


def spec_for(path: str, shape: tuple[int, ...], rules, mesh) -> P:
  """The first rule whose regex ``re.search``-matches ``path`` and fits ``shape``; else replicated.

  A rule is skipped for a leaf when its rank differs or a sharded dimension is not divisible by the
  axis size (e.g. the optimizer's scalar count), so one rule set serves params and optimizer state.
  Axis names absent from the mesh are dropped (a rule set written for ``fsdp`` works on a pure
  data-parallel mesh).
  """
  for regex, spec in rules:
    if not re.search(regex, path):
      continue
    spec = tuple(spec)
    if len(spec) != len(shape):
      continue
    clean = []
    ok = True
    for dim, axis in zip(shape, spec):
      names = tuple(a for a in ((axis,) if isinstance(axis, str) else (axis or ())) if a in mesh.axis_names)
      size = int(np.prod([mesh.shape[a] for a in names])) if names else 1
      if dim % size:
        ok = False
        break
      clean.append(names[0] if len(names) == 1 else (names or None))
    if ok:
      return P(*clean)
  return P()


def tree_shardings(tree, rules, mesh):
  """NamedShardings for every leaf of ``tree`` (arrays or ShapeDtypeStructs) from regex rules."""
  def one(path, leaf):
    return NamedSharding(mesh, spec_for(path_str(path), tuple(getattr(leaf, "shape", ())), rules, mesh))
  return jax.tree_util.tree_map_with_path(one, tree)


def initialize_distributed(coordinator_address: str = "", num_processes: int = 0,
                           process_id: int = -1) -> bool:
  """Starts multi-process JAX when asked or when running on a TPU pod; returns whether it did.

  * Explicit cluster (GPU nodes, CPU hosts): pass the coordinator ``host:port``, the process count and
    this process's id. On CPU, gloo collectives are enabled (checked on this machine).
  * TPU pod slices: with no arguments, ``jax.distributed.initialize()`` auto-detects the slice when
    the TPU environment variables are present.
  """
  if coordinator_address:
    if num_processes < 1 or not 0 <= process_id < num_processes:
      raise ValueError(f"multi-host needs --num_processes >= 1 and 0 <= --process_id < num_processes, "
                       f"got {num_processes} and {process_id}")
    # CPU collectives across processes need gloo; the option does not affect GPU/TPU collectives.
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(coordinator_address, num_processes, process_id)
    return True
  if any(k in os.environ for k in ("TPU_WORKER_HOSTNAMES", "MEGASCALE_COORDINATOR_ADDRESS")) and \
      len(os.environ.get("TPU_WORKER_HOSTNAMES", "").split(",")) > 1:
    jax.distributed.initialize()
    return True
  return False


def describe(mesh) -> dict[str, Any]:
  d = jax.devices()[0]
  return {"mesh_shape": dict(mesh.shape), "platform": d.platform, "device_kind": d.device_kind,
          "device_count": jax.device_count(), "local_device_count": jax.local_device_count(),
          "process_count": jax.process_count()}
