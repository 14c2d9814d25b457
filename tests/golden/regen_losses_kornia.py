"""Regenerates losses_kornia.npz: kornia's softmax focal loss (per example) and its logit gradient.

Run by hand in the torch venv (see _torch_common.py): /work/torchenv/bin/python tests/golden/regen_losses_kornia.py
"""
import os
import sys

import kornia
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from _loss_common import classification_inputs  # noqa: E402
from _torch_common import versions  # noqa: E402


def main():
  out = versions("kornia")
  logits, labels, _ = classification_inputs()
  out.update({"logits": logits, "labels": labels})
  for gamma in (0.0, 0.5, 2.0):
    x = torch.tensor(logits, requires_grad=True)
    # alpha=None: no class weighting, FL = -(1 - p_y)^gamma log p_y
    values = kornia.losses.focal_loss(x, torch.tensor(labels), alpha=None, gamma=gamma, reduction="none")
    values = values.sum(dim=1)   # kornia returns [N, C] with only the target column nonzero
    values.sum().backward()
    out[f"focal/gamma={gamma}/values"] = values.detach().numpy()
    out[f"focal/gamma={gamma}/grad"] = x.grad.numpy()
  path = os.path.join(os.path.dirname(__file__), "losses_kornia.npz")
  np.savez_compressed(path, **out)
  print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
  main()
