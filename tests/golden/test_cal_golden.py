"""Smooth ECE against the authors' relplot (recorded in cal_relplot.npz by regen_cal_relplot.py).

relplot rounds the forecasts onto a grid and convolves by FFT; lbrl integrates the reflected-kernel sum on
a grid, so the two agree to about 1%, not to float precision."""
import os

import numpy as np
import pytest

from lbrl.evaluation import calibration as cal

REF = np.load(os.path.join(os.path.dirname(__file__), "cal_relplot.npz"))


@pytest.mark.parametrize("name", ["calibrated", "overconfident", "edges"])
def test_smooth_ece_matches_relplot(name):
  f, y = REF[f"{name}_f"], REF[f"{name}_y"]
  np.testing.assert_allclose(float(cal.smooth_ece(f, y)), float(REF[f"{name}_smece"]), rtol=0.02, atol=1e-3)
  for sigma in (0.05, 0.1):
    np.testing.assert_allclose(float(cal.smooth_ece_at(f, y, sigma=sigma)), float(REF[f"{name}_smece_sigma{sigma}"]),
                               rtol=0.02, atol=1e-3)
