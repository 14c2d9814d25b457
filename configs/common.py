"""Moved: the config schema and the shared settings live in the package, ``lbrl.config`` (configs import
``from lbrl import config as common``). This alias keeps ``from configs import common`` working for
scripts and tests written before the move."""
from lbrl.config import *  # noqa: F401,F403
from lbrl.config import REQUIRED, VARIANTS, base, by_variant, char_lm, finalize, free, parse_arg  # noqa: F401
