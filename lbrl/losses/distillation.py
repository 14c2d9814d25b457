"""Knowledge-distillation losses (catalog family KD): a student's logits against a teacher's outputs, or
against its own past predictions (self-distillation).

Every loss is a pure per-example function in lbrl's convention::

    loss(logits [B, C], labels [B], *, teacher_outputs [B, C], <hyperparameters>, where=None) -> [B]

``teacher_outputs`` are the teacher's logits on the same batch: the trainer computes them in the same
jitted step from a frozen teacher (``config.auxiliary=[dict(name="teacher", ...)]``, restored from a
workdir or trained as the run's first stage) and passes them because the loss declares
``needs=("teacher_outputs",)``. Integer labels outside ``[0, C)`` are ignored (loss 0). Inputs are
computed in at least float32.

* :func:`kd` (and :func:`kd_components`, its two terms) -- Hinton, Vinyals and Dean, "Distilling the Knowledge in a Neural Network" (2015,
  arXiv:1503.02531): the classic temperature-softened KL term mixed with cross-entropy.
* :func:`nkd` -- Yang, Zeng, Yuan and Li, "From Knowledge Distillation to Self-Knowledge Distillation: A
  Unified Approach with Normalized Loss and Customized Soft Labels" (ICCV 2023, arXiv:2303.13005, slug
  ``nkd_uskd``): Normalized KD, the target class weighted by the teacher's target probability and the
  non-target classes distilled after renormalisation.
* :func:`dual_head_kd` -- Yang, Zong, Huang, Feng and An, "Dual-Head Knowledge Distillation: Enhancing
  Logits Utilization with an Auxiliary Head" (2024, arXiv:2411.08937, slug ``dual_head_kd``): cross-entropy
  on the main head, a logit-level distillation loss (:func:`binary_kl_norm`) on an auxiliary head.
* :func:`ps_kd` -- Kim, Ji, Yoon and Hwang, "Self-Knowledge Distillation with Progressive Refinement of
  Targets" (ICCV 2021, arXiv:2006.12000, slug ``ps_kd``): the target mixes the label with the model's own
  prediction from the previous epoch, kept per example in the trainer's per-example state.
* :func:`ferkd` (its targets: :func:`ferkd_targets`) -- Shen, "FerKD: Surgical Label Adaptation for
  Efficient Distillation" (ICCV 2023, arXiv:2312.17473, slug ``ferkd``): the teacher's soft label of a
  random crop, except that crops the teacher is not confident about get a softened hard label.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from lbrl.losses import _common

Array = jax.Array


def _check(name: str, logits: Array, labels: Array, teacher: Array | None = None) -> None:
  _common.check_logits_labels(name, logits, labels)
  if not jnp.issubdtype(labels.dtype, jnp.integer):
    raise TypeError(f"{name}: labels must be integer class ids, got dtype {labels.dtype}")
  if teacher is not None and teacher.shape != logits.shape:
    raise ValueError(f"{name}: teacher_outputs must have the student's logits shape {logits.shape}, "
                     f"got {teacher.shape}")


def _ce(logits: Array, labels: Array, valid: Array) -> Array:
  safe = jnp.where(valid, labels, 0)
  return optax.losses.softmax_cross_entropy_with_integer_labels(logits, safe)


def kd_components(logits: Array, labels: Array, *, teacher_outputs: Array, temperature: float = 4.0,
                  alpha: float = 0.9, where: Array | None = None) -> dict[str, Array]:
  """:func:`kd`'s two terms, per example: ``{"task": (1 - alpha) * CE, "distill": alpha * T^2 * KL}``.

  Declared with ``LossSpec.components``: the trainer trains their sum (exactly :func:`kd`), logs each,
  and gives an optimizer that needs them (DOT, :func:`lbrl.optim.distillation.dot`) each gradient.
  """
  _check("kd", logits, labels, teacher_outputs)
  if temperature <= 0:
    raise ValueError(f"kd: temperature must be > 0, got {temperature}")
  if not 0.0 <= alpha <= 1.0:
    raise ValueError(f"kd: alpha must be in [0, 1], got {alpha}")
  s = _common.as_float32(logits)
  t = jax.lax.stop_gradient(_common.as_float32(teacher_outputs))
  valid = _common.valid_labels(labels, s.shape[-1])
  soft = optax.losses.kl_divergence(jax.nn.log_softmax(s / temperature), jax.nn.softmax(t / temperature))
  keep = lambda v: _common.apply_where(jnp.where(valid, v, 0.0), where)
  return {"task": keep((1.0 - alpha) * _ce(s, labels, valid)), "distill": keep(alpha * temperature ** 2 * soft)}


def kd(logits: Array, labels: Array, *, teacher_outputs: Array, temperature: float = 4.0, alpha: float = 0.9,
       where: Array | None = None) -> Array:
  """Hinton et al.'s knowledge distillation, per example.

  ``(1 - alpha) * CE(y, s) + alpha * T^2 * KL(softmax(t / T) || softmax(s / T))``

  ``s``/``t`` are the student's and the teacher's logits and ``T = temperature``; the ``T^2`` factor keeps
  the soft term's gradient scale independent of ``T`` (Hinton et al. section 2). The KL form is the
  soft-target cross-entropy minus the teacher's entropy (a constant for the student): the gradients are
  the same and a perfect student scores 0. Defaults ``T = 4``, ``alpha = 0.9`` are the common CIFAR
  setting (the paper leaves both open). The KL term is ``optax.losses.kl_divergence``; the two terms
  separately: :func:`kd_components`.

  Args:
    logits: student logits ``[..., C]``.
    labels: integer ids ``[...]``; ids outside ``[0, C)`` give 0.
    teacher_outputs: teacher logits ``[..., C]`` (no gradient flows into them).
    temperature: softening temperature ``T > 0``.
    alpha: weight of the distillation term in ``[0, 1]``.
    where: optional mask ``[...]``.

  Example::

    values = kd(student_logits, labels, teacher_outputs=teacher_logits, temperature=4.0, alpha=0.9)
  """
  parts = kd_components(logits, labels, teacher_outputs=teacher_outputs, temperature=temperature, alpha=alpha,
                        where=where)
  return parts["task"] + parts["distill"]


def _non_target(x: Array, labels: Array) -> Array:
  """``x`` with the label's column removed: ``[..., C] -> [..., C - 1]`` (fixed shape, no gather of
  variable length): column ``j`` of the result is class ``j`` below the label and ``j + 1`` from it."""
  c = x.shape[-1]
  j = jnp.arange(c - 1)
  idx = j + (j >= labels[..., None]).astype(j.dtype)
  return jnp.take_along_axis(x, idx, axis=-1)


def nkd(logits: Array, labels: Array, *, teacher_outputs: Array, temperature: float = 1.0, gamma: float = 1.5,
        where: Array | None = None) -> Array:
  """Normalized knowledge distillation (NKD), with the cross-entropy it is added to, per example.

  ``CE(y, s) - t_y * log softmax(s)_y - gamma * T^2 * sum_{i != y} softmax(t_{!y} / T)_i * log softmax(s_{!y} / T)_i``

  ``t_y`` is the teacher's (untempered) probability of the label; ``s_{!y}``/``t_{!y}`` are the logits
  with the label's column removed, so both non-target distributions are renormalised over the ``C - 1``
  other classes (the paper's "normalized" non-target knowledge, eq. 8). The total is the student's
  cross-entropy plus the NKD term, as in the authors' distiller (yzd-v/cls_KD: ``ori_loss`` + ``loss_nkd``;
  NKDLoss there is a batch mean of these per-example terms). Defaults are the authors' ImageNet setting
  ``T = 1``, ``gamma = 1.5``.

  Args:
    logits: student logits ``[..., C]`` (``C >= 2``).
    labels: integer ids ``[...]``; ids outside ``[0, C)`` give 0.
    teacher_outputs: teacher logits ``[..., C]`` (no gradient flows into them).
    temperature: ``T > 0`` for the non-target term.
    gamma: weight of the non-target term.
    where: optional mask ``[...]``.
  """
  _check("nkd", logits, labels, teacher_outputs)
  if temperature <= 0:
    raise ValueError(f"nkd: temperature must be > 0, got {temperature}")
  if logits.shape[-1] < 2:
    raise ValueError(f"nkd: needs at least 2 classes, got logits.shape={logits.shape}")
  s = _common.as_float32(logits)
  t = jax.lax.stop_gradient(_common.as_float32(teacher_outputs))
  valid = _common.valid_labels(labels, s.shape[-1])
  safe = jnp.where(valid, labels, 0)
  log_s = jax.nn.log_softmax(s)
  s_y = jnp.take_along_axis(log_s, safe[..., None], -1)[..., 0]
  t_y = jnp.take_along_axis(jax.nn.softmax(t), safe[..., None], -1)[..., 0]
  ns = jax.nn.log_softmax(_non_target(s, safe) / temperature)
  nt = jax.nn.softmax(_non_target(t, safe) / temperature)
  values = -s_y - t_y * s_y - gamma * temperature ** 2 * jnp.sum(nt * ns, -1)
  return _common.apply_where(jnp.where(valid, values, 0.0), where)


def ps_kd_init(num_examples: int, num_classes: int) -> dict:
  """PS-KD's per-example state: the last prediction ``[N, C]`` and whether the example was seen."""
  return {"prediction": jnp.zeros((num_examples, num_classes), jnp.float32),
          "seen": jnp.zeros((num_examples,), jnp.bool_)}


