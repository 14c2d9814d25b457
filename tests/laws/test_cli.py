"""``python -m lbrl.laws`` on the released CSVs: fit prints one JSON object on its last line (parameters,
stderr and ci95 with --bootstrap), predict and optimal agree with the library."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from lbrl.laws import cli, fitting, forms

SCALING = "/work/shared/data/scaling_laws"
CHIN = os.path.join(SCALING, "chinchilla_figure4_points.csv")
OT = os.path.join(SCALING, "overtraining_104_models.csv")
needs_data = pytest.mark.skipif(not os.path.exists(CHIN), reason="no shared scaling-law data")


def _last_json(capsys):
  lines = capsys.readouterr().out.strip().splitlines()
  return json.loads(lines[-1])


@needs_data
def test_fit_chinchilla_with_drop_and_bootstrap(capsys, tmp_path):
  start = json.dumps({"E": [1.5], "A": [200.0], "B": [800.0], "alpha": [0.3], "beta": [0.3]})
  png = tmp_path / "fit.png"
  cli.main(["fit", "--form", "chinchilla", "--data", CHIN, "--x", "params,tokens", "--y", "loss",
            "--drop-highest", "5", "--huber-delta", "1e-3", "--bootstrap", "3", "--inits", start, "--plot", str(png)])
  out = _last_json(capsys)
  assert {"E", "A", "B", "alpha", "beta", "stderr", "ci95"} <= set(out) and out["n"] == 240
  assert set(out["stderr"]) == {"E", "A", "B", "alpha", "beta"}
  # Besiroglu et al.'s refit (Table 1), an independent implementation of the same protocol: within 2 s.e.
  pub, se = forms.PUBLISHED["chinchilla_besiroglu"], forms.PUBLISHED_STDERR["chinchilla_besiroglu"]
  assert all(abs(out[k] - pub[k]) <= 2 * se[k] for k in pub), out
  assert png.stat().st_size > 1000


@needs_data
def test_fit_with_where_filters_on_the_104_models(capsys):
  cli.main(["fit", "--form", "power_law", "--data", OT, "--x", "params", "--y", "eval_loss",
            "--where", "eval_set=c4_val", "--where", "train_dataset=c4_original", "--where", "chinchilla_multiplier=1.0"])
  out = _last_json(capsys)
  assert out["n"] == 6 and 0 < out["alpha"] < 3 and set(out) >= {"E", "A", "alpha"}
  with pytest.raises(ValueError, match="column 'nope'"):
    cli.main(["fit", "--form", "power_law", "--data", OT, "--x", "nope", "--y", "eval_loss"])
  with pytest.raises(SystemExit):
    cli.main(["fit", "--form", "chinchilla", "--data", OT, "--x", "params", "--y", "eval_loss"])


def test_predict_and_optimal(capsys):
  p = json.dumps(forms.PUBLISHED["chinchilla"])
  cli.main(["predict", "--form", "chinchilla", "--params", p, "--at", "N=7e10;1e9,D=1.4e12;2e10"])
  out = _last_json(capsys)
  ref = forms.FORMS["chinchilla"](forms.PUBLISHED["chinchilla"], {"N": np.array([7e10, 1e9]), "D": np.array([1.4e12, 2e10])})
  assert np.allclose(out["prediction"], ref)
  cli.main(["optimal", "--params", p, "--flops", "5.76e23,1e21"])
  out = _last_json(capsys)
  ref = fitting.optimal_allocation(forms.PUBLISHED["chinchilla"], np.array([5.76e23, 1e21]))
  assert np.allclose(out["N"], ref["N"]) and np.allclose(out["D"], ref["D"])


def test_module_entry_point():
  r = subprocess.run([sys.executable, "-m", "lbrl.laws", "predict", "--form", "power_law", "--params",
                      '{"E": 1.0, "A": 2.0, "alpha": 0.5}', "--at", "x=4"], capture_output=True, text=True, check=True)
  assert json.loads(r.stdout.strip().splitlines()[-1]) == {"prediction": [2.0]}
