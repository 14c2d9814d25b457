"""Regenerates cal_relplot.npz: smooth ECE (Blasiok & Nakkiran, arXiv:2309.12236) from the authors' package
``relplot`` (``relplot.smECE`` at its automatic bandwidth, and ``relplot.metrics.smECE_sigma`` at fixed ones),
on float64 forecasts/outcomes, including forecasts exactly 0 and 1.

Run by hand in a separate venv (never the project's, never in CI):
    /work/torchenv/bin/pip install relplot && /work/torchenv/bin/python tests/golden/regen_cal_relplot.py
"""
import os
from importlib import metadata

import numpy as np
import relplot
from relplot import metrics


def cases():
  rng = np.random.default_rng(0)
  out = {}
  f = rng.uniform(0, 1, 2000)
  out["calibrated"] = (f, (rng.uniform(size=f.size) < f).astype(float))
  f = rng.uniform(0, 1, 2000)
  out["overconfident"] = (f, (rng.uniform(size=f.size) < 0.5 + 0.6 * (f - 0.5)).astype(float))
  f = np.clip(rng.beta(0.5, 0.5, 1500), 0, 1)
  f[:20] = 0.0
  f[20:40] = 1.0
  out["edges"] = (f, (rng.uniform(size=f.size) < np.clip(f + 0.1, 0, 1)).astype(float))
  return out


def main():
  arrays = {"version_relplot": metadata.version("relplot"), "version_numpy": np.__version__}
  for name, (f, y) in cases().items():
    arrays[f"{name}_f"], arrays[f"{name}_y"] = f, y
    arrays[f"{name}_smece"] = float(relplot.smECE(f, y))
    for sigma in (0.05, 0.1):
      arrays[f"{name}_smece_sigma{sigma}"] = float(metrics.smECE_sigma(f, y, sigma))
  path = os.path.join(os.path.dirname(__file__), "cal_relplot.npz")
  np.savez(path, **arrays)
  print("wrote", path, {k: v for k, v in arrays.items() if np.ndim(v) == 0})


if __name__ == "__main__":
  main()
