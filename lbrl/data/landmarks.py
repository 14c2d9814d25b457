"""Synthetic facial landmarks with Hard- and Soft-landmarks (slug ``facial_landmark_points_detection``).

Fard and Mahoor, "Facial Landmark Points Detection Using Knowledge Distillation-Based Neural Networks"
(CVIU 2022, arXiv:2111.07047) train a Tough-Teacher on the annotated ("Hard") landmarks and a
Tolerant-Teacher on "Soft" landmarks, the annotations projected onto an active shape model (ASM). The
real sets (300W, COFW, WFLW) are not offline; this builder makes a stand-in with the same structure,
deterministically from ``default_rng([seed, split id])``:

* a face of ``K = 20`` landmarks (5 jaw-line points, 3 per eye, 2 per eyebrow, the nose tip, 4 mouth
  points) in ``[-1, 1]^2``: :data:`MEAN_SHAPE` plus 5 deformation modes (:data:`MODES`: mouth opening,
  smile, eye size, face width, brow raise) with N(0, 1) coefficients, then a random similarity pose
  (rotation N(0, ``rotation_deg``^2) degrees, scale U(0.85, 1.15), shift U(-0.1, 0.1) per axis);
* the input: a ``size x size`` image of one Gaussian blob (sigma ``blob`` pixels) per landmark, the
  blob's brightness depending on its facial part (:data:`BRIGHTNESS`), plus N(0, ``pixel_noise``^2)
  pixel noise; with probability ``occlusion`` a random square of 4-8 pixels is blanked (to noise), the
  occluded landmarks recoverable only from the face's shape;
* ``label`` (Hard-landmarks): the true points plus N(0, ``annotation_noise``^2) annotation noise per
  coordinate, flattened ``[N, 2K]`` float32 as ``(x_1, y_1, x_2, ...)``; the test split's labels are
  noisy too, as real annotations are;
* ``soft_label`` (Soft-landmarks): the Hard-landmarks projected onto the ASM fitted on the *training*
  split's Hard-landmarks (:func:`fit_asm`: PCA keeping ``variance`` of the variance; :func:`asm_project`:
  the authors' ``calculate_b_vector`` with each coefficient clamped to +-3 sqrt(eigenvalue));
* ``clean_label``: the noise-free points (for analysis only).

``target="soft"`` puts the Soft-landmarks in ``label`` (the Tolerant-Teacher's training set). Registered
as the dataset ``synthetic_landmarks`` (``data.options``: ``target``, ``seed``, ``n_train``, ``n_test``,
``annotation_noise``, ``variance``, ...). Splits ``train``/``test`` with TFDS slices (``train[:90%]``).
``num_classes`` is ``2K`` (the number of regression outputs the model needs).
"""
from __future__ import annotations

import zlib

import numpy as np

from lbrl.data import core

# Mean shape, x to the right and y down, in [-1, 1]: jaw (0-4), right eye outer/centre/inner (5-7),
# left eye inner/centre/outer (8-10), right brow (11-12), left brow (13-14), nose tip (15),
# mouth left/top/right/bottom (16-19).
MEAN_SHAPE = np.array([
    [-0.80, 0.10], [-0.55, 0.60], [0.00, 0.85], [0.55, 0.60], [0.80, 0.10],
    [-0.55, -0.25], [-0.38, -0.25], [-0.20, -0.25], [0.20, -0.25], [0.38, -0.25], [0.55, -0.25],
    [-0.60, -0.50], [-0.20, -0.52], [0.20, -0.52], [0.60, -0.50],
    [0.00, 0.15],
    [-0.30, 0.45], [0.00, 0.38], [0.30, 0.45], [0.00, 0.55]])
NUM_LANDMARKS = len(MEAN_SHAPE)
OUTER_EYE_CORNERS = (5, 10)
BRIGHTNESS = np.array([0.6] * 5 + [1.0] * 6 + [0.8] * 4 + [0.9] + [0.7] * 4)


def _modes() -> np.ndarray:
  m = np.zeros((5,) + MEAN_SHAPE.shape)
  m[0, 17, 1], m[0, 19, 1] = -0.06, 0.08             # mouth opening
  m[1, 16], m[1, 18] = (-0.05, -0.06), (0.05, -0.06)  # smile: corners out and up
  m[2, [6, 9], 1] = 0.0
  m[2, [5, 10], 0], m[2, [7, 8], 0] = (-0.04, 0.04), (0.04, -0.04)  # eye size (corners apart)
  m[3, :, 0] = MEAN_SHAPE[:, 0] * 0.12               # face width
  m[4, 11:15, 1] = -0.06                             # brow raise
  return m


MODES = _modes()


def face_shapes(rng: np.random.Generator, n: int, *, rotation_deg: float = 10.0) -> np.ndarray:
  """``n`` random faces ``[n, K, 2]`` (see the module doc)."""
  coef = rng.standard_normal((n, len(MODES)))
  shapes = MEAN_SHAPE[None] + np.einsum("nm,mkd->nkd", coef, MODES)
  theta = np.deg2rad(rng.normal(0.0, rotation_deg, n))
  rot = np.stack([np.stack([np.cos(theta), -np.sin(theta)], -1), np.stack([np.sin(theta), np.cos(theta)], -1)], -2)
  scale = rng.uniform(0.85, 1.15, (n, 1, 1))
  shift = rng.uniform(-0.1, 0.1, (n, 1, 2))
  return scale * np.einsum("nkd,ned->nke", shapes, rot) + shift


