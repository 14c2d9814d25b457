"""Classification losses against NumPy float64 formulas written from the papers, plus the papers'
special cases and invariances."""
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax.experimental import checkify
from jax.test_util import check_grads

from lbrl.losses import classification as cls
from lbrl.registry import LOSSES

RNG = np.random.default_rng(0)
Z = RNG.normal(size=(7, 5)) * 2.0
Y = RNG.integers(0, 5, size=7)


def np_log_softmax(z):
  z = z - z.max(-1, keepdims=True)
  return z - np.log(np.exp(z).sum(-1, keepdims=True))


def np_ce(z, y):
  return -np_log_softmax(z)[np.arange(len(y)), y]


def np_pt(z, y):
  return np.exp(np_log_softmax(z))[np.arange(len(y)), y]


def close(a, b, tol=1e-5):
  np.testing.assert_allclose(np.asarray(a, np.float64), b, rtol=tol, atol=tol)


def test_cross_entropy_label_smoothing():
  a = 0.1
  t = np.eye(5)[Y] * (1 - a) + a / 5
  close(cls.cross_entropy(jnp.asarray(Z), jnp.asarray(Y), label_smoothing=a),
        -(t * np_log_softmax(Z)).sum(-1))


def test_polyloss_formula_special_case_and_optax_pin():
  for eps in (-1.0, 0.0, 1.0, 2.0):
    close(cls.poly1_cross_entropy(jnp.asarray(Z), jnp.asarray(Y), epsilon=eps),
          np_ce(Z, Y) + eps * (1 - np_pt(Z, Y)))
  close(cls.poly1_cross_entropy(jnp.asarray(Z), jnp.asarray(Y), epsilon=0.0), np_ce(Z, Y))
  # Pin: the wrapper is optax's poly_loss_cross_entropy (default epsilon 2.0) on one-hot targets.
  close(cls.poly1_cross_entropy(jnp.asarray(Z), jnp.asarray(Y)),
        optax.losses.poly_loss_cross_entropy(jnp.asarray(Z), jax.nn.one_hot(Y, 5)))


def test_focal():
  g = 2.0
  close(cls.softmax_focal(jnp.asarray(Z), jnp.asarray(Y), gamma=g), (1 - np_pt(Z, Y)) ** g * np_ce(Z, Y))
  close(cls.softmax_focal(jnp.asarray(Z), jnp.asarray(Y), gamma=0.0), np_ce(Z, Y))


def test_squentropy():
  wrong = np.ones_like(Z)
  wrong[np.arange(7), Y] = 0
  expected = np_ce(Z, Y) + (wrong * Z ** 2).sum(-1) / 4
  close(cls.squentropy(jnp.asarray(Z), jnp.asarray(Y)), expected)
  close(cls.squentropy(jnp.asarray(Z), jnp.asarray(np.eye(5)[Y], jnp.float32)), expected)


def np_zloss(o, y, a, b):
  mu = o.mean(-1, keepdims=True)
  sigma = np.sqrt((o ** 2).mean(-1, keepdims=True) - mu ** 2)
  z = ((o - mu) / sigma)[np.arange(len(y)), y]
  return np.log1p(np.exp(a * (b - z))) / a


def test_spherical_zloss_formula_and_invariances():
  for a, b in ((0.1, 10.0), (1.0, 2.0), (5.0, 0.5)):
    close(cls.spherical_zloss(jnp.asarray(Z), jnp.asarray(Y), a=a, b=b), np_zloss(Z, Y, a, b), 1e-4)
  with jax.enable_x64(True):   # exact invariance; float32 loses digits to the shift before centring
    base = cls.spherical_zloss(jnp.asarray(Z), jnp.asarray(Y), a=1.0, b=2.0)
    for alpha, beta in ((3.0, -7.0), (0.01, 100.0), (50.0, 0.0)):
      close(cls.spherical_zloss(jnp.asarray(alpha * Z + beta), jnp.asarray(Y), a=1.0, b=2.0), base, 1e-7)
  # Shift/scale invariance in gradient form: grad sums to 0 and is orthogonal to the centred logits.
  with jax.enable_x64(True):
    g = jax.grad(lambda o: cls.spherical_zloss(o, jnp.asarray(Y), a=1.0, b=2.0).sum())(jnp.asarray(Z))
    np.testing.assert_allclose(np.sum(g, -1), 0, atol=1e-10)
    np.testing.assert_allclose(np.sum(g * (Z - Z.mean(-1, keepdims=True)), -1), 0, atol=1e-10)


