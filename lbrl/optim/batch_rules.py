"""Batch-size and learning-rate rules: the gradient noise scale and the critical batch, linear scaling
with gradual warm-up, the random-matrix-theory and time-transfer rules, the AdamW timescale of Power
Lines, and AdAdaGrad's adaptive batch-size tests with a resumable batch-size schedule.

Each rule is a function of the quantities its paper uses (plain floats or arrays; no trainer state).

**Gradient noise scale** (McCandlish, Kaplan, Amodei & OpenAI Dota Team, "An Empirical Model of
Large-Batch Training", 2018, arXiv:1812.06162, slug ``gradient_noise_scale``). With ``G`` the true
gradient, ``Sigma`` the per-example gradient covariance and ``H`` the Hessian:

    B_simple = tr(Sigma) / |G|^2                      (eq. 2.9)
    B_noise  = tr(H Sigma) / (G^T H G)                (eq. 2.7; equals B_simple when H is isotropic)
    eps_opt(B) = eps_max / (1 + B_noise / B)          (eq. 2.6, SGD's optimal step)
    (S / S_min - 1) (E / E_min - 1) = 1,  B_crit = E_min / S_min   (eq. 2.11: steps S and examples E
                                                                    to reach a given loss)

``E|G_B|^2 = |G|^2 + tr(Sigma) / B`` for a batch of ``B`` i.i.d. examples, so two batch sizes give
unbiased estimates (Appendix A.1): ``|G|^2 ~ (B_big |G_big|^2 - B_small |G_small|^2) / (B_big - B_small)``
and ``tr(Sigma) ~ (|G_small|^2 - |G_big|^2) / (1/B_small - 1/B_big)``; the paper averages each over
many steps before taking their ratio (the ratio of averages: :func:`noise_scale_from_norms` takes
averaged norms).

**Linear scaling with gradual warm-up** (Goyal et al., "Accurate, Large Minibatch SGD: Training ImageNet
in 1 Hour", 2017, arXiv:1706.02677, slug ``linear_lr_scaling``): ``lr = base_lr * B / base_batch``
(0.1 per 256 images for ResNet-50), reached by a linear ramp *from base_lr* over the first 5 epochs
(gradual warm-up, section 2.2), then the 30/60/80-epoch step decay by 10.

**Random matrix theory** (Granziol, Zohren & Roberts, "Learning Rates as a Function of Batch Size: A
Random Matrix Theory Approach to Neural Network Training", JMLR 2022, arXiv:2006.09092, slug
``lr_batch_rmt``): the batch Hessian is the empirical Hessian plus a fluctuation matrix whose spectral
scale grows as ``P / B`` (``P`` parameters). For a spike ``lam`` in a Wigner fluctuation of entry
variance ``sigma^2 / B`` (per parameter dimension) the extremal eigenvalue is (BBP transition)

    lam_B = lam + (P / B) sigma^2 / lam      if lam > sqrt(P / B) sigma
          = 2 sqrt(P / B) sigma              otherwise (the edge of the semicircle)

and the largest stable SGD step is ``2 / lam_B``. The paper reads off linear scaling for SGD where the
fluctuation term ``(P/B) sigma^2 / lam`` dominates and square-root scaling for Adam (whose damped
preconditioner divides the curvature by its square-root noise scale). Note that in the expression
above the fluctuation term can only dominate past the transition, where the semicircle edge gives
``sqrt(B)`` growth: the functions return the expression, the rules (:func:`scale_learning_rate`) the
paper's stated scalings.
:func:`scale_learning_rate` applies the linear (SGD) or square-root (Adam) rule.

**Time transfer** (Filatov, Ebert, Wang & Kesselheim, "Time Transfer: On Optimal Learning Rate and Batch
Size In The Infinite Data Limit", 2024, arXiv:2410.05838, slug ``time_transfer``): the critical batch
grows with the token budget ``T`` (``B_crit ~ T``), and the optimal Adam step as a function of batch
has the "surge" form of Li et al. (2024, arXiv:2405.14578) that the paper fits:
``eta_opt(B) = 2 eta_max / (sqrt(B_noise / B) + sqrt(B / B_noise))`` (peak ``eta_max`` at
``B = B_noise``), against SGD's ``eta_max / (1 + B_noise / B)``. :func:`optimal_lr_adam`,
:func:`optimal_lr_sgd`, :func:`critical_batch_for_budget`.

**Power Lines** (Bergsma, Dey, Gosal, Gray, Soboleva & Hestness, "Power Lines: Scaling Laws for Weight
Decay and Batch Size in LLM Pre-training", 2025, arXiv:2505.13738, slug ``power_lines``): the AdamW
timescale ``tau = B / (eta lambda D)`` (``D`` training tokens or examples; ``1/(eta lambda)`` in steps
over ``D/B`` steps) is what should stay fixed, so at fixed ``N, D`` the optimal ``lambda`` scales
linearly with ``B``; across scales ``tau_opt = c * (D/N)^m`` (a power law in tokens per parameter whose
constants the user fits: :func:`power_law_fit`).

**AdAdaGrad** (Lau, Liu & Kolar, "AdAdaGrad: Adaptive Batch Size Schemes for Adaptive Gradient
Methods", 2024, arXiv:2402.11215, slug ``adadagrad``): the batch grows when an adaptive-sampling test
fails on the current batch's per-example gradients ``g_i`` (mean ``g``):

    norm test:          Var_i(g_i) / B <= eta^2 |g|^2
                        (Var_i: sum over coordinates of the unbiased sample variance)
    inner product test: Var_i(<g_i, g>) / B <= theta^2 |g|^4
    orthogonality test: sum_i |g_i - (<g_i, g>/|g|^2) g|^2 / ((B - 1) B) <= nu^2 |g|^2

and the next batch is the smallest that would pass: ``ceil(Var / (eta^2 |g|^2))`` (the
augmented inner-product test takes the larger of its two). lbrl's schedule never shrinks the batch and
caps it (``max_batch``), as the paper's experiments do. :class:`BatchSchedule` makes the growth a pure
function of a small state (step, batch size, examples consumed) so that a resumed run draws exactly
the batches of an uninterrupted one.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax


def _positive(name: str, value: float) -> float:
  value = float(value)
  if not value > 0 or not math.isfinite(value):
    raise ValueError(f"{name} must be a finite number > 0, got {value}")
  return value


# --- gradient noise scale ------------------------------------------------------------------------------

def noise_scale_from_norms(g_small_sq, g_big_sq, b_small: float, b_big: float) -> dict:
  """Unbiased ``|G|^2`` and ``tr(Sigma)`` from squared gradient norms at two batch sizes, and their
  ratio ``B_simple`` (McCandlish et al. 2018, Appendix A.1).

  ``g_small_sq`` / ``g_big_sq``: ``|G_B|^2`` at ``b_small < b_big`` (averaged over steps or batches:
  averaging before the ratio is the paper's estimator). Returns ``{"grad_sq", "trace_sigma",
  "b_simple"}`` (arrays or floats). Example::

      noise_scale_from_norms(2.0, 1.1, 10, 100)  # |G|^2 = 1.0, tr(Sigma) = 10.0, B_simple = 10.0
  """
  b_small, b_big = _positive("b_small", b_small), _positive("b_big", b_big)
  if not b_big > b_small:
    raise ValueError(f"b_big must exceed b_small, got b_small={b_small}, b_big={b_big}")
  grad_sq = (b_big * g_big_sq - b_small * g_small_sq) / (b_big - b_small)
  trace = (g_small_sq - g_big_sq) / (1.0 / b_small - 1.0 / b_big)
  return {"grad_sq": grad_sq, "trace_sigma": trace, "b_simple": trace / grad_sq}


def per_example_grads(loss_fn, params, batch):
  """Per-example gradients ``[B, ...]`` of ``loss_fn(params, example)`` (``batch``: a pytree whose
  leaves share the leading dimension ``B``), flattened to ``[B, P]``."""
  g = jax.vmap(jax.grad(loss_fn), in_axes=(None, 0))(params, batch)
  leaves = jax.tree_util.tree_leaves(g)
  return jnp.concatenate([x.reshape(x.shape[0], -1) for x in leaves], axis=1)


def noise_scale_exact(grads) -> dict:
  """``B_simple`` of a finite set of per-example gradients ``grads [N, P]`` (uniform sampling with
  replacement): ``G`` the mean, ``tr(Sigma)`` the summed population variance (divisor ``N``)."""
  grads = jnp.asarray(grads)
  if grads.ndim != 2 or grads.shape[0] < 2:
    raise ValueError(f"grads must be per-example gradients [N >= 2, P], got shape {grads.shape}")
  g = grads.mean(0)
  trace = jnp.sum(jnp.mean((grads - g) ** 2, axis=0))
  grad_sq = jnp.sum(g ** 2)
  return {"grad_sq": grad_sq, "trace_sigma": trace, "b_simple": trace / grad_sq}


def noise_scale_full(grads, hvp) -> dict:
  """``B_noise = tr(H Sigma) / (G^T H G)`` (eq. 2.7) from per-example gradients ``grads [N, P]`` and a
  Hessian-vector product ``hvp(v [P]) -> [P]`` (``tr(H Sigma) = mean_i (g_i - G)^T H (g_i - G)``)."""
  grads = jnp.asarray(grads)
  if grads.ndim != 2 or grads.shape[0] < 2:
    raise ValueError(f"grads must be per-example gradients [N >= 2, P], got shape {grads.shape}")
  g = grads.mean(0)
  d = grads - g
  hd = jax.vmap(hvp)(d)
  trace_h_sigma = jnp.mean(jnp.sum(d * hd, axis=1))
  ghg = jnp.dot(g, hvp(g))
  return {"trace_h_sigma": trace_h_sigma, "g_h_g": ghg, "b_noise": trace_h_sigma / ghg}


def optimal_lr_sgd(batch, lr_max: float, b_noise: float):
  """``eps_opt(B) = eps_max / (1 + B_noise / B)`` (McCandlish et al. eq. 2.6): SGD's best step at
  batch ``B``, linear in ``B`` for ``B << B_noise`` and saturating at ``lr_max``."""
  return _positive("lr_max", lr_max) / (1.0 + _positive("b_noise", b_noise) / np.asarray(batch, np.float64))


def steps_and_examples(batch, s_min: float, e_min: float):
  """``(S(B), E(B))`` on the trade-off curve ``(S/S_min - 1)(E/E_min - 1) = 1`` (eq. 2.11) with
  ``E = B S``: ``S = S_min (1 + B_crit / B)``, ``E = E_min (1 + B / B_crit)``, ``B_crit = E_min / S_min``."""
  b = np.asarray(batch, np.float64)
  b_crit = _positive("e_min", e_min) / _positive("s_min", s_min)
  return s_min * (1 + b_crit / b), e_min * (1 + b / b_crit)


def fit_critical_batch(batches: Sequence[float], steps: Sequence[float]) -> dict:
  """Least-squares fit of ``S(B) = S_min (1 + B_crit / B)`` (eq. 2.11) to measured steps-to-target:
  ``S`` is linear in ``1/B`` with intercept ``S_min`` and slope ``S_min B_crit``. Returns
  ``{"s_min", "e_min", "b_crit"}``."""
  b = np.asarray(batches, np.float64)
  s = np.asarray(steps, np.float64)
  if b.shape != s.shape or b.ndim != 1 or len(b) < 2 or np.any(b <= 0):
    raise ValueError(f"batches and steps must be matching 1-D sequences of >= 2 points with batches > 0; got "
                     f"{b.shape}, {s.shape}")
  slope, intercept = np.polyfit(1.0 / b, s, 1)
  return {"s_min": float(intercept), "e_min": float(slope), "b_crit": float(slope / intercept)}


# --- learning rate from batch size -------------------------------------------------------------------

def scale_learning_rate(lr: float, batch: float, base_batch: float, rule: str = "linear") -> float:
  """``lr * (B / B0)`` (``rule="linear"``: Goyal et al.; Granziol et al. for SGD) or
  ``lr * sqrt(B / B0)`` (``"sqrt"``: Granziol et al. for Adam)."""
  ratio = _positive("batch", batch) / _positive("base_batch", base_batch)
  if rule == "linear":
    return float(lr) * ratio
  if rule == "sqrt":
    return float(lr) * math.sqrt(ratio)
  raise ValueError(f"rule must be 'linear' or 'sqrt', got {rule!r}")


def linear_scaling_schedule(base_lr: float, batch: int, *, base_batch: int = 256, warmup_steps: int = 0,
                            boundaries: Sequence[int] = (), decay: float = 0.1) -> optax.Schedule:
  """Goyal et al.'s schedule: gradual warm-up from ``base_lr`` to ``base_lr * batch / base_batch`` over
  ``warmup_steps`` (linear, per step), then the scaled rate, multiplied by ``decay`` at each step in
  ``boundaries`` (ResNet-50: 5, 30, 60, 80 epochs in steps). ``warmup_steps=0`` is the constant
  ("no warm-up") scaled rate; the paper's "constant warm-up" is not this function."""
  peak = scale_learning_rate(base_lr, batch, base_batch, "linear")
  if warmup_steps < 0 or any(b <= warmup_steps for b in boundaries) or list(boundaries) != sorted(boundaries):
    raise ValueError(f"warmup_steps must be >= 0 and boundaries increasing after it; got {warmup_steps}, "
                     f"{list(boundaries)}")
  after = optax.piecewise_constant_schedule(peak, {int(b) - int(warmup_steps): decay for b in boundaries})
  if not warmup_steps:
    return after
  return optax.join_schedules([optax.linear_schedule(base_lr, peak, int(warmup_steps)), after],
                              [int(warmup_steps)])


