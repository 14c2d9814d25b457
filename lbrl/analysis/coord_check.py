"""Coordinate checks and norm monitors for parametrisations (muP and its relatives).

The coordinate check of Tensor Programs V (Yang et al. 2022, arXiv:2203.03466, Section 5 / Figure 5;
the ``mup`` package's ``coord_check``) trains copies of a network at several widths for a few steps
on the same batch and plots, per layer, the typical size of its output coordinates ``mean |x_t|`` and
of their change ``mean |x_t - x_0|`` against width: under the standard parametrisation some curves
grow with width (the logits and hidden activations blow up as width grows at a fixed learning rate),
under muP they stay flat. Here:

* :func:`coord_check` (diagnostic ``coord_check``, :data:`lbrl.registry.DIAGNOSTICS`, intermediates):
  per step of a real run, ``act/<module>`` = mean |output| of every module (flax's captured ``__call__``
  outputs) and ``update/<leaf>`` = mean |update| of every parameter with 2+ axes.
* :func:`coordinate_check`: the check itself on a model and a batch (``steps`` optimizer steps at each
  width, several seeds), returning the per-layer curves; :func:`coord_check_tool` is the analysis tool
  ``coord_check`` (``fn(ctx, steps, optimizer, learning_rate)``: one width, the run's own
  parametrisation) whose scalars ``<module>/log2_abs`` and ``<module>/log2_delta`` rules compare
  across width arms (a factor of 2 is 1.0).
* :func:`top_singular_values` (diagnostic ``top_singular_values``): the largest singular value of every
  matrix parameter (the "sublayer gain" diagnostic of Fan et al., "Robust Layerwise Scaling Rules by
  Proper Weight Decay Tuning", 2025, arXiv:2510.15262: under their rule it matches across widths), and
  :func:`output_operator_norm` (diagnostic ``output_norm``): operator norms of the readout kernel W
  ``[fan_in, fan_out]``: ``l2`` (spectral), ``rms`` (RMS -> RMS: l2 x sqrt(fan_in / fan_out)) and
  ``rms_to_inf`` (RMS -> l_inf: sqrt(fan_in) x the largest column norm of W, the norm monitored by
  Filatov, Wang, Ebert & Kesselheim, "Optimal Scaling Needs Optimal Norm", 2025, arXiv:2510.03871,
  slug optimal_norm).

``python -m lbrl.analysis.coord_check --out experiments/mup`` writes the MNIST-1D MLP coordinate check
(SP vs muP, widths 64..1024, Adam) as ``coord_check.png`` / ``benchmark.json`` and the report's companion section.
"""
from __future__ import annotations

import math
import re

import jax
import jax.numpy as jnp
import numpy as np


def _key(k) -> str:
  return str(getattr(k, "key", getattr(k, "name", getattr(k, "idx", k))))


def module_outputs(intermediates) -> dict[str, jax.Array]:
  """``{module path: output}`` from flax's ``capture_intermediates`` tree (``__call__`` outputs of the
  submodules; the root module's output, which repeats the last layer's, is left out)."""
  tree = intermediates.get("intermediates", intermediates) if isinstance(intermediates, dict) else {}
  out = {}
  for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
    names = [_key(k) for k in path]
    if "__call__" not in names:
      continue
    mod = "/".join(n for n in names[:names.index("__call__")])
    if not mod:
      continue  # the root module's output repeats its last layer's
    if not jnp.issubdtype(jnp.asarray(leaf).dtype, jnp.floating):
      continue
    out[mod if mod not in out else f"{mod}/{names[-1]}"] = leaf
  return out


def _mean_abs(x) -> jax.Array:
  return jnp.mean(jnp.abs(jnp.asarray(x, jnp.float32)))


def coord_check(*, params, grads, updates, intermediates, loss) -> dict:
  """Diagnostic: ``act/<module>`` mean |output| per module, ``update/<leaf>`` mean |update| per matrix."""
  del params, grads, loss
  from lbrl.parallel.mesh import path_str
  out = {f"act/{k}": _mean_abs(v) for k, v in module_outputs(intermediates).items()}
  for path, u in jax.tree_util.tree_flatten_with_path(updates)[0]:
    if jnp.ndim(u) >= 2:
      out[f"update/{path_str(path)}"] = _mean_abs(u)
  return out


def _matrices(params):
  from lbrl.parallel.mesh import path_str
  for path, w in jax.tree_util.tree_flatten_with_path(params)[0]:
    if jnp.ndim(w) >= 2:
      yield path_str(path), jnp.asarray(w, jnp.float32).reshape(-1, w.shape[-1])


def top_singular_values(*, params, grads=None, updates=None, intermediates=None, loss=None) -> dict:
  """Diagnostic: ``<leaf>`` = the largest singular value of every matrix (kernels reshaped to
  ``[fan_in, fan_out]``)."""
  del grads, updates, intermediates, loss
  return {p: jnp.linalg.norm(w, ord=2) for p, w in _matrices(params)}


