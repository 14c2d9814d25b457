"""lbrl.losses.metric: float64 NumPy transcriptions of the papers' formulas, the no-valid-pair case (loss 0,
zero gradient) for every loss, sharded batches (8 simulated devices under shard_map equal 1 device on the
global batch), masks, miners, bad input, and AdaFace's stated limits (ArcFace at z_hat=-1, CosFace at 0)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import PartitionSpec as P

from lbrl.losses import metric as M

B, D = 16, 6


def data(seed=0, b=B):
  rng = np.random.default_rng(seed)
  y = rng.integers(0, 4, b)
  return jnp.asarray(rng.normal(size=(b, D)), jnp.float32), jnp.asarray(y, jnp.int32)


PAIR = {
    "multi_similarity": lambda e, y, **k: M.multi_similarity(e, y, **k),
    "multi_similarity_all": lambda e, y, **k: M.multi_similarity(e, y, miner="all", **k),
    "circle_loss": lambda e, y, **k: M.circle_loss(e, y, margin=0.4, gamma=80.0, **k),
    "circle_loss_nonzero": lambda e, y, **k: M.circle_loss(e, y, margin=0.4, gamma=80.0, reduction="nonzero", **k),
    "triplet_batch_hard": lambda e, y, **k: M.triplet_loss(e, y, **k),
    "triplet_batch_all": lambda e, y, **k: M.triplet_loss(e, y, miner="batch_all", **k),
    "triplet_semi_hard": lambda e, y, **k: M.triplet_loss(e, y, miner="semi_hard", margin=0.5, **k),
    "contrastive": lambda e, y, **k: M.contrastive_loss(e, y, **k),
    "contrastive_nonzero": lambda e, y, **k: M.contrastive_loss(e, y, reduction="nonzero", **k),
    "contrastive_distance_weighted": lambda e, y, **k: M.contrastive_loss(e, y, miner="distance_weighted", **k),
    "supervised_contrastive": lambda e, y, **k: M.supervised_contrastive(e, y, **k),
    "orthogonal_projection": lambda e, y, **k: M.orthogonal_projection(e, y, **k),
    "ms_batch_hard": lambda e, y, **k: M.multi_similarity(e, y, miner="batch_hard", **k),
    "circle_semi_hard": lambda e, y, **k: M.circle_loss(e, y, miner="semi_hard", **k),
}
PROXIES = jnp.asarray(np.random.default_rng(9).normal(size=(4, D)), jnp.float32)
PROXY = {
    "normalized_softmax": M.normalized_softmax, "cosface": M.cosface, "arcface": M.arcface,
    "adaface": M.adaface, "unpg": M.unpg, "ce_orthogonal_projection": M.ce_orthogonal_projection,
}


def cos(e):
  e = np.asarray(e, np.float64)
  e = e / np.linalg.norm(e, axis=1, keepdims=True)
  return e @ e.T


# ------------------------------------------------------------------ formulas (float64 NumPy)


def test_multi_similarity_equals_numpy_transcription_of_eq_10_to_12():
  e, y = data(1)
  s, y_ = cos(e), np.asarray(y)
  want = []
  for i in range(B):
    pos = [j for j in range(B) if j != i and y_[j] == y_[i]]
    neg = [j for j in range(B) if y_[j] != y_[i]]
    mp = [j for j in pos if neg and s[i, j] - 0.1 < max(s[i, neg])]
    mn = [j for j in neg if pos and s[i, j] + 0.1 > min(s[i, pos])]
    lp = np.log1p(np.sum(np.exp(-2.0 * (s[i, mp] - 0.5)))) / 2.0
    ln = np.log1p(np.sum(np.exp(50.0 * (s[i, mn] - 0.5)))) / 50.0
    want.append(lp + ln)
  np.testing.assert_allclose(M.multi_similarity(e, y), want, rtol=2e-5, atol=1e-6)


def test_circle_loss_equals_numpy_transcription():
  e, y = data(2)
  s, y_ = cos(e), np.asarray(y)
  m, g = 0.25, 256.0
  want = []
  for i in range(B):
    sp = np.array([s[i, j] for j in range(B) if j != i and y_[j] == y_[i]])
    sn = np.array([s[i, j] for j in range(B) if y_[j] != y_[i]])
    if not len(sp) or not len(sn):
      want.append(0.0)
      continue
    lp = -g * np.maximum(1 + m - sp, 0) * (sp - (1 - m))
    ln = g * np.maximum(sn + m, 0) * (sn - m)
    want.append(np.logaddexp(0, np.logaddexp.reduce(lp) + np.logaddexp.reduce(ln)))
  np.testing.assert_allclose(M.circle_loss(e, y), want, rtol=1e-4, atol=1e-3)


def test_batch_hard_triplet_equals_numpy_and_optax_is_used():
  e, y = data(3)
  en = np.asarray(e, np.float64)
  en = en / np.linalg.norm(en, axis=1, keepdims=True)
  d = np.linalg.norm(en[:, None] - en[None], axis=-1)
  y_ = np.asarray(y)
  want = []
  for i in range(B):
    pos = [j for j in range(B) if j != i and y_[j] == y_[i]]
    neg = [j for j in range(B) if y_[j] != y_[i]]
    want.append(max(max(d[i, pos]) - min(d[i, neg]) + 0.2, 0) if pos and neg else 0.0)
  np.testing.assert_allclose(M.triplet_loss(e, y), want, atol=1e-5)


def test_supcon_and_opl_equal_numpy():
  e, y = data(4)
  s, y_ = cos(e), np.asarray(y)
  want = []
  for i in range(B):
    others = [j for j in range(B) if j != i]
    pos = [j for j in others if y_[j] == y_[i]]
    lse = np.logaddexp.reduce(s[i, others] / 0.1)
    want.append(-np.mean(s[i, pos] / 0.1 - lse) if pos else 0.0)
  np.testing.assert_allclose(M.supervised_contrastive(e, y), want, rtol=1e-5, atol=1e-5)
  same = (y_[:, None] == y_[None]) & ~np.eye(B, dtype=bool)
  opl = (1 - s[same].mean()) + 0.5 * np.abs(s[y_[:, None] != y_[None]]).mean()   # the authors' losses.py
  np.testing.assert_allclose(M.orthogonal_projection(e, y), np.full(B, opl), rtol=1e-5)


def test_miners_multi_similarity_and_batch_hard_masks():
  e, y = data(5)
  s = jnp.asarray(cos(e), jnp.float32)
  pos, neg = M.pair_masks(y, jnp.ones(B, bool), y, jnp.ones(B, bool), jnp.arange(B))
  wp, wn = M.mine("batch_hard", s, pos, neg)
  has_p, has_n = np.asarray(pos).any(1), np.asarray(neg).any(1)
  np.testing.assert_array_equal(np.asarray(wp).sum(1), has_p)
  np.testing.assert_array_equal(np.asarray(wn).sum(1), has_n)
  for i in np.flatnonzero(has_p):
    assert np.asarray(s)[i, np.argmax(np.asarray(wp)[i])] == np.min(np.asarray(s)[i][np.asarray(pos)[i]])
  wp, wn = M.mine("all", s, pos, neg)
  mp, mn = M.mine("multi_similarity", s, pos, neg)
  assert np.all(np.asarray(mp) <= np.asarray(wp)) and np.all(np.asarray(mn) <= np.asarray(wn))
  _, dw = M.mine("distance_weighted", s, pos, neg, dim=D)
  assert np.all(np.asarray(dw)[~np.asarray(neg)] == 0) and np.isfinite(np.asarray(dw)).all()


# ------------------------------------------------------------------ no valid pair: 0 and zero gradient


NO_PAIR_CASES = {"one valid row": (jnp.zeros(B, jnp.int32), jnp.arange(B) == 0),
                 "all masked": (jnp.zeros(B, jnp.int32), jnp.zeros(B, bool)),
                 "ignore labels": (-jnp.ones(B, jnp.int32), None)}
CORE = ("multi_similarity", "circle_loss", "triplet_batch_hard", "contrastive", "supervised_contrastive",
        "orthogonal_projection")


@pytest.mark.parametrize("case", sorted(NO_PAIR_CASES))
@pytest.mark.parametrize("name", CORE)
def test_no_valid_pair_gives_zero_loss_and_zero_gradient(name, case):
  e, _ = data(6)
  y, where = NO_PAIR_CASES[case]
  f = lambda x: jnp.mean(PAIR[name](x, y, where=where))
  v, g = jax.jit(jax.value_and_grad(f))(e)
  assert float(v) == 0.0 and np.all(np.asarray(g) == 0), (name, case, v)


@pytest.mark.parametrize("name", sorted(PROXY))
def test_proxy_losses_all_masked_give_zero_and_finite_extremes(name):
  e, y = data(7)
  f = lambda x: jnp.mean(PROXY[name](x, PROXIES, y, where=jnp.zeros(B, bool)))
  v, g = jax.jit(jax.value_and_grad(f))(e)
  assert float(v) == 0.0 and np.all(np.asarray(g) == 0)
  # features exactly on their proxies (cos = 1) and exactly opposite (cos = -1): finite values and gradients
  for sign in (1.0, -1.0):
    x = sign * PROXIES[y % 4]
    v, g = jax.jit(jax.value_and_grad(lambda x: jnp.mean(PROXY[name](x, PROXIES, y % 4))))(x)
    assert np.isfinite(float(v)) and np.isfinite(np.asarray(g)).all(), (name, sign)


@pytest.mark.parametrize("name", ["multi_similarity", "circle_loss", "triplet_batch_hard", "supervised_contrastive",
                                  "triplet_semi_hard"])
def test_no_positive_pair_gives_zero_for_losses_that_need_one(name):
  e, _ = data(6)
  v, g = jax.jit(jax.value_and_grad(lambda x: jnp.mean(PAIR[name](x, jnp.arange(B)))))(e)
  assert float(v) == 0.0 and np.all(np.asarray(g) == 0)


# ------------------------------------------------------------------ sharded batch = global batch


@pytest.mark.parametrize("name", CORE + ("circle_loss_nonzero", "ms_batch_hard"))
def test_eight_devices_under_shard_map_equal_one_device(name):
  e, y = data(8, b=32)
  where = jnp.arange(32) % 7 != 3
  mesh = jax.make_mesh((8,), ("data",), axis_types=(jax.sharding.AxisType.Auto,))
  fn = PAIR[name]

  def local(e, y, w):
    return fn(e, y, where=w, axis_name="data")

  sharded = jax.shard_map(local, mesh=mesh, in_specs=(P("data"), P("data"), P("data")), out_specs=P("data"))
  v8, g8 = jax.jit(jax.value_and_grad(lambda e: jnp.mean(sharded(e, y, where))))(e)
  v8_rows = jax.jit(sharded)(e, y, where)
  v1_rows = jax.jit(lambda e: fn(e, y, where=where))(e)
  v1, g1 = jax.jit(jax.value_and_grad(lambda e: jnp.mean(fn(e, y, where=where))))(e)
  np.testing.assert_allclose(np.asarray(v8_rows), np.asarray(v1_rows), rtol=2e-5, atol=1e-5)
  np.testing.assert_allclose(float(v8), float(v1), rtol=2e-5, atol=1e-6)
  np.testing.assert_allclose(np.asarray(g8), np.asarray(g1), rtol=2e-4, atol=1e-5)


def test_sharded_jit_needs_no_axis_name():
  """Under jit with the batch sharded over 8 devices (the trainer's data parallelism) the loss is the global one."""
  e, y = data(9, b=32)
  mesh = jax.make_mesh((8,), ("data",), axis_types=(jax.sharding.AxisType.Auto,))   # the trainer's mesh type
  s = jax.sharding.NamedSharding(mesh, P("data"))
  got = jax.jit(lambda e, y: M.circle_loss(e, y).mean())(jax.device_put(e, s), jax.device_put(y, s))
  np.testing.assert_allclose(float(got), float(M.circle_loss(e, y).mean()), rtol=1e-5)


# ------------------------------------------------------------------ AdaFace limits, UNPG, masks, bad input


def test_adaface_reduces_to_arcface_and_cosface_at_its_limits():
  e, y = data(10)
  for m in (0.3, 0.5):
    np.testing.assert_allclose(M.adaface(e, PROXIES, y, margin=m, z_hat=-1.0),
                               M.arcface(e, PROXIES, y, margin=m), rtol=2e-4, atol=2e-4)
    np.testing.assert_allclose(M.adaface(e, PROXIES, y, margin=m, z_hat=0.0),
                               M.cosface(e, PROXIES, y, margin=m), rtol=1e-5, atol=1e-4)


def test_adaface_margin_follows_the_feature_norm():
  """Low-norm (low-quality) rows get z_hat -> -1 (angular margin), high-norm rows z_hat -> +1."""
  norms = jnp.asarray([1.0, 2.0, 3.0, 10.0, 20.0, 30.0])
  z, g_angle, g_add = M.adaface_margins(norms, jnp.ones(6, bool), margin=0.4, h=0.333)
  assert np.all(np.diff(np.asarray(z)) > 0)
  np.testing.assert_allclose(g_angle, -0.4 * z)
  np.testing.assert_allclose(g_add, 0.4 * z + 0.4)


def test_unpg_without_negative_pairs_is_its_margin_head():
  e, _ = data(11)
  y = jnp.zeros(B, jnp.int32)       # one class: no negative pair, UNPG = ArcFace
  np.testing.assert_allclose(M.unpg(e, PROXIES, y), M.arcface(e, PROXIES, y), rtol=1e-5)
  y = jnp.arange(B) % 4
  assert np.all(np.asarray(M.unpg(e, PROXIES, y)) > np.asarray(M.arcface(e, PROXIES, y)))


def test_where_equals_dropping_the_rows():
  e, y = data(12)
  keep = jnp.arange(B) < 10
  for name in ("multi_similarity", "triplet_batch_hard"):
    full = jax.jit(lambda e, y: PAIR[name](e, y, where=keep))(e, y)
    np.testing.assert_allclose(full[:10], jax.jit(PAIR[name])(e[:10], y[:10]), rtol=1e-5, atol=1e-6)
    assert np.all(np.asarray(full[10:]) == 0)


def test_bad_input_names_the_argument():
  e, y = data(13)
  with pytest.raises(ValueError, match="embeddings must be"):
    M.circle_loss(e[0], y)
  with pytest.raises(TypeError, match="labels must be integer"):
    M.multi_similarity(e, y.astype(jnp.float32))
  with pytest.raises(ValueError, match="labels must have shape"):
    M.triplet_loss(e, y[:3])
  with pytest.raises(ValueError, match="miner must be one of"):
    M.triplet_loss(e, y, miner="hardest")
  with pytest.raises(ValueError, match="alpha must be a positive"):
    M.multi_similarity(e, y, alpha=0.0)
  with pytest.raises(ValueError, match="proxies"):
    M.arcface(e, PROXIES[:, :3], y)
  with pytest.raises(ValueError, match="where must have shape"):
    M.supervised_contrastive(e, y, where=jnp.ones(3, bool))


def test_unpg_equals_a_float64_transcription_of_its_formula():
  """L_i = -log(e^{s f_y} / (e^{s f_y} + sum_{j != y} e^{s cos_j} + sum_{S_n'} e^{s s_n})), S_n' the batch's
  negative pairs (i < j) inside the authors' box-and-whisker range, ArcFace target f_y = cos(theta_y + m)."""
  e, _ = data(13)
  y = jnp.arange(B) % 4
  s, m, wisk = 64.0, 0.5, 1.5
  x, p, yy = np.asarray(e, np.float64), np.asarray(PROXIES, np.float64), np.asarray(y)
  xn = x / np.linalg.norm(x, axis=1, keepdims=True)
  cos = xn @ (p / np.linalg.norm(p, axis=1, keepdims=True)).T
  sim = xn @ xn.T
  sn = np.sort([sim[i, j] for i in range(B) for j in range(i + 1, B) if yy[i] != yy[j]])
  q1, q3 = sn[int(0.25 * len(sn))], sn[int(0.75 * len(sn))]
  sn = sn[(sn >= q1 - wisk * (q3 - q1)) & (sn <= q3 + wisk * (q3 - q1))]
  want = []
  for i in range(B):
    t = np.arccos(cos[i, yy[i]])
    f = np.cos(t + m) if t <= np.pi - m else cos[i, yy[i]] - m * np.sin(m)
    z = np.concatenate([[s * f], s * np.delete(cos[i], yy[i]), s * sn])
    want.append(np.log(np.sum(np.exp(z - z.max()))) + z.max() - s * f)
  np.testing.assert_allclose(M.unpg(e, PROXIES, y, margin=m, scale=s, wisk=wisk), want, rtol=2e-5, atol=2e-5)
  g = jax.grad(lambda e: jnp.mean(M.unpg(e, PROXIES, y, wisk=wisk)))(e)
  assert np.all(np.isfinite(np.asarray(g)))
