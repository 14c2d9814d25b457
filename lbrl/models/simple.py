"""Small models for tabular and 1-D sequence data: logistic regression, MLP, 1-D CNN, GRU.

The MNIST-1D baselines follow the reference models of the MNIST-1D paper (Greydanus & Kobak, "Scaling
Down Deep Learning with MNIST-1D", 2020/2024, arXiv:2011.14439): an MLP with two hidden layers of
100 units, a 3-layer 1-D CNN with 25 channels, and a bidirectional GRU with 6 hidden units whose
outputs at every time step feed the classifier.

Every model takes ``x`` ``[B, ...]`` and returns logits ``[B, num_classes]``; ``num_classes`` is filled
from the dataset by the trainer when the config leaves it unset.
"""
from __future__ import annotations

from typing import Any, Sequence

import flax.linen as nn
import jax.numpy as jnp

from lbrl.models import heads

_ACTIVATIONS = {"relu": nn.relu, "gelu": nn.gelu, "tanh": jnp.tanh, "silu": nn.silu}


def _activation(name: str):
  if name not in _ACTIVATIONS:
    raise ValueError(f"unknown activation {name!r}; known: {sorted(_ACTIVATIONS)}")
  return _ACTIVATIONS[name]


class LogReg(nn.Module):
  """Multinomial logistic regression: ``logits = W flatten(x) + b``. Parameters: (D + 1) * C."""
  num_classes: int | None = None
  dtype: str = "float32"
  param_dtype: str = "float32"

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    x = x.reshape(x.shape[0], -1).astype(self.dtype)
    return nn.Dense(self.num_classes, dtype=self.dtype, param_dtype=self.param_dtype)(x)



class MLP(nn.Module):
  """Multi-layer perceptron on the flattened input.

  Default (MNIST-1D, 40 inputs, 10 classes): 40-100-100-10 with ReLU, 15,210 parameters. ``norm`` (default
  ``"none"``): a normalization layer (:func:`lbrl.models.norm.make_norm`) on each hidden pre-activation.
  """
  num_classes: int | None = None
  hidden: Sequence[int] = (100, 100)
  activation: str = "relu"
  norm: str = "none"   # a name of lbrl.models.norm.make_norm, applied before each hidden activation
  weight_reparam: str = "none"   # every layer's weights (head included): lbrl.models.norm_reparam.make_dense
  reparam_options: Any = ()
  dtype: str = "float32"
  param_dtype: str = "float32"

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    from lbrl.models import norm as N
    from lbrl.models.norm_reparam import make_dense
    act = _activation(self.activation)
    x = x.reshape(x.shape[0], -1).astype(self.dtype)
    dense = lambda width, i: (nn.Dense(width, dtype=self.dtype, param_dtype=self.param_dtype)
                              if self.weight_reparam == "none" else
                              make_dense(self.weight_reparam, width, name=f"Dense_{i}", options=self.reparam_options,
                                         dtype=self.dtype, param_dtype=self.param_dtype))
    for i, width in enumerate(self.hidden):
      h = dense(width, i)(x)
      if self.norm != "none":   # NaP's placement (Lyle et al., 2024): normalise each pre-activation
        h = N.make_norm(self.norm, train=train, name=f"norm_{i}", dtype=self.dtype, param_dtype=self.param_dtype)(h)
      x = act(h)
    return dense(self.num_classes, len(self.hidden))(x)

  @classmethod
  def sharding_rules(cls):
    """FSDP: shard each hidden kernel's output dimension."""
    return [(r"Dense_\d+/kernel", (None, "fsdp"))]


