"""Optimizer update time and state size: every lbrl.optim factory vs ``optax.adamw`` on the same tree.

Two parameter trees: the MNIST-1D 1-D CNN (5,210 parameters) and a ~10M-parameter decoder-only
Transformer LM (lbrl.models.transformer_lm, 6 layers, width 384, vocab 65). For each optimizer the
jitted ``update + apply_updates`` step (gradient given, so the model's forward/backward is excluded)
is timed interleaved with ``optax.adamw`` in the same process (median of repeats, after compilation);
the figure is the time ratio to AdamW, so machine noise cancels. State size is the bytes of the
optimizer state divided by the number of parameters (AdamW: 8 bytes/param in float32).

Two-pass methods (sam, amp_perturbation, gradient_regularization, sam_imbalance) are timed with a
``grad_fn`` that returns a fixed gradient, so the ratio is the optimizer's own overhead; in training they
cost one extra forward/backward per step (see lbrl.optim.sharpness).

    nice python benchmarks/optim_update.py [--repeats 3] [--out benchmarks/results/optim_update.json]
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
import lbrl.optim as O  # noqa: E402
from lbrl.models import CNN1D  # noqa: E402
from lbrl.registry import MODELS, OPTIMIZERS  # noqa: E402

KWARGS = {"lars": {}, "tvlars": {}, "galore": {"rank": 32}, "frugal": {"rank": 32}, "fira": {"rank": 32},
          "ranger21": {"total_steps": 1000}}
SMALL_RANK = {"galore": 2, "frugal": 2, "fira": 2}


def trees():
  cnn = CNN1D(num_classes=10)
  p_cnn = cnn.init(jax.random.PRNGKey(0), jnp.zeros((1, 40)))["params"]
  lm = MODELS.get("transformer_lm")(vocab_size=65, num_layers=6, num_heads=6, width=384, max_len=256)
  p_lm = lm.init(jax.random.PRNGKey(0), jnp.zeros((1, 16), jnp.int32))["params"]
  return {"cnn1d": p_cnn, "transformer_10m": p_lm}


def build(name, tree_name):
  kw = dict(KWARGS.get(name, {}))
  if tree_name == "cnn1d" and name in SMALL_RANK:   # the CNN's smallest kernel is 5 x 25
    kw["rank"] = SMALL_RANK[name]
  components = O.components(name)
  if components:   # optimizer-valued arguments: their default registered optimizer, at lr 1e-3
    return OPTIMIZERS.get(name)(**kw, **{arg: OPTIMIZERS.get(inner)(learning_rate=1e-3)
                                         for arg, inner in components.items()})
  return OPTIMIZERS.get(name)(learning_rate=1e-3, **kw)


def timer(tx, params, repeats: int, inner: int = 10):
  grads = jax.tree.map(lambda p: 1e-3 * jnp.ones_like(p), params)
  gfn = lambda p, i: grads

  @jax.jit
  def many(params, state):
    def body(_, carry):
      p, s = carry
      u, s = tx.update(grads, s, p, value=jnp.asarray(1.0), grad_fn=gfn)
      return optax.apply_updates(p, u), s
    return jax.lax.fori_loop(0, inner, body, (params, state))

  state = tx.init(params)
  # compile; the timed calls start from step `inner` (< update_gap), so the low-rank methods' SVD
  # refresh (every 200 steps) is not in the timed window: it is amortised separately in the report.
  params, state = jax.block_until_ready(many(params, state))
  times = []
  for _ in range(repeats):
    t = time.perf_counter()
    jax.block_until_ready(many(params, state))
    times.append((time.perf_counter() - t) / inner)
  return float(np.median(times)), state


def state_bytes(state) -> int:
  return int(sum(x.size * x.dtype.itemsize for x in jax.tree.leaves(state) if hasattr(x, "dtype")))


def main(argv=None):
  ap = argparse.ArgumentParser()
  ap.add_argument("--repeats", type=int, default=3)
  ap.add_argument("--only", default="", help="comma-separated optimizer names")
  ap.add_argument("--out", default="benchmarks/results/optim_update.json")
  args = ap.parse_args(argv)
  names = [n for n in OPTIMIZERS.names() if not args.only or n in args.only.split(",")]
  out = {"device": str(jax.devices()[0]), "jax": jax.__version__, "trees": {}}
  for tree_name, params in trees().items():
    n_params = sum(x.size for x in jax.tree.leaves(params))
    rows = {}
    for name in names:
      tx = build(name, tree_name)
      ref = optax.adamw(1e-3, weight_decay=1e-4)
      t_ref, s_ref = timer(ref, params, args.repeats)
      t, s = timer(tx, params, args.repeats)
      t_ref2, _ = timer(ref, params, args.repeats)      # AdamW timed before and after: interleaved
      ratio = t / (0.5 * (t_ref + t_ref2))
      rows[name] = {"time_ratio_vs_adamw": ratio, "state_bytes_per_param": state_bytes(s) / n_params,
                    "adamw_state_bytes_per_param": state_bytes(s_ref) / n_params}
      print(f"{tree_name:16s} {name:24s} time x{ratio:5.2f}  state {rows[name]['state_bytes_per_param']:6.2f} "
            f"B/param (adamw {rows[name]['adamw_state_bytes_per_param']:.2f})", flush=True)
    out["trees"][tree_name] = {"num_params": n_params, "optimizers": rows}
  os.makedirs(os.path.dirname(args.out), exist_ok=True)
  with open(args.out, "w") as f:
    json.dump(out, f, indent=1)
  print("wrote", args.out)


if __name__ == "__main__":
  main()