def test_spherical_zloss_linear_equals_the_logit_form():
  """The Gram form (no [N, V] logits) against the NumPy formula on h @ w.T, gradients against the
  logit form's, ignored labels and masks, bf16 and extreme inputs, and the trainer adapter."""
  rng = np.random.default_rng(3)
  h, w = rng.normal(size=(4, 6, 8)), rng.normal(size=(37, 8)) + 0.5   # non-centred rows
  y = rng.integers(0, 37, size=(4, 6))
  for a, b in ((0.1, 10.0), (1.0, 2.0)):
    expect = np_zloss((h @ w.T).reshape(-1, 37), y.reshape(-1), a, b).reshape(4, 6)
    close(cls.spherical_zloss_linear(jnp.asarray(h), jnp.asarray(w), jnp.asarray(y), a=a, b=b), expect, 1e-4)
  with jax.enable_x64(True):
    H, W, Yj = jnp.asarray(h), jnp.asarray(w), jnp.asarray(y)
    gram = lambda h, w: cls.spherical_zloss_linear(h, w, Yj, a=1.0, b=2.0).sum()
    dense = lambda h, w: cls.spherical_zloss(h @ w.T, Yj, a=1.0, b=2.0).sum()
    for g1, g2 in zip(jax.grad(gram, (0, 1))(H, W), jax.grad(dense, (0, 1))(H, W)):
      np.testing.assert_allclose(g1, g2, rtol=1e-9, atol=1e-12)
    check_grads(gram, (H, W), order=1, modes=["rev"])
  # ignored ids and where: loss 0, no gradient, the rest unchanged
  y_bad = y.copy(); y_bad[0, :2] = (-1, 37)
  where = np.ones((4, 6), bool); where[1, 3] = False
  got = cls.spherical_zloss_linear(jnp.asarray(h), jnp.asarray(w), jnp.asarray(y_bad), where=jnp.asarray(where))
  ref = cls.spherical_zloss(jnp.asarray(h @ w.T, jnp.float32), jnp.asarray(y_bad), where=jnp.asarray(where))
  close(got, np.asarray(ref), 1e-4)
  assert float(got[0, 0]) == 0.0 and float(got[1, 3]) == 0.0
  gh = jax.grad(lambda h: cls.spherical_zloss_linear(h, jnp.asarray(w), jnp.asarray(y_bad)).sum())(jnp.asarray(h))
  assert np.all(np.asarray(gh[0, :2]) == 0)
  # bf16 and extreme hidden states (logits ~1e4): finite values and gradients, float32 out
  for scale, dtype in ((1.0, jnp.bfloat16), (3e3, jnp.float32), (3e3, jnp.bfloat16)):
    hb, wb = jnp.asarray(h * scale, dtype), jnp.asarray(w, dtype)
    v, g = jax.value_and_grad(lambda h, w: cls.spherical_zloss_linear(h, w, jnp.asarray(y)).sum(), (0, 1))(hb, wb)
    assert v.dtype == jnp.float32 and np.isfinite(float(v))
    assert all(np.all(np.isfinite(np.asarray(x, np.float32))) for x in g)
  assert LOSSES.spec("spherical_zloss_linear").consumes == "hidden_unembedding"
  assert LOSSES.get("spherical_zloss_linear") is cls.spherical_zloss_linear


def test_spherical_zloss_linear_never_forms_the_logits():
  """Compiled temporary memory of loss + gradient stays below one [N, V] float32 array."""
  n, d, v = 2048, 64, 4096
  spec = lambda *s: jax.ShapeDtypeStruct(s, jnp.float32)
  grad = jax.grad(lambda h, w, y: cls.spherical_zloss_linear(h, w, y).mean(), (0, 1))
  mem = jax.jit(grad).lower(spec(n, d), spec(v, d), jax.ShapeDtypeStruct((n,), jnp.int32)).compile()
  assert mem.memory_analysis().temp_size_in_bytes < n * v * 4 / 8