class CNN1D(nn.Module):
  """1-D CNN: ``depth`` conv layers (stride 2, padding 1), ReLU, flatten, linear classifier.

  Default (MNIST-1D): kernels 5, 3, 3 with 25 channels; 40 -> 19 -> 10 -> 5 positions, so the
  classifier sees 125 features; 5,210 parameters. ``head="cosine"`` replaces the linear classifier by
  :class:`lbrl.models.heads.CosineHead` (outputs ``cos(theta_k)`` in ``[-1, 1]``, no bias: LDAM-DRW's
  normalised classifier, to pair with a loss that scales them, e.g. ``ldam(scale=30)``).
  ``norm`` (default ``"none"``: the model above, unchanged): a layer of :func:`lbrl.models.norm.make_norm`
  after each convolution, before its ReLU (the conv-BN-ReLU order; an EvoNorm replaces the norm-ReLU
  pair); ``norm_group_size`` and ``norm_options`` as in :class:`lbrl.models.resnet.ResNet`.
  """
  num_classes: int | None = None
  channels: int = 25
  kernel_sizes: Sequence[int] = (5, 3, 3)
  stride: int = 2
  head: str = "linear"
  norm: str = "none"
  norm_group_size: int = 0     # channels per GroupNorm / EvoNorm-S0 group (0: min(32, C) groups)
  norm_options: Any = ()
  dtype: str = "float32"
  param_dtype: str = "float32"

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    from lbrl.models import norm as N
    if x.ndim == 2:
      x = x[..., None]  # [B, L] -> [B, L, 1]
    x = x.astype(self.dtype)
    for i, k in enumerate(self.kernel_sizes):
      x = nn.Conv(self.channels, (k,), strides=(self.stride,), padding=[(1, 1)], dtype=self.dtype,
                  param_dtype=self.param_dtype)(x)
      if self.norm != "none":
        x = N.make_norm(self.norm, train=train, name=f"norm_{i}", options=N.norm_options(self.norm_options),
                        num_groups=N.group_count(self.channels, group_size=self.norm_group_size),
                        dtype=self.dtype, param_dtype=self.param_dtype)(x)
        if self.norm.startswith("evonorm"):   # a normalization-activation layer: no ReLU after it
          continue
      x = nn.relu(x)
    x = x.reshape(x.shape[0], -1)
    return heads.classifier(self.head, self.num_classes, self.dtype, self.param_dtype)(x)



class NormGRUCell(nn.GRUCell):
  """A GRU cell whose input and recurrent projections are each normalized per gate (Ba, Kiros & Hinton,
  "Layer Normalization", 2016, arXiv:1607.06450, slug layernorm: their layer-normalized LSTM normalizes
  ``W_h h`` and ``W_x x`` separately, the normalizations' offsets serving as the biases)::

      r = sigmoid(N(W_ir x) + N(W_hr h))      z = sigmoid(N(W_iz x) + N(W_hz h))
      n = tanh(N(W_in x) + r * N(W_hn h))     h' = (1 - z) * n + z * h

  ``norm`` is ``"layer"`` or ``"rms"`` (per example, with an epsilon: ScaleNorm's ``x / ||x||`` has no
  gradient at the zero initial state); the paper's equations are for the LSTM and the vanilla RNN, the
  per-gate GRU form is lbrl's reading.
  Parameters as :class:`flax.linen.GRUCell` (kernels ``ir`` ... ``hn``, no dense biases) plus one norm
  per projection (``norm_ir`` ... ``norm_hn``)."""
  norm: str = "layer"

  @nn.compact
  def __call__(self, carry, inputs):
    from lbrl.models import norm as N
    if self.norm not in ("layer", "rms"):
      raise ValueError(f"NormGRUCell.norm must be 'layer' or 'rms', got {self.norm!r}")
    h = carry
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype)

    def proj(name, v, init):
      y = nn.Dense(h.shape[-1], use_bias=False, kernel_init=init, name=name, **kw)(v)
      return N.make_norm(self.norm, name=f"norm_{name}", **kw)(y)
    gi = lambda g: proj(f"i{g}", inputs, self.kernel_init)
    gh = lambda g: proj(f"h{g}", h, self.recurrent_kernel_init)
    r = self.gate_fn(gi("r") + gh("r"))
    z = self.gate_fn(gi("z") + gh("z"))
    n = self.activation_fn(gi("n") + r * gh("n"))
    new_h = (1.0 - z) * n + z * h
    return new_h, new_h


class GRU(nn.Module):
  """(Bi-directional) GRU over the sequence; the hidden states of every step feed a linear classifier.

  Default (MNIST-1D, length 40): hidden 6, bidirectional, 5,110 parameters. ``norm`` (default ``"none"``:
  flax's ``GRUCell``): ``"layer"`` (or ``"rms"``) runs :class:`NormGRUCell`, the
  layer-normalized GRU.
  """
  num_classes: int | None = None
  hidden: int = 6
  bidirectional: bool = True
  norm: str = "none"
  dtype: str = "float32"
  param_dtype: str = "float32"

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    if x.ndim == 2:
      x = x[..., None]
    x = x.astype(self.dtype)
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype)
    make_cell = (lambda: nn.GRUCell(self.hidden, **kw)) if self.norm == "none" else (
        lambda: NormGRUCell(self.hidden, norm=self.norm, **kw))
    cell = lambda: nn.RNN(make_cell())
    h = nn.Bidirectional(cell(), cell())(x) if self.bidirectional else cell()(x)
    return nn.Dense(self.num_classes, dtype=self.dtype, param_dtype=self.param_dtype)(
        h.reshape(h.shape[0], -1))



