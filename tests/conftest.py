"""Test setup: 8 simulated CPU devices for every test (must run before jax is imported)."""
import os
import tempfile

# LLVM at -O0 for the tests' CPU programs: the suite is dominated by XLA compilation of small programs
# run for a few steps, and -O0 halves that (measured: a config's smoke run 7.9 -> 3.8 CPU seconds).
# Numerics are those of the same operations, without vectorisation (reductions may round differently
# at the 1e-7 level). LBRL_TEST_XLA_OPT=1 keeps XLA's default optimisation.
_OPT = "" if os.environ.get("LBRL_TEST_XLA_OPT") else " --xla_backend_optimization_level=0"
os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                           " --xla_force_host_platform_device_count=8" + _OPT).strip()
os.environ.setdefault("JAX_PLATFORMS", "cpu")
# One persistent XLA compilation cache for the test session and its xdist workers: configs, resume runs
# and tests that compile the same program compile it once (keyed by the program, jax version and flags).
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR",
                      os.path.join(tempfile.gettempdir(), f"lbrl-test-jax-cache-{os.getuid()}"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")

import pytest  # noqa: E402

# Tests that train a model, lower a paper variant, run the launcher, a sweep or a Pallas kernel in
# interpret mode: marked ``heavy`` so that ``pytest -m "not slow and not heavy"`` is the quick edit-test
# loop (a few minutes on 2 cores); CI runs everything but ``slow``.
HEAVY_MODULES = ("tests/train/", "tests/configs/", "tests/test_main.py", "tests/models/test_zoo.py",
                 "tests/models/test_paper_zoo.py", "tests/kernels/test_lm_hook.py", "tests/tools/test_kinds.py",
                 "tests/tools/test_reproduce.py", "tests/benchmarks/", "tests/kernels/test_benchmarks.py",
                 "tests/optim/test_battery.py", "tests/data/test_mnist1d.py", "tests/kernels/")


def pytest_collection_modifyitems(config, items):
  root = str(config.rootpath)
  for item in items:
    path = str(item.path)[len(root) + 1:] if str(item.path).startswith(root) else str(item.path)
    if path.startswith(HEAVY_MODULES):
      item.add_marker(pytest.mark.heavy)


# ``LBRL_CPU_TIMES=<file>``: append each test's process CPU seconds (setup + call + teardown, compilation
# threads included) to <file> as "<seconds>\t<nodeid>" lines: the suite's cost measured in CPU time, which a
# shared, loaded machine inflates far less than wall time (sum the column to budget CI).
_CPU_TIMES = os.environ.get("LBRL_CPU_TIMES")
if _CPU_TIMES:
  import time as _time

  @pytest.hookimpl(hookwrapper=True)
  def pytest_runtest_protocol(item, nextitem):
    t0 = _time.process_time()
    yield
    with open(_CPU_TIMES, "a") as f:
      f.write(f"{_time.process_time() - t0:.3f}\t{item.nodeid}\n")
