"""Launcher: ``python -m lbrl.main --config configs/<slug>.py[:variant=cpu,seed=1] --workdir DIR``.

Any config field can be overridden on the command line (``--config.optimizer.learning_rate=3e-4``).
Without ``--config`` it runs the default experiment (the MNIST-1D CNN, ``configs/mnist1d.py``) in a
temporary workdir. Multi-host: on TPU pods ``jax.distributed`` is initialised automatically; on GPU or
CPU clusters pass ``--coordinator_address host:port --num_processes N --process_id i`` on every host.
"""
from __future__ import annotations

import os
import sys
import tempfile

from absl import app, flags, logging
from ml_collections import config_flags

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_DEFAULT_CONFIG = os.path.join(_REPO, "configs", "mnist1d.py")
if os.path.isdir(os.path.join(_REPO, "configs")) and _REPO not in sys.path:
  sys.path.insert(0, _REPO)  # configs import their shared pieces as `from configs import common`

config_flags.DEFINE_config_file("config", None, "Path to a config file, optionally ':variant=...,seed=...'.",
                                lock_config=True)
flags.DEFINE_string("workdir", "", "Run directory (checkpoints, metrics). Default: a temporary directory.")
flags.DEFINE_string("coordinator_address", "", "host:port of process 0 (multi-host clusters).")
flags.DEFINE_integer("num_processes", 0, "Number of processes (multi-host clusters).")
flags.DEFINE_integer("process_id", -1, "This process's id in [0, num_processes).")
flags.DEFINE_integer("sample_tokens", 300, "Characters to sample at the end from character-level LMs.")
FLAGS = flags.FLAGS


def _default_config():
  import importlib.util
  spec = importlib.util.spec_from_file_location("mnist1d_config", _DEFAULT_CONFIG)
  mod = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(mod)
  return mod.get_config("variant=cpu")


def main(argv):
  del argv
  if not FLAGS["verbosity"].present:
    logging.set_verbosity(logging.WARNING)  # orbax/TFDS info logs drown the progress display
  from lbrl.parallel.mesh import initialize_distributed
  initialize_distributed(FLAGS.coordinator_address, FLAGS.num_processes, FLAGS.process_id)
  from lbrl.train import train
  cfg = FLAGS.config if FLAGS.config is not None else _default_config()
  workdir = FLAGS.workdir or tempfile.mkdtemp(prefix="lbrl_")
  logging.info("workdir: %s", workdir)
  print(f"workdir: {workdir}", file=sys.stderr)
  final = train(cfg, workdir, sample_tokens=FLAGS.sample_tokens)
  for k, v in sorted(final.items()):
    if k.startswith("eval/"):
      print(f"{k} = {v:.4f}")
  if "sample" in final:
    print(f"--- sample ({FLAGS.sample_tokens} characters) ---\n{final['sample']}")


if __name__ == "__main__":
  app.run(main)
