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
