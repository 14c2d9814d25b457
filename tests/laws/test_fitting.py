"""lbrl.laws.fitting: every form's parameters recovered from synthetic data drawn from the law (within the
bootstrap interval), the objective against scipy.special.huber, compute-optimal allocation against a
numerical minimisation, extrapolation error, the hitchhiker options, and the released Chinchilla points."""
import os

import numpy as np
import pytest
from scipy import optimize, special

from lbrl.laws import fitting, forms

F = forms.FORMS
SCALING = "/work/shared/data/scaling_laws"
G = np.geomspace


def _grid2(a, b, n=6, m=5):
  A, B = np.meshgrid(a(n), b(m), indexing="ij")
  return A.ravel(), B.ravel()


def _nd():
  N, D = _grid2(lambda n: G(1e7, 1e9, n), lambda m: G(1e9, 1e11, m))
  return {"N": N, "D": D}


CH = {"E": 1.8, "A": 480.0, "B": 2000.0, "alpha": 0.35, "beta": 0.37}
# form -> (true parameters, inputs, residual)
CASES = {
    "power_law": ({"E": 1.7, "A": 50.0, "alpha": 0.3}, {"x": G(1e3, 1e7, 30)}, "log"),
    "pure_power_law": ({"A": 20.0, "alpha": 0.1}, {"x": G(1e15, 1e21, 20)}, "log"),
    "variance_limited": ({"E": 0.2, "A": 30.0}, {"x": G(10, 1e4, 20)}, "log"),
    "kaplan_n": (forms.PUBLISHED["kaplan_n"], {"N": G(1e6, 1e9, 20)}, "log"),
    "kaplan_d": (forms.PUBLISHED["kaplan_d"], {"D": G(1e7, 1e10, 20)}, "log"),
    "kaplan_c": (forms.PUBLISHED["kaplan_c"], {"C": G(1e-6, 1e-1, 20)}, "log"),
    "kaplan_nd": (forms.PUBLISHED["kaplan_nd"], _nd(), "log"),
    "kaplan_ns": (forms.PUBLISHED["kaplan_ns"], dict(zip(("N", "S"), _grid2(lambda n: G(1e6, 1e9, n),
                                                                         lambda m: G(1e3, 1e5, m)))), "log"),
    "chinchilla": (CH, _nd(), "log"),
    "overtraining": ({"E": 1.9, "a": 60.0, "b": 120.0, "eta": 0.15}, _nd(), "log"),
    "downstream_error": ({"eps": 0.8, "k": 15.0, "gamma": 1.1}, {"L": np.linspace(2.5, 5.0, 20)}, "linear"),
    "shifted_power_law": ({"K": 1.2, "kappa": 1.3, "E_x": 1.6, "E_y": 0.9}, {"Lx": np.linspace(2.0, 5.0, 25)}, "log"),
    "broken_power_law": ({"a": 0.5, "b": 6.0, "c0": 0.2, "c1": 0.4, "d1": 3e3, "f1": 0.3}, {"x": G(10, 1e7, 40)}, "log"),
    "precision": (dict(CH, gamma_w=2.5), dict(_nd(), P_w=np.tile([3.0, 4.0, 6.0, 8.0, 16.0], 6)), "log"),
    "sparsity": ({"a_S": 200.0, "b_S": 1.2, "c_S": 100.0, "b_N": 0.35, "a_D": 1e7, "b_D": 0.3, "c": 1.5},
                 {"S": np.tile([0.0, 0.5, 0.75, 0.875, 0.9375], 6), **_nd()}, "log"),
    "encoder_decoder": ({"a": 0.8, "p_e": 0.2, "p_d": 0.3, "L_inf": 1.2},
                        dict(zip(("Ne", "Nd"), _grid2(lambda n: G(1e7, 1e9, n), lambda m: G(1e7, 1e9, m)))), "log"),
    "mixture": ({"E": 1.5, "A": 400.0, "B": 900.0, "C": 0.4, "alpha": 0.3, "beta": 0.3, "gamma": 1.0, "r": 0.3},
                dict(_nd(), h=np.tile([0.0, 0.25, 0.5, 0.75, 1.0], 6)), "log"),
    "time": (CH, {"N": _nd()["N"], "T": _nd()["D"] / 1e4, "R": np.full(30, 1e4)}, "log"),
    "farseer": ({"a1": 0.4, "b1": -1.5, "g1": 0.05, "a2": 1.0, "b2": 2.0, "g2": 0.05, "a3": 1.0, "b3": -0.5,
                 "g3": -0.05}, _nd(), "log"),
    "pass_until": ({"c": 300.0, "alpha": 0.4}, {"N": G(1e4, 1e8, 20)}, "log"),
}


