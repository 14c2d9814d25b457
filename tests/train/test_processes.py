"""End-to-end tests through the launcher in subprocesses: SIGKILL + resume, SIGTERM, and 2 processes
(gloo CPU collectives on 127.0.0.1, 2 devices each) against 1 process with 4 devices."""
import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG = os.path.join(REPO, "configs", "mnist1d.py")
ARGS = [f"--config={CONFIG}:variant=cpu", "--config.model.name=mlp", "--config.eval_every=0",
        "--config.log_every=10", "--config.data.eval_batch_size=200"]


def launch(workdir, *extra, devices=1, env_extra=None):
  env = dict(os.environ, JAX_PLATFORMS="cpu", XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}",
             **(env_extra or {}))
  return subprocess.Popen([sys.executable, "-m", "lbrl.main", f"--workdir={workdir}", *ARGS, *extra],
                          cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(p, timeout=300):
  out, _ = p.communicate(timeout=timeout)
  assert p.returncode == 0, out[-3000:]
  return out


def metrics(workdir):
  return [json.loads(l) for l in open(os.path.join(workdir, "metrics.jsonl"))]


def final_eval(workdir):
  return [r for r in metrics(workdir) if "eval/loss" in r][-1]


def steps_saved(workdir):
  d = os.path.join(workdir, "checkpoints")
  return sorted(int(x) for x in os.listdir(d) if x.isdigit()) if os.path.isdir(d) else []


def test_sigkill_then_resume_matches_uninterrupted(tmp_path):
  steps = ["--config.steps=600", "--config.checkpoint_every=50"]
  ref = str(tmp_path / "ref")
  finish(launch(ref, *steps))
  wd = str(tmp_path / "killed")
  p = launch(wd, *steps)
  deadline = time.time() + 240
  while time.time() < deadline and not [s for s in steps_saved(wd) if s >= 100]:
    time.sleep(0.05)
  p.send_signal(signal.SIGKILL)
  p.wait()
  killed_at = max(steps_saved(wd))
  assert 0 < killed_at < 600, "the run finished before it could be killed; make it longer"
  finish(launch(wd, *steps))
  a, b = final_eval(ref), final_eval(wd)
  assert a["eval/loss"] == b["eval/loss"] and a["eval/accuracy"] == b["eval/accuracy"]


def test_sigterm_saves_and_resumes(tmp_path):
  steps = ["--config.steps=3000"]
  wd = str(tmp_path / "term")
  p = launch(wd, *steps)
  deadline = time.time() + 240
  while time.time() < deadline and not (os.path.exists(os.path.join(wd, "metrics.jsonl"))
                                        and len(metrics(wd)) >= 3):
    time.sleep(0.05)
  p.send_signal(signal.SIGTERM)
  p.communicate(timeout=120)
  assert p.returncode == 143
  saved = steps_saved(wd)
  assert saved and 0 < saved[-1] < 3000
  ref = str(tmp_path / "ref")
  finish(launch(ref, *steps))
  finish(launch(wd, *steps))
  assert final_eval(ref)["eval/loss"] == final_eval(wd)["eval/loss"]


def free_port():
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


def test_two_processes_match_one_process_with_four_devices(tmp_path):
  steps = ["--config.steps=40"]
  single = str(tmp_path / "single")
  finish(launch(single, *steps, devices=4))
  multi = str(tmp_path / "multi")
  port = free_port()
  procs = [launch(multi, *steps, f"--coordinator_address=127.0.0.1:{port}", "--num_processes=2",
                  f"--process_id={i}", devices=2) for i in range(2)]
  outs = [finish(p) for p in procs]
  assert "eval/accuracy" in outs[0]
  a = [r["train/loss"] for r in metrics(single) if "train/loss" in r]
  b = [r["train/loss"] for r in metrics(multi) if "train/loss" in r]
  assert len(a) == len(b) == 4
  np.testing.assert_allclose(a, b, rtol=1e-5)
  np.testing.assert_allclose(final_eval(single)["eval/loss"], final_eval(multi)["eval/loss"], rtol=1e-5)
