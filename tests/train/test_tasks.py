"""The trainer's extension points on the smallest models: declared loss inputs, batch-wide accumulation,
auxiliary networks (EMA target, frozen teacher), per-example state, post-training calibration, chunked
dispatch, streaming eval over exactly the counted examples, and divergence handling."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import optimize, special

from lbrl import config as common
from tests.train._small import small_config
from lbrl.registry import LOSSES
from lbrl.train import train
from lbrl.train.trainer import NonFiniteError


def leaves(tree):
  return [np.asarray(x) for x in jax.tree.leaves(tree)]


# ------------------------------------------------------------------ eval over exactly what it says


def test_eval_labels_outside_the_model_classes_are_an_error_naming_the_split(tmp_path, monkeypatch):
  """Before: evaluate() kept rows with label < num_classes for accuracy and counted dropped rows as zero
  loss, printing an accuracy over a silent subset."""
  from lbrl.data import core
  load = core.load

  def ten_to_eleven(name, split, **kw):
    data = load(name, split, **kw)
    if split == "test":
      data.arrays["label"] = data.arrays["label"].copy()
      data.arrays["label"][3] = 11
    return data

  monkeypatch.setattr(core, "load", ten_to_eleven)
  with pytest.raises(ValueError, match=r"split 'test'.*outside \[0, 10\).*model's classes"):
    train(small_config(steps=2), str(tmp_path / "wd"), progress=False)


def test_eval_counts_and_logs_its_examples(tmp_path):
  out = train(small_config(steps=2), str(tmp_path / "wd"), progress=False)
  assert out["eval/num_examples"] == 1000          # mnist1d's test split, padding excluded
  assert out["eval/split"] == "test"


def test_streaming_eval_equals_host_metrics_on_all_logits(tmp_path):
  """Metrics summed on device batch by batch (and host reductions of per-example statistics) equal the
  same metrics computed at once from every logit (an eval batch that does not divide the split)."""
  from lbrl import metrics
  from lbrl.data import core
  from lbrl.train import trainer
  names = ["loss", "accuracy", "top5_accuracy", "ece", "macro_f1", "balanced_accuracy", "median_logit_margin"]
  cfg = small_config(steps=3, eval_metrics=names)
  cfg.data.eval_batch_size = 304                     # 1000 = 3 x 304 + 88: a padded last batch
  out = train(cfg, str(tmp_path / "wd"), progress=False)
  state, task = out["state"], out["task"]
  test = core.load("mnist1d", "test")
  logits = task.model.apply({"params": state.params, **state.model_state}, jnp.asarray(test.arrays["x"]))
  loss = trainer.call_loss(task, logits, jnp.asarray(test.arrays["label"]), None, step=0, rng=None)[0]
  want = metrics.compute(names, np.asarray(logits), test.arrays["label"], np.asarray(loss))
  for n in names:
    np.testing.assert_allclose(out[f"eval/{n}"], want[n], rtol=2e-5, atol=1e-6, err_msg=n)


# ------------------------------------------------------------------ divergence


def test_a_diverged_run_fails_with_a_clear_message(tmp_path, capsys):
  """Before: learning_rate=1e6 skipped 29 of 30 updates, printed nothing and exited 0."""
  cfg = small_config(steps=30, optimizer=common.free(name="sgd", learning_rate=1e6))
  cfg.log_every = 1
  with pytest.raises(NonFiniteError, match=r"skipped for non-finite.*max_skipped_fraction=0.1"):
    train(cfg, str(tmp_path / "wd"), progress=False)
  assert "update(s) skipped for non-finite" in capsys.readouterr().err


# ------------------------------------------------------------------ chunked dispatch


def test_chunked_steps_equal_single_steps_and_resume(tmp_path):
  """20 steps as chunks of 10 steps per dispatch, as one step per dispatch, and resumed at step 7
  (a partial chunk): the same parameters."""
  chunked = train(small_config(steps=20, log_every=10), str(tmp_path / "k10"), progress=False)
  single = train(small_config(steps=20, log_every=1), str(tmp_path / "k1"), progress=False)
  wd = str(tmp_path / "resumed")
  train(small_config(steps=7, log_every=10), wd, progress=False)
  resumed = train(small_config(steps=20, log_every=10), wd, progress=False)
  for a, b, c in zip(leaves(chunked["state"].params), leaves(single["state"].params), leaves(resumed["state"].params)):
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(a, c)


def test_dispatch_modes_agree_and_auto_picks_steps_for_convolutions_on_cpu(tmp_path):
  """A CNN on CPU runs one step per dispatch (XLA:CPU convolutions are slow inside loops); forcing the
  chunked scan gives the same training."""
  from lbrl.train import trainer
  auto = train(small_config(steps=6, model="cnn1d", log_every=3), str(tmp_path / "auto"), progress=False)
  chunk = train(small_config(steps=6, model="cnn1d", log_every=3, dispatch="chunk"), str(tmp_path / "chunk"),
                progress=False)
  for a, b in zip(leaves(auto["state"].params), leaves(chunk["state"].params)):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
  step_fn = lambda s, b: (s, jax.lax.conv_general_dilated(b["x"], b["x"], (1,), "SAME"))
  x = {"x": jax.ShapeDtypeStruct((2, 3, 4), jnp.float32)}
  assert trainer.dispatch_mode(small_config(), step_fn, None, x) == "step"
  dense = {"x": jax.ShapeDtypeStruct((2, 3), jnp.float32)}
  assert trainer.dispatch_mode(small_config(), lambda s, b: (s, b["x"] @ b["x"].T), None, dense) == "chunk"
  with pytest.raises(ValueError, match="config.dispatch"):
    trainer.dispatch_mode(small_config(dispatch="fast"), step_fn, None, x)


# ------------------------------------------------------------------ batch-wide losses


def test_batch_wide_loss_accumulates_exactly(tmp_path):
  """AnyLoss couples the batch (a soft confusion matrix): 4 micro-batches give the full-batch gradient,
  not the mean of 4 micro-batch losses' gradients."""
  assert LOSSES.spec("anyloss").batch_wide

  def cfg(accum):
    c = small_config(steps=3, model="logreg", grad_accum_steps=accum)
    c.data.update(name="breast_cancer", batch_size=64, eval_batch_size=64)
    c.loss = common.free(name="anyloss", metric="f1")
    c.optimizer = common.free(name="sgd", learning_rate=0.5)
    c.eval_metrics = ["loss", "accuracy"]
    return c

  full = train(cfg(1), str(tmp_path / "full"), progress=False)
  acc = train(cfg(4), str(tmp_path / "acc"), progress=False)
  for a, b in zip(leaves(full["state"].params), leaves(acc["state"].params)):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
  sam = cfg(4)
  sam.grad_estimator = common.free(name="sam", rho=0.05)
  with pytest.raises(ValueError, match="batch-wide loss 'anyloss' needs the plain gradient estimator"):
    train(sam, str(tmp_path / "sam"), progress=False)


