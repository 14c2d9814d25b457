"""Every name a config can use, declared in one place with its metadata; resolved lazily.

A config names its dataset, model, loss, optimizer, gradient estimator, eval metrics, dataset
transforms and parametrisation; the trainer and the runner resolve those names here. Each entry is
*declared* with the dotted path of the object and the metadata a consumer needs (what a loss takes,
what the trainer must supply it, whether it couples the examples of a batch, ...)::

    LOSSES.declare("squentropy", "lbrl.losses.classification:squentropy")
    LOSSES.declare("ldam", "lbrl.losses.classification:ldam", needs=("class_counts",))

Nothing is imported until a name is used: ``LOSSES.get("ldam")`` imports
``lbrl.losses.classification`` on first use, so ``import lbrl`` (and a run) loads only the modules
its config names, and a broken module breaks only the configs that use it. ``LOSSES.spec("ldam")``
returns the metadata without importing anything. User code can add entries eagerly with
``register`` (also a decorator). An unknown name is an error that lists the closest names.

The declarations below are the index of lbrl: to find a paper's code, find its name here.
"""
from __future__ import annotations

import dataclasses
import difflib
import importlib
from typing import Any, Callable, Mapping

# ----------------------------------------------------------------------------------------------------
# Metadata types


@dataclasses.dataclass(frozen=True)
class LossSpec:
  """What the trainer must know about a loss ``fn(outputs, labels, *, where=None, **hyper) -> [batch...]``.

  consumes:   what ``outputs`` is (one of :data:`INPUT_KINDS`): ``logits`` (the model's default output),
              ``hidden_unembedding`` (``(hidden [..., D], unembedding [V, D])``: logit-free losses),
              ``embeddings`` (``[B, D]`` or ``[B, views, D]``), ``pairs`` (``(a [B, D], b [B, D])``),
              ``scores_groups`` (``[B, L]`` scores of a list per row), ``logits_aux`` (``(logits, aux_logits)``
              of a model with an auxiliary head, e.g. dual-head KD; the eval metrics use ``logits``).
  batch_wide: the loss couples the examples of a batch (ranks, batch statistics, a set-level score):
              its per-example values are not a sum over independent examples, so gradient accumulation
              must accumulate exactly (the trainer does, by caching the outputs' gradient; see
              :mod:`lbrl.train.trainer`) and a micro-batch loss would be a different loss.
  needs:      keywords the trainer supplies: ``class_counts`` (training-split counts per class,
              float32 ``[C]``), ``step`` (int32 scalar, the update index), ``rng`` (a PRNG key that
              differs per step and per micro-batch, never reused across seeds), ``target_outputs`` /
              ``teacher_outputs`` (an auxiliary network's outputs on the batch, see
              :mod:`lbrl.train.auxiliary`), ``example_state`` (this batch's rows of a per-example state;
              the loss then returns ``(values, new_rows)``).
  example_state: with ``needs=("example_state",)``, the dotted path of ``init(num_examples,
              num_classes) -> pytree of [num_examples, ...]`` arrays; the trainer keeps it in the train
              state, sharded like the data on its example axis, and checkpoints it.
  impls:      ``config.loss.impl`` -> (registered loss name, extra keyword arguments): the loss's
              logit-free (or otherwise alternative) implementations; ``naive`` is always the entry itself.
  components: the loss returns ``{component: values}`` (each per example) instead of one array; its value
              is their sum, each component is logged as ``train/loss/<component>``, and an optimizer that
              declares ``component_grads`` receives the gradient of each (e.g. DOT's task and
              distillation gradients).
  """
  consumes: str = "logits"
  batch_wide: bool = False
  needs: tuple[str, ...] = ()
  impls: Mapping[str, tuple[str, Mapping[str, Any]]] = dataclasses.field(default_factory=dict)
  example_state: Any = None      # "module:init" (declarations) or the init callable (user code)
  components: tuple[str, ...] = ()

  def __post_init__(self):
    if self.consumes not in INPUT_KINDS:
      raise ValueError(f"LossSpec.consumes must be one of {INPUT_KINDS}, got {self.consumes!r}")
    bad = {n for n in self.needs if n not in TRAINER_SUPPLIES and not n.endswith("_outputs")}
    if bad:
      raise ValueError(f"LossSpec.needs: the trainer cannot supply {sorted(bad)}; it supplies {TRAINER_SUPPLIES} "
                       "and any auxiliary network's '<keyword>_outputs' (config.auxiliary entries with that keyword)")
    if ("example_state" in self.needs) != (self.example_state is not None):
      raise ValueError("LossSpec: needs 'example_state' and example_state=<init path> go together")


