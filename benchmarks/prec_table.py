"""The precision family's summary table: each technique's quality gap to float32 at CPU scale, with bits
per weight and per activation, from the committed results of the family's experiments.

Three kinds of rows, all paired over seeds (mean and 95% interval, :mod:`lbrl.tools.stats`):

* training sweeps (``TRAINING``): each arm against the config's float32 arm on the sweep metric (a row keyed
  ``"arm:metric"`` reads that metric of the arm, e.g. an analysis tool's accuracy at one width);
* post-training configs (the ``ptq`` analysis tool): every method and width from the runs' recorded
  ``analysis/<method>_w<bits>_gap`` (accuracy minus the same trained model's float accuracy) and
  ``_bpw`` (stored bits per weight, scales included);
* self_compressing: each arm's test accuracy against the float arm, bits per weight from the tool.

Writes ``experiments/precision_table.md``; experiments without committed results are listed as pending.
Usage: ``python benchmarks/prec_table.py``
"""
from __future__ import annotations

import json
import os
import re

import numpy as np

from lbrl.tools import stats

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXP = os.path.join(ROOT, "experiments")

# slug -> (reference arm, metric, what it measures, {arm: (technique, bits / weight, bits / activation)})
TRAINING = {
    "mixed_precision": ("fp32", "eval/loss", "char LM, validation loss (nats)", {
        "fp16": ("float16, no loss scaling (float32 master weights)", "16", "16"),
        "fp16_loss_scale": ("float16 + dynamic loss scaling", "16", "16")}),
    "fp8_training": ("fp32", "eval/accuracy", "MNIST-1D MLP, test accuracy", {
        "fp8": ("FP8 E4M3/E5M2, dynamic per-tensor scales", "8", "8"),
        "fp8_naive": ("FP8 E4M3/E5M2 cast, no scaling", "8", "8")}),
    "unit_scaling": ("fp32", "eval/accuracy", "MNIST-1D MLP, test accuracy", {
        "fp8_naive": ("FP8 cast, standard MLP", "8", "8"),
        "unit_fp32": ("unit-scaled MLP, float32", "32", "32"),
        "unit_fp8_naive": ("unit-scaled MLP, FP8 cast", "8", "8")}),
    "elucidating_design_space_fp4": ("fp32", "eval/accuracy", "MNIST-1D MLP, test accuracy", {
        "mxfp4": ("MXFP4 (E2M1, block 32, E8M0), round to nearest", "4.25", "4.25"),
        "mxfp4_sr": ("MXFP4 + stochastic rounding of gradients", "4.25", "4.25"),
        "mxfp4_sr_hadamard": ("MXFP4 + SR + block-Hadamard backward", "4.25", "4.25")}),
    "int4_fixed_point_training": ("fp32", "eval/accuracy", "MNIST-1D MLP, test accuracy", {
        "w4a4": ("W4A4, float32 gradients (int4 per-tensor input and kernel)", "4", "4 (gradients 32)"),
        "int4_minmax": ("W4A4G4, min-max gradient interval", "4", "4"),
        "int4_large_gradient": ("W4A4G4, large-gradient interval", "4", "4")}),
    "accurate_efficient_sub_8": ("fp32", "eval/accuracy", "MNIST-1D MLP, test accuracy", {
        "w4a4": ("W4A4, float32 gradients (int4 per-tensor input and kernel)", "4", "4 (gradients 32)"),
        "int4_tensor": ("W4A4G4, per-tensor gradient scale", "4", "4"),
        "int4_shiftquant": ("W4A4G4, per-channel shifted gradient scales (ShiftQuant)", "4", "4")}),
    "scalify": ("fp32", "eval/accuracy", "MNIST-1D MLP, test accuracy", {
        "scalify": ("FP8 matmuls and gradients, scales propagated (scalify)", "8", "8"),
        "scalify_rescale": ("scalify + dynamic rescale per layer", "8", "8")}),
    # analysis rows: "arm:metric" against the float32 arm's float accuracy on the same 1,000 test examples
    "eq_net": ("fp32", "analysis/acc_float", "MNIST-1D MLP, test accuracy", {
        f"{arm}:analysis/acc_w{b}": (f"{what}, evaluated at int{b} (W{b}A{b}, per tensor)", str(b), str(b))
        for arm, what, bits in (("supernet", "EQ-Net supernet (one network, widths 2/3/4/8)", (8, 4, 3, 2)),
                                ("static4", "static int4 QAT", (4,)), ("static2", "static int2 QAT", (2,)))
        for b in bits}),
}
PTQ = ("awq", "up_or_down_adaptive", "improving_post_training_neural", "baq", "jumping_through_local_minima",
       "identifying_sensitive_weights_post", "lossy_lossless_l_2")