# ------------------------------------------------------------------ auxiliary networks


@LOSSES.register("_test_target_consistency", needs=("target_outputs",))
def _target_consistency(logits, labels, *, target_outputs, where=None):
  ce = LOSSES.get("cross_entropy")(logits, labels, where=where)
  return ce + jnp.mean((logits - target_outputs) ** 2, -1)


def test_ema_target_follows_the_online_network(tmp_path):
  """decay=0: the target is the online network after every update; decay=1: it stays at the init.
  The target's state is in the train state: 8 devices equal 1, and it survives a resume."""
  def cfg(decay, **kw):
    c = small_config(steps=6, auxiliary=[dict(name="ema", decay=decay)], **kw)
    c.loss = common.free(name="_test_target_consistency")
    return c

  follow = train(cfg(0.0), str(tmp_path / "d0"), progress=False)
  target = follow["state"].aux["networks"]["target_outputs"]["params"]
  for a, b in zip(leaves(target), leaves(follow["state"].params)):
    np.testing.assert_array_equal(a, b)
  frozen = train(cfg(1.0), str(tmp_path / "d1"), progress=False)
  init = train(small_config(steps=1, optimizer=common.free(name="sgd", learning_rate=0.0)),
               str(tmp_path / "init"), progress=False)["state"].params
  for a, b in zip(leaves(frozen["state"].aux["networks"]["target_outputs"]["params"]), leaves(init)):
    np.testing.assert_array_equal(a, b)
  # a mid decay: tau = 0.5 -> xi_6 = sum_k 0.5^(6-k+1) theta_k + 0.5^6 xi_0, checked through the runs
  one = train(cfg(0.5, mesh=dict(shape=(1,), axes=("data",))), str(tmp_path / "one"), progress=False)
  eight = train(cfg(0.5), str(tmp_path / "eight"), progress=False)
  wd = str(tmp_path / "resume")
  c3 = cfg(0.5)
  with c3.unlocked():
    c3.steps = 3
  train(c3, wd, progress=False)
  resumed = train(cfg(0.5), wd, progress=False)
  t = lambda r: leaves(r["state"].aux["networks"]["target_outputs"]["params"])
  for a, b, c in zip(t(one), t(eight), t(resumed)):
    np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)
    np.testing.assert_array_equal(b, c)


