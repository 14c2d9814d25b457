"""The shared battery: one parametrised suite over every optimizer factory lbrl.optim defines or wraps.

jit, inject_hyperparams, bf16, 8-device sharding, chaining with clipping / masked decay / schedule,
state shapes, bad input, convergence on a convex quadratic and a small nonconvex problem.
"""
import inspect

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax.sharding import NamedSharding, PartitionSpec as P

import lbrl.optim as O
from lbrl.registry import OPTIMIZERS

# Per-optimizer overrides: name -> (extra factory kwargs, learning rate for the convergence checks).
# The list of optimizers is the registry's (every registered name is tested, with ({}, 0.05) when it
# has no entry here). Optimizer-valued arguments (declared components) are given by registered name
# with ``<arg>_kwargs`` here and built as transforms with the test's learning rate.
CASES = {
    "sgd": ({"momentum": 0.9}, 0.02),
    "adafactor": ({"min_dim_size_to_factor": 4}, 0.05),
    "lars": ({}, 5.0),
    "lars_paper": ({"weight_decay": 1e-4}, 5.0),
    "sign_descent": ({}, 0.01),
    "signum": ({}, 0.01),
    "momo": ({}, 1.0),
    "momo_adam": ({}, 0.1),
    "sam": ({"rho": 0.01, "base_kwargs": {"momentum": 0.9}}, 0.02),
    "sam_imbalance": ({"rho": 0.01, "base_kwargs": {"momentum": 0.9}}, 0.02),
    "adam_l2": ({"weight_decay": 1e-4}, 0.05),
    # the paper's AdamW: eta_t = lr(t) / base_learning_rate multiplies the decay (lr = 0 -> no decay)
    "adamw_paper": ({"base_learning_rate": 0.05, "weight_decay": 1e-4}, 0.05),
    "sgdp": ({"momentum": 0.9, "weight_decay": 1e-4}, 0.02),
    "gravity": ({"velocity_lr": 0.1}, 0.1),
    "ranger21": ({"use_gc": False}, 0.05),
    "tvlars": ({"lam": 1e-2, "exclude_vectors": False}, 5.0),
    "normalized_lr_gd": ({}, 0.3),
    "amp_perturbation": ({"epsilon": 0.01, "base_kwargs": {"momentum": 0.9}}, 0.02),
    "gradient_regularization": ({"gamma": 0.01, "base_kwargs": {"momentum": 0.9}}, 0.02),
    "galore": ({"rank": 4, "update_gap": 10, "scale": 1.0}, 0.05),
    "frugal": ({"rank": 4, "update_gap": 10, "free_scale": 0.2}, 0.05),
    "fira": ({"rank": 4, "update_gap": 10, "scale": 1.0}, 0.05),
    "scaled_gradient": ({"inner": "adam_atan2", "scale": 1e-6}, 0.05),
    "perpgrad": ({"inner": "adam"}, 0.05),
    # NFNets' AGC clips each unit's update to clipping * |W| / |G|: a loose clip on the test problems
    "sgd_agc": ({"clipping": 1.0}, 0.02),
}
NAMES = OPTIMIZERS.names()


def case(name):
  return CASES.get(name, ({}, 0.05))


def test_the_battery_covers_the_registry():
  assert set(OPTIMIZERS.names()) <= set(NAMES)
  assert set(CASES) <= set(NAMES), "stale battery cases: " + str(sorted(set(CASES) - set(NAMES)))
  for name in OPTIMIZERS.names():
    assert OPTIMIZERS.get(name).__name__ in (name, f"{name}_optimizer"), name


def factory_kwargs(name, lr, inject=False, **over):
  """The factory's keyword arguments for learning rate ``lr``: components built as transforms
  (injected ones when ``inject``), everything else from CASES and ``over``."""
  kw = dict(case(name)[0])
  kw.update(over)
  comps = O.components(name)
  if not comps:
    return dict(kw, learning_rate=lr)
  for arg, default in comps.items():
    inner = kw.pop(arg, default)
    inner_kw = dict(kw.pop(f"{arg}_kwargs", {}) or {})
    kw[arg] = (O.inject(inner, learning_rate=lr, **inner_kw) if inject
               else OPTIMIZERS.get(inner)(learning_rate=lr, **inner_kw))
  return kw


