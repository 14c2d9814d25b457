"""Training-time calibration losses (per example, ``fn(logits [..., C], labels [...], *, where=None, **hyper)``).

* :func:`acls`: Adaptive and Conditional Label Smoothing (Park, Noh, Oh, Lee & Ham, "ACLS: Adaptive and
  Conditional Label Smoothing for Network Calibration", ICCV 2023, arXiv:2308.11911, slug ``acls``), as the
  authors' ``calibrate/losses/acls.py`` computes it::

      CE(z, y) + alpha * ( pos_lambda * sum_j 1[z_j = max z] relu(max z - margin)^2
                          + neg_lambda / (C - 1) * sum_j 1[z_j != max z] relu(sg(max z) - z_j - margin)^2 )

  with ``sg`` stop-gradient and the indicator computed on stopped values. The regulariser is conditioned on
  the *predicted* class (the arg-max), not on the label, and only acts on logit gaps beyond ``margin``.
  Defaults are the authors': ``alpha=0.1``, ``pos_lambda=1.0``, ``neg_lambda=0.1``, ``margin=10``. The
  authors average the positive term over the batch and the negative term over ``batch * (C - 1)``; per
  example these are the two sums above, so the batch mean equals their loss.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from lbrl.losses.classification import finish, prepare


def acls(logits, labels, *, alpha: float = 0.1, pos_lambda: float = 1.0, neg_lambda: float = 0.1,
         margin: float = 10.0, where=None):
  """ACLS per example (see the module docstring). Example::

      acls(jnp.array([[12.0, 0.0, 1.0]]), jnp.array([0]))   # CE + 0.1 * (1 * 2^2 + 0.1/2 * (2^2 + 1^2))
  """
  if alpha < 0 or pos_lambda < 0 or neg_lambda < 0 or margin < 0:
    raise ValueError(f"acls: alpha, pos_lambda, neg_lambda and margin must be >= 0, got {alpha}, {pos_lambda}, "
                     f"{neg_lambda}, {margin}")
  z, targets, valid = prepare("acls", logits, labels, allow_soft=False)
  c = z.shape[-1]
  if c < 2:
    raise ValueError(f"acls: needs at least 2 classes, got logits of shape {z.shape}")
  zmax = jnp.max(z, -1, keepdims=True)
  top = (jax.lax.stop_gradient(z) == jax.lax.stop_gradient(zmax)).astype(z.dtype)
  pos = jnp.sum(top * jax.nn.relu(zmax - margin) ** 2, -1)
  neg = jnp.sum((1 - top) * jax.nn.relu(jax.lax.stop_gradient(zmax) - z - margin) ** 2, -1) / (c - 1)
  values = optax.softmax_cross_entropy(z, targets) + alpha * (pos_lambda * pos + neg_lambda * neg)
  return finish(values, valid, where)
