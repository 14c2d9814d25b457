"""VQ-Logits head: logits scattered from the codebook, the codebook-level cross-entropy vs the naive one
on the V logits (float64 NumPy), the k-means construction, the parameter count."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.models.vq_head import (VQHead, code_log_mass, kmeans_codebook, vq_cross_entropy, vq_from_dense,
                                 vq_logits)


def numpy_ce(z, y):
  z = np.asarray(z, np.float64)
  m = z.max(-1, keepdims=True)
  lse = m[..., 0] + np.log(np.exp(z - m).sum(-1))
  return lse - np.take_along_axis(z, y[..., None], -1)[..., 0]


@pytest.mark.parametrize("with_bias", [False, True])
def test_codebook_cross_entropy_equals_the_vocabulary_one(with_bias):
  k = jax.random.split(jax.random.key(0), 4)
  v, kc, d = 50, 7, 12
  h = jax.random.normal(k[0], (3, 5, d))
  cb = jax.random.normal(k[1], (kc, d))
  assign = np.asarray(jax.random.randint(k[2], (v,), 0, kc - 1))    # code kc - 1 stays empty
  bias = jax.random.normal(k[3], (v,)) if with_bias else None
  y = np.asarray(jax.random.randint(k[2], (3, 5), 0, v))
  z = np.asarray(h, np.float64) @ np.asarray(cb, np.float64).T
  z = z[..., assign] + (0 if bias is None else np.asarray(bias, np.float64))
  np.testing.assert_allclose(np.asarray(vq_logits(h, cb, assign, bias)), z, rtol=1e-5, atol=1e-5)
  got = vq_cross_entropy(h, cb, assign, y, bias=bias)
  np.testing.assert_allclose(np.asarray(got), numpy_ce(z, y), rtol=1e-5, atol=1e-5)
  assert float(code_log_mass(assign, kc)[kc - 1]) == -np.inf
  # gradients agree with the naive path on the scattered logits
  naive = lambda h, cb, b: jnp.sum(jax.nn.logsumexp(vq_logits(h, cb, assign, b), -1)
                                   - jnp.take_along_axis(vq_logits(h, cb, assign, b), y[..., None], -1)[..., 0])
  fast = lambda h, cb, b: jnp.sum(vq_cross_entropy(h, cb, assign, y, bias=b))
  for a, b in zip(jax.grad(fast, (0, 1))(h, cb, bias), jax.grad(naive, (0, 1))(h, cb, bias)):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-5)


def test_head_parameters_and_kmeans_construction():
  v, d, kc = 65, 32, 8
  emb = np.random.default_rng(0).normal(size=(v, d))
  emb[:, 0] += 10 * (np.arange(v) % 4)           # 4 well separated groups
  codebook, assign = kmeans_codebook(emb, kc, seed=0)
  assert codebook.shape == (kc, d) and assign.shape == (v,) and set(assign) <= set(range(kc))
  for c in range(kc):                            # each centre is its cluster's mean
    np.testing.assert_allclose(codebook[c], emb[assign == c].mean(0), rtol=1e-4, atol=1e-4)
  assert len({tuple(sorted(set(assign[np.arange(v) % 4 == g]))) for g in range(4)}) == 4   # groups split apart
  head = VQHead(v, kc, assign=assign, codebook_init=codebook)
  var = head.init(jax.random.key(0), jnp.zeros((2, d)))
  n_params = sum(a.size for a in jax.tree.leaves(var["params"]))
  assert n_params == kc * d + v                  # K D + V instead of V D
  np.testing.assert_array_equal(np.asarray(var["vq"]["assign"]), assign)
  h = jnp.ones((2, d))
  np.testing.assert_allclose(np.asarray(head.apply(var, h)), np.asarray(h @ codebook.T)[:, assign], rtol=1e-5)
  with pytest.raises(ValueError, match="num_codes"):
    VQHead(v, v + 1).init(jax.random.key(0), h)
  with pytest.raises(ValueError, match="num_codes"):
    kmeans_codebook(emb, 0)
  with pytest.raises(ValueError, match="labels must have shape"):
    vq_cross_entropy(h, codebook, assign, jnp.zeros(3, jnp.int32))


def test_transformer_lm_vq_head_is_selectable_and_composes_with_the_fused_ce():
  from lbrl.kernels import linear_cross_entropy
  from lbrl.models.transformer import TransformerLM
  m = TransformerLM(vocab_size=65, num_layers=1, num_heads=2, width=16, head="vq", vq_codes=8)
  x = jnp.arange(12, dtype=jnp.int32).reshape(2, 6) % 65
  var = m.init(jax.random.key(0), x)
  assert var["params"]["vq_head"]["codebook"].shape == (8, 16) and "unembed" not in var["params"]
  logits = m.apply(var, x)
  h, w = m.apply(var, x, return_hidden=True)
  np.testing.assert_allclose(np.asarray(logits), np.asarray(h @ w.T), rtol=1e-5, atol=1e-6)
  y = (x + 1) % 65
  want = numpy_ce(np.asarray(logits), np.asarray(y))
  np.testing.assert_allclose(np.asarray(linear_cross_entropy(h, w, y)), want, rtol=1e-5, atol=1e-5)
  vq = var["params"]["vq_head"]
  np.testing.assert_allclose(np.asarray(vq_cross_entropy(h, vq["codebook"], var["vq"]["vq_head"]["assign"], y)), want,
                             rtol=1e-5, atol=1e-5)
  with pytest.raises(ValueError, match="head must be"):
    TransformerLM(vocab_size=65, num_layers=1, num_heads=2, width=16, head="tied").init(jax.random.key(0), x)


def numpy_lloyd(x, centres, iters=300):
  """Float64 Lloyd's k-means from given centres (the transcription the sklearn call is checked against)."""
  x, c = np.asarray(x, np.float64), np.array(centres, np.float64)
  for _ in range(iters):
    labels = ((x[:, None, :] - c[None]) ** 2).sum(-1).argmin(1)
    new = np.stack([x[labels == k].mean(0) if (labels == k).any() else c[k] for k in range(len(c))])
    if np.allclose(new, c, rtol=0, atol=1e-12):
      break
    c = new
  return c, labels


