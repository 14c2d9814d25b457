"""Registry declarations of the paper families, one module per family (``metric.py``, ``contrastive.py``,
``normalization.py``, ...).

:mod:`lbrl.registry` declares the core names (the losses, models, optimizers, datasets and metrics the
first papers brought) and then imports every module of this package, so a family's names live beside
each other and a family can be added without touching the core declarations. A family module holds only
``REGISTRY.declare(name, "lbrl.<package>.<module>:<attr>", **meta)`` lines (plus comments): nothing is
imported until a name is used, exactly as for the core names. To find a paper's code, find its name
here or in :mod:`lbrl.registry`.
"""
import importlib
import pkgutil


def load_all() -> list[str]:
  """Imports every family module of this package (called once, at the end of :mod:`lbrl.registry`)."""
  names = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
  for name in names:
    importlib.import_module(f"{__name__}.{name}")
  return names
