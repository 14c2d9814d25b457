"""Regenerates contrastive_losses.npz: values and input gradients of independent implementations of the
contrastive losses of lbrl.losses.contrastive (issue 16), float64:

* lightly (``NTXentLoss``, ``NegativeCosineSimilarity``, ``DCLLoss``),
* open_clip's ``SigLipLoss`` (its ``loss.py`` loaded on its own: the package's ``__init__`` needs
  torchvision, which the loss does not use),
* pytorch-metric-learning's ``NTXentLoss`` (labels = example index: SimCLR) and ``SupConLoss``.

Run by hand in the torch venv (see _torch_common.py; plus ``pip install --no-deps lightly==1.6.0
open_clip_torch pytorch-metric-learning``):
    /work/torchenv/bin/python tests/golden/regen_contrastive_losses.py
lightly's package imports torchvision in modules these losses do not use; torchvision is stubbed below
(torchvision wheels are tied to one torch build).
"""
import importlib.util
import os
import sys
import types

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from _torch_common import versions  # noqa: E402


class _Stub(types.ModuleType):
  def __getattr__(self, name):
    if name.startswith("__"):
      raise AttributeError(name)
    return type(name, (), {})


for _m in ("torchvision", "torchvision.ops", "torchvision.transforms", "torchvision.transforms.functional",
           "torchvision.models", "torchvision.datasets", "torchvision.transforms.v2", "torchvision.io",
           "torchvision.utils", "torchvision.tv_tensors"):
  sys.modules.setdefault(_m, _Stub(_m))

import lightly.loss as LL  # noqa: E402
from pytorch_metric_learning import losses as PML  # noqa: E402


def open_clip_loss():
  import importlib.metadata
  path = os.path.join(os.path.dirname(importlib.metadata.distribution("open_clip_torch").locate_file("open_clip/loss.py")),
                      "loss.py")
  spec = importlib.util.spec_from_file_location("open_clip_loss", path)
  mod = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(mod)
  return mod


def value_and_grads(fn, *arrays):
  ts = [torch.tensor(a, requires_grad=True) for a in arrays]
  v = fn(*ts)
  v.backward()
  return float(v.detach()), [t.grad.numpy() for t in ts]


def main():
  out = versions("lightly", "open_clip_torch", "pytorch-metric-learning")
  rng = np.random.default_rng(0)
  b, d = 12, 6
  z0 = rng.standard_normal((b, d))
  z1 = z0 + 0.7 * rng.standard_normal((b, d))
  labels = rng.integers(0, 3, b)
  out.update(z0=z0, z1=z1, labels=labels)
  for t in (0.1, 0.5):
    v, g = value_and_grads(LL.NTXentLoss(temperature=t), z0, z1)
    out[f"lightly_ntxent/t={t}/value"], out[f"lightly_ntxent/t={t}/g0"], out[f"lightly_ntxent/t={t}/g1"] = v, *g
    v, g = value_and_grads(LL.DCLLoss(temperature=t), z0, z1)
    out[f"lightly_dcl/t={t}/value"], out[f"lightly_dcl/t={t}/g0"], out[f"lightly_dcl/t={t}/g1"] = v, *g
    pml = PML.NTXentLoss(temperature=t)
    v, g = value_and_grads(lambda a, c: pml(torch.cat([a, c]), torch.arange(b).repeat(2)), z0, z1)
    out[f"pml_ntxent/t={t}/value"], out[f"pml_ntxent/t={t}/g0"], out[f"pml_ntxent/t={t}/g1"] = v, *g
    sup = PML.SupConLoss(temperature=t)
    lab = torch.tensor(labels).repeat(2)
    v, g = value_and_grads(lambda a, c: sup(torch.cat([a, c]), lab), z0, z1)
    out[f"pml_supcon/t={t}/value"], out[f"pml_supcon/t={t}/g0"], out[f"pml_supcon/t={t}/g1"] = v, *g
  v, g = value_and_grads(LL.NegativeCosineSimilarity(), z0, z1)
  out["lightly_negcos/value"], out["lightly_negcos/g0"], out["lightly_negcos/g1"] = v, *g
  oc = open_clip_loss()
  n0 = z0 / np.linalg.norm(z0, axis=1, keepdims=True)
  n1 = z1 / np.linalg.norm(z1, axis=1, keepdims=True)
  out.update(n0=n0, n1=n1)
  for scale, bias in ((10.0, -10.0), (3.0, 0.5)):
    loss = oc.SigLipLoss()
    ts = [torch.tensor(a, requires_grad=True) for a in (n0, n1, np.float64(scale), np.float64(bias))]
    v = loss(ts[0], ts[1], ts[2], ts[3])
    v.backward()
    key = f"open_clip_siglip/t={scale}/b={bias}"
    out[f"{key}/value"] = float(v.detach())
    for name, tt in zip(("g0", "g1", "gt", "gb"), ts):
      out[f"{key}/{name}"] = tt.grad.numpy()
  path = os.path.join(os.path.dirname(__file__), "contrastive_losses.npz")
  np.savez_compressed(path, **{k: np.asarray(v) for k, v in out.items()})
  print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
  main()