INPUT_KINDS = ("logits", "hidden_unembedding", "embeddings", "pairs", "scores_groups", "logits_aux")
TRAINER_SUPPLIES = ("class_counts", "step", "rng", "target_outputs", "teacher_outputs", "example_state")


@dataclasses.dataclass(frozen=True)
class ModelSpec:
  """outputs: the input kinds (see :class:`LossSpec`) the model can return; ``logits`` is its default
  output, ``hidden_unembedding`` is ``apply(..., return_hidden=True)``, ``embeddings`` is
  ``apply(..., return_embeddings=True)``."""
  outputs: tuple[str, ...] = ("logits",)


@dataclasses.dataclass(frozen=True)
class OptimizerSpec:
  """static_args: structural arguments (shapes, Python control flow) that ``optax.inject_hyperparams``
  must keep static; every other numeric argument can be injected (tests/optim/test_battery.py).
  components: optimizer-valued arguments -> the registered optimizer a config gets when it names none.
  A config gives ``<argument>="<name>"`` and ``<argument>_kwargs={...}``; :mod:`lbrl.train.optimizer`
  builds that optimizer with the run's schedule and passes the transform (the factory then takes no
  learning rate of its own).
  component_grads: the update takes ``component_grads={component: gradient tree}``, the gradient of each
  component of a loss with ``LossSpec.components`` (computed by the trainer in one backward pass per
  component), besides the usual summed gradient."""
  static_args: tuple[str, ...] = ()
  components: Mapping[str, str] = dataclasses.field(default_factory=dict)
  component_grads: bool = False


@dataclasses.dataclass(frozen=True)
class MetricSpec:
  """A metric is ``fn(logits, labels, loss) -> dict[str, Array[N]]`` of per-example statistics
  (computed on device, inside the jitted eval step) and a host reduction of those statistics.

  reduce: ``"mean"``: the metric is the mean of its single statistic over the evaluated examples, summed
          on device as the eval streams (nothing per example leaves the device); otherwise the dotted
          path of ``reduce(stats: dict[str, np.ndarray]) -> float``, which receives the statistics of
          every evaluated example (a few numbers per example, never the logits).
  inputs: what ``fn`` is applied to (:data:`METRIC_INPUTS`):
          ``"logits"``: ``fn(logits [N, C], labels [N], loss [N])`` over the flattened evaluated rows;
          ``"embeddings"``: ``fn(embeddings [N, D], labels [N], loss [N])``, the model called with
          ``return_embeddings=True`` (e.g. per-example embeddings to a host reduction computing
          Recall@K over the whole split);
          ``"scores_groups"``: ``fn(scores [Q, L], relevance [Q, L], where [Q, L]) -> Array[Q] | dict``
          per query list, unflattened; a query counts when it has an evaluated item, and the metric is
          a mean over counted queries (ranking metrics: NDCG@k, MRR);
          ``"targets"``: ``fn(predictions [N, D], targets [N, D], loss [N])`` for float (regression)
          labels ``[N, D]``: the model's outputs reshaped to the labels' shape, one row per example
          (e.g. mean squared error, a landmark detector's normalised mean error).
  """
  reduce: str = "mean"
  inputs: str = "logits"

  def __post_init__(self):
    if self.inputs not in METRIC_INPUTS:
      raise ValueError(f"MetricSpec.inputs={self.inputs!r}; expected one of {METRIC_INPUTS}")


METRIC_INPUTS = ("logits", "embeddings", "scores_groups", "targets")


@dataclasses.dataclass(frozen=True)
class DiagnosticSpec:
  """A training diagnostic is ``fn(*, params, grads, updates, intermediates, loss) -> dict[str, scalar]``,
  traced inside the jitted train step and logged as ``diag/<name>/<key>`` (each key a float32 scalar;
  the trainer averages it over the steps between two log points). ``params``/``grads``/``updates`` are the
  model's parameter trees (``updates`` as the optimizer applies them), ``loss`` the batch's mean loss.

  intermediates: the function needs the forward pass's intermediate values: the trainer then applies the
                 model with flax's ``capture_intermediates=True`` and passes the captured tree (every
                 module's ``__call__`` output, keyed by module path); otherwise ``intermediates={}``.
  """
  intermediates: bool = False


