"""Orbax checkpointing of the whole train state (params, optimizer state, step, RNG).

The data-iterator position is the step (see lbrl.data.pipeline), so restoring the state restores the
input stream too. Restores use the target shardings.

A damaged checkpoint (a file truncated or overwritten, an interrupted copy) is moved aside to
``<checkpoints>/damaged_<step>_<UTC time>/`` (kept for inspection, outside orbax's step listing), one
warning line names the step and the unreadable file, and the one before it is restored; training then
saves that step again when it reaches it, so the next launch does not repeat the fallback. A checkpoint
whose arrays do not match the state the config builds (a changed model, optimizer or config in the same
workdir) is not damage: it is an error naming the first differing array, and nothing is moved.
"""
from __future__ import annotations

import logging
import os
import time

import jax
import orbax.checkpoint as ocp

DAMAGED_PREFIX = "damaged_"
_DETAIL_CHARS = 400  # the unreadable file's error, clipped: TensorStore appends a ~60-line spec


class CheckpointMismatchError(ValueError):
  """The checkpoint holds a different state than the config builds (not damage: nothing is moved)."""


class Checkpointer:
  def __init__(self, directory: str, keep: int):
    self.directory = os.path.abspath(directory)
    self.manager = ocp.CheckpointManager(
        self.directory, options=ocp.CheckpointManagerOptions(max_to_keep=max(int(keep), 1), create=True))

  def save(self, step: int, state, force: bool = False) -> None:
    if step not in self.manager.all_steps():
      self.manager.save(step, args=ocp.args.StandardSave(state), force=force)

  def restore_latest(self, abstract_state):
    """The newest readable checkpoint as ``(state, step)``, or ``(None, 0)`` when there is none.

    Unreadable checkpoints are moved aside (see the module docstring) with one warning line each, and
    the previous one is tried. Raises :class:`CheckpointMismatchError` when a readable checkpoint's
    arrays (names or shapes) differ from ``abstract_state``'s.
    """
    for step in sorted(self.manager.all_steps(), reverse=True):
      try:
        self._check_matches(step, abstract_state)
        return self.manager.restore(step, args=ocp.args.StandardRestore(abstract_state)), step
      except CheckpointMismatchError:
        raise
      except Exception as e:  # noqa: BLE001  (any read failure of this step's files is damage)
        self._quarantine(step, e)
      _collect_abandoned_reads()
    return None, 0

  def _step_dir(self, step: int) -> str:
    return os.path.join(self.directory, str(step))

  def _check_matches(self, step: int, abstract_state) -> None:
    """Compares the checkpoint's array names and shapes (its metadata) with ``abstract_state``'s.
    Unreadable metadata raises (damage); readable metadata that differs is a mismatch."""
    from etils import epath
    item = os.path.join(self._step_dir(step), "default")
    if not os.path.isdir(item):
      raise FileNotFoundError(f"{item} is missing")
    saved = ocp.StandardCheckpointHandler().metadata(epath.Path(item)).tree
    diff = shape_mismatch(saved, abstract_state)
    if diff is None:
      return
    key, a, b = diff
    where = "the config's state" if a is None else "the checkpoint"
    what = (f"{key} is only in {where}" if a is None or b is None
            else f"{key} has shape {a} in the checkpoint and {b} in the config")
    raise CheckpointMismatchError(f"checkpoint step {step} in {self.directory} does not match this config's state: "
                                  f"{what}. Use a new workdir, or move {self.directory} away to start over.")

  def _quarantine(self, step: int, error: BaseException) -> None:
    """Moves an unreadable step aside (process 0; every process waits for it); process 0 logs one line."""
    src = self._step_dir(step)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    dst = os.path.join(self.directory, f"{DAMAGED_PREFIX}{step}_{stamp}")
    moved = None
    if jax.process_index() == 0:
      n = 1
      while os.path.exists(dst):  # two quarantines of one step within a second
        n += 1
        dst = os.path.join(self.directory, f"{DAMAGED_PREFIX}{step}_{stamp}_{n}")
      try:
        os.rename(src, dst)
        moved = True
      except OSError as e:  # a read-only or vanished folder: report it, fall back all the same
        moved = e
    if jax.process_count() > 1:
      from jax.experimental import multihost_utils
      multihost_utils.sync_global_devices(f"lbrl_checkpoint_quarantine_{step}")
    self.manager.reload()  # forget the step, so that training saves it again
    if moved is None:
      return
    where = dst if moved is True else src
    detail = describe_error(error)
    if src not in detail:  # TensorStore names the file; a JSON error does not: find the unparsable one
      bad = _unparsable_json(where)
      detail = f"{os.path.join(src, bad)}: {detail}" if bad else detail
    detail = detail.replace(src, where).replace(self.directory + os.sep, "")  # paths relative to the folder
    if moved is True:
      logging.warning("checkpoint step %d in %s is damaged (%s); moved to %s, trying the previous checkpoint",
                      step, self.directory, detail, os.path.basename(dst))
    else:
      logging.warning("checkpoint step %d in %s is damaged (%s) and could not be moved aside (%s); trying the "
                      "previous checkpoint", step, self.directory, detail, f"{type(moved).__name__}: {moved}")

  def wait(self) -> None:
    self.manager.wait_until_finished()

  def close(self) -> None:
    self.manager.close()


