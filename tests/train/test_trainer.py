"""Trainer tests: 8-device == 1-device, NaN handling, grad accumulation, checkpoint round trip, errors."""
import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl import config as common
from tests.train._small import small_config
from lbrl.train import train
from lbrl.train.validate import ConfigError
from lbrl.registry import LOSSES


def leaves(state):
  return [np.asarray(x) for x in jax.tree.leaves(state.params)]


def test_eight_devices_match_one_device(tmp_path):
  one = train(small_config(mesh=dict(shape=(1,), axes=("data",))), str(tmp_path / "one"), progress=False)
  eight = train(small_config(), str(tmp_path / "eight"), progress=False)
  assert jax.device_count() == 8
  for a, b in zip(leaves(one["state"]), leaves(eight["state"])):
    np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)
  assert abs(one["eval/loss"] - eight["eval/loss"]) < 1e-4


def test_fsdp_mesh_matches_data_parallel(tmp_path):
  """MLP kernels sharded over an fsdp axis by the model's rules: same training as replicated."""
  dp = train(small_config(), str(tmp_path / "dp"), progress=False)
  fsdp = train(small_config(mesh=dict(shape=(2, 4), axes=("data", "fsdp"))), str(tmp_path / "fsdp"),
               progress=False)
  kernel = fsdp["state"].params["Dense_0"]["kernel"]
  assert kernel.sharding.spec == jax.sharding.PartitionSpec(None, "fsdp")
  for a, b in zip(leaves(dp["state"]), leaves(fsdp["state"])):
    np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)


def test_grad_accumulation_matches_big_batch(tmp_path):
  """Accumulating 4 micro-batches of 16 gives the update of one batch of 64 (mean loss, no BN)."""
  big = train(small_config(steps=5), str(tmp_path / "big"), progress=False)
  acc = train(small_config(steps=5, grad_accum_steps=4), str(tmp_path / "acc"), progress=False)
  for a, b in zip(leaves(big["state"]), leaves(acc["state"])):
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@LOSSES.register("_test_nan_at_step_3", needs=("step",))
def _nan_loss(logits, labels, *, step, where=None):
  ce = LOSSES.get("cross_entropy")(logits, labels, where=where)
  return jnp.where(step == 3, jnp.nan, ce)


def test_nonfinite_updates_are_skipped_and_counted(tmp_path):
  clean = train(small_config(steps=3), str(tmp_path / "clean"), progress=False)
  cfg = small_config(steps=4, max_skipped_fraction=0.5)
  with cfg.unlocked():
    cfg.loss = common.free(name="_test_nan_at_step_3")
  out = train(cfg, str(tmp_path / "nan"), progress=False)
  assert out["train/skipped_nonfinite"] == 1
  assert int(out["state"].first_nonfinite) == 3
  # the skipped step left params exactly where step 3 had them
  for a, b in zip(leaves(clean["state"]), leaves(out["state"])):
    np.testing.assert_array_equal(a, b)
  assert np.isfinite(out["eval/loss"])


def test_nonfinite_stop_names_the_step(tmp_path):
  cfg = small_config(steps=6, on_nonfinite="stop")
  with cfg.unlocked():
    cfg.loss = common.free(name="_test_nan_at_step_3")
  with pytest.raises(FloatingPointError, match="at step 3"):
    train(cfg, str(tmp_path / "stop"), progress=False)


def test_resume_continues_from_checkpoint(tmp_path):
  """A run stopped after 10 of 20 steps and restarted equals an uninterrupted 20-step run."""
  full = train(small_config(steps=20), str(tmp_path / "full"), progress=False)
  wd = str(tmp_path / "split")
  train(small_config(steps=10), wd, progress=False)       # leaves a checkpoint at step 10
  resumed = train(small_config(steps=20), wd, progress=False)
  for a, b in zip(leaves(full["state"]), leaves(resumed["state"])):
    np.testing.assert_array_equal(a, b)
  assert resumed["eval/loss"] == full["eval/loss"]


