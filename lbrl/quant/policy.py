"""Quantized training matmuls: every Dense layer of a model computes its forward and both backward matmuls
on quantized operands, with the papers' gradient quantizers; switched by config, no model change.

``config.precision.matmul`` (read by :func:`lbrl.train.precision.apply_precision`)::

    c.precision.matmul = dict(
        x=dict(fmt="float8_e4m3fn", granularity="tensor"),     # the layer input (a QuantSpec's fields)
        w=dict(fmt="float8_e4m3fn", granularity="tensor"),     # the kernel
        grad=dict(fmt="float8_e5m2", granularity="tensor"),    # the output cotangent
        grad_quantizer="spec",       # "spec" | "large_gradient" (int4_fixed_point_training's interval)
        hadamard=0,                  # > 0: block-Hadamard transform of the backward matmuls' contraction
        modules=".*")                # regex over the Dense layer's module path

For a Dense layer ``y = x W (+ b)`` (``x [m, k]`` with leading axes flattened, ``W [k, n]``), with ``L(.)``
quantizing a left operand (channel = row, block along its last axis) and ``R(.)`` a right operand
(channel = column, block along its first axis), each along the contraction of its own matmul:

  forward        y  = L_x(x) R_w(W)
  backward dx  = L_g(g) R_w(W_q^T)           (g = dL/dy; W_q the forward-quantized kernel)
  backward dW  = L_x(x_q^T) R_g(g)           (x_q the forward-quantized input)

and the gradients pass straight through the quantizers to ``x`` and ``W`` (the STE; master weights stay
float32). ``hadamard=h`` multiplies both operands of each backward matmul by the orthonormal block-diagonal
Sylvester-Hadamard matrix of block ``h`` along its contraction, zero-padded to a multiple of ``h``
(``A B = (A H)(H^T B)`` exactly before
quantization; it spreads outliers over a block before the quantizer: "Elucidating the design space of
FP4 training", slug ``elucidating_design_space_fp4``). A spec with ``rounding="stochastic"`` draws its
key from the layer's ``dropout`` RNG stream (the trainer's per-step key; round-to-nearest where a call has
none, e.g. in evaluation).

Gradient quantizers (``grad_quantizer``):

* ``"spec"``: the ``grad`` QuantSpec (e.g. e5m2 per tensor: ``fp8_training``; int4 with power-of-two
  per-row scales, ``scale_format="pow2"``: the per-group shift scaling that ShiftQuant approaches,
  ``accurate_efficient_sub_8``);
* ``"large_gradient"``: a per-tensor uniform int quantizer with clipping interval ``c = gamma max|g|``, gamma
  on a 16-point grid in ``[1/16, 1]`` chosen per call to minimise the squared quantization error of the
  large gradients (the top ``1 - large_quantile`` of ``|g|``, default 1%, selected without a sort:
  :func:`kth_largest`). The paper (Kim, Lee, Jeon, Moon
  and Ham, "Toward INT4 Fixed-Point Training via Exploring Quantization Error for Gradients", ECCV 2024,
  arXiv:2407.12637, slug ``int4_fixed_point_training``) keeps the interval small for large gradients with
  ``c = gamma g_max`` and updates gamma across iterations; lbrl's stand-in is stateless (gamma re-chosen
  from the current gradient each step), which the trainer's step function can hold without new state.

``start_step=k`` (quantization-aware training after a float phase, ``compute_optimal_quantization_aware``):
each quantized layer keeps a ``precision/step`` counter in the model state, incremented by every training
forward (the trainer's mutable collections; evaluation reads it), and computes in float32 while it is
below ``k`` (one forward per optimizer step; with gradient accumulation k counts micro-batches).

``elastic_bits=(2, 3, 4, 8)`` (EQ-Net, slug ``eq_net``): each layer draws its int width from the tuple at
every training forward (from its ``dropout`` stream: a supernet over mixed-precision configurations) and
fake-quantizes its input and kernel per tensor at that width (:func:`elastic_fake_quant`, straight-through;
``elastic_quantizer="mse"``: :func:`elastic_mse_fake_quant`, the authors' clip search and unsigned codes
for non-negative inputs);
without an RNG (evaluation) it uses ``eval_bits`` (default: the largest width). The other fields are
ignored in this mode.

Only ``nn.Dense`` and ``nn.DenseGeneral`` with trailing contraction axes are quantized; convolutions and
embeddings stay in the model's dtype (said in each config that uses this).
"""
from __future__ import annotations