def test_kmeans_from_fixed_centres_equals_numpy_lloyd():
  rows = np.random.default_rng(1).normal(size=(65, 12))
  init = rows[:6]
  codebook, assign = kmeans_codebook(rows, 6, init=init)
  want_c, want_a = numpy_lloyd(rows, init)
  np.testing.assert_array_equal(assign, want_a)
  np.testing.assert_allclose(codebook, want_c, rtol=1e-5, atol=1e-6)
  with pytest.raises(ValueError, match="init centres"):
    kmeans_codebook(rows, 6, init=rows[:5])


SMALL = dict(name="transformer_lm", vocab_size=40, num_layers=1, num_heads=2, width=16, max_len=8,
             tie_embeddings=False)


def _lm(fields):
  from lbrl.models.transformer import TransformerLM
  return TransformerLM(**{k: v for k, v in fields.items() if k != "name"})


@pytest.mark.parametrize("token_bias", [False, True])
def test_vq_from_dense_clusters_the_unembedding_and_scatters_the_codebook_logits(token_bias):
  """The paper's construction: k-means of the trained (here: planted) unembedding rows; the VQ model keeps the
  trunk, so its logits are the dense model's hidden states against the centres, scattered by the map."""
  dense, x = _lm(SMALL), jnp.arange(16, dtype=jnp.int32).reshape(2, 8)
  params = dict(dense.init(jax.random.key(0), x)["params"])
  groups = np.arange(40) % 5                               # 5 well separated groups of unembedding rows
  rng = np.random.default_rng(0)
  rows = 4.0 * rng.normal(size=(5, 16))[groups] + 0.01 * rng.normal(size=(40, 16))
  params["unembed"] = jnp.asarray(rows, jnp.float32)
  target = dict(SMALL, head="vq", vq_codes=5, vq_token_bias=token_bias, vq_assign="params")
  out = vq_from_dense(params, source=SMALL, target=target, key=jax.random.key(3))
  assign, codebook = np.asarray(out["vq_head"]["assign"]).astype(int), np.asarray(out["vq_head"]["codebook"])
  assert "unembed" not in out and out["vq_head"]["assign"].dtype == jnp.float32
  # the partition is the planted one and each centre is its cluster's float64 mean
  assert sorted(map(tuple, {tuple(np.flatnonzero(assign == k)) for k in range(5)})) == \
      sorted(tuple(np.flatnonzero(groups == g)) for g in range(5))
  for k in range(5):
    np.testing.assert_allclose(codebook[k], rows[assign == k].mean(0), rtol=1e-5, atol=1e-5)
  vq = _lm(target)
  shapes = jax.tree.map(np.shape, vq.init(jax.random.key(1), x)["params"])
  assert jax.tree.map(np.shape, out) == shapes
  h, _ = dense.apply({"params": params}, x, return_hidden=True)
  want = (np.asarray(h, np.float64) @ codebook.T.astype(np.float64))[..., assign]
  np.testing.assert_allclose(np.asarray(vq.apply({"params": out}, x)), want, rtol=1e-4, atol=1e-5)
  # the map gets no gradient (the config also freezes it against weight decay)
  g = jax.grad(lambda p: jnp.sum(vq.apply({"params": p}, x) ** 2))(out)
  assert not np.any(np.asarray(g["vq_head"]["assign"]))
  with pytest.raises(ValueError, match="vq_assign='params'"):
    vq_from_dense(params, source=SMALL, target=dict(target, vq_assign="state"), key=jax.random.key(3))
  with pytest.raises(ValueError, match="head='dense'"):
    vq_from_dense(params, source=target, target=target, key=jax.random.key(3))
