"""Offline TFDS builders; importing this package registers them in lbrl.registry.DATASETS."""
from lbrl.data.builders import mnist1d  # noqa: F401
from lbrl.data.builders import generated, shakespeare, sklearn_sets  # noqa: F401,E402
