"""Regenerates losses_ldam.npz: LDAM as the authors' LDAMLoss computes it (Cao et al. 2019,
kaidic/LDAM-DRW ``losses.py``), transcribed in torch here because the authors ship no package:
margins m_j = 1 / n_j^(1/4) rescaled so max_j m_j = max_m; the true-class logit lowered by its margin;
cross-entropy of s * logits (per example, optional class weights).

Run by hand in the torch venv (see _torch_common.py): /work/torchenv/bin/python tests/golden/regen_losses_ldam.py
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from _loss_common import classification_inputs  # noqa: E402
from _torch_common import versions  # noqa: E402


def ldam_authors(x, target, cls_num_list, max_m=0.5, s=30.0, weight=None):
  m_list = 1.0 / np.sqrt(np.sqrt(cls_num_list))
  m_list = torch.tensor(m_list * (max_m / np.max(m_list)))
  index = F.one_hot(target, x.shape[1]).bool()
  batch_m = m_list[target].reshape(-1, 1)
  output = torch.where(index, x - batch_m, x)
  return F.cross_entropy(s * output, target, weight=weight, reduction="none")


def main():
  out = versions()
  logits, labels, counts = classification_inputs()
  out.update({"logits": logits, "labels": labels, "counts": counts})
  for scale in (1.0, 30.0):
    x = torch.tensor(logits / (10.0 if scale == 30.0 else 1.0), requires_grad=True)   # cosine-like at s=30
    values = ldam_authors(x, torch.tensor(labels), counts, max_m=0.5, s=scale)
    values.sum().backward()
    out[f"ldam/s={scale}/logits"] = x.detach().numpy()
    out[f"ldam/s={scale}/values"] = values.detach().numpy()
    out[f"ldam/s={scale}/grad"] = x.grad.numpy()
  path = os.path.join(os.path.dirname(__file__), "losses_ldam.npz")
  np.savez_compressed(path, **out)
  print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
  main()
