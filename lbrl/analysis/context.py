"""What an analysis tool sees: one trained (or freshly initialised) model, a fixed batch and its loss.

Analysis tools are registered in :data:`lbrl.registry.ANALYSIS_TOOLS` and called by the ``analysis``
experiment kind (:mod:`lbrl.tools.kinds.analysis`) as ``fn(ctx, **kwargs)``; they return
``{key: float}`` (recorded as ``analysis/<key>``) or ``(scalars, extra)`` where ``extra`` is
JSON-serialisable data kept in the run's record (a curve, a table). The runner builds the context from a
run's final checkpoint (``at="final"``) or from its initialisation without training (``at="init"``). The
context holds plain values and closures, so that tools live in library layers (they never import the
trainer) and are unit-tested on a hand-built context.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

import numpy as np


@dataclasses.dataclass
class AnalysisContext:
  """``cfg``: the run's config; ``model``: the flax module; ``params`` / ``model_state``: the analysed
  state (trained, or the initialisation when ``at="init"``); ``init_params`` / ``init_model_state``: the
  run's initialisation (same seed); ``x`` / ``labels``: the first ``batch_size`` examples of the chosen
  split (numpy, fixed order); ``loss(params) -> scalar``: the config's loss, mean over the batch, model in
  eval mode with ``model_state`` fixed; ``apply(params, x, train=False) -> outputs``: the model's outputs
  (logits for classifiers); ``seed``: the run's seed; ``at``: ``"final"`` or ``"init"``."""
  cfg: Any
  model: Any
  params: Any
  model_state: Any
  init_params: Any
  init_model_state: Any
  x: np.ndarray
  labels: np.ndarray
  loss: Callable[[Any], Any]
  apply: Callable[..., Any]
  seed: int = 0
  at: str = "final"
