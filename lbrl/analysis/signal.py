"""Signal-propagation diagnostics: activation variance and residual-stream growth with depth, per-layer
gradient norms, the largest activation, attention entropy and loss spikes.

The first five follow the training-diagnostic contract of :data:`lbrl.registry.DIAGNOSTICS`::

    fn(*, params, grads, updates, intermediates, loss) -> dict[str, float32 scalar]

traced inside the jitted train step (``intermediates`` is flax's ``capture_intermediates=True`` tree for
the ``intermediates=True`` ones, ``{}`` otherwise). "Layers" are found by name so that every model of
the zoo works:

* residual-stream outputs: the ``residual`` arrays sown by :class:`lbrl.models.simple.ResMLP` (stacked
  ``[depth, ...]``) or the ``__call__`` outputs of modules named ``block_<i>`` (Transformer LM, ViT),
  ``stage<s>_block<j>`` (ResNets), ordered by depth;
* per-layer gradients: every parameter subtree under such a block (a stacked ``blocks`` subtree counts
  as ``depth`` layers);
* attention entropy: the ``attention_entropy`` arrays sown by :class:`lbrl.models._layers.Attention`.

Keys are ``first``/``last``/``max`` summaries (plus ``ratio`` = last/first), so that the logged
scalars stay few at any depth. ``loss_spikes`` is a host-side function of a logged loss curve
(a spike is a step whose loss exceeds the running median of the previous ``window`` steps by
``factor``; the definition used by Takase et al., "Spike No More", 2023, arXiv:2312.16903, is
qualitative: lbrl fixes ``factor=1.5``, ``window=50``).

Paper claims measured with these: Pre-LN output variance grows with depth (Sun et al., "The Curse of
Depth in Large Language Models", 2025, arXiv:2502.05795, slug layernorm_scaling); residual networks'
output explodes with depth unless branches are scaled ("On residual network depth", slug
residual_network_depth; Fixup, arXiv:1901.09321).
"""
from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np

_BLOCK = re.compile(r"^(block_(\d+)|stage(\d+)_block(\d+))$")


def _key(k) -> str:
  return str(getattr(k, "key", getattr(k, "name", getattr(k, "idx", k))))


def _block_order(name: str):
  m = _BLOCK.match(name)
  if m is None:
    return None
  return (0, int(m.group(2))) if m.group(2) is not None else (int(m.group(3)), int(m.group(4)))


def residual_stream(intermediates) -> list:
  """The residual-stream outputs, one array per layer in depth order (see the module docstring)."""
  tree = intermediates.get("intermediates", intermediates) if isinstance(intermediates, dict) else {}
  out = []
  for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
    names = [_key(k) for k in path]
    if "residual" in names:
      out.extend(list(leaf))  # stacked over depth by nn.scan
  if out:
    return out
  found = []
  for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
    names = [_key(k) for k in path]
    if "__call__" in names:
      i = names.index("__call__")
      order = _block_order(names[i - 1]) if i >= 1 else None
      if order is not None and i == len(names) - 2 and len(names) <= 4:  # the block's own output
        found.append((order, leaf))
  return [leaf for _, leaf in sorted(found, key=lambda t: t[0])]


def _summary(values, prefix: str) -> dict:
  v = jnp.stack([jnp.asarray(x, jnp.float32) for x in values])
  return {f"{prefix}first": v[0], f"{prefix}last": v[-1], f"{prefix}max": jnp.max(v),
          f"{prefix}ratio": v[-1] / jnp.maximum(v[0], 1e-30)}


def _empty() -> dict:
  return {"missing": jnp.float32(1.0)}


def activation_variance(*, params, grads, updates, intermediates, loss) -> dict:
  """Variance (over batch and features) of each layer's residual-stream output: first, last, max, last/first."""
  layers = residual_stream(intermediates)
  if not layers:
    return _empty()
  return _summary([jnp.var(jnp.asarray(h, jnp.float32)) for h in layers], "")


def residual_norm_growth(*, params, grads, updates, intermediates, loss) -> dict:
  """Mean per-example L2 norm of the residual stream at each depth: first, last, max, last/first."""
  layers = residual_stream(intermediates)
  if not layers:
    return _empty()
  norms = [jnp.mean(jnp.linalg.norm(jnp.asarray(h, jnp.float32).reshape(h.shape[0], -1), axis=-1))
           for h in layers]
  return _summary(norms, "")


def max_activation(*, params, grads, updates, intermediates, loss) -> dict:
  """The largest absolute residual-stream activation over all layers (``max``) and in the last (``last``)."""
  layers = residual_stream(intermediates)
  if not layers:
    return _empty()
  m = [jnp.max(jnp.abs(jnp.asarray(h, jnp.float32))) for h in layers]
  return {"max": jnp.max(jnp.stack(m)), "last": m[-1]}


