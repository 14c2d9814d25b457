"""The gradient noise scale of a model, as an analysis tool and as a training diagnostic.

McCandlish, Kaplan, Amodei & OpenAI Dota Team, "An Empirical Model of Large-Batch Training", 2018,
arXiv:1812.06162 (slug ``gradient_noise_scale``): ``B_simple = tr(Sigma) / |G|^2`` predicts the
critical batch size (the formulas: :mod:`lbrl.optim.batch_rules`).

* ``gradient_noise_scale`` (ANALYSIS_TOOLS, ``fn(ctx, examples=256)``): the per-example gradients of the
  softmax cross-entropy at ``ctx.params`` on the first ``examples`` of ``ctx.x`` (the model in eval
  mode), their mean ``G`` and summed variance ``tr(Sigma)``, and ``B_simple`` -- exact for that set of
  examples (no two-batch approximation). Classifier configs only (``loss.name == "cross_entropy"``): the
  tool differentiates each example's own loss, which a batch-mean ``ctx.loss`` cannot give.
* ``gradient_noise_scale`` (DIAGNOSTICS, in the train step): ``grad_sq = |G_B|^2`` of the step's batch;
  when the trainer passes the micro-batch statistics of gradient accumulation (``micro_grad_sq``: the
  mean of ``|G_b|^2`` over the ``accum`` micro-batches of ``micro_batch_size`` examples) it adds the
  paper's unbiased two-batch estimates ``grad_sq_est`` and ``trace_sigma_est`` (Appendix A.1), which
  the trainer averages between log points; ``B_simple`` is the ratio of the averages
  (``trace_sigma_est / grad_sq_est``), as the paper computes it. Without them only ``grad_sq`` is
  logged.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from lbrl.optim.batch_rules import noise_scale_exact, noise_scale_from_norms


def gradient_noise_scale(ctx, *, examples: int = 256):
  name = ctx.cfg.loss.name if ctx.cfg is not None else "cross_entropy"
  if name != "cross_entropy":
    raise ValueError(f"gradient_noise_scale: per-example gradients are of the softmax cross-entropy; the config's "
                     f"loss is {name!r}")
  n = min(int(examples), len(ctx.labels))
  if n < 2:
    raise ValueError(f"gradient_noise_scale: needs >= 2 examples, got {n}")
  x, y = jnp.asarray(ctx.x[:n]), jnp.asarray(ctx.labels[:n])

  def one(params, xi, yi):
    logits = ctx.apply(params, xi[None])
    return optax.softmax_cross_entropy_with_integer_labels(logits.astype(jnp.float32), yi[None])[0]

  @jax.jit
  def stats(params):
    g = jax.vmap(jax.grad(one), in_axes=(None, 0, 0))(params, x, y)
    flat = jnp.concatenate([a.reshape(n, -1) for a in jax.tree_util.tree_leaves(g)], axis=1)
    return noise_scale_exact(flat)

  out = {k: float(v) for k, v in stats(ctx.params).items()}
  return {"b_simple": out["b_simple"], "grad_sq": out["grad_sq"], "trace_sigma": out["trace_sigma"]}


def gradient_noise_diagnostic(*, params, grads, updates, intermediates, loss, micro_grad_sq=None,
                              micro_batch_size=None, accum: int = 1) -> dict:
  del params, updates, intermediates, loss
  big = optax.tree.norm(grads, squared=True)
  out = {"grad_sq": big}
  if micro_grad_sq is not None and accum > 1:
    if not micro_batch_size:
      raise ValueError("gradient_noise_scale diagnostic: micro_grad_sq needs micro_batch_size")
    est = noise_scale_from_norms(micro_grad_sq, big, micro_batch_size, micro_batch_size * accum)
    out.update(grad_sq_est=est["grad_sq"], trace_sigma_est=est["trace_sigma"], micro_grad_sq=micro_grad_sq)
  return out
