"""``python -m lbrl.laws``: fit, predict and allocate with scaling laws from the command line.

    python -m lbrl.laws fit --form chinchilla --data points.csv --x params,tokens --y loss \\
        [--where col=value ...] [--drop-highest 5] [--huber-delta 1e-3] [--bootstrap 1000] [--seed 0]
        [--inits '{"E": [1, 2]}'] [--plot fit.png]
    python -m lbrl.laws predict --form chinchilla --params '{"E": 1.69, ...}' --at N=7e10,D=1.4e12
    python -m lbrl.laws optimal --params '{"A": ..., "B": ..., "alpha": ..., "beta": ...}' --flops 5.76e23

``--x`` names the CSV columns of the form's inputs in order (``chinchilla``: N, D). ``fit`` prints its
progress and, on its last line, one JSON object: the parameters, ``"stderr"`` and ``"ci95"`` (with
``--bootstrap``), and ``form``, ``objective``, ``n``, ``huber_delta``. ``predict`` prints
``{"prediction": [...]}``; ``optimal`` prints ``{"N": ..., "D": ..., "tokens_per_param": ..., "a": ...}``
(with ``--fit-json`` from a bootstrapped fit: intervals too). ``predict`` and ``optimal`` read the
parameters from ``--params`` (JSON text) or ``--fit-json`` (a file holding ``fit``'s last line).
"""
from __future__ import annotations

import argparse
import csv
import json
import sys

import numpy as np

from lbrl.laws import fitting, forms


def read_points(path: str, x_cols: list[str], y_col: str, where: list[str] | None = None):
  conds = {}
  for w in where or []:
    k, sep, v = w.partition("=")
    if not sep:
      raise ValueError(f"--where {w!r}: expected column=value")
    conds[k] = v
  with open(path) as f:
    reader = csv.DictReader(f)
    cols = reader.fieldnames or []
    for c in list(x_cols) + [y_col] + list(conds):
      if c not in cols:
        raise ValueError(f"column {c!r} is not in {path} (columns: {cols})")
    rows = [r for r in reader if all(r[k] == v for k, v in conds.items())]
  X = [np.array([float(r[c]) for r in rows]) for c in x_cols]
  return X, np.array([float(r[y_col]) for r in rows])


def _params(args) -> dict:
  if args.fit_json:
    return json.load(open(args.fit_json))
  if args.params:
    return json.loads(args.params)
  raise ValueError("give the parameters: --params '{...}' or --fit-json fit.json")


def plot(form, fit_res: fitting.Fit, X: dict, y, path: str) -> None:
  """Data, fit and (with bootstrap samples) the 95% band of the prediction, against the form's first input."""
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  first = form.inputs[0]
  fig, ax = plt.subplots(figsize=(6, 4))
  # curves along the first input; with N and D, one curve per compute budget 6 N D (isoFLOP profiles),
  # otherwise one per value of the second input (rounded to 0.25 decades)
  if len(form.inputs) == 1:
    key, label = np.zeros_like(y), None
  elif {"N", "D"} <= set(form.inputs):
    key, label = np.round(4 * np.log10(6 * X["N"] * X["D"])) / 4, "C=6ND~1e{}"
  else:
    key, label = np.round(4 * np.log10(np.maximum(X[form.inputs[1]], 1e-300))) / 4, form.inputs[1] + "~1e{}"
  groups = sorted(set(key.tolist()))
  if len(groups) > 10:
    groups = groups[:: int(np.ceil(len(groups) / 10))]
  for g in groups:
    m = key == g
    order = np.argsort(X[first][m])
    sub = {k: v[m][order] for k, v in X.items()}
    pts = ax.scatter(sub[first], y[m][order], s=10, label=None if label is None else label.format(g))
    ax.plot(sub[first], form(fit_res.params, sub), color=pts.get_facecolor()[0], lw=1)
    if fit_res.samples is not None:
      preds = np.array([form({p: fit_res.samples[p][i] for p in form.params}, sub)
                        for i in range(len(next(iter(fit_res.samples.values()))))])
      lo, hi = np.quantile(preds, [0.025, 0.975], axis=0)
      ax.fill_between(sub[first], lo, hi, color=pts.get_facecolor()[0], alpha=0.2, lw=0)
  ax.set_xscale("log")
  ax.set_yscale("log")
  ax.set_xlabel(first)
  ax.set_ylabel("y")
  ax.set_title(form.formula, fontsize=8)
  if label is not None:
    ax.legend(fontsize=6)
  fig.tight_layout()
  fig.savefig(path, dpi=120)
  plt.close(fig)