def test_damaged_latest_checkpoint_falls_back(tmp_path):
  wd = str(tmp_path / "wd")
  train(small_config(steps=10, checkpoint_every=5, keep_checkpoints=3), wd, progress=False)
  ckdir = os.path.join(wd, "checkpoints", "10")
  for root, _, files in os.walk(ckdir):
    for f in files:
      with open(os.path.join(root, f), "wb") as fh:
        fh.write(b"garbage")
  full = train(small_config(steps=10), str(tmp_path / "ref5"), progress=False)
  out = train(small_config(steps=10, checkpoint_every=5, keep_checkpoints=3), wd, progress=False)
  # resumed from step 5 (10 is unreadable), so it redid steps 5..10 and matches an uninterrupted run
  for a, b in zip(leaves(full["state"]), leaves(out["state"])):
    np.testing.assert_array_equal(a, b)


def test_workdir_record(tmp_path):
  wd = str(tmp_path / "wd")
  train(small_config(steps=5), wd, progress=False)
  cfg = json.load(open(os.path.join(wd, "config.json")))
  assert cfg["model"]["name"] == "mlp"
  run = json.load(open(os.path.join(wd, "run.json")))
  assert run["versions"]["jax"] == jax.__version__ and run["mesh"]["device_count"] == 8
  rows = [json.loads(l) for l in open(os.path.join(wd, "metrics.jsonl"))]
  assert any("train/loss" in r for r in rows) and "eval/accuracy" in rows[-1]


@pytest.mark.parametrize("over, match", [
    (dict(data=dict(name="mnist1d", batch_size=60, eval_batch_size=200)), "not divisible by the data-parallel"),
    (dict(mesh=dict(shape=(16,), axes=("data",))), "needs 16 devices"),
    (dict(steps=0), "steps must be >= 1"),
    (dict(on_nonfinite="ignore"), "on_nonfinite"),
])
def test_bad_config_errors(tmp_path, over, match):
  with pytest.raises(ValueError, match=match):
    train(small_config(**over), str(tmp_path / "bad"), progress=False)


@pytest.mark.parametrize("section, name, match", [
    ("model", "cnn2d", "unknown model 'cnn2d'"),
    ("loss", "cross_entropyy", "Did you mean 'cross_entropy'"),
    ("optimizer", "adamx", "unknown optimizer"),
])
def test_unknown_names(tmp_path, section, name, match):
  cfg = small_config()
  with cfg.unlocked():
    cfg[section] = common.free(name=name, learning_rate=1e-3) if section == "optimizer" else common.free(name=name)
  with pytest.raises(ConfigError, match=match):
    train(cfg, str(tmp_path / "bad"), progress=False)


def test_unknown_dataset(tmp_path):
  cfg = small_config()
  cfg.data.name = "mnist1dd"
  with pytest.raises(Exception, match="mnist1d"):
    train(cfg, str(tmp_path / "bad"), progress=False)


def test_misspelt_config_key_is_an_error():
  cfg = small_config()
  with pytest.raises(AttributeError, match="stesp|steps"):
    cfg.stesp = 3


@pytest.mark.parametrize("loss, impl", [("cross_entropy", "fused"), ("spherical_zloss", "gram")])
def test_logit_free_loss_trains_like_the_naive_loss(tmp_path, loss, impl):
  """loss.impl=fused (cross_entropy -> the linear cross-entropy kernel) or gram (spherical_zloss -> its
  Gram form): the LM returns (hidden, unembedding), logits are never formed in training, and the loss
  curve follows the naive run on logits."""
  from lbrl.train.record import read_metrics
  c, _ = common.base("variant=smoke")
  c.data.update(name="tiny_shakespeare", split_train="train", split_eval="validation", batch_size=8,
                eval_batch_size=32)
  c.data.options = common.free(context=32, eval_stride=8192)
  c.model = common.free(name="transformer_lm", num_layers=1, num_heads=2, width=32, max_len=32)
  c.optimizer = common.free(name="adamw", learning_rate=1e-3)
  c.loss.name = loss
  c.steps, c.log_every = 6, 1
  common.finalize(c)
  naive = train(c, str(tmp_path / "naive"), progress=False)
  c.loss.impl = impl
  fused = train(c, str(tmp_path / "fused"), progress=False)
  assert "train/accuracy" not in read_metrics(str(tmp_path / "fused"))[0]  # no logits in training
  curve = lambda wd: [r["train/loss"] for r in read_metrics(str(tmp_path / wd)) if "train/loss" in r]
  np.testing.assert_allclose(curve("fused"), curve("naive"), rtol=1e-5)
  np.testing.assert_allclose(fused["eval/loss"], naive["eval/loss"], rtol=1e-5)


