"""A scaling-law fitter to trust: Huber loss on log residuals, L-BFGS from a grid of initialisations,
bootstrap intervals, leave-largest-out extrapolation error and compute-optimal allocation.

**Objective** (Hoffmann et al. 2022, Approach 3; Besiroglu et al. 2024, "Chinchilla Scaling: A
replication attempt", arXiv:2404.10102)::

    min_theta  sum_i Huber_delta( log f(theta, x_i) - log y_i ),   Huber_delta(r) = r^2/2        if |r| <= delta
                                                                                  delta (|r| - delta/2) otherwise

with ``delta = 1e-3`` by default (both papers). ``residual="linear"`` uses ``f - y`` instead (for errors and
pass rates that can be near zero). Positive parameters (scales, irreducible losses) are optimised as
their logarithm (``A = exp(a)``: Besiroglu et al.'s parametrisation); exponents within the form's bounds.

**Optimiser**: ``scipy.optimize.minimize(method="L-BFGS-B")`` with the exact gradient (``jax.grad`` of the
form, jitted, float64) from every
point of the form's grid of initial values (or ``inits=``), keeping the lowest objective. The objective is
divided by ``n delta^2`` before the optimiser sees it (same minimiser; L-BFGS-B's stopping test is
relative to max(|f|, 1), which a raw Huber sum of order 1e-5 would end after one step).

**Intervals**: the percentile bootstrap (``bootstrap``): the points are resampled with replacement, each
resample refitted from the full-data optimum; ``stderr`` is the standard deviation of the resampled
parameters (Besiroglu et al. report these), ``ci95`` the 2.5% and 97.5% quantiles.

**Hitchhiker's guide** (Choshen, Zhang and Andreas 2024, "A Hitchhiker's Guide to Scaling Law
Estimation", arXiv:2410.11840; slug ``hitchhiker_scaling``) as options of :func:`select_points`: fit on
intermediate checkpoints too (``min_fraction``: keep every checkpoint past that fraction of its run;
the paper drops the first 10% of training) and prefer models of similar size (``size_window``: only
models within that factor below the largest fitted model).
"""
from __future__ import annotations

import dataclasses
import itertools

import jax
import jax.numpy as jnp
import numpy as np
from scipy import optimize
from threadpoolctl import threadpool_limits

from lbrl.laws import forms as forms_lib

DEFAULT_EXPONENT_BOUNDS = (0.0, 3.0)
LOG_BOUNDS = (-60.0, 60.0)


def huber(r, delta: float) -> np.ndarray:
  """The Huber function (quadratic within ``delta``, linear outside)."""
  a = np.abs(r)
  return np.where(a <= delta, 0.5 * a * a, delta * (a - 0.5 * delta))


@dataclasses.dataclass
class Fit:
  """A fitted form: ``params``, the Huber objective (unscaled sum), the settings and, after
  :func:`bootstrap`, ``stderr`` / ``ci95`` per parameter and the resampled parameters ``samples``."""
  form: str
  params: dict
  objective: float
  n: int
  huber_delta: float
  residual: str
  stderr: dict | None = None
  ci95: dict | None = None
  samples: dict | None = None

  def to_json(self) -> dict:
    out = dict(self.params)
    if self.stderr is not None:
      out["stderr"] = dict(self.stderr)
      out["ci95"] = {k: list(v) for k, v in self.ci95.items()}
    out.update(form=self.form, objective=self.objective, n=self.n, huber_delta=self.huber_delta,
               residual=self.residual)
    return out


def _bounds(form: forms_lib.Form):
  return [LOG_BOUNDS if p in form.positive else form.bounds.get(p, DEFAULT_EXPONENT_BOUNDS) for p in form.params]


def _to_params(form, theta) -> dict:
  return {p: float(np.exp(t)) if p in form.positive else float(t) for p, t in zip(form.params, theta)}


def _to_theta(form, params: dict) -> np.ndarray:
  return np.array([np.log(params[p]) if p in form.positive else params[p] for p in form.params], np.float64)


