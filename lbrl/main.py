"""Launcher: ``python -m lbrl.main --config configs/<slug>.py[:variant=cpu,seed=1] --workdir DIR``.

The config file is read by path (from any directory; it imports its shared pieces from the installed
``lbrl.config``). Without ``--config`` it runs the default experiment (the MNIST-1D CNN,
``configs/mnist1d.py`` of the source checkout) in a temporary workdir. Multi-host: on TPU pods
``jax.distributed`` is initialised automatically; on GPU or CPU clusters pass
``--coordinator_address host:port --num_processes N --process_id i`` on every host.

Overrides: ``--config.<path>=<value>`` (or ``--config.<path> <value>``) sets any config field:

* the value is read as the field's type: numbers, booleans (``true``/``false``), strings as typed;
* lists and tuples: a JSON or Python literal (``--config.data.transforms='[{"name": "label_noise",
  "rate": 0.4}]'``) or comma-separated items (``--config.sweep.seeds=0,1,2``, ``--config.mesh.shape=2,4``);
* a sub-config as a whole: a JSON/Python dict (``--config.schedule='{"name": "cosine"}'`` merges;
  a dict with ``name`` replaces a component, see below);
* the components' keyword arguments (``model``, ``loss``, ``optimizer``, ``grad_estimator`` and the
  dataset builder's ``data.options``) take new keys for the component named
  (``--config.model.num_classes=5``); new values there are read as JSON/Python literals, else strings;
* naming another component (``--config.optimizer.name=sam``, ``--config.loss.name=...``,
  ``--config.model.name=...``, ``--config.data.name=...``) drops the previous component's keyword
  arguments, as sweep arms do, except the keys given on the same command line (and the optimizer's
  trainer-level ``learning_rate`` and per-parameter rules, which every optimizer takes); one line lists
  what was dropped;
* a key that is not in the config (outside a component's arguments), or a new argument that the named
  model, loss, optimizer or gradient estimator does not take, is a one-line error naming the closest
  field, and the launcher exits with status 2.

The launcher prints the step it resumes from, and at the end the eval metrics with the split they were
computed on (``config.data.split_eval``).
"""
from __future__ import annotations

import ast
import copy
import difflib
import importlib.util
import json
import os
import sys
import tempfile

from absl import app, flags, logging

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_DEFAULT_CONFIG = os.path.join(_REPO, "configs", "mnist1d.py")

flags.DEFINE_string("config", None, "Path to a config file, optionally ':variant=...,seed=...'. Override "
                    "fields with --config.<path>=<value> (the rules: python -m lbrl.main --help).")
flags.DEFINE_string("workdir", "", "Run directory (checkpoints, metrics). Default: a temporary directory.")
flags.DEFINE_string("coordinator_address", "", "host:port of process 0 (multi-host clusters).")
flags.DEFINE_integer("num_processes", 0, "Number of processes (multi-host clusters).")
flags.DEFINE_integer("process_id", -1, "This process's id in [0, num_processes).")
flags.DEFINE_integer("sample_tokens", 300, "Characters to sample at the end from character-level LMs.")
FLAGS = flags.FLAGS

# Sub-configs holding a component's keyword arguments, by the path of the field that names the component.
COMPONENTS = {"model.name": "model", "loss.name": "loss", "optimizer.name": "optimizer",
              "grad_estimator.name": "grad_estimator", "data.name": "data.options"}
# Keys a component keeps when another one is named: read by the trainer, not the component's arguments.
KEPT_ON_REPLACE = {"optimizer": ("learning_rate", "frozen", "lr_multipliers", "weight_decay_mask")}

_OVERRIDES: list[tuple[str, str]] = []  # (dotted path, value text) from --config.<path>=<value>


class OverrideError(ValueError):
  """A command-line override that cannot be applied (the message is the whole story: one line)."""


# --- reading the command line ------------------------------------------------------------------------

