"""Input-pipeline throughput vs what the train step consumes (MNIST-1D, digits, Tiny Shakespeare).

For each dataset, in one process: (1) the pipeline's rate, examples/s, of lbrl's ``TrainBatches``
producing device-resident chunks of shuffled batches (host gather + transfer, what the trainer's
prefetch thread does), consumed without training; (2) the train step's rate, examples/s, of a bare
``jax.jit`` Adam step of the config's model on a batch already on the device (the most the step can
consume). The figure is the ratio pipeline / step: above 1 the pipeline keeps up, and since the
prefetch thread overlaps it with the step, the step never waits. Repeated and interleaved; medians.

    python benchmarks/data_pipeline.py [--repeats 3] [--out benchmarks/results/data_pipeline.json]
"""
import argparse
import json
import os
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from lbrl.data import core, pipeline  # noqa: E402
from lbrl.losses import cross_entropy  # noqa: E402
from lbrl.models import CNN1D, MLP, TransformerLM  # noqa: E402
from lbrl.parallel import mesh as meshlib  # noqa: E402

SETTINGS = {  # dataset -> (options, batch, model factory(meta), steps)
    "mnist1d": ({}, 100, lambda m: CNN1D(num_classes=m["num_classes"]), 300),
    "digits": ({}, 128, lambda m: MLP(num_classes=m["num_classes"]), 300),
    "tiny_shakespeare": (dict(context=64), 12, lambda m: TransformerLM(
        vocab_size=m["vocab_size"], num_layers=4, num_heads=4, width=128, max_len=64, positions="learned"), 100),
}


def pipeline_rate(data, batch: int, steps: int, sharding) -> float:
  tb = pipeline.TrainBatches(data, batch, sharding, seed=0)
  chunks = max(steps // tb.k, 2)
  jax.block_until_ready(tb.chunk(0))  # warm-up
  t = time.perf_counter()
  for c in range(1, chunks + 1):
    jax.block_until_ready(tb.chunk(c))
  return chunks * tb.k * batch / (time.perf_counter() - t)


def step_rate(data, batch: int, model, steps: int) -> float:
  x = jnp.asarray(data.arrays["x"][:batch])
  y = jnp.asarray(data.arrays["label"][:batch])
  params = model.init(jax.random.PRNGKey(0), x)
  tx = optax.adam(1e-3)
  opt = tx.init(params)

  def step(params, opt, xb, yb):
    loss, g = jax.value_and_grad(lambda p: jnp.mean(cross_entropy(model.apply(p, xb), yb)))(params)
    u, opt = tx.update(g, opt, params)
    return optax.apply_updates(params, u), opt, loss

  step = jax.jit(step, donate_argnums=(0, 1))
  for _ in range(5):
    params, opt, loss = step(params, opt, x, y)
  loss.block_until_ready()
  t = time.perf_counter()
  for _ in range(steps):
    params, opt, loss = step(params, opt, x, y)
  loss.block_until_ready()
  return steps * batch / (time.perf_counter() - t)


def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("--repeats", type=int, default=3)
  ap.add_argument("--datasets", default=",".join(SETTINGS))
  ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "data_pipeline.json"))
  a = ap.parse_args()
  from absl import logging
  logging.set_verbosity(logging.ERROR)
  mesh = meshlib.make_mesh((-1,), ("data",))
  sharding = meshlib.batch_sharding(mesh)
  out = {"method": __doc__.strip().split("\n\n")[1], "repeats": a.repeats,
         "devices": f"{jax.devices()[0].platform} x{jax.device_count()}", "datasets": {}}
  for name in a.datasets.split(","):
    opts, batch, make_model, steps = SETTINGS[name]
    data = core.load(name, "train", **opts)
    model = make_model(data.meta)
    pipe, stp = [], []
    for _ in range(a.repeats):
      pipe.append(pipeline_rate(data, batch, steps, sharding))
      stp.append(step_rate(data, batch, model, steps))
    ratio = float(np.median(pipe) / np.median(stp))
    out["datasets"][name] = {"batch": batch, "model": type(model).__name__,
                             "pipeline_examples_per_sec": pipe, "step_examples_per_sec": stp,
                             "ratio_pipeline_over_step": ratio}
    print(f"{name}: pipeline {np.median(pipe):,.0f} ex/s, train step {np.median(stp):,.0f} ex/s, "
          f"ratio {ratio:.1f}")
  os.makedirs(os.path.dirname(a.out), exist_ok=True)
  with open(a.out, "w") as f:
    json.dump(out, f, indent=1)


if __name__ == "__main__":
  main()
