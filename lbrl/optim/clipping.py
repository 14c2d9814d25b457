"""Adaptive gradient clipping (Brock, De, Smith and Simonyan, "High-Performance Large-Scale Image
Recognition Without Normalization", 2021, arXiv:2102.06171, slug ``nfnets_agc``) and NFNets' optimizer.

AGC itself is ``optax.adaptive_grad_clip``; lbrl adds the paper's exclusion of the classifier (``optax.masked``)
and the SGD-Nesterov optimizer it is used with.
"""
from __future__ import annotations

import re
from typing import Any

import jax
import optax

from lbrl.optim import _common, descent


def _path(keys) -> str:
  return "/".join(str(getattr(k, "key", getattr(k, "name", getattr(k, "idx", k)))) for k in keys)


def agc(clipping: float = 0.01, eps: float = 1e-3, exclude: str = r"(^|/)head(/|$)") -> optax.GradientTransformation:
  """Adaptive gradient clipping on every parameter whose path does not match ``exclude``.

  ``optax.adaptive_grad_clip(clipping, eps)`` (unit-wise: rows of a Dense kernel's output units, output
  channels of a conv kernel; ``||W||`` floored at ``eps``), wrapped in ``optax.masked`` so that the final
  linear layer (the zoo's ``head``) is not clipped, as Brock et al. (2021, Section 4.1) found necessary.
  ``clipping`` is the paper's ``lambda`` (0.01 at batch 4096 for NFNets; larger at smaller batches).
  """
  if not clipping > 0:
    raise ValueError(f"agc: clipping must be > 0, got {clipping}")
  pattern = re.compile(exclude)

  def mask(params):
    return jax.tree_util.tree_map_with_path(lambda p, _: not pattern.search(_path(p)), params)
  return optax.masked(optax.adaptive_grad_clip(clipping, eps), mask)


def sgd_agc(learning_rate: Any = 0.1, momentum: float = 0.9, nesterov: bool = True, clipping: float = 0.01,
            eps: float = 1e-3, exclude: str = r"(^|/)head(/|$)", weight_decay: float = 0.0, mask: Any = None
            ) -> optax.GradientTransformationExtraArgs:
  """NFNets' optimizer: AGC (:func:`agc`) then SGD with Nesterov momentum 0.9 (coupled weight decay on the
  leaves ``mask`` selects, as ``optax.add_decayed_weights``).

  ``clipping=0`` turns AGC off (the paper's unclipped baseline), the rest unchanged.
  """
  _common.check_nonnegative("clipping", clipping)
  base = descent.sgd(learning_rate, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay, mask=mask)
  if clipping == 0:
    return base
  return _common.checked(optax.chain(agc(clipping, eps, exclude), base))
