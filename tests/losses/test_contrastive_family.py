"""The CON family's paper losses added in issue 16's second pass, against float64 NumPy transcriptions
written from the papers (and the authors' code where released)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.losses import contrastive as C


def _softmax(x, axis=-1):
  e = np.exp(x - x.max(axis, keepdims=True))
  return e / e.sum(axis, keepdims=True)


def _cos(a, b):
  a = a / np.linalg.norm(a, axis=-1, keepdims=True)
  b = b / np.linalg.norm(b, axis=-1, keepdims=True)
  return a @ b.T


# ------------------------------------------------------------------------------------ I-Con clustering


def np_i_con_cluster(logits, alpha):
  """The authors' UniformCluster kernel and LeakKernel (ICon repository), loops in float64."""
  b, v, c = logits.shape
  phi = _softmax(logits.reshape(b * v, c).astype(np.float64))
  n = b * v
  size = phi.sum(0)
  out = np.zeros(n)
  for i in range(n):
    q = np.array([np.sum(phi[i] * phi[j] / size) for j in range(n)])
    pos = [j for j in range(n) if j != i and j // v == i // v]
    p = np.full(n, alpha / n)
    p[pos] += (1 - alpha) / len(pos)
    m = p > 0
    out[i] = np.sum(p[m] * (np.log(p[m]) - np.log(q[m])))
  return out.reshape(b, v).mean(1)


@pytest.mark.parametrize("alpha", [0.0, 0.3])
def test_i_con_cluster_matches_transcription(alpha):
  z = np.random.default_rng(0).standard_normal((6, 2, 4)) * 2
  got = C.i_con_cluster(jnp.asarray(z, jnp.float32), debias=alpha)
  np.testing.assert_allclose(np.asarray(got), np_i_con_cluster(z, alpha), rtol=2e-5, atol=1e-5)


def test_i_con_cluster_rows_are_distributions_and_mask():
  z = np.random.default_rng(1).standard_normal((5, 2, 3))
  where = np.array([1, 1, 0, 1, 1], bool)
  got = C.i_con_cluster(jnp.asarray(z, jnp.float32), debias=0.2, where=where)
  keep = np.flatnonzero(where)
  np.testing.assert_allclose(np.asarray(got)[keep], np_i_con_cluster(z[keep], 0.2), rtol=2e-5, atol=1e-5)
  assert float(got[2]) == 0.0
  with pytest.raises(ValueError, match="debias"):
    C.i_con_cluster(jnp.asarray(z), debias=1.0)


def _n(a):
  return a / np.linalg.norm(a, axis=-1, keepdims=True)


def _lse(x):
  m = x.max()
  return m + np.log(np.exp(x - m).sum())


# ------------------------------------------------------------------------------------------ Sy-CON


def np_sy_con(z, p, f, t_base, t):
  """SimCLR(z) + the authors' plasticity/stability index sets (PNR repository), per anchor loops."""
  b = z.shape[0]
  zz, pp, ff = (_n(a.reshape(2 * b, -1).astype(np.float64)) for a in (z, p, f))
  n = 2 * b
  out = np.zeros(n)
  for a in range(n):
    part = a ^ 1
    others = [k for k in range(n) if k != a]
    base = -(zz[a] @ zz[part] / t_base - _lse(np.array([zz[a] @ zz[k] / t_base for k in others])))
    den1 = np.array([zz[a] @ zz[k] / t for k in others] + [zz[a] @ ff[k] / t for k in others])
    l1 = -(zz[a] @ zz[part] / t - _lse(den1))
    den2 = np.array([pp[a] @ ff[k] / t for k in others] + [pp[a] @ zz[k] / t for k in others])
    l2 = -(pp[a] @ ff[a] / t - _lse(den2))
    out[a] = base + l1 + l2
  return out.reshape(b, 2).mean(1)


def test_sy_con_matches_transcription():
  r = np.random.default_rng(2)
  z, p, f = (r.standard_normal((5, 2, 4)) for _ in range(3))
  got = C.sy_con({"embeddings": jnp.asarray(z, jnp.float32), "predictions": jnp.asarray(p, jnp.float32)},
                 teacher_outputs=jnp.asarray(f, jnp.float32), temperature=0.5, distill_temperature=0.2)
  np.testing.assert_allclose(np.asarray(got), np_sy_con(z, p, f, 0.5, 0.2), rtol=2e-5, atol=1e-5)
  with pytest.raises(ValueError, match="predictions"):
    C.sy_con(jnp.asarray(z, jnp.float32), teacher_outputs=jnp.asarray(f, jnp.float32))


def test_sy_con_gradient_reaches_predictor_not_teacher():
  r = np.random.default_rng(3)
  z, p, f = (jnp.asarray(r.standard_normal((4, 2, 3)), jnp.float32) for _ in range(3))
  gz, gp, gf = jax.grad(lambda z, p, f: jnp.mean(C.sy_con({"embeddings": z, "predictions": p}, teacher_outputs=f)),
                        argnums=(0, 1, 2))(z, p, f)
  assert float(jnp.abs(gp).sum()) > 0 and float(jnp.abs(gz).sum()) > 0 and float(jnp.abs(gf).sum()) == 0


# ------------------------------------------------------------------------------------------ Radical


def np_radical(z, k, t, w, rescale):
  b = z.shape[0]
  q1, q2 = _n(z[:, 0]), _n(z[:, 1])
  q = _n(z.mean(1))
  kk = _n(k.mean(1)) if k.ndim == 3 else _n(k)
  ce = lambda logits, i: _lse(logits[i]) - logits[i, i]
  cross = np.array([ce(q @ kk.T / t, i) for i in range(b)])
  s = q1 @ q2.T / t
  intra = np.array([(ce(s, i) + ce(s.T, i)) / 2 for i in range(b)])
  tot = cross + w * intra
  return tot * (cross.mean() / tot.mean()) if rescale else tot


@pytest.mark.parametrize("rescale", [True, False])
def test_radical_matches_transcription(rescale):
  r = np.random.default_rng(4)
  z, k = r.standard_normal((6, 2, 5)), r.standard_normal((6, 3, 5))
  got = C.radical(jnp.asarray(z, jnp.float32), teacher_outputs=jnp.asarray(k, jnp.float32), temperature=0.2,
                  intra_weight=0.5, rescale=rescale)
  np.testing.assert_allclose(np.asarray(got), np_radical(z, k, 0.2, 0.5, rescale), rtol=2e-5, atol=1e-5)
  with pytest.raises(ValueError, match="dim"):
    C.radical(jnp.asarray(z, jnp.float32), teacher_outputs=jnp.ones((6, 4)))


# ------------------------------------------------------------------------------------------- SECLA


def np_secla(fa, na, fm, nm, t):
  fa, na = _n(fa), _n(na)
  b = fa.shape[0]
  out = np.zeros(b)
  for i in range(b):
    for q_emb, q_mask, k_emb, k_mask in ((fa, fm, na, nm), (na, nm, fa, fm)):
      ls = []
      for qi in np.flatnonzero(q_mask[i]):
        own = [q_emb[i, qi] @ k_emb[i, kj] / t for kj in np.flatnonzero(k_mask[i])]
        neg = [q_emb[i, qi] @ k_emb[c, kj] / t for c in range(b) if c != i for kj in np.flatnonzero(k_mask[c])]
        pos = max(own)
        ls.append(_lse(np.array([pos] + neg)) - pos)
      out[i] += np.mean(ls)
  return out


def test_secla_matches_transcription_with_masks():
  r = np.random.default_rng(5)
  fa, na = r.standard_normal((4, 3, 6)), r.standard_normal((4, 2, 6))
  fm = np.array([[1, 1, 0], [1, 0, 0], [1, 1, 1], [1, 1, 0]], bool)
  nm = np.array([[1, 1], [1, 0], [1, 1], [0, 1]], bool)
  got = C.secla({"faces": jnp.asarray(fa, jnp.float32), "names": jnp.asarray(na, jnp.float32), "face_mask": fm,
                 "name_mask": nm}, temperature=0.3)
  np.testing.assert_allclose(np.asarray(got), np_secla(fa, na, fm, nm, 0.3), rtol=2e-5, atol=1e-5)
  assign = C.secla_assign(fa, na, nm)
  assert assign.shape == (4, 3) and int(assign[3, 0]) == 1    # pair 3 has only name slot 1


def test_secla_aligns_true_pairs_on_a_synthetic_bag_task():
  """The mechanism: faces of identity c and names of identity c are random vectors; captions list the
  names of the faces present. A linear map trained with SECLA on bags recovers the true face-name pairs."""
  r = np.random.default_rng(0)
  ids, d = 12, 8
  face_proto, name_vec = r.standard_normal((ids, d)), r.standard_normal((ids, d))
  members = np.stack([r.choice(ids, 2, replace=False) for _ in range(64)])
  faces = face_proto[members] + 0.1 * r.standard_normal((64, 2, d))
  names = name_vec[members[:, ::-1]]                  # caption order unrelated to face order
  w0 = jnp.eye(d) + 0.01 * jnp.asarray(r.standard_normal((d, d)))

  def loss(w):
    return jnp.mean(C.secla({"faces": jnp.asarray(faces) @ w, "names": jnp.asarray(names)}, temperature=0.2))

  w = w0
  g = jax.jit(jax.grad(loss))
  for _ in range(300):
    w = w - 0.5 * g(w)
  pred = np.asarray(C.secla_assign(jnp.asarray(faces) @ w, names))
  truth = np.array([[1, 0]] * 64)                     # face 0 is named by caption slot 1
  assert (pred == truth).mean() > 0.9


# ---------------------------------------------------------------------------------- BYOL + CCSL/CSSL


def np_ccsl(q, t, weight, thr, kind, temp):
  b = q.shape[0]
  qn, tn = _n(q), _n(t)
  byol = (2 - 2 * np.sum(qn[:, 0] * tn[:, 1], -1)) + (2 - 2 * np.sum(qn[:, 1] * tn[:, 0], -1))
  tm = _n(tn.mean(1))
  out = np.zeros(b)
  for i in range(b):
    sim = [j for j in range(b) if j != i and tm[i] @ tm[j] >= thr]
    cross = lambda j: 0.5 * (qn[i, 0] @ tn[j, 1] + qn[i, 1] @ tn[j, 0])
    if kind == "cosine":
      c = np.mean([2 - 2 * cross(j) for j in sim]) if sim else 0.0
    else:
      c = np.mean([np.log1p(np.exp(cross(j) / temp)) - (j in sim) * cross(j) / temp for j in range(b) if j != i])
    out[i] = byol[i] + weight * c
  return out


@pytest.mark.parametrize("kind", ["cosine", "sigmoid"])
def test_byol_ccsl_matches_transcription(kind):
  r = np.random.default_rng(6)
  base = r.standard_normal((6, 1, 4))
  q, t = base + 0.3 * r.standard_normal((6, 2, 4)), base + 0.3 * r.standard_normal((6, 2, 4))
  t[3:] = t[3:] * 0 + t[3:4] + 0.05 * r.standard_normal((3, 2, 4))     # rows 3-5 share a semantic
  got = C.byol_ccsl(jnp.asarray(q, jnp.float32), target_outputs=jnp.asarray(t, jnp.float32), weight=0.7,
                    threshold=0.8, kind=kind, temperature=0.5)
  np.testing.assert_allclose(np.asarray(got), np_ccsl(q, t, 0.7, 0.8, kind, 0.5), rtol=2e-5, atol=1e-5)
  with pytest.raises(ValueError, match="kind"):
    C.byol_ccsl(jnp.asarray(q), target_outputs=jnp.asarray(t), kind="l2")


# ------------------------------------------------------------------------------- Hard Patches Mining


def np_hpm(rec, tgt, mask, s, weight, relative):
  out = []
  for i in range(rec.shape[0]):
    e = ((rec[i] - tgt[i]) ** 2).mean(-1)
    ms = np.flatnonzero(mask[i])
    r = e[ms].mean()
    if relative:
      terms = []
      for a in ms:
        for c in ms:
          if e[c] > e[a]:
            terms.append(-np.log(1 / (1 + np.exp(-(s[i, c] - s[i, a])))))
          elif e[c] < e[a]:
            terms.append(-np.log(1 - 1 / (1 + np.exp(-(s[i, c] - s[i, a])))))
      lp = np.mean(terms)
    else:
      z = (e[ms] - e[ms].mean()) / np.sqrt(e[ms].var(ddof=1) + 1e-6)
      lp = np.mean((s[i, ms] - z) ** 2)
    out.append(r + weight * lp)
  return np.array(out)


@pytest.mark.parametrize("relative", [True, False])
def test_hpm_matches_transcription(relative):
  r = np.random.default_rng(7)
  rec, tgt, s = r.standard_normal((3, 6, 4)), r.standard_normal((3, 6, 4)), r.standard_normal((3, 6))
  mask = r.random((3, 6)) < 0.6
  mask[:, 0] = mask[:, 1] = True
  got = C.hpm({"reconstruction": jnp.asarray(rec, jnp.float32), "target": jnp.asarray(tgt, jnp.float32),
               "mask": mask, "loss_prediction": jnp.asarray(s, jnp.float32)}, weight=0.5, relative=relative)
  np.testing.assert_allclose(np.asarray(got), np_hpm(rec, tgt, mask, s, 0.5, relative), rtol=2e-5, atol=1e-5)
  with pytest.raises(ValueError, match="HardPatchesMAE"):
    C.hpm(jnp.ones((3, 2, 4)))


# ------------------------------------------------------------------------------------------ G-SimCLR


def test_ntxent_exclude_same_label_drops_only_same_label_negatives():
  r = np.random.default_rng(8)
  z, lab = r.standard_normal((6, 2, 4)), np.array([0, 1, 0, 2, 1, 0])
  zf = _n(z.reshape(12, 4))
  s = zf @ zf.T / 0.3
  owner, labv = np.repeat(np.arange(6), 2), np.repeat(lab, 2)
  want = np.zeros(12)
  for a in range(12):
    negs = [k for k in range(12) if owner[k] != owner[a] and labv[k] != labv[a]]
    p = a ^ 1
    want[a] = -(s[a, p] - _lse(s[a, [p] + negs]))
  got = C.ntxent(jnp.asarray(z, jnp.float32), jnp.asarray(lab), temperature=0.3, exclude_same_label=True)
  np.testing.assert_allclose(np.asarray(got), want.reshape(6, 2).mean(1), rtol=2e-5, atol=1e-5)
  with pytest.raises(ValueError, match="labels"):
    C.ntxent(jnp.asarray(z), exclude_same_label=True)


def test_gsimclr_sampler_batches_have_distinct_labels_and_match_the_mask():
  from lbrl.data import ssl_gsimclr
  lab = np.random.default_rng(9).integers(0, 5, 60)
  batches = ssl_gsimclr.distinct_label_batches(lab, 4, seed=0)
  assert batches and all(len(set(lab[b])) == 4 for b in batches)
  used = np.concatenate(batches)
  assert len(set(used.tolist())) == len(used)
  # in such a batch the exclusion mask removes nothing: plain NT-Xent equals the masked one
  z = jnp.asarray(np.random.default_rng(1).standard_normal((4, 2, 3)), jnp.float32)
  np.testing.assert_allclose(C.ntxent(z, jnp.asarray(lab[batches[0]]), exclude_same_label=True), C.ntxent(z),
                             rtol=1e-6)


def test_pseudo_labels_cluster_autoencoder_codes():
  from lbrl.data import core, ssl_gsimclr
  r = np.random.default_rng(0)
  centers = r.standard_normal((3, 12)) * 3
  y = np.repeat(np.arange(3), 40)
  x = (centers[y] + 0.3 * r.standard_normal((120, 12))).astype(np.float32)
  d = core.Dataset("toy", "train", {"x": x, "label": y.astype(np.int32)}, {"num_classes": 3})
  out = ssl_gsimclr.pseudo_labels(d, seed=0, hidden=(16, 4, 16), iters=300)
  assert (out.arrays["clean_label"] == y).all() and out.meta["pseudo_labels"]["cluster_purity"] > 0.9
  with pytest.raises(ValueError, match="odd"):
    ssl_gsimclr.dae_codes(x, seed=0, hidden=(8, 8))


def test_scatsimclr_is_ntxent_plus_pretext_ce():
  r = np.random.default_rng(10)
  z, logits, lab = r.standard_normal((4, 2, 5)), r.standard_normal((4, 2, 3)), r.integers(0, 3, (4, 2))
  got = C.scatsimclr({"embeddings": jnp.asarray(z, jnp.float32), "pretext_logits": jnp.asarray(logits, jnp.float32),
                      "pretext_labels": jnp.asarray(lab)}, temperature=0.4, pretext_weight=0.3)
  ce = np.array([[_lse(logits[i, v]) - logits[i, v, lab[i, v]] for v in range(2)] for i in range(4)]).mean(1)
  base = np.asarray(C.ntxent(jnp.asarray(z, jnp.float32), temperature=0.4))
  np.testing.assert_allclose(np.asarray(got), base + 0.3 * ce, rtol=2e-5, atol=1e-5)


# --------------------------------------------------------------------------------------------- CrIBo


def np_cribo(s, t, to, ts, tt, w):
  b, _, k, p = s.shape
  center = t.mean((0, 1, 2))
  sm = lambda a: _softmax(a)
  pt = sm((t - center) / tt)
  ls = np.log(sm(s / ts))
  on = to / np.linalg.norm(to, axis=-1, keepdims=True)
  out = np.zeros(b)
  for i in range(b):
    intra = np.mean([-(pt[i, 1 - v, kk] * ls[i, v, kk]).sum() for v in (0, 1) for kk in range(k)])
    cross = []
    for v in (0, 1):
      for kk in range(k):
        cands = [(j, l) for j in range(b) if j != i for l in range(k)]
        j, l = max(cands, key=lambda c: on[i, v, kk] @ on[c[0], v, c[1]])
        back = max([(a, c) for a in range(b) if a != j for c in range(k)],
                   key=lambda c: on[j, 1 - v, l] @ on[c[0], 1 - v, c[1]])
        if back == (i, kk):
          cross.append(-(pt[j, v, l] * ls[i, 1 - v, kk]).sum())
    out[i] = intra + w * (np.mean(cross) if cross else 0.0)
  return out


def test_cribo_matches_transcription():
  r = np.random.default_rng(11)
  base = r.standard_normal((5, 1, 3, 4))
  s, t = r.standard_normal((5, 2, 3, 6)), r.standard_normal((5, 2, 3, 6))
  to = base + 0.2 * r.standard_normal((5, 2, 3, 4))                  # the views' objects agree: some cycles hold
  got = C.cribo({"embeddings": jnp.asarray(s, jnp.float32), "objects": jnp.zeros((5, 2, 3, 4))},
                target_outputs={"embeddings": jnp.asarray(t, jnp.float32), "objects": jnp.asarray(to, jnp.float32)},
                student_temp=0.2, teacher_temp=0.1, cross_weight=0.7)
  np.testing.assert_allclose(np.asarray(got), np_cribo(s, t, to, 0.2, 0.1, 0.7), rtol=2e-5, atol=1e-5)
  assert not np.allclose(np_cribo(s, t, to, 0.2, 0.1, 0.7), np_cribo(s, t, to, 0.2, 0.1, 0.0))   # cycles kept
  with pytest.raises(ValueError, match="objects"):
    C.cribo(jnp.ones((5, 2, 3, 6)), target_outputs={"embeddings": jnp.ones((5, 2, 3, 6))})


# ---------------------------------------------------------------------------- DEXML, diffusion, text


def test_multilabel_softmax_and_precision_at_k_match_transcriptions():
  r = np.random.default_rng(12)
  s = r.standard_normal((5, 6))
  y = (r.random((5, 6)) < 0.4).astype(np.float32)
  y[0] = 0
  y[1, 2] = 1
  want = np.array([np.mean([_lse(s[i]) - s[i, p] for p in np.flatnonzero(y[i])]) if y[i].any() else 0.0
                   for i in range(5)])
  np.testing.assert_allclose(np.asarray(C.multilabel_softmax(jnp.asarray(s), jnp.asarray(y))), want, rtol=1e-5, atol=1e-6)
  # the decoupled softmax: every positive sees only the negatives (DEXML eq. 4)
  dec = np.array([np.mean([np.logaddexp(s[i, p], _lse(s[i][y[i] == 0])) - s[i, p] for p in np.flatnonzero(y[i])])
                  if y[i].any() else 0.0 for i in range(5)])
  np.testing.assert_allclose(np.asarray(C.decoupled_softmax(jnp.asarray(s), jnp.asarray(y))), dec, rtol=1e-5, atol=1e-6)
  for k in (1, 3):
    top = np.argsort(-s, 1)[:, :k]
    want_p = np.array([y[i, top[i]].mean() for i in range(5)])
    np.testing.assert_allclose(np.asarray(C.multilabel_precision_at_k(jnp.asarray(s), jnp.asarray(y), k=k)["p"]), want_p)
  with pytest.raises(ValueError, match="k must"):
    C.multilabel_precision_at_k(jnp.asarray(s), jnp.asarray(y), k=7)


def test_diffusion_dispersive_is_mse_plus_weighted_dispersive():
  r = np.random.default_rng(13)
  h, pred, eps = r.standard_normal((6, 5)), r.standard_normal((6, 4)), r.standard_normal((6, 4))
  out = {"embeddings": jnp.asarray(h, jnp.float32), "prediction": jnp.asarray(pred, jnp.float32),
         "noise": jnp.asarray(eps, jnp.float32)}
  d2 = ((h[:, None] - h[None]) ** 2).sum(-1)
  disp = _lse((-d2 / 0.5).ravel()) - np.log(36)                     # Wang & He eq. 6, i = j included
  want = ((pred - eps) ** 2).mean(1) + 0.3 * disp
  np.testing.assert_allclose(np.asarray(C.diffusion_dispersive(out, weight=0.3, tau=0.5)), want, rtol=2e-5, atol=1e-5)
  np.testing.assert_allclose(np.asarray(C.diffusion_dispersive(out, weight=0.0)), ((pred - eps) ** 2).mean(1), rtol=1e-5)


def test_latent_bootstrap_matches_transcription():
  r = np.random.default_rng(14)
  p, y, lg = r.standard_normal((3, 5, 4)), r.standard_normal((3, 5, 4)), r.standard_normal((3, 5, 7))
  tok, m = r.integers(0, 7, (3, 5)), r.random((3, 5)) < 0.5
  m[:, 0] = True
  out = {"embeddings": jnp.asarray(p, jnp.float32), "mlm_logits": jnp.asarray(lg, jnp.float32), "mask": m,
         "tokens": jnp.asarray(tok)}
  lat = np.array([((p[i] - y[i]) ** 2).mean(-1)[m[i]].mean() for i in range(3)])
  ce = np.array([np.mean([_lse(lg[i, t]) - lg[i, t, tok[i, t]] for t in np.flatnonzero(m[i])]) for i in range(3)])
  got = C.latent_bootstrap(out, target_outputs={"targets": jnp.asarray(y, jnp.float32)}, latent_weight=0.5, mlm_weight=2.0)
  np.testing.assert_allclose(np.asarray(got), 0.5 * lat + 2.0 * ce, rtol=2e-5, atol=1e-5)
  with pytest.raises(ValueError, match="target_outputs"):
    C.latent_bootstrap(out, latent_weight=1.0)
