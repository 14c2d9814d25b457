"""Parametrisations: per-leaf init-scale, learning-rate and weight-decay multipliers (SP, muP, depth-muP).

A parametrisation says how initialisation and learning rates scale with the width (and depth) of a
network. lbrl expresses it as multipliers *relative to the standard parametrisation (SP)* of a model
built by its usual initialisers: at the base shapes every multiplier is 1, so a muP model at its base
width is the SP model, and a learning rate tuned there transfers to other widths.

muP (Yang & Hu, "Feature Learning in Infinite-Width Neural Networks" (Tensor Programs IV), 2020,
arXiv:2011.14522, slug mup; the practical table from Yang, Hu, Babuschkin, Sidor, Liu, Farhi, Ryder,
Pachocki, Chen & Gao, "Tensor Programs V", 2022, arXiv:2203.03466, Table 3), with the width multipliers
m_in = fan_in / base_fan_in and m_out = fan_out / base_fan_out of each leaf:

  leaf kind (by which of fan_in / fan_out grow with width, read off the base shapes, or named by ``roles``)
                    input weights & all biases    hidden weights        output weights
                    (fan_in fixed, fan_out grows) (both grow)           (fan_in grows, fan_out fixed)
  init variance     1/fan_in  (x1)                1/fan_in  (x1)        1/fan_in^2 (std x 1/sqrt(m_in))
  Adam lr           x1                            x 1/m_in              x 1/m_in
  SGD lr            x m_out                       x m_out/m_in          x 1/m_in

(Table 3 gives the absolute scalings; dividing by the same scaling at the base shapes gives these
multipliers. SGD's hidden entry is Table 3's 1 when fan_in and fan_out grow alike; ``m_out/m_in`` is the
``mup`` package's ``MuSGD`` rule, equal to it there and defined when they grow differently.) The
``mup`` package (github.com/microsoft/mup) puts the output rule in the forward pass instead (``MuReadout``
multiplies its input by 1/m_in and ``set_base_shapes`` rescales its weights by sqrt(m_in)); that is the
same network and the same training dynamics (an Adam update is invariant to the gradient's scale, SGD's
picks up the multiplier squared), which tests/golden/test_scale_mup_golden.py checks leaf by leaf
against recorded ``MuAdam`` / ``MuSGD`` groups and ``set_base_shapes`` rescalings. Leaves whose fans are
both fixed get 1 everywhere; so does every leaf of a model *at* its base shapes.

``base_init`` says what the model's own initialiser is: ``"fan_in"`` (variance c / fan_in: flax's
``lecun_normal``, He; the table above) or ``"constant"`` (a fixed std such as GPT-2's N(0, 0.02^2), lbrl's
Transformer): then hidden weights get std x 1/sqrt(m_in) and output weights std x 1/m_in (what
``mup.init.normal_`` does to a constant-std init, plus ``MuReadout``'s 1/m_in).

depth-muP (Bordelon, Noci, Li, Hanin & Pehlevan, "Depthwise Hyperparameter Transfer in Residual
Networks: Dynamics and Scaling Limit", 2023, arXiv:2309.16620, slug depth_mup): muP in width and each
residual branch multiplied by 1/sqrt(L) in the forward pass. The branch multiplier is the model's:
``res_mlp`` / ``transformer_lm`` ``residual_scale="1/sqrt(L)"`` (:func:`lbrl.models.norm.residual_scale_value`);
the parametrisation adds the depth rule for the learning rate of branch weights (leaves matching
``branch``): SGD needs none (the paper's ResNet runs); for Adam, lbrl multiplies the branch lr by
(L / L_0)^(-1/2) (``depth_lr_exponent``, the Adam rule of Yang, Yu, Zhu & Hayou, "Tensor Programs VI",
2023, arXiv:2310.02244), since an entrywise-normalised step does not shrink with the branch's gradient.
L / L_0 is ``depth`` / ``base_depth`` when given, else read off a scanned stack axis (``res_mlp``'s
``blocks``) or counted from the ``block_<i>`` modules of the params and the base (Transformer, ViT; a
deeper model's extra blocks take the shapes of the base's first block).
``branch_scale=True`` instead folds the branch multiplier into the parametrisation, relative to the base
depth: a forward multiplier c = sqrt(L_0 / L) on a branch's last layer (leaves matching ``branch_out``,
default :data:`ZOO_BRANCH_OUT`) is the same network and training as that layer with init x c and learning
rate x c^2 (SGD; the gradient picks up c too) or x c (Adam, invariant to the gradient's scale), so a model
with ``residual_scale=1`` trains as one with branches scaled by sqrt(L_0)/sqrt(L) (the paper's beta_0 /
sqrt(L), beta_0 = sqrt(L_0)).

Weight decay: ``-lr(t) * wd * wd_mult * w`` (``lr(t)``: the global schedule) with ``wd_scaling``:
``"independent"`` (default, ``wd_mult = 1``: per-step decay width-independent, the ``mup`` package's
``MuAdamW``, which multiplies weight decay by the width multiplier to undo its lr division);
``"follows_lr"`` (``wd_mult = lr_mult``: a torch ``AdamW`` given the muP groups' learning rates with a
fixed ``weight_decay``; ``wd_follows_lr=True`` is the old spelling); ``"sqrt_width"`` (Fan, Liu, Zhao,
Yuan & Gu, "Robust Layerwise Scaling Rules by Proper Weight Decay Tuning", 2025, arXiv:2510.15262, slug
layerwise_wd_scaling, Table 2: AdamW hidden (matrix-like) weights eta_2 ~ 1/d and lambda_2 ~ sqrt(d), so
``wd_mult = lr_mult * sqrt(m_in)``; vector-like leaves (input, output, biases, norms) lambda_1 = 0).

``group_lr``: extra per-kind lr factors (``{"output": 0.5, "hidden": 0.3}``): the per-layer-group learning
rates of "Optimal Scaling Needs Optimal Norm" (Filatov et al., 2025, slug optimal_norm), on top of
the rule.

Layout: Flax kernels are ``[..., fan_in axes, out]``: fan_out = shape[-1], fan_in = prod(shape[:-1]);
a vector (bias, norm scale) has fan_in 1; an embedding table ``[vocab, d]`` is an input weight. Zoo
leaves laid out otherwise are named in :data:`ZOO_LAYOUTS` (attention ``query/key/value`` kernels
``[d, heads, head_dim]``; the untied ``unembed`` ``[vocab, d]``; ``res_mlp``'s scanned ``blocks`` with a
leading depth axis); a user's module adds ``layouts=[(regex, {"stack": k, "fan_in": n, "transposed":
bool})]``. Paths are ``"Dense_0/kernel"`` (the params tree's keys joined by ``/``).

Naming the leaves of your own Flax module (the shapes then only give the multipliers)::

    p13n = Parametrization("mup", optimizer="adam", base_shapes=small_params,
                           roles=[("embed", "input"), ("readout", "output"), (".*", "hidden")])

or let lbrl build the base from a registered model (``base_model=dict(name="mlp", hidden=(64, 64),
num_classes=10), input_shape=(1, 40)``), or give ``width`` / ``base_width`` (every dimension that is a
multiple of ``width`` scales). Then::

    params = apply_init(params, p13n)                     # rescales the standard init
    tx = optax.chain(optax.adam(lr), p13n.scale_updates(lr))

Tied input/output embeddings cannot be both an input and an output leaf: use untied embeddings (or the
``mup`` package's forward multiplier) under muP. The attention 1/d logit scaling of muP is a forward-pass
choice of the model, not a multiplier.
"""
from __future__ import annotations