def batch_hessian_extremal_eigenvalue(lam, sigma: float, num_params: float, batch: float):
  """Largest eigenvalue of the batch Hessian, a spike ``lam`` of the empirical Hessian plus a Wigner
  fluctuation with spectral radius ``2 sigma sqrt(P / B)`` (Granziol et al., the BBP transition):
  ``lam + (P/B) sigma^2 / lam`` above the threshold ``sigma sqrt(P/B)``, the semicircle edge below."""
  b = np.asarray(batch, np.float64)
  if np.any(b <= 0):
    raise ValueError(f"batch must be > 0, got {batch}")
  r = _positive("sigma", sigma) * np.sqrt(_positive("num_params", num_params) / b)
  lam = np.asarray(lam, np.float64)
  return np.where(lam > r, lam + r ** 2 / np.maximum(lam, 1e-300), 2 * r)


def max_stable_lr_sgd(lam, sigma: float, num_params: float, batch: float):
  """``2 / lam_B``: the largest stable SGD step on the batch loss's quadratic model."""
  return 2.0 / batch_hessian_extremal_eigenvalue(lam, sigma, num_params, batch)


def optimal_lr_adam(batch, lr_max: float, b_noise: float):
  """The Adam "surge" curve ``2 lr_max / (sqrt(B_noise/B) + sqrt(B/B_noise))``: rises as ``sqrt(B)``
  below ``B_noise``, peaks at ``lr_max`` there and falls as ``1/sqrt(B)`` above it (Li et al. 2024,
  used by Time Transfer)."""
  b = np.asarray(batch, np.float64)
  bn = _positive("b_noise", b_noise)
  return 2.0 * _positive("lr_max", lr_max) / (np.sqrt(bn / b) + np.sqrt(b / bn))


