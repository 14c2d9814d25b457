"""A 2-D toy diffusion model and its one-step BOOT student (catalog slug ``boot``).

Gu, Zhai, Zhang, Liu & Susskind, "BOOT: Data-free Distillation of Denoising Diffusion Models with
Bootstrapping", 2023, arXiv:2306.05544. A time-conditioned student ``g(eps, t)`` learns the teacher's DDIM
trajectory that starts from the noise ``eps`` at ``t = 1``, without data: its prediction at ``t`` is pushed
one teacher DDIM step to ``s = t - delta`` and becomes the (stop-gradient) target of its own prediction at
``s`` (bootstrapping); at ``t = 0`` it is a one-step generator.

lbrl's toy (the paper works on images; the catalog asks for a 2-D toy): data a mixture of ``modes`` Gaussians
(std 0.1) on a circle of radius 2; the variance-preserving cosine schedule ``alpha_t = cos(pi t / 2)``,
``sigma_t = sin(pi t / 2)``; the teacher an epsilon-prediction MLP (3 SiLU layers of ``width``,
sinusoidal time features) trained by the denoising loss; DDIM sampling ``x_s = alpha_s x0_hat + sigma_s
eps_hat`` with ``x0_hat`` clipped to ``[-4, 4]``. The student's state is parameterised as in BOOT,
``y_t = alpha_t g(eps, t) + sigma_t eps`` (so ``y_1 = eps`` exactly); its loss at ``t ~ U(delta, 1)`` is
``|g(eps, t - delta) - sg(g*)|^2`` with ``g* = (y*_s - sigma_s eps) / alpha_s`` and ``y*_s`` the teacher's DDIM
step from ``y_t`` (lbrl's reading of the bootstrapping objective, without the paper's loss weighting). Pure
functions on parameter lists; the study is the analysis tool :func:`boot_toy_study`.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax


def toy_data(rng: np.random.Generator, n: int, modes: int = 8, radius: float = 2.0, std: float = 0.1) -> np.ndarray:
  """``[n, 2]`` samples of ``modes`` Gaussians (``std``) evenly spaced on a circle of ``radius``."""
  k = rng.integers(0, modes, n)
  ang = 2 * np.pi * k / modes
  return (np.stack([radius * np.cos(ang), radius * np.sin(ang)], 1) + std * rng.standard_normal((n, 2))).astype(np.float32)


def schedule(t):
  return jnp.cos(jnp.pi * t / 2), jnp.sin(jnp.pi * t / 2)


def init_mlp(key, width: int = 128, depth: int = 3, in_dim: int = 2 + 16, out_dim: int = 2):
  sizes = [in_dim] + [width] * depth + [out_dim]
  keys = jax.random.split(key, len(sizes) - 1)
  return [(jax.random.normal(k, (a, b)) / jnp.sqrt(a), jnp.zeros((b,))) for k, a, b in zip(keys, sizes[:-1], sizes[1:])]


def mlp(params, x, t):
  """``MLP([x, sin/cos(2^k pi t)])`` with SiLU hidden layers; ``t`` ``[N]`` in ``[0, 1]``."""
  freqs = 2.0 ** jnp.arange(8) * jnp.pi
  h = jnp.concatenate([x, jnp.sin(t[:, None] * freqs), jnp.cos(t[:, None] * freqs)], -1)
  for w, b in params[:-1]:
    h = jax.nn.silu(h @ w + b)
  return h @ params[-1][0] + params[-1][1]


def _adam(loss, params, key, steps, lr):
  opt = optax.adam(lr)

  def body(carry, k):
    p, s = carry
    g = jax.grad(loss)(p, k)
    u, s = opt.update(g, s, p)
    return (optax.apply_updates(p, u), s), None

  (params, _), _ = jax.lax.scan(body, (params, opt.init(params)), jax.random.split(key, steps))
  return params


@functools.partial(jax.jit, static_argnames=("steps", "batch", "width"))
def train_teacher(key, data, *, steps: int = 3000, batch: int = 256, lr: float = 1e-3, width: int = 128):
  """The epsilon-prediction teacher: ``E |eps_hat(alpha_t x + sigma_t eps, t) - eps|^2``, ``t ~ U(0, 1)``."""
  k0, k1 = jax.random.split(key)

  def loss(p, k):
    ki, kt, ke = jax.random.split(k, 3)
    x = data[jax.random.randint(ki, (batch,), 0, data.shape[0])]
    t = jax.random.uniform(kt, (batch,))
    eps = jax.random.normal(ke, x.shape)
    a, s = schedule(t)
    return jnp.mean((mlp(p, a[:, None] * x + s[:, None] * eps, t) - eps) ** 2)

  return _adam(loss, init_mlp(k0, width), k1, steps, lr)


def ddim_step(teacher, x, t, s):
  """One deterministic DDIM step of the teacher from time ``t`` to ``s < t`` (``x0_hat`` clipped to [-4, 4])."""
  a_t, s_t = schedule(t)
  a_s, s_s = schedule(s)
  eps = mlp(teacher, x, t)
  x0 = jnp.clip((x - s_t[:, None] * eps) / jnp.maximum(a_t, 1e-4)[:, None], -4.0, 4.0)
  return a_s[:, None] * x0 + s_s[:, None] * eps


@functools.partial(jax.jit, static_argnames="num_steps")
def ddim_sample(teacher, eps, *, num_steps: int = 50):
  """The teacher's DDIM samples from the noise ``eps`` in ``num_steps`` equal steps from ``t = 1`` to 0."""
  ts = jnp.linspace(1.0, 0.0, num_steps + 1)

  def body(x, i):
    n = x.shape[0]
    return ddim_step(teacher, x, jnp.full((n,), ts[i]), jnp.full((n,), ts[i + 1])), None

  x, _ = jax.lax.scan(body, eps, jnp.arange(num_steps))
  return x