def make_problem(seed=0):
  """A quadratic with condition number 10 on a {'w': [16, 8], 'b': [8]} tree."""
  rng = np.random.default_rng(seed)
  target = {"w": jnp.asarray(rng.normal(size=(16, 8)), jnp.float32),
            "b": jnp.asarray(rng.normal(size=(8,)), jnp.float32)}
  curv = {"w": jnp.asarray(np.linspace(0.1, 1.0, 16 * 8).reshape(16, 8), jnp.float32),
          "b": jnp.asarray(np.linspace(0.1, 1.0, 8), jnp.float32)}
  params = {"w": jnp.asarray(rng.normal(size=(16, 8)) * 0.5 + 0.1, jnp.float32),
            "b": jnp.asarray(rng.normal(size=(8,)) * 0.5, jnp.float32)}

  def loss(p):
    return sum(0.5 * jnp.sum(curv[k] * jnp.square(p[k].astype(jnp.float32) - target[k]))
               for k in p)
  return params, loss


def build(name, lr=0.01, **over):
  return OPTIMIZERS.get(name)(**factory_kwargs(name, lr, **over))


def extras(loss):
  """The trainer's extra arguments: the loss value, the batch-gradient function and, for optimizers
  declared with ``component_grads`` (DOT), the gradient of each loss component (here 0.3 and 0.7 of the
  loss: they sum to its gradient). Optimizers must accept extra arguments they do not use."""
  def ex(p):
    g = jax.grad(loss)(p)
    return dict(value=loss(p), grad_fn=lambda q, i: jax.grad(loss)(q),
                component_grads={"task": jax.tree.map(lambda x: 0.3 * x, g),
                                 "distill": jax.tree.map(lambda x: 0.7 * x, g)})
  return ex


def run(tx, params, loss, steps, jit=True):
  ex = extras(loss)

  def step(p, s):
    g = jax.grad(loss)(p)
    u, s = tx.update(g, s, p, **ex(p))
    return optax.apply_updates(p, u), s, u

  step = jax.jit(step) if jit else step
  s = tx.init(params)
  p = params
  first = None
  for _ in range(steps):
    p, s, u = step(p, s)
    first = u if first is None else first
  return p, s, u, first


@pytest.mark.parametrize("name", NAMES)
def test_jit_matches_eager(name):
  params, loss = make_problem()
  _, _, uj, _ = run(build(name), params, loss, 2, jit=True)
  _, _, ue, _ = run(build(name), params, loss, 2, jit=False)
  for a, b in zip(jax.tree.leaves(uj), jax.tree.leaves(ue)):
    np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-6)


def _set_learning_rates(state, value):
  """Sets every injected ``learning_rate`` in ``state`` (nested injected optimizers included)."""
  n = 0
  if hasattr(state, "hyperparams") and "learning_rate" in state.hyperparams:
    state.hyperparams["learning_rate"] = jnp.asarray(value)
    n += 1
  if isinstance(state, tuple):
    n += sum(_set_learning_rates(s, value) for s in state)
  return n


@pytest.mark.parametrize("name", NAMES)
def test_inject_hyperparams(name):
  params, loss = make_problem()
  kw = factory_kwargs(name, 0.01, inject=True)
  lr = kw.pop("learning_rate", None)
  tx = O.inject(name, **kw) if lr is None else O.inject(name, learning_rate=lr, **kw)
  state = tx.init(params)
  g = jax.grad(loss)(params)
  ex = extras(loss)(params)
  u1, _ = jax.jit(lambda s: tx.update(g, s, params, **ex))(state)
  assert _set_learning_rates(state, 0.0) >= 1
  u0, _ = jax.jit(lambda s: tx.update(g, s, params, **ex))(state)
  assert all(float(jnp.max(jnp.abs(x))) == 0.0 for x in jax.tree.leaves(u0)), "lr=0 must not move"
  assert any(float(jnp.max(jnp.abs(x))) > 0.0 for x in jax.tree.leaves(u1))


# New values for injected arguments whose default is 0 (a multiple of the default otherwise).
INJECT_FROM_ZERO = {"total_steps": 40, "seed": 1}


def _numeric_args(name):
  sig = inspect.signature(OPTIMIZERS.get(name)).parameters
  kw = case(name)[0]
  out = {}
  for arg, p in sig.items():
    value = kw.get(arg, p.default)
    if arg in O.static_args(name) or arg == "learning_rate" or isinstance(value, bool):
      continue
    if isinstance(value, (int, float)):
      out[arg] = value
  return out