def test_unavailable_loss_impl_is_an_error_naming_the_key(tmp_path):
  cfg = small_config()
  cfg.loss.impl = "gram"   # cross_entropy has no Gram form
  with pytest.raises(ValueError, match=r"config\.loss\.impl='gram'.*'cross_entropy'"):
    train(cfg, str(tmp_path / "bad"), progress=False)


def test_out_of_range_labels_are_an_error_naming_the_position(tmp_path, monkeypatch):
  from lbrl.data import core
  load = core.load

  def corrupt(name, split, **kw):
    data = load(name, split, **kw)
    if split == "train":
      data.arrays["label"] = data.arrays["label"].copy()
      data.arrays["label"][17] = 10          # mnist1d has classes 0..9
    return data

  monkeypatch.setattr(core, "load", corrupt)
  with pytest.raises(ValueError, match=r"split 'train': 1 label\(s\) outside \[0, 10\).*label\[17\] = 10"):
    train(small_config(steps=2), str(tmp_path / "bad"), progress=False)
  cfg = small_config(steps=2)
  cfg.data.check_labels = False              # opt out: the loss masks the bad label
  assert np.isfinite(train(cfg, str(tmp_path / "masked"), progress=False)["eval/loss"])


def test_sam_estimator_equals_optax_sam_transform(tmp_path):
  """SAM as a gradient estimator (config.grad_estimator) and as optax.contrib.sam's opaque-mode
  transform (fed grad_fn by the trainer) take the same steps: SGD on grad L(w + rho g/||g||)."""
  est = train(small_config(steps=4, optimizer=common.free(name="sgd", learning_rate=0.1),
                           grad_estimator=common.free(name="sam", rho=0.05, eps=0.0)),
              str(tmp_path / "est"), progress=False)
  plain = train(small_config(steps=4, optimizer=common.free(name="sgd", learning_rate=0.1)),
                str(tmp_path / "plain"), progress=False)
  cfg = small_config(steps=4, optimizer=common.free(name="sam", learning_rate=0.1, rho=0.05))
  from lbrl.optim import OPTIMIZERS
  assert "sam" in OPTIMIZERS
  opt = train(cfg, str(tmp_path / "opt"), progress=False)
  for a, b in zip(leaves(est["state"]), leaves(opt["state"])):
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
  assert any(not np.allclose(a, b) for a, b in zip(leaves(est["state"]), leaves(plain["state"])))


def test_saf_keeps_past_outputs_in_the_train_state(tmp_path):
  out = train(small_config(steps=70, grad_estimator=common.free(name="saf", delay=1)), str(tmp_path / "saf"),
              progress=False)
  gs = out["state"].grad_state
  assert gs.outputs.shape == (1, 4000, 10)
  assert gs.outputs.sharding.spec[1] in ("data", ("data",))   # per-example: sharded like the data, not replicated
  seen = np.asarray(gs.seen)
  assert seen.sum() == 70 * 64 and seen.max() == 2  # 62 steps per epoch: some examples seen twice
  assert np.isfinite(out["eval/loss"])


def test_tensorboard_event_files(tmp_path):
  from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
  wd = str(tmp_path / "tb")
  train(small_config(steps=10), wd, progress=False)
  acc = EventAccumulator(wd)
  acc.Reload()
  assert "train/loss" in acc.Tags()["scalars"] and "eval/accuracy" in acc.Tags()["scalars"]
  rows = [json.loads(l) for l in open(os.path.join(wd, "metrics.jsonl")) if "train/loss" in l]
  assert [e.step for e in acc.Scalars("train/loss")] == [r["step"] for r in rows]
  np.testing.assert_allclose([e.value for e in acc.Scalars("train/loss")], [r["train/loss"] for r in rows],
                             rtol=1e-6)


