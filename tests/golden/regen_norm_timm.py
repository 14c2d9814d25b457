"""Regenerates norm_timm.npz: timm's EvoNorm2dB0 / EvoNorm2dS0 (Liu et al., arXiv:2004.02967),
ScaledStdConv2d (Brock et al., arXiv:2101.08692) and ``timm.utils.agc.adaptive_clip_grad`` (Brock et al.,
arXiv:2102.06171) on fixed float64-drawn inputs, for tests/golden/test_norm_golden.py.

Run by hand in a separate venv (never the project's, never in CI). timm needs torchvision only for
modules these layers do not use; without it, install timm without dependencies and stub torchvision:
    /work/torchenv/bin/pip install --no-deps -t /tmp/timm_pkgs timm
    PYTHONPATH=/tmp/timm_pkgs /work/torchenv/bin/python tests/golden/regen_norm_timm.py
"""
import importlib.machinery
import os
import sys
from importlib import metadata
from unittest import mock

import numpy as np
import torch

try:
  import torchvision  # noqa: F401
except ImportError:  # import-time stubs only: none of the layers recorded here calls torchvision
  for _name in ["torchvision", "torchvision.ops", "torchvision.ops.misc", "torchvision.transforms",
                "torchvision.transforms.functional", "torchvision.transforms.v2", "torchvision.datasets",
                "torchvision.io", "torchvision.utils"]:
    _m = mock.MagicMock()
    _m.__spec__, _m.__path__ = importlib.machinery.ModuleSpec(_name, None), []
    sys.modules[_name] = _m
  sys.modules["torchvision.ops.misc"].FrozenBatchNorm2d = type("FrozenBatchNorm2d", (torch.nn.Module,), {})
from timm.layers import EvoNorm2dB0, EvoNorm2dS0, ScaledStdConv2d  # noqa: E402
from timm.utils.agc import adaptive_clip_grad  # noqa: E402

torch.set_default_dtype(torch.float64)


def main():
  rng = np.random.default_rng(0)
  out = {"version_timm": metadata.version("timm"), "version_torch": torch.__version__}
  x = rng.normal(size=(4, 8, 5, 5)) * 1.5 + 0.3          # NCHW
  v, w, b = rng.uniform(0.5, 1.5, 8), rng.uniform(0.5, 1.5, 8), rng.normal(size=8) * 0.1
  running_var = rng.uniform(0.5, 2.0, 8)
  out.update(evo_x=x, evo_v=v, evo_scale=w, evo_bias=b, evo_running_var=running_var)
  for name, layer in [("b0", EvoNorm2dB0(8, eps=1e-3)), ("s0", EvoNorm2dS0(8, groups=4, eps=1e-5))]:
    with torch.no_grad():
      layer.v.copy_(torch.tensor(v))
      layer.weight.copy_(torch.tensor(w))
      layer.bias.copy_(torch.tensor(b))
      if name == "b0":
        layer.running_var.copy_(torch.tensor(running_var))
        layer.eval()
        out["b0_eval"] = layer(torch.tensor(x)).numpy()
      layer.train()
      out[f"{name}_train"] = layer(torch.tensor(x)).numpy()
  conv = ScaledStdConv2d(3, 6, 3, padding=1, gamma=1.0, eps=1e-12)
  with torch.no_grad():
    kernel = rng.normal(size=(6, 3, 3, 3)) * 0.4 + 0.1
    gain = rng.uniform(0.5, 1.5, 6)
    conv.weight.copy_(torch.tensor(kernel))
    conv.gain.copy_(torch.tensor(gain).view(6, 1, 1, 1))
    conv.bias.zero_()
    xc = rng.normal(size=(2, 3, 6, 6))
    out.update(sws_kernel=kernel, sws_gain=gain, sws_x=xc, sws_y=conv(torch.tensor(xc)).numpy())
  params = {"kernel": rng.normal(size=(5, 4)), "conv": rng.normal(size=(6, 3, 3, 3)), "bias": rng.normal(size=5)}
  grads = {"kernel": rng.normal(size=(5, 4)) * rng.choice([1e-3, 1.0, 30.0], size=(5, 1)),
           "conv": rng.normal(size=(6, 3, 3, 3)) * rng.choice([1e-3, 1.0, 30.0], size=(6, 1, 1, 1)),
           "bias": rng.normal(size=5) * 10}
  for k in params:
    p = torch.nn.Parameter(torch.tensor(params[k]))
    p.grad = torch.tensor(grads[k])
    adaptive_clip_grad([p], clip_factor=0.05, eps=1e-3)
    out[f"agc_{k}_param"], out[f"agc_{k}_grad"], out[f"agc_{k}_clipped"] = params[k], grads[k], p.grad.numpy()
  path = os.path.join(os.path.dirname(__file__), "norm_timm.npz")
  np.savez(path, **out)
  print("wrote", path, out["version_timm"])


if __name__ == "__main__":
  main()
