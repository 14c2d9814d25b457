"""Trainer overhead: lbrl's train loop vs a bare hand-written ``jax.jit`` loop, same model and batches.

Both run the MNIST-1D task (batch 100, Adam lr 1e-2) for the same number of steps in one process, one
after the other, several times interleaved; the figure is the ratio of median steps/s (bare / lbrl), so
machine noise cancels. lbrl's rate is read from its own ``train/steps_per_sec`` windows (excluding the
first window, which holds compilation), the bare loop is timed after a warm-up.

    python benchmarks/trainer_overhead.py [--steps 3000] [--repeats 3] [--out benchmarks/results/trainer_overhead.json]
"""
import argparse
import json
import os
import tempfile
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lbrl import config as common
from lbrl.data import core
from lbrl.losses import cross_entropy
from lbrl.models import MLP, CNN1D
from lbrl.train import train
from lbrl.train.record import read_metrics


def lbrl_rate(model: str, steps: int, log_every: int) -> float:
  c, _ = common.base("variant=cpu")
  c.data.update(name="mnist1d", batch_size=100, eval_batch_size=1000)
  c.model = common.free(name=model)
  c.optimizer = common.free(name="adam", learning_rate=1e-2)
  c.steps, c.log_every, c.mesh.shape = steps, log_every, (1,)
  common.finalize(c)
  with tempfile.TemporaryDirectory() as wd:
    train(c, wd, progress=False)
    rates = [r["train/steps_per_sec"] for r in read_metrics(wd) if "train/steps_per_sec" in r]
  return float(np.median(rates[1:]))


def bare_rate(model: str, steps: int) -> float:
  """The minimal loop: jit(step) with donated params/opt state, batches device_put from NumPy."""
  data = core.load("mnist1d", "train")
  x, y = data.arrays["x"], data.arrays["label"]
  net = {"cnn1d": CNN1D, "mlp": MLP}[model](num_classes=10)
  params = net.init(jax.random.PRNGKey(0), jnp.asarray(x[:1]))
  tx = optax.adam(1e-2)
  opt = tx.init(params)

  def step(params, opt, xb, yb):
    loss, g = jax.value_and_grad(lambda p: jnp.mean(cross_entropy(net.apply(p, xb), yb)))(params)
    u, opt = tx.update(g, opt, params)
    return optax.apply_updates(params, u), opt, loss

  step = jax.jit(step, donate_argnums=(0, 1))
  rng = np.random.default_rng(0)
  perm = rng.permutation(len(x))
  spe = len(x) // 100
  batch = lambda s: (jax.device_put(x[perm[(s % spe) * 100:(s % spe + 1) * 100]]),
                     jax.device_put(y[perm[(s % spe) * 100:(s % spe + 1) * 100]]))
  for s in range(20):  # warm-up and compile
    params, opt, loss = step(params, opt, *batch(s))
  loss.block_until_ready()
  t = time.perf_counter()
  for s in range(steps):
    params, opt, loss = step(params, opt, *batch(s))
  loss.block_until_ready()
  return steps / (time.perf_counter() - t)


def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("--steps", type=int, default=3000)
  ap.add_argument("--repeats", type=int, default=3)
  ap.add_argument("--models", default="cnn1d,mlp")
  ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "trainer_overhead.json"))
  a = ap.parse_args()
  from absl import logging
  logging.set_verbosity(logging.ERROR)
  out = {"method": __doc__.strip().split("\n\n")[1], "steps": a.steps, "repeats": a.repeats,
         "devices": f"{jax.devices()[0].platform} x{jax.device_count()}", "models": {}}
  for model in a.models.split(","):
    bare, ours = [], []
    for _ in range(a.repeats):
      bare.append(bare_rate(model, a.steps))
      ours.append(lbrl_rate(model, a.steps, log_every=max(a.steps // 10, 1)))
    ratio = float(np.median(bare) / np.median(ours))
    out["models"][model] = {"bare_steps_per_sec": bare, "lbrl_steps_per_sec": ours,
                            "overhead_ratio_bare_over_lbrl": ratio}
    print(f"{model}: bare {np.median(bare):.0f} steps/s, lbrl {np.median(ours):.0f} steps/s, "
          f"time ratio lbrl/bare = {ratio:.3f}")
  os.makedirs(os.path.dirname(a.out), exist_ok=True)
  with open(a.out, "w") as f:
    json.dump(out, f, indent=1)


if __name__ == "__main__":
  main()