@dataclasses.dataclass(frozen=True)
class NoSpec:
  """Entries without metadata."""


# ----------------------------------------------------------------------------------------------------
# The registry type


@dataclasses.dataclass(frozen=True)
class Entry:
  name: str
  target: str | None    # "package.module:attribute" (lazy), or None for an eagerly registered object
  spec: Any


def resolve(target: str) -> Any:
  """Imports ``"package.module:attr.sub"`` and returns the attribute."""
  module, _, attr = target.partition(":")
  obj = importlib.import_module(module)
  for part in filter(None, attr.split(".")):
    obj = getattr(obj, part)
  return obj


class Registry:
  """Names -> objects declared with metadata; objects are imported on first use."""

  def __init__(self, kind: str, spec_type: type = NoSpec):
    self.kind = kind
    self.spec_type = spec_type
    self._entries: dict[str, Entry] = {}
    self._objects: dict[str, Any] = {}

  def declare(self, name: str, target: str, **meta) -> None:
    """Declares ``name`` -> the object at ``target`` (``"module:attr"``), imported on first ``get``."""
    if ":" not in target:
      raise ValueError(f"{self.kind} {name!r}: target must be 'package.module:attribute', got {target!r}")
    self._add(Entry(name, target, self._spec(name, meta)))

  def register(self, name: str, obj: Any = None, **meta) -> Callable[[Any], Any] | Any:
    """Adds ``obj`` under ``name`` now (user code, tests); bare or as a decorator."""
    def add(o):
      if name in self._objects and self._objects[name] is o:
        return o
      old = self._entries.get(name)
      where = f"{getattr(o, '__module__', '')}:{getattr(o, '__qualname__', '')}"
      if old is not None and old.target == where and not meta:
        self._objects[name] = o  # a module registering what is declared for it: keep the declaration
        return o
      self._add(Entry(name, None, self._spec(name, meta)))
      self._objects[name] = o
      return o
    return add if obj is None else add(obj)

  def unregister(self, name: str) -> None:
    self._entries.pop(name, None)
    self._objects.pop(name, None)

  def _spec(self, name, meta):
    try:
      return self.spec_type(**meta)
    except TypeError as e:
      raise TypeError(f"{self.kind} {name!r}: bad metadata {meta} for {self.spec_type.__name__}: {e}") from None

  def _add(self, entry: Entry) -> None:
    old = self._entries.get(entry.name)
    if old is not None and not (old.target and old.target == entry.target):
      raise ValueError(f"{self.kind} {entry.name!r} is declared twice ({old.target or 'registered'} and "
                       f"{entry.target or 'registered'})")
    self._entries[entry.name] = entry

  def _check(self, name: str) -> Entry:
    if name not in self._entries:
      close = difflib.get_close_matches(str(name), self._entries, n=3, cutoff=0.5)
      hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
      raise KeyError(f"unknown {self.kind} {name!r}.{hint} Known: {', '.join(sorted(self._entries))}")
    return self._entries[name]

  def get(self, name: str) -> Any:
    """The object named ``name`` (importing its module on first use)."""
    entry = self._check(name)
    if name not in self._objects:
      try:
        self._objects[name] = resolve(entry.target)
      except (ImportError, AttributeError) as e:
        raise ImportError(f"{self.kind} {name!r}: cannot load {entry.target}: {type(e).__name__}: {e}") from e
    return self._objects[name]

  def spec(self, name: str) -> Any:
    """The metadata of ``name``, without importing it."""
    return self._check(name).spec

  def target(self, name: str) -> str | None:
    return self._check(name).target

  def __contains__(self, name: str) -> bool:
    return name in self._entries

  def names(self) -> list[str]:
    return sorted(self._entries)


