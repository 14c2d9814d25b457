"""Flax models; importing this package registers them in lbrl.registry.MODELS."""
from lbrl.models import simple  # noqa: F401
from lbrl.models.simple import CNN1D, GRU, MLP, LogReg
