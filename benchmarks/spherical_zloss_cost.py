"""Cost of the spherical Z-loss against softmax cross-entropy as the number of classes grows (the Z-loss
paper's efficiency claim, at the loss level): loss + gradient of ``h @ w.T`` with respect to ``(h, w)``.

Arms, on the same random inputs, in one process:
  * ``ce``           optax softmax cross-entropy on the materialised logits (the baseline);
  * ``zloss``        ``lbrl.losses.spherical_zloss`` on the materialised logits;
  * ``zloss_gram``   ``lbrl.losses.spherical_zloss_linear``: the spherical-family form, no logits;
  * ``ce_fused``     ``lbrl.kernels.linear_cross_entropy`` (reference): cross-entropy without logits.
Time: median seconds per call in interleaved rounds (``lbrl.tools.kinds.benchmark.interleaved_times``); only
ratios to ``ce`` are results. Memory: XLA's temporary buffer size of the compiled gradient function.
Writes ``experiments/spherical_zloss/benchmark.{json,md}``; the reproduction report embeds the table.

    nice python benchmarks/spherical_zloss_cost.py [--n 4096 --d 256 --v 1024,4096,16384,65536 --rounds 3]
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402

from lbrl.kernels import linear_cross_entropy  # noqa: E402
from lbrl.tools.kinds.benchmark import available_mib, compiled_memory, interleaved_times  # noqa: E402
from lbrl.losses import spherical_zloss, spherical_zloss_linear  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "experiments", "spherical_zloss")
ARMS = {
    "ce": lambda h, w, y: optax.softmax_cross_entropy_with_integer_labels(h @ w.T, y).mean(),
    "zloss": lambda h, w, y: spherical_zloss(h @ w.T, y).mean(),
    "zloss_gram": lambda h, w, y: spherical_zloss_linear(h, w, y).mean(),
    "ce_fused": lambda h, w, y: linear_cross_entropy(h, w, y, impl="reference").mean(),
}


def measure(n: int, d: int, v: int, rounds: int, log=print) -> dict:
  grads = {k: jax.grad(f, (0, 1)) for k, f in ARMS.items()}
  spec = (jax.ShapeDtypeStruct((n, d), jnp.float32), jax.ShapeDtypeStruct((v, d), jnp.float32),
          jax.ShapeDtypeStruct((n,), jnp.int32))
  mem = {k: compiled_memory(g, *spec)["temp_mib"] for k, g in grads.items()}
  if 1.5 * max(mem.values()) > 0.6 * available_mib():
    raise MemoryError(f"N={n} V={v} needs ~{1.5 * max(mem.values()):.0f} MiB; lower --n or --v")
  k = jax.random.split(jax.random.key(0), 3)
  args = (jax.random.normal(k[0], (n, d)), jax.random.normal(k[1], (v, d)) / d ** 0.5,
          jax.random.randint(k[2], (n,), 0, v))
  t = interleaved_times(grads, args, rounds)
  row = {"n": n, "d": d, "v": v, "seconds": t, "temp_mib": mem,
         "time_ratio_to_ce": {a: t[a] / t["ce"] for a in t},
         "memory_ratio_to_ce": {a: mem[a] / mem["ce"] for a in mem},
         # multiply-adds of loss + gradient (x2 for FLOPs): logits 3NVD; Gram form 2VD^2 + 2ND^2 + 3ND
         "flop_ratio_gram_to_ce": (2 * v * d * d + 2 * n * d * d + 3 * n * d) / (3 * n * v * d)}
  log(f"N={n} D={d} V={v}: " + "  ".join(f"{a} {t[a] * 1e3:.1f} ms ({row['time_ratio_to_ce'][a]:.3f}x, "
                                         f"{mem[a]:.1f} MiB)" for a in t))
  return row


def markdown(res: dict) -> str:
  arms = list(ARMS)
  lines = [f"Loss + gradient w.r.t. `(h, w)` for N={res['n']} tokens, D={res['d']}, float32, on "
           f"{res['machine']}; median of {res['rounds']} interleaved rounds "
           f"(`{res['command']}`). Time and temporary memory as ratios to `ce` (softmax cross-entropy "
           "on materialised logits), measured in one run; `ce` seconds for scale only.", "",
           "| V | ce seconds | " + " | ".join(f"{a} time" for a in arms[1:]) + " | "
           + " | ".join(f"{a} memory" for a in arms[1:]) + " | Gram/CE multiply-adds |",
           "|---|---|" + "---|" * (2 * len(arms) - 2) + "---|"]
  for r in res["rows"]:
    lines.append(f"| {r['v']} | {r['seconds']['ce']:.3f} | "
                 + " | ".join(f"{r['time_ratio_to_ce'][a]:.3f}x" for a in arms[1:]) + " | "
                 + " | ".join(f"{r['memory_ratio_to_ce'][a]:.4f}x" for a in arms[1:])
                 + f" | {r['flop_ratio_gram_to_ce']:.3f} |")
  first, last = res["rows"][0], res["rows"][-1]
  grow = lambda a: last["seconds"][a] / first["seconds"][a]
  lines += ["", f"From V={first['v']} to V={last['v']} ({last['v'] // first['v']}x the classes) the time of `ce` "
            f"grows {grow('ce'):.1f}x, `zloss` on logits {grow('zloss'):.1f}x, `zloss_gram` {grow('zloss_gram'):.1f}x "
            f"and `ce_fused` {grow('ce_fused'):.1f}x. The Gram form's cost is O((N + V) D^2): its per-example part "
            "does not depend on V, its per-batch part (forming the D x D covariance of the output rows and "
            "back-propagating into them) does; the paper's factored SGD update, which also removes that part, "
            "is not implemented (see `lbrl.losses.spherical_zloss_linear`)."]
  return "\n".join(lines)


def main(argv=None):
  ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  ap.add_argument("--n", type=int, default=4096)
  ap.add_argument("--d", type=int, default=256)
  ap.add_argument("--v", default="1024,4096,16384,65536")
  ap.add_argument("--rounds", type=int, default=3)
  ap.add_argument("--out", default=OUT)
  a = ap.parse_args(argv)
  import platform
  res = {"n": a.n, "d": a.d, "rounds": a.rounds, "jax": jax.__version__,
         "machine": f"{jax.default_backend().upper()} ({os.cpu_count()} cores, {platform.machine()}), jax {jax.__version__}",
         "command": " ".join(["nice python benchmarks/spherical_zloss_cost.py"] + list(argv if argv is not None else sys.argv[1:])),
         "rows": [measure(a.n, a.d, int(v), a.rounds) for v in a.v.split(",")]}
  os.makedirs(a.out, exist_ok=True)
  with open(os.path.join(a.out, "benchmark.json"), "w") as f:
    json.dump(res, f, indent=1)
  with open(os.path.join(a.out, "benchmark.md"), "w") as f:
    f.write(markdown(res) + "\n")
  print(markdown(res))
  return res


if __name__ == "__main__":
  main()