import dataclasses
import math
import re
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

KINDS = ("input", "hidden", "output", "fixed")
NAMES = ("sp", "mup", "depth_mup")
OPTIMIZERS = ("adam", "sgd")
BASE_INITS = ("fan_in", "constant")
WD_SCALINGS = ("independent", "follows_lr", "sqrt_width")

# Leaves of lbrl's zoo whose axes are not ``[fan_in axes..., fan_out]`` (first match wins; user layouts first).
ZOO_LAYOUTS = (
    (r"(^|/)(query|key|value)/kernel$", {"fan_in": 1}),   # DenseGeneral [d, heads, head_dim]
    (r"(^|/)unembed$", {"transposed": True}),             # [vocab, d], used as h @ U^T
    (r"(^|/)blocks/", {"stack": 1}),                      # nn.scan over residual blocks: [depth, ...]
)
# Residual-branch weights of the zoo (depth-muP's depth rule applies to them) and the last layer of each
# branch (where ``branch_scale`` folds the 1/sqrt(L) branch multiplier).
ZOO_BRANCH = r"(^|/)(blocks|block_\d+)/"
ZOO_BRANCH_OUT = r"(^|/)(blocks/dense2|block_\d+/attn/out|block_\d+/mlp/down)/"


class LeafMultipliers(NamedTuple):
  """One leaf's classification and multipliers (relative to SP)."""
  kind: str
  init: float
  lr: float
  wd: float


def fans(shape, layout: dict | None = None) -> tuple[int, int]:
  """(fan_in, fan_out) of a Flax parameter: ``prod(shape[:-1])`` and ``shape[-1]`` (1, 1 for a scalar);
  ``layout`` (see :data:`ZOO_LAYOUTS`) skips ``stack`` leading axes, takes ``fan_in`` axes as inputs (the
  rest outputs) or reads a ``transposed`` ``[out, in]`` matrix."""
  layout = layout or {}
  shape = tuple(int(d) for d in shape)[int(layout.get("stack", 0)):]
  if not shape:
    return 1, 1
  if layout.get("transposed"):
    return shape[-1], int(np.prod(shape[:-1], dtype=np.int64))
  n_in = int(layout.get("fan_in", len(shape) - 1))
  if not 0 <= n_in < len(shape):
    raise ValueError(f"layout fan_in={n_in} does not fit a leaf of core shape {shape}")
  return int(np.prod(shape[:n_in], dtype=np.int64)), int(np.prod(shape[n_in:], dtype=np.int64))