def _layer_norms(grads) -> list:
  """The L2 norm of each block's parameter gradients, in depth order (a stacked ``blocks`` subtree counts
  as ``depth`` layers); ``[]`` when the model has no such blocks."""
  per_layer: dict = {}
  stacked = []
  for path, g in jax.tree_util.tree_flatten_with_path(grads)[0]:
    names = [_key(k) for k in path]
    g = jnp.asarray(g, jnp.float32)
    if "blocks" in names:  # nn.scan: leading axis is depth
      stacked.append(jnp.sum(g.reshape(g.shape[0], -1) ** 2, -1))
      continue
    order = next((_block_order(n) for n in names if _block_order(n) is not None), None)
    if order is not None:
      per_layer[order] = per_layer.get(order, 0.0) + jnp.sum(g * g)
  if stacked:
    return list(jnp.sqrt(sum(stacked)))
  return [jnp.sqrt(per_layer[k]) for k in sorted(per_layer)]


def layer_gradient_norms(*, params, grads, updates, intermediates, loss) -> dict:
  """L2 norm of the loss gradient of each block's parameters (depth order): first, last, max, last/first,
  and ``total`` over all parameters."""
  total = jnp.sqrt(sum(jnp.sum(jnp.asarray(g, jnp.float32) ** 2) for g in jax.tree_util.tree_leaves(grads)))
  norms = _layer_norms(grads)
  if not norms:
    return {"total": total}
  return {**_summary(norms, ""), "total": total}


def attention_entropy(*, params, grads, updates, intermediates, loss) -> dict:
  """Mean attention entropy (nats) of the first and last attention layers and the minimum over layers
  (entropy collapse: a layer attending to one token has entropy 0)."""
  tree = intermediates.get("intermediates", intermediates) if isinstance(intermediates, dict) else {}
  found = []
  for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
    names = [_key(k) for k in path]
    if "attention_entropy" in names:
      order = next((_block_order(n) for n in names if _block_order(n) is not None), (0, 0))
      found.append((order, jnp.mean(jnp.asarray(leaf, jnp.float32))))
  if not found:
    return _empty()
  v = [e for _, e in sorted(found, key=lambda t: t[0])]
  return {"first": v[0], "last": v[-1], "min": jnp.min(jnp.stack(v))}


def loss_spikes(losses, *, factor: float = 1.5, window: int = 50) -> int:
  """Number of steps ``t`` whose loss exceeds ``factor`` times the median of the ``window`` losses before
  it (non-finite losses count as spikes). Host-side, on a logged loss curve."""
  if factor <= 1 or window < 1:
    raise ValueError(f"loss_spikes: need factor > 1 and window >= 1, got factor={factor}, window={window}")
  x = np.asarray(losses, np.float64)
  n = 0
  for t in range(1, len(x)):
    past = x[max(0, t - window):t]
    past = past[np.isfinite(past)]
    if not np.isfinite(x[t]) or (len(past) and x[t] > factor * np.median(past)):
      n += 1
  return n


# ------------------------------------------------------------------------------ analysis tool at initialisation
def _per_layer(layers) -> dict:
  """Per-layer statistics of residual-stream arrays ``h [B, ..., C]`` (float64 lists, depth order):
  ``var`` (over all entries), ``channel_mean_sq`` (mean over channels of the squared per-channel mean
  over batch and positions: Brock et al.'s "average squared channel mean", the mean shift of
  un-normalized ReLU networks), ``norm`` (mean per-example L2 norm) and ``max_abs``."""
  out = {"var": [], "channel_mean_sq": [], "norm": [], "max_abs": []}
  for h in layers:
    h = np.asarray(h, np.float64)
    c = h.reshape(-1, h.shape[-1])
    out["var"].append(float(h.var()))
    out["channel_mean_sq"].append(float(np.mean(c.mean(0) ** 2)))
    out["norm"].append(float(np.linalg.norm(h.reshape(h.shape[0], -1), axis=-1).mean()))
    out["max_abs"].append(float(np.abs(h).max()))
  return out


