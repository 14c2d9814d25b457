"""lbrl.laws.forms: each form against a float64 transcription of its paper's equation, the published
fits against the papers' stated numbers, and the reductions the papers derive between forms."""
import math

import numpy as np
import pytest

from lbrl.laws import forms, plrf, schedules

F = forms.FORMS


def test_chinchilla_published_fit_and_allocation_exponent():
  p = forms.PUBLISHED["chinchilla"]
  # Hoffmann et al. eq. 10 at Chinchilla itself (70B parameters, 1.4T tokens), transcribed by hand.
  ref = 1.69 + 406.4 / 70e9 ** 0.34 + 410.7 / 1.4e12 ** 0.28
  assert np.isclose(F["chinchilla"](p, {"N": 70e9, "D": 1.4e12}), ref, rtol=1e-12)
  # Table 2: Approach 3 gives N_opt ~ C^0.46 (a = beta / (alpha + beta) from the rounded published fit).
  assert abs(p["beta"] / (p["alpha"] + p["beta"]) - 0.46) < 0.015


def test_kaplan_published_exponents_are_consistent_with_the_papers_derived_numbers():
  nd = forms.PUBLISHED["kaplan_nd"]
  # Kaplan et al. eq. 4.4: D ~ N^(alpha_N / alpha_D) = N^0.74 keeps overfitting in check.
  assert abs(nd["alpha_N"] / nd["alpha_D"] - 0.74) < 0.005
  assert np.isclose(forms.kaplan_overfit_tokens(1e9) / forms.kaplan_overfit_tokens(1e8), 10 ** 0.74)
  # eq. 1.7 / 6.x: alpha_C_min = 1 / (1/alpha_S + 1/alpha_B + 1/alpha_N) ~ 0.054
  a_c = 1.0 / (1 / forms.PUBLISHED["kaplan_ns"]["alpha_S"] + 1 / forms.KAPLAN_CRITICAL_BATCH["alpha_B"]
               + 1 / forms.PUBLISHED["kaplan_n"]["alpha_N"])
  assert abs(a_c - 0.054) < 0.003
  # eq. 1.5 at infinite data is eq. 1.1's form with the L(N, D) fit's constants.
  big = {"N": np.array([1e7, 1e9]), "D": np.array([1e30, 1e30])}
  assert np.allclose(F["kaplan_nd"](nd, big), (nd["Nc"] / big["N"]) ** nd["alpha_N"], rtol=1e-9)
  # eq. 1.1 at N = 1e9: (8.8e13 / 1e9)^0.076
  assert np.isclose(F["kaplan_n"](forms.PUBLISHED["kaplan_n"], {"N": 1e9}), (8.8e13 / 1e9) ** 0.076)


def test_kaplan_critical_batch_and_min_steps():
  L = np.array([2.0, 3.0, 4.0])
  b = forms.critical_batch(L)
  assert np.allclose(b, 2e8 * L ** (-1 / 0.21))
  assert np.all(np.diff(b) < 0)                                  # lower loss -> larger critical batch
  assert np.allclose(forms.min_steps(1000, b, L), 500.0)         # at B = B_crit, S_min = S / 2 (eq. 5.4)
  with pytest.raises(ValueError, match="loss"):
    forms.critical_batch(-1.0)


def test_overtraining_law_is_chinchilla_with_equal_exponents():
  """Gadre et al. derive eq. 4 from Chinchilla's form with alpha = beta, C = 6 N D and M = D / N:
  eta = alpha / 2, a = A 6^eta, b = B 6^eta."""
  E, A, B, alpha = 1.8, 300.0, 900.0, 0.3
  eta = alpha / 2
  X = {"N": np.geomspace(1e7, 1e10, 7), "D": np.geomspace(1e9, 1e12, 7)[::-1]}
  got = F["overtraining"]({"E": E, "a": A * 6 ** eta, "b": B * 6 ** eta, "eta": eta}, X)
  ref = F["chinchilla"]({"E": E, "A": A, "B": B, "alpha": alpha, "beta": alpha}, X)
  assert np.allclose(got, ref, rtol=1e-12)


