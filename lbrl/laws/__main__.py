"""``python -m lbrl.laws``: see :mod:`lbrl.laws.cli`."""
from lbrl.laws.cli import main

if __name__ == "__main__":
  main()
