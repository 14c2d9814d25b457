"""Variance control by weight rescaling (Owen, Kumar, Roy Chowdhury & Güra, "Variance Control via Weight
Rescaling in LLM Pre-training", 2025, arXiv:2503.17500, slug variance_control_weight_rescaling; the authors'
code: github.com/bluorion-com/weight_rescaling).

Two pieces:

* Layer Index Rescaling (LIR), an initialisation: every linear layer of decoder layer ``l = 1..L`` is drawn
  ``N(0, sigma_l^2)`` with ``sigma_l = sigma / sqrt(l * scale_factor)`` (:func:`lir_std`; the authors'
  ``_get_std_for_module``); embeddings and the output layer keep ``sigma``. In the zoo:
  ``TransformerLM(lir=True)`` (``sigma = 0.02``, ``scale_factor = 1``, the authors' GPT-2 example).
* Target Variance Rescaling (TVR), a training-loop step: every ``every`` optimizer steps, each matched weight
  matrix ``W`` of a decoder layer whose standard deviation exceeds ``ratio_threshold`` times the target is
  standardised back to it, keeping its mean::

      if std(W) / t_l > ratio_threshold:   W <- (W - mean(W)) / std(W) * t_l + mean(W)     (and its bias <- 0)

  with ``t_l = target_std`` (or ``target_std / sqrt(l)`` with ``scale_with_depth``), ``std`` the unbiased
  (Bessel-corrected) standard deviation over all entries, as ``torch.Tensor.std``. The authors run it as a
  Lightning callback after the optimizer step whenever ``step - last >= every`` (steps ``every``,
  ``2 every``, ...); here it is :func:`tvr`, an optax transform chained after the optimizer that returns the
  update taking the parameters to the rescaled ``W + u`` on those steps (so checkpoints, resumption and
  the trainer are unchanged), and :func:`tvr_optimizer` wraps a base optimizer with it (registered as the
  optimizer ``tvr``: ``optimizer=dict(name="tvr", base="adamw", base_kwargs={...}, target_std=0.01)``).
  Defaults are the authors' (``target_std=0.02``, ``every=50``, ``ratio_threshold=1.2``); their 1B LLaMA
  runs use ``target_std=0.01`` with the LIR init at ``sigma=0.006``.

Which weights: the 2-D linear maps of each decoder layer (torch ``nn.Linear`` weights found in
``model.layers[i]``); in lbrl's parameter trees the kernels under ``block_<i>`` (``include`` regex; the
attention's ``[D, H, Dh]`` kernels are the same matrices reshaped, and the statistics are over all
entries either way). The layer index ``l`` is ``i + 1``.
"""
from __future__ import annotations

import math
import re
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from lbrl.optim import _common as C


def lir_std(base_std: float, layer_index: int, scale_factor: float = 1.0) -> float:
  """LIR's std of layer ``layer_index`` (1-based): ``base_std / sqrt(layer_index * scale_factor)``."""
  if layer_index < 1:
    raise ValueError(f"lir_std: layer_index is 1-based, got {layer_index}")
  if not base_std > 0 or not scale_factor > 0:
    raise ValueError(f"lir_std: base_std and scale_factor must be > 0, got {base_std}, {scale_factor}")
  return base_std / math.sqrt(layer_index * scale_factor)


def _path(keys) -> str:
  return "/".join(str(getattr(k, "key", getattr(k, "name", getattr(k, "idx", k)))) for k in keys)


def rescale_to_target(w, target):
  """``(w - mean) / std * target + mean`` over all entries (``std`` unbiased), in float32, cast back."""
  w32 = jnp.asarray(w, jnp.float32)
  mean = jnp.mean(w32)
  std = jnp.sqrt(jnp.sum((w32 - mean) ** 2) / max(w32.size - 1, 1))
  return ((w32 - mean) / jnp.maximum(std, 1e-30) * target + mean).astype(w.dtype), std


class TVRState(NamedTuple):
  count: jax.Array   # optimizer steps done


def tvr(target_std: float = 0.02, every: int = 50, ratio_threshold: float = 1.2, scale_with_depth: bool = False,
        include: str = r"(^|/)block_(\d+)/.*kernel$") -> optax.GradientTransformation:
  """Target Variance Rescaling as an optax transform applied to the final updates (see the module docstring).

  On the updates of step ``k = count + 1`` with ``k % every == 0``, each parameter whose path matches
  ``include`` (its first group-2 digits the 0-based layer index) gets the update ``rescale(w + u) - w``
  when ``std(w + u) / t_l > ratio_threshold``; every other update passes unchanged. Needs ``params``.
  Biases of rescaled layers are not zeroed (lbrl's LMs are bias-free; a biased layer raises).
  """
  C.check_positive("tvr: target_std", target_std)
  C.check_positive("tvr: ratio_threshold", ratio_threshold)
  if int(every) < 1:
    raise ValueError(f"tvr: every must be >= 1 steps, got {every}")
  pattern = re.compile(include)

  def target_of(path: str):
    m = pattern.search(path)
    if m is None:
      return None
    if m.re.groups >= 2 and m.group(2) is not None:
      layer = int(m.group(2)) + 1
    elif scale_with_depth:
      raise ValueError(f"tvr: scale_with_depth needs the layer index as group 2 of include, path {path!r}")
    else:
      layer = 1
    return target_std / math.sqrt(layer) if scale_with_depth else target_std

  def init_fn(params):
    del params
    return TVRState(count=jnp.zeros((), jnp.int32))

  def update_fn(updates, state, params=None):
    if params is None:
      raise ValueError("tvr: update() needs params (the rescaling acts on the weights)")
    count = state.count + 1
    due = (count % int(every)) == 0
    paths = {_path(p) for p, _ in jax.tree_util.tree_flatten_with_path(params)[0]}
    for p in paths:
      if target_of(p) is not None and re.sub(r"kernel$", "bias", p) in paths:
        raise ValueError(f"tvr: {p} has a bias; the authors zero the bias of a rescaled layer, lbrl does not")

    def leaf(path, u, w):
      t = target_of(_path(path))
      if t is None:
        return u
      new = w + u
      rescaled, std = rescale_to_target(new, t)
      hit = jnp.logical_and(due, std / t > ratio_threshold)
      return jnp.where(hit, (rescaled - w).astype(u.dtype), u)

    return jax.tree_util.tree_map_with_path(leaf, updates, params), TVRState(count=count)

  return optax.GradientTransformation(init_fn, update_fn)


def tvr_optimizer(base: optax.GradientTransformation, target_std: float = 0.02, every: int = 50,
                  ratio_threshold: float = 1.2, scale_with_depth: bool = False,
                  include: str = r"(^|/)block_(\d+)/.*kernel$") -> optax.GradientTransformationExtraArgs:
  """``optax.chain(base, tvr(...))``: the base optimizer's step, then TVR on the resulting weights.

  Registered as the optimizer ``tvr`` with the component ``base`` (default ``adamw``); a config names it:
  ``optimizer=dict(name="tvr", learning_rate=1e-3, base="adamw", base_kwargs=dict(weight_decay=0.1),
  target_std=0.02, every=50)``."""
  base = C.check_transform("base", base)
  return C.checked(optax.chain(base, tvr(target_std, every, ratio_threshold, scale_with_depth, include)))