DATASETS = Registry("dataset")
TRANSFORMS = Registry("dataset transform")
MODELS = Registry("model", ModelSpec)
LOSSES = Registry("loss", LossSpec)
OPTIMIZERS = Registry("optimizer", OptimizerSpec)
GRAD_ESTIMATORS = Registry("gradient estimator")
METRICS = Registry("metric", MetricSpec)
PARAMETRIZATIONS = Registry("parametrization")
POST_TRAINING = Registry("post-training stage")
TARGETS = Registry("auxiliary network")
EXPERIMENT_KINDS = Registry("experiment kind")
DIAGNOSTICS = Registry("training diagnostic", DiagnosticSpec)
# Tools of the ``analysis`` experiment kind: ``fn(ctx: lbrl.analysis.context.AnalysisContext, **kwargs)
# -> {key: float}`` or ``(scalars, extra)``, applied to a run's final checkpoint or its initialisation.
ANALYSIS_TOOLS = Registry("analysis tool")
# fn(params, *, source: dict, target: dict, key, **kwargs) -> params: config.init's transform of a
# source run's parameters into this model's (model growth, ...): lbrl.train.trainer.initial_variables
PARAM_TRANSFORMS = Registry("parameter transform")

# ----------------------------------------------------------------------------------------------------
# Declarations. One line per name; the module path is where the paper's code lives.

_L = "lbrl.losses."
for _name, _target, _meta in [
    # lbrl.losses.classification
    ("cross_entropy", "classification:cross_entropy", dict(impls={
        "fused": ("linear_cross_entropy", {"impl": "auto"}),
        "reference": ("linear_cross_entropy", {"impl": "reference"}),
        "pallas": ("linear_cross_entropy", {"impl": "pallas"}),
        "pallas_tpu": ("linear_cross_entropy", {"impl": "pallas_tpu"}),
        "pallas_gpu": ("linear_cross_entropy", {"impl": "pallas_gpu"}),
        "pallas_mgpu": ("linear_cross_entropy", {"impl": "pallas_mgpu"})})),   # Mosaic GPU (opt-in, unchecked on a GPU)
    ("poly1_cross_entropy", "classification:poly1_cross_entropy", {}),
    ("softmax_focal", "classification:softmax_focal", {}),
    ("squentropy", "classification:squentropy", {}),
    ("spherical_zloss", "classification:spherical_zloss", dict(impls={"gram": ("spherical_zloss_linear", {})})),
    ("spherical_zloss_linear", "classification:spherical_zloss_linear", dict(consumes="hidden_unembedding")),
    ("sparsemax_loss", "classification:sparsemax_loss", {}),
    ("ldam", "classification:ldam", dict(needs=("class_counts",))),
    ("ldam_drw", "classification:ldam_drw", dict(needs=("class_counts", "step"))),
    ("cross_entropy_drw", "classification:cross_entropy_drw", dict(needs=("class_counts", "step"))),
    ("one_vs_rest", "classification:one_vs_rest", {}),
    ("sovr", "classification:sovr", dict(batch_wide=True)),
    ("stablemax_cross_entropy", "classification:stablemax_cross_entropy", {}),
    ("harmonic_loss", "classification:harmonic_loss", {}),
    # lbrl.losses.robust
    ("normalized_cross_entropy", "robust:normalized_cross_entropy", {}),
    ("normalized_focal", "robust:normalized_focal", {}),
    ("reverse_cross_entropy", "robust:reverse_cross_entropy", {}),
    ("mean_absolute_error", "robust:mean_absolute_error", {}),
    ("active_passive", "robust:active_passive", {}),
    ("comp_sum", "robust:comp_sum", {}),
    ("generalized_cross_entropy", "robust:generalized_cross_entropy", {}),
    ("ldr_kl", "robust:ldr_kl", {}),
    ("aldr_kl", "robust:aldr_kl", {}),
    # lbrl.losses.lm
    ("logit_zloss", "lm:logit_zloss", {}),
    ("cross_entropy_zloss", "lm:cross_entropy_zloss", {}),
    ("number_token_loss", "lm:number_token_loss", {}),
    ("linear_cross_entropy", "lbrl.kernels.fused_ce:linear_cross_entropy", dict(consumes="hidden_unembedding")),
    # lbrl.losses.binary
    ("ensloss", "binary:ensloss", dict(batch_wide=True, needs=("rng",))),
    ("binary_logistic", "binary:binary_logistic", {}),
    ("binary_hinge", "binary:binary_hinge", {}),
    ("anyloss", "binary:anyloss", dict(batch_wide=True)),
    # lbrl.losses.tagging (mode="batch", the default, scores the whole batch as one set)
    ("dice_nlp", "tagging:dice_nlp", dict(batch_wide=True)),
    ("tversky_nlp", "tagging:tversky_nlp", dict(batch_wide=True)),
]:
  LOSSES.declare(_name, _target if _target.startswith("lbrl.") else _L + _target, **_meta)

