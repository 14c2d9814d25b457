"""Knowledge transfer over finite domains: the four learners of Zhao and Zhu's simulation.

Zhao and Zhu, "Towards the Fundamental Limits of Knowledge Transfer over Finite Domains", 2023,
arXiv:2310.07838 (catalog slug ``fundamental_limits_knowledge_transfer``). A teacher ``pi*(.|x)`` over
``A`` labels for each of ``S`` inputs; ``n`` inputs ``x_i ~ rho`` with labels ``a_i ~ pi*(.|x_i)``. What
the student sees grows by level:

* level 1, hard labels ``(x_i, a_i)``: ``mle``, the empirical frequencies ``n(x, a) / n(x)``; TV error of
  order ``sqrt(S A / n)``;
* level 2, plus the teacher's probability ``pi*(a_i|x_i)`` of each sampled label: ``sel``, the minimiser of
  the squared-error logit loss (:func:`lbrl.losses.distillation.partial_soft_label_sel`): ``pi*(a|x)`` for
  every observed ``(x, a)``, the remaining mass ``1 - sum_observed pi*`` spread evenly over the unobserved
  labels of ``x``; error of order ``S A / n``. ``ce``, the minimiser of the naive cross-entropy weighted by
  ``pi*(a_i|x_i)`` (:func:`lbrl.losses.distillation.partial_soft_label_ce`): ``pi(a|x) ∝ n(x, a) pi*(a|x)``,
  biased towards ``pi*^2`` (its error stops falling);
* level 3, the teacher's whole distribution ``pi*(.|x_i)``: ``kl``, any KL minimiser copies ``pi*(.|x)``
  for every observed ``x``; error of order ``S / n``, free of ``A``.

Every learner predicts the uniform distribution on an input it never saw. The error is
``E_{x ~ rho} TV(pi_hat(.|x), pi*(.|x))``. lbrl's simulation choices (the paper states the rates, not one
simulation protocol): ``rho`` Zipf (``rho(x) ∝ 1/x``, many rare inputs; ``inputs="uniform"`` also
offered), each teacher row drawn from a symmetric Dirichlet with
``concentration`` (default 1, the uniform distribution on the simplex), the error averaged over
``repeats`` independent samples at each ``n``. The learners are the loss minimisers in closed form;
``tests/analysis/test_kd_finite_domain.py`` checks that gradient descent on the two level-2 losses
reaches them.

Example::

    finite_domain_errors(np.random.default_rng(0), num_inputs=50, num_labels=20, sizes=[100, 1000])
    # {"mle": [...], "ce": [...], "sel": [...], "kl": [...]}: TV error at each n
"""
from __future__ import annotations

import numpy as np

LEARNERS = ("mle", "ce", "sel", "kl")


def teacher_table(rng: np.random.Generator, num_inputs: int, num_labels: int, concentration: float = 1.0):
  """``pi* [S, A]``: each row a symmetric Dirichlet(``concentration``) draw."""
  if num_inputs < 1 or num_labels < 2 or concentration <= 0:
    raise ValueError(f"need num_inputs >= 1, num_labels >= 2 and concentration > 0, got {num_inputs}, "
                     f"{num_labels}, {concentration}")
  return rng.dirichlet(np.full(num_labels, float(concentration)), size=num_inputs)


def input_distribution(num_inputs: int, kind: str = "zipf") -> np.ndarray:
  """``rho [S]``: ``"uniform"``, or ``"zipf"`` (``rho(x) ∝ 1 / x``, x = 1..S: many rare inputs, so that
  the unseen mass falls polynomially in ``n`` as in the paper's minimax rates)."""
  if kind == "uniform":
    return np.full(num_inputs, 1.0 / num_inputs)
  if kind == "zipf":
    w = 1.0 / np.arange(1, num_inputs + 1)
    return w / w.sum()
  raise ValueError(f"input distribution must be 'uniform' or 'zipf', got {kind!r}")


def sample_counts(rng: np.random.Generator, teacher: np.ndarray, n: int, rho: np.ndarray | None = None) -> np.ndarray:
  """``n(x, a) [S, A]`` of ``n`` draws ``x ~ rho`` (default uniform), ``a ~ pi*(.|x)``."""
  if n < 1:
    raise ValueError(f"n must be >= 1, got {n}")
  rho = np.full(teacher.shape[0], 1.0 / teacher.shape[0]) if rho is None else rho
  per_input = rng.multinomial(n, rho)
  return np.stack([rng.multinomial(k, p) for k, p in zip(per_input, teacher)])


