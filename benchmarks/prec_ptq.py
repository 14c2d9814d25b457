"""Post-training weight quantization of trained models: RTN vs GPTQ vs AWQ at 8, 4 and 3 bits per weight.

Trains (or resumes) the float model of ``configs/awq.py`` for each of its seeds, quantizes every Dense
kernel with :func:`lbrl.quant.ptq.quantize_dense_layers` (calibration: the first
``PTQ["calibration_examples"]`` training examples) and measures test accuracy. The rules
(``configs/awq.py:PTQ_RULES``, fixed before the run) compare methods paired over seeds with
:mod:`lbrl.tools.stats`. Writes ``experiments/awq/README.md`` and ``results.json``.

Usage: ``nice -n 10 python benchmarks/prec_ptq.py [--variant cpu|smoke]``
"""
from __future__ import annotations

import argparse
import json
import os
import time

import jax
import jax.numpy as jnp
import numpy as np

from lbrl.quant import ptq
from lbrl.tools import stats
from lbrl.tools.experiment import load_config
from lbrl.train import trainer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(ROOT, "configs", "awq.py")


def _module():
  return load_config(CONFIG, "cpu")[1]


def measure(variant: str = "cpu") -> dict:
  mod = _module()
  base, _ = load_config(CONFIG, variant)
  values: dict[str, dict[int, float]] = {}
  bits_table: dict[str, float] = {}
  t0 = time.time()
  for seed in base.sweep.seeds:
    cfg, _ = load_config(CONFIG, variant)
    with cfg.unlocked():
      cfg.seed = int(seed)
    workdir = os.path.expanduser(f"~/.cache/lbrl/runs/prec_ptq/{variant}/seed{seed}")
    out = trainer.train(cfg, workdir, progress=False)
    train_data, eval_data = trainer.load_data(cfg)
    task = trainer.build_task(cfg, trainer.data_meta(cfg, train_data))
    params = jax.device_get(out["state"].params)
    n_cal = int(mod.PTQ["calibration_examples"])
    calib = jnp.asarray(train_data.arrays["x"][:n_cal])
    ex, ey = eval_data.arrays["x"], eval_data.arrays["label"]
    logits = np.asarray(task.model.apply({"params": params}, jnp.asarray(ex)))
    values.setdefault("float32", {})[seed] = float(np.mean(np.argmax(logits, -1) == np.asarray(ey)))
    bits_table["float32"] = 32.0
    for bits in mod.PTQ["bits"]:
      for method in mod.PTQ["methods"]:
        m = ptq.accuracy_after(task.model, {"params": params}, calib, ex, ey, method, bits=bits)
        arm = f"{method}_w{bits}"
        values.setdefault(arm, {})[seed] = m["accuracy"]
        bits_table[arm] = m["bits_per_weight"]
        print(f"seed {seed} {arm}: accuracy {values[arm][seed]:.4f} ({bits_table[arm]:.2f} bits/weight)", flush=True)
  results = [stats.check_rule(r, values, "eval/accuracy") for r in mod.PTQ_RULES]
  verdict = stats.verdict(results, partly_testable=(
      "an MLP on MNIST digits stands in for the paper's LLMs (WikiText-2 perplexity); per-channel scales, "
      "not the paper's group size 128 (the layers have 784 and 256 inputs)"))
  return {"slug": "awq", "variant": variant, "values": values, "bits_per_weight": bits_table,
          "rules": [{"rule": r.rule, "outcome": r.outcome, "text": r.text, "numbers": r.numbers} for r in results],
          "verdict": verdict, "seconds": time.time() - t0,
          "command": f"nice -n 10 python benchmarks/prec_ptq.py --variant {variant}"}


def render(res: dict) -> str:
  mod = _module()
  lines = ["# AWQ vs GPTQ vs round-to-nearest (post-training weight quantization)", "",
           f"**Verdict: {res['verdict']}**", "", mod.__doc__.strip(), "",
           "## Test accuracy after quantizing every Dense kernel (3 seeds, mean ± std)", "",
           "| arm | bits / weight | accuracy | per seed |", "|---|---|---|---|"]
  for arm, by_seed in res["values"].items():
    v = np.array(list(by_seed.values()))
    lines.append(f"| {arm} | {res['bits_per_weight'][arm]:.2f} | {v.mean():.4f} ± {v.std(ddof=1) if len(v) > 1 else 0:.4f} | "
                 + ", ".join(f"{x:.4f}" for x in v) + " |")
  lines += ["", "## Rules (fixed before the run; paired over seeds)", ""]
  lines += [f"- **{r['outcome']}**: {r['text']}" for r in res["rules"]]
  lines += ["", f"Command: `{res['command']}` ({res['seconds']:.0f} s on a shared 2-core CPU)", ""]
  return "\n".join(lines)


def main():
  ap = argparse.ArgumentParser(description=__doc__)
  ap.add_argument("--variant", default="cpu", choices=["cpu", "smoke"])
  args = ap.parse_args()
  res = measure(args.variant)
  out = os.path.join(ROOT, "experiments", "awq") + ("/smoke" if args.variant == "smoke" else "")
  os.makedirs(out, exist_ok=True)
  with open(os.path.join(out, "results.json"), "w") as f:
    json.dump(res, f, indent=1, default=float)
  with open(os.path.join(out, "README.md"), "w") as f:
    f.write(render(res))
  print(res["verdict"], "->", out)


if __name__ == "__main__":
  main()