def _collect_abandoned_reads() -> None:
  """A failed restore leaves orbax's reads of the other arrays as coroutines that raise the same
  TensorStore error (with its ~60-line spec) when garbage-collected, at some later moment, on stderr.
  Collect them now, quietly: the damage is already reported in one line."""
  import gc
  import inspect
  import sys
  previous = sys.unraisablehook

  def hook(unraisable):
    if not inspect.iscoroutine(unraisable.object):
      previous(unraisable)

  sys.unraisablehook = hook
  try:
    gc.collect()
  finally:
    sys.unraisablehook = previous


def describe_error(error: BaseException) -> str:
  """One line for a read failure: the innermost cause's first line (TensorStore names the file and
  the array there), clipped; the outer orbax errors only repeat the array's spec over many lines."""
  inner, seen = error, set()
  while (inner.__cause__ or inner.__context__) is not None and id(inner) not in seen:
    seen.add(id(inner))
    inner = inner.__cause__ or inner.__context__
  lines = [line.strip() for line in str(inner).splitlines() if line.strip()]
  text = f"{type(inner).__name__}: {lines[0] if lines else ''}".rstrip(": ")
  return text if len(text) <= _DETAIL_CHARS else text[:_DETAIL_CHARS - 3] + "..."


def _unparsable_json(step_dir: str) -> str | None:
  """The first of a checkpoint's JSON files (orbax's metadata) that does not parse, relative to it."""
  import json
  for root, _, files in sorted(os.walk(step_dir)):
    for f in sorted(files):
      path = os.path.join(root, f)
      try:
        with open(path, "rb") as fh:
          head = fh.read(1)
          if head not in (b"{", b"["):
            continue
          fh.seek(0)
          json.loads(fh.read())
      except (OSError, ValueError):
        return os.path.relpath(path, step_dir)
  return None


def latest_step(directory: str) -> int:
  """The newest checkpoint step in ``directory`` (orbax's step folders), 0 when there is none."""
  try:
    names = os.listdir(directory)
  except FileNotFoundError:
    return 0
  return max((int(n) for n in names if n.isdigit() and os.path.isdir(os.path.join(directory, n))), default=0)


def shape_mismatch(first, second) -> tuple[str, tuple | None, tuple | None] | None:
  """The first leaf (in name order) where two trees of arrays (or anything with ``.shape``) differ:
  ``(dotted name, shape in first, shape in second)``, a shape None where the leaf is missing; None when
  their names and shapes agree."""
  a, b = ocp.tree.to_flat_dict(first), ocp.tree.to_flat_dict(second)
  name = lambda k: ".".join(map(str, k))
  shape = lambda t, k: tuple(getattr(t[k], "shape", ()) or ()) if k in t else None
  for key in sorted(set(a) | set(b), key=name):
    if shape(a, key) != shape(b, key):
      return name(key), shape(a, key), shape(b, key)
  return None


def read_latest(workdir: str, who: str) -> dict:
  """``{"params", "model_state"}`` (host numpy arrays) of the latest checkpoint of another run's
  ``workdir`` (a teacher, the run ``config.init`` starts from); ``who`` names the config field in errors."""
  import numpy as np
  import orbax.checkpoint as ocp
  directory = os.path.abspath(os.path.join(workdir, "checkpoints"))
  if not os.path.isdir(directory):
    raise FileNotFoundError(f"{who}: no checkpoints in {directory}; train that run first (its workdir)")
  with ocp.CheckpointManager(directory) as mgr:
    step = mgr.latest_step()
    if step is None:
      raise FileNotFoundError(f"{who}: {directory} holds no checkpoint")
    tree = mgr.restore(step, args=ocp.args.StandardRestore())
  return {"params": jax.tree.map(np.asarray, tree["params"]),
          "model_state": jax.tree.map(np.asarray, tree.get("model_state", {}) or {})}


def abstract(tree, shardings):
  """ShapeDtypeStructs carrying the target shardings, for restoring onto the mesh."""
  return jax.tree.map(lambda x, s: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=s), tree, shardings)
