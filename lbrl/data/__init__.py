"""Data: offline TFDS builders (lbrl.data.builders), dataset transforms and the input pipeline."""
from lbrl.data.core import Dataset, default_data_dir, load
