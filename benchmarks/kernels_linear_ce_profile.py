"""Why the fused linear cross-entropy misses naive speed at V=131072 (issue 22, item 4): time the
gradient of ``linear_cross_entropy`` (reference, backward="fused") against the naive path at one shape
for several token chunks (``token_block`` bn) and vocabulary blocks (``block_size`` bv), interleaved in one
process, with XLA's temporary memory of each compiled function.

    nice python benchmarks/kernels_linear_ce_profile.py --n 1024 --d 512 --v 131072 --variants 128:1024,256:1024
"""
import argparse

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lbrl.kernels import linear_cross_entropy
from kernels_common import emit
from lbrl.tools.kinds.benchmark import compiled_memory, interleaved_times


def main():
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument("--n", type=int, default=1024)
  p.add_argument("--d", type=int, default=512)
  p.add_argument("--v", type=int, default=131072)
  p.add_argument("--variants", default="128:1024,256:1024,512:1024,128:4096",
                 help="comma-separated bn:bv pairs (token chunk : vocabulary block)")
  p.add_argument("--rounds", type=int, default=1)
  p.add_argument("--out", default="")
  a = p.parse_args()
  k = jax.random.split(jax.random.key(0), 3)
  h = jax.random.normal(k[0], (a.n, a.d))
  w = jax.random.normal(k[1], (a.v, a.d)) / np.sqrt(a.d)
  y = jax.random.randint(k[2], (a.n,), 0, a.v)
  fns = {"naive": jax.grad(lambda h, w, y: jnp.mean(optax.softmax_cross_entropy_with_integer_labels(h @ w.T, y)),
                           (0, 1))}
  for pair in a.variants.split(","):
    bn, bv = (int(x) for x in pair.split(":"))
    fns[f"bn{bn}_bv{bv}"] = jax.grad(
        lambda h, w, y, bn=bn, bv=bv: jnp.mean(linear_cross_entropy(h, w, y, impl="reference", backward="fused",
                                                                    token_block=bn, block_size=bv)), (0, 1))
  mem = {name: compiled_memory(f, h, w, y)["temp_mib"] for name, f in fns.items()}
  t = interleaved_times(fns, (h, w, y), a.rounds)
  rows = {name: {"temp_mib": round(mem[name], 1), "s": round(t[name], 2), "ratio": round(t[name] / t["naive"], 3)}
          for name in fns}
  res = {"n": a.n, "d": a.d, "v": a.v, "rounds": a.rounds, "rows": rows}
  emit(res, a.out)


if __name__ == "__main__":
  main()