def test_ema_cosine_schedule_is_byol():
  from lbrl.train.auxiliary import ema_decay
  taus = np.asarray([ema_decay(k, 0.996, "cosine", 100) for k in (0, 50, 100)])
  np.testing.assert_allclose(taus, [0.996, 0.998, 1.0], rtol=1e-6)


@LOSSES.register("_test_distill", needs=("teacher_outputs",))
def _distill(logits, labels, *, teacher_outputs, where=None):
  return jnp.sum(jax.nn.softmax(teacher_outputs) * (jax.nn.log_softmax(teacher_outputs) - jax.nn.log_softmax(logits)), -1)


def test_frozen_teacher_is_restored_and_never_updated(tmp_path):
  teacher = train(small_config(steps=5, model="cnn1d"), str(tmp_path / "teacher"), progress=False)
  c = small_config(steps=5, auxiliary=[dict(name="teacher", workdir=str(tmp_path / "teacher"),
                                            model_config=dict(name="cnn1d"))])
  c.loss = common.free(name="_test_distill")
  student = train(c, str(tmp_path / "student"), progress=False)
  got = student["state"].aux["networks"]["teacher_outputs"]["params"]
  for a, b in zip(leaves(got), leaves(teacher["state"].params)):
    np.testing.assert_array_equal(a, b)
  with pytest.raises(ValueError, match="takes \\['teacher_outputs'\\].*provides none"):
    c2 = small_config(steps=1)
    c2.loss = common.free(name="_test_distill")
    train(c2, str(tmp_path / "none"), progress=False)


def test_teacher_trained_as_the_first_stage_then_distilled_and_resumed(tmp_path):
  """``dict(name="teacher", model_config=..., train=dict(steps=...))``: the teacher is trained first (its
  own run in <workdir>/teacher_0, cross-entropy, the given steps), then frozen for the student; a
  relaunch trains neither again and restores both."""
  from lbrl.train.trainer import auxiliary_stage_config
  c = small_config(steps=4, auxiliary=[dict(name="teacher", model_config=dict(name="cnn1d"),
                                            train=dict(steps=6, optimizer=dict(name="adam", learning_rate=1e-2)))])
  c.loss = common.free(name="_test_distill")
  t = auxiliary_stage_config(c, 0)
  assert (t.model.name, t.loss.name, t.steps, t.optimizer.learning_rate, list(t.auxiliary)) == \
      ("cnn1d", "cross_entropy", 6, 1e-2, [])
  wd = str(tmp_path / "run")
  student = train(c, wd, progress=False)
  alone = train(t, str(tmp_path / "teacher_alone"), progress=False)   # the same run, by itself
  got = student["state"].aux["networks"]["teacher_outputs"]["params"]
  for a, b in zip(leaves(got), leaves(alone["state"].params)):
    np.testing.assert_array_equal(a, b)
  again = train(c, wd, progress=False)
  assert int(again["state"].step) == 4 and again["eval/loss"] == student["eval/loss"]
  with pytest.raises(ValueError, match="'no_such_field' is not a config field"):
    auxiliary_stage_config(small_config(auxiliary=[dict(name="teacher", train=dict(no_such_field=1))]), 0)


@LOSSES.register("_test_two_teachers", needs=("teacher_outputs", "robust_teacher_outputs"))
def _two_teachers(logits, labels, *, teacher_outputs, robust_teacher_outputs, where=None):
  return _distill(logits, labels, teacher_outputs=teacher_outputs) + \
      _distill(logits, labels, teacher_outputs=robust_teacher_outputs)


