"""Cost of the metric-learning losses (lbrl.losses.metric: the pair losses, and the proxy / margin losses on
``--classes`` proxies) against softmax cross-entropy on the same embeddings (a linear classifier of
``--classes`` classes on them), loss + gradient:

* memory: compiled ``memory_analysis()`` temporary bytes per device of the jitted loss-and-gradient with the
  global batch sharded over the simulated devices (the pairs span the global batch: the ``B x B`` similarity
  matrix is the cost), at ``--batches`` (default 4096 and 16384); nothing is run for these;
* time: median seconds per call of the compiled loss-and-gradient on one device at ``--time-batch``
  (interleaved rounds CE, loss, CE, loss, ... after a warm-up each), reported only as a ratio to CE.

    nice python benchmarks/metric_losses.py                       # B = 4096, 16384; D = 128; 8 devices
    nice python benchmarks/metric_losses.py --batches 64 --time-batch 64 --rounds 1 --out /tmp/m.json

Writes ``benchmarks/results/metric_losses.json`` and ``.md`` (or ``--out``).
"""
import os

os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=8").strip()

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402
from jax.sharding import NamedSharding, PartitionSpec as P  # noqa: E402

from lbrl.losses import metric as M  # noqa: E402
from lbrl.parallel.mesh import make_mesh  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
LOSSES = {
    "multi_similarity": M.multi_similarity, "circle_loss": M.circle_loss, "triplet_loss": M.triplet_loss,
    "contrastive_loss": M.contrastive_loss, "supervised_contrastive": M.supervised_contrastive,
    "orthogonal_projection": M.orthogonal_projection, "prototypical_loss": M.prototypical_loss,
    "proto_triplet": M.proto_triplet, "icnn_loss": M.icnn_loss,
    "metrix": lambda e, y: M.metrix(e, y, rng=jax.random.PRNGKey(0)),
}
# Proxy / margin losses over (features, the --classes proxies): DAAL reads them as classes/2 line segments,
# ClusterNet as cluster centres (its autoencoder variant adds only a per-example reconstruction error).
PROXY_LOSSES = {
    "normalized_softmax": M.normalized_softmax, "cosface": M.cosface, "arcface": M.arcface, "adaface": M.adaface,
    "unpg": M.unpg, "ce_orthogonal_projection": M.ce_orthogonal_projection,
    "mean_field_contrastive": M.mean_field_contrastive,
    "mean_field_class_wise_multi_similarity": M.mean_field_class_wise_multi_similarity, "madacos": M.madacos,
    "daal": M.daal, "clusternet": M.clusternet,
}


def ce(e, y, w):
  return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(e @ w.T, y))


def pair(name):
  return lambda e, y, w: jnp.mean(LOSSES[name](e, y))


def proxy(name):
  return lambda e, y, w: jnp.mean(PROXY_LOSSES[name](e, w, y))


def memory(fn, batch, dim, classes, devices):
  mesh = make_mesh((devices,), ("data",))
  e = jax.ShapeDtypeStruct((batch, dim), jnp.float32, sharding=NamedSharding(mesh, P("data")))
  y = jax.ShapeDtypeStruct((batch,), jnp.int32, sharding=NamedSharding(mesh, P("data")))
  w = jax.ShapeDtypeStruct((classes, dim), jnp.float32, sharding=NamedSharding(mesh, P()))
  m = jax.jit(jax.value_and_grad(fn)).lower(e, y, w).compile().memory_analysis()
  return m.temp_size_in_bytes / 2 ** 20


def timing(fns, batch, dim, classes, rounds):
  k = jax.random.split(jax.random.PRNGKey(0), 3)
  e = jax.random.normal(k[0], (batch, dim))
  y = jax.random.randint(k[1], (batch,), 0, max(2, batch // 8))
  w = jax.random.normal(k[2], (classes, dim))
  compiled = {n: jax.jit(jax.value_and_grad(f)) for n, f in fns.items()}
  for f in compiled.values():
    jax.block_until_ready(f(e, y, w))
  times = {n: [] for n in fns}
  for _ in range(rounds):
    for n, f in compiled.items():
      t = time.perf_counter()
      jax.block_until_ready(f(e, y, w))
      times[n].append(time.perf_counter() - t)
  return {n: statistics.median(v) for n, v in times.items()}


def main(argv=None):
  ap = argparse.ArgumentParser()
  ap.add_argument("--batches", default="4096,16384")
  ap.add_argument("--dim", type=int, default=128)
  ap.add_argument("--classes", type=int, default=1000)
  ap.add_argument("--time-batch", type=int, default=1024)
  ap.add_argument("--rounds", type=int, default=5)
  ap.add_argument("--out", default=os.path.join(HERE, "results", "metric_losses.json"))
  a = ap.parse_args(argv)
  devices = min(8, jax.device_count())
  fns = {"softmax_ce": ce, **{n: pair(n) for n in LOSSES}, **{n: proxy(n) for n in PROXY_LOSSES}}
  batches = [int(v) for v in a.batches.split(",")]
  res = {"devices": devices, "dim": a.dim, "classes": a.classes, "platform": jax.devices()[0].platform,
         "memory_mib_per_device": {}, "time_ratio_to_ce": {}}
  for b in batches:
    res["memory_mib_per_device"][str(b)] = {n: memory(f, b, a.dim, a.classes, devices) for n, f in fns.items()}
  t = timing(fns, a.time_batch, a.dim, a.classes, a.rounds)
  res["time_ratio_to_ce"] = {n: t[n] / t["softmax_ce"] for n in fns}
  head = "| loss | " + " | ".join(f"temp MiB/device B={b} (x CE)" for b in batches) + \
         f" | time / CE (B={a.time_batch}, 1 device) |"
  lines = [head, "|---" * (len(batches) + 2) + "|"]
  for n in fns:
    mem = [res["memory_mib_per_device"][str(b)] for b in batches]
    cells = [f"{m[n]:.1f} ({m[n] / max(m['softmax_ce'], 1e-9):.1f}x)" for m in mem]
    lines.append(f"| {n} | " + " | ".join(cells) + f" | {res['time_ratio_to_ce'][n]:.2f} |")
  os.makedirs(os.path.dirname(a.out), exist_ok=True)
  json.dump(res, open(a.out, "w"), indent=1)
  md = os.path.splitext(a.out)[0] + ".md"
  open(md, "w").write(
      f"Metric losses + gradient vs softmax CE ({a.classes} classes) on the same embeddings: compiled temporary "
      f"memory per device with the global batch sharded over {devices} simulated {res['platform']} devices (the "
      f"pairs span the global batch), D = {a.dim}; time on one device (`benchmarks/metric_losses.py`)\n\n"
      + "\n".join(lines) + "\n")
  print("\n".join(lines))
  return res


if __name__ == "__main__":
  main()