import dataclasses
import math
import re
from functools import partial
from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from lbrl.quant.quantizers import QuantSpec, check_spec, fake_quantize
from lbrl.quant.rounding import round_ste

GRAD_QUANTIZERS = ("spec", "large_gradient")
ELASTIC_QUANTIZERS = ("absmax", "mse")


class MatmulPolicy(NamedTuple):
  x: QuantSpec | None = None
  w: QuantSpec | None = None
  grad: QuantSpec | None = None
  grad_quantizer: str = "spec"
  hadamard: int = 0
  grad_bits: int = 4             # large_gradient: the int width
  large_quantile: float = 0.99   # large_gradient: |g| above this quantile counts as large
  modules: str = ".*"
  start_step: int = 0            # quantize from this training step on (a float phase first: QAT schedules)
  elastic_bits: tuple = ()       # EQ-Net: int widths sampled per layer and training step (x and w per tensor)
  eval_bits: int = 0             # EQ-Net: the width used where no RNG is given (0: the largest)
  elastic_quantizer: str = "absmax"  # EQ-Net: "absmax" (elastic_fake_quant) | "mse" (elastic_mse_fake_quant)


def policy_from_config(cfg) -> MatmulPolicy:
  """A :class:`MatmulPolicy` from ``config.precision.matmul`` (a dict; module docstring)."""
  d = dict(cfg)
  unknown = set(d) - set(MatmulPolicy._fields)
  if unknown:
    raise ValueError(f"config.precision.matmul: unknown keys {sorted(unknown)}; known: {', '.join(MatmulPolicy._fields)}")
  for role in ("x", "w", "grad"):
    if d.get(role) is not None:
      spec = dict(d[role])
      bad = set(spec) - set(QuantSpec._fields)
      if bad:
        raise ValueError(f"config.precision.matmul.{role}: unknown keys {sorted(bad)}; a QuantSpec has "
                         f"{', '.join(QuantSpec._fields)}")
      d[role] = check_spec(QuantSpec(**spec))
  if "elastic_bits" in d:
    d["elastic_bits"] = tuple(int(b) for b in d["elastic_bits"])
  p = MatmulPolicy(**d)
  if p.grad_quantizer not in GRAD_QUANTIZERS:
    raise ValueError(f"config.precision.matmul.grad_quantizer must be one of {GRAD_QUANTIZERS}, got {p.grad_quantizer!r}")
  if p.grad_quantizer == "large_gradient" and not 2 <= p.grad_bits <= 8:
    raise ValueError(f"config.precision.matmul.grad_bits must be in [2, 8], got {p.grad_bits!r}")
  if p.elastic_quantizer not in ELASTIC_QUANTIZERS:
    raise ValueError(f"config.precision.matmul.elastic_quantizer must be one of {ELASTIC_QUANTIZERS}, got "
                     f"{p.elastic_quantizer!r}")
  if p.elastic_bits and not all(isinstance(b, int) and 2 <= b <= 8 for b in p.elastic_bits):
    raise ValueError(f"config.precision.matmul.elastic_bits must be ints in [2, 8], got {p.elastic_bits!r}")
  if p.hadamard and (p.hadamard & (p.hadamard - 1)):
    raise ValueError(f"config.precision.matmul.hadamard must be 0 or a power of two, got {p.hadamard!r}")
  re.compile(p.modules)
  return p


def hadamard_matrix(n: int) -> np.ndarray:
  """The orthonormal Sylvester-Hadamard matrix of order ``n`` (a power of two), float32."""
  if n < 1 or n & (n - 1):
    raise ValueError(f"hadamard_matrix: n must be a power of two, got {n}")
  h = np.ones((1, 1))
  while h.shape[0] < n:
    h = np.block([[h, h], [h, -h]])
  return (h / math.sqrt(n)).astype(np.float32)