def test_two_teachers_under_their_own_keywords(tmp_path):
  """Multi-teacher distillation: a second frozen teacher with keyword='robust_teacher_outputs', each
  trained as its own first stage; the loss gets both, each network is its own stage's; a keyword not
  ending in _outputs is refused by name."""
  from lbrl.train.trainer import auxiliary_stage_config
  teachers = [dict(name="teacher", model_config=dict(name="mlp", hidden=(32,)), train=dict(steps=2)),
              dict(name="teacher", keyword="robust_teacher_outputs", model_config=dict(name="mlp", hidden=(16,)),
                   train=dict(steps=3))]
  c = small_config(steps=2, auxiliary=teachers, loss=common.free(name="_test_two_teachers"))
  out = train(c, str(tmp_path / "run"), progress=False)
  nets = out["state"].aux["networks"]
  assert set(nets) == {"teacher_outputs", "robust_teacher_outputs"}
  for i, key in enumerate(("teacher_outputs", "robust_teacher_outputs")):
    alone = train(auxiliary_stage_config(c, i), str(tmp_path / f"alone{i}"), progress=False)
    for a, b in zip(leaves(nets[key]["params"]), leaves(alone["state"].params)):
      np.testing.assert_array_equal(a, b)
  bad = small_config(steps=1, auxiliary=[dict(name="teacher", keyword="robust", workdir=str(tmp_path / "alone0"))],
                     loss=common.free(name="_test_distill"))
  with pytest.raises(ValueError, match="must end in '_outputs'"):
    train(bad, str(tmp_path / "bad"), progress=False)


def test_distillation_on_eight_devices_equals_one_and_resumes_exactly(tmp_path):
  """Issue 20's criterion: a distillation run (teacher trained as the first stage, KD loss) gives the
  same student on 8 simulated devices as on 1, and a run stopped half-way and relaunched equals one that
  never stopped (the teacher is restored, not retrained, and its outputs are the same)."""
  teacher = dict(name="teacher", model_config=dict(name="mlp", hidden=(64,)),
                 train=dict(steps=3, optimizer=dict(name="adam", learning_rate=3e-3)))
  cfg = lambda steps, **over: small_config(steps=steps, auxiliary=[teacher], loss=common.free(name="kd"), **over)
  assert jax.device_count() == 8
  eight = train(cfg(4), str(tmp_path / "eight"), progress=False)
  one = train(cfg(4, mesh=dict(shape=(1,), axes=("data",))), str(tmp_path / "one"), progress=False)
  for a, b in zip(leaves(eight["state"].params), leaves(one["state"].params)):
    np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)
  wd = str(tmp_path / "split")
  train(cfg(2), wd, progress=False)
  resumed = train(cfg(4), wd, progress=False)
  for a, b in zip(leaves(eight["state"]), leaves(resumed["state"])):
    np.testing.assert_array_equal(a, b)


def test_loss_components_are_logged_and_their_gradients_reach_the_optimizer(tmp_path):
  """A loss with components (kd_components: task and distillation terms) trains their sum and logs each;
  an optimizer declaring component_grads (DOT) gets each component's gradient: with delta = 0 DOT is SGD
  with momentum on the summed gradient, so it must train the parameters that optax's SGD trains on kd."""
  from lbrl.train.record import read_metrics
  teacher = dict(name="teacher", model_config=dict(name="mlp"),
                 train=dict(steps=3, optimizer=dict(name="adam", learning_rate=3e-3)))
  run = lambda loss, opt, wd: train(small_config(steps=6, auxiliary=[teacher], loss=common.free(name=loss),
                                                 optimizer=common.free(**opt)), str(tmp_path / wd), progress=False)
  dot = run("kd_components", dict(name="dot", learning_rate=0.1, momentum=0.9, delta=0.0), "dot")
  sgd = run("kd", dict(name="sgd", learning_rate=0.1, momentum=0.9), "sgd")
  for a, b in zip(leaves(dot["state"].params), leaves(sgd["state"].params)):
    np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-6)
  rows = [r for r in read_metrics(str(tmp_path / "dot")) if "train/loss/task" in r]
  assert rows and all(abs(r["train/loss/task"] + r["train/loss/distill"] - r["train/loss"]) < 1e-5 for r in rows)
  with pytest.raises(ValueError, match="has no components"):
    run("kd", dict(name="dot", learning_rate=0.1), "bad")
  from lbrl.train.trainer import auxiliary_stage_config
  c = small_config(auxiliary=[dict(name="teacher", train=dict(steps=3))], optimizer=common.free(name="dot", learning_rate=0.1))
  with pytest.raises(ValueError, match="give the stage its own optimizer"):
    auxiliary_stage_config(c, 0)


# ------------------------------------------------------------------ per-example state