def critical_batch_for_budget(tokens, ref_tokens: float, ref_critical_batch: float, exponent: float = 1.0):
  """Time transfer's ``B_crit(T) = B_crit(T0) (T / T0)^exponent`` (``exponent=1``: the paper's linear
  growth with the token budget)."""
  t = np.asarray(tokens, np.float64)
  return _positive("ref_critical_batch", ref_critical_batch) * (t / _positive("ref_tokens", ref_tokens)) ** exponent


# --- Power Lines: the AdamW timescale ----------------------------------------------------------------

def adamw_timescale(batch, lr, weight_decay, dataset_size):
  """``tau = B / (eta lambda D)``: AdamW's EMA timescale ``1/(eta lambda)`` in iterations as a fraction
  of the ``D / B`` iterations of the run (Power Lines, section 2). ``weight_decay`` is optax's
  (multiplied by the learning rate), as in PyTorch's AdamW."""
  return np.asarray(batch, np.float64) / (np.asarray(lr, np.float64) * np.asarray(weight_decay, np.float64)
                                          * np.asarray(dataset_size, np.float64))


def weight_decay_for_timescale(tau, batch, lr, dataset_size):
  """``lambda = B / (eta tau D)``: the weight decay that keeps the timescale at ``tau`` (linear in ``B``)."""
  return np.asarray(batch, np.float64) / (np.asarray(lr, np.float64) * np.asarray(tau, np.float64)
                                          * np.asarray(dataset_size, np.float64))