def main(argv=None) -> dict:
  ap = argparse.ArgumentParser(prog="python -m lbrl.laws", description=__doc__.split("\n")[0])
  sub = ap.add_subparsers(dest="cmd", required=True)
  f = sub.add_parser("fit", help="fit a form to a CSV table")
  f.add_argument("--form", default="chinchilla", choices=sorted(forms.FORMS))
  f.add_argument("--data", required=True)
  f.add_argument("--x", required=True, help="comma-separated CSV columns, one per input of the form, in order")
  f.add_argument("--y", required=True)
  f.add_argument("--where", action="append", help="column=value: keep only these rows (repeatable)")
  f.add_argument("--drop-highest", type=int, default=0)
  f.add_argument("--huber-delta", type=float, default=1e-3)
  f.add_argument("--residual", default="log", choices=["log", "linear"])
  f.add_argument("--inits", default=None, help='JSON: parameter -> starting values, replacing the grid for those')
  f.add_argument("--bootstrap", type=int, default=0)
  f.add_argument("--seed", type=int, default=0)
  f.add_argument("--plot", default=None, help="write a PNG of data, fit and the bootstrap band")
  p = sub.add_parser("predict", help="evaluate a form")
  p.add_argument("--form", default="chinchilla", choices=sorted(forms.FORMS))
  p.add_argument("--params")
  p.add_argument("--fit-json")
  p.add_argument("--at", required=True, action="append", help="input=v1;v2 pairs joined by commas, e.g. N=1e9,D=2e10")
  o = sub.add_parser("optimal", help="compute-optimal N*, D* for FLOP budgets (chinchilla form, C = 6 N D)")
  o.add_argument("--params")
  o.add_argument("--fit-json")
  o.add_argument("--flops", required=True, help="comma-separated FLOP budgets")
  args = ap.parse_args(argv)

  if args.cmd == "fit":
    form = forms.get(args.form)
    cols = [c.strip() for c in args.x.split(",")]
    if len(cols) != len(form.inputs):
      raise SystemExit(f"--x: the form {args.form} takes {len(form.inputs)} inputs {list(form.inputs)}, got {cols}")
    xs, y = read_points(args.data, cols, args.y, args.where)
    X = dict(zip(form.inputs, xs))
    if args.drop_highest:
      keep = np.sort(np.argsort(y, kind="stable")[: len(y) - args.drop_highest])
      X, y = {k: v[keep] for k, v in X.items()}, y[keep]
    print(f"fitting {form.formula} to {len(y)} points of {args.data} "
          f"({args.drop_highest} highest dropped; Huber delta {args.huber_delta}, {args.residual} residuals)", flush=True)
    res = fitting.fit(form, X, y, huber_delta=args.huber_delta, residual=args.residual,
                      inits=json.loads(args.inits) if args.inits else None)
    if args.bootstrap:
      print(f"bootstrap: {args.bootstrap} resamples", flush=True)
      fitting.bootstrap(form, X, y, res, n=args.bootstrap, seed=args.seed)
    if args.plot:
      plot(form, res, X, y, args.plot)
      print(f"plot: {args.plot}")
    out = res.to_json()
    out.update(drop_highest=args.drop_highest)
  elif args.cmd == "predict":
    form = forms.get(args.form)
    params = _params(args)
    at = {}
    for a in args.at:
      for kv in a.split(","):
        k, sep, v = kv.partition("=")
        if not sep:
          raise SystemExit(f"--at {kv!r}: expected input=value")
        at[k.strip()] = np.array([float(t) for t in v.split(";")])
    out = {"prediction": form(params, at).tolist()}
  else:
    params = _params(args)
    budgets = np.array([float(t) for t in args.flops.split(",")])
    samples = None
    if args.fit_json and "ci95" in params:
      print("note: intervals need the bootstrap samples; --fit-json gives point estimates only")
    r = fitting.optimal_allocation(params, budgets, samples=samples)
    out = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in r.items()}
  print(json.dumps(out))
  return out


if __name__ == "__main__":
  main(sys.argv[1:])
