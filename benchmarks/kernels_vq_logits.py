"""VQ-Logits' logit-computation claim (6x faster than the full output layer): time the logits and the
cross-entropy (value and gradient) of a dense V x D head against a K-code VQ head at one shape, interleaved
in one process on this machine, and count the output-layer parameters.

    dense:  z = h @ W^T                              (N x V x D multiply-adds)
    vq:     z = (h @ C^T)[:, c]   (scatter by gather; N x K x D multiply-adds, then an N x V gather)
    vq CE:  lbrl.models.vq_head.vq_cross_entropy (log-sum-exp over the K codes with log-count offsets:
            the V logits never formed)

    nice python benchmarks/kernels_vq_logits.py --n 4096 --d 512 --v 32000 --k 512 --out /tmp/vq.json
"""
import argparse

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lbrl.models.vq_head import vq_cross_entropy, vq_logits
from kernels_common import emit
from lbrl.tools.kinds.benchmark import interleaved_times


def main():
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument("--n", type=int, default=4096)
  p.add_argument("--d", type=int, default=512)
  p.add_argument("--v", type=int, default=32000)
  p.add_argument("--k", type=int, default=512)
  p.add_argument("--rounds", type=int, default=3)
  p.add_argument("--out", default="")
  a = p.parse_args()
  ks = jax.random.split(jax.random.key(0), 5)
  h = jax.random.normal(ks[0], (a.n, a.d))
  w = jax.random.normal(ks[1], (a.v, a.d)) / np.sqrt(a.d)
  cb = jax.random.normal(ks[2], (a.k, a.d)) / np.sqrt(a.d)
  assign = jax.random.randint(ks[3], (a.v,), 0, a.k)
  y = jax.random.randint(ks[4], (a.n,), 0, a.v)
  dense_ce = lambda h, w: jnp.mean(optax.softmax_cross_entropy_with_integer_labels(h @ w.T, y))
  vq_ce = lambda h, cb: jnp.mean(vq_cross_entropy(h, cb, assign, y))
  logits = interleaved_times({"dense": lambda h, w, cb: h @ w.T, "vq": lambda h, w, cb: vq_logits(h, cb, assign)},
                             (h, w, cb), a.rounds)
  ce = interleaved_times({"dense": lambda h, w, cb: jax.value_and_grad(dense_ce, (0, 1))(h, w),
                          "vq": lambda h, w, cb: jax.value_and_grad(vq_ce, (0, 1))(h, cb)}, (h, w, cb), a.rounds)
  res = {"n": a.n, "d": a.d, "v": a.v, "k": a.k, "rounds": a.rounds, "device": str(jax.devices()[0].device_kind),
         "output_params": {"dense": a.v * a.d, "vq": a.k * a.d, "reduction": 1 - a.k / a.v},
         "logits_s": logits, "logits_speedup": logits["dense"] / logits["vq"],
         "ce_value_and_grad_s": ce, "ce_speedup": ce["dense"] / ce["vq"]}
  emit(res, a.out)


if __name__ == "__main__":
  main()
