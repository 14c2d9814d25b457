"""``python -m lbrl.reproduce``: see :mod:`lbrl.tools.reproduce`."""
from lbrl.tools.reproduce import main

if __name__ == "__main__":
  main()
