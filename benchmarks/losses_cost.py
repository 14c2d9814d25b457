"""Cost of switching losses: forward+backward time of every classification-family loss, as a ratio to
softmax cross-entropy on the same logits and labels (one process, interleaved, median of repeats).
Binary losses (one score per example) are timed against the logistic loss (``binary_logistic``) on the
same scores, once (their cost does not depend on C).

Each timed program runs ``inner`` steps of ``x <- x - 1e-6 * grad(mean loss)(x)`` inside one jitted
``fori_loop`` (so dispatch overhead does not hide the loss), for several (batch, classes) shapes. The
``spherical_zloss`` rows also answer the Z-loss paper's cost question at the loss level: its cost, like
CE's, grows with the number of classes when the logits are materialised (the paper's class-count-free
training needs the factored output layer of Vincent et al., which lbrl does not implement).

    nice python benchmarks/losses_cost.py [--repeats 5] [--shapes 1024x10,256x1000,64x8192]
"""
import argparse
import json
import os
import time

import jax
import jax.numpy as jnp
import numpy as np

import lbrl.losses  # noqa: E402,F401
from lbrl.registry import LOSSES  # noqa: E402

SHAPES = "1024x10,256x1000,64x8192"   # batch x classes

# The cases come from the registry: every loss that consumes logits, given what its declaration says the
# trainer supplies (``needs``: class_counts, step, rng). The registry does not record two input conventions
# and a few required hyperparameters; the benchmark states them here.
BINARY = {"binary_logistic", "binary_hinge", "anyloss", "ensloss"}    # one score per example
DISTANCE = {"harmonic_loss"}                                          # non-negative distances [B, C]
HYPER = {"ldam_drw": {"drw_start_step": 5}, "cross_entropy_drw": {"drw_start_step": 5},
         "comp_sum": {"tau": 0.0}, "number_token_loss": {"number_token_ids": None}}
SUPPLIED = ("class_counts", "step", "rng")
MULTI_HOT = {"decoupled_softmax", "multilabel_softmax", "macro_auc_loss"}   # multi-hot targets, not class ids
FLOAT_TARGETS = {"landmark_l1", "landmark_l2"}                             # regression targets [B, D]


def registry_cases() -> dict:
  """name -> (input kind, keyword arguments to fill) for every lbrl loss declared in the registry that
  takes logits and whose needs the benchmark can supply (losses needing an auxiliary network or
  per-example state are left out, as are losses of multi-hot or regression targets and objects registered at
  run time, e.g. by a test)."""
  out = {}
  for name in LOSSES.names():
    spec = LOSSES.spec(name)
    if (LOSSES.target(name) is None or spec.consumes != "logits" or set(spec.needs) - set(SUPPLIED)
        or spec.components or name in MULTI_HOT | FLOAT_TARGETS):
      continue
    kind = "binary" if name in BINARY else "distance" if name in DISTANCE else "multi"
    out[name] = (kind, {**HYPER.get(name, {}), **{k: None for k in spec.needs}})
  return out


CASES = registry_cases()


def kwargs_for(name, num_classes):
  """The keyword arguments at this number of classes: class counts 1..C, step 10 (past the DRW start),
  a fixed PRNG key, number tokens 0..min(10, C)-1."""
  kind, kw = CASES[name]
  kw = dict(kw)
  if "class_counts" in kw:
    kw["class_counts"] = np.arange(1, num_classes + 1)
  if "number_token_ids" in kw:
    kw["number_token_ids"] = list(range(min(10, num_classes)))
  if "step" in kw:
    kw["step"] = jnp.int32(10)
  if "rng" in kw:
    kw["rng"] = jax.random.PRNGKey(3)
  return kind, kw


