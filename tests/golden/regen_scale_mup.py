"""Records the ``mup`` package's muP (github.com/microsoft/mup) for an MLP and a small Transformer into
``scale_mup.npz``: per parameter, the *effective* learning-rate multiplier of ``MuAdam`` / ``MuSGD`` and
the effective init multiplier of ``set_base_shapes(rescale_params=True)`` (torch's fan-in init) and of
``mup.init.normal_`` (a constant-std init), relative to the same model at its base width.

Effective: ``MuReadout`` multiplies its input by 1/width_mult, so its weight acts as W_eff = W / m; an
Adam step on W moves W_eff by lr_group / m, an SGD step by lr_group / m^2 (the gradient picks up 1/m too);
the init multiplier of W_eff is (rescaled W / SP W) / m. lbrl puts these in the multipliers instead
(lbrl.optim.parametrization), so its multipliers must equal these effective ones.

Parameters are named by their lbrl paths (``mlp``: Dense_0/1/2; ``transformer_lm`` untied, bias-free,
one block). Run with the torch venv: ``/work/torchenv/bin/python tests/golden/regen_scale_mup.py``.
"""
import os

import numpy as np
import torch
from torch import nn

import mup
from mup import MuAdam, MuReadout, MuSGD, set_base_shapes

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scale_mup.npz")
MLP_IN, MLP_OUT, MLP_BASE, MLP_WIDTH = 40, 10, 64, 256
VOCAB, HEADS, TF_BASE, TF_WIDTH = 65, 4, 32, 128


class MLP(nn.Module):
  def __init__(self, w, readout=MuReadout):
    super().__init__()
    self.Dense_0 = nn.Linear(MLP_IN, w)
    self.Dense_1 = nn.Linear(w, w)
    self.Dense_2 = readout(w, MLP_OUT)

  def forward(self, x):
    return self.Dense_2(torch.relu(self.Dense_1(torch.relu(self.Dense_0(x)))))


class Block(nn.Module):
  def __init__(self, d):
    super().__init__()
    self.ln1, self.ln2 = nn.LayerNorm(d, bias=False), nn.LayerNorm(d, bias=False)
    self.query, self.key, self.value, self.out = (nn.Linear(d, d, bias=False) for _ in range(4))
    self.up, self.down = nn.Linear(d, 4 * d, bias=False), nn.Linear(4 * d, d, bias=False)


class Transformer(nn.Module):
  def __init__(self, d, readout=MuReadout):
    super().__init__()
    self.embed = nn.Embedding(VOCAB, d)
    self.block_0 = Block(d)
    self.ln_f = nn.LayerNorm(d, bias=False)
    self.unembed = readout(d, VOCAB, bias=False)


# torch name -> lbrl path
MLP_NAMES = {f"Dense_{i}.{k}": f"Dense_{i}/{'kernel' if k == 'weight' else 'bias'}"
             for i in range(3) for k in ("weight", "bias")}
TF_NAMES = {"embed.weight": "embed/embedding", "block_0.ln1.weight": "block_0/ln1/scale",
            "block_0.ln2.weight": "block_0/ln2/scale", "block_0.query.weight": "block_0/attn/query/kernel",
            "block_0.key.weight": "block_0/attn/key/kernel", "block_0.value.weight": "block_0/attn/value/kernel",
            "block_0.out.weight": "block_0/attn/out/kernel", "block_0.up.weight": "block_0/mlp/up/kernel",
            "block_0.down.weight": "block_0/mlp/down/kernel", "ln_f.weight": "ln_f/scale",
            "unembed.weight": "unembed"}


def readout_mult(model, name):
  """The forward multiplier 1 / width_mult of a MuReadout weight (1 for everything else)."""
  mod = model.get_submodule(name.rsplit(".", 1)[0])
  return 1.0 / mod.width_mult() if isinstance(mod, MuReadout) and name.endswith("weight") else 1.0


def group_lrs(opt):
  return {id(p): g["lr"] for g in opt.param_groups for p in g["params"]}


def record(make, names, base_w, w, prefix, out):
  torch.manual_seed(0)
  sp_model = make(w, nn.Linear)
  torch.manual_seed(0)
  model = make(w)
  set_base_shapes(model, make(base_w), rescale_params=True)
  sp = dict(sp_model.named_parameters())
  adam, sgd = group_lrs(MuAdam(model.parameters(), lr=1.0)), group_lrs(MuSGD(model.parameters(), lr=1.0))
  for name, p in model.named_parameters():
    key = f"{prefix}/{names[name]}"
    f = readout_mult(model, name)
    out[f"{key}/adam_lr"] = adam[id(p)] * f
    out[f"{key}/sgd_lr"] = sgd[id(p)] * f * f
    if p.dim() >= 2:   # weights: torch's biases are fan-in initialised, flax's are zero (nothing to compare)
      ratio = (p.detach() / sp[name].detach()).flatten()
      assert torch.allclose(ratio, ratio[0].expand_as(ratio), rtol=1e-5), name
      out[f"{key}/init_fan_in"] = float(ratio[0]) * f
      with torch.no_grad():
        torch.manual_seed(1)
        ref = torch.nn.init.normal_(torch.empty_like(p), std=0.02)
        torch.manual_seed(1)
        q = mup.init.normal_(p, std=0.02)
      out[f"{key}/init_constant"] = float((q.detach() / ref).flatten()[0]) * f
    out[f"{key}/shape"] = np.asarray(p.shape)


def main():
  out = {}
  record(MLP, MLP_NAMES, MLP_BASE, MLP_WIDTH, "mlp", out)
  record(Transformer, TF_NAMES, TF_BASE, TF_WIDTH, "transformer", out)
  from importlib.metadata import version
  meta = {"mup_version": version("mup"),
          "torch_version": torch.__version__,
          "settings": np.asarray([MLP_BASE, MLP_WIDTH, TF_BASE, TF_WIDTH, HEADS, VOCAB])}
  np.savez(OUT, **{k: np.asarray(v, np.float64) if not isinstance(v, np.ndarray) else v for k, v in out.items()},
           **meta)
  print(f"wrote {OUT}: {len(out)} entries")


if __name__ == "__main__":
  main()