def output_operator_norm(*, params, grads=None, updates=None, intermediates=None, loss=None,
                         pattern: str | None = None) -> dict:
  """Diagnostic: norms of the readout kernel (the last matrix in the params tree, or the last whose path
  matches ``pattern``): ``l2`` spectral, ``rms`` = l2 x sqrt(fan_in / fan_out), ``rms_to_inf`` =
  sqrt(fan_in) x max_j ||W[:, j]||_2."""
  del grads, updates, intermediates, loss
  mats = [(p, w) for p, w in _matrices(params) if pattern is None or re.search(pattern, p)]
  if not mats:
    raise ValueError(f"output_operator_norm: no matrix parameter matches {pattern!r}")
  _, w = mats[-1]
  s = jnp.linalg.norm(w, ord=2)
  return {"l2": s, "rms": s * math.sqrt(w.shape[0] / w.shape[1]),
          "rms_to_inf": math.sqrt(w.shape[0]) * jnp.max(jnp.linalg.norm(w, axis=0))}


# ------------------------------------------------------------------------------------------- the check
def coordinate_check(model, params, x, loss_fn, tx, *, steps: int = 3, model_state=None) -> list[dict]:
  """Trains ``params`` for ``steps`` steps of ``tx`` on the fixed batch ``x`` (``loss_fn(outputs)``) and
  returns, for t = 0..steps, ``{module: (mean |x_t|, mean |x_t - x_0|)}``."""
  state = dict(model_state or {})

  def outputs(p):
    _, inter = model.apply({"params": p, **state}, x, train=False, capture_intermediates=True,
                           mutable=["intermediates"])
    return module_outputs(inter)

  grad = jax.jit(jax.grad(lambda p: loss_fn(model.apply({"params": p, **state}, x, train=False))))
  outs = jax.jit(outputs)
  opt = tx.init(params)
  first = outs(params)
  curves = []
  for t in range(steps + 1):
    cur = first if t == 0 else outs(params)
    curves.append({k: (float(_mean_abs(v)), float(_mean_abs(v - first[k]))) for k, v in cur.items()})
    if t < steps:
      import optax
      u, opt = tx.update(grad(params), opt, params)
      params = optax.apply_updates(params, u)
  return curves


def _base_tx(optimizer: str, learning_rate: float):
  import optax
  if optimizer == "adam":
    return optax.adam(learning_rate)
  if optimizer == "sgd":
    return optax.sgd(learning_rate)
  raise ValueError(f"coord_check: optimizer must be 'adam' or 'sgd', got {optimizer!r}")


def coord_check_tool(ctx, *, steps: int = 3, optimizer: str = "adam", learning_rate: float = 1e-2):
  """Analysis tool ``coord_check``: :func:`coordinate_check` of the run's model at its initialisation
  (or final state) under its own parametrisation (``cfg.parametrization``; SP when unset), ``steps``
  steps of plain ``optimizer`` at ``learning_rate`` with cross-entropy on the context's batch. Scalars:
  ``<module>/log2_abs`` and ``<module>/log2_delta`` at the last step; the curves go in the record."""
  import optax

  from lbrl.registry import PARAMETRIZATIONS
  spec = ctx.cfg.get("parametrization") if hasattr(ctx.cfg, "get") else None
  fields = {} if not spec else ({"name": spec} if isinstance(spec, str) else dict(spec))
  name = fields.pop("name", "") or "sp"
  p13n = PARAMETRIZATIONS.get(name)(**fields)
  tx = optax.chain(_base_tx(optimizer, learning_rate), p13n.scale_updates(learning_rate))
  labels = jnp.asarray(ctx.labels)
  loss_fn = lambda logits: optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()
  curves = coordinate_check(ctx.model, ctx.params, jnp.asarray(ctx.x), loss_fn, tx, steps=steps,
                            model_state=ctx.model_state)
  last = curves[-1]
  tiny = 1e-30
  scalars = {}
  for k, (a, d) in last.items():
    scalars[f"{k}/log2_abs"] = math.log2(max(a, tiny))
    scalars[f"{k}/log2_delta"] = math.log2(max(d, tiny))
  return scalars, {"curves": curves}