def student_state(student, eps, t):
  """BOOT's parameterisation ``y_t = alpha_t g(eps, t) + sigma_t eps`` (``y_1 = eps``)."""
  a, s = schedule(t)
  return a[:, None] * mlp(student, eps, t) + s[:, None] * eps


def boot_loss(student, teacher, eps, t, delta):
  """The bootstrapping loss at times ``t`` (``[N]``, in ``[delta, 1]``) for noises ``eps``."""
  s = t - delta
  y_t = student_state(student, eps, t)
  y_s = jax.lax.stop_gradient(ddim_step(teacher, y_t, t, s))
  a_s, s_s = schedule(s)
  target = jax.lax.stop_gradient((y_s - s_s[:, None] * eps) / jnp.maximum(a_s, 1e-4)[:, None])
  return jnp.mean((mlp(student, eps, s) - target) ** 2)


@functools.partial(jax.jit, static_argnames=("steps", "batch", "width"))
def train_boot_student(key, teacher, *, steps: int = 3000, batch: int = 256, delta: float = 0.02, lr: float = 1e-3,
                       width: int = 128):
  """The BOOT student, trained from noise only (no data): ``t ~ U(delta, 1)``, ``eps ~ N(0, I)``."""
  k0, k1 = jax.random.split(key)

  def loss(p, k):
    kt, ke = jax.random.split(k)
    t = jax.random.uniform(kt, (batch,), minval=delta, maxval=1.0)
    return boot_loss(p, teacher, jax.random.normal(ke, (batch, 2)), t, delta)

  return _adam(loss, init_mlp(k0, width), k1, steps, lr)


def energy_distance(x, y) -> float:
  """``2 E|X - Y| - E|X - X'| - E|Y - Y'|`` (V-statistic, Euclidean) between sample sets ``[n, d]``, ``[m, d]``."""
  x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)

  def mean_dist(a, b):
    return float(np.mean(np.sqrt(np.maximum(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1), 0.0))))

  return 2 * mean_dist(x, y) - mean_dist(x, x) - mean_dist(y, y)


def boot_toy_study(ctx, *, teacher_steps: int = 3000, student_steps: int = 3000, width: int = 128,
                   delta: float = 0.02, ddim_steps: int = 50, samples: int = 1000, train_size: int = 10_000):
  """Analysis tool (``at="init"``): trains the teacher on ``train_size`` toy samples and the BOOT student
  from the teacher alone (seed ``ctx.seed``), then scores ``samples`` draws against fresh data by
  :func:`energy_distance`: ``teacher`` (DDIM, ``ddim_steps`` steps), ``teacher1`` (DDIM in one step), ``boot``
  (the student at ``t = 0``, one network evaluation), and ``data`` (a second data sample: the noise floor).
  Differences ``p/ed/boot-teacher1`` and ``p/ed/boot-teacher``."""
  rng = np.random.default_rng([int(ctx.seed), 0xB007])
  key = jax.random.PRNGKey(int(ctx.seed))
  kt, ks, ke = jax.random.split(key, 3)
  teacher = train_teacher(kt, jnp.asarray(toy_data(rng, int(train_size))), steps=int(teacher_steps), width=int(width))
  student = train_boot_student(ks, teacher, steps=int(student_steps), delta=float(delta), width=int(width))
  eps = jax.random.normal(ke, (int(samples), 2))
  draws = {"teacher": ddim_sample(teacher, eps, num_steps=int(ddim_steps)),
           "teacher1": ddim_sample(teacher, eps, num_steps=1),
           "boot": mlp(student, eps, jnp.zeros((int(samples),))),
           "data": toy_data(rng, int(samples))}
  ref = toy_data(rng, int(samples))
  out = {f"{m}/ed": energy_distance(np.asarray(v), ref) for m, v in draws.items()}
  out["p/ed/boot-teacher1"] = out["boot/ed"] - out["teacher1/ed"]
  out["p/ed/boot-teacher"] = out["boot/ed"] - out["teacher/ed"]
  return out
