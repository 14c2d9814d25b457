"""Points drawn from a paper's law with known parameters, for the scaling-law papers whose measurements are
neither released nor reproducible here (issue 21): ``experiments/<slug>/synthetic_points.csv``, fitted by
the paper's config (``sweep.kind = "fit"``) to show the law and the fitter recover the known parameters.
Every file says in its name and header that it is synthetic; no paper's number is in it. Also writes the
4+3-phase PLRF simulation (``experiments/4_3_phases_compute/plrf_points.csv``) and the one-row-per-model
pivot of the 104 models (``experiments/loss_to_loss/pivot.csv``: one column per evaluation set).

    python benchmarks/laws_synthetic.py
"""
from __future__ import annotations

import csv
import os
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
from lbrl.laws import forms, plrf  # noqa: E402

G = np.geomspace


def _nd(n=6, m=5):
  N, D = np.meshgrid(G(1e7, 1e9, n), G(1e9, 1e11, m), indexing="ij")
  return {"N": N.ravel(), "D": D.ravel()}


# slug -> (form, known parameters, inputs); noise: 0.5% multiplicative (log-normal), seed 0
TRUTH = {
    "scaling_learned_image_compression": ("pure_power_law", {"A": 3.0, "alpha": 0.08}, {"x": G(6.85e7, 1e9, 12)}),
    "scalability_diffusion_based_text": ("pure_power_law", {"A": 2.0, "alpha": 0.05}, {"x": G(1e19, 1e22, 15)}),
    "convnets_match_vision_transformers": ("pure_power_law", {"A": 40.0, "alpha": 0.06}, {"x": G(1e19, 1e23, 15)}),
    "scaling_laws_neural_machine": ("encoder_decoder", {"a": 0.8, "p_e": 0.2, "p_d": 0.3, "L_inf": 1.2},
                                    {"Ne": np.repeat(G(1e7, 1e9, 5), 5), "Nd": np.tile(G(1e7, 1e9, 5), 5)}),
    "scaling_laws_robust_comparison": ("power_law", {"E": 0.15, "A": 30.0, "alpha": 0.2}, {"x": G(1e8, 1.3e10, 15)}),
    "unlock_predictable_scaling_emergent": ("pass_until", {"c": 300.0, "alpha": 0.4}, {"N": G(1e7, 2.4e9, 12)}),
    "scaling_laws_sparsely_connected": ("sparsity", {"a_S": 200.0, "b_S": 1.2, "c_S": 100.0, "b_N": 0.35,
                                                     "a_D": 1e7, "b_D": 0.3, "c": 1.5},
                                        {"S": np.tile([0.0, 0.5, 0.75, 0.875, 0.9375], 6), **_nd()}),
    "scaling_laws_precision": ("precision", {"E": 1.8, "A": 480.0, "B": 2000.0, "alpha": 0.35, "beta": 0.37,
                                             "gamma_w": 2.5},
                               {**_nd(), "P_w": np.tile([3.0, 4.0, 6.0, 8.0, 16.0], 6)}),
    "scaling_laws_optimal_data": ("mixture", {"E": 1.5, "A": 400.0, "B": 900.0, "C": 0.4, "alpha": 0.3, "beta": 0.3,
                                              "gamma": 1.0, "r": 0.3},
                                  {**_nd(), "h": np.tile([0.0, 0.25, 0.5, 0.75, 1.0], 6)}),
    "performance_scaling_optimal_transport": ("power_law", {"E": 0.3, "A": 5.0, "alpha": 0.4}, {"x": G(1e3, 1e6, 15)}),
    "farseer": ("farseer", {"a1": 0.4, "b1": -1.5, "g1": 0.05, "a2": 1.0, "b2": 2.0, "g2": 0.05, "a3": 1.0,
                            "b3": -0.5, "g3": -0.05}, _nd()),
    "time_matters": ("time", {"E": 1.8, "A": 480.0, "B": 2000.0, "alpha": 0.35, "beta": 0.37},
                     {"N": _nd()["N"], "T": _nd()["D"] / 1e5, "R": np.full(30, 1e5)}),
    "scaling_laws_autoregressive_generative": ("power_law", {"E": 2.0, "A": 50.0, "alpha": 0.3}, {"x": G(1e5, 1e9, 15)}),
    "explaining_neural_scaling_laws": ("variance_limited", {"E": 0.2, "A": 30.0}, {"x": G(10, 1e4, 15)}),
    "scaling_laws_part1": ("kaplan_ns", dict(forms.PUBLISHED["kaplan_ns"]),
                           {"N": np.repeat(G(1e6, 6e7, 5), 5), "S": np.tile(G(1e3, 1e5, 5), 5)}),
    "research_without_re_search": ("power_law", {"E": 1.5, "A": 20.0, "alpha": 0.3}, {"x": G(1e4, 1e7, 10)}),
    "number_trainable_parameters_that": ("power_law", {"E": 1.5, "A": 20.0, "alpha": 0.3}, {"x": G(1e4, 1e7, 10)}),
    "honey_i_shrunk_language": ("power_law", {"E": 1.5, "A": 20.0, "alpha": 0.3}, {"x": G(1e10, 2e15, 12)}),
}


def write(path, cols: dict, header_note: str):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  keys = list(cols)
  with open(path, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(keys)
    for i in range(len(cols[keys[0]])):
      w.writerow([repr(float(cols[k][i])) if not isinstance(cols[k][i], str) else cols[k][i] for k in keys])
  print(f"{path}: {len(cols[keys[0]])} rows ({header_note})")


def main():
  for slug, (form, params, X) in TRUTH.items():
    y = forms.FORMS[form](params, X) * np.exp(np.random.default_rng(0).normal(0.0, 0.005, len(next(iter(X.values())))))
    write(os.path.join(REPO, "experiments", slug, "synthetic_points.csv"), {**X, "y": y}, f"synthetic, {form} {params}")
  # 4+3 phases: PLRF one-pass SGD risk curves at three feature counts
  rows = {"d": [], "steps": [], "flops": [], "risk": []}
  for d in (25, 50, 100):
    r = plrf.simulate(1.0, 0.7, d, steps=4000, batch=4, record=25, seed=0)
    for t, fl, rk in zip(r["steps"], r["flops"], r["risk"]):
      rows["d"].append(d)
      rows["steps"].append(t)
      rows["flops"].append(fl)
      rows["risk"].append(rk)
  write(os.path.join(REPO, "experiments", "4_3_phases_compute", "plrf_points.csv"), rows, "PLRF simulation, alpha=1, beta=0.7")
  # the 104 models, one row per model, one column per evaluation set
  src = "/work/shared/data/scaling_laws/overtraining_104_models.csv"
  if os.path.exists(src):
    by = {}
    for r in csv.DictReader(open(src)):
      m = by.setdefault(r["model"], {"train_dataset": r["train_dataset"], "params": r["params"], "tokens": r["tokens"]})
      m[r["eval_set"]] = r["eval_loss"]
    evals = sorted({k for v in by.values() for k in v} - {"train_dataset", "params", "tokens"})
    cols = {k: [v[k] for v in by.values()] for k in ["train_dataset"]}
    for k in ["params", "tokens"] + evals:
      cols[k] = [float(v[k]) for v in by.values()]
    write(os.path.join(REPO, "experiments", "loss_to_loss", "pivot.csv"), cols, "pivot of the 104 models (MIT)")


if __name__ == "__main__":
  main()
