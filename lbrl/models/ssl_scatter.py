"""ScatSimCLR for 1-D signals: a fixed scattering network, a small trainable adapter, SimCLR heads and a
pretext head (catalog slug ``scatsimclr``).

    S x = [x * phi,  |x * psi_j| * phi,  ||x * psi_j| * psi_k| * phi (k coarser than j)]   (no parameters)
    h   = adapter(S x)             (trainable MLP on the flattened scattering coefficients)
    z   = projector(h)             (SimCLR's projection head, Linear-BN-ReLU-Linear)
    r   = pretext(h)               (logits over the pretext transforms)

The scattering transform (Mallat 2012; Anden & Mallat 2014) is computed by FFT on the circular signal:
analytic Morlet wavelets psi_j with centre frequency xi_j = xi0 2^(-j/Q) and bandwidth sigma_j = sigma0
2^(-j/Q) (j = 0..J Q - 1), ``psi_hat(w) = exp(-(w - xi)^2 / (2 sigma^2)) - beta exp(-w^2 / (2 sigma^2))``
with beta making psi_hat(0) = 0, and a Gaussian low-pass ``phi_hat(w) = exp(-w^2 / (2 sigma_phi^2))``,
sigma_phi = sigma0 2^(-J); the outputs are sampled every 2^J / 2 samples. Defaults J = 2, Q = 2,
xi0 = 0.4 pi, sigma0 = 0.15 pi (lbrl's choices for 40-sample MNIST-1D; the paper uses kymatio's 2-D
Scattering2D with J = 2, L = 8 on images).

Pretext task (the paper: rotation or jigsaw prediction on the views): a 1-D jigsaw: each view's
``segments`` equal segments are reordered by one of ``num_permutations`` fixed permutations (the first is
the identity), drawn per view from the ``dropout`` rng in training; the model outputs the index to
predict. With ``pretext=False`` no permutation is applied and the pretext logits are zeros.

Outputs: default / ``return_embeddings=True``: ``{"embeddings": z [B, V, D], "pretext_logits": [B, V, P],
"pretext_labels": [B, V]}`` (loss :func:`lbrl.losses.contrastive.scatsimclr`); ``return_features=True``:
h of an un-permuted single view ``[B, F]``.

Reference: V. Kinakh, O. Taran, S. Voloshynovskiy, "ScatSimCLR: self-supervised contrastive learning
with pretext task regularization for small-scale datasets", ICCV Workshops 2021, arXiv:2108.13939.
"""
from __future__ import annotations

import itertools
import math
from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from lbrl.models.ssl import MlpHead, per_view


def morlet_filters(length: int, J: int = 2, Q: int = 2, xi0: float = 0.4 * math.pi, sigma0: float = 0.15 * math.pi):
  """``(psi_hat [J Q, length], phi_hat [length])``: the filters' DFTs (float64 NumPy) on the circular grid."""
  if J < 1 or Q < 1 or length < 4:
    raise ValueError(f"morlet_filters: need J >= 1, Q >= 1, length >= 4, got J={J}, Q={Q}, length={length}")
  w = 2 * np.pi * np.fft.fftfreq(length)
  psis = []
  for j in range(J * Q):
    xi, sg = xi0 * 2.0 ** (-j / Q), sigma0 * 2.0 ** (-j / Q)
    beta = np.exp(-xi ** 2 / (2 * sg ** 2))
    psis.append(np.exp(-(w - xi) ** 2 / (2 * sg ** 2)) - beta * np.exp(-w ** 2 / (2 * sg ** 2)))
  phi = np.exp(-w ** 2 / (2 * (sigma0 * 2.0 ** (-J)) ** 2))
  return np.stack(psis), phi


