"""Every config's ``paper`` variant is the paper's run and would run without data or devices: its train
step is traced and lowered on an abstract mesh of the paper's device count (lbrl.train.lowering), and
its footprint (parameters, per-device bytes, FLOPs per step) is finite and consistent. Each config's
base setting runs the paper's method (the component its paper block's ``code`` names)."""
import glob
import math
import os
import re

import pytest

from lbrl import config as common
from lbrl.data import specs
from lbrl.tools import reproduce

REPO = reproduce.REPO
CONFIGS = sorted(p for p in glob.glob(os.path.join(REPO, "configs", "*.py"))
                 if not os.path.basename(p).startswith(("_", "common")))
MAX_CPU_SIZED_FRACTION = 0.25  # of the training configs, those whose paper variant is CPU-sized (each says why)


def _id(p):
  return os.path.basename(p)[:-3]


def _paper(path):
  return reproduce.load_config(path, "paper")[0]


@pytest.mark.parametrize("path", CONFIGS, ids=_id)
def test_paper_variant_is_the_papers_run(path):
  """A standard TFDS dataset with a spec row, a mesh of explicit size, and the published result; or a
  ``paper.cpu_sized`` reason; benchmark configs state the paper's shapes in their benchmark block."""
  cfg = _paper(path)
  if "benchmark" in cfg:
    assert cfg.benchmark.shapes, "a benchmark config's paper variant names the paper's shapes"
    return
  from lbrl.tools import experiment
  if experiment.kind_of(cfg) == "fit":   # the paper variant refits the same points with more resamples
    assert cfg.fit.bootstrap >= 1000 and len(cfg.paper.cpu_sized) > 40
    return
  if cfg.paper.cpu_sized:
    assert len(cfg.paper.cpu_sized) > 40, "say why the paper's own run is CPU-sized"
    return
  cpu = reproduce.load_config(path, "cpu")[0]
  import lbrl.data.builders  # noqa: F401  (the offline builders)
  from lbrl.registry import DATASETS
  # a standard TFDS name with a spec row, or an offline builder that is the paper's own data (nanoGPT's
  # Tiny Shakespeare)
  assert cfg.data.name in specs.SPECS or cfg.data.name in DATASETS, \
      f"{cfg.data.name!r} is not a standard TFDS name with a spec row"
  assert cfg.data.name != cpu.data.name or cfg.model.to_dict() != cpu.model.to_dict(), \
      "the paper variant trains the cpu setting: make it the paper's run or set paper.cpu_sized"
  assert all(int(s) > 0 for s in cfg.mesh.shape), "the paper variant's mesh names its device count"
  assert cfg.data.batch_size % math.prod(cfg.mesh.shape) == 0
  assert re.search(r"\d|[Tt]able|[Ff]igure", cfg.paper.expected), \
      "paper.expected states the published number (or the table/figure holding it)"


def test_few_paper_variants_stay_cpu_sized():
  """Training configs whose paper variant is CPU-sized are few (fits and analyses of released numbers
  are CPU-sized by nature and not counted)."""
  from lbrl.tools import experiment
  training = [p for p in CONFIGS if experiment.kind_of(_paper(p)) not in ("fit", "analysis", "benchmark")]
  sized = [_id(p) for p in training if _paper(p).paper.cpu_sized]
  assert len(sized) <= MAX_CPU_SIZED_FRACTION * len(training), sized


def test_steps_from_epochs():
  assert common.steps_from_epochs(90, "imagenet2012", 1024) == math.ceil(90 * 1_281_167 / 1024) == 112_603
  assert common.steps_from_epochs(200, 50_000, 128) == 78_125
  assert common.steps_from_tokens(1.31e9, 512, 256) == 9_995
  assert common.cadence(112_603, 10) == 11_260 and common.cadence(3, 10) == 1
  with pytest.raises(ValueError, match="epochs"):
    common.steps_from_epochs(0, 100, 10)
  with pytest.raises(KeyError, match="no dataset spec"):
    common.steps_from_epochs(1, "no_such_dataset", 10)


# ---- lowering ------------------------------------------------------------------------------------------

def _footprint(slug):
  """Each paper variant is lowered once per session (the footprint tests below share it), and configs whose
  paper runs are the same training (one training hash: e.g. two papers on one ViT-B recipe) share one."""
  from lbrl.tools.kinds.sweep import training_hash
  cfg = _paper(os.path.join(REPO, "configs", f"{slug}.py"))
  digest = training_hash(cfg)
  if digest not in _FOOTPRINTS:
    from lbrl.train.lowering import paper_footprint
    _FOOTPRINTS[digest] = paper_footprint(cfg)
  return _FOOTPRINTS[digest]


_FOOTPRINTS: dict[str, dict] = {}


