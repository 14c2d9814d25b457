"""Regenerates losses_entmax.npz: entmax's sparsemax mapping and sparsemax loss (per example) and the
loss's logit gradient.

Run by hand in the torch venv (see _torch_common.py): /work/torchenv/bin/python tests/golden/regen_losses_entmax.py
"""
import os
import sys

import entmax
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from _loss_common import classification_inputs  # noqa: E402
from _torch_common import versions  # noqa: E402


def main():
  out = versions("entmax")
  logits, labels, _ = classification_inputs()
  x = torch.tensor(logits, requires_grad=True)
  values = entmax.sparsemax_loss(x, torch.tensor(labels))
  values.sum().backward()
  out.update({"logits": logits, "labels": labels, "sparsemax": entmax.sparsemax(torch.tensor(logits)).numpy(),
              "sparsemax_loss/values": values.detach().numpy(), "sparsemax_loss/grad": x.grad.numpy()})
  path = os.path.join(os.path.dirname(__file__), "losses_entmax.npz")
  np.savez_compressed(path, **out)
  print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
  main()