for _name, _target, _meta in [
    ("logreg", "simple:LogReg", {}),
    ("mlp", "simple:MLP", {}),
    ("list_scorer", "ranking:ListScorer", dict(outputs=("scores_groups",))),
    ("cnn1d", "simple:CNN1D", {}),
    ("gru", "simple:GRU", {}),
    ("dual_encoder", "dual_encoder:DualEncoder", dict(outputs=("logits", "embeddings"))),
    ("vit", "vit:ViT", {}),
    ("onehot_mlp", "onehot:OneHotMLP", {}),
    ("embed_mlp", "heads:EmbedMLP", {}),
    ("harmonic_mlp", "heads:HarmonicMLP", {}),
    ("transformer_lm", "transformer:TransformerLM", dict(outputs=("logits", "hidden_unembedding"))),
    ("resnet", "resnet:ResNet", {}),
    ("resnet18", "resnet:ResNet18", {}),
    ("resnet50", "zoo:ResNet50", {}),
    ("wide_resnet", "zoo:WideResNet", {}),
    ("preact_resnet18", "zoo:PreActResNet18", {}),
    ("vit_s16", "zoo:ViTS16", {}),
    ("gpt2_small", "zoo:GPT2Small", dict(outputs=("logits", "hidden_unembedding"))),
]:
  MODELS.declare(_name, "lbrl.models." + _target, **_meta)

for _name, _target in [
    ("mnist1d", "lbrl.data.builders.mnist1d:load"),
    ("modular_arithmetic", "lbrl.data.builders.generated:load_modular_arithmetic"),
    ("gaussian_mixture", "lbrl.data.builders.generated:load_gaussian_mixture"),
    ("arithmetic_text", "lbrl.data.builders.generated:load_arithmetic_text"),
    ("ranking_lists", "lbrl.data.builders.generated:load_ranking_lists"),
    ("tiny_shakespeare", "lbrl.data.builders.shakespeare:load"),
    ("digits", "lbrl.data.builders.sklearn_sets:load_digits"),
    ("breast_cancer", "lbrl.data.builders.sklearn_sets:load_breast_cancer"),
    ("wine", "lbrl.data.builders.sklearn_sets:load_wine"),
    ("iris", "lbrl.data.builders.sklearn_sets:load_iris"),
    ("mnist5k", "lbrl.data.builders.sklearn_sets:load_mnist5k"),
]:
  DATASETS.declare(_name, _target)

_O = "lbrl.optim."
_SGD, _ADAM = {"base": "sgd"}, {"inner": "adam"}
for _name, _target, _meta in [
    # lbrl.optim.descent
    ("sgd", "descent:sgd", {}), ("sign_descent", "descent:sign_descent", {}), ("signum", "descent:signum", {}),
    ("momo", "descent:momo", {}), ("momo_adam", "descent:momo_adam", {}),
    ("normalized_lr_gd", "descent:normalized_lr_gd", {}),
    ("scaled_gradient", "descent:scaled_gradient", dict(components=_ADAM)),
    # lbrl.optim.adaptive (adamw_paper: Loshchilov & Hutter's decay; adamw: optax's lr-scaled decay)
    ("adam", "adaptive:adam", {}), ("adamw", "adaptive:adamw", {}), ("adamw_paper", "adaptive:adamw_paper", {}),
    ("adam_l2", "adaptive:adam_l2", {}),
    ("adafactor", "adaptive:adafactor", dict(static_args=("min_dim_size_to_factor",))),
    ("adamp", "adaptive:adamp", {}), ("sgdp", "adaptive:sgdp", {}), ("diffgrad", "adaptive:diffgrad", {}),
    ("gravity", "adaptive:gravity", {}), ("innaprop", "adaptive:innaprop", {}),
    ("adam_atan2", "adaptive:adam_atan2", {}), ("ranger21", "adaptive:ranger21", {}),
    # lbrl.optim.layerwise (lars_paper: the LARS paper's trust ratio; lars: optax's)
    ("lars", "layerwise:lars", {}), ("lars_paper", "layerwise:lars_paper", {}), ("lamb", "layerwise:lamb", {}),
    ("tvlars", "layerwise:tvlars", {}),
    # lbrl.optim.sharpness (two-pass methods as optimizers; as gradient estimators below)
    ("sam", "sharpness:sam", dict(components=_SGD)), ("sam_imbalance", "sharpness:sam_imbalance", dict(components=_SGD)),
    ("amp_perturbation", "sharpness:amp_perturbation", dict(static_args=("inner_steps",), components=_SGD)),
    ("gradient_regularization", "sharpness:gradient_regularization", dict(components=_SGD)),
    # lbrl.optim.lowrank
    ("galore", "lowrank:galore", dict(static_args=("rank", "rank_fraction"))),
    ("frugal", "lowrank:frugal", dict(static_args=("rank", "rank_fraction"))),
    ("fira", "lowrank:fira", dict(static_args=("rank", "rank_fraction"))),
    # lbrl.optim.perpgrad (the stablemax paper's perpGrad around an inner optimizer)
    ("perpgrad", "perpgrad:perpgrad_optimizer", dict(components=_ADAM)),
]:
  OPTIMIZERS.declare(_name, _O + _target, **_meta)