def classify(shape, base_shape, layout: dict | None = None) -> tuple[str, float, float]:
  """(kind, m_in, m_out) of a leaf from its shape and its base shape."""
  if len(tuple(shape)) != len(tuple(base_shape)):
    raise ValueError(f"shape {tuple(shape)} and base shape {tuple(base_shape)} differ in rank")
  fi, fo = fans(shape, layout)
  bfi, bfo = fans(base_shape, layout)
  m_in, m_out = fi / bfi, fo / bfo
  grows_in, grows_out = m_in != 1.0, m_out != 1.0
  if grows_in and grows_out:
    kind = "hidden"
  elif grows_out:
    kind = "input"
  elif grows_in:
    kind = "output"
  else:
    kind = "fixed"
  return kind, m_in, m_out


def _shape(x) -> tuple[int, ...]:
  if isinstance(x, (tuple, list)) and all(isinstance(d, (int, np.integer)) for d in x):
    return tuple(int(d) for d in x)
  return tuple(np.shape(x)) if not hasattr(x, "shape") else tuple(x.shape)


def _is_shape(x) -> bool:
  return isinstance(x, tuple) and all(isinstance(d, (int, np.integer)) for d in x)


def _plain(x):
  """ConfigDicts / FrozenDicts -> dicts, lists -> tuples (hashable, comparable config blocks)."""
  if hasattr(x, "to_dict"):
    x = x.to_dict()
  if isinstance(x, dict) or (hasattr(x, "items") and hasattr(x, "keys")):
    return {k: _plain(v) for k, v in x.items()}
  if isinstance(x, (list, tuple)):
    return tuple(_plain(v) for v in x)
  return x


def _path(path) -> str:
  from lbrl.parallel.mesh import path_str  # pylint: disable=import-outside-toplevel
  return path_str(path)


def base_shapes_of(model: dict, input_shape, input_dtype: str = "float32"):
  """The parameter shapes (a tree of ``ShapeDtypeStruct``) of a registered model built from ``model``
  (``{"name": ..., **fields}``) on an input of ``input_shape``: the base of a parametrisation."""
  from lbrl.registry import MODELS  # pylint: disable=import-outside-toplevel
  kw = dict(_plain(model))
  if "name" not in kw:
    raise ValueError(f"base_model needs a registered model name: got {sorted(kw)}")
  if input_shape is None:
    raise ValueError("base_model needs input_shape (e.g. (1, 40) for MNIST-1D)")
  module = MODELS.get(kw.pop("name"))(**kw)
  x = jnp.zeros(tuple(int(d) for d in input_shape), jnp.dtype(input_dtype))
  rng = jax.random.PRNGKey(0)
  return jax.eval_shape(lambda: module.init({"params": rng, "dropout": rng}, x, train=False))["params"]


