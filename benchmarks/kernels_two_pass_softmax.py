"""Benchmark (experiment kind `benchmark`, lbrl.tools.kinds.benchmark) of lbrl.kernels (two_pass_softmax) vs the naive computation: memory and time ratios in one run; writes
experiments/two_pass_softmax/README.md and results.json.

    nice python benchmarks/kernels_two_pass_softmax.py --config configs/two_pass_softmax.py:variant=cpu
"""
import os

# The ring benchmark needs several devices: simulate 8 CPU devices before jax is imported.
os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=8").strip()

from lbrl.tools import reproduce  # noqa: E402

if __name__ == "__main__":
  reproduce.benchmark_main(default_config="configs/two_pass_softmax.py:variant=cpu")
