"""The launcher: command-line overrides (new component keys, lists, a component named by another name,
misspelt keys), loading a config by path from any directory, and what it prints."""
import glob
import json
import os
import subprocess
import sys

import pytest

from lbrl import config as common
from lbrl import main as launcher
from lbrl.main import OverrideError, apply_overrides, split_overrides

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MNIST1D = os.path.join(REPO, "configs", "mnist1d.py")


def base_config():
  c, _ = common.base("variant=smoke")
  c.model = common.free(name="cnn1d", channels=8)
  c.optimizer = common.free(name="adamw", learning_rate=1e-3, weight_decay=0.1, b2=0.99,
                            frozen=[r"Dense_0/"])
  c.grad_estimator = common.free(name="sam", rho=0.05)
  c.data.options = common.free(shuffle_spatial=True)
  return common.finalize(c)


def override(cfg, *args):
  _, pairs = split_overrides(["prog", *args])
  return apply_overrides(cfg, pairs)


def test_split_overrides_keeps_other_flags():
  rest, pairs = split_overrides(["prog", "--workdir=/w", "--config.steps=3", "--config.model.name", "mlp",
                                 "--config=configs/x.py:variant=smoke", "-config.seed=2"])
  assert rest == ["prog", "--workdir=/w", "--config=configs/x.py:variant=smoke"]
  assert pairs == [("steps", "3"), ("model.name", "mlp"), ("seed", "2")]
  with pytest.raises(OverrideError, match="give a value"):
    split_overrides(["prog", "--config.steps"])


def test_component_arguments_take_new_keys():
  cfg = base_config()
  override(cfg, "--config.model.num_classes=5", "--config.loss.label_smoothing=0.1",
           "--config.optimizer.eps=1e-6", "--config.data.options.num_examples=300",
           "--config.grad_estimator.adaptive=true")
  assert cfg.model.num_classes == 5 and cfg.loss.label_smoothing == 0.1 and cfg.optimizer.eps == 1e-6
  assert cfg.data.options.num_examples == 300 and cfg.grad_estimator.adaptive is True
  assert cfg.model.channels == 8  # untouched


def test_lists_and_typed_values():
  cfg = base_config()
  override(cfg, '--config.data.transforms=[{"name": "label_noise", "rate": 0.4}]',
           "--config.sweep.seeds=0,1,2", "--config.mesh.shape=2,4", "--config.mesh.axes=data,fsdp",
           "--config.eval_metrics=loss", "--config.steps=1e3", "--config.optimizer.learning_rate=3",
           "--config.data.check_labels=false", "--config.sharding_rules=[['Dense_0/kernel', [None, 'fsdp']]]")
  assert cfg.data.transforms == [{"name": "label_noise", "rate": 0.4}]
  assert list(cfg.sweep.seeds) == [0, 1, 2]
  assert cfg.mesh.shape == (2, 4) and cfg.mesh.axes == ("data", "fsdp")
  assert list(cfg.eval_metrics) == ["loss"]
  assert cfg.steps == 1000 and isinstance(cfg.steps, int)
  assert cfg.optimizer.learning_rate == 3.0 and isinstance(cfg.optimizer.learning_rate, float)
  assert cfg.data.check_labels is False
  assert cfg.sharding_rules == [["Dense_0/kernel", [None, "fsdp"]]]
  override(cfg, "--config.sweep.seeds=[3]", "--config.schedule={'name': 'cosine', 'warmup_steps': 2}")
  assert list(cfg.sweep.seeds) == [3] and cfg.schedule.name == "cosine" and cfg.schedule.warmup_steps == 2


@pytest.mark.parametrize("arg, match", [
    ("--config.optimzer.learning_rate=1", r"the config has no field 'optimzer' \(did you mean 'optimizer'\?\)"),
    ("--config.stpes=3", r"no field 'stpes' \(did you mean 'steps'\?\)"),
    ("--config.data.batchsize=3", r"config.data has no field 'batchsize' \(did you mean 'batch_size'\?\)"),
    ("--config.schedule={'nmae': 'cosine'}", r"config.schedule has no field 'nmae' \(did you mean 'name'\?\)"),
    ("--config.steps=1.5", "expected an integer"),
    ("--config.steps=many", "expected a number"),
    ("--config.data.check_labels=maybe", "expected true or false"),
    ("--config.steps.x=1", "config.steps is a int, not a sub-config"),
])
def test_bad_overrides_are_one_line_errors(arg, match):
  with pytest.raises(OverrideError, match=match) as e:
    override(base_config(), arg)
  assert "\n" not in str(e.value)


def test_naming_another_component_drops_its_arguments():
  cfg = base_config()
  notes = override(cfg, "--config.optimizer.name=sgd", "--config.optimizer.momentum=0.9",
                   "--config.optimizer.b2=0.9")
  assert cfg.optimizer.to_dict() == {"name": "sgd", "learning_rate": 1e-3, "frozen": [r"Dense_0/"],
                                     "momentum": 0.9, "b2": 0.9}
  assert notes == ["optimizer.name 'adamw' -> 'sgd': dropped the previous arguments optimizer.weight_decay "
                   "(give them on the command line to keep them)"]
  notes = override(cfg, "--config.model.name=mlp", "--config.grad_estimator.name=plain",
                   "--config.data.name=digits", "--config.loss.name=cross_entropy")
  assert cfg.model.to_dict() == {"name": "mlp"} and cfg.grad_estimator.to_dict() == {"name": "plain"}
  assert cfg.data.options.to_dict() == {} and cfg.data.name == "digits" and cfg.data.batch_size == 128
  assert [n.split(":")[0] for n in notes] == ["model.name 'cnn1d' -> 'mlp'",
                                              "grad_estimator.name 'sam' -> 'plain'",
                                              "data.name 'mnist1d' -> 'digits'"]
  assert "model.channels" in notes[0] and "data.options.shuffle_spatial" in notes[2]
  assert cfg.loss.impl == "naive"  # the same loss named again keeps its arguments