@pytest.mark.parametrize("bad, match", [
    (dict(w=np.zeros((5, 7))), "h must be"), (dict(w=np.zeros(5)), r"w must be \[V, D\]"),
    (dict(y=np.zeros((3,), np.float32)), "integer"), (dict(y=np.zeros((2,), np.int32)), "labels must have shape"),
    (dict(where=np.ones(2, bool)), "where must have shape")])
def test_spherical_zloss_linear_bad_input(bad, match):
  args = dict(h=np.zeros((3, 4)), w=np.zeros((5, 4)), y=np.zeros((3,), np.int32), where=None) | bad
  with pytest.raises((TypeError, ValueError), match=match):
    cls.spherical_zloss_linear(args["h"], args["w"], args["y"], where=args["where"])


def np_sparsemax(z):
  zs = np.sort(z)[::-1]
  cs = np.cumsum(zs)
  k = np.arange(1, len(z) + 1)
  support = 1 + k * zs > cs
  kz = k[support][-1]
  tau = (cs[kz - 1] - 1) / kz
  return np.maximum(z - tau, 0), tau


def np_sparsemax_loss(z, q):
  p, tau = np_sparsemax(z)
  s = p > 0
  return -q @ z + 0.5 * np.sum(z[s] ** 2 - tau ** 2) + 0.5 * q @ q


def test_sparsemax_loss_formula_multilabel_and_sparsity():
  got = cls.sparsemax_loss(jnp.asarray(Z), jnp.asarray(Y))
  close(got, [np_sparsemax_loss(z, np.eye(5)[y]) for z, y in zip(Z, Y)], 1e-4)
  multi = (RNG.random((7, 5)) < 0.4).astype(np.float64)
  multi[0] = 0.0                         # nothing to predict: masked
  multi[1, :2] = 1.0
  q = multi / np.maximum(multi.sum(-1, keepdims=True), 1)
  expected = [0.0] + [np_sparsemax_loss(z, qq) for z, qq in zip(Z[1:], q[1:])]
  close(cls.sparsemax_loss(jnp.asarray(Z), jnp.asarray(multi, jnp.float32)), expected, 1e-4)
  # Gradient is sparsemax(z) - q; outputs are exactly sparse; loss is 0 iff sparsemax(z) = q.
  g = jax.grad(lambda z: cls.sparsemax_loss(z, jnp.asarray(Y)).sum())(jnp.asarray(Z))
  p = np.stack([np_sparsemax(z)[0] for z in Z])
  close(g, p - np.eye(5)[Y], 1e-5)
  out = np.asarray(cls.sparsemax(jnp.asarray(Z * 3)))
  assert np.any(out == 0.0) and np.allclose(out.sum(-1), 1.0, atol=1e-6)
  sep = np.eye(5)[Y] * 10.0
  close(cls.sparsemax_loss(jnp.asarray(sep), jnp.asarray(Y)), np.zeros(7))


def test_ldam_margins_weights_and_loss():
  counts = np.array([1000, 100, 10, 1, 500])
  m = cls.ldam_margins(counts, max_margin=0.5)
  np.testing.assert_allclose(m, 0.5 * counts ** -0.25 / (1.0 ** -0.25), rtol=1e-6)
  assert m.max() == pytest.approx(0.5)
  s = 30.0
  shifted = s * (Z - np.eye(5)[Y] * m)
  close(cls.ldam(jnp.asarray(Z), jnp.asarray(Y), class_counts=counts), np_ce(shifted, Y), 1e-4)
  w = cls.class_balanced_weights(counts, beta=0.9999)
  eff = (1 - 0.9999) / (1 - 0.9999 ** counts)
  np.testing.assert_allclose(w, eff / eff.sum() * 5, rtol=1e-5)
  assert np.allclose(cls.class_balanced_weights(counts, beta=0.0), 1.0)
  before = cls.drw_weights(counts, jnp.int32(9), start_step=10)
  after = cls.drw_weights(counts, jnp.int32(10), start_step=10)
  close(before, np.ones(5))
  close(after, w)
  kw = dict(class_counts=counts, drw_start_step=10)
  close(cls.ldam_drw(jnp.asarray(Z), jnp.asarray(Y), step=jnp.int32(3), **kw),
        cls.ldam(jnp.asarray(Z), jnp.asarray(Y), class_counts=counts))
  close(cls.ldam_drw(jnp.asarray(Z), jnp.asarray(Y), step=jnp.int32(10), **kw),
        np_ce(shifted, Y) * w[Y], 1e-4)
  close(cls.cross_entropy_drw(jnp.asarray(Z), jnp.asarray(Y), step=jnp.int32(10), **kw), np_ce(Z, Y) * w[Y])
  with pytest.raises(ValueError, match="class_counts"):
    cls.ldam(jnp.asarray(Z), jnp.asarray(Y), class_counts=counts[:3])
  # The trainer may pass class_counts (and step) as traced jit arguments.
  traced = jax.jit(lambda z, c, s: cls.ldam_drw(z, jnp.asarray(Y), class_counts=c, step=s, drw_start_step=10))
  close(traced(jnp.asarray(Z), jnp.asarray(counts, jnp.float32), jnp.int32(10)), np_ce(shifted, Y) * w[Y], 1e-4)