def _visits_init(num_examples, num_classes):
  return {"visits": jnp.zeros((num_examples,), jnp.int32), "last_loss": jnp.zeros((num_examples,), jnp.float32)}


@LOSSES.register("_test_loss_history", needs=("example_state",), example_state=_visits_init)
def _loss_history(logits, labels, *, example_state, where=None):
  ce = LOSSES.get("cross_entropy")(logits, labels, where=where)
  # a per-example loss history: weight each example by how often it was seen before (a toy reweighting)
  w = 1.0 / (1.0 + example_state["visits"].astype(jnp.float32))
  return ce * w, {"visits": example_state["visits"] + 1, "last_loss": jax.lax.stop_gradient(ce)}


def test_per_example_state_is_indexed_by_example_sharded_and_resumed(tmp_path):
  c = lambda steps, **kw: small_config(steps=steps, loss=common.free(name="_test_loss_history"), **kw)
  out = train(c(70), str(tmp_path / "a"), progress=False)
  visits = np.asarray(out["state"].aux["examples"]["visits"])
  assert visits.shape == (4000,) and visits.sum() == 70 * 64 and visits.max() == 2   # 62 steps per epoch
  assert out["state"].aux["examples"]["visits"].sharding.spec[0] == "data"
  one = train(c(70, mesh=dict(shape=(1,), axes=("data",))), str(tmp_path / "one"), progress=False)
  np.testing.assert_array_equal(np.asarray(one["state"].aux["examples"]["visits"]), visits)
  wd = str(tmp_path / "resume")
  train(c(33), wd, progress=False)
  resumed = train(c(70), wd, progress=False)
  for a, b in zip(leaves(out["state"]), leaves(resumed["state"])):
    np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ post-training calibration


def test_fit_temperature_matches_scipy():
  from lbrl.train.stages import fit_temperature
  rng = np.random.default_rng(0)
  logits = rng.normal(size=(500, 7)) * 4.0
  labels = rng.integers(0, 7, size=500)
  labels[:300] = logits[:300].argmax(-1)           # 60%+ accurate, over-confident at scale 4
  valid = np.ones(500, bool)
  valid[-20:] = False

  def nll(t):
    z = logits[valid] / t
    return -np.mean(z[np.arange(valid.sum()), labels[valid]] - special.logsumexp(z, -1))

  want = optimize.minimize_scalar(nll, bounds=(0.05, 20), method="bounded", options={"xatol": 1e-8}).x
  got = float(fit_temperature(jnp.asarray(logits, jnp.float32), jnp.asarray(labels), jnp.asarray(valid)))
  np.testing.assert_allclose(got, want, rtol=1e-4)


def test_temperature_scaling_stage_on_a_held_out_split(tmp_path, monkeypatch):
  from lbrl.data import core
  load = core.load

  def with_validation(name, split, **kw):   # mnist1d's last 1000 training examples as a held-out split
    if split == "validation":
      data = load(name, "train", **kw)
      return core.Dataset(name, "validation", {k: v[3000:] for k, v in data.arrays.items()}, data.meta)
    return load(name, split, **kw)

  monkeypatch.setattr(core, "load", with_validation)
  cfg = small_config(steps=300, post_training=[dict(name="temperature_scaling", split="validation")],
                     eval_metrics=["loss", "accuracy", "ece"])
  cfg.optimizer.learning_rate = 3e-2
  out = train(cfg, str(tmp_path / "wd"), progress=False)
  assert out["post/temperature_scaling/temperature"] > 0
  assert out["eval/accuracy"] == out["eval_uncalibrated/accuracy"]   # T > 0 keeps the arg-max
  assert out["eval/loss"] <= out["eval_uncalibrated/loss"] + 1e-3
  with pytest.raises(ValueError, match="held-out split"):
    bad = small_config(steps=1, post_training=[dict(name="temperature_scaling", split="test")])
    train(bad, str(tmp_path / "bad"), progress=False)


# ------------------------------------------------------------------ precision policy and parametrisation


