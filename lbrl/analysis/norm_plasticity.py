"""A synthetic plasticity benchmark: one network trained on a sequence of tasks on the same inputs, and how
well it still fits the last ones (Lyle et al., "Normalization and effective learning rates in reinforcement
learning", NeurIPS 2024, arXiv:2407.01800, slug normalization_effective_learning_rates, Section 5.1; the
random-label and permuted-input tasks of Lyle et al. 2023, "Understanding plasticity in neural networks").

Registered as the analysis tool ``sequential_plasticity`` (``config.analysis = dict(tool=..., at="init",
split="train", batch_size=N)``): it starts from the run's initialisation (``ctx.init_params``) and trains
``ctx.model`` itself, task after task, on the ``N`` examples ``ctx.x``:

* ``kind="random_labels"``: task ``t`` gives every example a fresh uniformly random class (memorisation);
* ``kind="permuted"``: task ``t`` applies a fresh random permutation to the input features, true labels.

Each task is ``steps_per_task`` steps of ``optimizer`` (``adam`` or ``sgd``, constant ``learning_rate``) on
minibatches of ``batch`` examples drawn with replacement, softmax cross-entropy, no weight decay, the
optimizer state carried across tasks (the network is never reset). ``project=True`` chains NaP's projection
(:func:`lbrl.optim.norm_nap.nap_projection`, every kernel back to its initial norm after each step). At the
end of each task the accuracy on that task's ``N`` examples is measured (eval mode). Scalars:

* ``acc_first`` / ``acc_last``: the mean end-of-task accuracy over the first / last ``window`` tasks;
* ``plasticity_drop`` = ``acc_first - acc_last`` (the loss of plasticity; near 0 for a plastic network);
* ``param_norm_growth``: the norm of all kernels at the end over that at initialisation.

The per-task accuracies and kernel norms go in the record (``plasticity``). Randomness (labels,
permutations, minibatches) is a function of ``ctx.seed`` only, so the arms of a sweep see the same tasks.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax


def _kernel_norm(params) -> jax.Array:
  leaves = [w for p, w in jax.tree_util.tree_flatten_with_path(params)[0] if str(getattr(p[-1], "key", "")) == "kernel"]
  return jnp.sqrt(sum(jnp.sum(jnp.asarray(w, jnp.float32) ** 2) for w in leaves))


def sequential_plasticity(ctx, *, tasks: int = 20, steps_per_task: int = 300, batch: int = 64,
                          learning_rate: float = 1e-3, optimizer: str = "adam", kind: str = "random_labels",
                          project: bool = False, num_classes: int = 10, window: int = 3) -> tuple[dict, dict]:
  """See the module docstring."""
  from lbrl.optim.norm_nap import nap_projection
  if kind not in ("random_labels", "permuted"):
    raise ValueError(f"sequential_plasticity: kind must be 'random_labels' or 'permuted', got {kind!r}")
  if optimizer not in ("adam", "sgd"):
    raise ValueError(f"sequential_plasticity: optimizer must be 'adam' or 'sgd', got {optimizer!r}")
  if tasks < 2 * window or window < 1 or steps_per_task < 1 or batch < 1:
    raise ValueError(f"sequential_plasticity: need tasks >= 2 * window >= 2, steps_per_task >= 1, batch >= 1; got "
                     f"tasks={tasks}, window={window}, steps_per_task={steps_per_task}, batch={batch}")
  if ctx.init_model_state and jax.tree.leaves(ctx.init_model_state):
    raise ValueError("sequential_plasticity: the model has mutable state (e.g. BatchNorm statistics); use a "
                     "stateless normalization (layer, rms, ...)")
  x = jnp.asarray(ctx.x, jnp.float32).reshape(len(ctx.x), -1)
  n = x.shape[0]
  true_labels = jnp.asarray(ctx.labels, jnp.int32).reshape(-1)
  base = optax.adam(learning_rate) if optimizer == "adam" else optax.sgd(learning_rate)
  tx = optax.chain(base, nap_projection()) if project else base
  params = ctx.init_params
  opt_state = tx.init(params)
  apply = lambda p, xb: ctx.model.apply({"params": p}, xb, train=True)

  def loss_fn(p, xb, yb):
    logits = jnp.asarray(apply(p, xb), jnp.float32)
    return optax.softmax_cross_entropy_with_integer_labels(logits, yb).mean()

  @jax.jit
  def run_task(params, opt_state, xt, yt, key):
    idx = jax.random.randint(key, (steps_per_task, batch), 0, n)

    def step(carry, i):
      p, s = carry
      g = jax.grad(loss_fn)(p, xt[i], yt[i])
      u, s = tx.update(g, s, p)
      return (optax.apply_updates(p, u), s), None

    (params, opt_state), _ = jax.lax.scan(step, (params, opt_state), idx)
    acc = jnp.mean(jnp.argmax(ctx.model.apply({"params": params}, xt, train=False), -1) == yt)
    return params, opt_state, acc, _kernel_norm(params)

  key = jax.random.key(int(ctx.seed) + 7919)
  norm0 = float(_kernel_norm(params))
  accs, norms = [], []
  for _ in range(tasks):
    key, k_task, k_steps = jax.random.split(key, 3)
    if kind == "random_labels":
      xt, yt = x, jax.random.randint(k_task, (n,), 0, num_classes)
    else:
      xt, yt = x[:, jax.random.permutation(k_task, x.shape[1])], true_labels
    params, opt_state, acc, norm = run_task(params, opt_state, xt, yt, k_steps)
    accs.append(float(acc))
    norms.append(float(norm))
  first, last = float(np.mean(accs[:window])), float(np.mean(accs[-window:]))
  scalars = {"acc_first": first, "acc_last": last, "plasticity_drop": first - last,
             "param_norm_growth": norms[-1] / max(norm0, 1e-30)}
  return scalars, {"plasticity": {"task": list(range(1, tasks + 1)), "accuracy": accs, "kernel_norm": norms,
                                  "kernel_norm_init": norm0}}