def ps_kd(logits: Array, labels: Array, *, example_state: dict, step: Array, epochs: int, steps_per_epoch: int,
          alpha_T: float = 0.8, where: Array | None = None) -> tuple[Array, dict]:
  """Progressive self-knowledge distillation (PS-KD), per example, with its new per-example state.

  ``CE((1 - alpha_t) * onehot(y) + alpha_t * p_{t-1}(x), softmax(s))``, ``alpha_t = alpha_T * t / T``

  ``t`` is the epoch (``step // steps_per_epoch``), ``T = epochs`` the training length, and ``p_{t-1}(x)``
  the model's softmax prediction on this example when it was last trained on (the previous epoch under
  the trainer's per-epoch shuffling), read from and written to the per-example state; an example not yet
  seen uses its label (``alpha_t = 0`` in the first epoch anyway). ``alpha_T = 0.8`` is the paper's
  default (Kim et al., section 3.2, and the authors' lgcnsai/PS-KD-Pytorch). The paper's PS-KD is
  this loss with the student as its own teacher; no teacher network is involved.

  Args:
    logits: ``[B, C]``; labels: integer ids ``[B]`` (ids outside ``[0, C)`` give 0 and keep their state).
    example_state: this batch's rows of :func:`ps_kd_init`'s state (supplied by the trainer).
    step: the update index (supplied by the trainer).
    epochs, steps_per_epoch: the run's length in epochs and updates per epoch (set in the config).
    alpha_T: the final weight of the past prediction, in ``[0, 1]``.
  """
  _check("ps_kd", logits, labels)
  if epochs < 1 or steps_per_epoch < 1:
    raise ValueError(f"ps_kd: epochs and steps_per_epoch must be >= 1, got {epochs}, {steps_per_epoch}")
  if not 0.0 <= alpha_T <= 1.0:
    raise ValueError(f"ps_kd: alpha_T must be in [0, 1], got {alpha_T}")
  s = _common.as_float32(logits)
  c = s.shape[-1]
  valid = _common.valid_labels(labels, c)
  onehot = jax.nn.one_hot(jnp.where(valid, labels, 0), c, dtype=jnp.float32)
  epoch = (jnp.asarray(step) // steps_per_epoch).astype(jnp.float32)
  alpha = alpha_T * jnp.minimum(epoch / epochs, 1.0)
  past = jnp.where(example_state["seen"][..., None], example_state["prediction"], onehot)
  target = (1.0 - alpha) * onehot + alpha * past
  values = optax.losses.softmax_cross_entropy(s, target)
  prob = jax.lax.stop_gradient(jax.nn.softmax(s))
  keep = valid[..., None]
  new_state = {"prediction": jnp.where(keep, prob, example_state["prediction"]),
               "seen": example_state["seen"] | valid}
  return _common.apply_where(jnp.where(valid, values, 0.0), where), new_state


def binary_kl_norm(logits: Array, teacher_outputs: Array, *, temperature: float = 2.0) -> Array:
  """DHKD's logit-level loss, per example: ``T^2 * sum_c KL(Bern(1/2) || Bern(sigmoid((s_c - t_c) / T)))``.

  Each class's logit difference to the teacher is pushed to 0 through a Bernoulli KL against 1/2:
  ``-log 2 - (log sigmoid(d) + log sigmoid(-d)) / 2`` per class with ``d = (s_c - t_c) / T`` (the authors'
  ``BinaryKLNorm``, penghui-yang/DHKD, which clamps the sigmoid at 1e-8; ``log_sigmoid`` here is exact,
  identical where the clamp is inactive, ``|d| < 18``). Zero when the student's logits equal the teacher's.
  """
  if logits.shape != teacher_outputs.shape:
    raise ValueError(f"binary_kl_norm: teacher_outputs must have the logits' shape {logits.shape}, "
                     f"got {teacher_outputs.shape}")
  if temperature <= 0:
    raise ValueError(f"binary_kl_norm: temperature must be > 0, got {temperature}")
  d = (_common.as_float32(logits) - jax.lax.stop_gradient(_common.as_float32(teacher_outputs))) / temperature
  per_class = -jnp.log(2.0) - 0.5 * (jax.nn.log_sigmoid(d) + jax.nn.log_sigmoid(-d))
  return temperature ** 2 * jnp.sum(per_class, -1)


def dual_head_kd(logits: Array, aux_logits: Array, labels: Array, *, teacher_outputs: Array, gamma: float = 1.0,
                 alpha: float = 1.0, temperature: float = 2.0, where: Array | None = None) -> dict[str, Array]:
  """Dual-head KD (Yang et al. 2024, arXiv:2411.08937, slug ``dual_head_kd``), per example, as components:
  ``{"task": gamma * CE(y, logits), "distill": alpha * binary_kl_norm(aux_logits, teacher, T)}``.

  ``logits`` is the student's main head (cross-entropy only) and ``aux_logits`` its auxiliary head (the
  logit-level distillation only), both on the same backbone (:class:`lbrl.models.distill.DualHead`);
  prediction uses the main head. Defaults are the authors' (``-r 1 -a 1 --BinaryKL_T 2``; their ImageNet
  run uses ``alpha = 0.1``). Their optional gradient alignment (``--ga``, projecting a conflicting
  distillation gradient off the task gradient) is not included.
  """
  _check("dual_head_kd", logits, labels, teacher_outputs)
  if aux_logits.shape != logits.shape:
    raise ValueError(f"dual_head_kd: aux_logits must have the logits' shape {logits.shape}, got {aux_logits.shape}")
  s = _common.as_float32(logits)
  valid = _common.valid_labels(labels, s.shape[-1])
  keep = lambda v: _common.apply_where(jnp.where(valid, v, 0.0), where)
  return {"task": keep(gamma * _ce(s, labels, valid)),
          "distill": keep(alpha * binary_kl_norm(aux_logits, teacher_outputs, temperature=temperature))}



# ---------------------------------------------------------------- level-2 knowledge transfer (finite domains)


def _label_logprob(x: Array, labels: Array) -> Array:
  safe = jnp.where(_common.valid_labels(labels, x.shape[-1]), labels, 0)
  return jnp.take_along_axis(jax.nn.log_softmax(x, -1), safe[..., None], -1)[..., 0]


def partial_soft_label_sel(logits: Array, labels: Array, *, teacher_outputs: Array,
                           where: Array | None = None) -> Array:
  """Level-2 knowledge transfer's squared-error logit loss, per example.

  ``(log softmax(s)_y - log softmax(t)_y)^2``

  Zhao and Zhu, "Towards the Fundamental Limits of Knowledge Transfer over Finite Domains" (2023,
  arXiv:2310.07838, slug ``fundamental_limits_knowledge_transfer``). At level 2 the student sees a sampled
  label ``y ~ pi*(.|x)`` and the teacher's probability of that label only, ``pi*(y|x)``. This loss matches
  the student's log-probability of each sampled label to the teacher's, so its minimiser copies
  ``pi*(a|x)`` for every observed ``(x, a)`` whatever the sample counts (the paper's unbiased level-2
  learner; the remaining mass is spread over the unobserved labels). lbrl's choice: the "logit" is the
  normalised log-probability ``log softmax``, which makes the loss's minimiser a distribution without an
  extra constraint. Only ``log softmax(t)_y`` of the teacher's logits ``t`` is used, never the rest of
  ``t``. Labels outside ``[0, C)`` give 0.

  Example::

    partial_soft_label_sel(student_logits, labels, teacher_outputs=teacher_logits)
  """
  _check("partial_soft_label_sel", logits, labels, teacher_outputs)
  s = _common.as_float32(logits)
  t = jax.lax.stop_gradient(_label_logprob(_common.as_float32(teacher_outputs), labels))
  valid = _common.valid_labels(labels, s.shape[-1])
  return _common.apply_where(jnp.where(valid, (_label_logprob(s, labels) - t) ** 2, 0.0), where)


def partial_soft_label_ce(logits: Array, labels: Array, *, teacher_outputs: Array,
                          where: Array | None = None) -> Array:
  """Level-2 knowledge transfer's naive cross-entropy, per example: ``-pi*(y|x) log softmax(s)_y``.

  The sampled label weighted by the teacher's probability of it (Zhao and Zhu 2023, arXiv:2310.07838,
  the biased level-2 learner the paper warns against): with ``n(x, a)`` samples of ``(x, a)`` its
  minimiser is ``pi(a|x) ∝ n(x, a) pi*(a|x)``, which tends to ``pi*(a|x)^2 / sum_b pi*(b|x)^2``, not
  ``pi*``, as the sample grows. Offered as the paper's counter-example; use
  :func:`partial_soft_label_sel`.
  """
  _check("partial_soft_label_ce", logits, labels, teacher_outputs)
  s = _common.as_float32(logits)
  w = jnp.exp(jax.lax.stop_gradient(_label_logprob(_common.as_float32(teacher_outputs), labels)))
  valid = _common.valid_labels(labels, s.shape[-1])
  return _common.apply_where(jnp.where(valid, -w * _label_logprob(s, labels), 0.0), where)


def mtard(logits: Array, labels: Array, *, teacher_outputs: Array, robust_teacher_outputs: Array,
          temperature_nat: float = 1.0, temperature_adv: float = 1.0, where: Array | None = None) -> dict[str, Array]:
  """B-MTARD's two distillation terms, per example (Zhao, Wang and Wei, "Mitigating Accuracy-Robustness
  Trade-off via Balanced Multi-Teacher Adversarial Distillation", TPAMI 2024, arXiv:2306.16170, slug
  ``mitigating_accuracy_robustness_trade``)::

      nat = KL(softmax(t_nat / tau_nat) || softmax(s)),   adv = KL(softmax(t_adv / tau_adv) || softmax(s))

  ``t_nat`` is the clean-trained teacher (``teacher_outputs``), ``t_adv`` the adversarially trained one
  (``robust_teacher_outputs``); the student's logits are not tempered (the authors' code). Both terms are
  computed on whatever input the trainer evaluated; :func:`lbrl.optim.adversarial.mtard_estimator` takes
  ``nat`` at the clean input and ``adv`` at the adversarial one and weighs them (Normalization Loss
  Balance). The authors average the KL's summands over classes as well (``torch.mean`` over [B, C]); lbrl
  sums over classes (the usual KL): a constant factor 1/C, absorbed by the learning rate.
  The teachers' temperatures are fixed here (the paper's Entropy-Based Balance adapts them; see
  :mod:`lbrl.optim.adversarial`). Labels are only checked (ids outside ``[0, C)`` give 0).
  """
  _check("mtard", logits, labels, teacher_outputs)
  _check("mtard", logits, labels, robust_teacher_outputs)
  for name, t in (("temperature_nat", temperature_nat), ("temperature_adv", temperature_adv)):
    if not t > 0:
      raise ValueError(f"mtard: {name} must be > 0, got {t}")
  log_s = jax.nn.log_softmax(_common.as_float32(logits))
  valid = _common.valid_labels(labels, log_s.shape[-1])
  def kl(t, tau):
    t = jax.lax.stop_gradient(_common.as_float32(t))
    return _common.apply_where(jnp.where(valid, optax.losses.kl_divergence(log_s, jax.nn.softmax(t / tau)), 0.0),
                               where)
  return {"nat": kl(teacher_outputs, temperature_nat), "adv": kl(robust_teacher_outputs, temperature_adv)}


def ferkd_targets(teacher_outputs: Array, labels: Array, *, threshold: float = 0.5, smoothing: float = 0.1,
                  temperature: float = 1.0, drop_above: float | None = None) -> tuple[Array, Array]:
  """FerKD's partial soft-hard labels of a batch of crops: ``(targets [B, C], weights [B])``.

  With the teacher's probabilities ``p = softmax(t / T)`` and its confidence in the ground truth
  ``c = p_y``::

      target = (1 - eps) onehot(y) + eps / C    if c < threshold   (hard region: calibrated)
               p                                otherwise          (the teacher's soft label, as in FKD)
      weight = 0 if drop_above is not None and c > drop_above else 1

  Shen (ICCV 2023, arXiv:2312.17473): RandomResizedCrop turns an image into easy positives, hard
  positives and hard negatives (crops that miss the object); the teacher's soft label of a hard negative is
  unreliable, so FerKD mines those regions by the teacher's confidence and "calibrates the less-confident
  regions to be the context using softened hard ground-truth labels". The authors released soft labels,
  not the code that builds them, and the paper's threshold values were not reachable offline, so
  ``threshold`` (0.5: the teacher no longer gives the ground truth the majority of its mass) and
  ``smoothing`` (0.1, the usual ImageNet label smoothing) are lbrl's choices; a config tunes ``threshold``
  on a validation split. ``drop_above`` optionally gives the easiest crops weight 0 (an lbrl option, off by
  default: whether FerKD also discards easy crops could not be checked offline). Labels outside ``[0, C)`` get weight 0.
  No gradient flows into either output.
  """
  c = teacher_outputs.shape[-1]
  if not 0.0 <= threshold <= 1.0:
    raise ValueError(f"ferkd: threshold must be in [0, 1], got {threshold}")
  if not 0.0 <= smoothing <= 1.0:
    raise ValueError(f"ferkd: smoothing must be in [0, 1], got {smoothing}")
  if temperature <= 0:
    raise ValueError(f"ferkd: temperature must be > 0, got {temperature}")
  if drop_above is not None and not 0.0 <= drop_above <= 1.0:
    raise ValueError(f"ferkd: drop_above must be None or in [0, 1], got {drop_above}")
  p = jax.nn.softmax(jax.lax.stop_gradient(_common.as_float32(teacher_outputs)) / temperature, -1)
  valid = _common.valid_labels(labels, c)
  hot = _common.to_targets(jnp.where(valid, labels, 0), c)
  conf = jnp.sum(p * hot, -1)
  hard = (1.0 - smoothing) * hot + smoothing / c
  targets = jnp.where((conf < threshold)[..., None], hard, p)
  weights = valid.astype(jnp.float32)
  if drop_above is not None:
    weights = jnp.where(conf > drop_above, 0.0, weights)
  return targets, weights


def ferkd(logits: Array, labels: Array, *, teacher_outputs: Array, threshold: float = 0.5, smoothing: float = 0.1,
          temperature: float = 1.0, drop_above: float | None = None, where: Array | None = None) -> Array:
  """FerKD's loss, per example: ``weight * CE(target, softmax(s))`` with :func:`ferkd_targets`.

  FKD (Shen and Xing, ECCV 2022, arXiv:2112.01528) trains on the teacher's soft labels of crops alone, no
  hard-label term and temperature 1 (lbrl: :func:`kd` with ``alpha=1, temperature=1`` gives the same
  gradients); FerKD replaces the soft labels of low-confidence crops by softened hard labels. The value
  is the soft-target cross-entropy (``optax.losses.softmax_cross_entropy``), not the KL: the two differ by
  the targets' entropy, a constant for the student.

  Example::

    values = ferkd(student_logits, labels, teacher_outputs=teacher_logits, threshold=0.5, smoothing=0.1)
  """
  _check("ferkd", logits, labels, teacher_outputs)
  targets, weights = ferkd_targets(teacher_outputs, labels, threshold=threshold, smoothing=smoothing,
                                   temperature=temperature, drop_above=drop_above)
  ce = optax.losses.softmax_cross_entropy(_common.as_float32(logits), targets)
  return _common.apply_where(weights * ce, where)
