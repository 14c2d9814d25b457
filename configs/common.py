"""Shared pieces of every paper config: argument parsing, trainer defaults, locking.

A paper config looks like::

    from configs import common

    def get_config(arg=None):
      c, variant = common.base(arg)                  # defaults for every trainer field
      c.data.update(name="mnist1d", batch_size=128)
      c.model.update(name="cnn1d", channels=32)
      c.loss.update(name="cross_entropy")
      c.optimizer.update(name="adamw", learning_rate=1e-2, weight_decay=1e-4)
      c.steps = common.by_variant(variant, smoke=2, cpu=6000, paper=90 * 1251)
      c.paper.update(title=..., year=2022, arxiv="2204.12511", slug="polyloss", claim=..., expected=...)
      c.sweep.update(seeds=[0, 1, 2], arms={"ce": {"loss": {"name": "cross_entropy"}}}, ...)
      return common.finalize(c)

``arg`` is the text after the colon in ``--config configs/x.py:variant=cpu,seed=3``.
"""
from __future__ import annotations

import ml_collections as mlc

VARIANTS = ("smoke", "cpu", "paper")


def parse_arg(arg: str | None) -> dict[str, str]:
  """``"variant=cpu,seed=3"`` -> ``{"variant": "cpu", "seed": "3"}`` (clear error on bad syntax)."""
  out = {}
  for part in filter(None, (arg or "").split(",")):
    if "=" not in part:
      raise ValueError(f"config argument {part!r} is not key=value (full argument: {arg!r})")
    k, v = part.split("=", 1)
    out[k.strip()] = v.strip()
  unknown = set(out) - {"variant", "seed"}
  if unknown:
    raise ValueError(f"unknown config argument(s) {sorted(unknown)}; known: variant, seed")
  variant = out.get("variant", "cpu")
  if variant not in VARIANTS:
    raise ValueError(f"unknown variant {variant!r}; known: {', '.join(VARIANTS)}")
  out["variant"] = variant
  return out


def by_variant(variant: str, **values):
  """Picks ``values[variant]``; ``smoke`` falls back to ``cpu`` where not given."""
  if variant not in values and variant == "smoke":
    variant = "cpu"
  return values[variant]


def free(**fields) -> mlc.ConfigDict:
  """A sub-config whose keys are free (model/loss/optimizer kwargs differ by name)."""
  return mlc.ConfigDict(fields, type_safe=False)


