"""Library shape: imports go one way between layers, no cycles inside lbrl, and importing the libraries
loads nothing heavy; every declared registry entry resolves."""
import ast
import os
import subprocess
import sys

import pytest

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lbrl")
LIBRARIES = ("losses", "optim", "kernels", "models", "data", "parallel", "evaluation", "analysis")
# layer -> lbrl subpackages it must never import
FORBIDDEN = {lib: {"train", "tools", "main", "reproduce"} for lib in LIBRARIES}
FORBIDDEN["kernels"] |= {"losses", "optim", "models", "data"}
FORBIDDEN["optim"] |= {"losses"}


def modules():
  """module name -> set of lbrl modules it imports (anywhere in the file, including inside functions)."""
  out = {}
  for dirpath, _, files in os.walk(ROOT):
    for f in files:
      if not f.endswith(".py"):
        continue
      path = os.path.join(dirpath, f)
      rel = os.path.relpath(path, os.path.dirname(ROOT))[:-3].replace(os.sep, ".")
      name = rel[: -len(".__init__")] if rel.endswith(".__init__") else rel
      deps = set()
      for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.Import):
          deps |= {a.name for a in node.names if a.name.startswith("lbrl")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lbrl"):
          deps.add(node.module)
          deps |= {f"{node.module}.{a.name}" for a in node.names}
      out[name] = deps
  known = set(out)
  return {m: {d for d in deps if d in known and d != m} for m, deps in out.items()}


def layer(module: str) -> str:
  parts = module.split(".")
  return parts[1] if len(parts) > 1 else ""


def test_imports_follow_the_layers():
  bad = []
  for m, deps in modules().items():
    for d in deps:
      if layer(d) in FORBIDDEN.get(layer(m), ()):
        bad.append(f"{m} imports {d}")
  assert not bad, "\n".join(sorted(bad))


def test_no_import_cycles_between_modules():
  graph = modules()
  # a package's __init__ importing its own submodules is not a cycle of the layers: drop those edges
  for m in graph:
    graph[m] = {d for d in graph[m] if not d.startswith(m + ".")}
  color, stack, cycles = {}, [], []

  def visit(m):
    color[m] = 1
    stack.append(m)
    for d in graph[m]:
      if color.get(d) == 1:
        cycles.append(stack[stack.index(d):] + [d])
      elif d not in color:
        visit(d)
    stack.pop()
    color[m] = 2

  for m in sorted(graph):
    if m not in color:
      visit(m)
  assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_importing_the_libraries_loads_nothing_heavy():
  code = ("import sys, lbrl, lbrl.losses, lbrl.optim, lbrl.registry\n"
          "heavy = [m for m in sys.modules if m.startswith(('jax.experimental.pallas', 'tensorflow_datasets', "
          "'matplotlib', 'lbrl.models', 'lbrl.data', 'lbrl.train', 'lbrl.tools'))]\n"
          "print(','.join(sorted(heavy)))")
  out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
  assert out.stdout.strip() == ""


@pytest.mark.parametrize("registry", ["DATASETS", "TRANSFORMS", "MODELS", "LOSSES", "OPTIMIZERS",
                                      "GRAD_ESTIMATORS", "METRICS", "POST_TRAINING", "TARGETS",
                                      "PARAMETRIZATIONS", "EXPERIMENT_KINDS"])
def test_every_declared_entry_resolves(registry):
  from lbrl import registry as R
  reg = getattr(R, registry)
  for name in reg.names():
    assert reg.get(name) is not None, name
    if reg.spec_type is R.MetricSpec and reg.spec(name).reduce != "mean":
      R.resolve(reg.spec(name).reduce)


def test_registry_errors_name_the_closest_entries_and_refuse_duplicates():
  from lbrl.registry import LOSSES, Registry
  with pytest.raises(KeyError, match="Did you mean 'cross_entropy'"):
    LOSSES.spec("cross_entropie")
  r = Registry("thing")
  r.declare("a", "lbrl.metrics:accuracy")
  with pytest.raises(ValueError, match="declared twice"):
    r.declare("a", "lbrl.metrics:loss")
  with pytest.raises(TypeError, match="bad metadata"):
    LOSSES.declare("x", "lbrl.metrics:loss", consume="logits")
  with pytest.raises(ValueError, match="cannot supply"):
    LOSSES.declare("y", "lbrl.metrics:loss", needs=("seed",))
  bad = Registry("thing")
  bad.declare("broken", "lbrl.no_such_module:f")
  with pytest.raises(ImportError, match="thing 'broken': cannot load lbrl.no_such_module:f"):
    bad.get("broken")


def test_the_runner_kinds_are_the_declared_kinds():
  from lbrl.registry import EXPERIMENT_KINDS
  from lbrl.tools import experiment
  assert sorted(experiment.KINDS) == EXPERIMENT_KINDS.names()
