"""GDN density tools (density_modeling_images_generalized): the log-Jacobian against a float64 NumPy
transcription of the GDN Jacobian, the entropy estimator against the Gaussian's closed form, and RG/ICA on
sources whose dependence structure is known."""
import math
import types

import numpy as np
import pytest

from lbrl.analysis import norm_gdn_density as G


def test_gdn_logdet_matches_numpy_jacobian():
  rng = np.random.default_rng(0)
  d = 5
  h = rng.standard_normal((d, d))
  beta = rng.uniform(0.5, 1.5, d)
  gamma = np.abs(rng.standard_normal((d, d))) * 0.2
  mu = rng.standard_normal(d) * 0.1
  x = rng.standard_normal((7, d))
  params = {k: np.asarray(v, np.float32) for k, v in dict(H=h, beta=beta, gamma=gamma, mu=mu).items()}
  z, logdet = G.gdn_logdet(params, np.asarray(x, np.float32))
  for i in range(len(x)):   # y = H(x - mu); n_i = sqrt(beta_i + sum_j gamma_ij y_j^2); z_i = y_i / n_i
    y = h @ (x[i] - mu)
    n = np.sqrt(beta + gamma @ (y * y))
    jac_y = np.diag(1 / n) - np.diag(y / n ** 3) @ gamma @ np.diag(y)
    np.testing.assert_allclose(np.asarray(z[i]), y / n, rtol=1e-4, atol=1e-5)
    assert float(logdet[i]) == pytest.approx(np.linalg.slogdet(jac_y @ h)[1], abs=1e-4)


def test_marginal_entropy_gaussian():
  z = np.random.default_rng(1).standard_normal((20000, 2)) * np.array([1.0, 2.0])
  np.testing.assert_allclose(G.marginal_entropy(z), 0.5 * np.log(2 * np.pi * np.e * np.array([1.0, 4.0])), atol=0.02)
  with pytest.raises(ValueError, match="m"):
    G.marginal_entropy(z, m=0)


def test_rg_removes_radial_dependence_and_ica_linear_mixing():
  rng = np.random.default_rng(2)
  n, d = 8000, 4
  # a Gaussian scale mixture: radially dependent, no linear structure ICA could undo
  gsm = rng.standard_normal((n, d)) * np.exp(rng.standard_normal((n, 1)))
  # independent Laplace sources mixed linearly: ICA's case
  mixed = rng.laplace(size=(n, d)) @ rng.standard_normal((d, d))

  def excess(method, x):
    half = n // 2
    z, ld = G.transform(method, x[:half], x[half:], seed=0)
    zp, ldp = G.transform("pca", x[:half], x[half:], seed=0)
    return (G.multi_information_plus_hx(z, ld) - G.multi_information_plus_hx(zp, ldp)) / d / math.log(2)

  assert excess("rg", gsm) < -0.1        # RG makes the scale mixture (nearly) independent
  assert excess("ica", mixed) < -0.05    # ICA unmixes independent sources
  assert abs(excess("ica", gsm)) < 0.05  # ...but cannot touch radial dependence


def test_patches_and_arguments():
  a, b = G.image_patches(4, 50, seed=3), G.image_patches(4, 50, seed=3)
  np.testing.assert_array_equal(a, b)
  assert a.shape == (50, 16) and 0 <= a.min() and a.max() <= 1 + 1 / 255
  with pytest.raises(ValueError, match="method"):
    G.gdn_density(types.SimpleNamespace(seed=0), method="nice")
  with pytest.raises(ValueError, match="size"):
    G.image_patches(1, 10, 0)