def test_precision_rules_fake_quantize_matching_layers(tmp_path):
  """int8 weight-only rules on one Dense layer: that layer's output moves by at most the int8 rounding
  bound sum_i |x_i| s_j / 2 (s_j = max_i |W_ij| / 127.5, qwix's symmetric absmax per output channel),
  more than float32 noise; other layers are untouched; training runs through the quantized layer."""
  from lbrl.models import MLP
  from lbrl.train.precision import apply_precision
  import ml_collections as mlc
  m = MLP(num_classes=100, hidden=())
  x = jnp.asarray(np.random.default_rng(0).normal(size=(16, 40)), jnp.float32)
  v = m.init(jax.random.PRNGKey(0), x)
  q = apply_precision(m, mlc.ConfigDict({"rules": [{"module_path": "Dense_0", "weight_qtype": "int8"}]}))
  w = np.asarray(v["params"]["Dense_0"]["kernel"], np.float64)
  bound = np.abs(np.asarray(x, np.float64)) @ (np.abs(w).max(0, keepdims=True) / 127.5 / 2).repeat(40, 0)
  diff = np.abs(np.asarray(q.apply(v, x), np.float64) - np.asarray(m.apply(v, x), np.float64))
  assert np.all(diff <= bound * 1.001 + 1e-6) and diff.max() > 1e-4
  same = apply_precision(m, mlc.ConfigDict({"rules": [{"module_path": "Dense_9", "weight_qtype": "int8"}]}))
  np.testing.assert_array_equal(same.apply(v, x), m.apply(v, x))
  with pytest.raises(ValueError, match="qwix.QtRule"):
    apply_precision(m, mlc.ConfigDict({"rules": [{"module": "Dense_0"}]}))
  out = train(small_config(steps=20, precision=dict(rules=[dict(module_path=".*", weight_qtype="int8")])),
              str(tmp_path / "int8"), progress=False)
  ref = train(small_config(steps=20), str(tmp_path / "fp32"), progress=False)
  assert abs(out["eval/loss"] - ref["eval/loss"]) < 0.1 and out["eval/loss"] != ref["eval/loss"]


def test_mup_parametrization_rescales_init_and_learning_rates(tmp_path):
  """config.parametrization=mup: the output layer's init std is scaled by 1/sqrt(m_in) = sqrt(64/256)
  relative to SP (output init variance 1/fan_in^2, Tensor Programs V, Table 3); hidden weights keep
  the standard init."""
  wide = dict(name="mlp", hidden=(256, 256))
  with_m = small_config(steps=1, optimizer=common.free(name="adam", learning_rate=0.0),
                        parametrization=dict(name="mup", optimizer="adam", width=256, base_width=64))
  with with_m.unlocked():
    with_m.model = common.free(**wide)
  ref = small_config(steps=1, optimizer=common.free(name="adam", learning_rate=0.0))
  with ref.unlocked():
    ref.model = common.free(**wide)
  mu = train(with_m, str(tmp_path / "mup"), progress=False)["state"].params
  st = train(ref, str(tmp_path / "ref"), progress=False)["state"].params
  np.testing.assert_array_equal(mu["Dense_1"]["kernel"], st["Dense_1"]["kernel"])
  np.testing.assert_allclose(np.asarray(mu["Dense_2"]["kernel"]), np.asarray(st["Dense_2"]["kernel"]) * 0.5,
                             rtol=1e-6)


# ------------------------------------------------------------------ schedules


def test_schedules_against_their_closed_forms():
  import ml_collections as mlc
  from lbrl.train.optimizer import make_schedule
  def sched(**kw):
    base = dict(name="constant", warmup_steps=0, end_fraction=0.0, power=1.0, boundaries=[], factors=[], timescale=0)
    return make_schedule(mlc.ConfigDict(dict(base, **kw)), 0.1, 200)
  step = sched(name="step", boundaries=[0.5, 0.75], factors=[0.1, 0.1])          # /10 at 100 and 150
  np.testing.assert_allclose([step(t) for t in (0, 99, 100, 149, 150, 199)], [0.1, 0.1, 0.01, 0.01, 1e-3, 1e-3],
                             rtol=1e-6)
  poly = sched(name="polynomial", power=2.0, warmup_steps=20)
  np.testing.assert_allclose([poly(t) for t in (10, 20, 110, 200)], [0.05, 0.1, 0.1 * (1 - 90 / 180) ** 2, 0.0],
                             rtol=1e-6, atol=1e-9)
  rs = sched(name="inverse_sqrt", timescale=100)                                    # min(0.1, 0.1 sqrt(100 / t))
  np.testing.assert_allclose([rs(t) for t in (0, 100, 400)], [0.1, 0.1, 0.05], rtol=1e-6)
  with pytest.raises(ValueError, match="boundaries"):
    sched(name="step", boundaries=[1.5], factors=[0.1])
  wsd = sched(name="wsd", warmup_steps=20, cooldown_fraction=0.25)   # constant to 150, linear to 0 at 200
  np.testing.assert_allclose([wsd(t) for t in (10, 20, 149, 150, 175, 200)], [0.05, 0.1, 0.1, 0.1, 0.05, 0.0],
                             rtol=1e-6, atol=1e-9)
  gradual = sched(name="linear", warmup_steps=20, warmup_start=0.125, end_fraction=1.0)   # Goyal et al.: lr/8 -> lr
  np.testing.assert_allclose([gradual(t) for t in (0, 10, 20, 100)], [0.0125, 0.05625, 0.1, 0.1], rtol=1e-6)
  cosw = sched(name="cosine", warmup_steps=20, warmup_start=0.5)
  np.testing.assert_allclose([cosw(0), cosw(10), cosw(20)], [0.05, 0.075, 0.1], rtol=1e-6)
  sq = sched(name="wsd", cooldown_fraction=0.5, cooldown_shape="1-sqrt")             # 0.1 (1 - sqrt(u))
  np.testing.assert_allclose([sq(t) for t in (99, 125, 200)], [0.1, 0.05, 0.0], rtol=1e-6, atol=1e-9)