def _new_value(arg, value):
  if isinstance(value, int):
    return INJECT_FROM_ZERO.get(arg, 1) if value == 0 else max(2, value // 2)
  if value == 0:
    return 0.01
  return value * (0.9 if 0 < value < 1 else 1.5)


@pytest.mark.parametrize("name", [n for n in NAMES if _numeric_args(n)])
def test_inject_each_numeric_argument(name):
  """Every numeric argument can be injected (traced under jit) and gives the same steps as building the
  optimizer with that value (optax.inject_hyperparams; structural args declared in lbrl.registry)."""
  params, loss = make_problem()
  g_fn = jax.grad(loss)
  factory = OPTIMIZERS.get(name)
  static = O.static_args(name)
  for arg, value in _numeric_args(name).items():
    new = _new_value(arg, value)
    kw = factory_kwargs(name, 0.01, **{arg: new})
    tx = optax.inject_hyperparams(factory, static_args=static)(**kw)
    ref = factory(**kw)
    s, r = tx.init(params), ref.init(params)
    assert arg in s.hyperparams, arg
    step = jax.jit(lambda p, s: tx.update(g_fn(p), s, p, **extras(loss)(p)))
    p_i = p_r = params
    for _ in range(2):
      u_i, s = step(p_i, s)
      u_r, r = ref.update(g_fn(p_r), r, p_r, **extras(loss)(p_r))
      p_i, p_r = optax.apply_updates(p_i, u_i), optax.apply_updates(p_r, u_r)
      for a, b in zip(jax.tree.leaves(u_i), jax.tree.leaves(u_r)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=2e-4, atol=1e-6,
                                   err_msg=f"{name}: injected {arg}={new}")


@pytest.mark.parametrize("name", NAMES)
def test_bf16_params(name):
  params, loss = make_problem()
  p16 = jax.tree.map(lambda x: x.astype(jnp.bfloat16), params)
  _, s16, _, u16 = run(build(name), p16, loss, 3)    # several bf16 steps stay finite
  assert all(np.all(np.isfinite(np.asarray(x, np.float32))) for x in jax.tree.leaves(s16))
  # the first step matches float32 up to bf16 rounding of the update
  _, _, u32, _ = run(build(name), jax.tree.map(lambda x: x.astype(jnp.float32), p16), loss, 1)
  for a, b in zip(jax.tree.leaves(u16), jax.tree.leaves(u32)):
    assert a.dtype == jnp.bfloat16
    assert np.all(np.isfinite(np.asarray(a, np.float32)))
    scale = float(jnp.max(jnp.abs(b))) + 1e-12
    assert float(jnp.max(jnp.abs(a.astype(jnp.float32) - b))) <= 0.02 * scale + 1e-6


@pytest.mark.parametrize("name", NAMES)
def test_sharded_matches_unsharded(name):
  assert jax.device_count() == 8
  mesh = jax.make_mesh((8,), ("x",), axis_types=(jax.sharding.AxisType.Auto,))
  params, loss = make_problem()
  specs = {"w": P("x", None), "b": P("x")}
  sharded = jax.tree.map(lambda x, s: jax.device_put(x, NamedSharding(mesh, s)), params, specs)
  _, _, u_ref, _ = run(build(name), params, loss, 3)
  _, state, u_sh, _ = run(build(name), sharded, loss, 3)
  for a, b in zip(jax.tree.leaves(u_sh), jax.tree.leaves(u_ref)):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-6)
  assert all(np.all(np.isfinite(np.asarray(x))) for x in jax.tree.leaves(state)
             if jnp.issubdtype(x.dtype, jnp.floating))


@pytest.mark.parametrize("name", NAMES)
def test_chain_with_clip_masked_decay_and_schedule(name):
  params, loss = make_problem()
  sched = optax.warmup_cosine_decay_schedule(0.0, case(name)[1], 3, 20)
  mask = {"w": True, "b": False}
  tx = optax.chain(optax.clip_by_global_norm(1.0), optax.add_decayed_weights(1e-4, mask),
                   OPTIMIZERS.get(name)(**factory_kwargs(name, sched)))
  p, _, _, _ = run(tx, params, loss, 20)
  assert np.isfinite(float(loss(p)))
  assert float(loss(p)) < float(loss(params))