@pytest.mark.parametrize("path", CONFIGS, ids=_id)
def test_paper_variant_lowers_on_its_abstract_mesh(path):
  cfg = _paper(path)
  if "benchmark" in cfg:
    pytest.skip("benchmark config: its kernels are lowered for TPU and CUDA by tests/kernels")
  from lbrl.tools import experiment
  if experiment.kind_of(cfg) == "fit":
    pytest.skip("fit config: no train step to lower")
  f = _footprint(_id(path))
  devices = math.prod(1 if int(s) == -1 else int(s) for s in cfg.mesh.shape)  # -1: one device (CPU-sized)
  assert f["devices"] == devices and f["platform"] in ("tpu", "cuda")
  assert f["num_params"] > 0 and math.isfinite(f["flops_per_step"]) and f["flops_per_step"] > 0
  assert 0 < f["param_bytes_per_device"] <= 4 * f["num_params"]  # float32 parameters, at most replicated
  assert f["opt_bytes_per_device"] >= 0
  # a train step costs at least the forward and backward multiply-adds of every parameter once per example
  # (2 x 2 FLOPs) for dense models; convolutions and sequences only add to it
  assert f["flops_per_step"] >= 2 * f["num_params"] * cfg.data.batch_size // cfg.grad_accum_steps * 0.5


def test_resnet50_imagenet_footprint_matches_the_architecture():
  """polyloss's paper run: ResNet-50 (25,557,032 parameters) at batch 1024 on 8 devices, replicated
  parameters, SGD-momentum state one copy of them; a forward pass is about 4.1 GMACs (8.2 GFLOPs) per
  224 x 224 image and the backward pass about twice that (less the stem's input gradient)."""
  f = _footprint("polyloss")
  assert f["num_params"] == 25_557_032 and f["devices"] == 8 and f["mesh"] == {"data": 8}
  assert f["param_bytes_per_device"] == 4 * 25_557_032
  assert f["opt_bytes_per_device"] >= 4 * 25_557_032  # the momentum trace
  per_image = f["flops_per_step"] / 1024
  assert 2 * 2.8 * 3.9e9 < per_image < 2 * 3 * 4.2e9, per_image


# ---- the base setting runs the paper's method ------------------------------------------------------

def _names(kind, name):
  """The registered name and the implementing object's name (function or class) of a component."""
  from lbrl.registry import GRAD_ESTIMATORS, LOSSES, MODELS, PARAMETRIZATIONS
  from lbrl.train.optimizer import lookup
  get = {"model": MODELS.get, "loss": LOSSES.get, "optimizer": lookup, "grad_estimator": GRAD_ESTIMATORS.get,
         "parametrization": PARAMETRIZATIONS.get}[kind]
  obj = get(name)
  out = {name, getattr(obj, "__name__", "")}
  out.add(getattr(obj, "__module__", "").rsplit(".", 1)[-1])
  return out


PROVIDES = {"function": ("loss",), "transform": ("optimizer", "grad_estimator", "parametrization"), "module": ("model",),
            "baseline": ("model",), "tool": ("post_training", "transforms"), "schedule": ("schedule",)}


@pytest.mark.parametrize("path", CONFIGS, ids=_id)
def test_base_setting_runs_the_papers_method(path):
  """``python -m lbrl.main --config configs/<slug>.py`` runs what the paper block's ``code`` names: the
  loss (provides=function), the optimizer or gradient estimator (transform), the model (module,
  baseline). Kernels are the benchmark's subject (their configs have a benchmark block)."""
  cfg = reproduce.load_config(path, "smoke")[0]
  provides = cfg.paper.provides
  if provides == "kernel":
    assert "benchmark" in cfg
    return
  if provides == "analysis tool":
    from lbrl.tools import experiment
    assert experiment.kind_of(cfg) in ("fit", "analysis")
    return
  assert provides in PROVIDES, f"paper.provides={provides!r}"
  named = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", cfg.paper.code))
  used = set()
  for kind in PROVIDES[provides]:
    if kind == "grad_estimator" and cfg.grad_estimator.name == "plain":
      continue
    if kind in ("post_training", "transforms"):   # a tool: a post-training stage or a data transform
      used |= {s["name"] for s in (cfg.post_training if kind == "post_training" else cfg.data.transforms)}
      continue
    if kind == "parametrization" and not (cfg.get("parametrization") or {}).get("name"):
      continue
    if kind == "schedule":   # a learning-rate schedule of lbrl.train.optimizer.make_schedule
      used.add(cfg.schedule.name)
      continue
    used |= _names(kind, cfg[kind].name)
  assert used & named, (f"{_id(path)}: the base config's {'/'.join(PROVIDES[provides])} ({sorted(used)}) is not "
                        f"the method paper.code names ({cfg.paper.code!r}): make the method the base, "
                        "baselines the arms")


def test_abstract_data_reads_label_shapes_and_metadata_from_the_spec():
  """A spec whose labels are not class ids (a ranking set's graded lists) gives the lowering labels of
  that shape and its metadata (``num_grades``); class-id sets keep scalar int32 labels."""
  from lbrl.train.lowering import abstract_data
  c, _ = common.base("variant=cpu")
  c.data.name = "mslr_web/30k_fold1"
  s = specs.spec(c.data.name)
  d = abstract_data(c)
  assert d.example["label"].shape == (1,) + tuple(s.label_shape) and s.label_shape
  assert d.example["x"].shape == (1,) + tuple(s.input_shape) and d.meta["num_grades"] == s.meta["num_grades"]
  c.data.name = "cifar10"
  assert abstract_data(c).example["label"].shape == (1,)
