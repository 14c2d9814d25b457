"""Optimizers and gradient transforms (optax), one module per family.

Every user-facing factory has the signature ``factory(learning_rate, **paper_kwargs)`` (or, for the
composites in :func:`components`, ``factory(inner_or_base_transform, **paper_kwargs)``) and returns an
``optax.GradientTransformationExtraArgs`` that

* validates its hyperparameters when built (``ValueError`` naming the argument),
* checks at trace time that the gradient tree matches the parameter tree (naming the first
  differing path),
* accepts the extra arguments ``value=`` (the batch loss: MoMo, Normalized LR+GD) and ``grad_fn=``
  (``grad_fn(params, i) -> grads`` on the current batch: the two-pass methods SAM, AMP, gradient
  regularisation, SAM-imbalance), and ignores them when it does not need them,
* works under ``optax.inject_hyperparams`` with every numeric argument injectable except the
  structural ones in :func:`static_args` (declared in the registry), and inside ``optax.chain``.

They are registered in ``lbrl.registry.OPTIMIZERS`` under the names below. Gradient estimators
(replacements for ``jax.value_and_grad`` used by a trainer: SAM, AMP, GR, SAF) are in ``GRAD_FNS``.

Families: ``adaptive`` (adam, adamw, adamw_paper, adam_l2, adafactor, adamp, sgdp, diffgrad, gravity,
innaprop, adam_atan2, ranger21), ``layerwise`` (lars, lars_paper, lamb, tvlars), ``descent`` (sgd,
sign_descent, signum, momo, momo_adam, normalized_lr_gd, scaled_gradient), ``sharpness`` (sam,
sam_imbalance, amp_perturbation, gradient_regularization; estimators incl. saf), ``lowrank`` (galore,
frugal, fira), ``perpgrad``; ``parametrization`` (SP and muP per-leaf multipliers).

Composition is by transform, never by registered name: ``scaled_gradient``, ``perpgrad`` and the
two-pass methods take their inner/outer optimizer as an optax transform (``inner=`` / ``base=``).
:func:`components` says which arguments those are and which registered optimizer a config gets when it
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

# Every optimizer is declared, with its structural (static) arguments and optimizer-valued arguments
# (components), in lbrl.registry.OPTIMIZERS; these views keep the names at hand.
def static_args(name: str) -> tuple[str, ...]:
  """The arguments of optimizer ``name`` that ``optax.inject_hyperparams`` must keep static."""
  return tuple(OPTIMIZERS.spec(name).static_args)


def components(name: str) -> dict[str, str]:
  """Optimizer-valued arguments of ``name`` -> the registered optimizer a config gets by default."""
  return dict(OPTIMIZERS.spec(name).components)


def inject(name: str, **kwargs):
  """``optax.inject_hyperparams`` over a registered factory, with the structural args kept static
  (and callables such as ``mask=`` kept static too, so they are not taken for schedules)."""
  import optax  # pylint: disable=import-outside-toplevel
  factory = OPTIMIZERS.get(name)
  static = static_args(name)
  static += tuple(k for k, v in kwargs.items() if k != "learning_rate" and callable(v) and k not in static)
  return optax.inject_hyperparams(factory, static_args=static)(**kwargs)
