"""Optimizers and gradient transforms (optax), one module per family.

Every user-facing factory has the signature ``factory(learning_rate, **paper_kwargs)`` and returns an
``optax.GradientTransformationExtraArgs`` that

* validates its hyperparameters when built (``ValueError`` naming the argument),
* checks at trace time that the gradient tree matches the parameter tree (naming the first
  differing path),
* accepts the extra arguments ``value=`` (the batch loss: MoMo, Normalized LR+GD) and ``grad_fn=``
  (``grad_fn(params, i) -> grads`` on the current batch: the two-pass methods SAM, AMP, gradient
  regularisation, SAM-imbalance), and ignores them when it does not need them,
* works under ``optax.inject_hyperparams`` and inside ``optax.chain``.

They are registered in ``lbrl.registry.OPTIMIZERS`` under the names below. Gradient estimators
(replacements for ``jax.value_and_grad`` used by a trainer: SAM, AMP, GR, SAF) are in ``GRAD_FNS``.

Families: ``adaptive`` (adam, adamw, adam_l2, adafactor, adamp, diffgrad, gravity, innaprop,
adam_atan2, ranger21), ``layerwise`` (lars, lamb, tvlars), ``descent`` (sgd, sign_descent, signum,
momo, momo_adam, normalized_lr_gd), ``sharpness`` (sam, sam_imbalance, amp_perturbation,
gradient_regularization; estimators incl. saf), ``lowrank`` (galore, frugal, fira).
"""
from lbrl.registry import OPTIMIZERS
from lbrl.optim.adaptive import (adafactor, adam, adam_atan2, adam_l2, adamp, adamw, diffgrad,
                                 gravity, innaprop, lookahead, ranger21, ranger21_schedule,
                                 scale_by_adam_atan2, scale_by_adamp, scale_by_diffgrad,
                                 scale_by_gravity, scale_by_ranger21)
from lbrl.optim.descent import (momo, momo_adam, normalized_lr_gd, scale_by_inverse_loss,
                                scaled_gradient, sgd, sign_descent, signum)
from lbrl.optim.layerwise import lamb, lars, scale_by_tvlars, tvlars
from lbrl.optim.lowrank import fira, frugal, galore, scale_by_lowrank
from lbrl.optim.sharpness import (GRAD_FNS, GradEstimator, SAFState, amp_estimator, amp_gradient,
                                  amp_perturbation, gr_estimator,
                                  gr_gradient, gradient_regularization, plain_estimator, sam,
                                  sam_estimator, sam_gradient, sam_imbalance, saf_estimator,
                                  top_hessian_eigenvalue, trajectory_loss, two_pass)

FACTORIES = {
    # optax reuse
    "sgd": sgd, "adam": adam, "adamw": adamw, "adam_l2": adam_l2, "adafactor": adafactor,
    "lars": lars, "lamb": lamb, "sign_descent": sign_descent, "signum": signum, "momo": momo,
    "momo_adam": momo_adam, "sam": sam, "sam_imbalance": sam_imbalance,
    # lbrl transforms
    "adamp": adamp, "diffgrad": diffgrad, "gravity": gravity, "innaprop": innaprop,
    "adam_atan2": adam_atan2, "ranger21": ranger21, "tvlars": tvlars,
    "normalized_lr_gd": normalized_lr_gd, "amp_perturbation": amp_perturbation,
    "gradient_regularization": gradient_regularization, "galore": galore, "frugal": frugal,
    "fira": fira, "scaled_gradient": scaled_gradient,
}
for _name, _factory in FACTORIES.items():
  OPTIMIZERS.register(_name, _factory)

# Which factories need which extra arguments in ``update`` (the trainer passes both always).
NEEDS_VALUE = ("momo", "momo_adam", "normalized_lr_gd")
NEEDS_GRAD_FN = ("sam", "sam_imbalance", "amp_perturbation", "gradient_regularization")

# Structural integer arguments: pass them as ``static_args`` to ``optax.inject_hyperparams``
# (they fix shapes or Python control flow and cannot be traced).
STATIC_ARGS = ("min_dim_size_to_factor", "rank", "rank_fraction", "update_gap", "inner_steps", "total_steps",
               "lookahead_steps", "seed", "sync_period")


def inject(name: str, **kwargs):
  """``optax.inject_hyperparams`` over a registered factory, with the structural args kept static."""
  import inspect  # pylint: disable=import-outside-toplevel
  import optax  # pylint: disable=import-outside-toplevel
  factory = OPTIMIZERS.get(name)
  static = tuple(k for k in STATIC_ARGS if k in inspect.signature(factory).parameters)
  return optax.inject_hyperparams(factory, static_args=static)(**kwargs)

from lbrl.optim import perpgrad  # noqa: F401,E402  (registers "perpgrad", the stablemax paper's transform)
