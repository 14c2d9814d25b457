"""What a run leaves in its workdir: config.json, versions, git revision, mesh, metrics.jsonl; and the
console progress display. Only process 0 writes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from importlib import metadata

import jax

PACKAGES = ("jax", "jaxlib", "flax", "optax", "orbax-checkpoint", "tensorflow-datasets", "chex",
            "absl-py", "ml_collections", "numpy", "mnist1d", "scikit-learn")


def versions() -> dict[str, str]:
  out = {"python": sys.version.split()[0]}
  for p in PACKAGES:
    try:
      out[p] = metadata.version(p)
    except metadata.PackageNotFoundError:
      out[p] = "not installed"
  return out


def git_revision() -> str:
  try:
    here = os.path.dirname(os.path.abspath(__file__))
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                           capture_output=True, text=True, timeout=5)
    return rev.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "") if rev.returncode == 0 else "unknown"
  except (OSError, subprocess.SubprocessError):
    return "unknown"


def write_workdir_record(workdir: str, cfg, mesh, params) -> None:
  if jax.process_index() != 0:
    return
  from lbrl.parallel.mesh import describe
  os.makedirs(workdir, exist_ok=True)
  with open(os.path.join(workdir, "config.json"), "w") as f:
    f.write(cfg.to_json_best_effort(indent=2, sort_keys=True))
  info = {"versions": versions(), "git_revision": git_revision(), "mesh": describe(mesh),
          "num_params": int(sum(x.size for x in jax.tree.leaves(params))), "argv": sys.argv}
  with open(os.path.join(workdir, "run.json"), "w") as f:
    json.dump(info, f, indent=2, sort_keys=True)


class MetricWriter:
  """Appends ``{"step": s, "time": t, **metrics}`` lines to ``metrics.jsonl`` and, when the
  ``tensorboard`` package is installed (``pip install lbrl[tensorboard]``), writes the same scalars as
  TensorBoard event files in the workdir. Process 0 only."""

  def __init__(self, workdir: str):
    self._f = open(os.path.join(workdir, "metrics.jsonl"), "a") if jax.process_index() == 0 else None
    self._tb = _tensorboard_writer(workdir) if self._f else None

  def write(self, step: int, metrics: dict) -> None:
    if self._f:
      scalars = {k: float(v) for k, v in metrics.items() if isinstance(v, (int, float))}
      self._f.write(json.dumps({"step": int(step), "time": time.time(), **scalars}) + "\n")
      self._f.flush()
      if self._tb:
        self._tb(int(step), scalars)

  def close(self) -> None:
    if self._f:
      self._f.close()
    if self._tb:
      self._tb.close()


def _tensorboard_writer(workdir: str):
  """A ``write(step, scalars)`` callable over TensorBoard's own event writer (no TensorFlow), or None."""
  try:
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
  except ImportError:
    return None
  writer = EventFileWriter(workdir)

  def write(step, scalars):
    summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=k, simple_value=v)
                                         for k, v in scalars.items()])
    writer.add_event(event_pb2.Event(wall_time=time.time(), step=step, summary=summary))
    writer.flush()

  write.close = writer.close
  return write


def read_metrics(workdir: str) -> list[dict]:
  path = os.path.join(workdir, "metrics.jsonl")
  if not os.path.exists(path):
    return []
  with open(path) as f:
    return [json.loads(line) for line in f if line.strip()]


class Progress:
  """A one-line progress bar (step, loss, steps/s, ETA) on a terminal; plain log lines otherwise."""

  def __init__(self, total: int, start: int, enabled: bool | None = None):
    """``enabled``: True forces the bar, None picks bar or log lines by the terminal, False is silent."""
    self.total, self.start, self.t0 = total, start, time.time()
    self.tty = sys.stderr.isatty() if enabled is None else enabled
    self.quiet = jax.process_index() != 0 or enabled is False

  def _line(self, step, m) -> str:
    rate = (step - self.start) / max(time.time() - self.t0, 1e-9)
    eta = (self.total - step) / rate if rate > 0 else float("nan")
    frac = step / max(self.total, 1)
    bar = "#" * int(24 * frac) + "." * (24 - int(24 * frac))
    return (f"[{bar}] step {step}/{self.total}  loss {m.get('train/loss', float('nan')):.4f}  "
            f"{rate:.1f} steps/s  ETA {eta:.0f}s")

  def update(self, step: int, m: dict) -> None:
    if self.quiet:
      return
    if self.tty:
      sys.stderr.write("\r" + self._line(step, m))
      sys.stderr.flush()
    else:
      print(self._line(step, m), file=sys.stderr, flush=True)

  def close(self, final: dict) -> None:
    if self.quiet:
      return
    if self.tty:
      sys.stderr.write("\n")
    shown = {k: round(v, 4) for k, v in final.items() if k.startswith("eval/")}
    print(f"final: {shown}", file=sys.stderr, flush=True)
