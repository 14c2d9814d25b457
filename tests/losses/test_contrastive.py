"""lbrl.losses.contrastive against float64 NumPy transcriptions of the papers, optax, the special cases
I-Con states, masks, and 8 simulated devices (the global batch as negatives)."""
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax.sharding import NamedSharding, PartitionSpec as P
from jax.test_util import check_grads

from lbrl.kernels import contrastive as K
from lbrl.losses import contrastive as C
from lbrl.parallel.mesh import make_mesh


def views(b=8, v=2, d=5, seed=0):
  r = np.random.default_rng(seed)
  base = r.standard_normal((b, 1, d))
  return base + 0.6 * r.standard_normal((b, v, d)), r.integers(0, 3, b)


def cos_matrix(z):
  n = z / np.linalg.norm(z, axis=1, keepdims=True)
  return n @ n.T


def np_ntxent(z, t, labels=None):
  """SimCLR/SupCon L_out, float64 loops."""
  b, v, d = z.shape
  zf = z.reshape(b * v, d)
  s = cos_matrix(zf) / t
  owner = np.repeat(np.arange(b), v) if labels is None else np.repeat(labels, v)
  out = np.zeros(b * v)
  for a in range(b * v):
    others = [k for k in range(b * v) if k != a]
    den = np.log(np.sum(np.exp(s[a, others])))
    pos = [k for k in others if owner[k] == owner[a]]
    out[a] = -np.mean([s[a, p] - den for p in pos])
  return out.reshape(b, v).mean(1)


