"""Benchmark (experiment kind `benchmark`, lbrl.tools.kinds.benchmark) of lbrl.kernels (linear_ce) vs the naive computation: memory and time ratios in one run; writes
experiments/cut_cross_entropy/README.md and results.json.

    nice python benchmarks/kernels_linear_ce.py --config configs/cut_cross_entropy.py:variant=cpu
"""
import os

# The ring benchmark needs several devices: simulate 8 CPU devices before jax is imported.
os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=8").strip()

from lbrl.tools import reproduce  # noqa: E402

if __name__ == "__main__":
  reproduce.benchmark_main(default_config="configs/cut_cross_entropy.py:variant=cpu")