@pytest.mark.parametrize("name", NAMES)
def test_state_shapes_are_stable(name):
  params, loss = make_problem()
  tx = build(name)
  s0 = tx.init(params)
  abstract = jax.eval_shape(tx.init, params)
  _, s1, _, _ = run(tx, params, loss, 2)
  shapes = lambda t: jax.tree.map(lambda x: (tuple(x.shape), jnp.dtype(x.dtype)), t)
  assert jax.tree.structure(s0) == jax.tree.structure(s1)
  assert shapes(s0) == shapes(s1) == shapes(abstract)


@pytest.mark.parametrize("name", NAMES)
def test_mismatched_trees_name_the_path(name):
  params, loss = make_problem()
  tx = build(name)
  state = tx.init(params)
  g = jax.grad(loss)(params)
  bad = {"w": g["w"], "bias": g["b"]}
  with pytest.raises(ValueError, match=r"\['b'\]|\['bias'\]"):
    tx.update(bad, state, params, **extras(loss)(params))
  bad_shape = {"w": g["w"][:, :4], "b": g["b"]}
  with pytest.raises(ValueError, match=r"\['w'\]"):
    tx.update(bad_shape, state, params, **extras(loss)(params))


@pytest.mark.parametrize("name", NAMES)
def test_negative_learning_rate_is_rejected(name):
  with pytest.raises(ValueError, match="learning_rate"):
    build(name, lr=-0.1)


@pytest.mark.parametrize("name", NAMES)
def test_converges_on_convex_quadratic(name):
  params, loss = make_problem()
  p, _, _, _ = run(build(name, case(name)[1]), params, loss, 100)
  assert float(loss(p)) < 0.25 * float(loss(params)), (float(loss(params)), float(loss(p)))


@pytest.mark.parametrize("name", NAMES)
def test_converges_on_small_mlp(name):
  rng = np.random.default_rng(1)
  x = jnp.asarray(rng.normal(size=(64, 8)), jnp.float32)
  y = jnp.sin(x @ jnp.asarray(rng.normal(size=(8,)), jnp.float32))[:, None]
  params = {"w1": jnp.asarray(rng.normal(size=(8, 16)) / np.sqrt(8), jnp.float32),
            "b1": jnp.zeros((16,), jnp.float32),
            "w2": jnp.asarray(rng.normal(size=(16, 8)) / 4.0, jnp.float32)}

  def loss(p):
    h = jnp.tanh(x @ p["w1"] + p["b1"])
    return jnp.mean(jnp.square(jnp.mean(h @ p["w2"], axis=1, keepdims=True) - y))

  p, _, _, _ = run(build(name, case(name)[1]), params, loss, 150)
  assert float(loss(p)) < 0.6 * float(loss(params)), (float(loss(params)), float(loss(p)))


NO_MASK = ("momo", "momo_adam")   # optax.contrib's decay enters MoMo's step size: no per-leaf mask


@pytest.mark.parametrize("name", NO_MASK)
def test_momo_rejects_a_decay_mask_by_name(name):
  build(name, 0.01, mask={"w": True, "b": False})            # no decay: accepted
  with pytest.raises(ValueError, match=f"{name}: mask="):
    build(name, 0.01, weight_decay=0.1, mask={"w": True, "b": False})


@pytest.mark.parametrize("name", [n for n in NAMES if "weight_decay" in inspect.signature(
    OPTIMIZERS.get(n)).parameters and n not in NO_MASK])
def test_weight_decay_mask(name):
  """``mask=`` restricts weight decay: the masked-out leaf moves as without decay, the other differs."""
  params, loss = make_problem()
  wd = 0.05 if name != "adamw_paper" else 5e-4
  mask = {"w": True, "b": False}
  _, _, _, with_mask = run(build(name, 0.01, weight_decay=wd, mask=mask), params, loss, 1)
  _, _, _, no_decay = run(build(name, 0.01, weight_decay=0.0), params, loss, 1)
  np.testing.assert_allclose(with_mask["b"], no_decay["b"], rtol=1e-5, atol=1e-7)
  assert float(jnp.max(jnp.abs(with_mask["w"] - no_decay["w"]))) > 0