def split_overrides(argv: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
  """Separates ``--config.<path>=<value>`` / ``--config.<path> <value>`` from the other arguments."""
  rest, overrides, i = [argv[0]] if argv else [], [], 1
  while i < len(argv):
    arg = argv[i]
    body = arg[2:] if arg.startswith("--") else arg[1:] if arg.startswith("-") else None
    if body is not None and body.startswith("config."):
      path, eq, text = body[len("config."):].partition("=")
      if not eq:
        if i + 1 >= len(argv) or argv[i + 1].startswith("--"):
          raise OverrideError(f"{arg}: give a value, as {arg}=<value>")
        i, text = i + 1, argv[i + 1]
      if not path or "" in path.split("."):
        raise OverrideError(f"{arg}: not a config path (expected --config.<field>[.<field>...]=<value>)")
      overrides.append((path, text))
    else:
      rest.append(arg)
    i += 1
  return rest, overrides


def _parse_flags(argv):
  try:
    rest, overrides = split_overrides(argv)
  except OverrideError as e:
    _fail(e)
  _OVERRIDES[:] = overrides
  return app.parse_flags_with_usage(rest)


def _fail(error) -> None:
  print(f"error: {error}", file=sys.stderr, flush=True)
  sys.exit(2)


# --- loading a config file ---------------------------------------------------------------------------

def load_config(spec: str | None):
  """The ConfigDict of ``path[:arg]`` (``get_config(arg)``), read by path from any directory."""
  if spec is None:
    if not os.path.exists(_DEFAULT_CONFIG):
      raise OverrideError(f"no --config given and the default experiment {_DEFAULT_CONFIG} is not "
                          f"installed with this copy of lbrl; pass --config <path to a config file>")
    path, arg = _DEFAULT_CONFIG, "variant=cpu"
  else:
    path, _, arg = spec.partition(":")
    arg = arg or None
  full = os.path.abspath(os.path.expanduser(path))
  if not os.path.isfile(full):
    raise OverrideError(f"--config: no config file {path!r} (looked for {full})")
  name = "lbrl_config_" + os.path.splitext(os.path.basename(full))[0]
  module_spec = importlib.util.spec_from_file_location(name, full)
  module = importlib.util.module_from_spec(module_spec)
  module_spec.loader.exec_module(module)
  if not hasattr(module, "get_config"):
    raise OverrideError(f"--config: {path} defines no get_config(arg=None)")
  try:
    return module.get_config(arg) if arg is not None else module.get_config()
  except ValueError as e:  # bad variant / seed / argument syntax
    raise OverrideError(f"--config {spec}: {e}") from None


# --- applying overrides ------------------------------------------------------------------------------

def _is_free(node) -> bool:
  import ml_collections as mlc
  return isinstance(node, mlc.ConfigDict) and not node.is_type_safe


def _suggest(key: str, options) -> str:
  close = difflib.get_close_matches(key, [str(o) for o in options], n=1, cutoff=0.5)
  return f" (did you mean {close[0]!r}?)" if close else f"; fields: {', '.join(sorted(map(str, options)))}"


def _node(cfg, dotted: str, flag: str):
  """The sub-config at ``dotted`` (every part must exist and be a sub-config)."""
  import ml_collections as mlc
  node, seen = cfg, []
  for part in filter(None, dotted.split(".")):
    where = "the config" if not seen else "config." + ".".join(seen)
    if not isinstance(node, mlc.ConfigDict):
      raise OverrideError(f"{flag}: config.{'.'.join(seen)} is a {type(node).__name__}, not a sub-config")
    if part not in node:
      raise OverrideError(f"{flag}: {where} has no field {part!r}{_suggest(part, node.keys())}")
    node, seen = node[part], seen + [part]
  return node


def _literal(text: str):
  """A JSON or Python literal, comma-separated items as a list, else the text itself."""
  for parse in (json.loads, ast.literal_eval):
    try:
      return parse(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
      pass
  if text.lower() in ("true", "false", "none", "null"):
    return {"true": True, "false": False}.get(text.lower())
  if "," in text and text[:1] not in "[({":
    return [_literal(t.strip()) for t in text.split(",") if t.strip()]
  return text


def _unquote(text: str) -> str:
  return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" else text


def parse_value(text: str, current, flag: str, free: bool):
  """``text`` read as the type of the field's current value (any literal for new keys and None)."""
  import ml_collections as mlc
  if isinstance(current, bool):
    low = text.strip().lower()
    if low in ("true", "1", "yes", "on"):
      return True
    if low in ("false", "0", "no", "off"):
      return False
    raise OverrideError(f"{flag}: expected true or false, got {text!r}")
  if isinstance(current, (int, float)):
    value = _literal(text)
    if isinstance(value, float) and isinstance(current, int) and not free:
      if not value.is_integer():
        raise OverrideError(f"{flag}: expected an integer, got {text!r}")
      value = int(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
      if free:
        return value
      raise OverrideError(f"{flag}: expected a number, got {text!r}")
    return float(value) if isinstance(current, float) else value
  if isinstance(current, str):
    return _unquote(text)
  if isinstance(current, (list, tuple)):
    value = _literal(text) if text.strip() else []
    if not isinstance(value, (list, tuple)):
      value = [value]
    return type(current)(value)
  if isinstance(current, (dict, mlc.ConfigDict)):
    value = _literal(text)
    if not isinstance(value, dict):
      raise OverrideError(f"{flag}: expected a dict (JSON or Python literal) for a sub-config, got {text!r}")
    return value
  return _literal(text)


def _set(parent, key: str, value, flag: str) -> None:
  import ml_collections as mlc
  try:
    if _is_free(parent):
      with parent.unlocked():
        parent[key] = mlc.ConfigDict(value, type_safe=False) if isinstance(value, dict) else value
    else:
      parent[key] = value
  except (TypeError, ValueError, AttributeError, KeyError) as e:
    raise OverrideError(f"{flag}: {e}") from None


def _merge_dict(parent, key: str, value: dict, flag: str) -> None:
  """Sets a whole sub-config from a dict: a component named by ``name`` is replaced, others merge."""
  import ml_collections as mlc
  node = parent[key]
  if _is_free(node) and "name" in value:
    with parent.unlocked():
      parent[key] = mlc.ConfigDict(value, type_safe=False)
    return
  for k, v in value.items():
    sub = f"{flag}.{k}"
    if k not in node and not _is_free(node):
      raise OverrideError(f"{flag}: config.{flag.split('.', 1)[1]} has no field {k!r}{_suggest(k, node.keys())}")
    if isinstance(v, dict) and isinstance(node.get(k), mlc.ConfigDict):
      _merge_dict(node, k, v, sub)
    else:
      _set(node, k, v, sub)


def apply_overrides(cfg, overrides: list[tuple[str, str]], added: list[str] | None = None) -> list[str]:
  """Applies ``(dotted path, text)`` overrides to the locked ``cfg`` in place; returns the lines to tell
  the user (the keyword arguments dropped by naming another component). Raises OverrideError. The paths
  of keys new to the config are appended to ``added``."""
  import ml_collections as mlc
  notes = []
  given = {path for path, _ in overrides}
  # 1. another component named: its predecessor's keyword arguments go (not those given here)
  for path, text in dict(overrides).items():  # a path given twice: the last value counts
    if path not in COMPONENTS:
      continue
    flag = f"--config.{path}"
    owner_path, _ = path.rsplit(".", 1)
    owner = _node(cfg, owner_path, flag)
    new = _unquote(text)
    old = owner["name"]
    if new == old:
      continue
    args_path = COMPONENTS[path]
    args_owner_path, _, args_key = args_path.rpartition(".")
    args_owner = _node(cfg, args_owner_path, flag)
    args = args_owner[args_key]
    keep = set(KEPT_ON_REPLACE.get(args_path, ()))
    kept = {k: copy.deepcopy(v.to_dict() if isinstance(v, mlc.ConfigDict) else v)
            for k, v in args.items() if k in keep}
    dropped = sorted(k for k in args.keys() if k != "name" and k not in keep)
    if args_path == owner_path:
      kept["name"] = old  # set to the new name below, with the other overrides
    with args_owner.unlocked():
      args_owner[args_key] = mlc.ConfigDict(kept, type_safe=False)
    told = [f"{args_path}.{k}" for k in dropped if f"{args_path}.{k}" not in given]
    if told:
      notes.append(f"{path} {old!r} -> {new!r}: dropped the previous arguments {', '.join(told)} "
                   f"(give them on the command line to keep them)")
  # 2. every override, in command-line order
  for path, text in overrides:
    flag = f"--config.{path}"
    parent_path, _, key = path.rpartition(".")
    parent = _node(cfg, parent_path, flag)
    if not isinstance(parent, mlc.ConfigDict):
      raise OverrideError(f"{flag}: config.{parent_path} is a {type(parent).__name__}, not a sub-config")
    if key not in parent:
      if not _is_free(parent):
        where = f"config.{parent_path}" if parent_path else "the config"
        raise OverrideError(f"{flag}: {where} has no field {key!r}{_suggest(key, parent.keys())}")
      _set(parent, key, _literal(text), flag)
      if added is not None:
        added.append(path)
      continue
    value = parse_value(text, parent[key], flag, free=_is_free(parent))
    if isinstance(parent[key], mlc.ConfigDict):
      _merge_dict(parent, key, value, flag)
    else:
      _set(parent, key, value, flag)
  return notes


# Keys the trainer reads from a component's sub-config itself (not passed to the component).
TRAINER_KEYS = {"model": {"name"}, "loss": {"name", "impl"}, "grad_estimator": {"name"},
                "optimizer": {"name", "learning_rate", "frozen", "lr_multipliers", "weight_decay_mask"}}


def _accepted(component: str, name: str) -> set[str] | None:
  """The keyword arguments the component named accepts, or None where that cannot be told (a
  ``**kwargs`` signature, an unknown name: the trainer's own checks report those)."""
  import dataclasses
  import inspect
  try:
    if component == "model":
      import lbrl.models  # noqa: F401  (registers the models)
      from lbrl.registry import MODELS
      return {f.name for f in dataclasses.fields(MODELS.get(name))} - {"parent"}
    if component == "optimizer":
      from lbrl.train.optimizer import lookup
      fn = lookup(name)
    elif component == "loss":
      import lbrl.losses  # noqa: F401
      from lbrl.registry import LOSSES
      fn = LOSSES.get(name)
    elif component == "grad_estimator":
      import lbrl.optim  # noqa: F401
      from lbrl import registry
      fn = registry.GRAD_ESTIMATORS.get(name)
    else:
      return None
    params = list(inspect.signature(fn).parameters.values())
  except Exception:  # noqa: BLE001  (an unknown name or an opaque callable: nothing to check here)
    return None
  if any(p.kind == p.VAR_KEYWORD for p in params):
    return None
  return {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


def check_added_keys(cfg, added: list[str]) -> None:
  """A key given on the command line that the named model, loss, optimizer or gradient estimator does
  not take is a one-line error with the closest argument (a misspelt ``learning_rte``)."""
  for path in added:
    component, _, key = path.partition(".")
    if component not in TRAINER_KEYS or "." in key:
      continue
    name = cfg[component].get("name")
    accepted = _accepted(component, name)
    if accepted is None or key in accepted | TRAINER_KEYS[component]:
      continue
    options = sorted(accepted | TRAINER_KEYS[component] - {"name", "dtype", "param_dtype"})
    kind = {"grad_estimator": "gradient estimator"}.get(component, component)
    raise OverrideError(f"--config.{path}: {kind} {name!r} takes no argument {key!r}"
                        f"{_suggest(key, options)}")


# --- the run -----------------------------------------------------------------------------------------

def _eval_lines(final: dict, cfg) -> list[str]:
  """``eval/<metric> = v  (split 'test', 1000 examples)``: the split the trainer evaluated
  (``config.data.split_eval``) and its example count."""
  split = final.get("eval/split") or cfg.data.split_eval
  count = final.get("eval/num_examples")
  where = f"split {split!r}" + (f", {int(count)} examples" if count is not None else "")
  return [f"{k} = {v:.4f}  ({where})" for k, v in sorted(final.items())
          if k.startswith("eval/") and k != "eval/num_examples" and isinstance(v, (int, float))]


def main(argv):
  del argv
  if not FLAGS["verbosity"].present:
    logging.set_verbosity(logging.WARNING)  # orbax/TFDS info logs drown the progress display
  try:
    cfg = load_config(FLAGS.config)
    added = []
    for note in apply_overrides(cfg, _OVERRIDES, added):
      print(note, file=sys.stderr, flush=True)
    check_added_keys(cfg, added)
  except OverrideError as e:
    _fail(e)
  from lbrl.parallel.mesh import initialize_distributed
  initialize_distributed(FLAGS.coordinator_address, FLAGS.num_processes, FLAGS.process_id)
  from lbrl.train import train
  from lbrl.train.checkpoint import CheckpointMismatchError
  from lbrl.train.validate import ConfigError
  workdir = FLAGS.workdir or tempfile.mkdtemp(prefix="lbrl_")
  logging.info("workdir: %s", workdir)
  print(f"workdir: {workdir}", file=sys.stderr)
  try:
    final = train(cfg, workdir)
  except (ConfigError, CheckpointMismatchError) as e:
    _fail(e)
  for line in _eval_lines(final, cfg):
    print(line)
  sample = _sample(final, cfg, FLAGS.sample_tokens)
  if sample is not None:
    print(f"--- sample ({FLAGS.sample_tokens} characters) ---\n{sample}")


def _sample(final: dict, cfg, num_tokens: int) -> str | None:
  """Text sampled from a character-level LM's final state (None for other models)."""
  meta, task, state = final.get("meta") or {}, final.get("task"), final.get("state")
  if not num_tokens or task is None or "vocab" not in meta or not hasattr(task.model, "vocab_size"):
    return None
  from lbrl.models.transformer import sample_text
  return sample_text(task.model, {"params": state.params, **state.model_state}, meta["vocab"],
                     num_tokens=num_tokens, seed=cfg.seed)


def run():
  app.run(main, flags_parser=_parse_flags)


if __name__ == "__main__":
  run()