def _check(form, X: dict, y, residual: str, huber_delta: float):
  if residual not in ("log", "linear"):
    raise ValueError(f"residual={residual!r}; expected 'log' or 'linear'")
  if not huber_delta > 0:
    raise ValueError(f"huber_delta={huber_delta!r}; expected > 0")
  y = np.asarray(y, np.float64)
  if y.ndim != 1:
    raise ValueError(f"y: expected a 1-D array, got shape {y.shape}")
  missing = [k for k in form.inputs if k not in X]
  if missing:
    raise ValueError(f"X: missing inputs {missing}; the form {form.formula!r} takes {list(form.inputs)}")
  X = {k: np.asarray(X[k], np.float64) for k in form.inputs}
  for k, v in X.items():
    if v.shape != y.shape:
      raise ValueError(f"X[{k!r}]: shape {v.shape} differs from y's {y.shape}")
  if residual == "log" and np.any(y <= 0):
    raise ValueError("y: residual='log' needs positive y")
  if len(y) < len(form.params) + 1:
    raise ValueError(f"{len(y)} points for {len(form.params)} parameters")
  return X, y


def objective(form, params: dict, X: dict, y, *, huber_delta: float = 1e-3, residual: str = "log") -> float:
  """The unscaled Huber objective of ``params`` on the points."""
  pred = form(params, X)
  r = np.log(np.maximum(pred, 1e-300)) - np.log(y) if residual == "log" else pred - y
  return float(np.sum(huber(r, huber_delta)))


_COMPILED: dict = {}


def _value_and_grad(form, residual: str):
  """The jitted float64 ``(objective / (n delta^2), gradient)`` of theta (positive parameters as logs)."""
  key = (id(form), residual)
  if key not in _COMPILED:
    pos = [p in form.positive for p in form.params]

    def f(theta, X, y, delta):
      params = {p: (jnp.exp(theta[i]) if pos[i] else theta[i]) for i, p in enumerate(form.params)}
      pred = form.expr(params, X)
      r = jnp.log(jnp.maximum(pred, 1e-300)) - jnp.log(y) if residual == "log" else pred - y
      a = jnp.abs(r)
      h = jnp.where(a <= delta, 0.5 * a * a, delta * (a - 0.5 * delta))
      return jnp.sum(h) / (y.shape[0] * delta ** 2)
    _COMPILED[key] = (form, jax.jit(jax.value_and_grad(f)))
  return _COMPILED[key][1]


def _one(form, X, y, theta0, huber_delta, residual, bounds):
  vg = _value_and_grad(form, residual)
  lo = np.array([b[0] for b in bounds])
  hi = np.array([b[1] for b in bounds])

  with jax.enable_x64(True):
    Xj, yj = {k: jnp.asarray(v, jnp.float64) for k, v in X.items()}, jnp.asarray(y, jnp.float64)

  def f(theta):
    with jax.enable_x64(True):
      v, g = vg(jnp.asarray(theta, jnp.float64), Xj, yj, huber_delta)
    v, g = float(v), np.asarray(g, np.float64)
    if not (np.isfinite(v) and np.all(np.isfinite(g))):
      return 1e300, np.zeros_like(theta)
    return v, g
  # One BLAS thread: L-BFGS-B's small dense algebra is ~10x slower when a multithreaded BLAS contends.
  with threadpool_limits(1):
    r = optimize.minimize(f, np.clip(theta0, lo, hi), jac=True, method="L-BFGS-B", bounds=bounds,
                          options={"maxiter": 1000, "ftol": 1e-12, "gtol": 1e-8})
  return r.x, float(r.fun) * len(y) * huber_delta ** 2


def grid_starts(form, inits: dict | None = None) -> list[dict]:
  """Every combination of the form's (or ``inits``') initial values."""
  g = dict(form.inits)
  g.update(inits or {})
  unknown = set(g) - set(form.params)
  if unknown:
    raise ValueError(f"inits: unknown parameters {sorted(unknown)}; the form has {list(form.params)}")
  return [dict(zip(form.params, c)) for c in itertools.product(*[list(np.atleast_1d(g[p])) for p in form.params])]


