"""Offline TFDS builders; importing this package registers them in lbrl.registry.DATASETS."""
from lbrl.data.builders import mnist1d  # noqa: F401
