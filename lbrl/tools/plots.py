"""The one plot module of the reports: a figure per experiment kind, written as ``<out>/<kind>.png``.

Every figure shows the quantity the verdict is about on its own scale (points with 95% intervals, never
bars from zero): sweeps and analyses show each arm's seeds, mean and interval and the paper's number, and
the metric over training; grids the surface as one curve per value of the first axis; fits observed
against predicted values; benchmarks each measured ratio against its threshold on a log scale.
"""
from __future__ import annotations

import numpy as np


def _plt():
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  return plt


def mean_curve(curves) -> np.ndarray | None:
  """``[[step, mean over runs], ...]`` of logged ``[[step, value], ...]`` curves, over the steps every run
  logged (None when no run logged one)."""
  curves = [np.asarray(c, dtype=float) for c in curves if c is not None and len(c)]
  if not curves:
    return None
  n = min(len(c) for c in curves)
  return np.stack([curves[0][:n, 0], np.mean([c[:n, 1] for c in curves], 0)], 1)


def sweep(res: dict, path: str) -> str:
  plt = _plt()
  records, metric, arms = res["runs"], res["metric"], list(res["arms"])
  tuning = res.get("tuning")
  ncol = 3 if tuning else 2
  fig, axs = plt.subplots(1, ncol, figsize=(6 * ncol, 4.2))
  ax1, ax2 = axs[0], axs[1]
  plotted = False
  for arm in arms:
    c = mean_curve([r.get("curve") for r in records if r["arm"] == arm])
    if c is not None:
      ax1.plot(c[:, 0], c[:, 1], marker=".", label=arm)
      plotted = True
  ax1.set_xlabel("step"); ax1.set_ylabel(metric); ax1.set_title(f"{metric} during training (mean over seeds)")
  if plotted:
    ax1.legend(fontsize=7)
  else:
    ax1.text(0.5, 0.5, f"{metric} is measured after training only", ha="center", va="center",
             transform=ax1.transAxes)
  for i, a in enumerate(arms):
    s = res["arms"][a]
    vals = [r["final"][metric] for r in records if r["arm"] == a and metric in r["final"]]
    ax2.scatter([i] * len(vals), vals, color="k", s=8, zorder=3, label="seeds" if i == 0 else None)
    if s["n"] > 1:
      ax2.errorbar([i], [s["mean"]], yerr=[[s["mean"] - s["ci95"][0]], [s["ci95"][1] - s["mean"]]], fmt="o",
                   color="tab:blue", capsize=4, label="mean, 95% CI" if i == 0 else None)
    if s.get("published") is not None:
      ax2.scatter([i], [s["published"]], marker="_", s=400, color="tab:red", zorder=4,
                  label="paper" if i == min(j for j, b in enumerate(arms) if res["arms"][b].get("published") is not None) else None)
  ax2.set_xticks(range(len(arms)), arms, rotation=30, ha="right", fontsize=8)
  ax2.set_title(f"final {metric} per arm"); ax2.legend(fontsize=7)
  if tuning:
    ax3 = axs[2]
    for arm, rows in tuning["table"].items():
      if len(rows[0]["point"]) == 1:
        (path_, _), = rows[0]["point"].items()
        xs = [r["point"][path_] for r in rows]
        ax3.plot(xs, [r["mean"] for r in rows], marker="o", label=f"{arm} ({path_.rsplit('.', 1)[-1]})")
        ch = [r for r in rows if r.get("chosen")]
        if ch:
          ax3.scatter([ch[0]["point"][path_]], [ch[0]["mean"]], s=120, facecolors="none", edgecolors="k")
        if all(isinstance(x, (int, float)) and x > 0 for x in xs) and max(xs) / min(xs) > 10:
          ax3.set_xscale("log")
    ax3.set_title(f"tuning: {tuning['metric']} on `{tuning['split']}` (chosen circled)"); ax3.legend(fontsize=7)
  fig.tight_layout()
  fig.savefig(path, dpi=110)
  plt.close(fig)
  return path


def grid(res: dict, path: str) -> str:
  plt = _plt()
  surf = res["surface"]
  axes = surf["axes"]
  fig, ax = plt.subplots(figsize=(7, 4.5))
  (p_last, xs) = axes[-1]
  groups = {}
  for p in surf["points"]:
    key = tuple((k, v) for k, v in p["point"].items() if k != p_last)
    groups.setdefault(key, []).append(p)
  for key, pts in groups.items():
    label = ", ".join(f"{k.rsplit('.', 1)[-1]}={v}" for k, v in key) or res["metric"]
    x = list(range(len(pts)))
    ax.errorbar(x, [q["mean"] for q in pts], yerr=[q["std"] if q["n"] > 1 else 0 for q in pts], marker="o",
                capsize=3, label=label)
  ax.set_xticks(range(len(xs)), [str(v) for v in xs])
  ax.set_xlabel(p_last); ax.set_ylabel(res["metric"]); ax.set_title(f"{res['metric']} over the grid (mean ± std)")
  ax.legend(fontsize=7)
  fig.tight_layout()
  fig.savefig(path, dpi=110)
  plt.close(fig)
  return path


def fit(res: dict, path: str) -> str:
  plt = _plt()
  y, pred = np.asarray(res["points"]["y"]), np.asarray(res["points"]["pred"])
  fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
  a1.scatter(pred, y, s=8)
  lo, hi = float(min(y.min(), pred.min())), float(max(y.max(), pred.max()))
  a1.plot([lo, hi], [lo, hi], color="k", lw=0.8)
  a1.set_xlabel("predicted"); a1.set_ylabel("observed"); a1.set_title(res["formula"])
  a2.scatter(pred, np.log(y) - np.log(np.maximum(pred, 1e-300)) if np.all(y > 0) else y - pred, s=8)
  a2.axhline(0, color="k", lw=0.8)
  a2.set_xlabel("predicted"); a2.set_ylabel("residual (log)" if np.all(y > 0) else "residual")
  a2.set_title("residuals")
  fig.tight_layout()
  fig.savefig(path, dpi=110)
  plt.close(fig)
  return path


