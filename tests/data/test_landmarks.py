"""The synthetic landmark set (slug facial_landmark_points_detection): determinism, splits and slices, the
ASM against scikit-learn's PCA, the authors' coefficient clamp, Soft-landmarks as the Tolerant-Teacher's
target, and bad input."""
import numpy as np
import pytest
from sklearn.decomposition import PCA

from lbrl.data import landmarks as L
from lbrl.registry import DATASETS

SMALL = dict(n_train=120, n_test=40)


def test_shapes_determinism_and_registry():
  d = DATASETS.get("synthetic_landmarks")("train", **SMALL)
  assert d.arrays["x"].shape == (120, 16, 16) and d.arrays["label"].shape == (120, 40)
  assert d.meta["num_classes"] == 40 and d.arrays["label"].dtype == np.float32
  again = L.load("train", **SMALL)
  for k in ("x", "label", "soft_label", "clean_label"):
    np.testing.assert_array_equal(d.arrays[k], again.arrays[k])
  test = L.load("test", **SMALL)
  assert test.arrays["x"].shape == (40, 16, 16)
  assert not np.allclose(test.arrays["clean_label"][:5], d.arrays["clean_label"][:5])
  other = L.load("train", seed=1, **SMALL)
  assert not np.allclose(other.arrays["label"], d.arrays["label"])


def test_annotation_noise_and_slices():
  d = L.load("train", annotation_noise=0.05, **SMALL)
  noise = d.arrays["label"] - d.arrays["clean_label"]
  assert abs(noise.std() - 0.05) < 0.005 and abs(noise.mean()) < 0.005
  head, tail = L.load("train[:90%]", **SMALL), L.load("train[90%:]", **SMALL)
  assert len(head) == 108 and len(tail) == 12
  np.testing.assert_array_equal(np.concatenate([head.arrays["label"], tail.arrays["label"]]),
                                L.load("train", **SMALL).arrays["label"])


def test_asm_matches_sklearn_pca():
  pts = L.load("train", **SMALL).arrays["label"].astype(np.float64)
  mean, vecs, vals = L.fit_asm(pts, variance=0.9)
  ref = PCA(n_components=0.9, svd_solver="full").fit(pts)
  assert vecs.shape[1] == ref.n_components_
  np.testing.assert_allclose(vals, ref.explained_variance_, rtol=1e-8)
  np.testing.assert_allclose(np.abs(vecs.T @ ref.components_.T), np.eye(ref.n_components_), atol=1e-6)
  # without clamping, the projection is sklearn's reconstruction
  soft = L.asm_project(pts, mean, vecs, vals, clamp=np.inf)
  np.testing.assert_allclose(soft, ref.inverse_transform(ref.transform(pts)), atol=1e-10)
  full = L.fit_asm(pts, variance=1.0)
  np.testing.assert_allclose(L.asm_project(pts, *full, clamp=np.inf), pts, atol=1e-8)


def test_clamp_at_three_sqrt_eigenvalue():
  pts = L.load("train", **SMALL).arrays["label"].astype(np.float64)
  mean, vecs, vals = L.fit_asm(pts, variance=0.85)
  far = mean + 10 * np.sqrt(vals[0]) * vecs[:, 0]
  soft = L.asm_project(far[None], mean, vecs, vals)
  np.testing.assert_allclose((soft[0] - mean) @ vecs[:, 0], 3 * np.sqrt(vals[0]), rtol=1e-10)


def test_soft_target_is_the_asm_projection_of_the_train_fit():
  hard, soft = L.load("test", **SMALL), L.load("test", target="soft", **SMALL)
  np.testing.assert_array_equal(soft.arrays["label"], hard.arrays["soft_label"])
  asm = L.fit_asm(L.load("train", **SMALL).arrays["label"], 0.85)
  np.testing.assert_allclose(hard.arrays["soft_label"], L.asm_project(hard.arrays["label"], *asm), atol=1e-6)
  assert not np.allclose(soft.arrays["label"], hard.arrays["label"])


def test_render_blobs_at_the_landmarks():
  shapes = L.MEAN_SHAPE[None]
  img = L.render(np.random.default_rng(0), shapes, size=16, pixel_noise=0.0, occlusion=0.0)[0]
  px = np.round((shapes[0] + 1) * 0.5 * 15).astype(int)
  assert img[px[15, 1], px[15, 0]] > 0.8          # the nose tip is a bright pixel
  assert img[0, 0] < 1e-3                          # far from every landmark
  occluded = L.render(np.random.default_rng(0), np.repeat(shapes, 50, 0), pixel_noise=0.0, occlusion=1.0)
  assert (occluded.sum((1, 2)) < img.sum() - 1e-6).any()


@pytest.mark.parametrize("kwargs,msg", [(dict(target="medium"), "target"), (dict(annotation_noise=-1.0), "annotation_noise")])
def test_bad_arguments(kwargs, msg):
  with pytest.raises(ValueError, match=msg):
    L.load("train", **SMALL, **kwargs)
  with pytest.raises(ValueError, match="split"):
    L.load("validation", **SMALL)
  with pytest.raises(ValueError, match="variance"):
    L.fit_asm(np.zeros((4, 6)), variance=0.0)