for _name in ("label_noise", "long_tail", "held_out_classes", "two_view", "process_shard", "subsample"):
  TRANSFORMS.declare(_name, f"lbrl.data.transforms:{_name}")

for _name, _target in [
    ("plain", "plain_estimator"), ("sam", "sam_estimator"), ("sam_imbalance", "sam_imbalance_estimator"),
    ("amp_perturbation", "amp_estimator"), ("gradient_regularization", "gr_estimator"), ("saf", "saf_estimator"),
]:
  GRAD_ESTIMATORS.declare(_name, "lbrl.optim.sharpness:" + _target)
GRAD_ESTIMATORS.declare("adaptive_batch", "lbrl.optim.adaptive_batch:adaptive_batch_estimator")
PARAM_TRANSFORMS.declare("grow_transformer", "lbrl.models.growth:grow_transformer")

# Metrics: lbrl.metrics (per-example statistics on device; host reductions where not a mean).
for _name, _reduce in [
    ("loss", "mean"), ("accuracy", "mean"), ("top5_accuracy", "mean"), ("top10_accuracy", "mean"),
    ("balanced_accuracy", "lbrl.metrics:reduce_balanced_accuracy"),
    ("macro_f1", "lbrl.metrics:reduce_macro_f1"),
    ("entity_f1", "lbrl.metrics:reduce_entity_f1"),
    ("ece", "lbrl.metrics:reduce_ece"),
    ("zero_loss_fraction", "mean"), ("softmax_collapse", "mean"),
    ("mean_logit_margin", "mean"), ("median_logit_margin", "lbrl.metrics:reduce_median_margin"),
    ("digit_abs_error", "lbrl.metrics:reduce_digit_abs_error"),
]:
  METRICS.declare(_name, f"lbrl.metrics:{_name}", reduce=_reduce)
for _name, _target in (("ndcg@10", "ndcg_at_10"), ("ndcg", "ndcg_full"), ("mrr", "mrr_groups")):
  METRICS.declare(_name, f"lbrl.metrics:{_target}", inputs="scores_groups")
for _name in ("mse", "mae"):
  METRICS.declare(_name, f"lbrl.metrics:{_name}", inputs="targets")

PARAMETRIZATIONS.declare("sp", "lbrl.optim.parametrization:sp")
PARAMETRIZATIONS.declare("mup", "lbrl.optim.parametrization:mup")
# Experiment kinds of the reproduction runner (config.sweep.kind): each a module of lbrl.tools.kinds.
for _name in ("sweep", "grid", "benchmark", "fit", "analysis"):
  EXPERIMENT_KINDS.declare(_name, f"lbrl.tools.kinds.{_name}:")

ANALYSIS_TOOLS.declare("hessian_top_eigenvalue", "lbrl.analysis.landscape:hessian_top_eigenvalue")
ANALYSIS_TOOLS.declare("loss_along_line", "lbrl.analysis.landscape:loss_along_line")

POST_TRAINING.declare("temperature_scaling", "lbrl.train.stages:temperature_scaling")
TARGETS.declare("ema", "lbrl.train.auxiliary:ema_target")
TARGETS.declare("teacher", "lbrl.train.auxiliary:frozen_teacher")

# The paper families' declarations: one module each in lbrl/declarations/ (see its docstring).
from lbrl import declarations as _declarations  # noqa: E402  (after the registries it fills)

FAMILIES = tuple(_declarations.load_all())