class ResidualBlock(nn.Module):
  """One residual branch of :class:`ResMLP` (two weight layers, ``m = 2``); see there for the formulas."""
  width: int
  norm: str = "none"
  placement: str = "pre"
  alpha: float = 1.0
  init_scheme: str = "he"
  fixup_scale: float = 1.0
  activation: str = "relu"
  weight_standardization: bool = False
  weight_norm: bool = False
  weight_reparam: str = "none"
  reparam_options: tuple = ()
  norm_options: tuple = ()
  train: bool = False
  dtype: str = "float32"
  param_dtype: str = "float32"

  @nn.compact
  def __call__(self, x, _=None):
    from lbrl.models import norm as N
    act = _activation(self.activation)
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype)
    norm = lambda name: N.make_norm(self.norm, train=self.train, name=name, options=self.norm_options, **kw)
    if self.init_scheme == "fixup":
      bias = lambda name: jnp.asarray(self.param(name, nn.initializers.zeros, (), self.param_dtype), self.dtype)
      w1 = nn.Dense(self.width, use_bias=False, name="dense1", **kw,
                    kernel_init=N.scaled_init(nn.initializers.he_normal(), self.fixup_scale))
      w2 = nn.Dense(self.width, use_bias=False, name="dense2", kernel_init=nn.initializers.zeros, **kw)
      scale = jnp.asarray(self.param("scale", nn.initializers.ones, (), self.param_dtype), self.dtype)
      h = w1(act(x) + bias("bias1a"))
      h = w2(act(h + bias("bias1b")) + bias("bias2a"))
      y = x + self.alpha * (scale * h + bias("bias2b"))
    else:
      dense = lambda name: nn.Dense(self.width, kernel_init=nn.initializers.he_normal(), name=name, **kw)
      if self.weight_standardization:  # Scaled WS; ReLU times gamma = sqrt(2/(1-1/pi)) keeps unit variance
        dense = lambda name: N.ScaledStdDense(self.width, name=name, **kw)
        act = (lambda z: N.RELU_GAMMA * nn.relu(z)) if self.activation == "relu" else act
      if self.weight_norm:  # flax's WeightNorm: kernel = g * v / ||v|| per output unit, g learned (init 1)
        dense = lambda name, _d=dense: nn.WeightNorm(_d(name))
      if self.weight_reparam != "none":  # lbrl.models.norm_reparam (compander, conditioning, weight_norm)
        from lbrl.models.norm_reparam import make_dense
        dense = lambda name: make_dense(self.weight_reparam, self.width, name=name, options=self.reparam_options,
                                        kernel_init=nn.initializers.he_normal(), **kw)
      if self.placement == "post":
        y = norm("norm1")(x + self.alpha * dense("dense2")(act(norm("norm2")(dense("dense1")(x)))))
      else:
        h = dense("dense2")(act(norm("norm2")(dense("dense1")(act(norm("norm1")(x))))))
        if self.placement == "sandwich":
          h = norm("norm3")(h)
        y = x + self.alpha * h
    self.sow("intermediates", "residual", y)
    return y, None