def _ratios(row, prefix=""):
  for k, v in row.items():
    if k.endswith("ratio"):
      if isinstance(v, dict):
        for kk, vv in v.items():
          if isinstance(vv, (int, float)):
            yield f"{prefix}{kk} {k}", float(vv)
      elif isinstance(v, (int, float)):
        yield f"{prefix}{k}", float(v)


def benchmark(res: dict, path: str) -> str | None:
  pairs = []
  for row in res.get("rows", []):
    shape = ",".join(f"{k}={row[k]}" for k in ("kind", "n", "v", "b", "rows", "cols") if k in row)
    pairs += [(f"{shape}: {lab}", v) for lab, v in _ratios(row)]
  if not pairs:
    return None
  plt = _plt()
  fig, ax = plt.subplots(figsize=(8, 0.35 * len(pairs) + 1.5))
  ax.scatter([v for _, v in pairs], range(len(pairs)), color="tab:blue", zorder=3)
  ax.axvline(1.0, color="k", lw=0.8, label="1x (naive)")
  ths = {r["rule"].get("value") for r in res.get("rules", []) if isinstance(r["rule"].get("value"), (int, float))}
  for t in sorted(ths):
    ax.axvline(t, color="tab:red", ls="--", lw=0.8)
  ax.set_yticks(range(len(pairs)), [p for p, _ in pairs], fontsize=7)
  ax.set_xscale("log"); ax.set_xlabel("ratio (kernel / naive), thresholds dashed")
  fig.tight_layout()
  fig.savefig(path, dpi=110)
  plt.close(fig)
  return path


MAX_DIAGNOSTIC_PANELS = 8


def diagnostic_keys(res: dict) -> list[str]:
  """The ``diag/<name>/<key>`` curves the runs logged (sorted; empty when the config lists none)."""
  return sorted({k for r in res.get("runs") or [] for k, v in (r.get("diagnostics") or {}).items() if v})


PANEL_PREFERENCE = ("last", "ratio", "loss", "total", "max", "first")


def plotted_diagnostics(keys: list[str]) -> list[str]:
  """At most :data:`MAX_DIAGNOSTIC_PANELS` of ``keys``: all when they fit, else round-robin over the
  diagnostics (``diag/<name>``, ``train``) in :data:`PANEL_PREFERENCE` order of their statistics, so each
  diagnostic shows its deepest layer ("last") and its depth ratio before any gets a third panel."""
  if len(keys) <= MAX_DIAGNOSTIC_PANELS:
    return keys
  groups: dict[str, list[str]] = {}
  for k in keys:
    groups.setdefault(k.rsplit("/", 1)[0], []).append(k)
  rank = lambda k: (PANEL_PREFERENCE.index(k.rsplit("/", 1)[1]) if k.rsplit("/", 1)[1] in PANEL_PREFERENCE
                    else len(PANEL_PREFERENCE))
  queues = [sorted(ks, key=rank) for ks in groups.values()]
  chosen = []
  while len(chosen) < MAX_DIAGNOSTIC_PANELS:
    for q in queues:
      if q and len(chosen) < MAX_DIAGNOSTIC_PANELS:
        chosen.append(q.pop(0))
  return sorted(chosen, key=keys.index)


def diagnostic_means(res: dict, key: str) -> dict[str, np.ndarray]:
  """``{arm: [[step, mean over seeds], ...]}`` of one diagnostic, over the steps every seed logged."""
  out = {}
  for arm in res.get("arms") or {}:
    c = mean_curve([(r.get("diagnostics") or {}).get(key) for r in res["runs"] if r["arm"] == arm])
    if c is not None:
      out[arm] = c
  return out


def diagnostics(res: dict, path: str) -> str | None:
  """One panel per logged training diagnostic (at most :data:`MAX_DIAGNOSTIC_PANELS`): each arm's mean
  over seeds against steps, on a log scale where the values are positive and span more than 20x.
  None when no run logged a diagnostic."""
  keys = plotted_diagnostics(diagnostic_keys(res))
  if not keys:
    return None
  plt = _plt()
  ncol = min(4, len(keys))
  nrow = -(-len(keys) // ncol)
  fig, axs = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.3 * nrow), squeeze=False)
  for ax, key in zip(axs.flat, keys):
    means = diagnostic_means(res, key)
    for arm, c in means.items():
      ax.plot(c[:, 0], c[:, 1], marker=".", label=arm)
    vals = np.concatenate([c[:, 1] for c in means.values()]) if means else np.array([])
    vals = vals[np.isfinite(vals)]
    if vals.size and vals.min() > 0 and vals.max() / vals.min() > 20:
      ax.set_yscale("log")
    ax.set_title(key.removeprefix("diag/"), fontsize=9); ax.set_xlabel("step")
  for ax in list(axs.flat)[len(keys):]:
    ax.axis("off")
  axs.flat[0].legend(fontsize=7)
  fig.suptitle("training diagnostics (config.diagnostics), mean over seeds", fontsize=10)
  fig.tight_layout()
  fig.savefig(path, dpi=110)
  plt.close(fig)
  return path


PLOTS = {"sweep": sweep, "analysis": sweep, "grid": grid, "fit": fit, "benchmark": benchmark}


def plot(kind: str, res: dict, path: str) -> str | None:
  """Writes the kind's figure to ``path`` (None when the kind has nothing to plot)."""
  return PLOTS[kind](res, path)