def fit(form: str | forms_lib.Form, X: dict, y, *, huber_delta: float = 1e-3, residual: str = "log",
        inits: dict | None = None, starts: list[dict] | None = None, drop_highest: int = 0) -> Fit:
  """Fits ``form`` to the points ``(X, y)`` (see the module docstring).

  Args:
    form: a name in :data:`lbrl.laws.forms.FORMS` or a :class:`Form`.
    X: input name -> 1-D array (the form's ``inputs``).
    y: 1-D array of measurements (losses).
    huber_delta: Huber's delta on the residuals (1e-3: Hoffmann et al., Besiroglu et al.).
    residual: ``"log"`` (log f - log y) or ``"linear"`` (f - y).
    inits: parameter -> list of starting values (replaces the form's grid for those parameters).
    starts: explicit starting points (overrides the grid).
    drop_highest: drop the ``k`` points with the highest ``y`` first (Besiroglu et al. drop 5).

  Example::

    >>> import numpy as np; from lbrl.laws import fitting, forms
    >>> N = np.geomspace(1e7, 1e9, 6).repeat(4); D = np.tile(np.geomspace(1e8, 1e10, 4), 6)
    >>> y = forms.FORMS["chinchilla"](forms.PUBLISHED["chinchilla"], {"N": N, "D": D})
    >>> round(fitting.fit("chinchilla", {"N": N, "D": D}, y).params["alpha"], 2)
    0.34
  """
  name = form if isinstance(form, str) else next((k for k, v in forms_lib.FORMS.items() if v is form), "custom")
  form = forms_lib.get(form) if isinstance(form, str) else form
  X, y = _check(form, X, y, residual, huber_delta)
  if drop_highest:
    if not 0 <= int(drop_highest) < len(y) - len(form.params):
      raise ValueError(f"drop_highest={drop_highest}: expected 0 <= k < {len(y) - len(form.params)}")
    keep = np.sort(np.argsort(y, kind="stable")[: len(y) - int(drop_highest)])
    X, y = {k: v[keep] for k, v in X.items()}, y[keep]
  bounds = _bounds(form)
  best, best_cost = None, np.inf
  for s in (starts if starts is not None else grid_starts(form, inits)):
    theta, cost = _one(form, X, y, _to_theta(form, s), huber_delta, residual, bounds)
    if np.isfinite(cost) and cost < best_cost:
      best, best_cost = theta, cost
  if best is None:
    raise RuntimeError(f"no start of the {form.formula!r} fit converged")
  return Fit(name, _to_params(form, best), best_cost, len(y), huber_delta, residual)


def bootstrap(form, X: dict, y, result: Fit, *, n: int = 1000, seed: int = 0, level: float = 0.95) -> Fit:
  """Adds bootstrap ``stderr``, ``ci95`` (the ``level`` percentile interval) and ``samples`` to ``result``:
  the points resampled with replacement ``n`` times (``numpy.random.default_rng(seed)``), each resample
  refitted from ``result.params``. ``X, y`` are the points ``result`` was fitted on (after any drop)."""
  if n < 2:
    raise ValueError(f"n={n}: the bootstrap needs at least 2 resamples")
  form = forms_lib.get(form) if isinstance(form, str) else form
  X, y = _check(form, X, y, result.residual, result.huber_delta)
  rng = np.random.default_rng(seed)
  bounds = _bounds(form)
  t0 = _to_theta(form, result.params)
  out = []
  for _ in range(n):
    idx = rng.integers(0, len(y), len(y))
    theta, _ = _one(form, {k: v[idx] for k, v in X.items()}, y[idx], t0, result.huber_delta, result.residual, bounds)
    out.append(_to_params(form, theta))
  samples = {p: np.array([o[p] for o in out]) for p in form.params}
  q = (1.0 - level) / 2
  result.samples = samples
  result.stderr = {p: float(np.std(v, ddof=1)) for p, v in samples.items()}
  result.ci95 = {p: (float(np.quantile(v, q)), float(np.quantile(v, 1 - q))) for p, v in samples.items()}
  return result


