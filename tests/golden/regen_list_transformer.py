"""Regenerates models_list_transformer.npz: allRank's context-aware scorer (allegro/allRank
``allrank/models/model.py`` FCModel -> transformer Encoder -> OutputLayer, ``transformer.py``), re-typed in
PyTorch, for tests/models/test_list_transformer.py.

Recorded: ``count_run`` (``sum(p.numel())`` of the NeuralNDCG run's scorer on 136 MSLR features: sizes [96],
N 2, h 1, d_ff 384, tanh output); a small scorer (F 5, d_model 8, 2 heads, 2 blocks, d_ff 16) with random
weights in Flax layout under lbrl's parameter paths (``params/...``), lists ``x`` [3, 6, 5] whose padded
documents are zero rows (allRank's padding, its mask ``y == -1``), and the float64 eval-mode scores
``scores`` [3, 6].

Run by hand (never in CI):  /work/torchenv/bin/python tests/golden/regen_list_transformer.py
"""
from __future__ import annotations

import math
import os

import numpy as np
import torch
from torch import nn

torch.set_default_dtype(torch.float64)


class LN(nn.Module):     # allRank's LayerNorm: unbiased std, eps outside the root
  def __init__(self, d, eps=1e-6):
    super().__init__()
    self.a = nn.Parameter(torch.ones(d))
    self.b = nn.Parameter(torch.zeros(d))
    self.eps = eps

  def forward(self, x):
    return self.a * (x - x.mean(-1, keepdim=True)) / (x.std(-1, keepdim=True) + self.eps) + self.b


class Block(nn.Module):
  def __init__(self, d, h, d_ff):
    super().__init__()
    self.h, self.dk = h, d // h
    self.ln1, self.ln2 = LN(d), LN(d)
    self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
    self.ff1, self.ff2 = nn.Linear(d, d_ff), nn.Linear(d_ff, d)

  def attn(self, x, pad):
    b = x.shape[0]
    q, k, v = (m(x).view(b, -1, self.h, self.dk).transpose(1, 2) for m in (self.q, self.k, self.v))
    s = q @ k.transpose(-2, -1) / math.sqrt(self.dk)
    s = s.masked_fill(pad[:, None, None, :], float("-inf"))
    o = (torch.softmax(s, -1) @ v).transpose(1, 2).contiguous().view(b, -1, self.h * self.dk)
    return self.o(o)

  def forward(self, x, pad):
    x = x + self.attn(self.ln1(x), pad)
    return x + self.ff2(torch.relu(self.ff1(self.ln2(x))))


class Scorer(nn.Module):
  def __init__(self, f, d, n, h, d_ff):
    super().__init__()
    self.inp = nn.Linear(f, d)
    self.blocks = nn.ModuleList(Block(d, h, d_ff) for _ in range(n))
    self.norm = LN(d)
    self.out = nn.Linear(d, 1)
    for p in self.parameters():                 # allRank's make_model: Xavier-uniform for every matrix
      if p.dim() > 1:
        nn.init.xavier_uniform_(p)

  def forward(self, x, pad):
    h = self.inp(x)
    for b in self.blocks:
      h = b(h, pad)
    return torch.tanh(self.out(self.norm(h)).squeeze(-1))


def export(net) -> dict:
  out = {}

  def lin(name, m):
    out[f"params/{name}/kernel"] = m.weight.detach().numpy().T.copy()
    out[f"params/{name}/bias"] = m.bias.detach().numpy().copy()

  def ln(name, m):
    out[f"params/{name}/scale"] = m.a.detach().numpy().copy()
    out[f"params/{name}/bias"] = m.b.detach().numpy().copy()

  lin("input", net.inp)
  for i, b in enumerate(net.blocks):
    for n, m in (("query", b.q), ("key", b.k), ("value", b.v), ("out", b.o), ("ff1", b.ff1), ("ff2", b.ff2)):
      lin(f"block{i}_{n}", m)
    ln(f"block{i}_ln1", b.ln1)
    ln(f"block{i}_ln2", b.ln2)
  ln("final_ln", net.norm)
  lin("output", net.out)
  return out


def main():
  torch.manual_seed(0)
  rng = np.random.default_rng(0)
  out = {"version_torch": np.asarray(torch.__version__)}
  out["count_run"] = np.asarray(sum(p.numel() for p in Scorer(136, 96, 2, 1, 384).parameters()))
  net = Scorer(5, 8, 2, 2, 16)
  with torch.no_grad():   # non-trivial LayerNorm gains/offsets and biases
    for name, p in net.named_parameters():
      if p.dim() == 1:
        p.copy_(torch.tensor(rng.uniform(0.5, 1.5, p.shape) if name.endswith(".a") else rng.normal(size=p.shape) * 0.3))
  x = rng.normal(size=(3, 6, 5))
  x[1, 4:] = 0.0        # padded documents: zero rows
  x[2, 2:] = 0.0
  net.eval()
  out["x"] = x
  out["scores"] = net(torch.tensor(x), torch.tensor(~np.any(x != 0, -1))).detach().numpy()
  out.update(export(net))
  path = os.path.join(os.path.dirname(__file__), "models_list_transformer.npz")
  np.savez(path, **out)
  print("count_run", out["count_run"], "wrote", path)


if __name__ == "__main__":
  main()