def base(arg: str | None = None) -> tuple[mlc.ConfigDict, str]:
  """The default config (every field the trainer reads) and the chosen variant."""
  a = parse_arg(arg)
  variant = a["variant"]
  c = mlc.ConfigDict()
  c.variant = variant
  c.seed = int(a.get("seed", 0))
  # Data: `name` is a registered dataset (lbrl.data) or a standard TFDS name; the other keys are the
  # builder's options. `transforms` is a list of dicts applied to the training split only.
  # check_labels: integer labels outside [0, num_classes) (other than the ignore id -1) are an error at
  # load time; False lets the losses mask them (loss 0), as documented in lbrl.losses.
  c.data = dict(name="mnist1d", batch_size=128, eval_batch_size=1000, split_train="train",
                split_eval="test", data_dir="", transforms=[], prefetch=2, check_labels=True)
  c.data.options = free()  # builder keyword arguments
  c.model = free(name="mlp")
  c.loss = free(name="cross_entropy", impl="naive")  # impl: naive | fused (cross_entropy) | gram (spherical_zloss)
  c.optimizer = free(name="adamw", learning_rate=1e-3)
  # Schedule applied to optimizer.learning_rate: constant | cosine | linear, with linear warmup.
  c.schedule = dict(name="constant", warmup_steps=0, end_fraction=0.0)
  # How gradients are computed: "plain" value_and_grad, or a two-pass estimator from
  # lbrl.optim.GRAD_FNS ("sam", "amp_perturbation", "gradient_regularization", "saf", ...) with its kwargs.
  c.grad_estimator = free(name="plain")
  c.grad_clip_norm = 0.0                 # 0 disables global-norm clipping
  c.grad_accum_steps = 1                 # micro-batches per update (batch_size is per update)
  c.steps = by_variant(variant, smoke=2, cpu=1000, paper=10000)
  c.eval_every = 0                       # 0: evaluate only at the end
  c.log_every = 50
  c.checkpoint_every = 0                 # 0: only at the end and on SIGTERM
  c.keep_checkpoints = 2
  c.eval_metrics = ["loss", "accuracy"]  # names in lbrl.train.metrics.METRICS
  c.on_nonfinite = "skip"                # skip (drop the update, count it) | stop
  c.dtype = dict(param="float32", compute="float32")
  # Mesh: axis sizes (-1 fills in the rest of the devices); the batch is sharded over `data`.
  c.mesh = dict(shape=(-1,), axes=("data",))
  c.sharding_rules = []                  # [(param-path regex, PartitionSpec tuple)]; default replicated
  # The paper: `setting`/`hardware` describe the paper's own run; `provides` is what lbrl builds
  # (function | transform | module | kernel | tool | baseline) and `code` where it lives.
  c.paper = dict(title="", year=0, arxiv="", slug="", claim="", expected="", setting="", hardware="",
                 provides="", code="")
  # Sweep read by `python -m lbrl.reproduce`: arms are nested-dict overrides of this config.
  c.sweep = dict(seeds=[0, 1, 2], metric="eval/accuracy",
                 not_testable="",     # a reason here makes the verdict "not testable at this scale"
                 partly_testable="")  # a reason here caps "reproduced" at "partly reproduced"
  c.sweep.arms = free()
  c.sweep.published = free()  # arm -> the paper's number for the sweep metric
  # Verdict rules, evaluated by lbrl.tools.reproduce over the seeds (see its docstring):
  #   {"arm": A, "op": ">" | "<" | "tie", "than": B}   A beats / loses to / ties B beyond the noise
  #   {"arm": A, "op": ">=" | "<=", "value": v}         A's mean clears an absolute threshold
  #   {"arm": A, "op": "between", "value": (lo, hi)}
  # Each rule may add "metric": "eval/ece" (any final metric); the default is sweep.metric.
  c.sweep.rules = []
  return c, variant


def char_lm(c: mlc.ConfigDict, variant: str) -> None:
  """The nanoGPT ``shakespeare_char`` setting on Tiny Shakespeare (see configs/shakespeare_char.py):
  smoke/cpu: 4 layers x 128 wide, context 64, batch 12, 2000 steps; paper: 6 x 384, context 256, batch 64,
  dropout 0.2, 5000 steps. AdamW 1e-3 (beta2 0.99, weight decay 0.1), 100 warmup steps, cosine to 1e-4,
  clip 1.0. Sets data, model, optimizer, schedule and durations; the loss is the caller's."""
  small = variant != "paper"
  context = 64 if small else 256
  c.data.update(name="tiny_shakespeare", split_train="train", split_eval="validation",
                batch_size=12 if small else 64, eval_batch_size=by_variant(variant, smoke=64, cpu=256, paper=64))
  c.data.options = free(context=context)
  if variant == "smoke":
    c.data.options.eval_stride = 4096  # a few validation windows
  c.model = free(name="transformer_lm", num_layers=4 if small else 6, num_heads=4 if small else 6,
                 width=128 if small else 384, max_len=context, positions="learned", tie_embeddings=True,
                 use_bias=False, dropout=0.0 if small else 0.2)
  c.optimizer = free(name="adamw", learning_rate=1e-3, b1=0.9, b2=0.99, weight_decay=0.1)
  c.schedule.update(name="cosine", warmup_steps=by_variant(variant, smoke=1, cpu=100, paper=100), end_fraction=0.1)
  c.grad_clip_norm = 1.0
  c.steps = by_variant(variant, smoke=3, cpu=2000, paper=5000)
  c.log_every = by_variant(variant, smoke=1, cpu=100, paper=10)


def finalize(c: mlc.ConfigDict) -> mlc.ConfigDict:
  """Locks the config: from here a misspelt key is an error."""
  c.lock()
  return c
