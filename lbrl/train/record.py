"""What a run leaves in its workdir: config.json, run.json (versions, git revision, mesh, processor and
device kind, command line), metrics.jsonl (and TensorBoard event files with the ``tensorboard`` extra);
and the console progress display. Only process 0 writes."""
from __future__ import annotations

import json
import logging
import os
import platform
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


def processor() -> str:
  """The CPU model ("AMD EPYC 7B13", "Apple M2"), or the architecture when the OS does not say."""
  try:
    with open("/proc/cpuinfo") as f:
      for line in f:
        if line.split(":")[0].strip() in ("model name", "Hardware", "cpu model"):
          name = line.split(":", 1)[1].strip()
          if name:
            return name
  except OSError:
    pass
  if sys.platform == "darwin":
    try:
      out = subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True,
                           timeout=5)
      if out.returncode == 0 and out.stdout.strip():
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
      pass
  return platform.processor() or platform.machine() or "unknown"


def write_workdir_record(workdir: str, cfg, mesh, params) -> None:
  if jax.process_index() != 0:
    return
  from lbrl.parallel.mesh import describe
  os.makedirs(workdir, exist_ok=True)
  with open(os.path.join(workdir, "config.json"), "w") as f:
    f.write(cfg.to_json_best_effort(indent=2, sort_keys=True))
  info = {"versions": versions(), "git_revision": git_revision(), "mesh": describe(mesh),
          "num_params": int(sum(x.size for x in jax.tree.leaves(params))), "argv": sys.argv,
          "processor": processor(), "cpu_count": os.cpu_count(), "device_kind": jax.devices()[0].device_kind,
          "platform": jax.devices()[0].platform}
  with open(os.path.join(workdir, "run.json"), "w") as f:
    json.dump(info, f, indent=2, sort_keys=True)


class MetricWriter:
  """Appends ``{"step": s, "time": t, **metrics}`` lines to ``metrics.jsonl`` and, when the
  ``tensorboard`` package is installed (``pip install lbrl[tensorboard]``), writes the same scalars as
  TensorBoard event files in the workdir (without it, one warning line says so). Process 0 only.

  ``resume_step``: the step the run continues from (the restored checkpoint's; 0 for a fresh start).
  Rows the previous launches wrote after it are dropped when the writer opens, since training redoes
  those steps; a row written again at ``resume_step`` itself (the final eval of a relaunched finished
  run) replaces the earlier rows at that step whose metrics it all has. So each row appears once.
  TensorBoard is told of the restart too (a ``SessionLog.START`` at ``resume_step + 1`` makes it
  discard the older events after the resumed step). ``None`` (the default) takes the newest checkpoint
  in ``<workdir>/checkpoints``, which is the one the trainer restored (damaged ones are moved aside
  before the writer opens).
  """

  def __init__(self, workdir: str, resume_step: int | None = None):
    self._f = self._tb = None
    self._path = os.path.join(workdir, "metrics.jsonl")
    self._resumed: list[dict] = []  # the earlier launches' rows at resume_step (may be superseded)
    if jax.process_index() != 0:
      return
    if resume_step is None:
      from lbrl.train.checkpoint import latest_step
      resume_step = latest_step(os.path.join(workdir, "checkpoints"))
    self.resume_step = int(resume_step)
    self._resumed = [r for r in self._truncate_after(self.resume_step) if r.get("step") == self.resume_step]
    self._f = open(self._path, "a")
    self._tb = _tensorboard_writer(workdir, self.resume_step)

  def _truncate_after(self, step: int) -> list[dict]:
    """Drops the rows after ``step`` (rewriting the file atomically); returns the rows kept. A line cut
    short by a killed process is dropped too."""
    rows, complete = _read_rows(self._path)
    kept = [r for r in rows if int(r.get("step", 0)) <= step]
    if len(kept) != len(rows) or not complete:
      self._rewrite(kept)
    return kept

  def _rewrite(self, rows: list[dict]) -> None:
    tmp = self._path + ".tmp"
    with open(tmp, "w") as f:
      f.writelines(json.dumps(r) + "\n" for r in rows)
    os.replace(tmp, self._path)

  def _supersede(self, step: int, keys: set[str]) -> None:
    """Drops the earlier launches' rows at ``step`` whose metrics are all in the row being written."""
    hit = [r for r in self._resumed if set(r) - {"step", "time"} <= keys]
    if not hit:
      return
    rows = [r for r in _read_rows(self._path)[0] if not (r.get("step") == step and r in hit)]
    self._f.close()
    self._rewrite(rows)
    self._f = open(self._path, "a")
    self._resumed = [r for r in self._resumed if r not in hit]

  def write(self, step: int, metrics: dict) -> None:
    if self._f:
      scalars = {k: float(v) for k, v in metrics.items() if isinstance(v, (int, float))}
      if self._resumed and int(step) == self.resume_step:
        self._supersede(int(step), set(scalars))
      self._f.write(json.dumps({"step": int(step), "time": time.time(), **scalars}) + "\n")
      self._f.flush()
      if self._tb:
        self._tb(int(step), scalars)

  def close(self) -> None:
    if self._f:
      self._f.close()
    if self._tb:
      self._tb.close()


_TENSORBOARD_MISSING_SAID = False


def _tensorboard_writer(workdir: str, resume_step: int = 0):
  """A ``write(step, scalars)`` callable over TensorBoard's own event writer (no TensorFlow), or None
  (saying once per process that the ``tensorboard`` extra is missing)."""
  global _TENSORBOARD_MISSING_SAID
  try:
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
  except ImportError:
    if not _TENSORBOARD_MISSING_SAID:
      _TENSORBOARD_MISSING_SAID = True
      logging.warning("tensorboard is not installed: metrics go to metrics.jsonl only, no TensorBoard "
                      "event files (pip install 'lbrl[tensorboard]' to write them)")
    return None
  writer = EventFileWriter(workdir)
  # a restart marker: TensorBoard drops the earlier launches' events after the resumed step
  writer.add_event(event_pb2.Event(wall_time=time.time(), step=resume_step + 1,
                                   session_log=event_pb2.SessionLog(status=event_pb2.SessionLog.START)))

  def write(step, scalars):
    summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=k, simple_value=v)
                                         for k, v in scalars.items()])
    writer.add_event(event_pb2.Event(wall_time=time.time(), step=step, summary=summary))
    writer.flush()

  write.close = writer.close
  return write


def _read_rows(path: str) -> tuple[list[dict], bool]:
  """The rows of a metrics file, and whether every line parsed (False: a line cut short was skipped)."""
  if not os.path.exists(path):
    return [], True
  rows, complete = [], True
  with open(path) as f:
    for line in f:
      if line.strip():
        try:
          rows.append(json.loads(line))
        except json.JSONDecodeError:
          complete = False
  return rows, complete


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
    shown = {k: v if isinstance(v, int) else round(v, 4) for k, v in final.items()
             if k.startswith("eval/") and isinstance(v, (int, float))}
    split = f" on split {final['eval/split']!r}" if isinstance(final.get("eval/split"), str) else ""
    print(f"final{split}: {shown}", file=sys.stderr, flush=True)