def render(rng: np.random.Generator, shapes: np.ndarray, *, size: int = 16, blob: float = 0.8,
           pixel_noise: float = 0.1, occlusion: float = 0.3) -> np.ndarray:
  """Images ``[n, size, size]`` float32 of the faces ``[n, K, 2]`` (see the module doc)."""
  n = len(shapes)
  pix = (shapes + 1.0) * 0.5 * (size - 1)                       # [-1, 1] -> pixel centres 0..size-1
  grid = np.arange(size, dtype=np.float64)
  gx = np.exp(-(grid[None, None, :] - pix[..., 0:1]) ** 2 / (2 * blob ** 2))   # [n, K, W]
  gy = np.exp(-(grid[None, None, :] - pix[..., 1:2]) ** 2 / (2 * blob ** 2))   # [n, K, H]
  img = np.einsum("nkh,nkw,k->nhw", gy, gx, BRIGHTNESS)
  occluded = rng.random(n) < occlusion
  side = rng.integers(4, 9, n)
  y0, x0 = rng.integers(0, size - side + 1), rng.integers(0, size - side + 1)
  rows, cols = grid[None, :, None], grid[None, None, :]
  box = ((rows >= y0[:, None, None]) & (rows < (y0 + side)[:, None, None]) &
         (cols >= x0[:, None, None]) & (cols < (x0 + side)[:, None, None]) & occluded[:, None, None])
  img = np.where(box, 0.0, img) + pixel_noise * rng.standard_normal(img.shape)
  return img.astype(np.float32)


def fit_asm(points: np.ndarray, variance: float = 0.85) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """The active shape model of ``points [N, 2K]``: ``(mean [2K], eigenvectors [2K, k], eigenvalues [k])``,
  the fewest principal components whose eigenvalues sum to at least ``variance`` of the total."""
  if not 0.0 < variance <= 1.0:
    raise ValueError(f"fit_asm: variance must be in (0, 1], got {variance}")
  points = np.asarray(points, np.float64)
  mean = points.mean(0)
  vals, vecs = np.linalg.eigh(np.cov(points - mean, rowvar=False))
  order = np.argsort(vals)[::-1]
  vals, vecs = np.maximum(vals[order], 0.0), vecs[:, order]
  k = int(np.searchsorted(np.cumsum(vals) / vals.sum(), variance - 1e-12) + 1)
  return mean, vecs[:, :k], vals[:k]


def asm_project(points: np.ndarray, mean: np.ndarray, eigenvectors: np.ndarray, eigenvalues: np.ndarray,
                clamp: float = 3.0) -> np.ndarray:
  """Soft-landmarks: ``mean + V b`` with ``b = V^T (x - mean)`` clamped to ``+-clamp sqrt(eigenvalue)``
  (the authors' ``PCAUtility.calculate_b_vector``, aliprf/KD-Loss)."""
  b = (np.asarray(points, np.float64) - mean) @ eigenvectors
  lim = clamp * np.sqrt(eigenvalues)
  return mean + np.clip(b, -lim, lim) @ eigenvectors.T


def _generate(split: str, n: int, seed: int, annotation_noise: float, rotation_deg: float, size: int,
              blob: float, pixel_noise: float, occlusion: float) -> dict[str, np.ndarray]:
  rng = np.random.default_rng([int(seed), zlib.crc32(split.encode())])
  clean = face_shapes(rng, n, rotation_deg=rotation_deg)
  x = render(rng, clean, size=size, blob=blob, pixel_noise=pixel_noise, occlusion=occlusion)
  hard = clean + annotation_noise * rng.standard_normal(clean.shape)
  return {"x": x, "label": hard.reshape(n, -1).astype(np.float32), "clean_label": clean.reshape(n, -1).astype(np.float32)}


def load(split: str, *, data_dir: str = "", target: str = "hard", seed: int = 0, n_train: int = 2000,
         n_test: int = 500, annotation_noise: float = 0.03, variance: float = 0.85, rotation_deg: float = 10.0,
         size: int = 16, blob: float = 0.8, pixel_noise: float = 0.1, occlusion: float = 0.3) -> core.Dataset:
  """The ``split`` (``train``/``test`` with an optional slice) of the synthetic landmark set."""
  if target not in ("hard", "soft"):
    raise ValueError(f"synthetic_landmarks: target must be 'hard' or 'soft', got {target!r}")
  if annotation_noise < 0:
    raise ValueError(f"synthetic_landmarks: annotation_noise must be >= 0, got {annotation_noise}")
  base, _, _ = core.parse_split(split)
  sizes = {"train": int(n_train), "test": int(n_test)}
  if base not in sizes:
    raise ValueError(f"synthetic_landmarks: split must be 'train' or 'test' (with an optional slice), got {split!r}")
  gen = dict(seed=seed, annotation_noise=annotation_noise, rotation_deg=rotation_deg, size=size, blob=blob,
             pixel_noise=pixel_noise, occlusion=occlusion)
  arrays = _generate(base, sizes[base], **gen)
  train_hard = arrays["label"] if base == "train" else _generate("train", sizes["train"], **gen)["label"]
  asm = fit_asm(train_hard, variance)
  arrays["soft_label"] = asm_project(arrays["label"], *asm).astype(np.float32)
  if target == "soft":
    arrays["label"] = arrays["soft_label"]
  _, start, stop = core.split_range(split, sizes[base])
  arrays = {k: v[start:stop] for k, v in arrays.items()}
  meta = {"num_classes": 2 * NUM_LANDMARKS, "num_landmarks": NUM_LANDMARKS,
          "synthetic_landmarks": dict(gen, target=target, variance=variance, asm_components=int(asm[1].shape[1]))}
  return core.Dataset("synthetic_landmarks", split, arrays, meta)