@pytest.mark.parametrize("t", [0.1, 0.5])
def test_ntxent_float64_transcription_and_optax(t):
  z, labels = views()
  np.testing.assert_allclose(C.ntxent(jnp.asarray(z), temperature=t), np_ntxent(z, t), rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(C.ntxent(jnp.asarray(z), jnp.asarray(labels), temperature=t, supervised=True),
                             np_ntxent(z, t, labels), rtol=1e-5, atol=1e-5)
  # optax's scalar NT-Xent on the stacked views (labels = example index) is the batch mean
  flat = jnp.asarray(np.concatenate([z[:, 0], z[:, 1]]), jnp.float32)
  ref = optax.losses.ntxent(flat, jnp.tile(jnp.arange(z.shape[0]), 2), temperature=t)
  np.testing.assert_allclose(jnp.mean(C.ntxent(jnp.asarray(z), temperature=t)), ref, rtol=1e-5)


def test_three_views_transcription():
  z, _ = views(b=5, v=3)
  np.testing.assert_allclose(C.ntxent(jnp.asarray(z), temperature=0.3), np_ntxent(z, 0.3), rtol=1e-5, atol=1e-5)


def test_dcl_transcription():
  z, _ = views()
  b = z.shape[0]
  zf = np.concatenate([z[:, 0], z[:, 1]])
  s = cos_matrix(zf) / 0.2
  ref = np.zeros(2 * b)
  for a in range(2 * b):
    p = (a + b) % (2 * b)
    ref[a] = -s[a, p] + np.log(sum(np.exp(s[a, k]) for k in range(2 * b) if k not in (a, p)))
  np.testing.assert_allclose(C.dcl(jnp.asarray(z), temperature=0.2), 0.5 * (ref[:b] + ref[b:]), rtol=1e-5, atol=1e-5)


def test_siglip_and_clip_against_numpy_and_the_kernels():
  z, _ = views(b=10)
  n = z / np.linalg.norm(z, axis=2, keepdims=True)
  t, b = 5.0, -2.0
  l = t * n[:, 0] @ n[:, 1].T + b
  sign = 2 * np.eye(10) - 1
  np.testing.assert_allclose(C.siglip(jnp.asarray(n), temperature=t, bias=b),
                             np.sum(np.log1p(np.exp(-sign * l)), 1), rtol=1e-5)
  x, y = jnp.asarray(n[:, 0], jnp.float32), jnp.asarray(n[:, 1], jnp.float32)
  np.testing.assert_allclose(C.siglip(jnp.asarray(n), temperature=t, bias=b), K.siglip_loss(x, y, t, b), rtol=1e-5)
  lc = t * n[:, 0] @ n[:, 1].T
  lse = lambda a, ax: np.log(np.sum(np.exp(a), ax))
  ref = 0.5 * (lse(lc, 1) - np.diag(lc)) + 0.5 * (lse(lc, 0) - np.diag(lc))
  np.testing.assert_allclose(C.clip(jnp.asarray(n), temperature=t), ref, rtol=1e-5)
  np.testing.assert_allclose(C.clip(jnp.asarray(n), temperature=t), K.clip_loss(x, y, t), rtol=1e-5)


def test_siglip_learned_temperature_and_bias_from_model_dict():
  z, _ = views()
  d = {"embeddings": jnp.asarray(z), "log_temperature": jnp.log(3.0), "bias": jnp.asarray(-1.0)}
  np.testing.assert_allclose(C.siglip(d), C.siglip(jnp.asarray(z), temperature=3.0, bias=-1.0), rtol=1e-6)
  g = jax.grad(lambda lt, bb: jnp.mean(C.siglip(dict(d, log_temperature=lt, bias=bb))), argnums=(0, 1))(
      jnp.log(3.0), jnp.asarray(-1.0))
  assert all(np.isfinite(x) and x != 0 for x in g)


def test_byol_is_the_symmetrised_normalised_regression():
  q, _ = views(seed=1)
  zt, _ = views(seed=2)
  nrm = lambda a: a / np.linalg.norm(a, axis=-1, keepdims=True)
  ref = np.sum((nrm(q[:, 0]) - nrm(zt[:, 1])) ** 2, -1) + np.sum((nrm(q[:, 1]) - nrm(zt[:, 0])) ** 2, -1)
  np.testing.assert_allclose(C.byol(jnp.asarray(q), target_outputs=jnp.asarray(zt)), ref, rtol=1e-5)
  # no gradient reaches the target
  g = jax.grad(lambda t: jnp.sum(C.byol(jnp.asarray(q), target_outputs=t)))(jnp.asarray(zt, jnp.float32))
  assert not np.any(np.asarray(g))


def test_i_con_special_cases():
  z, labels = views()
  # InfoNCE / NT-Xent: one positive view, no debiasing
  np.testing.assert_allclose(C.i_con(jnp.asarray(z), temperature=0.4), C.ntxent(jnp.asarray(z), temperature=0.4),
                             rtol=1e-5, atol=1e-6)
  # SNE: p and q Gaussian neighbourhoods of the inputs and of the embeddings (self excluded)
  r = np.random.default_rng(3)
  x, y = r.standard_normal((7, 4)), r.standard_normal((7, 2))
  def gauss(a, s2):
    d = np.sum((a[:, None] - a[None]) ** 2, -1)
    w = np.exp(-d / (2 * s2))
    np.fill_diagonal(w, 0.0)
    return w / w.sum(1, keepdims=True)
  p, q = gauss(x, 1.5), gauss(y, 0.5)
  off = ~np.eye(7, dtype=bool)
  sne = np.sum(np.where(off, p * np.log(np.where(off, p / np.where(off, q, 1), 1)), 0), 1)  # sum_j p log p/q
  dy = np.sum((y[:, None] - y[None]) ** 2, -1)
  log_q = jax.nn.log_softmax(jnp.where(jnp.asarray(off), -dy / 1.0, -1e30), axis=1)
  np.testing.assert_allclose(C.i_con_kl(jnp.asarray(p), log_q), sne, rtol=1e-4, atol=1e-6)
  # cross-entropy: candidates are class prototypes, p the one-hot label
  logits = r.standard_normal((6, 4))
  lab = r.integers(0, 4, 6)
  np.testing.assert_allclose(C.i_con_kl(jax.nn.one_hot(lab, 4), jax.nn.log_softmax(jnp.asarray(logits))),
                             optax.softmax_cross_entropy_with_integer_labels(jnp.asarray(logits), jnp.asarray(lab)),
                             rtol=1e-5)


def test_i_con_debias_moves_mass_to_all_candidates():
  z, _ = views(b=4)
  b, v = 4, 2
  s = cos_matrix(z.reshape(8, -1)) / 0.5
  np.fill_diagonal(s, -np.inf)
  logq = s - np.log(np.sum(np.exp(s), 1, keepdims=True))
  a = 0.3
  p = np.full((8, 8), a / 7)
  np.fill_diagonal(p, 0)
  for i in range(8):
    p[i, i ^ 1] += 1 - a
  off = ~np.eye(8, dtype=bool)
  kl = np.sum(np.where(off, p * (np.log(np.where(off, p, 1)) - np.where(off, logq, 0)), 0), 1)
  np.testing.assert_allclose(C.i_con(jnp.asarray(z), temperature=0.5, debias=a), kl.reshape(b, v).mean(1), rtol=1e-5)


def test_dispersive_transcription():
  z = np.random.default_rng(4).standard_normal((6, 3))
  d = np.sum((z[:, None] - z[None]) ** 2, -1)
  ref = np.log(np.mean(np.exp(-d / 0.5)))
  np.testing.assert_allclose(C.dispersive(jnp.asarray(z), tau=0.5), np.full(6, ref), rtol=1e-5)


def test_macl_temperature_follows_alignment():
  z, _ = views()
  n = z / np.linalg.norm(z, axis=2, keepdims=True)
  a = np.mean(np.sum(n[:, 0] * n[:, 1], 1))
  t = 0.1 * (1 + 0.5 * (a - 0.2))
  np.testing.assert_allclose(C.macl(jnp.asarray(z), tau0=0.1, alpha=0.5, a0=0.2), np_ntxent(z, t), rtol=1e-5, atol=1e-5)


def test_decoupled_softmax_transcription_and_single_positive_is_softmax_ce():
  r = np.random.default_rng(5)
  s = r.standard_normal((5, 7))
  y = (r.random((5, 7)) < 0.35).astype(np.float32)
  y[0] = 0
  y[1, :] = 0
  y[1, 2] = 1
  ref = np.zeros(5)
  for q in range(5):
    pos = np.flatnonzero(y[q])
    neg = np.flatnonzero(y[q] == 0)
    if len(pos):
      ref[q] = np.mean([-s[q, p] + np.log(np.exp(s[q, p]) + np.sum(np.exp(s[q, neg]))) for p in pos])
  np.testing.assert_allclose(C.decoupled_softmax(jnp.asarray(s), jnp.asarray(y)), ref, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(C.decoupled_softmax(jnp.asarray(s), jnp.asarray(y))[1],
                             optax.softmax_cross_entropy_with_integer_labels(jnp.asarray(s[1]), 2), rtol=1e-5)


@pytest.mark.parametrize("name", ["ntxent", "dcl", "siglip", "clip", "i_con", "macl", "dispersive"])
def test_where_equals_the_subset(name):
  z, _ = views(b=9)
  fn = getattr(C, name)
  keep = np.array([1, 1, 0, 1, 1, 1, 0, 1, 1], bool)
  full = fn(jnp.asarray(z), where=jnp.asarray(keep))
  sub = fn(jnp.asarray(z[keep]))
  np.testing.assert_allclose(np.asarray(full)[keep], sub, rtol=1e-5, atol=1e-6)
  assert not np.any(np.asarray(full)[~keep])


@pytest.mark.parametrize("name", ["ntxent", "dcl", "siglip", "clip", "i_con", "macl", "dispersive", "byol"])
def test_eight_devices_use_the_global_batch_as_negatives(name):
  z, _ = views(b=16, seed=7)
  zt, _ = views(b=16, seed=8)
  kw = {"target_outputs": jnp.asarray(zt, jnp.float32)} if name == "byol" else {}
  fn = getattr(C, name)
  dense = fn(jnp.asarray(z, jnp.float32), **kw)
  mesh = make_mesh((8,), ("data",))
  sh = NamedSharding(mesh, P("data"))
  zs = jax.device_put(jnp.asarray(z, jnp.float32), sh)
  kws = {k: jax.device_put(v, sh) for k, v in kw.items()}
  out = jax.jit(lambda a, k: fn(a, **k), out_shardings=sh)(zs, kws)
  assert len(out.sharding.device_set) == 8
  np.testing.assert_allclose(out, dense, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["ntxent", "siglip", "i_con", "byol"])
def test_gradients_and_bf16_are_finite(name):
  z, _ = views(b=6)
  fn = getattr(C, name)
  kw = {"target_outputs": jnp.asarray(z[::-1], jnp.float32)} if name == "byol" else {}
  f = lambda a: jnp.mean(fn(a, **kw))
  check_grads(f, (jnp.asarray(z, jnp.float32),), order=1, modes=("rev",), atol=1e-2, rtol=1e-2)
  big = jnp.asarray(z * 1e3, jnp.bfloat16)
  assert np.all(np.isfinite(np.asarray(jax.grad(lambda a: jnp.mean(fn(a, **kw)))(big), np.float32)))


def test_bad_inputs_name_the_argument():
  with pytest.raises(ValueError, match="embeddings must be"):
    C.ntxent(jnp.ones((4, 5)))
  with pytest.raises(ValueError, match="views >= 2"):
    C.siglip(jnp.ones((4, 1, 5)))
  with pytest.raises(TypeError, match="floating"):
    C.ntxent(jnp.ones((4, 2, 5), jnp.int32))
  with pytest.raises(ValueError, match="temperature must be > 0"):
    C.ntxent(jnp.ones((4, 2, 5)), temperature=0.0)
  with pytest.raises(ValueError, match="debias"):
    C.i_con(jnp.ones((4, 2, 5)), debias=1.0)
  with pytest.raises(ValueError, match="needs labels"):
    C.ntxent(jnp.ones((4, 2, 5)), supervised=True)
  with pytest.raises(ValueError, match="target_outputs"):
    C.byol(jnp.ones((4, 2, 5)), target_outputs=jnp.ones((3, 2, 5)))
  with pytest.raises(ValueError, match="scores and targets"):
    C.decoupled_softmax(jnp.ones((4, 5)), jnp.ones((4, 6)))


def _np_isog(z, u, toff, rho=0.3, gamma=0.9, tau_init=0.7, tau_min=0.05, lr=0.01):
  b = z.shape[0]
  zf = z.reshape(2 * b, -1)
  s = cos_matrix(zf)
  tau = np.maximum(tau_init + np.repeat(toff, 2), tau_min)
  g, dt, uu = np.zeros(2 * b), np.zeros(2 * b), np.zeros(2 * b)
  for a in range(2 * b):
    negs = [k for k in range(2 * b) if k // 2 != a // 2]
    h = (s[a, negs] - s[a, a ^ 1]) / tau[a]
    g[a] = np.mean(np.exp(h))
    uu[a] = (1 - gamma) * u.reshape(-1)[a] + gamma * g[a]
    dt[a] = np.log(uu[a]) + rho - np.mean(np.exp(h) * h) / uu[a]
  values = (tau * (np.log(uu) + rho)).reshape(b, 2).mean(1)
  new_tau = np.maximum(tau.reshape(b, 2)[:, 0] - lr * dt.reshape(b, 2).mean(1), tau_min)
  return values, uu.reshape(b, 2), new_tau - tau_init, g, tau


def test_isogclr_one_step_against_float64_transcription_and_finite_differences():
  z, _ = views(b=5, seed=11)
  r = np.random.default_rng(12)
  state = {"u": r.uniform(0.2, 1.0, (5, 2)), "tau_offset": r.uniform(-0.3, 0.3, 5)}
  js = jax.tree.map(lambda a: jnp.asarray(a, jnp.float32), state)
  values, rows = C.isogclr(jnp.asarray(z, jnp.float32), example_state=js)
  want_v, want_u, want_t, _, tau = _np_isog(z, state["u"], state["tau_offset"])
  np.testing.assert_allclose(values, want_v, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(rows["u"], want_u, rtol=1e-5)
  np.testing.assert_allclose(rows["tau_offset"], want_t, rtol=1e-4, atol=1e-6)
  # encoder gradient: mean over examples of mean over views of tau_a / u_a * grad g_a (central differences)
  grad = jax.grad(lambda a: jnp.mean(C.isogclr(a, example_state=js)[0]))(jnp.asarray(z, jnp.float32))
  def surrogate(zz):
    _, _, _, g, _ = _np_isog(zz, state["u"], state["tau_offset"])
    return np.mean((tau / want_u.reshape(-1) * g).reshape(5, 2).mean(1))
  eps, fd = 1e-6, np.zeros_like(z)
  for idx in np.ndindex(z.shape):
    dz = np.zeros_like(z)
    dz[idx] = eps
    fd[idx] = (surrogate(z + dz) - surrogate(z - dz)) / (2 * eps)
  np.testing.assert_allclose(grad, fd, rtol=1e-3, atol=1e-5)
  # a fresh zero state is the initial temperature everywhere
  assert np.all(np.asarray(C.isogclr_state(3)["tau_offset"]) == 0)
