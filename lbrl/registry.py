"""Name -> object registries, so that a config can name a dataset, model, loss or optimizer.

Each family module registers its public pieces with a decorator::

    @LOSSES.register("squentropy")
    def squentropy(logits, labels, *, where=None): ...

and the trainer resolves ``config.loss.name`` with ``LOSSES.get(name)``. An unknown name is an error
that lists the closest registered names.
"""
from __future__ import annotations

import difflib
from typing import Any, Callable


class Registry:
  """A mapping from names to objects, with helpful errors for unknown names."""

  def __init__(self, kind: str):
    self.kind = kind
    self._items: dict[str, Any] = {}

  def register(self, name: str, obj: Any = None) -> Callable[[Any], Any] | Any:
    """Registers ``obj`` under ``name``; used bare or as a decorator."""
    def add(o):
      if name in self._items and self._items[name] is not o:
        raise ValueError(f"{self.kind} {name!r} is registered twice")
      self._items[name] = o
      return o
    return add if obj is None else add(obj)

  def get(self, name: str) -> Any:
    if name not in self._items:
      close = difflib.get_close_matches(name, self._items, n=3, cutoff=0.5)
      hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
      raise KeyError(f"unknown {self.kind} {name!r}.{hint} Known: {', '.join(sorted(self._items))}")
    return self._items[name]

  def __contains__(self, name: str) -> bool:
    return name in self._items

  def names(self) -> list[str]:
    return sorted(self._items)


DATASETS = Registry("dataset")
TRANSFORMS = Registry("dataset transform")
MODELS = Registry("model")
LOSSES = Registry("loss")
OPTIMIZERS = Registry("optimizer")
