"""Regenerates optim_torch.npz: torch.optim Adam, AdamW and SGD trajectories on the float64 MLP problem.

Run by hand in the torch venv (see _torch_common.py): /work/torchenv/bin/python tests/golden/regen_optim_torch.py
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from _torch_common import mlp_inputs, mlp_loss, pack, pack_problem, trajectory, versions  # noqa: E402

CASES = {
    "adam": lambda ps: torch.optim.Adam(ps, lr=1e-2, betas=(0.9, 0.999), eps=1e-8),
    # torch's AdamW multiplies the decay by lr (p *= 1 - lr wd), as optax.adamw does
    "adamw": lambda ps: torch.optim.AdamW(ps, lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.5),
    # torch's SGD folds coupled L2 decay into the gradient before the momentum buffer
    "sgd": lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-2),
}


def main():
  out = versions()
  data, params = mlp_inputs()
  out.update(pack_problem("mlp", data, params))
  for name, make in CASES.items():
    out.update(pack(name, trajectory(make, mlp_loss, data, params)))
  path = os.path.join(os.path.dirname(__file__), "optim_torch.npz")
  np.savez_compressed(path, **out)
  print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
  main()
