"""config.init: a run starts from another run's parameters (as trained, or transformed: model growth),
trains its first stage when given a ``train`` block, refuses mismatched shapes by name, and resumes its
own checkpoint (not the source's) after an interruption."""
import jax
import numpy as np
import pytest

from lbrl import config as common
from lbrl.train import train
from lbrl.train.record import read_metrics
from tests.train._small import small_config

pytestmark = pytest.mark.heavy


def _params(out):
  return [np.asarray(x) for x in jax.tree.leaves(out["state"].params)]


def _frozen(cfg, **over):
  """``cfg`` with a zero learning rate (the first step leaves the starting parameters)."""
  with cfg.unlocked():
    cfg.optimizer = common.free(name="sgd", learning_rate=0.0)
    for k, v in over.items():
      cfg[k] = v
  return cfg


def test_starts_from_a_trained_workdir_and_resumes_its_own_checkpoint(tmp_path):
  src = train(small_config(steps=4), str(tmp_path / "src"), progress=False)
  out = train(_frozen(small_config(steps=1), init=dict(workdir=str(tmp_path / "src"))), str(tmp_path / "a"),
              progress=False)
  for a, b in zip(_params(src), _params(out)):
    np.testing.assert_array_equal(a, b)
  assert out["eval/loss"] == pytest.approx(src["eval/loss"], rel=1e-6)
  # a continued run stopped half-way and relaunched equals one that never stopped
  init = dict(workdir=str(tmp_path / "src"))
  full = train(small_config(steps=6, init=init), str(tmp_path / "full"), progress=False)
  train(small_config(steps=3, init=init), str(tmp_path / "split"), progress=False)
  resumed = train(small_config(steps=6, init=init), str(tmp_path / "split"), progress=False)
  for a, b in zip(_params(full), _params(resumed)):
    np.testing.assert_array_equal(a, b)


def test_first_stage_with_growth_preserves_the_function(tmp_path):
  """A 1-layer width-32 LM trained as the first stage, grown to 2 layers x width 64 (grow_transformer):
  the grown model's loss equals the source's (function-preserving expansion)."""
  c, _ = common.base("variant=smoke")
  c.data.update(name="tiny_shakespeare", split_train="train", split_eval="validation", batch_size=8,
                eval_batch_size=32)
  c.data.options = common.free(context=32, eval_stride=8192)
  small = dict(name="transformer_lm", num_layers=1, num_heads=2, width=32, max_len=32, norm="rms")
  c.model = common.free(**dict(small, num_layers=2, num_heads=4, width=64))
  c.steps, c.log_every = 1, 1
  c.init = dict(train=dict(model=small, steps=3, optimizer=dict(name="adamw", learning_rate=3e-3)),
                transform="grow_transformer", kwargs=dict(scale=0.02))
  common.finalize(c)
  out = train(_frozen(c), str(tmp_path / "grown"), progress=False)
  source = [r for r in read_metrics(str(tmp_path / "grown" / "init")) if "eval/loss" in r][-1]["eval/loss"]
  assert out["eval/loss"] == pytest.approx(source, rel=1e-4)
  source_params = [r for r in read_metrics(str(tmp_path / "grown" / "init")) if "model/params" in r][-1]["model/params"]
  assert out["model/params"] > 2 * source_params


def test_mismatched_shapes_name_the_parameter(tmp_path):
  train(small_config(steps=2), str(tmp_path / "src"), progress=False)
  cfg = small_config(steps=1, init=dict(workdir=str(tmp_path / "src")))
  with cfg.unlocked():
    cfg.model = common.free(name="mlp", hidden=(32,))
  with pytest.raises(ValueError, match=r"config.init: .*Dense_0.*expected"):
    train(cfg, str(tmp_path / "b"), progress=False)
  with pytest.raises(ValueError, match="needs workdir="):
    train(small_config(steps=1, init=dict(transform="grow_transformer")), str(tmp_path / "c"), progress=False)


def test_first_stage_in_a_shared_workdir_is_trained_once(tmp_path):
  """init=dict(train=..., workdir=<shared>): the first stage (its own seed and optimizer, so that it is one
  run whatever the seed of the runs naming it) trains there once; every run starts from its parameters."""
  from lbrl.train.trainer import init_stage_config
  shared = str(tmp_path / "stage")
  init = dict(train=dict(steps=3, seed=0, optimizer=dict(name="adam", learning_rate=3e-3)), workdir=shared)
  a = train(_frozen(small_config(steps=1), init=init), str(tmp_path / "a"), progress=False)
  cfg_b = _frozen(small_config(steps=1, seed=1), init=init)
  b = train(cfg_b, str(tmp_path / "b"), progress=False)
  assert sum("train/loss" in r for r in read_metrics(shared)) == 1    # trained once (a relaunch trains nothing)
  alone = train(init_stage_config(cfg_b), str(tmp_path / "alone"), progress=False)   # the same stage, by itself
  for x, y, z in zip(_params(a), _params(b), _params(alone)):
    np.testing.assert_array_equal(x, z)
    np.testing.assert_array_equal(y, z)