def leave_largest_out(form, X: dict, y, *, by, k: int, **fit_kw) -> dict:
  """Extrapolation error: fit on all but the ``k`` points largest in ``by`` (an input name or an array,
  e.g. compute ``6 N D``), predict those. Returns ``{"fit", "held_out" (indices), "pred", "y",
  "relative_error" = (pred - y) / y, "mean_abs_relative_error"}``."""
  form_obj = forms_lib.get(form) if isinstance(form, str) else form
  y = np.asarray(y, np.float64)
  key = np.asarray(X[by] if isinstance(by, str) else by, np.float64)
  if key.shape != y.shape:
    raise ValueError(f"by: shape {key.shape} differs from y's {y.shape}")
  if not 1 <= k < len(y) - len(form_obj.params):
    raise ValueError(f"k={k}: expected 1 <= k < {len(y) - len(form_obj.params)}")
  order = np.argsort(key, kind="stable")
  held, kept = np.sort(order[-k:]), np.sort(order[:-k])
  res = fit(form, {n: np.asarray(v)[kept] for n, v in X.items()}, y[kept], **fit_kw)
  pred = form_obj(res.params, {n: np.asarray(v, np.float64)[held] for n, v in X.items()})
  rel = (pred - y[held]) / y[held]
  return {"fit": res, "held_out": held, "pred": pred, "y": y[held], "relative_error": rel,
          "mean_abs_relative_error": float(np.mean(np.abs(rel)))}


def optimal_allocation(params: dict, flops, *, flops_per_token_param: float = 6.0, samples: dict | None = None) -> dict:
  """Compute-optimal ``N*``, ``D*`` for a budget ``C = 6 N D`` under ``E + A/N^alpha + B/D^beta``
  (Hoffmann et al. 2022, eq. 4 and Appendix D.2)::

      G = (alpha A / (beta B))^(1 / (alpha + beta)),  N* = G (C/6)^(beta/(alpha+beta)),  D* = (C/6) / N*

  With bootstrap ``samples`` (a :class:`Fit`'s), adds the 95% percentile interval of ``N*``, ``D*``
  and the exponent ``a = beta / (alpha + beta)``."""
  C = np.asarray(flops, np.float64)
  if np.any(C <= 0):
    raise ValueError("flops must be positive")
  missing = [k for k in ("A", "B", "alpha", "beta") if k not in params]
  if missing:
    raise ValueError(f"params: missing {missing}; optimal allocation needs a chinchilla-form fit")

  def alloc(A, B, alpha, beta):
    G = (alpha * A / (beta * B)) ** (1.0 / (alpha + beta))
    N = G * (C / flops_per_token_param) ** (beta / (alpha + beta))
    return N, C / flops_per_token_param / N, beta / (alpha + beta)
  N, D, a = alloc(params["A"], params["B"], params["alpha"], params["beta"])
  out = {"flops": C, "N": N, "D": D, "tokens_per_param": D / N, "a": a, "b": 1.0 - a}
  if samples is not None:
    sN, sD, sa = zip(*[alloc(*v) for v in zip(samples["A"], samples["B"], samples["alpha"], samples["beta"])])
    for key, s in (("N", sN), ("D", sD), ("a", sa)):
      s = np.asarray(s)
      out[f"{key}_ci95"] = (np.quantile(s, 0.025, axis=0), np.quantile(s, 0.975, axis=0))
  return out


def select_points(y, *, model, tokens, final_tokens, size=None, min_fraction: float | None = None,
                  size_window: float | None = None) -> np.ndarray:
  """The hitchhiker's-guide selection (Choshen et al. 2024, arXiv:2410.11840) as a boolean mask.

  Args:
    y: the losses (one per checkpoint row).
    model: a model id per row; tokens: tokens seen at the checkpoint; final_tokens: the run's final tokens.
    size: parameters per row (for ``size_window``).
    min_fraction: ``None`` keeps only final checkpoints (the classical fit); a number keeps every
      checkpoint with ``tokens >= min_fraction * final_tokens`` (the paper: 0.1, dropping early training).
    size_window: keep only models with ``size >= max(size) / size_window`` (prefer similar sizes).
  """
  y = np.asarray(y)
  tokens, final_tokens = np.asarray(tokens, np.float64), np.asarray(final_tokens, np.float64)
  del model
  if min_fraction is None:
    keep = tokens >= final_tokens
  else:
    if not 0.0 <= min_fraction <= 1.0:
      raise ValueError(f"min_fraction={min_fraction}; expected a fraction in [0, 1]")
    keep = tokens >= min_fraction * final_tokens
  if size_window is not None:
    if size is None or not size_window >= 1:
      raise ValueError("size_window needs size= and a factor >= 1")
    size = np.asarray(size, np.float64)
    keep &= size >= size.max() / size_window
  if keep.shape != y.shape:
    raise ValueError("model/tokens/final_tokens must have y's shape")
  return keep
