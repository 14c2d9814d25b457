"""Offline TFDS builders, one module per source; each exposes loaders declared in lbrl.registry.DATASETS."""
