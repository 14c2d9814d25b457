"""NumPy float64 oracles written from the papers' formulas (independent of the JAX code under test)."""
import numpy as np


def lse(z, axis=-1):
  m = z.max(axis=axis, keepdims=True)
  return np.squeeze(m, axis) + np.log(np.exp(z - m).sum(axis=axis))


def linear_ce(h, w, labels, g, *, valid=None, z_loss=0.0, a=0.0, c=None):
  """Per-token loss of softcap(h @ w.T) and the gradients of sum(g * loss) w.r.t. h and w (float64)."""
  h, w, g = (np.asarray(x, np.float64) for x in (h, w, g))
  labels = np.asarray(labels)
  v = w.shape[0]
  ok = (labels >= 0) & (labels < v)
  if valid is not None:
    ok &= np.asarray(valid)
  u = h @ w.T
  z = c * np.tanh(u / c) if c else u
  l = lse(z)
  t = np.zeros_like(z)
  t[np.arange(len(labels))[ok], labels[ok]] = 1.0
  t = (1 - a) * t + a / v
  loss = np.where(ok, l - (t * z).sum(-1) + z_loss * l ** 2, 0.0)
  p = np.exp(z - l[:, None])
  dz = np.where(ok, g, 0.0)[:, None] * ((1 + 2 * z_loss * l)[:, None] * p - t)
  if c:
    dz = dz * (1 - np.tanh(u / c) ** 2)
  return loss, dz @ w, dz.T @ h, dz


def infonce(x, y, t):
  """Per-example symmetric InfoNCE/CLIP loss 0.5 (row_i + col_i) of logits t x y^T, and its gradients
  (of sum(loss) over examples) w.r.t. x, y, t."""
  x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
  s = x @ y.T
  z = t * s
  b = len(x)
  pr = np.exp(z - lse(z, 1)[:, None])
  pc = np.exp(z - lse(z, 0)[None, :])
  loss = 0.5 * (lse(z, 1) - np.diag(z)) + 0.5 * (lse(z, 0) - np.diag(z))
  dz = 0.5 * pr + 0.5 * pc - np.eye(b)
  return loss, t * dz @ y, t * dz.T @ x, float((dz * s).sum())


def siglip(x, y, t, bias):
  """Per-example SigLIP loss sum_j log(1 + exp(-z_ij (t x_i.y_j + b))) with z = 2 I - 1, and the
  gradients of sum(loss) w.r.t. x, y, t, b."""
  x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
  s = x @ y.T
  l = t * s + bias
  zz = 2 * np.eye(len(x)) - 1
  loss = np.logaddexp(0.0, -zz * l).sum(1)
  dl = -zz / (1 + np.exp(zz * l))
  return loss, t * dl @ y, t * dl.T @ x, float((dl * s).sum()), float(dl.sum())