def power_law_fit(x: Sequence[float], y: Sequence[float]) -> dict:
  """``y = c x^m`` fitted by least squares in log-log space (Power Lines' ``tau_opt(D/N)``,
  ``B_opt(D)``, ``B_crit(D)``). Returns ``{"c", "m"}``."""
  x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
  if x.shape != y.shape or x.ndim != 1 or len(x) < 2 or np.any(x <= 0) or np.any(y <= 0):
    raise ValueError(f"x and y must be matching 1-D positive sequences of >= 2 points; got {x.shape}, {y.shape}")
  m, logc = np.polyfit(np.log(x), np.log(y), 1)
  return {"c": float(np.exp(logc)), "m": float(m)}


# --- AdAdaGrad: adaptive-sampling tests and a resumable batch schedule -------------------------------

def masked_tests(grads, mask, *, eta: float = 1.0, theta: float = 0.9, nu: float = 5.84) -> dict:
  """The adaptive-sampling tests on the rows of per-example gradients ``grads [B, P]`` where ``mask [B]``
  (``b >= 2`` rows; Var with divisor ``b - 1``), with ``g`` their mean:

  * norm test: passes when ``sum_j Var_i(g_ij) / b <= eta^2 |g|^2``; ``norm_required`` is the smallest
    batch that would pass, ``ceil(sum_j Var_i(g_ij) / (eta^2 |g|^2))``;
  * augmented inner-product test (Bollapragada, Byrd & Nocedal 2018; AdAdaGrad's coordinate-free test):
    ``Var_i(<g_i, g>) / b <= theta^2 |g|^4`` and ``sum_i |g_i - (<g_i,g>/|g|^2) g|^2 / ((b - 1) b) <= nu^2
    |g|^2``; ``ip_required`` the smallest batch passing both;
  * ``statistic`` = ``sum_j Var_i / (b |g|^2)``, and the gradient noise scale from the two batch sizes 1 and
    ``b`` (:func:`noise_scale_from_norms`): ``grad_sq``, ``trace_sigma``, ``b_simple``.

  Returns those and ``mean`` (``g``), ``b``, ``norm_passed``, ``ip_passed``."""
  grads = jnp.asarray(grads)
  m = jnp.asarray(mask).astype(grads.dtype)
  b = jnp.sum(m)
  g = jnp.sum(grads * m[:, None], 0) / b
  gsq = jnp.sum(g ** 2)
  var = jnp.sum(m[:, None] * (grads - g) ** 2) / (b - 1)   # sum_j Var_i(g_ij)
  dots = grads @ g
  mean_dot = jnp.sum(dots * m) / b
  var_ip = jnp.sum(m * (dots - mean_dot) ** 2) / (b - 1)
  ortho = grads - (dots / gsq)[:, None] * g[None]
  var_orth = jnp.sum(m[:, None] * ortho ** 2) / (b - 1)
  mean_sq = jnp.sum(m * jnp.sum(grads ** 2, 1)) / b
  grad_sq = (b * gsq - mean_sq) / (b - 1)
  trace = b * (mean_sq - gsq) / (b - 1)
  return {"mean": g, "b": b, "statistic": var / (b * gsq),
          "norm_passed": var / b <= eta ** 2 * gsq, "norm_required": jnp.ceil(var / (eta ** 2 * gsq)),
          "ip_passed": (var_ip / b <= theta ** 2 * gsq ** 2) & (var_orth / b <= nu ** 2 * gsq),
          "ip_required": jnp.ceil(jnp.maximum(var_ip / (theta ** 2 * gsq ** 2), var_orth / (nu ** 2 * gsq))),
          "grad_sq": grad_sq, "trace_sigma": trace, "b_simple": trace / grad_sq}