def test_per_parameter_rules(tmp_path):
  """frozen -> unchanged; lr_multipliers=0 -> unchanged; weight_decay_mask -> decay only there."""
  base = dict(steps=3)
  init = train(small_config(steps=1, optimizer=common.free(name="sgd", learning_rate=0.0)),
               str(tmp_path / "init"), progress=False)["state"].params
  out = train(small_config(optimizer=common.free(name="adam", learning_rate=1e-2, frozen=[r"Dense_0/"],
                                                 lr_multipliers=[(r"Dense_1/bias", 0.0)]), **base),
              str(tmp_path / "rules"), progress=False)["state"].params
  np.testing.assert_array_equal(out["Dense_0"]["kernel"], init["Dense_0"]["kernel"])
  np.testing.assert_array_equal(out["Dense_1"]["bias"], init["Dense_1"]["bias"])
  assert not np.allclose(out["Dense_1"]["kernel"], init["Dense_1"]["kernel"])
  # one step from the same init, differing only in the mask: only the masked-in kernel differs
  wd = lambda mask: train(small_config(optimizer=common.free(name="adamw", learning_rate=1e-2, weight_decay=10.0,
                                                             weight_decay_mask=mask), steps=1),
                          str(tmp_path / f"wd{len(mask)}"), progress=False)["state"].params
  one, two = wd([r"Dense_0/kernel"]), wd([r"Dense_0/kernel", r"Dense_2/kernel"])
  np.testing.assert_array_equal(one["Dense_1"]["kernel"], two["Dense_1"]["kernel"])
  np.testing.assert_array_equal(one["Dense_0"]["kernel"], two["Dense_0"]["kernel"])
  np.testing.assert_allclose(two["Dense_2"]["kernel"], one["Dense_2"]["kernel"] - 1e-2 * 10.0 * init["Dense_2"]["kernel"],
                             rtol=1e-5, atol=1e-7)


def _ssl_config(steps, **over):
  c, _ = common.base("variant=cpu")
  c.data.update(name="mnist1d", batch_size=32, eval_batch_size=96,
                augment=dict(kind="1d", views=2, options=dict(max_shift=5, noise=0.05)))
  c.model = common.free(name="ssl_net", hidden=(16,), projector=(16, 8), predictor=())
  c.loss = common.free(name="ntxent")
  c.optimizer = common.free(name="adam", learning_rate=3e-3)
  c.eval_metrics = ["loss"]
  c.steps, c.log_every = steps, 2
  for k, v in over.items():
    c[k] = v
  return common.finalize(c)


def test_per_step_augmentation_trains_views_and_resumes_exactly(tmp_path):
  """``data.augment``: the train step sees ``[B, 2, L]`` views drawn per (seed, step) (two steps' views
  differ, a rebuilt pipeline redraws the same ones), and a run stopped after 4 of 8 steps and resumed
  equals the uninterrupted run bit for bit."""
  from lbrl.data import pipeline
  from lbrl.train import trainer
  from lbrl import parallel
  cfg = _ssl_config(8)
  aug = trainer.make_augment(cfg)
  assert trainer.train_example_x(cfg, np.zeros((5, 40), np.float32)).shape == (1, 2, 40)
  train_data, _ = trainer.load_data(cfg)
  mesh = parallel.make_mesh(cfg.mesh.shape, cfg.mesh.axes)
  make = lambda: pipeline.TrainBatches(train_data, 32, parallel.batch_sharding(mesh), cfg.seed, steps_per_chunk=2,
                                       augment=aug)
  x = np.asarray(make().chunk(0)["x"])
  assert x.shape == (2, 32, 2, 40)
  assert not np.allclose(x[:, :, 0], x[:, :, 1])                  # two different views of each example
  np.testing.assert_array_equal(x, np.asarray(make().chunk(0)["x"]))   # deterministic in (seed, step)
  full = train(cfg, str(tmp_path / "full"), progress=False)
  wd = str(tmp_path / "split")
  train(_ssl_config(4), wd, progress=False)
  resumed = train(_ssl_config(8), wd, progress=False)
  for a, b in zip(leaves(full["state"]), leaves(resumed["state"])):
    np.testing.assert_array_equal(a, b)
  with pytest.raises(ValueError, match="config.data.augment has unknown keys"):
    c = _ssl_config(2)
    with c.unlocked():
      c.data.augment = dict(kind="1d", view=2)
    trainer.make_augment(c)
