"""The CON family's models (issue 16, second pass): the hard-patches MAE's patching and loss-guided
masks against NumPy, its step counter and its training/feature calls."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.models import ssl_mim


def test_patchify_matches_numpy_1d_and_2d():
  x1 = np.arange(2 * 12, dtype=np.float32).reshape(2, 12)
  np.testing.assert_array_equal(np.asarray(ssl_mim.patchify(x1, 4, 1)), x1.reshape(2, 3, 4))
  x2 = np.random.default_rng(0).standard_normal((2, 4, 6)).astype(np.float32)
  got = np.asarray(ssl_mim.patchify(x2, 2, 2))
  want = np.stack([np.stack([x2[b, i:i + 2, j:j + 2].reshape(-1) for i in range(0, 4, 2) for j in range(0, 6, 2)])
                   for b in range(2)])
  np.testing.assert_allclose(got, want)
  with pytest.raises(ValueError, match="divisible"):
    ssl_mim.patchify(x1, 5, 1)


def test_guided_mask_takes_the_hardest_then_random():
  r = np.random.default_rng(1)
  scores, noise = r.standard_normal((4, 10)), r.random((4, 10))
  for hard in (0, 3, 6):
    m = np.asarray(ssl_mim.guided_mask(jnp.asarray(scores), jnp.asarray(noise), 6, hard))
    for i in range(4):
      top = np.argsort(-scores[i])[:hard]
      rest = [j for j in np.argsort(-noise[i]) if j not in top][:6 - hard]
      assert set(np.flatnonzero(m[i])) == set(top) | set(rest)


def test_hpm_model_counts_steps_and_masks_the_ratio():
  m = ssl_mim.HardPatchesMAE(patch=4, width=16, depth=1, num_heads=2, schedule_steps=4)
  x = jnp.asarray(np.random.default_rng(2).standard_normal((3, 40)), jnp.float32)
  v = m.init({"params": jax.random.key(0), "dropout": jax.random.key(1)}, x, return_embeddings=True)
  state = {"hpm": v["hpm"]}
  for k in range(3):
    out, state = m.apply({"params": v["params"], **state}, x, train=True, return_embeddings=True,
                         rngs={"dropout": jax.random.key(k)}, mutable=["hpm"])
  assert int(state["hpm"]["step"]) == 3
  assert out["mask"].shape == (3, 10) and (np.asarray(out["mask"]).sum(1) == 8).all()   # round(10 * 0.75)
  assert m.apply(v, x, return_features=True).shape == (3, 16)
  with pytest.raises(ValueError, match="hard_masking"):
    ssl_mim.HardPatchesMAE(learn_loss=False).init(jax.random.key(0), x, return_embeddings=True)


# -------------------------------------------------------------------------------------- ScatSimCLR


def np_scattering(x, J, Q):
  """Time-domain circular convolutions (float64) with the filters' impulse responses."""
  from lbrl.models.ssl_scatter import morlet_filters
  n = x.shape[-1]
  psi_hat, phi_hat = morlet_filters(n, J, Q)
  psi, phi = np.fft.ifft(psi_hat), np.real(np.fft.ifft(phi_hat))
  conv = lambda a, h: np.array([sum(a[m] * h[(t - m) % n] for m in range(n)) for t in range(n)])
  s = max(2 ** J // 2, 1)
  out = [np.real(conv(x, phi))[::s]]
  u1 = [np.abs(conv(x, psi[j])) for j in range(J * Q)]
  out += [np.real(conv(u, phi))[::s] for u in u1]
  for j in range(J * Q):
    for k in range(J * Q):
      if k >= j + Q:
        out.append(np.real(conv(np.abs(conv(u1[j], psi[k])), phi))[::s])
  return np.stack(out)


def test_scattering_matches_time_domain_transcription_and_is_shift_stable():
  from lbrl.models.ssl_scatter import scattering1d
  x = np.random.default_rng(3).standard_normal(16)
  got = np.asarray(scattering1d(jnp.asarray(x[None], jnp.float32), J=2, Q=1))[0]
  np.testing.assert_allclose(got, np_scattering(x, 2, 1), rtol=1e-4, atol=1e-4)
  sig = np.sin(np.linspace(0, 6 * np.pi, 40)) * np.exp(-np.linspace(-2, 2, 40) ** 2)
  s0 = np.asarray(scattering1d(jnp.asarray(sig[None], jnp.float32)))[0, 1:]
  s1 = np.asarray(scattering1d(jnp.asarray(np.roll(sig, 1)[None], jnp.float32)))[0, 1:]
  # the first-order moduli vary far less under a one-sample shift than the signal itself
  assert np.linalg.norm(s1 - s0) / np.linalg.norm(s0) < 0.5 * np.linalg.norm(np.roll(sig, 1) - sig) / np.linalg.norm(sig)


def test_scatsimclr_jigsaw_labels_and_outputs():
  from lbrl.models.ssl_scatter import ScatSimCLR, jigsaw_permutations
  perms = jigsaw_permutations(4, 6)
  assert (perms[0] == np.arange(4)).all() and len({tuple(p) for p in perms}) == 6
  m = ScatSimCLR(adapter=(16,), projector=(16, 8))
  x = jnp.asarray(np.random.default_rng(4).standard_normal((5, 2, 40)), jnp.float32)
  v = m.init({"params": jax.random.key(0), "dropout": jax.random.key(1)}, x)
  out, _ = m.apply(v, x, train=True, rngs={"dropout": jax.random.key(2)}, mutable=["batch_stats"])
  assert out["embeddings"].shape == (5, 2, 8) and out["pretext_logits"].shape == (5, 2, 6)
  assert int(jnp.max(out["pretext_labels"])) < 6
  assert m.apply(v, x[:, 0], return_features=True).shape == (5, 16)
  with pytest.raises(ValueError, match="count"):
    jigsaw_permutations(3, 7)


def test_diffusion_denoiser_text_encoder_object_net_and_towers_shapes():
  from lbrl.models.ssl_diffusion import DispersiveDenoiser, ddim_sample, linear_schedule
  from lbrl.models.ssl_faces import FaceNameTowers
  from lbrl.models.ssl_objects import ObjectSSLNet
  from lbrl.models.ssl_text import LatentBootstrapEncoder
  abar = linear_schedule(10, 1e-4, 0.1)
  np.testing.assert_allclose(abar, np.cumprod(1 - np.linspace(1e-4, 0.1, 10)))
  m = DispersiveDenoiser(hidden=(8, 8), timesteps=10, beta_end=0.1)
  x = jnp.ones((3, 12))
  v = m.init({"params": jax.random.key(0), "dropout": jax.random.key(1)}, x, return_embeddings=True)
  out = m.apply(v, x, train=True, return_embeddings=True, rngs={"dropout": jax.random.key(2)})
  assert out["embeddings"].shape == (3, 8) and out["prediction"].shape == (3, 12)
  assert ddim_sample(m, v["params"], jax.random.key(0), 2, 12, steps=3).shape == (2, 12)
  t = LatentBootstrapEncoder(vocab_size=7, width=8, num_heads=2, max_len=6)
  tok = jnp.asarray(np.random.default_rng(0).integers(0, 7, (2, 6)))
  tv = t.init({"params": jax.random.key(0), "dropout": jax.random.key(1)}, tok, return_embeddings=True)
  assert t.apply(tv, tok, return_targets=True)["targets"].shape == (2, 6, 8)
  o = ObjectSSLNet(segments=2, hidden=(4,), projector=(4, 3), prototypes=5)
  ov = o.init(jax.random.key(0), jnp.ones((2, 2, 8)))
  assert o.apply(ov, jnp.ones((2, 2, 8)))["embeddings"].shape == (2, 2, 2, 5)
  f = FaceNameTowers(num_names=4, hidden=(4,), embed_dim=3)
  bags = np.zeros((2, 2, 6), np.float32)
  bags[:, :, -1] = [[1, -1], [0, 3]]
  bags[:, 0, -2] = 1
  fv = f.init(jax.random.key(0), jnp.asarray(bags), return_embeddings=True)
  fo = f.apply(fv, jnp.asarray(bags), return_embeddings=True)
  assert fo["faces"].shape == (2, 2, 3) and np.asarray(fo["name_mask"]).tolist() == [[True, False], [True, True]]