def scattering1d(x, J: int = 2, Q: int = 2, xi0: float = 0.4 * math.pi, sigma0: float = 0.15 * math.pi):
  """Order-0/1/2 scattering of ``x [..., L]`` -> ``[..., C, L // s]`` (s = max(2^J / 2, 1)); second order
  keeps the paths whose second wavelet is coarser (k > j in octaves: k >= j + Q)."""
  x = jnp.asarray(x, jnp.float32)
  n = x.shape[-1]
  psi, phi = (jnp.asarray(a, jnp.complex64) for a in morlet_filters(n, J, Q, xi0, sigma0))
  stride = max(2 ** J // 2, 1)
  xh = jnp.fft.fft(x)
  low = lambda uh: jnp.real(jnp.fft.ifft(uh * phi))[..., ::stride]
  u1 = jnp.abs(jnp.fft.ifft(xh[..., None, :] * psi))                       # [..., JQ, L]
  u1h = jnp.fft.fft(u1)
  out = [low(xh)[..., None, :], low(u1h)]
  pairs = [(j, k) for j in range(J * Q) for k in range(J * Q) if k >= j + Q]
  if pairs:
    jj, kk = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    u2 = jnp.abs(jnp.fft.ifft(u1h[..., jj, :] * psi[kk]))
    out.append(low(jnp.fft.fft(u2)))
  return jnp.concatenate(out, axis=-2)


def jigsaw_permutations(segments: int, count: int) -> np.ndarray:
  """``count`` fixed permutations of ``segments`` (the identity first, then evenly spaced in
  lexicographic order: deterministic, no rng)."""
  allp = list(itertools.permutations(range(segments)))
  if not 2 <= count <= len(allp):
    raise ValueError(f"jigsaw_permutations: count must be in [2, {len(allp)}], got {count}")
  idx = np.unique(np.linspace(0, len(allp) - 1, count).round().astype(int))
  return np.asarray([allp[i] for i in idx])


class ScatSimCLR(nn.Module):
  """See the module docstring. Defaults: J 2, Q 2, adapter (128, 128), projector (128, 32), pretext on,
  4 segments, 6 permutations."""
  J: int = 2
  Q: int = 2
  adapter: Sequence[int] = (128, 128)
  projector: Sequence[int] = (128, 32)
  pretext: bool = True
  segments: int = 4
  num_permutations: int = 6
  batch_norm: bool = True

  def _features(self, x, train):
    s = scattering1d(x, self.J, self.Q)
    h = jnp.log1p(jnp.abs(s)).reshape(s.shape[0], -1) * jnp.sign(s).reshape(s.shape[0], -1)
    h = nn.LayerNorm(name="scatter_norm")(h)
    for i, w in enumerate(self.adapter):
      h = nn.relu(nn.Dense(w, name=f"adapter_{i}")(h))
    return h

  @nn.compact
  def __call__(self, x, *, train: bool = False, return_embeddings: bool = False, return_features: bool = False,
               use_predictor: bool = True):
    x = jnp.asarray(x, jnp.float32)
    if return_features:
      return per_view(lambda xv: self._features(xv, train), x, 1)
    if x.ndim == 2:
      x = jnp.stack([x, x], axis=1)
    b, v, n = x.shape
    perms = jnp.asarray(jigsaw_permutations(self.segments, self.num_permutations))
    if n % self.segments:
      raise ValueError(f"ScatSimCLR: signal length {n} is not divisible by segments {self.segments}")
    if self.pretext and train and self.has_rng("dropout"):
      lab = jax.random.randint(self.make_rng("dropout"), (b, v), 0, perms.shape[0])
    else:
      lab = jnp.zeros((b, v), jnp.int32)
    seg = x.reshape(b, v, self.segments, n // self.segments)
    x = jnp.take_along_axis(seg, perms[lab][..., None], axis=2).reshape(b, v, n)
    h = self._features(x.reshape(b * v, n), train)
    z = MlpHead(tuple(self.projector), self.batch_norm, name="projector")(h, train=train)
    r = nn.Dense(perms.shape[0], name="pretext_head")(h)
    if not self.pretext:
      r = jnp.zeros_like(r)
    return {"embeddings": z.reshape(b, v, -1).astype(jnp.float32),
            "pretext_logits": r.reshape(b, v, -1).astype(jnp.float32), "pretext_labels": lab}