def _per_example(grads):
  grads = jnp.asarray(grads)
  if grads.ndim != 2 or grads.shape[0] < 2:
    raise ValueError(f"grads must be per-example gradients [B >= 2, P], got shape {grads.shape}")
  return grads, jnp.ones(grads.shape[0], bool)


def norm_test(grads, eta: float) -> dict:
  """The norm test on per-example gradients ``grads [B, P]`` (:func:`masked_tests` on every row):
  ``{"statistic", "passed", "required"}``."""
  grads, mask = _per_example(grads)
  t = masked_tests(grads, mask, eta=_positive("eta", eta))
  return {"statistic": t["statistic"], "passed": t["norm_passed"], "required": t["norm_required"]}


def inner_product_test(grads, theta: float, nu: float) -> dict:
  """The augmented inner-product test on per-example gradients ``grads [B, P]`` (:func:`masked_tests`
  on every row): ``{"passed", "required"}``."""
  grads, mask = _per_example(grads)
  t = masked_tests(grads, mask, theta=_positive("theta", theta), nu=_positive("nu", nu))
  return {"passed": t["ip_passed"], "required": t["ip_required"]}


@dataclasses.dataclass(frozen=True)
class BatchState:
  """The batch schedule's whole state (saved with a checkpoint): ``step``, the current ``batch_size``
  and ``consumed``, the number of examples drawn so far from the seeded stream."""
  step: int = 0
  batch_size: int = 0
  consumed: int = 0