def make_program(name, batch, num_classes, inner):
  kind, kw = kwargs_for(name, num_classes)
  fn = LOSSES.get(name)
  rng = np.random.default_rng(0)
  if kind == "binary":
    x = jnp.asarray(rng.normal(size=(batch,)), jnp.float32)             # one score per example
    y = jnp.asarray(rng.integers(0, 2, size=(batch,)))
  else:
    x = jnp.asarray(rng.normal(size=(batch, num_classes)), jnp.float32)
    if kind == "distance":
      x = jnp.abs(x)
    y = jnp.asarray(rng.integers(0, num_classes, size=batch))
  loss = lambda z: jnp.mean(fn(z, y, **kw))

  @jax.jit
  def run(x):
    return jax.lax.fori_loop(0, inner, lambda _, z: z - 1e-6 * jax.grad(loss)(z), x)

  jax.block_until_ready(run(x))
  return run, x


def time_once(run, x):
  t = time.perf_counter()
  jax.block_until_ready(run(x))
  return time.perf_counter() - t


def main(argv=None):
  ap = argparse.ArgumentParser()
  ap.add_argument("--repeats", type=int, default=5)
  ap.add_argument("--inner", type=int, default=20)
  ap.add_argument("--shapes", default=SHAPES, help="comma-separated BATCHxCLASSES (the first sets binary rows)")
  ap.add_argument("--out", default="benchmarks/results/losses_cost.json")
  args = ap.parse_args(argv)
  shapes = [tuple(int(x) for x in s.split("x")) for s in args.shapes.split(",")]
  results = {}
  for batch, num_classes in shapes:
    key = f"B{batch}xC{num_classes}"
    bases = {"multi": make_program("cross_entropy", batch, num_classes, args.inner),
             "binary": make_program("binary_logistic", batch, num_classes, args.inner)}
    rows = {}
    for name in sorted(CASES):
      if CASES[name][0] == "binary" and (batch, num_classes) != shapes[0]:
        continue                                   # binary losses do not depend on C: time them once
      base = bases["binary" if CASES[name][0] == "binary" else "multi"]
      prog = make_program(name, batch, num_classes, args.inner)
      ratios = []
      for _ in range(args.repeats):
        t_ce, t_loss = time_once(*base), time_once(*prog)
        ratios.append(t_loss / t_ce)
      rows[name] = float(np.median(ratios))
      print(f"{key:>14} {name:>26}  x{rows[name]:.2f}", flush=True)
    t_ce = float(np.median([time_once(*bases["multi"]) for _ in range(args.repeats)])) / args.inner
    results[key] = {"ce_seconds_per_step": t_ce, "ratio_to_cross_entropy": rows}
  os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
  res = {"backend": jax.default_backend(), "jax": jax.__version__, "cpu_count": os.cpu_count(),
         "inner": args.inner, "repeats": args.repeats, "results": results}
  with open(args.out, "w") as f:
    json.dump(res, f, indent=1)
  with open(os.path.splitext(args.out)[0] + ".md", "w") as f:
    f.write(markdown(res))
  print(markdown(res))
  return res


def markdown(res) -> str:
  """The ratio table (loss x shape) that benchmarks/README-style pages and the README link to."""
  keys = list(res["results"])
  names = sorted({n for k in keys for n in res["results"][k]["ratio_to_cross_entropy"]})
  lines = [f"Forward+backward time of each loss as a ratio to softmax cross-entropy on the same logits "
           f"(binary losses: to the logistic loss, one shape), median of {res['repeats']} interleaved repeats "
           f"of {res['inner']} jitted steps, {res['backend']} ({res['cpu_count']} cores), jax {res['jax']}. "
           "Command: `nice python benchmarks/losses_cost.py`.", "",
           "| loss | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys)]
  for n in names:
    cells = [res["results"][k]["ratio_to_cross_entropy"].get(n) for k in keys]
    lines.append(f"| `{n}` | " + " | ".join("—" if c is None else f"{c:.2f}x" for c in cells) + " |")
  lines += ["", "| CE seconds per step | " + " | ".join(f"{res['results'][k]['ce_seconds_per_step'] * 1e3:.3f} ms"
                                                      for k in keys) + " |"]
  return "\n".join(lines) + "\n"


if __name__ == "__main__":
  main()