def test_every_form_has_a_recovery_case():
  assert set(CASES) == set(F)


def _start(true, form):
  """A start away from the truth (positive parameters x2.5, others +0.05): recovery, not a copy."""
  return {k: (v * 2.5 if k in form.positive else v + 0.05) for k, v in true.items()}


# Forms with 7-9 parameters take tens of seconds on a loaded 2-core machine: run with -m slow.
SLOW = {"mixture", "sparsity", "farseer"}
# Farseer's N-exponents g_i make (a_i, b_i) nearly collinear over two decades of N (the paper fits its
# surface in stages on ~1,000 models): its parameters are not identifiable here, its predictions are.
SLOPPY = {"farseer"}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in sorted(CASES)])
def test_fitter_recovers_known_parameters_within_its_bootstrap_interval(name):
  true, X, residual = CASES[name]
  form = F[name]
  y = form(true, X)
  rng = np.random.default_rng(0)
  y = y * np.exp(rng.normal(0.0, 0.003, y.shape)) if residual == "log" else y + rng.normal(0.0, 0.002, y.shape)
  delta = 1e-3 if residual == "log" else 1e-2
  res = fitting.fit(form, X, y, residual=residual, huber_delta=delta, starts=[_start(true, form), true])
  # the optimum is at least as good as the truth under the objective
  assert res.objective <= fitting.objective(form, true, X, y, huber_delta=delta, residual=residual) * (1 + 1e-6)
  fitting.bootstrap(form, X, y, res, n=10, seed=1)
  # the fitted law reproduces the noise-free truth on the points
  assert np.allclose(form(res.params, X), form(true, X), rtol=0.01, atol=0.01)
  if name in SLOPPY:
    return
  # truth inside the bootstrap interval widened by 3 bootstrap standard errors (10 resamples give a
  # narrow percentile range; the Huber fit's bootstrap understates the spread near the optimum)
  for k, v in true.items():
    lo, hi = res.ci95[k]
    pad = 3.0 * res.stderr[k] + 1e-3 * abs(v)
    assert lo - pad <= v <= hi + pad, (name, k, lo, v, hi)


def test_objective_is_scipys_huber_on_log_residuals():
  true, X, _ = CASES["chinchilla"]
  y = F["chinchilla"](true, X) * np.exp(np.random.default_rng(3).normal(0, 0.01, 30))
  r = np.log(F["chinchilla"](forms.PUBLISHED["chinchilla"], X)) - np.log(y)
  ref = float(np.sum(special.huber(1e-3, r)))
  assert np.isclose(fitting.objective(F["chinchilla"], forms.PUBLISHED["chinchilla"], X, y), ref, rtol=1e-12)


def test_optimal_allocation_matches_a_numerical_minimisation():
  p = forms.PUBLISHED["chinchilla"]
  C = 5.76e23
  got = fitting.optimal_allocation(p, C)
  res = optimize.minimize_scalar(lambda ln: F["chinchilla"](p, {"N": np.exp(ln), "D": C / 6 / np.exp(ln)}),
                                 bounds=(np.log(1e8), np.log(1e13)), method="bounded", options={"xatol": 1e-10})
  assert np.isclose(got["N"], np.exp(res.x), rtol=1e-4)
  assert np.isclose(got["N"] * got["D"] * 6, C)
  samples = {k: np.array([p[k], p[k] * 1.02, p[k] * 0.98]) for k in p}
  ci = fitting.optimal_allocation(p, C, samples=samples)
  assert ci["N_ci95"][0] <= ci["N_ci95"][1]
  with pytest.raises(ValueError, match="params"):
    fitting.optimal_allocation({"E": 1.0}, C)


def test_leave_largest_out_extrapolation_error():
  true, X, _ = CASES["chinchilla"]
  y = F["chinchilla"](true, X)
  C = 6 * X["N"] * X["D"]
  good = fitting.leave_largest_out("chinchilla", X, y, by=C, k=5, starts=[_start(true, F["chinchilla"])])
  assert good["mean_abs_relative_error"] < 1e-3 and len(good["held_out"]) == 5
  assert set(good["held_out"]) == set(np.argsort(C)[-5:])
  # a wrong form (a pure power law in N) extrapolates worse
  bad = fitting.leave_largest_out("power_law", {"x": X["N"]}, y, by=C, k=5,
                                 starts=[{"E": 1.0, "A": 100.0, "alpha": 0.3}])
  assert bad["mean_abs_relative_error"] > 10 * good["mean_abs_relative_error"]


