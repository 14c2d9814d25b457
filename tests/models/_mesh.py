"""Shared test helpers: an explicit 8-device mesh and regex sharding rules applied to a param tree."""
from __future__ import annotations

import re

import jax
from jax.sharding import AxisType, NamedSharding, PartitionSpec as P


def explicit_mesh(shape=(4, 2), names=("fsdp", "model")):
  return jax.make_mesh(shape, names, axis_types=(AxisType.Explicit,) * len(names))


def path_str(path) -> str:
  return "/".join(str(getattr(k, "key", getattr(k, "name", k))) for k in path)


def spec_for(path: str, rules, ndim: int) -> P:
  for pattern, spec in rules:
    if re.fullmatch(pattern, path):
      if len(spec) != ndim:
        raise AssertionError(f"rule {pattern!r} gives {len(spec)} entries for {path} of rank {ndim}")
      return P(*spec)
  return P()


def shard_tree(tree, rules, mesh):
  """Places every leaf with the first matching rule (fullmatch on 'params/a/b/kernel'), else replicated."""
  return jax.tree_util.tree_map_with_path(
      lambda path, x: jax.device_put(x, NamedSharding(mesh, spec_for(path_str(path), rules, x.ndim))), tree)


def matched_paths(tree, rules) -> set[str]:
  out = set()
  for path, _ in jax.tree_util.tree_leaves_with_path(tree):
    s = path_str(path)
    if any(re.fullmatch(p, s) for p, _ in rules):
      out.add(s)
  return out