class ResMLP(nn.Module):
  """Deep residual MLP with a selectable normalization, placement, branch scale and init (issue 17's
  deep-and-narrow model: depth 50 to 1000 at width 16-64 runs on CPU, the blocks are one ``nn.scan``).

      stem:      x_0 = W_in flatten(x)
      pre:       x_l = x_{l-1} + a * W2 act(N(W1 act(N(x_{l-1}))))
      post:      x_l = N(x_{l-1} + a * W2 act(N(W1 x_{l-1})))
      sandwich:  x_l = x_{l-1} + a * N(W2 act(N(W1 act(N(x_{l-1})))))
      fixup:     x_l = x_{l-1} + a * (s * W2(act(W1(act(x_{l-1}) + b1a) + b1b) + b2a) + b2b)
      head:      logits = W_out act(N_f(x_L))        (N_f only for pre/sandwich with a norm)

  ``init_scheme="he"`` draws hidden kernels from He-normal (variance 2/fan_in); ``"fixup"`` is Fixup
  (Zhang et al., 2019, arXiv:1901.09321, Section 3: W1 He-normal times ``L^(-1/(2m-2)) = L^(-1/2)``,
  W2 and the classifier zero, scalar biases ``b`` (init 0) before each linear layer and activation and
  a scalar multiplier ``s`` (init 1) per branch; no normalization). ``residual_scale`` is ``a``: a number
  or "1/sqrt(L)" / "1/L" (:func:`lbrl.models.norm.residual_scale_value`). Each block's output is sown as
  ``intermediates/blocks/residual`` ``[depth, B, width]`` for the signal-propagation diagnostics.
  ``weight_standardization=True`` makes the branch layers :class:`lbrl.models.norm.ScaledStdDense`
  (Scaled WS, NF-ResNets; the ReLU is then multiplied by ``gamma = 1.7139``). ``norm_options``: further
  fields of the norm layer (:func:`lbrl.models.norm.make_norm`'s ``options``, e.g. ``{"alpha": 0.5}``).
  ``weight_norm=True`` wraps the branch layers in ``flax.linen.WeightNorm`` (Salimans & Kingma, 2016,
  arXiv:1602.07868: ``w = g v / ||v||`` per output unit; flax initialises ``g = 1``, the paper's
  data-dependent initialisation of ``g`` and the bias is not applied).

  Hyperparameters (defaults): ``num_classes`` (None: from the dataset), ``width=64``, ``depth=8``,
  ``norm="none"``, ``placement="pre"``, ``residual_scale=1.0``, ``init_scheme="he"`` (not ``init``, which
would shadow ``nn.Module.init``), ``activation="relu"``, ``unroll=1`` (blocks per scan iteration; the
same function, and ``unroll=depth`` lets XLA's cost analysis count every block's FLOPs).
  Parameters (no norm, He): ``D*w + w`` (stem) ``+ depth * 2 * (w^2 + w) + w*C + C``.
  """
  num_classes: int | None = None
  width: int = 64
  depth: int = 8
  norm: str = "none"
  placement: str = "pre"
  residual_scale: float | str = 1.0
  init_scheme: str = "he"
  activation: str = "relu"
  weight_standardization: bool = False
  weight_norm: bool = False
  weight_reparam: str = "none"   # branch layers' weights: lbrl.models.norm_reparam.make_dense
  reparam_options: Any = ()
  norm_options: Any = ()
  unroll: int = 1
  dtype: str = "float32"
  param_dtype: str = "float32"

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    from lbrl.models import norm as N
    if self.init_scheme not in ("he", "fixup"):
      raise ValueError(f"ResMLP.init_scheme must be 'he' or 'fixup', got {self.init_scheme!r}")
    if self.init_scheme == "fixup" and self.norm != "none":
      raise ValueError(f"ResMLP: init_scheme='fixup' is normalization-free, got norm={self.norm!r}")
    if self.depth < 1 or self.width < 1:
      raise ValueError(f"ResMLP needs depth >= 1 and width >= 1, got depth={self.depth}, width={self.width}")
    N.check_placement(self.placement)
    N.make_norm(self.norm)  # validates the name
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype)
    options = tuple(sorted(dict(self.norm_options).items()))  # hashable for nn.scan
    x = x.reshape(x.shape[0], -1).astype(self.dtype)
    x = nn.Dense(self.width, kernel_init=nn.initializers.lecun_normal(), name="stem", **kw)(x)
    blocks = nn.scan(ResidualBlock, variable_axes={"params": 0, "batch_stats": 0, "intermediates": 0},
                     split_rngs={"params": True}, length=self.depth,
                     unroll=self.unroll)
    x, _ = blocks(self.width, norm=self.norm, placement=self.placement,
                  alpha=N.residual_scale_value(self.residual_scale, self.depth), init_scheme=self.init_scheme,
                  fixup_scale=N.fixup_branch_scale(self.depth, 2) if self.init_scheme == "fixup" else 1.0,
                  activation=self.activation, weight_standardization=self.weight_standardization,
                  weight_norm=self.weight_norm, weight_reparam=self.weight_reparam,
                  reparam_options=tuple(sorted(dict(self.reparam_options).items())),
                  norm_options=options, train=train, name="blocks", **kw)(x, None)
    if self.placement != "post":
      x = N.make_norm(self.norm, train=train, name="norm_f", options=options, **kw)(x)
    head_init = nn.initializers.zeros if self.init_scheme == "fixup" else nn.initializers.lecun_normal()
    return nn.Dense(self.num_classes, kernel_init=head_init, name="head", **kw)(_activation(self.activation)(x))