def _authors_ldam_drw(z, y, counts, epoch, *, drw_epoch=160, max_m=0.5, s=30.0, ldam=True):
  """NumPy transliteration of github.com/kaidic/LDAM-DRW (losses.py LDAMLoss.forward; cifar_train.py
  train_rule='DRW': betas [0, 0.9999] indexed by epoch // 160), float64. Returns the batch loss of
  F.cross_entropy(s * output, target, weight=per_cls_weights): the weighted mean
  sum_i w_{y_i} l_i / sum_i w_{y_i}."""
  beta = [0.0, 0.9999][epoch // drw_epoch]
  w = (1.0 - beta) / (1.0 - np.power(beta, counts))
  w = w / w.sum() * len(counts)
  if ldam:
    m = 1.0 / np.sqrt(np.sqrt(counts))
    m = m * (max_m / m.max())
    onehot = np.eye(len(counts))[y].astype(bool)
    z = s * np.where(onehot, z - m[y][:, None], z)
  per = np_ce(z, y)
  return (w[y] * per).sum() / w[y].sum(), w


@pytest.mark.parametrize("epoch", [0, 159, 160, 199])
def test_ldam_drw_matches_the_authors_code(epoch):
  # lbrl returns per-example w_y * loss (its reduction is a plain mean); the authors' PyTorch mean divides
  # by the batch's summed weights. With the same per-example values the two agree exactly.
  counts = np.array([5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50])  # CIFAR-10-LT ratio 100
  rng = np.random.default_rng(epoch)
  cos = np.tanh(rng.normal(size=(64, 10)))                               # cosine-head outputs
  y = rng.integers(0, 10, size=64)
  for name, is_ldam in (("ldam_drw", True), ("cross_entropy_drw", False)):
    want, w = _authors_ldam_drw(cos, y, counts, epoch, ldam=is_ldam)
    kw = dict(class_counts=counts, step=jnp.int32(epoch), drw_start_step=160)
    if is_ldam:
      kw.update(max_margin=0.5, scale=30.0)
    got = np.asarray(LOSSES.get(name)(jnp.asarray(cos, jnp.float32), jnp.asarray(y), **kw), np.float64)
    close(got.sum() / w[y].sum(), want, 1e-4)
    if epoch < 160:   # DRW's first stage (beta = 0) is unweighted: a plain mean, as lbrl's
      np.testing.assert_allclose(w, 1.0)
      close(got.mean(), want, 1e-4)


def np_softplus(x):
  return np.logaddexp(0, x)


def test_ovr_and_sovr_selection():
  onehot = np.eye(5)[Y]
  ovr = (np_softplus(-Z) * onehot + np_softplus(Z) * (1 - onehot)).sum(-1)
  close(cls.one_vs_rest(jnp.asarray(Z), jnp.asarray(Y)), ovr)
  margin = Z[np.arange(7), Y] - np.where(onehot > 0, -np.inf, Z).max(-1)
  for frac in (0.0, 0.3, 0.5, 1.0):
    k = int(np.floor(frac * 7))
    use = np.zeros(7, bool)
    use[np.argsort(margin)[:k]] = True
    close(cls.sovr(jnp.asarray(Z), jnp.asarray(Y), fraction=frac), np.where(use, ovr, np_ce(Z, Y)))


def test_sovr_ranks_only_kept_examples():
  # Masked examples (where=False or an out-of-range label) are neither ranked nor counted: with the
  # smallest-margin example masked, floor(fraction * n_kept) of the remaining ones switch to OVR.
  onehot = np.eye(5)[Y]
  ovr = (np_softplus(-Z) * onehot + np_softplus(Z) * (1 - onehot)).sum(-1)
  margin = Z[np.arange(7), Y] - np.where(onehot > 0, -np.inf, Z).max(-1)
  order = np.argsort(margin)
  where = np.ones(7, bool)
  where[order[0]] = False
  labels = Y.copy()
  labels[order[1]] = 5                      # out of range: ignored
  kept = where & (labels < 5)
  frac = 0.5
  use = np.zeros(7, bool)
  use[[i for i in order if kept[i]][:int(np.floor(frac * kept.sum()))]] = True
  want = np.where(kept, np.where(use, ovr, np_ce(Z, Y)), 0.0)
  close(cls.sovr(jnp.asarray(Z), jnp.asarray(labels), fraction=frac, where=jnp.asarray(where)), want)


def _margin_after(loss, steps, lr=1.0):
  """Gradient descent on free two-class logits from 0 (the paper's simple problem, reconstructed)."""
  z = np.zeros(2)
  for _ in range(steps):
    p = np.exp(z - np.logaddexp(z[0], z[1]))
    if loss == "ce":
      g = p - np.array([1.0, 0.0])
    else:
      s = 1 / (1 + np.exp(-z))
      g = np.array([s[0] - 1.0, s[1]])
    z = z - lr * g
  return z[0] - z[1]


def test_ovr_margin_approaches_twice_cross_entropy_margin():
  # CE: m' = 2 / (1 + e^m) -> m ~ log(2t); OVR: each logit moves like log t -> m ~ 2 log t.
  ratios = [_margin_after("ovr", t) / _margin_after("ce", t) for t in (100, 10000)]
  assert 1.5 < ratios[0] < ratios[1] < 2.0
  assert ratios[1] > 1.75


def test_stablemax():
  def s(x):
    return np.where(x >= 0, x + 1, 1 / (1 - np.minimum(x, 0)))
  sm = s(Z) / s(Z).sum(-1, keepdims=True)
  close(cls.stablemax(jnp.asarray(Z)), sm)
  close(cls.stablemax_cross_entropy(jnp.asarray(Z), jnp.asarray(Y)), -np.log(sm[np.arange(7), Y]))
  # s is continuous with a continuous first derivative at 0 (value 1, slope 1 from both sides).
  e = 1e-4
  g = jax.grad(lambda x: cls._stable_s(x))
  assert float(g(jnp.float32(e))) == pytest.approx(1.0, abs=1e-3)
  assert float(g(jnp.float32(-e))) == pytest.approx(1.0, abs=1e-3)


def test_stablemax_cross_entropy_stays_accurate_when_the_label_dominates():
  # p_y -> 1: float64 NumPy -log p_y = log1p(sum_{j != y} s_j / s_y) and its gradient in z. The naive
  # float32 log s_y - log sum s rounds both to 0 from z_y ~ 1e8 (the absorption behind Softmax Collapse).
  def s(x):
    return np.where(x >= 0, x + 1, 1 / (1 - np.minimum(x, 0)))

  def ds(x):
    return np.where(x >= 0, 1.0, 1 / (1 - np.minimum(x, 0)) ** 2)

  z = RNG.normal(size=(4, 113)) * 3.0
  y = np.array([5, 17, 17, 100])
  for big in (1e4, 1e8, 1e12):
    zb = z.copy()
    zb[np.arange(4), y] = big
    zb[2, 3] = big / 2            # a second large logit: label still the largest
    zb = zb.astype(np.float32).astype(np.float64)
    sy = s(zb[np.arange(4), y])
    rest = s(zb).sum(-1) - sy
    ref = np.log1p(rest / sy)
    # d(-log p_y)/dz_j = s'(z_j) / S for j != y, and -s'(z_y) rest / (s_y S) for j = y.
    total = sy + rest
    g_ref = ds(zb) / total[:, None]
    g_ref[np.arange(4), y] = -ds(zb[np.arange(4), y]) * rest / (sy * total)
    f = lambda q: cls.stablemax_cross_entropy(q, jnp.asarray(y))
    zj = jnp.asarray(zb, jnp.float32)
    np.testing.assert_allclose(np.asarray(f(zj), np.float64), ref, rtol=2e-5)
    np.testing.assert_allclose(np.asarray(jax.grad(lambda q: f(q).sum())(zj), np.float64), g_ref, rtol=2e-4,
                               atol=1e-30)
    # a label that is not the largest logit: the loss is large and also matches
    other = np.array([0, 1, 3, 2])
    sk = s(zb[np.arange(4), other])
    close(cls.stablemax_cross_entropy(zj, jnp.asarray(other)), np.log(s(zb).sum(-1) / sk), 1e-5)


def test_harmonic_loss_formula_and_scale_invariance():
  d = np.abs(Z) + 0.1
  for n in (1.0, 3.0):
    p = d ** -n / (d ** -n).sum(-1, keepdims=True)
    close(cls.harmonic_loss(jnp.asarray(d), jnp.asarray(Y), exponent=n), -np.log(p[np.arange(7), Y]), 1e-4)
    close(cls.harmonic_probabilities(jnp.asarray(d), exponent=n), p, 1e-5)
  close(cls.harmonic_loss(jnp.asarray(-np.log(d)), jnp.asarray(Y), exponent=3.0, inputs="neg_log_distances"),
        cls.harmonic_loss(jnp.asarray(d), jnp.asarray(Y), exponent=3.0), 1e-5)
  base = cls.harmonic_loss(jnp.asarray(d), jnp.asarray(Y), exponent=2.0)
  close(cls.harmonic_loss(jnp.asarray(d * 37.0), jnp.asarray(Y), exponent=2.0), base, 1e-4)


@pytest.mark.parametrize("fn,kw", [
    (cls.poly1_cross_entropy, {}), (cls.squentropy, {}), (cls.spherical_zloss, {"a": 1.0, "b": 1.0}),
    (cls.sparsemax_loss, {}), (cls.ldam, {"class_counts": np.arange(1, 6), "scale": 2.0}),
    (cls.one_vs_rest, {}), (cls.stablemax_cross_entropy, {}), (cls.softmax_focal, {}),
])
def test_check_grads(fn, kw):
  with jax.enable_x64(True):
    z = jnp.asarray(Z[:3] + 0.01)          # away from stablemax's / sparsemax's kinks
    check_grads(lambda x: fn(x, jnp.asarray(Y[:3]), **kw), (z,), order=1, modes=("rev",), atol=1e-5,
                rtol=1e-5)


def test_check_grads_harmonic():
  with jax.enable_x64(True):
    check_grads(lambda x: cls.harmonic_loss(x, jnp.asarray(Y[:3]), exponent=2.0),
                (jnp.asarray(np.abs(Z[:3]) + 0.5),), order=1, modes=("rev",), atol=1e-5, rtol=1e-5)


def test_check_labels_under_checkify():
  def f(z, y):
    cls.check_labels(y, 5)
    return cls.cross_entropy(z, y).sum()
  checked = checkify.checkify(jax.jit(f))
  err, out = checked(jnp.asarray(Z), jnp.asarray(Y))
  err.throw()                                   # in range: no error
  bad = Y.copy()
  bad[3] = 12
  err, out = checked(jnp.asarray(Z), jnp.asarray(bad))
  with pytest.raises(Exception, match=r"labels.flat\[3\] = 12"):
    err.throw()
  assert np.isfinite(float(out))                # and without the check it is masked, not read OOB
  ignored = Y.copy()
  ignored[0] = -1
  err, _ = checkify.checkify(lambda y: cls.check_labels(y, 5, ignore_index=-1))(jnp.asarray(ignored))
  err.throw()


def test_eval_metrics():
  from lbrl import metrics
  z = np.array([[3.0, 1.0, 0.0], [0.0, 2.0, 5.0]])
  y = np.array([0, 1])
  got = metrics.compute(["mean_logit_margin", "median_logit_margin"], z, y)
  assert got["mean_logit_margin"] == pytest.approx(-0.5) and got["median_logit_margin"] == pytest.approx(-0.5)
  tok = np.full((3, 14), -5.0)
  tok[0, 7] = tok[1, 2] = tok[2, 12] = 5.0      # digits 7 (label 3) and 2 (label 2); row 2 is not a digit
  assert metrics.compute(["digit_abs_error"], tok, np.array([3, 2, 13]))["digit_abs_error"] == pytest.approx(2.0)
