"""Shared pieces of the regeneration scripts (run by hand in a separate venv with torch; never by CI).

    python3 -m venv /work/torchenv
    /work/torchenv/bin/pip install torch==2.13.0 numpy adamp pytorch-optimizer kornia entmax
    /work/torchenv/bin/python tests/golden/regen_optim_torch.py      (and the other regen_*.py)

Every problem is float64 and stores its inputs and initial parameters in the ``.npz`` in Flax layout
(kernels ``[in, out]`` / ``[kh, kw, in, out]``); torch holds the transposes (``[out, in]`` /
``[out, in, kh, kw]``) and trajectories are written back in Flax layout. The JAX side
(``tests/golden/problems.py``) implements the same loss formulas.
"""
from __future__ import annotations

import importlib.metadata
import platform

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
STEPS = 8


def versions(*packages) -> dict:
  out = {"python": platform.python_version(), "numpy": np.__version__, "torch": torch.__version__}
  for p in packages:
    out[p] = importlib.metadata.version(p)
  return {f"version_{k}": np.asarray(v) for k, v in out.items()}


def to_torch(name: str, x: np.ndarray) -> torch.Tensor:
  """Flax layout -> torch layout (2-D: transpose; 4-D [kh, kw, in, out] -> [out, in, kh, kw])."""
  if x.ndim == 2:
    x = x.T
  elif x.ndim == 4:
    x = np.transpose(x, (3, 2, 0, 1))
  return torch.nn.Parameter(torch.tensor(np.ascontiguousarray(x), dtype=torch.float64))


def to_flax(x: torch.Tensor) -> np.ndarray:
  x = x.detach().numpy()
  if x.ndim == 2:
    return x.T.copy()
  if x.ndim == 4:
    return np.transpose(x, (2, 3, 1, 0)).copy()
  return x.copy()


# ----------------------------------------------------------------------------------------------------
# Problem "mlp": loss = mean((tanh(x W1 + b1) W2 + b2 - y)^2), Flax W1 [6, 8], W2 [8, 3].

def mlp_inputs(seed=0):
  rng = np.random.default_rng(seed)
  data = {"x": rng.normal(size=(16, 6)), "y": rng.normal(size=(16, 3))}
  params = {"w1": rng.normal(size=(6, 8)) / np.sqrt(6), "b1": 0.1 * rng.normal(size=(8,)),
            "w2": rng.normal(size=(8, 3)) / np.sqrt(8), "b2": 0.1 * rng.normal(size=(3,))}
  return data, params


def mlp_loss(data, tp):
  x, y = torch.tensor(data["x"]), torch.tensor(data["y"])
  h = torch.tanh(x @ tp["w1"].T + tp["b1"])
  return torch.mean((h @ tp["w2"].T + tp["b2"] - y) ** 2)


# ----------------------------------------------------------------------------------------------------
# Problem "scale_invariant" (AdamP/SGDP): v [6, 8] and k [2, 2, 3, 4] (Flax) are used only through
# their per-output-channel unit-norm versions, so their loss is invariant to each channel's scale;
# w2 and b2 are ordinary. x [16, 6], patches [16, 12], y [16, 3]:
#   h = tanh(x vn) [16, 8];  z = tanh(patches kn) [16, 4];  out = [h, z] w2 + b2, w2 [12, 3]
#   loss = mean((out - y)^2)

def scale_invariant_inputs(seed=1):
  rng = np.random.default_rng(seed)
  data = {"x": rng.normal(size=(16, 6)), "patches": rng.normal(size=(16, 12)),
          "y": rng.normal(size=(16, 3))}
  params = {"v": rng.normal(size=(6, 8)), "k": rng.normal(size=(2, 2, 3, 4)),
            "w2": rng.normal(size=(12, 3)) / np.sqrt(12), "b2": 0.1 * rng.normal(size=(3,))}
  return data, params


def scale_invariant_loss(data, tp):
  x, patches, y = (torch.tensor(data[k]) for k in ("x", "patches", "y"))
  v = tp["v"]                                     # torch [8, 6]
  vn = v / v.norm(dim=1, keepdim=True)
  k = tp["k"]                                     # torch [4, 3, 2, 2]
  kn = k / k.reshape(4, -1).norm(dim=1).reshape(4, 1, 1, 1)
  kmat = kn.permute(2, 3, 1, 0).reshape(12, 4)    # the Flax [kh, kw, in, out] flattening
  h = torch.tanh(x @ vn.T)
  z = torch.tanh(patches @ kmat)
  out = torch.cat([h, z], dim=1) @ tp["w2"].T + tp["b2"]
  return torch.mean((out - y) ** 2)


def trajectory(make_opt, loss_fn, data, params, steps=STEPS, closure_style=False, two_pass=None):
  """Runs ``steps`` steps; returns {name: [steps, ...] Flax layout}, the initial torch params."""
  tp = {k: to_torch(k, v) for k, v in params.items()}
  names = list(params)
  opt = make_opt([tp[k] for k in names])
  traj = {k: [] for k in names}
  for _ in range(steps):
    if two_pass is not None:
      two_pass(opt, lambda: loss_fn(data, tp))
    else:
      opt.zero_grad()
      loss_fn(data, tp).backward()
      opt.step()
    for k in names:
      traj[k].append(to_flax(tp[k]))
  return {k: np.stack(v) for k, v in traj.items()}


def pack_problem(problem: str, data: dict, params: dict) -> dict:
  """The inputs and initial parameters (Flax layout) of ``problem``, stored once per file."""
  out = {f"{problem}/data/{k}": v for k, v in data.items()}
  out.update({f"{problem}/init/{k}": v for k, v in params.items()})
  return out


def pack(case: str, traj: dict, **extra) -> dict:
  """One case's trajectory ({name: [steps, ...]}) and any extra arrays."""
  out = {f"{case}/traj/{k}": v for k, v in traj.items()}
  out.update({f"{case}/{k}": np.asarray(v) for k, v in extra.items()})
  return out