def _block_hadamard(a, axis, h):
  """``a`` times the block-diagonal Hadamard of block ``h`` along ``axis``, zero-padded to a multiple of
  ``h`` (both operands of a matmul padded alike: the padded terms contribute zero)."""
  pad = -a.shape[axis] % h
  if pad:
    widths = [(0, 0)] * a.ndim
    widths[axis] = (0, pad)
    a = jnp.pad(a, widths)
  n = a.shape[axis]
  am = jnp.moveaxis(a, axis, -1)
  out = (am.reshape(*am.shape[:-1], n // h, h) @ jnp.asarray(hadamard_matrix(h))).reshape(am.shape)
  return jnp.moveaxis(out, -1, axis)


def _q(a, spec, side, key):
  """``a`` (2-D) fake-quantized as the ``side`` ("left" / "right") operand of a matmul."""
  if spec is None:
    return a
  axis = {"block": 1 if side == "left" else 0, "channel": 0 if side == "left" else 1}.get(spec.granularity, 0)
  spec = spec._replace(axis=axis)
  if spec.rounding == "stochastic" and key is None:
    spec = spec._replace(rounding="nearest")
  key = key if spec.rounding == "stochastic" else None
  pad = -a.shape[axis] % spec.block_size if spec.granularity == "block" else 0
  if pad:   # a ragged last block (e.g. 10 classes, block 32): zero-padded, which leaves its amax unchanged
    widths = [(0, 0), (0, 0)]
    widths[axis] = (0, pad)
    return jax.lax.slice_in_dim(fake_quantize(jnp.pad(a, widths), spec, key=key), 0, a.shape[axis], axis=axis)
  return fake_quantize(a, spec, key=key)


def kth_largest(a, k: int):
  """The ``k``-th largest entry of a nonnegative float array ``a`` (any shape; ``1 <= k <= a.size``), exactly:
  ``np.sort(a.ravel())[a.size - k]``, found without sorting by bisection on the float32 bit pattern (for
  nonnegative floats the int32 order of the bits is the value order): 31 passes that each count the
  entries at or above a candidate. On CPU this is ~28x faster than ``jnp.quantile``'s sort or
  ``jax.lax.top_k`` (both ~8-9 ms for 32,768 entries, this 0.3 ms, measured with jax 0.10.2)."""
  a = jnp.asarray(a, jnp.float32).ravel()
  if not 1 <= int(k) <= a.size:
    raise ValueError(f"kth_largest: k must be in [1, {a.size}] (the array's size), got {k!r}")
  bits = jax.lax.bitcast_convert_type(a, jnp.int32)

  def step(i, t):
    cand = t | jnp.left_shift(jnp.int32(1), 30 - i)
    return jnp.where(jnp.sum(bits >= cand) >= k, cand, t)

  return jax.lax.bitcast_convert_type(jax.lax.fori_loop(0, 31, step, jnp.int32(0)), jnp.float32)


def num_large(n: int, quantile: float) -> int:
  """How many of ``n`` entries lie above ``quantile`` for the large-gradient set: ``n - ceil((n - 1) q)``
  (the entries from NumPy's ``quantile(..., method="higher")`` up; at least 1)."""
  if not 0.0 <= quantile < 1.0:
    raise ValueError(f"large_quantile must be in [0, 1), got {quantile!r}")
  return max(1, n - math.ceil((n - 1) * quantile - 1e-9))


def large_gradient_quantize(g, bits: int = 4, quantile: float = 0.99, grid: int = 16):
  """The stateless large-gradient interval quantizer (module docstring): symmetric uniform ``bits``-bit
  codes on ``[-c, c]``, ``c = gamma max|g|``, gamma minimising the squared error of the large gradients.

  The large gradients are the entries with ``|g| >= t``, ``t`` the ``k``-th largest ``|g|`` with ``k =``
  :func:`num_large` ``(g.size, quantile)`` (:func:`kth_largest`; ties at ``t`` all count as large). This is
  the set ``|g| >= jnp.quantile(|g|, quantile)`` (linear interpolation) selects whenever the interpolated
  value is not rounded past ``t``: the interpolated value lies in ``(sorted[ceil(h) - 1], sorted[ceil(h)]]``,
  ``h = (n - 1) q``, so no entry lies strictly between it and ``t``."""
  g = jnp.asarray(g, jnp.float32)
  a = jnp.abs(g)
  gmax = jnp.max(a)
  qmax = 2 ** (bits - 1) - 1
  big = a >= kth_largest(a, num_large(a.size, quantile))

  def with_gamma(gamma):
    c = jnp.maximum(gamma * gmax, jnp.finfo(jnp.float32).tiny)
    s = c / qmax
    q = jnp.clip(jnp.round(g / s), -qmax, qmax) * s
    return q, jnp.sum(jnp.where(big, (q - g) ** 2, 0.0))

  gammas = jnp.arange(1, grid + 1, dtype=jnp.float32) / grid
  errs = jax.vmap(lambda gm: with_gamma(gm)[1])(gammas)
  return with_gamma(gammas[jnp.argmin(errs)])[0]


def elastic_fake_quant(a, bits):
  """Symmetric per-tensor int fake quantization with a traced width ``bits`` (``s = amax / (2^(b-1) - 1)``,
  codes in ``[-(2^(b-1) - 1), 2^(b-1) - 1]``), straight-through."""
  qmax = 2.0 ** (jnp.asarray(bits, jnp.float32) - 1.0) - 1.0
  s = jnp.max(jnp.abs(a)) / qmax
  s = jnp.where(s > 0, s, 1.0)
  return jnp.clip(round_ste(a / s), -qmax, qmax) * s


def elastic_mse_fake_quant(a, bits, *, p: float = 2.4, candidates: int = 80, sample: int = 2048):
  """EQ-Net's quantizer with the clipping its authors initialise LSQ with (``module/base_lsq.py``:
  ``symmetric_init``), per tensor, straight-through, with a traced width ``b = bits``:

  * codes ``[0, 2^b - 1]`` with ``s = c / (2^b - 1)`` when every entry is >= 0 (their ``all_positive``: ReLU
    outputs), else ``[-2^(b-1), 2^(b-1) - 1]`` with ``s = 2c / (2^b - 1)``;
  * the clip ``c = max|a| (1 - 0.01 i)``, ``i = 0..candidates-1``, minimising ``mean |a - Q(a)|^p``
    (``p = 2.4``, their ``lp_loss``), the mean taken over every ``ceil(size / sample)``-th entry of ``a``
    (all entries when ``size <= sample``; ``max|a|`` always over all);
  * ``Q(a) = round(clip(a / s, lo, hi)) s``: no gradient where clipped (``torch.clamp``), straight through
    the rounding; ``s`` is a constant of the step.

  lbrl's choice: the authors search ``c`` once at initialisation and then learn ``s`` per layer and width by
  LSQ; lbrl searches it again at every call (stateless, no step-size parameters), on a strided sample of at
  most ``sample`` entries: the search over all entries of a 128 x 256 input costs ~0.5 s a training step
  on CPU."""
  a = jnp.asarray(a, jnp.float32)
  b = jnp.asarray(bits, jnp.float32)
  levels = 2.0 ** b - 1.0
  unsigned = jnp.min(a) >= 0
  lo = jnp.where(unsigned, 0.0, -(2.0 ** (b - 1.0)))
  hi = jnp.where(unsigned, levels, 2.0 ** (b - 1.0) - 1.0)
  clips = jnp.max(jnp.abs(a)) * (1.0 - 0.01 * jnp.arange(candidates, dtype=jnp.float32))
  scales = jnp.maximum(jnp.where(unsigned, clips, 2.0 * clips) / levels, jnp.finfo(jnp.float32).tiny)
  flat = a.ravel()[::max(1, -(-a.size // int(sample)))]
  errs = jax.vmap(lambda s: jnp.mean(jnp.abs(flat - jnp.round(jnp.clip(flat / s, lo, hi)) * s) ** p))(scales)
  s = jax.lax.stop_gradient(scales[jnp.argmin(errs)])
  return round_ste(jnp.clip(a / s, lo, hi)) * s


def _qg(g, p, side, key):
  if p.grad_quantizer == "large_gradient":
    return large_gradient_quantize(g, p.grad_bits, p.large_quantile)
  return _q(g, p.grad, side, key)


@partial(jax.custom_vjp, nondiff_argnums=(0,))
def qdot(p: MatmulPolicy, a, b, key):
  """``L_x(a) R_w(b)`` for ``a [m, k]``, ``b [k, n]`` with the policy's backward (module docstring)."""
  return _fwd(p, a, b, key)[0]


def _keys(key, n):
  return [None] * n if key is None else list(jax.random.split(key, n))


def _fwd(p, a, b, key):
  k = _keys(key, 6)
  aq, bq = _q(a, p.x, "left", k[0]), _q(b, p.w, "right", k[1])
  return aq @ bq, (aq, bq, key)


def _bwd(p, res, g):
  aq, bq, key = res
  k = _keys(None if key is None else jax.random.fold_in(key, 1), 6)
  bt, at = bq.T, aq.T
  g1, g2 = g, g
  if p.hadamard:
    g1, bt = _block_hadamard(g1, 1, p.hadamard), _block_hadamard(bt, 0, p.hadamard)
    at, g2 = _block_hadamard(at, 1, p.hadamard), _block_hadamard(g2, 0, p.hadamard)
  da = _qg(g1, p, "left", k[0]) @ _q(bt, p.w, "right", k[1])
  db = _q(at, p.x, "left", k[2]) @ _qg(g2, p, "right", k[3])
  return da.astype(aq.dtype), db.astype(bq.dtype), None


qdot.defvjp(lambda p, a, b, key: _fwd(p, a, b, key), _bwd)


def _dense(module, p: MatmulPolicy, x):
  """A flax Dense / DenseGeneral forward through :func:`qdot` (params read from the module)."""
  params = module.variables["params"]
  kernel, bias = params["kernel"], params.get("bias")
  if isinstance(module, nn.DenseGeneral):
    if module.batch_dims:
      raise ValueError("precision.matmul: DenseGeneral with batch_dims is not supported")
    axes = (module.axis,) if isinstance(module.axis, int) else tuple(module.axis)
    nd = len(axes)
    if sorted(a % x.ndim for a in axes) != list(range(x.ndim - nd, x.ndim)):
      raise ValueError(f"precision.matmul: DenseGeneral over axes {axes} (not the trailing ones) is not supported")
    out_shape = kernel.shape[nd:]
  else:
    nd, out_shape = 1, kernel.shape[1:]
  dtype = module.dtype or jnp.result_type(x, kernel)
  lead = x.shape[:x.ndim - nd]
  a = x.astype(dtype).reshape(-1, math.prod(x.shape[x.ndim - nd:]))
  b = kernel.astype(dtype).reshape(a.shape[1], -1)
  key = module.make_rng("dropout") if module.has_rng("dropout") else None
  if p.elastic_bits:
    widths = jnp.asarray(p.elastic_bits, jnp.float32)
    bits = (widths[jax.random.randint(key, (), 0, len(p.elastic_bits))] if key is not None
            else jnp.float32(p.eval_bits or max(p.elastic_bits)))
    fq = elastic_mse_fake_quant if p.elastic_quantizer == "mse" else elastic_fake_quant
    y = (fq(a, bits) @ fq(b, bits)).reshape(*lead, *out_shape)
  elif p.start_step:
    step = module.variable("precision", "step", lambda: jnp.zeros((), jnp.int32))
    on = step.value >= p.start_step
    if module.is_mutable_collection("precision"):   # a training forward: count it
      step.value = step.value + 1
    y = jax.lax.cond(on, lambda: qdot(p, a, b, key), lambda: a @ b).reshape(*lead, *out_shape)
  else:
    y = qdot(p, a, b, key).reshape(*lead, *out_shape)
  if bias is not None:
    y = y + bias.astype(dtype)
  return y


def interceptor(p: MatmulPolicy):
  """A flax method interceptor routing the matching Dense calls through :func:`qdot`."""
  pattern = re.compile(p.modules)

  def fn(next_fun, args, kwargs, context):
    m = context.module
    if context.method_name == "__call__" and isinstance(m, (nn.Dense, nn.DenseGeneral)) and \
            pattern.fullmatch("/".join(m.path)):
      if not m.is_initializing():
        return _dense(m, p, args[0])
      if p.start_step:   # the step counter joins the model state at init
        m.variable("precision", "step", lambda: jnp.zeros((), jnp.int32))
    return next_fun(*args, **kwargs)
  return fn


def quantized_model(model: nn.Module, p: MatmulPolicy) -> nn.Module:
  """``model`` (same class, fields and parameter tree) whose ``__call__`` runs under :func:`interceptor`."""
  cls = type(model)
  hook = interceptor(p)

  def __call__(self, *args, **kwargs):   # noqa: N807
    with nn.intercept_methods(hook):
      return cls.__call__(self, *args, **kwargs)

  sub = type(cls.__name__, (cls,), {"__call__": __call__, "__module__": cls.__module__,
                                    "__qualname__": cls.__qualname__})
  fields = {f.name: getattr(model, f.name) for f in dataclasses.fields(model)
            if f.init and f.name not in ("parent", "name")}
  out = sub(**fields)
  object.__setattr__(out, "_lbrl_base", getattr(model, "_lbrl_base", model))   # the unquantized model
  return out


def training_protocol(c, variant: str):
  """The shared quantized-training setting of the PREC configs on ``c`` (``common.base``'s): MNIST-1D,
  MLP 40-256-256-10 (``mlp``; the unit-scaling config swaps in ``unit_scaled_mlp``), Adam 3e-3, batch 128,
  1,500 steps (48 epochs), evaluated on the 1,000 test examples at the end; smoke: width 16, 2 steps. Every
  Dense matmul is quantized when an arm sets ``precision.matmul``."""
  from lbrl import config as common
  c.data.update(name="mnist1d", batch_size=common.by_variant(variant, smoke=16, cpu=128, paper=128),
                eval_batch_size=1000)
  c.model = common.free(name="mlp", hidden=common.by_variant(variant, smoke=(16,), cpu=(256, 256), paper=(256, 256)))
  c.loss.name = "cross_entropy"
  c.optimizer = common.free(name="adam", learning_rate=3e-3)
  c.steps = common.by_variant(variant, smoke=2, cpu=1500, paper=1500)
  c.eval_every = 0
  c.log_every = common.by_variant(variant, smoke=1, cpu=250, paper=250)
  c.eval_metrics = ["loss", "accuracy"]
  c.precision = common.free(rules=[])
  c.sweep.metric = "eval/accuracy"
  return c


def spec(fmt: str, granularity: str = "tensor", **kw) -> dict:
  """A QuantSpec's fields as a config dict (``precision.matmul.x`` / ``w`` / ``grad``)."""
  return dict(fmt=fmt, granularity=granularity, **kw)


# The policies the PREC training configs share (``config.precision.matmul`` dicts).
FP8 = dict(x=spec("float8_e4m3fn"), w=spec("float8_e4m3fn"), grad=spec("float8_e5m2"))  # dynamic per-tensor scales
FP8_NAIVE = {role: {**s, "scale_format": "none"} for role, s in FP8.items()}            # the plain cast, scale 1
W4A4 = dict(x=spec("int4"), w=spec("int4"))                                            # int4 input and kernel


def matmul_arms(**policies) -> dict:
  """Sweep arms of a quantized-training config: ``fp32`` (no policy) and one arm per named
  ``precision.matmul`` policy."""
  return {"fp32": {}, **{name: {"precision": {"matmul": m}} for name, m in policies.items()}}


def paper_recipe(c, variant: str, recipe: str, matmul) -> None:
  """On the ``paper`` variant only: the zoo's recipe for the paper's own run (``"c4_llama_60m"``: the GaLore
  protocol's LLaMA-60M on C4 with AdamW 1e-3; ``"imagenet_resnet50"``: ResNet-50 on ImageNet with SGD 0.1,
  momentum 0.9, weight decay 1e-4) under the policy ``matmul`` (a dict, or a function of the config for a
  policy that depends on its steps)."""
  if variant != "paper":
    return
  from lbrl import config as common
  if recipe == "c4_llama_60m":
    common.c4_llama(c, size="60m", optimizer=dict(name="adamw", learning_rate=1e-3, weight_decay=0.0))
  elif recipe == "imagenet_resnet50":
    common.imagenet_resnet50(c, optimizer=dict(name="sgd", learning_rate=0.1, momentum=0.9, weight_decay=1e-4))
  else:
    raise ValueError(f"paper_recipe: recipe must be 'c4_llama_60m' or 'imagenet_resnet50', got {recipe!r}")
  c.precision = common.free(rules=[], matmul=matmul(c) if callable(matmul) else matmul)


def elastic_eval_tool(ctx, *, widths=(2, 3, 4, 8), quantizer: str = "absmax") -> dict[str, float]:
  """The ``elastic_eval`` analysis tool (EQ-Net): the trained model's accuracy on the batch with every Dense
  layer at each int width in turn (``acc_w<b>``, with the ``elastic_quantizer`` ``quantizer``), and float
  (``acc_float``), whatever policy it trained with."""
  base = getattr(ctx.model, "_lbrl_base", ctx.model)
  variables = {"params": ctx.params, **(ctx.model_state or {})}
  x, y = jnp.asarray(ctx.x), np.asarray(ctx.labels)
  acc = lambda m: float(np.mean(np.argmax(np.asarray(jax.jit(m.apply)(variables, x)), -1) == y))
  out = {"acc_float": acc(base)}
  for b in widths:
    out[f"acc_w{int(b)}"] = acc(quantized_model(base, MatmulPolicy(elastic_bits=(int(b),), elastic_quantizer=quantizer)))
  return out
