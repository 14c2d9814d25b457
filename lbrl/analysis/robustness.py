"""Adversarial robustness of a trained classifier: clean, FGSM and PGD accuracy (an ``ANALYSIS_TOOLS``
entry, ``robust_accuracy``).

The attacks are white-box l_inf attacks on the model's cross-entropy, in eval mode, built with
:func:`lbrl.optim.adversarial.pgd_attack` (the same attack the adversarial estimators train against):
FGSM (Goodfellow et al. 2015, arXiv:1412.6572) is one signed step of size ``eps`` from ``x``; PGD
(Madry et al. 2018, arXiv:1706.06083) takes ``steps`` steps of ``step_size`` from a uniform random start
in the ball. Defaults follow the MTARD/B-MTARD evaluation (PGD-20; step ``eps / 8`` is their 0.003 for
8/255, rounded), with ``eps`` in the data's own units (for standardised 1-D signals there is no [0, 1]
range: ``bounds=None``).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lbrl.optim.adversarial import fgsm_attack, pgd_attack


def robust_accuracy(ctx, *, eps: float = 0.1, step_size: float | None = None, steps: int = 20,
                    bounds: tuple[float, float] | None = None) -> dict:
  """``{"clean_accuracy", "fgsm_accuracy", "pgd_accuracy"}`` of ``ctx.params`` on ``ctx.x`` /
  ``ctx.labels`` (the first ``batch_size`` examples of the analysed split); the PGD start is seeded by
  ``ctx.seed``. ``step_size`` defaults to ``eps / 8``."""
  if not eps > 0:
    raise ValueError(f"robust_accuracy: eps must be > 0, got {eps}")
  step_size = eps / 8 if step_size is None else step_size
  x = jnp.asarray(ctx.x)
  labels = jnp.asarray(ctx.labels)

  def logits(z):
    out = ctx.apply(ctx.params, z, train=False)
    if not isinstance(out, jax.Array) or out.ndim != 2:
      raise ValueError("robust_accuracy needs a classifier returning logits [B, C]")
    return out.astype(jnp.float32)

  def objective(z):
    return jnp.mean(optax.losses.softmax_cross_entropy_with_integer_labels(logits(z), labels))

  def accuracy(z):
    return float(np.mean(np.asarray(jnp.argmax(logits(z), -1) == labels)))

  x_fgsm = fgsm_attack(objective, x, eps=eps, bounds=bounds)
  x_pgd = pgd_attack(objective, x, jax.random.PRNGKey(int(ctx.seed)), eps=eps, step_size=step_size, steps=steps,
                     random_start="uniform", bounds=bounds)
  return {"clean_accuracy": accuracy(x), "fgsm_accuracy": accuracy(x_fgsm), "pgd_accuracy": accuracy(x_pgd)}
