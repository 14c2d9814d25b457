"""Regenerates optim_adamp.npz: the authors' ``adamp`` package (AdamP, SGDP) on the float64
scale-invariant problem (channel-normalised 2-D and 4-D kernels, where the projection fires, and an
ordinary kernel and bias, where it does not).

Run by hand in the torch venv (see _torch_common.py): /work/torchenv/bin/python tests/golden/regen_optim_adamp.py
"""
import os
import sys

import numpy as np
from adamp import AdamP, SGDP

sys.path.insert(0, os.path.dirname(__file__))
from _torch_common import pack, pack_problem, scale_invariant_inputs, scale_invariant_loss, trajectory, versions  # noqa: E402

CASES = {
    "adamp": lambda ps: AdamP(ps, lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1,
                              delta=0.1, wd_ratio=0.1, nesterov=False),
    "adamp_nesterov": lambda ps: AdamP(ps, lr=1e-2, weight_decay=0.1, nesterov=True),
    "sgdp": lambda ps: SGDP(ps, lr=0.1, momentum=0.9, weight_decay=1e-2, nesterov=False),
    "sgdp_nesterov": lambda ps: SGDP(ps, lr=0.1, momentum=0.9, dampening=0.0, weight_decay=1e-2,
                                     nesterov=True),
}


def main():
  out = versions("adamp")
  data, params = scale_invariant_inputs()
  out.update(pack_problem("scale_invariant", data, params))
  for name, make in CASES.items():
    out.update(pack(name, trajectory(make, scale_invariant_loss, data, params)))
  path = os.path.join(os.path.dirname(__file__), "optim_adamp.npz")
  np.savez_compressed(path, **out)
  print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
  main()
