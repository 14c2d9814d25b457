"""Compiled memory per device of the SigLIP loss and its gradient: dense (the B x B logits under jit with
the batch sharded over the devices, ``lbrl.losses.contrastive.siglip``) against the chunked ring
(``lbrl.kernels.contrastive.siglip_loss`` under ``shard_map``: each device keeps its image rows and the
text blocks travel around the ring by ``ppermute``, SigLIP section 3.3). Nothing is run: each form is
lowered and compiled for the simulated devices and ``memory_analysis()`` gives the temporary and
argument bytes per device.

    nice python benchmarks/siglip_memory.py                    # B = 16384 and 65536, D = 768, 8 devices
    nice python benchmarks/siglip_memory.py --batches 256 --dim 16 --out /tmp/m.json

Writes ``benchmarks/results/siglip_memory.json`` and ``.md`` (or ``--out``).
"""
import os

os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=8").strip()

import argparse  # noqa: E402
import json  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from jax.sharding import NamedSharding, PartitionSpec as P  # noqa: E402

from lbrl.kernels.contrastive import siglip_loss  # noqa: E402
from lbrl.losses import contrastive as C  # noqa: E402
from lbrl.parallel.mesh import make_mesh  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def _mib(compiled) -> dict:
  m = compiled.memory_analysis()
  return {"temp_mib": m.temp_size_in_bytes / 2 ** 20, "argument_mib": m.argument_size_in_bytes / 2 ** 20}


def measure(batch: int, dim: int, devices: int, block: int) -> dict:
  mesh = make_mesh((devices,), ("data",))
  sh = NamedSharding(mesh, P("data"))
  rep = NamedSharding(mesh, P())
  x = jax.ShapeDtypeStruct((batch, dim), jnp.float32, sharding=sh)
  s = jax.ShapeDtypeStruct((), jnp.float32, sharding=rep)

  def dense(x, y, lt, b):
    d = {"embeddings": jnp.stack([x, y], 1), "log_temperature": lt, "bias": b}
    return jnp.mean(C.siglip(d))

  def local(x, y, lt, b):
    return siglip_loss(x, y, jnp.exp(lt), b, block_size=block, axis_name="data")

  ring_loss = jax.shard_map(local, mesh=mesh, in_specs=(P("data"), P("data"), P(), P()), out_specs=P("data"))
  ring = lambda *a: jnp.mean(ring_loss(*a))
  out = {}
  for name, f in (("dense", dense), ("ring", ring)):
    g = jax.jit(jax.value_and_grad(f, argnums=(0, 1, 2, 3)))
    out[name] = _mib(g.lower(x, x, s, s).compile())
  out["temp_ratio_dense_over_ring"] = out["dense"]["temp_mib"] / max(out["ring"]["temp_mib"], 1e-9)
  return out


def main(argv=None):
  ap = argparse.ArgumentParser()
  ap.add_argument("--batches", default="16384,65536")
  ap.add_argument("--dim", type=int, default=768)
  ap.add_argument("--block", type=int, default=1024)
  ap.add_argument("--out", default=os.path.join(HERE, "results", "siglip_memory.json"))
  a = ap.parse_args(argv)
  devices = min(8, jax.device_count())
  res = {"devices": devices, "dim": a.dim, "block": a.block, "platform": jax.devices()[0].platform, "results": {}}
  lines = ["| global batch | dense temp MiB/device | ring temp MiB/device | dense / ring |", "|---|---|---|---|"]
  for b in [int(v) for v in a.batches.split(",")]:
    r = measure(b, a.dim, devices, min(a.block, b // devices))
    res["results"][str(b)] = r
    lines.append(f"| {b} | {r['dense']['temp_mib']:.1f} | {r['ring']['temp_mib']:.1f} | "
                 f"{r['temp_ratio_dense_over_ring']:.1f}x |")
    print(lines[-1], flush=True)
  os.makedirs(os.path.dirname(a.out), exist_ok=True)
  json.dump(res, open(a.out, "w"), indent=1)
  md = os.path.splitext(a.out)[0] + ".md"
  open(md, "w").write(f"SigLIP loss + gradient, compiled memory per device ({devices} simulated {res['platform']} "
                      f"devices, D = {a.dim}, ring block {a.block}; `benchmarks/siglip_memory.py`)\n\n"
                      + "\n".join(lines) + "\n")
  return res


if __name__ == "__main__":
  main()