def signal_at_init(ctx, *, train: bool = False, loss: str = "config") -> tuple[dict, dict]:
  """Signal propagation of one model on a fixed batch: activation and gradient scale per layer vs depth.

  Registered in :data:`lbrl.registry.ANALYSIS_TOOLS` as ``signal_at_init``; meant for ``at="init"``
  (``config.analysis = dict(tool="signal_at_init", at="init")``) and usable at ``"final"`` as well. It
  applies ``ctx.model`` to ``ctx.x`` with the analysed parameters (``train`` picks the model's mode, e.g.
  BatchNorm on batch statistics; default eval), captures the residual-stream output of every layer
  (:func:`residual_stream`) and differentiates ``ctx.loss`` for the per-layer gradient norms
  (:func:`layer_gradient_norms`); ``loss="cross_entropy"`` differentiates the mean softmax cross-entropy of
  the model's logits ``ctx.apply(params, x)`` on ``ctx.labels`` instead (integer labels of any shape, e.g.
  next-token ids ``[B, T]``). Scalars (``analysis/<key>``):

  * ``var_first``, ``var_last``, ``var_ratio`` (last/first), ``var_log2_growth`` (``log2(ratio) / (L-1)``:
    bits of variance growth per layer; 1 for an unscaled He-initialised ReLU residual stack);
  * ``channel_mean_sq_last`` and ``mean_shift_last`` (``channel_mean_sq / var`` at the last layer: 0 when
    every channel is centred over the batch, 1 when the signal is all mean);
  * ``max_abs``: the largest absolute residual-stream activation;
  * ``grad_first``, ``grad_last``, ``grad_ratio`` (first/last layer's parameter-gradient norm),
    ``grad_total`` (all parameters), ``log10_grad_first`` and ``log10_grad_total`` (so that a rule's margin
    is a factor: 0.5 is x3.2);
  * ``loss`` (at the analysed parameters) and ``output_std``.

  The per-layer lists go in the record under ``signal`` (depth, var, channel_mean_sq, norm, max_abs,
  grad). Brock, De & Smith (2021, arXiv:2101.08692) call these signal-propagation plots; the depth claims
  of fixup, residual_network_depth, scaled_weight_standardization, spike_no_more and layernorm_scaling
  are statements about them at initialisation.
  """
  import jax
  params, state = ctx.params, dict(ctx.model_state or {})
  variables = {"params": params, **state}
  x = jax.numpy.asarray(ctx.x)
  mutable = ["intermediates"] + (list(state) if train else [])
  out, inter = jax.jit(lambda v, x: ctx.model.apply(v, x, train=train, capture_intermediates=True,
                                                    mutable=mutable))(variables, x)
  layers = residual_stream({"intermediates": inter["intermediates"]})
  if not layers:
    raise ValueError(f"signal_at_init: no residual-stream layers found in {type(ctx.model).__name__} (expected "
                     "ResMLP's sown 'residual' or modules named block_<i> / stage<s>_block<j>)")
  stats = _per_layer(jax.device_get(layers))
  if loss not in ("config", "cross_entropy"):
    raise ValueError(f"signal_at_init: loss must be 'config' or 'cross_entropy', got {loss!r}")
  if loss == "config":
    loss_fn = ctx.loss
  else:
    import optax
    labels = jax.numpy.asarray(ctx.labels)
    loss_fn = lambda p: optax.softmax_cross_entropy_with_integer_labels(
        jax.numpy.asarray(ctx.apply(p, x), jax.numpy.float32), labels).mean()
  loss, grads = jax.jit(jax.value_and_grad(loss_fn))(params)
  gl = [float(v) for v in jax.device_get(_layer_norms(grads))]
  total = float(np.sqrt(sum((np.asarray(v, np.float64) ** 2).sum() for v in jax.tree.leaves(jax.device_get(grads)))))
  var = stats["var"]
  depth = len(var)
  ratio = var[-1] / max(var[0], 1e-300)
  outs = np.asarray(jax.device_get(out[0] if isinstance(out, tuple) else out), np.float64)
  scalars = {
      "var_first": var[0], "var_last": var[-1], "var_ratio": ratio,
      "var_log2_growth": float(np.log2(max(ratio, 1e-300)) / max(depth - 1, 1)),
      "channel_mean_sq_last": stats["channel_mean_sq"][-1],
      "mean_shift_last": stats["channel_mean_sq"][-1] / max(var[-1], 1e-300),
      "max_abs": max(stats["max_abs"]),
      "grad_first": gl[0] if gl else float("nan"), "grad_last": gl[-1] if gl else float("nan"),
      "grad_ratio": gl[0] / max(gl[-1], 1e-300) if gl else float("nan"),
      "grad_total": total, "log10_grad_first": float(np.log10(max(gl[0], 1e-300))) if gl else float("nan"),
      "log10_grad_total": float(np.log10(max(total, 1e-300))), "loss": float(loss), "output_std": float(outs.std())}
  return scalars, {"signal": {"depth": list(range(1, depth + 1)), **stats, "grad": gl}}