def test_a_workdir_of_another_config_is_not_resumed(tmp_path):
  """Before: a changed learning rate in the same workdir resumed the old run's final checkpoint, trained
  nothing and reported the old numbers under the new setting (the runner's cache hit this)."""
  wd = str(tmp_path / "wd")
  train(small_config(steps=2), wd, progress=False)
  with pytest.raises(ValueError, match=r"different config \(optimizer.learning_rate: 0.003 -> 0.01\)"):
    train(small_config(steps=2, optimizer=common.free(name="adam", learning_rate=1e-2)), wd, progress=False)
  train(small_config(steps=4, log_every=2), wd, progress=False)   # more steps, other cadence: a resume


# ------------------------------------------------------------------ training diagnostics


def _test_diag_norms(*, params, grads, updates, intermediates, loss):
  """Parameter, gradient and update norms, the loss, and the mean square of every captured Dense output."""
  from flax import traverse_util
  outs = [k for k in traverse_util.flatten_dict(intermediates) if k[-1] == "__call__"]
  return {"param_norm": optax_norm(params), "grad_norm": optax_norm(grads), "update_norm": optax_norm(updates),
          "loss": loss, "captured": jnp.float32(len(outs))}


def optax_norm(tree):
  return jnp.sqrt(sum(jnp.sum(jnp.square(x)) for x in jax.tree.leaves(tree)))


def test_diagnostics_are_logged_and_do_not_change_the_run(tmp_path):
  """``config.diagnostics`` adds ``diag/<name>/<key>`` rows at the log cadence (averages over the steps
  since the last log), with the captured intermediates of a training-mode forward pass; the trained
  parameters are exactly those of the run without diagnostics, in chunked and per-step dispatch."""
  from lbrl.registry import DIAGNOSTICS
  from lbrl.train.record import read_metrics
  if "_test_norms" not in DIAGNOSTICS:
    DIAGNOSTICS.register("_test_norms", intermediates=True)(_test_diag_norms)
  plain = train(small_config(steps=10), str(tmp_path / "plain"), progress=False)
  for dispatch in ("chunk", "step"):
    wd = str(tmp_path / dispatch)
    diag = train(small_config(steps=10, diagnostics=["_test_norms"], dispatch=dispatch), wd, progress=False)
    for a, b in zip(leaves(plain["state"].params), leaves(diag["state"].params)):
      np.testing.assert_array_equal(a, b)
    rows = [r for r in read_metrics(wd) if "diag/_test_norms/loss" in r]
    assert [r["step"] for r in rows] == [5, 10]
    for r in rows:   # the diagnostic sees what the step saw
      assert r["diag/_test_norms/loss"] == pytest.approx(r["train/loss"], rel=1e-5)
      assert r["diag/_test_norms/grad_norm"] == pytest.approx(r["train/grad_norm"], rel=1e-5)
      assert r["diag/_test_norms/captured"] >= 2 and r["diag/_test_norms/param_norm"] > 0
  with pytest.raises(KeyError, match="training diagnostic"):
    train(small_config(steps=2, diagnostics=["no_such_diagnostic"]), str(tmp_path / "bad"), progress=False)