def test_reductions_and_limits():
  # precision: infinite training bits -> Chinchilla
  p = {"E": 1.7, "A": 400.0, "B": 400.0, "alpha": 0.3, "beta": 0.3}
  X = {"N": np.array([1e8, 1e9]), "D": np.array([1e10, 1e11])}
  assert np.allclose(F["precision"](dict(p, gamma_w=2.7), dict(X, P_w=np.array([1e3, 1e3]))), F["chinchilla"](p, X))
  # lower precision = fewer effective parameters = higher loss
  lo = F["precision"](dict(p, gamma_w=2.7), dict(X, P_w=np.array([4.0, 4.0])))
  assert np.all(lo > F["chinchilla"](p, X))
  # time law: D = T R
  assert np.allclose(F["time"](p, {"N": X["N"], "T": X["D"] / 1e3, "R": np.array([1e3, 1e3])}), F["chinchilla"](p, X))
  # sparsity: dense models -> (a_S + c_S) N^-b_N + (a_D / D)^b_D + c
  s = {"a_S": 2.0, "b_S": 1.0, "c_S": 3.0, "b_N": 0.4, "a_D": 1e6, "b_D": 0.3, "c": 1.0}
  got = F["sparsity"](s, {"S": np.zeros(2), "N": X["N"], "D": X["D"]})
  assert np.allclose(got, 5.0 * X["N"] ** -0.4 + (1e6 / X["D"]) ** 0.3 + 1.0)
  # sparser at fixed non-zeros: lower loss when b_S > 0 (the law's stated monotonicity)
  assert np.all(F["sparsity"](s, {"S": np.full(2, 0.75), "N": X["N"], "D": X["D"]}) < got)
  # shifted power law passes through (E_x, E_y)
  assert np.isclose(F["shifted_power_law"]({"K": 2.0, "kappa": 1.3, "E_x": 1.5, "E_y": 0.7}, {"Lx": 1.5}), 0.7)
  # encoder/decoder law: symmetric in (Ne, p_e) <-> (Nd, p_d)
  e = {"a": 0.5, "p_e": 0.2, "p_d": 0.35, "L_inf": 1.0}
  assert np.isclose(F["encoder_decoder"](e, {"Ne": 3e8, "Nd": 5e7}),
                    F["encoder_decoder"](dict(e, p_e=0.35, p_d=0.2), {"Ne": 5e7, "Nd": 3e8}))
  # downstream error: eps at infinite loss, decreasing as the loss falls
  d = {"eps": 0.75, "k": 20.0, "gamma": 1.2}
  assert np.isclose(F["downstream_error"](d, {"L": 1e3}), 0.75)
  assert np.isclose(F["downstream_error"](d, {"L": 2.0}), 0.75 - 20.0 * math.exp(-2.4))
  # broken power law without the break (x << d1) is a + b x^-c0
  bp = {"a": 0.1, "b": 5.0, "c0": 0.3, "c1": 0.5, "d1": 1e9, "f1": 0.2}
  assert np.isclose(F["broken_power_law"](bp, {"x": 10.0}), 0.1 + 5.0 * 10 ** -0.3, rtol=1e-9)
  # ... and past the break the local slope is -(c0 + c1)
  x = np.array([1e12, 1e13])
  yb = F["broken_power_law"](bp, {"x": x}) - 0.1
  assert np.isclose(-np.diff(np.log(yb))[0] / np.log(10), 0.8, atol=1e-3)
  # Farseer with g = 0 is E + B D^-beta with E = exp(a3 + b3), B = exp(a2 + b2), beta = exp(a1 + b1)
  fs = {"a1": 0.1, "b1": -1.2, "g1": 0.0, "a2": 0.5, "b2": 1.0, "g2": 0.0, "a3": 0.2, "b3": 0.3, "g3": 0.0}
  Dv = np.array([1e9, 1e10])
  assert np.allclose(F["farseer"](fs, {"N": np.array([1e8, 1e9]), "D": Dv}),
                     math.exp(0.5) + math.exp(1.5) * Dv ** -math.exp(-1.1))
  # PassUntil tends to 1 with scale
  pu = F["pass_until"]({"c": 1e3, "alpha": 0.5}, {"N": np.array([1e6, 1e8, 1e12])})
  assert np.all(np.diff(pu) > 0) and np.isclose(pu[0], math.exp(-1.0))


def test_form_errors_name_the_argument():
  with pytest.raises(ValueError, match="missing"):
    F["chinchilla"]({"E": 1.0}, {"N": 1.0, "D": 1.0})
  with pytest.raises(ValueError, match="inputs"):
    F["chinchilla"](forms.PUBLISHED["chinchilla"], {"N": 1.0})
  with pytest.raises(ValueError, match="form="):
    forms.get("nope")


# ------------------------------------------------------------------------- 4+3 phases (PLRF simulator)
def test_plrf_sgd_reaches_the_least_squares_limit_and_decreases():
  r = plrf.simulate(1.0, 0.7, d=30, steps=4000, batch=8, seed=0)
  risk = r["risk"]
  assert risk[-1] < risk[0] / 50
  assert np.all(np.diff(risk[::4]) < 0)                         # decreasing (up to SGD noise between samples)
  assert r["optimal_risk"] <= risk[-1] <= 1.5 * r["optimal_risk"]
  # the limit shrinks with the feature count d (the model-capacity term of the paper's loss curve)
  assert plrf.simulate(1.0, 0.7, d=60, steps=1, seed=0)["optimal_risk"] < r["optimal_risk"]
  assert r["flops"][-1] == 30 * 8 * r["steps"][-1]


def test_plrf_bad_input():
  with pytest.raises(ValueError, match="alpha"):
    plrf.problem(0.4, 0.5, 10, 40)
  with pytest.raises(ValueError, match="v="):
    plrf.problem(1.0, 0.5, 10, 5)


# ---------------------------------------------------------------------------------- WSD schedule
def test_wsd_schedule_values():
  s = schedules.wsd(2.0, 100, warmup_steps=10, cooldown_fraction=0.2)
  got = np.array([float(s(t)) for t in (0, 5, 10, 50, 80, 90, 100)])
  assert np.allclose(got, [0.0, 1.0, 2.0, 2.0, 2.0, 1.0, 0.0], atol=1e-6)
  q = schedules.wsd(1.0, 100, shape="1-sqrt")
  assert np.isclose(float(q(90)), 1 - math.sqrt(0.5), atol=1e-6)
  with pytest.raises(ValueError, match="cooldown_fraction"):
    schedules.wsd(1.0, 100, cooldown_fraction=0.0)
  with pytest.raises(ValueError, match="shape"):
    schedules.wsd(1.0, 100, shape="cos")