@dataclasses.dataclass(frozen=True)
class BatchSchedule:
  """A growing batch size, drawn from one seeded stream of epochs, resumable exactly.

  Examples are consumed in order from a stream made of successive permutations of ``range(size)``
  (epoch ``e``'s permutation is seeded by ``(seed, e)``); the batch at a state is the next
  ``batch_size`` examples of the stream. :meth:`advance` applies a test's ``required`` size: the batch
  grows to ``max(batch, ceil(required / multiple) * multiple)`` capped at ``max_batch`` (it never
  shrinks). Everything is a function of ``(seed, BatchState)``, so a run restarted from a saved state
  draws the same batches as one that never stopped."""
  size: int
  initial_batch: int
  max_batch: int
  seed: int = 0
  multiple: int = 1

  def __post_init__(self):
    if not 1 <= self.initial_batch <= self.max_batch or self.size < 1 or self.multiple < 1:
      raise ValueError(f"BatchSchedule needs size >= 1, 1 <= initial_batch <= max_batch, multiple >= 1; got "
                       f"size={self.size}, initial_batch={self.initial_batch}, max_batch={self.max_batch}, "
                       f"multiple={self.multiple}")

  def start(self) -> BatchState:
    return BatchState(0, int(self.initial_batch), 0)

  def _permutation(self, epoch: int) -> np.ndarray:
    return np.random.default_rng([int(self.seed), int(epoch)]).permutation(self.size)

  def indices(self, state: BatchState) -> np.ndarray:
    """The example indices of the batch at ``state``."""
    out, pos, need = [], state.consumed, state.batch_size
    while need:
      epoch, off = divmod(pos, self.size)
      take = min(need, self.size - off)
      out.append(self._permutation(epoch)[off:off + take])
      pos, need = pos + take, need - take
    return np.concatenate(out)

  def advance(self, state: BatchState, required: float | None = None) -> BatchState:
    """The state after the batch at ``state``: the next batch size from a test's ``required`` (None:
    unchanged)."""
    b = state.batch_size
    if required is not None and math.isfinite(float(required)):
      want = int(math.ceil(float(required) / self.multiple) * self.multiple)
      b = min(self.max_batch, max(b, want))
    return BatchState(state.step + 1, b, state.consumed + state.batch_size)