NAMES = {"rtn": "RTN", "gptq": "GPTQ", "awq": "AWQ", "adaround": "AdaRound", "adaquant": "AdaQuant",
         "bias_correction": "RTN + bias correction", "adaquant_ip": "AdaQuant, IP-allocated widths",
         "baq": "GPTQ at BAQ's allocated widths", "evolq": "RTN + Evol-Q scales",
         "requant": "RTN, 0.5% PQI-sensitive weights in float", "sparse_magnitude": "RTN, 0.5% largest weights in float",
         "l2": "entropy-coded uniform (coded bits)"}


def _load(slug):
  path = os.path.join(EXP, slug, "results.json")
  return json.load(open(path)) if os.path.exists(path) else None


def _by_arm(res, metric):
  by = {}
  for r in res["runs"]:
    v = r["final"].get(metric)
    if v is not None and np.isfinite(v):
      by.setdefault(r["arm"], {})[int(r["seed"])] = float(v)
  return by


def _fmt(d):
  return f"{d[0]:+.4f} [{d[1]:+.4f}, {d[2]:+.4f}]"


def rows() -> tuple[list[str], list[str]]:
  out, pending = [], []
  for slug, (ref, metric, what, arms) in TRAINING.items():
    res = _load(slug)
    if not res:
      pending.append(slug)
      continue
    by = _by_arm(res, metric)
    for key, (name, bw, ba) in arms.items():
      arm, _, arm_metric = key.partition(":")
      got = _by_arm(res, arm_metric) if arm_metric else by
      if arm in got and ref in by:
        d = stats.compare(got[arm], by[ref])
        out.append(f"| {name} | {what} | {_fmt((d.d, d.lo, d.hi))} | {bw} | {ba} | {slug} |")
  for slug in PTQ:
    res = _load(slug)
    if not res or res.get("kind") != "analysis":
      pending.append(slug)
      continue
    keys = sorted({k for r in res["runs"] for k in r["final"] if re.fullmatch(r"analysis/\w+_w\d+_gap", k)},
                  key=lambda k: (-int(re.search(r"_w(\d+)_gap", k).group(1)), k))
    for k in keys:
      method, bits = re.fullmatch(r"analysis/(\w+)_w(\d+)_gap", k).groups()
      if slug != "awq" and method in ("rtn", "gptq"):   # the baselines once, in awq's rows
        continue
      gaps = [r["final"][k] for r in res["runs"]]
      bpw = np.mean([r["final"][f"analysis/{method}_w{bits}_bpw"] for r in res["runs"]])
      s = stats.summarize(gaps)
      out.append(f"| {NAMES.get(method, method)}, {bits}-bit weights | MNIST MLP (mnist5k), test accuracy | "
                 f"{_fmt((s.mean, s.lo, s.hi))} | {bpw:.2f} | 32 | {slug} |")
  res = _load("self_compressing")
  if res:
    acc, bits = _by_arm(res, "analysis/accuracy"), _by_arm(res, "analysis/bits_per_weight")
    for arm in ("sc_gamma0", "sc", "sc_strong"):
      if arm in acc and "float32" in acc:
        d = stats.compare(acc[arm], acc["float32"])
        out.append(f"| self-compressing ({arm}) | MNIST MLP (mnist5k), test accuracy | {_fmt((d.d, d.lo, d.hi))} | "
                   f"{np.mean(list(bits[arm].values())):.2f} | 32 | self_compressing |")
  else:
    pending.append("self_compressing")
  return out, pending


def main():
  body, pending = rows()
  text = "\n".join([
      "# Precision and quantization: quality gap to float32 at CPU scale", "",
      "Generated by `python benchmarks/prec_table.py` from the committed results. Gap = technique - float32, "
      "paired over seeds (mean [95% interval]); lower loss / higher accuracy is better. Emulated formats: XLA:CPU "
      "computes with the format's values exactly as the hardware would; speed is not measured. Post-training rows: "
      "weights only (activations float32), bits per weight include the scales.", "",
      "| technique | model, metric | gap to float32 | bits / weight | bits / activation | report |",
      "|---|---|---|---|---|---|", *body, "",
      ("No committed report yet (code, tests and config committed; a config's docstring records any uncommitted "
       "run): " + ", ".join(pending) + ".") if pending else "", ""])
  with open(os.path.join(EXP, "precision_table.md"), "w") as f:
    f.write(text)
  print(text)


if __name__ == "__main__":
  main()
