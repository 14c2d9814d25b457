"""EQ-Net's supernet training (Xu, Zhang, Li, Wang, Wang and Guo, "EQ-Net: Elastic Quantization Neural
Networks", ICCV 2023, arXiv:2308.07650, slug ``eq_net``; authors' code github.com/xuke225/EQ-Net,
``runner/trainer.py:QuantSuperNetTrainer`` and ``runner/criterion.py``).

One network is trained so that every quantization configuration drawn from an elastic space works
without retraining. Per training step (the authors' "sandwich" with group progressive guidance, their
``num_subnet = 3``), with the gradients of all terms summed into one optimizer update:

1. the largest subnet (every layer at the widest width) with the cross-entropy ``CE(z_max, y)``;
2. a random subnet (each layer's width drawn independently), distilled from the largest:
   ``a KL(softmax(sg z_max) || softmax(z_rand)) + (1 - a) CE(z_rand, y)``, ``a = 0.5``;
3. the smallest subnet (every layer at the narrowest width), distilled from the random one the same way
   (``sg``: stop-gradient; the authors' ``KLLossSoft`` at temperature 1);
4. the weight distribution regularisation (WDR) on the kernels of every layer but the first
   (``del KurtosisList[0]``): ``k_rate mean_l (kurt(W_l) - 1.8)^2 + s_rate mean_l skew(W_l)^2`` with the
   standardised moments ``kurt = E[((w - mu) / sd)^4]``, ``skew = E[((w - mu) / sd)^3]`` (``sd`` with
   Bessel's correction, as ``torch.std``), ``k_rate = 0.015``, ``s_rate = 1.0`` (the authors' config).

:class:`EQNetMLP` (``eq_net_mlp``) computes the three subnets' logits and the WDR term when asked for
``return_aux`` (the trainer does for a loss that consumes ``logits_aux``); :func:`eq_net_sandwich` is the
loss. Quantizers: lbrl's per-tensor symmetric absmax fake quantization of each Dense input and kernel
(:func:`lbrl.quant.policy.elastic_fake_quant`, straight-through; ``quantizer="mse"``: the authors' clip
search and unsigned codes for ReLU outputs, :func:`lbrl.quant.policy.elastic_mse_fake_quant`), where the
authors learn LSQ step sizes (from that clip) and
also sample granularity (channel / tensor) and symmetry; widths {2, 3, 4, 8} here, 2..8 in the paper.
Without ``return_aux`` the model is the plain float MLP (the ``elastic_eval`` tool quantizes it at each width).

The authors start the supernet from a pretrained float model (their ``pretrained=True``): in lbrl that is
``config.init`` with the parameter transform :func:`eq_net_from_float` (``PARAM_TRANSFORMS`` name
``"eq_net_from_float"``), which nests a trained ``mlp``'s parameters under the supernet's ``net``.
"""
from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

from lbrl.losses import _common
from lbrl.models.simple import MLP
from lbrl.quant.policy import ELASTIC_QUANTIZERS, MatmulPolicy, interceptor

KURTOSIS_TARGET = 1.8


def standardized_moments(w: jax.Array) -> tuple[jax.Array, jax.Array]:
  """``(skewness, kurtosis)`` of the entries of ``w``: ``E[z^3]``, ``E[z^4]`` with ``z = (w - mean) / sd``
  and ``sd`` the Bessel-corrected standard deviation (the authors' ``torch.std``)."""
  w = jnp.asarray(w, jnp.float32).ravel()
  if w.size < 2:
    raise ValueError(f"standardized_moments: w needs at least 2 entries, got {w.size}")
  z = (w - jnp.mean(w)) / jnp.std(w, ddof=1)
  return jnp.mean(z ** 3), jnp.mean(z ** 4)


def weight_distribution_regularizer(kernels: Sequence[jax.Array], *, kurtosis_rate: float = 0.015,
                                    skewness_rate: float = 1.0, kurtosis_target: float = KURTOSIS_TARGET) -> jax.Array:
  """EQ-Net's WDR (module docstring, item 4) over ``kernels`` (the caller leaves out the first layer's)."""
  if not kernels:
    raise ValueError("weight_distribution_regularizer: kernels is empty (the first layer is excluded: an MLP "
                     "needs at least two Dense layers)")
  moments = [standardized_moments(w) for w in kernels]
  kurt = jnp.mean(jnp.stack([(k - kurtosis_target) ** 2 for _, k in moments]))
  skew = jnp.mean(jnp.stack([s ** 2 for s, _ in moments]))
  return kurtosis_rate * kurt + skewness_rate * skew


