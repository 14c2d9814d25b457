"""Optimizers and gradient transforms (optax), one module per family.

Every user-facing factory has the signature ``factory(learning_rate, **paper_kwargs)`` (or, for the
composites in :data:`COMPONENTS`, ``factory(inner_or_base_transform, **paper_kwargs)``) and returns an
``optax.GradientTransformationExtraArgs`` that

* validates its hyperparameters when built (``ValueError`` naming the argument),
* checks at trace time that the gradient tree matches the parameter tree (naming the first
  differing path),
* accepts the extra arguments ``value=`` (the batch loss: MoMo, Normalized LR+GD) and ``grad_fn=``
  (``grad_fn(params, i) -> grads`` on the current batch: the two-pass methods SAM, AMP, gradient
  regularisation, SAM-imbalance), and ignores them when it does not need them,
* works under ``optax.inject_hyperparams`` with every numeric argument injectable except the
  structural ones in :data:`STATIC_ARGS`, and inside ``optax.chain``.

They are registered in ``lbrl.registry.OPTIMIZERS`` under the names below. Gradient estimators
(replacements for ``jax.value_and_grad`` used by a trainer: SAM, AMP, GR, SAF) are in ``GRAD_FNS``.

Families: ``adaptive`` (adam, adamw, adamw_paper, adam_l2, adafactor, adamp, sgdp, diffgrad, gravity,
innaprop, adam_atan2, ranger21), ``layerwise`` (lars, lars_paper, lamb, tvlars), ``descent`` (sgd,
sign_descent, signum, momo, momo_adam, normalized_lr_gd, scaled_gradient), ``sharpness`` (sam,
sam_imbalance, amp_perturbation, gradient_regularization; estimators incl. saf), ``lowrank`` (galore,
frugal, fira), ``perpgrad``; ``parametrization`` (SP and muP per-leaf multipliers).

Composition is by transform, never by registered name: ``scaled_gradient``, ``perpgrad`` and the
two-pass methods take their inner/outer optimizer as an optax transform (``inner=`` / ``base=``).
:data:`COMPONENTS` says which arguments those are and which registered optimizer a config gets when it
names none; :mod:`lbrl.train.optimizer` resolves config names to transforms.

Weight decay: every factory with a ``weight_decay`` takes ``mask=`` (a tree of booleans or a callable
on the params, as ``optax.add_decayed_weights``); ``momo``/``momo_adam`` accept it only without weight
decay (their decay acts inside optax.contrib's step-size formula) and say so in a ``ValueError``.
"""
from lbrl.registry import OPTIMIZERS
from lbrl.optim.adaptive import (adafactor, adam, adam_atan2, adam_l2, adamp, adamw, adamw_paper,
                                 diffgrad, gravity, innaprop, lookahead, ranger21, ranger21_schedule,
                                 scale_by_adam_atan2, scale_by_adamp, scale_by_diffgrad,
                                 scale_by_gravity, scale_by_ranger21, scale_by_sgdp, sgdp)
from lbrl.optim.descent import (momo, momo_adam, normalized_lr_gd, scale_by_inverse_loss,
                                scaled_gradient, sgd, sign_descent, signum)
from lbrl.optim.layerwise import lamb, lars, lars_paper, scale_by_tvlars, tvlars
from lbrl.optim.lowrank import fira, frugal, galore, scale_by_lowrank
from lbrl.optim.perpgrad import perpgrad, perpgrad_optimizer
from lbrl.optim.sharpness import (GRAD_FNS, GradEstimator, SAFState, amp_estimator, amp_gradient,
                                  amp_perturbation, gr_estimator,
                                  gr_gradient, gradient_regularization, plain_estimator, sam,
                                  sam_estimator, sam_gradient, sam_imbalance, sam_imbalance_estimator,
                                  saf_estimator, top_hessian_eigenvalue, trajectory_loss, two_pass)

FACTORIES = {
    # optax reuse
    "sgd": sgd, "adam": adam, "adamw": adamw, "adam_l2": adam_l2, "adafactor": adafactor,
    "lars": lars, "lamb": lamb, "sign_descent": sign_descent, "signum": signum, "momo": momo,
    "momo_adam": momo_adam, "sam": sam, "sam_imbalance": sam_imbalance,
    # the paper's form where optax departs from it
    "adamw_paper": adamw_paper, "lars_paper": lars_paper,
    # lbrl transforms
    "adamp": adamp, "sgdp": sgdp, "diffgrad": diffgrad, "gravity": gravity, "innaprop": innaprop,
    "adam_atan2": adam_atan2, "ranger21": ranger21, "tvlars": tvlars,
    "normalized_lr_gd": normalized_lr_gd, "amp_perturbation": amp_perturbation,
    "gradient_regularization": gradient_regularization, "galore": galore, "frugal": frugal,
    "fira": fira, "scaled_gradient": scaled_gradient, "perpgrad": perpgrad_optimizer,
}
for _name, _factory in FACTORIES.items():
  OPTIMIZERS.register(_name, _factory)

# Optimizer-valued arguments: factory name -> {argument: the registered optimizer a config gets when it
# names none}. A config gives ``<argument>="<registered name>"`` and ``<argument>_kwargs={...}``;
# lbrl.train.optimizer builds that optimizer with the run's learning-rate schedule and passes the
# transform. The outer factory then takes no learning rate of its own.
COMPONENTS = {
    "scaled_gradient": {"inner": "adam"},
    "perpgrad": {"inner": "adam"},
    "sam": {"base": "sgd"},
    "sam_imbalance": {"base": "sgd"},
    "amp_perturbation": {"base": "sgd"},
    "gradient_regularization": {"base": "sgd"},
}

# Structural integer arguments: pass them as ``static_args`` to ``optax.inject_hyperparams`` (they fix
# shapes or Python loops and cannot be traced). Every other numeric argument of every factory can be
# injected (tests/optim/test_battery.py checks each one).
STATIC_ARGS = ("min_dim_size_to_factor", "rank", "rank_fraction", "inner_steps")


def inject(name: str, **kwargs):
  """``optax.inject_hyperparams`` over a registered factory, with the structural args kept static
  (and callables such as ``mask=`` kept static too, so they are not taken for schedules)."""
  import inspect  # pylint: disable=import-outside-toplevel
  import optax  # pylint: disable=import-outside-toplevel
  factory = OPTIMIZERS.get(name)
  params = inspect.signature(factory).parameters
  static = tuple(k for k in STATIC_ARGS if k in params)
  static += tuple(k for k, v in kwargs.items() if k != "learning_rate" and callable(v) and k not in static)
  return optax.inject_hyperparams(factory, static_args=static)(**kwargs)