@dataclasses.dataclass(frozen=True)
class Parametrization:
  """SP, muP or depth-muP (see the module docstring) for Adam-type or SGD-type optimizers.

  name:           ``"sp"`` (every multiplier 1), ``"mup"`` or ``"depth_mup"``.
  optimizer:      ``"adam"`` (any entrywise-normalised optimizer: Adam, AdamW, Lion, sign descent) or
                  ``"sgd"`` (SGD and momentum SGD): Table 3's two lr rows.
  base_shapes:    a tree like the params (arrays, ``ShapeDtypeStruct`` or shape tuples) of the base
                  model; or ``base_model`` (a registered model's fields with its ``name``) and
                  ``input_shape`` (``input_dtype``, default float32): lbrl builds the base's shapes; or
                  ``width`` and ``base_width``: every dimension that is a multiple of ``width`` is taken to
                  scale, d -> d * base_width / width.
  roles:          ``[(regex, kind)]``: leaves whose path matches get that kind (input | hidden | output |
                  fixed) instead of the one read off the shapes (first match wins).
  layouts:        ``[(regex, {"stack", "fan_in", "transposed"})]`` before :data:`ZOO_LAYOUTS`.
  base_init:      ``"fan_in"`` (default) or ``"constant"``: the model's own initialiser.
  wd_scaling:     ``"independent"`` (default), ``"follows_lr"`` or ``"sqrt_width"``;
                  ``wd_follows_lr=True`` is ``"follows_lr"``.
  group_lr:       ``{kind: factor}`` extra lr factors per leaf kind (default none).
  depth, base_depth, branch, depth_lr_exponent: depth-muP's rule (``depth_mup`` only): branch leaves
                  (paths matching ``branch``, default :data:`ZOO_BRANCH`) get lr x (L/L_0)^(-exponent);
                  exponent default 0.5 for Adam, 0 for SGD.
  branch_scale, branch_out: fold the sqrt(L_0 / L) branch multiplier into the leaves matching
                  ``branch_out`` (``depth_mup`` only; default False: the model scales its branches).
  """
  name: str = "mup"
  optimizer: str = "adam"
  base_shapes: Any = None
  width: int | None = None
  base_width: int | None = None
  wd_follows_lr: bool = False
  base_model: Any = None
  input_shape: Any = None
  input_dtype: str = "float32"
  roles: Any = ()
  layouts: Any = ()
  base_init: str = "fan_in"
  wd_scaling: str = ""
  group_lr: Any = None
  depth: int | None = None
  base_depth: int | None = None
  branch: str = ZOO_BRANCH
  depth_lr_exponent: float | None = None
  branch_scale: bool = False
  branch_out: str = ZOO_BRANCH_OUT

  def __post_init__(self):
    if self.name not in NAMES:
      raise ValueError(f"parametrization name must be one of {NAMES}, got {self.name!r}")
    if self.optimizer not in OPTIMIZERS:
      raise ValueError(f"parametrization optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
    if (self.width is None) != (self.base_width is None):
      raise ValueError("give both width and base_width (or base_shapes)")
    if (self.depth is None) != (self.base_depth is None):
      raise ValueError("give both depth and base_depth")
    for k in ("width", "base_width", "depth", "base_depth"):
      v = getattr(self, k)
      if v is not None and (not isinstance(v, (int, np.integer)) or v < 1):
        raise ValueError(f"{k} must be a positive integer, got {v!r}")
    if self.base_init not in BASE_INITS:
      raise ValueError(f"parametrization base_init must be one of {BASE_INITS}, got {self.base_init!r}")
    wd = self.wd_scaling or ("follows_lr" if self.wd_follows_lr else "independent")
    if wd not in WD_SCALINGS:
      raise ValueError(f"parametrization wd_scaling must be one of {WD_SCALINGS}, got {self.wd_scaling!r}")
    object.__setattr__(self, "wd_scaling", wd)
    roles = tuple(tuple(r) for r in _plain(self.roles or ()))
    for r in roles:
      if len(r) != 2 or r[1] not in KINDS:
        raise ValueError(f"parametrization roles must be (regex, kind) pairs with kind in {KINDS}, got {r!r}")
      re.compile(r[0])
    object.__setattr__(self, "roles", roles)
    layouts = tuple((r, dict(v)) for r, v in _plain(self.layouts or ()))
    for r, v in layouts:
      bad = set(v) - {"stack", "fan_in", "transposed"}
      if bad:
        raise ValueError(f"parametrization layouts: unknown keys {sorted(bad)} for {r!r} (stack, fan_in, transposed)")
    object.__setattr__(self, "layouts", layouts)
    group = dict(_plain(self.group_lr or {}))
    bad = set(group) - set(KINDS)
    if bad:
      raise ValueError(f"parametrization group_lr keys must be leaf kinds {KINDS}, got {sorted(bad)}")
    object.__setattr__(self, "group_lr", tuple(sorted((k, float(v)) for k, v in group.items())))
    if self.depth_lr_exponent is None:
      object.__setattr__(self, "depth_lr_exponent", 0.5 if self.optimizer == "adam" else 0.0)
    if self.base_model is not None:
      if self.base_shapes is not None:
        raise ValueError("give base_shapes or base_model, not both")
      object.__setattr__(self, "base_model", _plain(self.base_model))
      object.__setattr__(self, "base_shapes", base_shapes_of(self.base_model, self.input_shape, self.input_dtype))

  # -- shapes ----------------------------------------------------------------------------------------
  def _base_shape(self, shape, base=None):
    if base is not None:
      return _shape(base)
    if self.width is None:
      raise ValueError(f"parametrization {self.name!r} needs base_shapes, base_model or width and base_width")
    w, bw = int(self.width), int(self.base_width)
    return tuple(d * bw // w if d % w == 0 else d for d in shape)

  def layout(self, path: str) -> dict:
    """The axis layout of the leaf at ``path`` (user ``layouts``, then :data:`ZOO_LAYOUTS`; default {})."""
    for regex, lay in tuple(self.layouts) + ZOO_LAYOUTS:
      if re.search(regex, path):
        return lay
    return {}

  def role(self, path: str) -> str | None:
    for regex, kind in self.roles:
      if re.search(regex, path):
        return kind
    return None

  def leaf(self, shape, base_shape=None, path: str = "", depth_mult: float | None = None) -> LeafMultipliers:
    """The multipliers of one leaf of ``shape`` at ``path`` (``base_shape``: its shape in the base;
    ``depth_mult``: L / L_0 counted from unscanned ``block_<i>`` modules, for depth_mup)."""
    shape = _shape(shape)
    if self.name == "sp":
      return LeafMultipliers("fixed", 1.0, 1.0, 1.0)
    lay = self.layout(path)
    kind, m_in, m_out = classify(shape, self._base_shape(shape, base_shape), lay)
    kind = self.role(path) or kind
    constant = self.base_init == "constant"
    init = {"output": 1.0 / (m_in if constant else math.sqrt(m_in)),
            "hidden": 1.0 / math.sqrt(m_in) if constant else 1.0}.get(kind, 1.0)
    if self.optimizer == "adam":
      lr = 1.0 / m_in if kind in ("hidden", "output") else 1.0
    else:
      lr = {"input": m_out, "hidden": m_out / m_in, "output": 1.0 / m_in, "fixed": 1.0}[kind]
    lr *= dict(self.group_lr).get(kind, 1.0)
    if self.name == "depth_mup" and re.search(self.branch, path):
      md = self._depth_mult(shape, base_shape, lay, depth_mult)
      lr *= md ** (-float(self.depth_lr_exponent))
      if self.branch_scale and re.search(self.branch_out, path):
        c = 1.0 / math.sqrt(md)
        init *= c
        lr *= c * c if self.optimizer == "sgd" else c
    if self.wd_scaling == "follows_lr":
      wd = lr
    elif self.wd_scaling == "sqrt_width":
      matrix = kind == "hidden" or (kind == "fixed" and len(shape) - int(lay.get("stack", 0)) >= 2)
      wd = lr * math.sqrt(m_in) if matrix else 0.0
    else:
      wd = 1.0
    return LeafMultipliers(kind, float(init), float(lr), float(wd))

  def _depth_mult(self, shape, base_shape, lay, counted=None) -> float:
    k = int(lay.get("stack", 0))
    if self.depth is not None:
      return self.depth / self.base_depth
    if k and base_shape is not None:
      return float(np.prod(shape[:k])) / float(np.prod(_shape(base_shape)[:k]))
    if counted is not None:
      return float(counted)
    if k:
      raise ValueError("depth_mup: a stacked branch leaf needs base_shapes/base_model or depth and base_depth")
    return 1.0

  def multipliers(self, params, base_shapes=None) -> Any:
    """A tree of :class:`LeafMultipliers` shaped like ``params`` (``base_shapes`` overrides the
    object's)."""
    base = base_shapes if base_shapes is not None else self.base_shapes
    p_leaves, treedef = jax.tree_util.tree_flatten_with_path(params, is_leaf=_is_shape)
    if base is None:
      return jax.tree.unflatten(treedef, [self.leaf(_shape(p), None, _path(k)) for k, p in p_leaves])
    base_map = {_path(k): _shape(b) for k, b in jax.tree_util.tree_flatten_with_path(base, is_leaf=_is_shape)[0]}
    paths = [_path(k) for k, _ in p_leaves]
    blocks = lambda ps: len({m.group(0) for p in ps for m in [re.search(r"block_\d+", p)] if m})
    depth_mult = blocks(paths) / blocks(base_map) if blocks(base_map) else None
    out = []
    for path, (_, p) in zip(paths, p_leaves):
      # a deeper model's extra blocks take the base's first block's shapes
      b = base_map.get(path, base_map.get(re.sub(r"block_\d+", "block_0", path)))
      if b is None:
        raise ValueError(f"base_shapes has no leaf for {path!r} (base leaves: {sorted(base_map)[:8]}...)")
      out.append(self.leaf(_shape(p), b, path, depth_mult))
    return jax.tree.unflatten(treedef, out)

  def _field(self, params, field, base_shapes=None):
    mults = self.multipliers(params, base_shapes)
    return jax.tree.map(lambda m: getattr(m, field), mults, is_leaf=lambda x: isinstance(x, LeafMultipliers))

  def init_multipliers(self, params, base_shapes=None):
    return self._field(params, "init", base_shapes)

  def lr_multipliers(self, params, base_shapes=None):
    return self._field(params, "lr", base_shapes)

  def wd_multipliers(self, params, base_shapes=None):
    return self._field(params, "wd", base_shapes)

  def kinds(self, params, base_shapes=None):
    return self._field(params, "kind", base_shapes)

  def table(self, params, base_shapes=None) -> list[tuple[str, tuple, str, float, float, float]]:
    """``[(path, shape, kind, init, lr, wd)]`` per leaf: what the parametrisation does to a model."""
    leaves = jax.tree_util.tree_flatten_with_path(params, is_leaf=_is_shape)[0]
    mults = jax.tree.leaves(self.multipliers(params, base_shapes), is_leaf=lambda x: isinstance(x, LeafMultipliers))
    return [(_path(k), _shape(p), m.kind, m.init, m.lr, m.wd) for (k, p), m in zip(leaves, mults)]

  # -- the optimizer side ----------------------------------------------------------------------------
  def scale_updates(self, learning_rate: Any = 0.0, weight_decay: Any = 0.0, base_shapes=None,
                    mask: Any = None) -> optax.GradientTransformation:
    """A transform to chain after an optimizer (whose updates already include ``-lr``):

      u <- lr_mult * u - learning_rate(t) * weight_decay * wd_mult * w     (decay on ``mask``ed leaves)

    The multipliers are computed from the parameter shapes and paths at trace time (no state but a count).
    """
    def init_fn(params):
      del params
      return optax.ScaleByScheduleState(count=jnp.zeros([], jnp.int32))

    def update_fn(updates, state, params=None):
      lrm = self.lr_multipliers(updates, base_shapes)
      out = jax.tree.map(lambda u, m: (u * m).astype(u.dtype), updates, lrm)
      wd_on = not (isinstance(weight_decay, (int, float)) and weight_decay == 0)
      if wd_on:
        if params is None:
          raise ValueError("parametrization weight decay needs params")
        from lbrl.optim import _common as C  # pylint: disable=import-outside-toplevel
        lr = C.lr_at(learning_rate, state.count)
        wdm = self.wd_multipliers(updates, base_shapes)
        sel = C.mask_tree(mask, params)
        out = jax.tree.map(
            lambda u, p, m, s: (u - lr * weight_decay * m * jnp.asarray(s, jnp.float32)
                                * p.astype(jnp.float32)).astype(u.dtype),
            out, params, wdm, sel)
      return out, optax.ScaleByScheduleState(count=optax.safe_increment(state.count))

    return optax.GradientTransformation(init_fn, update_fn)


def sp(**kwargs) -> Parametrization:
  """The standard parametrisation (every multiplier 1); the registry entry ``sp``."""
  return Parametrization("sp", **kwargs)


def mup(optimizer: str = "adam", **kwargs) -> Parametrization:
  """muP (Tensor Programs IV/V, Table 3) for ``optimizer`` (``adam`` or ``sgd``); the registry entry
  ``mup``. Give ``base_shapes``, ``base_model`` + ``input_shape``, or ``width`` and ``base_width``."""
  return Parametrization("mup", optimizer=optimizer, **kwargs)


def depth_mup(optimizer: str = "adam", **kwargs) -> Parametrization:
  """depth-muP (Bordelon et al. 2023, arXiv:2309.16620): muP plus the depth rule for branch learning
  rates; the model must scale its branches by 1/sqrt(L) (``residual_scale="1/sqrt(L)"``). Registry
  entry ``depth_mup``."""
  return Parametrization("depth_mup", optimizer=optimizer, **kwargs)


def layerwise_wd(optimizer: str = "adam", **kwargs) -> Parametrization:
  """muP for AdamW with the weight-decay rule of Fan et al. 2025 (arXiv:2510.15262): hidden weights lr ~
  1/d and decay ~ sqrt(d), vector-like leaves lr Theta(1) and no decay. Registry entry ``layerwise_wd``."""
  if optimizer != "adam":
    raise ValueError(f"layerwise_wd is the AdamW rule: optimizer must be 'adam', got {optimizer!r}")
  return Parametrization("mup", optimizer="adam", **dict(kwargs, wd_scaling="sqrt_width"))


def get_parametrization(spec: Any) -> Parametrization:
  """A :class:`Parametrization` from a name (``"sp"``, ``"mup"``), a mapping of its fields (a config
  block such as ``{"name": "mup", "optimizer": "adam", "width": 256, "base_width": 64}``), or itself
  (or a :class:`DeepScaleLM`)."""
  if isinstance(spec, (Parametrization, DeepScaleLM)):
    return spec
  if isinstance(spec, str):
    return Parametrization(spec)
  if hasattr(spec, "items"):
    return Parametrization(**dict(spec.items()))
  raise TypeError(f"parametrization must be a name, a mapping or a Parametrization, got {type(spec).__name__}")


def apply_init(params, param13n: Parametrization | str, base_shapes=None):
  """Rescales a standard initialisation to ``param13n``'s: each leaf is multiplied by its init
  multiplier (muP: output weights by 1 / sqrt(m_in); everything else 1)."""
  p = get_parametrization(param13n)
  mult = p.init_multipliers(params, base_shapes)
  return jax.tree.map(lambda x, m: (x * m).astype(x.dtype) if m != 1.0 else x, params, mult)


# -- DeepScaleLM ---------------------------------------------------------------------------------------

def _gelu_second_moment() -> float:
  """E[gelu(z)^2] for z ~ N(0, 1) (exact GELU, z Phi(z)), by 80-point Gauss-Hermite quadrature."""
  from scipy.special import ndtr  # pylint: disable=import-outside-toplevel
  x, w = np.polynomial.hermite_e.hermegauss(80)
  return float(np.sum(w * (x * ndtr(x)) ** 2) / np.sqrt(2 * np.pi))


def deepscalelm_scales(num_layers: int, k: float = 1.0) -> tuple[float, float]:
  """DeepScaleLM's shortcut and branch multipliers ``(lambda, beta)`` for ``x <- lambda x + beta F(x)`` on
  every sub-layer of an ``num_layers``-layer Transformer: ``beta^2 = k / N``, ``lambda^2 = 1 - beta^2`` (so
  unit-variance sub-layer outputs keep the stream at unit variance at any depth). The authors' code
  (akhilkedia/TranformersGetStable, ``--moment-control-lambda-sq 0.995 --moment-control-beta-sq 0.005`` for
  their 192-layer runs) is k ~ 1, lbrl's default."""
  if not isinstance(num_layers, (int, np.integer)) or num_layers < 1:
    raise ValueError(f"num_layers must be a positive integer, got {num_layers!r}")
  if not 0 < k <= num_layers:
    raise ValueError(f"k must be in (0, num_layers] so that beta^2 = k / N <= 1, got k={k!r}, N={num_layers}")
  beta_sq = float(k) / float(num_layers)
  return math.sqrt(1.0 - beta_sq), math.sqrt(beta_sq)


def deepscalelm_stds(num_layers: int, width: int, mlp_dim: int, *, r0: float, seq_len: int | None = None,
                     causal: bool = True, k: float = 1.0, dropout: float = 0.0, num_embeddings: int = 1) -> dict:
  """DeepScaleLM's initial standard deviations (Kedia et al. 2024, see :class:`DeepScaleLM`).

  Each component is initialised so that its output has unit second moment given unit-variance inputs
  of token-token correlation r (the correlation the paper tracks from the embeddings through the model):

  * embeddings: ``sqrt((1 - p) / n)`` for ``n`` summed tables (token [+ learned position]);
  * query, key: ``1 / sqrt(d)``;
  * value and attention output of layer l: ``(sqrt((1 - p) / r_att) / d)^(1/2)`` each, with ``r_att`` the
    correlation entering layer l's attention (the authors' ``sigma_attn_v_out``: an attention output at
    initialisation is an average over tokens, whose variance is r times the values'). The paper's formula
    is the long-sequence limit; lbrl adds the average's own variance for a finite sequence: ``r_att = r +
    (1 - r) c`` with ``c = mean_t 1/t`` over ``t = 1..T`` (causal, uniform attention over the prefix) or
    ``1/T`` (bidirectional); ``seq_len=None`` gives the paper's ``r_att = r``;
  * MLP (lbrl's GELU block ``down(gelu(up x))`` of width m): ``up`` ``1/sqrt(d)`` (unit pre-activations),
    ``down`` ``sqrt((1 - p) / (m E[gelu(z)^2]))``. (The authors' code uses ReLU and splits the product
    symmetrically, ``(sqrt((1 - p) / 2) / d)^(1/2)`` each for m = 4d: the same unit output.)
  * untied output embedding: ``1 / sqrt(d)`` (unit-variance logits; the authors scale the tied output the
    same way).

  The correlation recursion is the authors': starting from ``r0 (1 - p)`` (``r0``: the embeddings'
  token-token correlation, e.g. sum_c p_c^2 over the character frequencies), each sub-layer mixes
  ``r <- (lambda^2 r s + beta^2 r_out) / (lambda^2 s + beta^2)``, ``s <- lambda^2 s + beta^2``, with
  ``r_out = 1 - p`` after attention and ``(1 - p)(r + (sqrt(1 - r^2) - r acos r) / pi)`` (the ReLU
  correlation map, as in the authors' code) after the MLP.
  Returns ``{"lambda", "beta", "embed", "qk", "vo": [per layer], "up", "down", "unembed", "r": [per layer]}``.
  """
  for name, v in (("width", width), ("mlp_dim", mlp_dim)):
    if not isinstance(v, (int, np.integer)) or v < 1:
      raise ValueError(f"{name} must be a positive integer, got {v!r}")
  if not 0.0 < r0 <= 1.0:
    raise ValueError(f"r0 (the embeddings' token correlation) must be in (0, 1], got {r0!r}")
  if not 0.0 <= dropout < 1.0:
    raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
  if seq_len is not None and (not isinstance(seq_len, (int, np.integer)) or seq_len < 1):
    raise ValueError(f"seq_len must be a positive integer or None, got {seq_len!r}")
  lam, beta = deepscalelm_scales(num_layers, k)
  p, d = float(dropout), float(width)
  if seq_len is None:
    c = 0.0
  else:
    c = float(np.mean(1.0 / np.arange(1, seq_len + 1))) if causal else 1.0 / seq_len
  lam_sq, beta_sq = lam * lam, beta * beta
  r, s = float(r0) * (1 - p), 1.0
  vo, rs = [], []
  mix = lambda r, s, r_out: ((lam_sq * r * s + beta_sq * r_out) / (lam_sq * s + beta_sq), lam_sq * s + beta_sq)
  for _ in range(num_layers):
    rs.append(r)
    r_att = r + (1.0 - r) * c
    vo.append(math.sqrt(math.sqrt((1 - p) / r_att) / d))
    r, s = mix(r, s, 1 - p)
    r, s = mix(r, s, (1 - p) * (r + (math.sqrt(max(1 - r * r, 0.0)) - r * math.acos(min(r, 1.0))) / math.pi))
  return {"lambda": lam, "beta": beta, "embed": math.sqrt((1 - p) / num_embeddings), "qk": 1 / math.sqrt(d),
          "vo": vo, "up": 1 / math.sqrt(d), "down": math.sqrt((1 - p) / (mlp_dim * _gelu_second_moment())),
          "unembed": 1 / math.sqrt(d), "r": rs}


@dataclasses.dataclass(frozen=True)
class DeepScaleLM:
  """DeepScaleLM (Kedia, Zaidi, Khyalia, Jung, Goka & Lee, "Transformers Get Stable: An End-to-End Signal
  Propagation Theory for Language Models", ICML 2024, arXiv:2403.09635, slug transformers_get_stable) for
  lbrl's :class:`lbrl.models.transformer.TransformerLM`: the initialisation of :func:`deepscalelm_stds` as
  init multipliers of the model's N(0, ``base_std``^2) kernels (the registry entry ``deepscalelm``; learning
  rates and weight decay unchanged, as SP). The residual half is the model's: ``skip_scale=lambda``,
  ``residual_scale=beta`` from :func:`deepscalelm_scales` (same ``k``). Needs untied embeddings (the
  input table has std ~1, the output 1/sqrt(d)). ``r0``: the token-token correlation of the embedded
  input (Tiny Shakespeare's characters: sum_c p_c^2 = 0.056); ``seq_len``: the training context (None:
  the paper's long-sequence limit); ``num_layers``, width, MLP width and learned positions are read off
  the parameters.
  """
  r0: float = 0.0
  seq_len: int | None = None
  causal: bool = True
  k: float = 1.0
  dropout: float = 0.0
  base_std: float = 0.02
  name: str = dataclasses.field(default="deepscalelm", init=False)

  def __post_init__(self):
    if not 0.0 < float(self.r0) <= 1.0:
      raise ValueError(f"deepscalelm r0 (the embeddings' token correlation) must be in (0, 1], got {self.r0!r}")
    if not self.base_std > 0:
      raise ValueError(f"deepscalelm base_std must be > 0, got {self.base_std!r}")

  def stds(self, params) -> dict[str, float]:
    """``{path: target std}`` for the leaves DeepScaleLM sets (the others keep their init)."""
    leaves = {_path(k): _shape(v) for k, v in jax.tree_util.tree_flatten_with_path(params, is_leaf=_is_shape)[0]}
    if "embed/embedding" not in leaves or "unembed" not in leaves:
      raise ValueError("deepscalelm needs a TransformerLM with untied embeddings (tie_embeddings=False): "
                       f"no embed/embedding and unembed leaves among {sorted(leaves)[:6]}...")
    blocks = sorted({int(m.group(1)) for p in leaves for m in [re.match(r"block_(\d+)/", p)] if m})
    if not blocks or "block_0/mlp/up/kernel" not in leaves:
      raise ValueError("deepscalelm: no block_<i>/mlp/up/kernel leaves (a TransformerLM is expected)")
    width = leaves["embed/embedding"][-1]
    st = deepscalelm_stds(len(blocks), width, leaves["block_0/mlp/up/kernel"][-1], r0=float(self.r0),
                          seq_len=self.seq_len, causal=self.causal, k=self.k, dropout=self.dropout,
                          num_embeddings=2 if "pos_embed" in leaves else 1)
    out = {}
    for path in leaves:
      m = re.match(r"block_(\d+)/(attn/(query|key|value|out)|mlp/(up|down))/kernel$", path)
      if path in ("embed/embedding", "pos_embed"):
        out[path] = st["embed"]
      elif path == "unembed":
        out[path] = st["unembed"]
      elif m and m.group(3) in ("query", "key"):
        out[path] = st["qk"]
      elif m and m.group(3):
        out[path] = st["vo"][int(m.group(1))]
      elif m:
        out[path] = st[m.group(4)]
    return out

  def init_multipliers(self, params, base_shapes=None):
    del base_shapes
    stds = self.stds(params)
    leaves, treedef = jax.tree_util.tree_flatten_with_path(params, is_leaf=_is_shape)
    return jax.tree.unflatten(treedef, [stds.get(_path(k), self.base_std) / self.base_std for k, _ in leaves])

  def scale_updates(self, learning_rate: Any = 0.0, weight_decay: Any = 0.0, base_shapes=None,
                    mask: Any = None) -> optax.GradientTransformation:
    """SP's update rule (every multiplier 1; decoupled decay ``-lr(t) wd w`` on ``mask``ed leaves)."""
    return Parametrization("sp").scale_updates(learning_rate, weight_decay, base_shapes, mask)


def deepscalelm(**kwargs) -> DeepScaleLM:
  """:class:`DeepScaleLM` (registry entry ``deepscalelm``)."""
  return DeepScaleLM(**kwargs)


def transfer_grid(c, *, names: tuple[str, str], size_axis: str, sizes, hp_axis: str, hps, p13n: dict,
                  steps: int, log_every: int, seeds, eval_split: str | None = "train", max_shift: int = 1):
  """The hyperparameter-transfer grid shared by the mup, depth_mup and layerwise_wd_scaling configs:
  MNIST-1D at batch 128, a grid (``sweep.kind = "grid"``) of parametrisation ``names = (reference,
  method)`` x ``size_axis`` (width or depth) ``sizes`` x ``hp_axis`` (learning rate or weight decay)
  ``hps`` over ``seeds``, scored on the final eval loss (on the training split by default, as TP5 tunes
  on training loss; ``eval_split=None`` keeps the test split). The parametrisation's fields ``p13n``
  (without its name) go in ``grid.base``: a point that sets ``parametrization.name`` replaces the block.
  Rules (fixed here for all three papers): the method's plausible optima of ``hp_axis`` (paired 95% over
  seeds, :func:`lbrl.tools.kinds.grid.optimum_stable`) stay within ``max_shift`` grid steps across
  ``size_axis``; the reference's move by more."""
  from lbrl import config as common  # pylint: disable=import-outside-toplevel
  reference, method = names
  c.data.update(name="mnist1d", batch_size=128, eval_batch_size=1000)
  if eval_split:
    c.data.split_eval = eval_split
  c.parametrization = common.free(name=method, **p13n)
  c.steps, c.log_every = steps, log_every
  c.eval_metrics = ["loss", "accuracy"]
  c.sweep.kind = "grid"
  c.sweep.metric = "eval/loss"
  c.sweep.seeds = list(seeds)
  c.grid = dict(axes=[("parametrization.name", [reference, method]), (size_axis, list(sizes)), (hp_axis, list(hps))],
                base={"parametrization": p13n})
  stable = dict(op="optimum_stable", axis=hp_axis, across=size_axis, max_shift=max_shift, mode="min")
  c.sweep.rules = [dict(stable, where={"parametrization.name": method}),
                   dict(stable, where={"parametrization.name": reference}, expect="moves")]
