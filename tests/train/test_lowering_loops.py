"""Paper footprints count every loop iteration: XLA's cost analysis counts a loop body once, so
``lowering.loop_flops`` adds the iterations it leaves out (PGD steps, micro-batches, fori_loops)."""
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.tools import reproduce
from lbrl.train import lowering

pytestmark = pytest.mark.heavy


def _cost(f, *args):
  closed = jax.make_jaxpr(f)(*args)
  c = jax.jit(f).lower(*args).cost_analysis()
  c = c[0] if isinstance(c, (list, tuple)) else c
  return float(c["flops"]), lowering.loop_flops(closed, "cpu")


def test_loop_flops_equals_unrolling():
  x, w = jnp.ones((4, 16)), jnp.ones((16, 16))
  looped = lambda x, w: jax.lax.fori_loop(0, 6, lambda i, h: jnp.tanh(h @ w), x)
  unrolled = lambda x, w: jax.lax.fori_loop(0, 6, lambda i, h: jnp.tanh(h @ w), x, unroll=True)
  xla, extra = _cost(looped, x, w)
  xla_u, extra_u = _cost(unrolled, x, w)
  assert extra > 0 and extra_u == 0
  np.testing.assert_allclose(xla + extra, xla_u, rtol=1e-3)   # the loop counter's few adds differ


def _paper(slug, **changes):
  cfg, _ = reproduce.load_config(os.path.join(reproduce.REPO, "configs", f"{slug}.py"), "paper")
  cfg.model = dict(name="resnet", depth=8, width=4)   # a tiny model keeps tracing cheap
  for k, v in changes.items():
    node, *path = k.split(".")
    target = cfg[node] if path else cfg
    target[path[-1] if path else node] = v
  return lowering.paper_footprint(cfg)["flops_per_step"]


def test_pgd_steps_are_counted_per_step():
  f = {n: _paper("sovr", **{"data.batch_size": 8, "grad_estimator.steps": n}) for n in (1, 2, 10)}
  np.testing.assert_allclose(f[10] - f[1], 9 * (f[2] - f[1]), rtol=1e-3)


def test_gradient_accumulation_costs_the_same_as_one_batch():
  one = _paper("polyloss", **{"data.batch_size": 64, "grad_accum_steps": 1})
  four = _paper("polyloss", **{"data.batch_size": 64, "grad_accum_steps": 4})
  np.testing.assert_allclose(four, one, rtol=0.01)
