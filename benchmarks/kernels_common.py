"""What the kernel benchmark scripts share: printing a result and writing it to ``--out``."""
import json


def emit(result: dict, out: str = "") -> None:
  """Prints ``result`` as JSON and writes it to ``out`` when given."""
  print(json.dumps(result, indent=1))
  if out:
    with open(out, "w") as f:
      json.dump(result, f, indent=1)