class EQNetMLP(nn.Module):
  """An MLP (:class:`lbrl.models.simple.MLP`, parameters under ``net``) trained as an EQ-Net supernet over
  int widths ``widths``: with ``return_aux=True`` it returns ``(z_max, {"logits": [z_rand, z_min],
  "wdr": scalar})`` (module docstring); the random subnet draws each layer's width from the ``dropout`` RNG
  stream and, without one (evaluation), is the largest, and there the first output is at ``eval_width``
  (default the largest: what the trainer's eval metrics report). Without ``return_aux``: the float MLP's logits."""
  num_classes: int | None = None
  hidden: Sequence[int] = (256, 256)
  widths: Sequence[int] = (2, 3, 4, 8)
  kurtosis_rate: float = 0.015
  skewness_rate: float = 1.0
  eval_width: int = 0          # the first output's width without an RNG (evaluation); 0: the largest
  quantizer: str = "absmax"    # lbrl.quant.policy elastic_quantizer: "absmax" | "mse" (the authors' clip search)
  dtype: str = "float32"
  param_dtype: str = "float32"

  def setup(self):
    if self.num_classes is None:
      raise ValueError("EQNetMLP: num_classes is required")
    widths = tuple(int(b) for b in self.widths)
    if len(widths) < 2 or not all(2 <= b <= 8 for b in widths):
      raise ValueError(f"EQNetMLP: widths must be at least two ints in [2, 8], got {self.widths!r}")
    if self.quantizer not in ELASTIC_QUANTIZERS:
      raise ValueError(f"EQNetMLP: quantizer must be one of {ELASTIC_QUANTIZERS}, got {self.quantizer!r}")
    self.net = MLP(num_classes=self.num_classes, hidden=tuple(self.hidden), dtype=self.dtype,
                   param_dtype=self.param_dtype)

  def __call__(self, x, *, train: bool = False, return_aux: bool = False):
    if not return_aux or self.is_initializing():
      return self.net(x, train=train)
    widths = tuple(int(b) for b in self.widths)
    first = max(widths) if self.has_rng("dropout") else int(self.eval_width or max(widths))
    outs = []
    for bits in ((first,), widths, (min(widths),)):
      policy = MatmulPolicy(elastic_bits=bits, elastic_quantizer=self.quantizer)
      with nn.intercept_methods(interceptor(policy)):
        outs.append(self.net(x, train=train))
    params = self.net.variables["params"]
    names = sorted((k for k in params if k.startswith("Dense_")), key=lambda k: int(k.split("_")[1]))
    wdr = weight_distribution_regularizer([params[k]["kernel"] for k in names[1:]],
                                          kurtosis_rate=self.kurtosis_rate, skewness_rate=self.skewness_rate)
    return outs[0], {"logits": jnp.stack(outs[1:]), "wdr": wdr}


def eq_net_sandwich(logits: jax.Array, aux: dict, labels: jax.Array, *, alpha: float = 0.5,
                    where: jax.Array | None = None) -> jax.Array:
  """EQ-Net's per-example supernet loss (module docstring): ``CE(z_max) + sum_k [a KL(sg z_{k-1} || z_k) +
  (1 - a) CE(z_k)] + WDR`` over the guided subnets ``aux["logits"] [K, B, C]`` (random, then smallest),
  ``z_0 = z_max``. ``labels`` are int class ids ``[B]``."""
  if not 0.0 <= alpha <= 1.0:
    raise ValueError(f"eq_net_sandwich: alpha must be in [0, 1], got {alpha!r}")
  sub = aux["logits"]
  if sub.ndim != logits.ndim + 1 or sub.shape[1:] != logits.shape:
    raise ValueError(f"eq_net_sandwich: aux['logits'] must be [K, *logits.shape] = [K, {logits.shape}], "
                     f"got {sub.shape}")
  s = _common.as_float32(logits)
  valid = _common.valid_labels(labels, s.shape[-1])
  safe = jnp.where(valid, labels, 0)
  ce = lambda z: optax.softmax_cross_entropy_with_integer_labels(_common.as_float32(z), safe)
  total, prev = ce(s), jax.lax.stop_gradient(s)
  for k in range(sub.shape[0]):
    z = _common.as_float32(sub[k])
    kl = optax.losses.kl_divergence(jax.nn.log_softmax(z, -1), jax.nn.softmax(prev, -1))
    total = total + alpha * kl + (1.0 - alpha) * ce(z)
    prev = jax.lax.stop_gradient(z)
  total = total + aux["wdr"]
  return _common.apply_where(jnp.where(valid, total, 0.0), where)


def eq_net_from_float(params, *, source: dict, target: dict, key=None):
  """Parameters of an ``eq_net_mlp`` supernet from a trained float ``mlp``'s (the authors' start from a
  pretrained model; a ``config.init`` parameter transform): the MLP's tree nested under ``net``, unchanged,
  so that the supernet's float forward (without ``return_aux``) is the source model's. ``source`` and
  ``target`` are the two models' config dicts; the source must be a plain ReLU ``mlp`` (no norm, no weight
  reparametrisation: what :class:`EQNetMLP` builds) with the target's hidden widths. ``key`` is unused."""
  del key
  if dict(source).get("name") != "mlp" or dict(target).get("name") != "eq_net_mlp":
    raise ValueError(f"eq_net_from_float: source must be an 'mlp' and target an 'eq_net_mlp', got "
                     f"{source.get('name')!r} -> {target.get('name')!r}")
  for field, plain in (("activation", "relu"), ("norm", "none"), ("weight_reparam", "none")):
    if source.get(field, plain) != plain:
      raise ValueError(f"eq_net_from_float: the source mlp must have {field}={plain!r} (EQNetMLP's), got "
                       f"{source.get(field)!r}")
  hs = tuple(source.get("hidden", MLP.hidden))
  ht = tuple(target.get("hidden", EQNetMLP.hidden))
  if hs != ht:
    raise ValueError(f"eq_net_from_float: source hidden {hs} differs from the target's {ht}")
  if "net" in params:
    raise ValueError("eq_net_from_float: params already have a 'net' entry (a supernet's, not a float mlp's)")
  return {"net": dict(params)}
