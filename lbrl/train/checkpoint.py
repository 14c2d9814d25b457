"""Orbax checkpointing of the whole train state (params, optimizer state, step, RNG).

The data-iterator position is the step (see lbrl.data.pipeline), so restoring the state restores the
input stream too. Restores use the target shardings. A damaged latest checkpoint is reported and the
one before it is used.
"""
from __future__ import annotations

import logging
import os

import jax
import orbax.checkpoint as ocp


class Checkpointer:
  def __init__(self, directory: str, keep: int):
    self.manager = ocp.CheckpointManager(
        os.path.abspath(directory),
        options=ocp.CheckpointManagerOptions(max_to_keep=max(int(keep), 1), create=True))

  def save(self, step: int, state, force: bool = False) -> None:
    if step not in self.manager.all_steps():
      self.manager.save(step, args=ocp.args.StandardSave(state), force=force)

  def restore_latest(self, abstract_state):
    """The newest readable checkpoint (state, step), or (None, 0) when there is none."""
    for step in sorted(self.manager.all_steps(), reverse=True):
      try:
        return self.manager.restore(step, args=ocp.args.StandardRestore(abstract_state)), step
      except Exception as e:  # a damaged checkpoint: fall back to the previous one
        logging.error("checkpoint at step %d in %s is unreadable (%s: %s); trying the previous one",
                      step, self.manager.directory, type(e).__name__, e)
    return None, 0

  def wait(self) -> None:
    self.manager.wait_until_finished()

  def close(self) -> None:
    self.manager.close()


def abstract(tree, shardings):
  """ShapeDtypeStructs carrying the target shardings, for restoring onto the mesh."""
  return jax.tree.map(lambda x, s: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=s), tree, shardings)