def test_hitchhiker_intermediate_checkpoints_improve_extrapolation():
  """Choshen et al. 2024: fitting on intermediate checkpoints (past 10% of training) and not only final
  losses makes the fitted law predict a larger held-out model better. Synthetic runs of a Chinchilla law
  (5 sizes x 2 token budgets, 6 checkpoints each, 1% noise per measurement; the checkpoints lie on the
  law, which a real cosine run's early checkpoints do not, hence the paper's 10% cut): mean absolute
  relative error of the 1e9-parameter, 2e10-token prediction over 4 noise seeds."""
  sizes = G(2e7, 3e8, 5)
  frac = np.linspace(0.1, 1.0, 6)
  N = np.tile(np.repeat(sizes, len(frac)), 2)
  final = N * np.repeat([10.0, 40.0], 30)
  D = final * np.tile(frac, 10)
  target = {"N": np.array([1e9]), "D": np.array([2e10])}
  truth = F["chinchilla"](CH, target)[0]
  errs = {"final": [], "checkpoints": []}
  for seed in range(4):
    y = F["chinchilla"](CH, {"N": N, "D": D}) * np.exp(np.random.default_rng(seed).normal(0, 0.01, N.shape))
    for name, mf in (("final", None), ("checkpoints", 0.1)):
      m = fitting.select_points(y, model=N, tokens=D, final_tokens=final, min_fraction=mf)
      r = fitting.fit("chinchilla", {"N": N[m], "D": D[m]}, y[m], starts=[_start(CH, F["chinchilla"])])
      errs[name].append(abs(F["chinchilla"](r.params, target)[0] - truth) / truth)
  assert np.mean(errs["checkpoints"]) < 0.5 * np.mean(errs["final"])
  m = fitting.select_points(y, model=N, tokens=D, final_tokens=final, size=N, min_fraction=0.1, size_window=4.0)
  assert set(N[m]) == {s for s in sizes if s >= sizes.max() / 4}
  with pytest.raises(ValueError, match="min_fraction"):
    fitting.select_points(y, model=N, tokens=D, final_tokens=final, min_fraction=2.0)


def test_bad_input_names_the_argument():
  X = {"N": np.ones(10), "D": np.ones(10)}
  with pytest.raises(ValueError, match="residual"):
    fitting.fit("chinchilla", X, np.ones(10), residual="sq")
  with pytest.raises(ValueError, match="positive y"):
    fitting.fit("chinchilla", X, -np.ones(10))
  with pytest.raises(ValueError, match=r"X\['D'\]"):
    fitting.fit("chinchilla", {"N": np.ones(10), "D": np.ones(9)}, np.ones(10))
  with pytest.raises(ValueError, match="missing inputs"):
    fitting.fit("chinchilla", {"N": np.ones(10)}, np.ones(10))
  with pytest.raises(ValueError, match="drop_highest"):
    fitting.fit("chinchilla", X, np.ones(10), drop_highest=8)
  with pytest.raises(ValueError, match="inits"):
    fitting.fit("chinchilla", X, np.ones(10), inits={"gamma": [1.0]})


def test_besiroglu_refit_on_the_released_chinchilla_points():
  """Besiroglu et al. 2024's protocol (5 highest losses dropped, Huber 1e-3 on log loss): our L-BFGS
  optimum, started away from their estimate, is at least as good under the objective and within two of
  their standard errors of their published estimates (Table 1)."""
  path = os.path.join(SCALING, "chinchilla_figure4_points.csv")
  if not os.path.exists(path):
    pytest.skip("no shared scaling-law data")
  from lbrl.laws import cli
  (N, D), y = cli.read_points(path, ["params", "tokens"], "loss")
  pub, se = forms.PUBLISHED["chinchilla_besiroglu"], forms.PUBLISHED_STDERR["chinchilla_besiroglu"]
  res = fitting.fit("chinchilla", {"N": N, "D": D}, y, drop_highest=5,
                    starts=[{"E": 1.5, "A": 200.0, "B": 800.0, "alpha": 0.3, "beta": 0.3}])
  keep = np.sort(np.argsort(y)[:240])
  assert res.n == 240
  assert res.objective <= fitting.objective(F["chinchilla"], pub, {"N": N[keep], "D": D[keep]}, y[keep]) + 1e-12
  for k in pub:
    assert abs(res.params[k] - pub[k]) <= 2 * se[k], (k, res.params[k], pub[k])
