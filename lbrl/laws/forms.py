"""Scaling-law functional forms as pure float64 NumPy functions, with each paper's published fits.

A :class:`Form` is ``y = fn(params, inputs)``: ``params`` and ``inputs`` are dicts of floats / arrays.
``positive`` parameters are fitted in log space (scales, offsets that must stay > 0); the others are
exponents bounded to ``bounds`` (default [0, 3]). ``inits`` is the grid of starting values the fitter
tries (every combination; the lowest objective is kept). Names and forms:

* ``power_law``        y = E + A x^-alpha                 (saturating power law; Henighan et al. 2020, "power law plus constant")
* ``pure_power_law``   y = A x^-alpha                     (log-log linear laws: ConvNets-vs-ViTs, diffusion T2I, compression)
* ``variance_limited`` y = E + A / x                      (Bahri et al. 2021: the variance-limited regime, exponent 1)
* ``kaplan_n`` / ``kaplan_d`` / ``kaplan_c``  L = (Xc / X)^alpha_X  (Kaplan et al. 2020, eqs. 1.1-1.3)
* ``kaplan_nd``        L = [(Nc/N)^(alpha_N/alpha_D) + Dc/D]^alpha_D  (Kaplan et al. 2020, eq. 1.5)
* ``kaplan_ns``        L = (Nc/N)^alpha_N + (Sc/S_min)^alpha_S  (Kaplan et al. 2020, eq. 1.6; Su et al. 2024)
* ``chinchilla``       L = E + A/N^alpha + B/D^beta       (Hoffmann et al. 2022, Approach 3)
* ``overtraining``     L = E + (a M^eta + b M^-eta) C^-eta, M = D/N, C = 6 N D  (Gadre et al. 2024, eq. 4)
* ``downstream_error`` Err = eps - k exp(-gamma L)        (Gadre et al. 2024, eq. 5)
* ``shifted_power_law`` L_y = K (L_x - E_x)^kappa + E_y   (Brandfonbrener et al. 2024, loss-to-loss)
* ``broken_power_law`` y = a + b x^-c0 (1 + (x/d1)^(1/f1))^(-c1 f1)  (Caballero et al. 2023, one break)
* ``precision``        L = A N_eff^-alpha + B D^-beta + E, N_eff = N (1 - exp(-P_w / gamma_w))  (Kumar et al. 2024,
                       weights-only form of eq. 4; P_w = training bits of the weights)
* ``sparsity``         L = (a_S (1 - S)^b_S + c_S) (1/N)^b_N + (a_D / D)^b_D + c  (Frantar et al. 2023, eq. 1;
                       N = non-zero parameters, S = sparsity)
* ``encoder_decoder``  L = a (Ne_bar/Ne)^p_e (Nd_bar/Nd)^p_d + L_inf  (Ghorbani et al. 2021, eq. 1;
                       Ne_bar, Nd_bar fixed normalisers: :data:`NMT_NORM`)
* ``mixture``          L = E + A/N^alpha + B/D^beta + C / (sum_j c_j h_j)^gamma  (an additive mixture law after
                       Shukor et al. 2025; here for two domains: h = weight of domain 1, c_1 = 1, c_2 = r)
* ``time``             L = E + A/N^alpha + B/(T R)^beta    (Time Matters: the Chinchilla law with D = T R, tokens
                       per second R times training time T)
* ``farseer``          L = exp(a3 N^g3 + b3) + exp(a2 N^g2 + b2) D^(-exp(a1 N^g1 + b1))  (Li et al. 2025, eq. 6)
* ``pass_until``       PU = exp(-c N^-alpha)              (Hu et al. 2023: the task scaling law of PassUntil)

The 4+3-phase solvable model (Paquette et al. 2024) is a simulator, :mod:`lbrl.laws.plrf`.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np


@dataclasses.dataclass(frozen=True)
class Form:
  """``y = fn(params, inputs)``; ``positive`` parameters are fitted in log space; ``inits`` is the grid of
  starting values; ``bounds`` bound the other parameters (default (0, 3) each). ``expr`` is written in
  ``jax.numpy`` (the fitter differentiates it); ``fn`` and calling the form evaluate it in float64 NumPy
  (``fn(params, inputs)`` has the signature of :class:`lbrl.tools.kinds.fit.Law`)."""
  params: tuple[str, ...]
  inputs: tuple[str, ...]
  expr: Callable[[dict, dict], np.ndarray]
  positive: tuple[str, ...]
  inits: dict
  formula: str
  paper: str = ""
  bounds: dict = dataclasses.field(default_factory=dict)

  def __call__(self, params: dict, inputs: dict) -> np.ndarray:
    missing = [p for p in self.params if p not in params]
    if missing:
      raise ValueError(f"params: missing {missing} for {self.formula}")
    absent = [x for x in self.inputs if x not in inputs]
    if absent:
      raise ValueError(f"inputs: missing {absent} for {self.formula}; expected {list(self.inputs)}")
    return self.fn({k: float(params[k]) for k in self.params}, {k: inputs[k] for k in self.inputs})

  def fn(self, params: dict, inputs: dict) -> np.ndarray:
    """``expr`` evaluated in float64, as a NumPy array."""
    with jax.enable_x64(True):
      X = {k: np.asarray(v, np.float64) for k, v in inputs.items()}
      return np.asarray(self.expr(params, X), np.float64)


def _e(x):
  return jnp.exp(jnp.clip(x, -700.0, 700.0))


NMT_NORM = {"Ne_bar": 1e8, "Nd_bar": 1e8}   # the normalisers of encoder_decoder (a change of units of a)

FORMS: dict[str, Form] = {
    "power_law": Form(("E", "A", "alpha"), ("x",), lambda p, X: p["E"] + p["A"] * X["x"] ** -p["alpha"],
                      ("E", "A"), {"E": [0.1, 1.0], "A": [1.0, 100.0], "alpha": [0.1, 0.5, 1.0]},
                      "y = E + A * x^(-alpha)", "Henighan et al. 2020 (arXiv:2010.14701)"),
    "pure_power_law": Form(("A", "alpha"), ("x",), lambda p, X: p["A"] * X["x"] ** -p["alpha"],
                           ("A",), {"A": [1.0, 100.0], "alpha": [0.05, 0.3, 1.0]}, "y = A * x^(-alpha)"),
    "variance_limited": Form(("E", "A"), ("x",), lambda p, X: p["E"] + p["A"] / X["x"], ("E", "A"),
                             {"E": [0.01, 1.0], "A": [1.0, 100.0]}, "y = E + A / x",
                             "Bahri et al. 2021 (arXiv:2102.06701)"),
    "kaplan_n": Form(("Nc", "alpha_N"), ("N",), lambda p, X: (p["Nc"] / X["N"]) ** p["alpha_N"], ("Nc",),
                     {"Nc": [1e8, 1e14], "alpha_N": [0.05, 0.3]}, "L = (Nc / N)^alpha_N",
                     "Kaplan et al. 2020 (arXiv:2001.08361) eq. 1.1"),
    "kaplan_d": Form(("Dc", "alpha_D"), ("D",), lambda p, X: (p["Dc"] / X["D"]) ** p["alpha_D"], ("Dc",),
                     {"Dc": [1e8, 1e14], "alpha_D": [0.05, 0.3]}, "L = (Dc / D)^alpha_D", "Kaplan et al. 2020 eq. 1.2"),
    "kaplan_c": Form(("Cc", "alpha_C"), ("C",), lambda p, X: (p["Cc"] / X["C"]) ** p["alpha_C"], ("Cc",),
                     {"Cc": [1e2, 1e9], "alpha_C": [0.03, 0.3]}, "L = (Cc / C)^alpha_C (C in PF-days)",
                     "Kaplan et al. 2020 eq. 1.3"),
    "kaplan_nd": Form(("Nc", "Dc", "alpha_N", "alpha_D"), ("N", "D"),
                      lambda p, X: ((p["Nc"] / X["N"]) ** (p["alpha_N"] / p["alpha_D"]) + p["Dc"] / X["D"]) ** p["alpha_D"],
                      ("Nc", "Dc"), {"Nc": [1e8, 1e14], "Dc": [1e8, 1e14], "alpha_N": [0.05, 0.3], "alpha_D": [0.05, 0.3]},
                      "L = [(Nc/N)^(alpha_N/alpha_D) + Dc/D]^alpha_D", "Kaplan et al. 2020 eq. 1.5",
                      {"alpha_D": (1e-3, 3.0)}),
    "kaplan_ns": Form(("Nc", "Sc", "alpha_N", "alpha_S"), ("N", "S"),
                      lambda p, X: (p["Nc"] / X["N"]) ** p["alpha_N"] + (p["Sc"] / X["S"]) ** p["alpha_S"],
                      ("Nc", "Sc"), {"Nc": [1e8, 1e14], "Sc": [1e2, 1e4], "alpha_N": [0.05, 0.3], "alpha_S": [0.3, 1.0]},
                      "L = (Nc/N)^alpha_N + (Sc/S_min)^alpha_S", "Kaplan et al. 2020 eq. 1.6; Su et al. 2024 (arXiv:2403.06563)"),
    "chinchilla": Form(("E", "A", "B", "alpha", "beta"), ("N", "D"),
                       lambda p, X: p["E"] + p["A"] / X["N"] ** p["alpha"] + p["B"] / X["D"] ** p["beta"],
                       ("E", "A", "B"),
                       {"E": [0.5, 1.5, 2.5], "A": [np.exp(2.5), np.exp(7.5)], "B": [np.exp(2.5), np.exp(7.5)],
                        "alpha": [0.2, 0.5], "beta": [0.2, 0.5]},
                       "L = E + A / N^alpha + B / D^beta", "Hoffmann et al. 2022 (arXiv:2203.15556) Approach 3"),
    "overtraining": Form(("E", "a", "b", "eta"), ("N", "D"),
                         lambda p, X: p["E"] + (p["a"] * (X["D"] / X["N"]) ** p["eta"]
                                                + p["b"] * (X["D"] / X["N"]) ** -p["eta"]) * (6.0 * X["N"] * X["D"]) ** -p["eta"],
                         ("E", "a", "b"), {"E": [0.5, 1.5, 2.5], "a": [1e1, 1e2, 1e3], "b": [1e2, 1e3, 1e4], "eta": [0.05, 0.15]},
                         "L = E + (a M^eta + b M^-eta) C^-eta, M = D/N, C = 6 N D",
                         "Gadre et al. 2024 (arXiv:2403.08540) eq. 4"),
    "downstream_error": Form(("eps", "k", "gamma"), ("L",), lambda p, X: p["eps"] - p["k"] * _e(-p["gamma"] * X["L"]),
                             ("eps", "k"), {"eps": [0.5, 0.9], "k": [1.0, 100.0], "gamma": [0.5, 1.5, 3.0]},
                             "Err = eps - k exp(-gamma L)", "Gadre et al. 2024 eq. 5", {"gamma": (0.0, 20.0)}),
    "shifted_power_law": Form(("K", "kappa", "E_x", "E_y"), ("Lx",),
                              lambda p, X: p["K"] * jnp.maximum(X["Lx"] - p["E_x"], 1e-12) ** p["kappa"] + p["E_y"],
                              ("K", "E_x", "E_y"), {"K": [0.5, 2.0], "kappa": [0.5, 1.0, 1.5], "E_x": [0.5, 1.5], "E_y": [0.5, 1.5]},
                              "L_y = K (L_x - E_x)^kappa + E_y", "Brandfonbrener et al. 2024 (arXiv:2411.12925) eq. 3"),
    "broken_power_law": Form(("a", "b", "c0", "c1", "d1", "f1"), ("x",),
                             lambda p, X: p["a"] + p["b"] * X["x"] ** -p["c0"]
                             * (1.0 + (X["x"] / p["d1"]) ** (1.0 / p["f1"])) ** (-p["c1"] * p["f1"]),
                             ("a", "b", "d1", "f1"),
                             {"a": [0.1, 1.0], "b": [1.0, 10.0], "c0": [0.1, 0.5], "c1": [0.1, 0.5], "d1": [1e2, 1e4],
                              "f1": [0.3]},
                             "y = a + b x^-c0 (1 + (x/d1)^(1/f1))^(-c1 f1)", "Caballero et al. 2023 (arXiv:2210.14891) eq. 1"),
    "precision": Form(("E", "A", "B", "alpha", "beta", "gamma_w"), ("N", "D", "P_w"),
                      lambda p, X: p["A"] * (X["N"] * (1.0 - _e(-X["P_w"] / p["gamma_w"]))) ** -p["alpha"]
                      + p["B"] * X["D"] ** -p["beta"] + p["E"],
                      ("E", "A", "B", "gamma_w"),
                      {"E": [0.5, 1.5], "A": [np.exp(2.5), np.exp(7.5)], "B": [np.exp(2.5), np.exp(7.5)],
                       "alpha": [0.2, 0.5], "beta": [0.2, 0.5], "gamma_w": [1.0, 3.0]},
                      "L = A N_eff^-alpha + B D^-beta + E, N_eff = N (1 - exp(-P_w / gamma_w))",
                      "Kumar et al. 2024 (arXiv:2411.04330) eq. 4, weights only"),
    "sparsity": Form(("a_S", "b_S", "c_S", "b_N", "a_D", "b_D", "c"), ("S", "N", "D"),
                     lambda p, X: (p["a_S"] * (1.0 - X["S"]) ** p["b_S"] + p["c_S"]) * (1.0 / X["N"]) ** p["b_N"]
                     + (p["a_D"] / X["D"]) ** p["b_D"] + p["c"],
                     ("a_S", "c_S", "a_D", "c"),
                     {"a_S": [10.0, 1e3], "b_S": [0.5, 1.5], "c_S": [10.0, 1e3], "b_N": [0.3], "a_D": [1e6, 1e9], "b_D": [0.3],
                      "c": [0.5, 1.5]},
                     "L = (a_S (1-S)^b_S + c_S) (1/N)^b_N + (a_D/D)^b_D + c", "Frantar et al. 2023 (arXiv:2309.08520) eq. 1"),
    "encoder_decoder": Form(("a", "p_e", "p_d", "L_inf"), ("Ne", "Nd"),
                            lambda p, X: p["a"] * (NMT_NORM["Ne_bar"] / X["Ne"]) ** p["p_e"]
                            * (NMT_NORM["Nd_bar"] / X["Nd"]) ** p["p_d"] + p["L_inf"],
                            ("a", "L_inf"), {"a": [0.1, 1.0], "p_e": [0.1, 0.4], "p_d": [0.1, 0.4], "L_inf": [0.5, 1.5]},
                            "L = a (Ne_bar/Ne)^p_e (Nd_bar/Nd)^p_d + L_inf (Ne_bar = Nd_bar = 1e8)",
                            "Ghorbani et al. 2021 (arXiv:2109.07740) eq. 1"),
    "mixture": Form(("E", "A", "B", "C", "alpha", "beta", "gamma", "r"), ("N", "D", "h"),
                    lambda p, X: p["E"] + p["A"] / X["N"] ** p["alpha"] + p["B"] / X["D"] ** p["beta"]
                    + p["C"] / (X["h"] + p["r"] * (1.0 - X["h"])) ** p["gamma"],
                    ("E", "A", "B", "C", "r"),
                    {"E": [1.0], "A": [np.exp(2.5), np.exp(7.5)], "B": [np.exp(2.5), np.exp(7.5)], "C": [0.1, 1.0],
                     "alpha": [0.3], "beta": [0.3], "gamma": [0.5, 1.5], "r": [0.1, 1.0]},
                    "L = E + A/N^alpha + B/D^beta + C / (h + r (1 - h))^gamma",
                    "after Shukor et al. 2025 (arXiv:2507.09404), additive law, two domains"),
    "time": Form(("E", "A", "B", "alpha", "beta"), ("N", "T", "R"),
                 lambda p, X: p["E"] + p["A"] / X["N"] ** p["alpha"] + p["B"] / (X["T"] * X["R"]) ** p["beta"],
                 ("E", "A", "B"),
                 {"E": [0.5, 1.5, 2.5], "A": [np.exp(2.5), np.exp(7.5)], "B": [np.exp(2.5), np.exp(7.5)],
                  "alpha": [0.2, 0.5], "beta": [0.2, 0.5]},
                 "L = E + A/N^alpha + B/(T R)^beta (D = T R tokens)", "Time Matters: Scaling Laws for Any Budget"),
    "farseer": Form(("a1", "b1", "g1", "a2", "b2", "g2", "a3", "b3", "g3"), ("N", "D"),
                    lambda p, X: _e(p["a3"] * X["N"] ** p["g3"] + p["b3"])
                    + _e(p["a2"] * X["N"] ** p["g2"] + p["b2"]) * X["D"] ** -_e(p["a1"] * X["N"] ** p["g1"] + p["b1"]),
                    (), {"a1": [-1.0, 1.0], "b1": [-1.0], "g1": [0.1], "a2": [1.0], "b2": [2.0], "g2": [0.1],
                         "a3": [1.0], "b3": [0.0], "g3": [-0.1]},
                    "L = exp(a3 N^g3 + b3) + exp(a2 N^g2 + b2) D^(-exp(a1 N^g1 + b1))",
                    "Li et al. 2025, Farseer (arXiv:2506.10972) eq. 6",
                    {k: (-30.0, 30.0) for k in ("a1", "b1", "a2", "b2", "a3", "b3")} | {k: (-1.0, 1.0) for k in ("g1", "g2", "g3")}),
    "pass_until": Form(("c", "alpha"), ("N",), lambda p, X: _e(-p["c"] * X["N"] ** -p["alpha"]), ("c",),
                       {"c": [1e2, 1e5], "alpha": [0.2, 0.6]}, "PU = exp(-c N^-alpha)",
                       "Hu et al. 2023 (arXiv:2310.03262)"),
}

# Published fits (each with its source). Units: N parameters, D tokens (Kaplan: non-embedding N, C in PF-days).
PUBLISHED = {
    "kaplan_n": {"Nc": 8.8e13, "alpha_N": 0.076},            # Kaplan et al. 2020, eq. 1.1
    "kaplan_d": {"Dc": 5.4e13, "alpha_D": 0.095},            # eq. 1.2
    "kaplan_c": {"Cc": 3.1e8, "alpha_C": 0.050},             # eq. 1.3 (C_min, PF-days)
    "kaplan_nd": {"Nc": 6.4e13, "Dc": 1.8e13, "alpha_N": 0.076, "alpha_D": 0.103},   # Table 2 (eq. 1.5 fit)
    "kaplan_ns": {"Nc": 6.5e13, "Sc": 2.1e3, "alpha_N": 0.077, "alpha_S": 0.76},     # Table 2 (eq. 1.6 fit)
    "chinchilla": {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28},   # Hoffmann et al. 2022, eq. 10
    "chinchilla_besiroglu": {"E": 1.8172, "A": 482.01, "B": 2085.43, "alpha": 0.3478, "beta": 0.3658},  # arXiv:2404.10102 Table 1
}
# Besiroglu et al. 2024 (Table 1): standard errors of their refit (bootstrap).
PUBLISHED_STDERR = {"chinchilla_besiroglu": {"E": 0.03, "A": 124.58, "B": 1293.23, "alpha": 0.02, "beta": 0.02}}
# Kaplan et al. 2020: critical batch size B_crit(L) = B_star / L^(1 / alpha_B) (eq. 1.4), tokens.
KAPLAN_CRITICAL_BATCH = {"B_star": 2e8, "alpha_B": 0.21}


def get(name: str) -> Form:
  if name not in FORMS:
    raise ValueError(f"form={name!r}; known: {', '.join(sorted(FORMS))}")
  return FORMS[name]


def critical_batch(loss, B_star: float = KAPLAN_CRITICAL_BATCH["B_star"],
                   alpha_B: float = KAPLAN_CRITICAL_BATCH["alpha_B"]) -> np.ndarray:
  """Kaplan et al. 2020 eq. 1.4: the critical batch size (tokens) at loss L, ``B_crit = B_star / L^(1/alpha_B)``."""
  loss = np.asarray(loss, np.float64)
  if np.any(loss <= 0):
    raise ValueError("loss must be positive")
  return B_star / loss ** (1.0 / alpha_B)


def min_steps(steps, batch, loss, **kw) -> np.ndarray:
  """Kaplan et al. 2020 eq. 5.4: ``S_min = S / (1 + B_crit(L) / B)``, the steps at a very large batch."""
  return np.asarray(steps, np.float64) / (1.0 + critical_batch(loss, **kw) / np.asarray(batch, np.float64))


def kaplan_overfit_tokens(N) -> np.ndarray:
  """Kaplan et al. 2020 eq. 4.4: the tokens that keep overfitting in check, ``D >~ 5e3 N^0.74``."""
  return 5e3 * np.asarray(N, np.float64) ** 0.74