def test_a_component_given_whole_replaces_it():
  cfg = base_config()
  override(cfg, """--config.model={"name": "mlp", "width": 32}""")
  assert cfg.model.to_dict() == {"name": "mlp", "width": 32}


def test_config_file_by_path_with_argument():
  cfg = launcher.load_config(f"{MNIST1D}:variant=smoke,seed=4")
  assert cfg.variant == "smoke" and cfg.seed == 4
  assert launcher.load_config(None).variant == "cpu"  # no --config: the default experiment
  with pytest.raises(OverrideError, match="no config file"):
    launcher.load_config("configs/nope.py")
  with pytest.raises(OverrideError, match="unknown variant"):
    launcher.load_config(f"{MNIST1D}:variant=huge")


def run_launcher(*args, cwd):
  env = dict(os.environ, JAX_PLATFORMS="cpu", XLA_FLAGS="--xla_force_host_platform_device_count=1")
  return subprocess.run([sys.executable, "-m", "lbrl.main", *args], cwd=cwd, env=env, capture_output=True,
                        text=True, timeout=600)


def test_misspelt_key_from_the_command_line_is_one_line_and_exit_2(tmp_path):
  p = run_launcher(f"--config={MNIST1D}:variant=smoke", "--config.optimzer.learning_rate=1",
                   f"--workdir={tmp_path}", cwd=str(tmp_path))
  assert p.returncode == 2
  assert p.stderr.strip().splitlines() == [
      "error: --config.optimzer.learning_rate: the config has no field 'optimzer' (did you mean 'optimizer'?)"]
  assert not os.listdir(tmp_path)  # nothing ran


def test_launcher_from_another_directory_overrides_resume_and_damage(tmp_path):
  """From a directory outside the repository: a config by path, new keys, a list, a replaced optimizer;
  the final lines name the eval split; a relaunch after damaging the last checkpoint says so in one line
  and prints the step it resumed from."""
  wd = str(tmp_path / "wd")
  args = [f"--config={MNIST1D}:variant=smoke", f"--workdir={wd}", "--config.steps=4", "--config.checkpoint_every=2",
          "--config.model.name=mlp", "--config.model.num_classes=10",
          '--config.data.transforms=[{"name": "label_noise", "rate": 0.2}]',
          "--config.optimizer.name=sgd", "--config.optimizer.momentum=0.9"]
  p = run_launcher(*args, cwd=str(tmp_path))
  assert p.returncode == 0, p.stderr[-3000:]
  saved = json.load(open(os.path.join(wd, "config.json")))
  assert saved["model"] == {"name": "mlp", "num_classes": 10}
  assert saved["optimizer"] == {"name": "sgd", "learning_rate": 0.01, "momentum": 0.9}
  assert saved["data"]["transforms"] == [{"name": "label_noise", "rate": 0.2}]
  lines = p.stdout.strip().splitlines()
  assert lines and all(l.startswith("eval/") and l.endswith("(split 'test', 1000 examples)") for l in lines), lines
  assert any(l.startswith("eval/accuracy = ") for l in lines)
  step_dir = os.path.join(wd, "checkpoints", "4")
  files = [os.path.join(r, f) for r, _, fs in os.walk(step_dir) for f in fs]
  with open(max(files, key=os.path.getsize), "r+b") as fh:
    fh.truncate(100)
  p = run_launcher(*args, cwd=str(tmp_path))
  assert p.returncode == 0, p.stderr[-3000:]
  damaged = [l for l in p.stderr.splitlines() if "damaged" in l]
  assert len(damaged) == 1 and "checkpoint step 4 in" in damaged[0], p.stderr
  assert len(p.stderr.splitlines()) < 15, p.stderr  # no TensorStore spec dump
  assert "resumed from step 2" in p.stderr
  assert glob.glob(os.path.join(wd, "checkpoints", "damaged_4_*")) and os.path.isdir(step_dir)


@pytest.mark.parametrize("arg, match", [
    ("--config.optimizer.learning_rte=0.1", r"optimizer 'adamw' takes no argument 'learning_rte' \(did you mean 'learning_rate'\?\)"),
    ("--config.model.chanels=4", r"model 'cnn1d' takes no argument 'chanels' \(did you mean 'channels'\?\)"),
    ("--config.loss.label_smothing=0.1", r"loss 'cross_entropy' takes no argument 'label_smothing' \(did you mean 'label_smoothing'\?\)"),
    ("--config.grad_estimator.roh=0.1", r"gradient estimator 'sam' takes no argument 'roh' \(did you mean 'rho'\?\)"),
])
def test_an_argument_the_component_does_not_take_is_one_line(arg, match):
  cfg, added = base_config(), []
  _, pairs = split_overrides(["prog", arg])
  apply_overrides(cfg, pairs, added)
  with pytest.raises(OverrideError, match=match) as e:
    launcher.check_added_keys(cfg, added)
  assert "\n" not in str(e.value)


def test_arguments_the_component_takes_pass_the_check():
  cfg, added = base_config(), []
  _, pairs = split_overrides(["prog", "--config.model.num_classes=5", "--config.loss.label_smoothing=0.1",
                              "--config.optimizer.eps=1e-6", "--config.optimizer.weight_decay_mask=['kernel']",
                              "--config.grad_estimator.eps=1e-9", "--config.data.options.anything=1"])
  apply_overrides(cfg, pairs, added)
  assert len(added) == 6 and "optimizer.weight_decay_mask" in added  # a trainer-level key
  launcher.check_added_keys(cfg, added)