def learner(name: str, counts: np.ndarray, teacher: np.ndarray) -> np.ndarray:
  """The student ``pi_hat [S, A]`` of learner ``name`` (see the module docstring) from the counts."""
  counts = np.asarray(counts, np.float64)
  seen_x = counts.sum(1, keepdims=True) > 0
  seen = counts > 0
  a = counts.shape[1]
  if name == "mle":
    est = counts / np.maximum(counts.sum(1, keepdims=True), 1)
  elif name == "ce":
    w = counts * teacher
    est = w / np.maximum(w.sum(1, keepdims=True), 1e-300)
  elif name == "sel":
    rest = np.clip(1.0 - np.sum(np.where(seen, teacher, 0.0), 1, keepdims=True), 0.0, 1.0)
    n_unseen = np.sum(~seen, 1, keepdims=True)
    est = np.where(seen, teacher, rest / np.maximum(n_unseen, 1))
  elif name == "kl":
    est = teacher.copy()
  else:
    raise ValueError(f"learner must be one of {LEARNERS}, got {name!r}")
  return np.where(seen_x, est, 1.0 / a)


def tv_error(student: np.ndarray, teacher: np.ndarray, rho: np.ndarray | None = None) -> float:
  """``E_{x ~ rho} TV(student(.|x), teacher(.|x))`` (``rho`` default uniform)."""
  tv = 0.5 * np.abs(student - teacher).sum(1)
  return float(np.mean(tv) if rho is None else np.sum(rho * tv))


def finite_domain_errors(rng: np.random.Generator, *, num_inputs: int, num_labels: int, sizes,
                         repeats: int = 20, concentration: float = 1.0, inputs: str = "zipf") -> dict[str, list[float]]:
  """Mean TV error of each learner at each sample size (the same teacher and samples for all learners)."""
  teacher = teacher_table(rng, num_inputs, num_labels, concentration)
  rho = input_distribution(num_inputs, inputs)
  out = {k: [] for k in LEARNERS}
  for n in sizes:
    errs = {k: [] for k in LEARNERS}
    for _ in range(int(repeats)):
      counts = sample_counts(rng, teacher, int(n), rho)
      for k in LEARNERS:
        errs[k].append(tv_error(learner(k, counts, teacher), teacher, rho))
    for k in LEARNERS:
      out[k].append(float(np.mean(errs[k])))
  return out


def knowledge_transfer_simulation(ctx, *, learner: str | None = None, num_inputs: int = 50, num_labels: int = 20,
                                  sizes=(200, 800, 3200), repeats: int = 20, concentration: float = 1.0,
                                  inputs: str = "zipf"):
  """Analysis tool (``c.analysis = dict(tool="knowledge_transfer_simulation", at="init", kwargs=...)``):
  the finite-domain simulation for one learner, seeded by the run's seed (so arms = learners are paired
  over seeds: the same teacher and the same samples). The model is not used. ``learner=None`` reads the
  learner from the run's own config (``ctx.cfg.analysis.kwargs.learner``), which is where a sweep arm sets
  it (the analysis kind passes every run the base config's kwargs).

  Scalars: ``tv_n<n>`` (TV error at each ``n``) and ``tv_last`` (at the largest ``n``); the curve goes
  to the record.
  """
  if learner is None:
    learner = dict(ctx.cfg.analysis["kwargs"]).get("learner")
  if learner not in LEARNERS:
    raise ValueError(f"learner must be one of {LEARNERS}, got {learner!r}")
  sizes = [int(n) for n in sizes]
  if len(sizes) < 2 or sorted(sizes) != sizes:
    raise ValueError(f"sizes must be >= 2 increasing sample sizes, got {sizes}")
  errors = finite_domain_errors(np.random.default_rng(int(ctx.seed)), num_inputs=num_inputs,
                                num_labels=num_labels, sizes=sizes, repeats=repeats,
                                concentration=concentration, inputs=inputs)[learner]
  scalars = {f"tv_n{n}": e for n, e in zip(sizes, errors)}
  scalars["tv_last"] = errors[-1]
  return scalars, {"sizes": sizes, "tv": errors, "learner": learner}
