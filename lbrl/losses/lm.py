"""Language-model losses: the log-partition penalty ("z-loss" of large-LM training) and the number-token
losses of "Regress, Don't Guess". Per-token values ``[...]`` for logits ``[..., V]``; conventions as in
:mod:`lbrl.losses.classification`.
"""
from __future__ import annotations

from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lbrl.losses import _common
from lbrl.losses.classification import finish, prepare


def logit_zloss(logits, labels=None, *, weight: float = 1e-4, where=None):
  """The log-partition penalty: ``weight * (log sum_k exp z_k)^2`` per example.

  Pushes the softmax normaliser towards 1 (``log Z -> 0``), which keeps large-LM logits from drifting
  (PaLM uses ``weight = 1e-4``). ``labels`` only masks ignored positions (out-of-range integer ids).
  This is *not* the spherical-family Z-loss (:func:`lbrl.losses.classification.spherical_zloss`).

  Papers: Chowdhery et al., "PaLM: Scaling Language Modeling with Pathways", 2022, arXiv:2204.02311;
  Zoph et al., "ST-MoE: Designing Stable and Transferable Sparse Expert Models", 2022,
  arXiv:2202.08906 (router z-loss of the same form).
  """
  logits = jnp.asarray(logits)
  if labels is None:
    if not jnp.issubdtype(logits.dtype, jnp.floating):
      raise TypeError(f"logit_zloss: logits must be floating point, got dtype {logits.dtype}")
    logits, valid = _common.as_float32(logits), None
  else:
    logits, _, valid = prepare("logit_zloss", logits, labels)
  return finish(weight * jnp.square(jax.nn.logsumexp(logits, axis=-1)), valid, where)


def cross_entropy_zloss(logits, labels, *, z_loss: float = 1e-4, label_smoothing: float = 0.0,
                        where=None):
  """Cross-entropy plus the log-partition penalty: ``CE + z_loss * (log Z)^2`` (see :func:`logit_zloss`)."""
  logits, targets, valid = prepare("cross_entropy_zloss", logits, labels)
  if label_smoothing:
    targets = optax.smooth_labels(targets, label_smoothing)
  lse = jax.nn.logsumexp(logits, axis=-1)
  values = lse - jnp.sum(targets * logits, axis=-1) + z_loss * jnp.square(lse)
  return finish(values, valid, where)


def _number_tables(name, number_token_ids, number_values, vocab_size):
  ids = np.asarray(number_token_ids, np.int64).reshape(-1)
  if ids.size == 0:
    raise ValueError(f"{name}: number_token_ids must list at least one token id")
  if np.any(ids < 0) or np.any(ids >= vocab_size) or len(set(ids.tolist())) != ids.size:
    raise ValueError(f"{name}: number_token_ids must be distinct ids in [0, {vocab_size}), got {ids}")
  values = np.arange(ids.size, dtype=np.float64) if number_values is None else np.asarray(
      number_values, np.float64).reshape(-1)
  if values.shape != ids.shape:
    raise ValueError(f"{name}: number_values must have one value per number token "
                     f"({ids.size}), got shape {values.shape}")
  order = np.argsort(values, kind="stable")
  return ids[order], values[order]


def number_token_loss(logits, labels, *, number_token_ids: Sequence[int],
                      number_values: Sequence[float] | None = None, variant: str = "wasserstein",
                      weight: float = 0.3, p: float = 2.0, include_ce: bool = True, where=None):
  """Cross-entropy plus a regression-like loss on number tokens (NTL).

  Let ``N`` be the number tokens with numeric values ``v_i`` and ``q = softmax(z_N)`` the predicted
  distribution restricted to (renormalised over) them. At positions whose label ``y`` is a number
  token with value ``v_y``:

  - ``variant="mse"`` (NTL-MSE; general ``L_p`` with ``p``): ``|v_y - sum_i q_i v_i|^p``;
  - ``variant="wasserstein"`` (NTL-WAS): the Wasserstein-1 distance between ``q`` and the point mass at
    ``v_y`` on the real line, ``sum_i |F_q(v_i) - F_y(v_i)| (v_{i+1} - v_i)`` (``F`` the CDFs over the
    sorted values).

  Other positions get no NTL term. Total: ``CE + weight * NTL`` (``include_ce=False`` returns the NTL
  term alone, masked to number positions).

  Args:
    logits: ``[..., V]``.
    labels: integer token ids ``[...]`` (out-of-range ids, e.g. padding ``-1``, are masked).
    number_token_ids: the ids of the number tokens (e.g. the digits ``0``..``9``).
    number_values: their numeric values (default ``0, 1, 2, ...`` in the order of the ids).
    variant: ``"mse"`` or ``"wasserstein"``.
    weight: ``lambda``, the NTL weight (the paper's T5 runs use 0.3).
    p: exponent of the ``L_p`` variant (2 = MSE).

  Paper: Zausinger et al., "Regress, Don't Guess -- A Regression-like Loss on Number Tokens for
  Language Models", 2024/ICML 2025, arXiv:2411.02083 (catalog slug ``number_token_loss``).
  """
  if variant not in ("mse", "wasserstein"):
    raise ValueError(f"number_token_loss: variant must be 'mse' or 'wasserstein', got {variant!r}")
  logits, targets, valid = prepare("number_token_loss", logits, labels, allow_soft=False)
  ids, values = _number_tables("number_token_loss", number_token_ids, number_values, logits.shape[-1])
  values_j = jnp.asarray(values, logits.dtype)
  q = jax.nn.softmax(logits[..., ids], axis=-1)
  y_num = targets[..., ids]                          # one-hot over number tokens (0 row if not a number)
  is_number = jnp.sum(y_num, axis=-1) > 0
  if variant == "mse":
    err = jnp.abs(jnp.sum(q * values_j, axis=-1) - jnp.sum(y_num * values_j, axis=-1))
    ntl = jnp.power(err, p)
  else:
    gaps = jnp.asarray(np.diff(values), logits.dtype)
    cdf_gap = jnp.abs(jnp.cumsum(q - y_num, axis=-1))[..., :-1]
    ntl = jnp.sum(cdf_gap * gaps, axis=-1)
  ntl = jnp.where(is_number, ntl, 0.0)
  total = weight * ntl
  if include_ce:
    total = total + optax.softmax_cross_entropy(logits, targets)
  return finish(total, valid, where)


def number_token_prediction(logits, *, number_token_ids, number_values=None):
  """The model's numeric read-out at each position: ``sum_i q_i v_i`` over the number tokens."""
  logits = _common.as_float32(jnp.asarray(logits))
  ids, values = _number_tables("number_token_prediction", number_token_ids, number_values,
                               logits.shape[-1])
  return jnp.sum(jax.nn.softmax(logits[..., ids], axis=-1) * jnp.asarray(values, logits.dtype), -1)