# ---------------------------------------------------------------------- the MNIST-1D check for the report
def mlp_check(widths=(64, 128, 256, 512, 1024), names=("sp", "mup"), *, base_width: int = 64,
              learning_rate: float = 1e-2, steps: int = 4, seeds=(0, 1, 2), batch: int = 256) -> dict:
  """The coordinate check of lbrl's ``mlp`` (40-w-w-10, ReLU) on a fixed MNIST-1D training batch, Adam:
  ``{name: {width: [per seed: curves]}}``."""
  import optax

  from lbrl.data import core
  from lbrl.optim.parametrization import Parametrization, apply_init
  from lbrl.registry import MODELS
  data = core.load("mnist1d", "train")
  x = jnp.asarray(data.arrays["x"][:batch], jnp.float32)
  y = jnp.asarray(data.arrays["label"][:batch])
  loss_fn = lambda logits: optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
  out = {}
  for name in names:
    out[name] = {}
    for w in widths:
      model = MODELS.get("mlp")(num_classes=10, hidden=(w, w))
      p13n = Parametrization(name, optimizer="adam", width=w, base_width=base_width)
      runs = []
      for s in seeds:
        params = model.init(jax.random.PRNGKey(s), x[:1], train=False)["params"]
        params = apply_init(params, p13n)
        tx = optax.chain(optax.adam(learning_rate), p13n.scale_updates(learning_rate))
        runs.append(coordinate_check(model, params, x, loss_fn, tx, steps=steps))
      out[name][w] = runs
  return out


def _summary(res: dict) -> dict:
  """``{name: {module: {"widths", "delta": [mean over seeds at the last step], "abs": [...]}}}``."""
  out = {}
  for name, by_w in res.items():
    widths = sorted(by_w)
    mods = list(by_w[widths[0]][0][-1])
    out[name] = {m: {"widths": widths,
                     "delta": [float(np.mean([r[-1][m][1] for r in by_w[w]])) for w in widths],
                     "abs": [float(np.mean([r[-1][m][0] for r in by_w[w]])) for w in widths]} for m in mods}
  return out


def slope(widths, values) -> float:
  """Least-squares slope of log2(value) against log2(width): 0 flat, 1 linear growth."""
  lw, lv = np.log2(np.asarray(widths, float)), np.log2(np.maximum(np.asarray(values, float), 1e-30))
  return float(np.polyfit(lw, lv, 1)[0])


def write_report(out_dir: str, **kwargs) -> dict:
  """Runs :func:`mlp_check` and writes ``benchmark.json`` (the curves' summary), ``coord_check.png`` and
  ``benchmark.md`` (the companion section of the report) into ``out_dir``."""
  import inspect
  import json
  import os
  defaults = {k: v.default for k, v in inspect.signature(mlp_check).parameters.items()
              if v.default is not inspect.Parameter.empty}
  settings = {k: (list(v) if isinstance(v, tuple) else v) for k, v in dict(defaults, **kwargs).items()}
  summ = _summary(mlp_check(**kwargs))
  os.makedirs(out_dir, exist_ok=True)
  with open(os.path.join(out_dir, "benchmark.json"), "w") as f:
    json.dump({"summary": summ, "settings": settings}, f, indent=1)
  write_markdown(out_dir, summ, settings)
  return summ


def write_markdown(out_dir: str, summ: dict, settings: dict) -> None:
  """``coord_check.png`` and ``benchmark.md`` from a :func:`_summary` (see :func:`write_report`)."""
  import os

  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  names = list(summ)
  fig, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 3.6), sharey=True)
  for ax, name in zip(np.atleast_1d(axes), names):
    for m, d in summ[name].items():
      ax.plot(d["widths"], d["delta"], marker="o", label=m)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_title(f"{name}: mean |x_t - x_0| after the last step")
    ax.set_xlabel("width")
  np.atleast_1d(axes)[0].set_ylabel("mean |change of the layer's output|")
  np.atleast_1d(axes)[-1].legend(fontsize=7)
  fig.tight_layout()
  fig.savefig(os.path.join(out_dir, "coord_check.png"), dpi=110)
  plt.close(fig)
  widths = next(iter(summ[names[0]].values()))["widths"]
  lines = [f"Coordinate check (`python -m lbrl.analysis.coord_check --out {out_dir}`, "
           "lbrl.analysis.coord_check.mlp_check): the MNIST-1D MLP 40-w-w-10 at each width, "
           f"{settings['steps']} Adam steps at lr {settings['learning_rate']} on one fixed batch of "
           f"{settings['batch']} training examples, SP vs muP (base width {settings['base_width']}), seeds "
           f"{settings['seeds']}; mean |x_t - x_0| of each layer's output after the last step (mean over seeds) "
           "and its least-squares slope in log2(width) (0: flat; 1: grows like width). Dense_2 is the logits.", "",
           "![coordinate check](coord_check.png)", "",
           "| parametrisation | layer | " + " | ".join(f"w={w}" for w in widths) + " | slope |",
           "|---|---|" + "---|" * (len(widths) + 1)]
  for name in names:
    for m, d in summ[name].items():
      lines.append(f"| {name} | {m} | " + " | ".join(f"{v:.3g}" for v in d["delta"])
                   + f" | {slope(d['widths'], d['delta']):+.2f} |")
  with open(os.path.join(out_dir, "benchmark.md"), "w") as f:
    f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
  import argparse
  ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  ap.add_argument("--out", required=True)
  ap.add_argument("--learning_rate", type=float, default=1e-2)
  ap.add_argument("--steps", type=int, default=4)
  a = ap.parse_args()
  write_report(a.out, learning_rate=a.learning_rate, steps=a.steps)
