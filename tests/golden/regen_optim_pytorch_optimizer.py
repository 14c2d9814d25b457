"""Regenerates optim_pytorch_optimizer.npz: pytorch-optimizer's diffGrad, AdaFactor, Lookahead(Adam),
SAM(SGD), GaLore, Ranger21 (core: AGC, GC, PNM, Adam, norm loss, lookahead), Gravity and LARS on the
float64 MLP problem (Flax layout in the file; torch's [out, in] kernels inside).

Run by hand in the torch venv (see _torch_common.py):
    /work/torchenv/bin/python tests/golden/regen_optim_pytorch_optimizer.py
"""
import os
import sys

import numpy as np
import pytorch_optimizer as po
import torch

sys.path.insert(0, os.path.dirname(__file__))
from _torch_common import (STEPS, mlp_inputs, mlp_loss, pack, pack_problem, to_flax, to_torch,  # noqa: E402
                           trajectory, versions)


def galore(ps):
  mats = [p for p in ps if p.dim() == 2]
  vecs = [p for p in ps if p.dim() != 2]
  return po.GaLore([{"params": mats, "rank": 2, "update_proj_gap": 200, "scale": 0.5,
                     "projection_type": "std"}, {"params": vecs}], lr=1e-2, eps=1e-8)


def sam_two_pass(opt, closure):
  opt.zero_grad()
  closure().backward()
  opt.first_step(zero_grad=True)
  closure().backward()
  opt.second_step(zero_grad=True)


CASES = {
    # eps tiny: pytorch-optimizer adds eps to sqrt(v) before bias correction, the paper (and lbrl) after
    "diffgrad": dict(make=lambda ps: po.DiffGrad(ps, lr=1e-2, eps=1e-12)),
    # no momentum, fixed lr (relative_step off), parameter-scale and update clipping on
    "adafactor": dict(make=lambda ps: po.AdaFactor(ps, lr=1e-2, betas=(None, 0.999), decay_rate=-0.8,
                                                   clip_threshold=1.0, scale_parameter=True,
                                                   relative_step=False, eps1=1e-30, eps2=1e-3)),
    "lookahead_adam": dict(make=lambda ps: po.Lookahead(torch.optim.Adam(ps, lr=1e-2), k=3, alpha=0.5)),
    "sam_sgd": dict(make=lambda ps: po.SAM(ps, base_optimizer=torch.optim.SGD, rho=0.05, lr=0.05,
                                           momentum=0.9), two_pass=sam_two_pass),
    "galore": dict(make=galore),
    # Ranger21's core; off: its LR schedule (pinned against a transcription of the authors' schedule
    # in tests/optim), softplus, gradient normalisation, and weight decay (pytorch-optimizer starts the
    # variance sum of its stable decay at 1.0, which neither the paper nor the authors' code does).
    "ranger21": dict(make=lambda ps: po.Ranger21(
        ps, num_iterations=100, lr=1e-2, beta0=0.9, betas=(0.9, 0.999), use_softplus=False,
        disable_lr_scheduler=True, agc_clipping_value=1e-2, agc_eps=1e-3, centralize_gradients=True,
        normalize_gradients=False, lookahead_merge_time=5, lookahead_blending_alpha=0.5,
        weight_decay=0.0, norm_loss_factor=1e-2, eps=1e-8)),
    "lars": dict(make=lambda ps: po.LARS(ps, lr=1.0, weight_decay=1e-2, momentum=0.9,
                                         trust_coefficient=0.02)),
}


def gravity_case(data, params):
  """Gravity with its random initial velocity recorded (lbrl's test starts from the same V_0)."""
  torch.manual_seed(0)
  tp = {k: to_torch(k, v) for k, v in params.items()}
  names = list(params)
  opt = po.Gravity([tp[k] for k in names], lr=0.1, alpha=0.01, beta=0.9)
  traj, v0 = {k: [] for k in names}, None
  for _ in range(STEPS):
    opt.zero_grad()
    mlp_loss(data, tp).backward()
    if v0 is None:
      opt.init_group(opt.param_groups[0])
      v0 = {k: to_flax(opt.state[tp[k]]["v"]) for k in names}
    opt.step()
    for k in names:
      traj[k].append(to_flax(tp[k]))
  out = pack("gravity", {k: np.stack(v) for k, v in traj.items()})
  out.update({f"gravity/v0/{k}": v for k, v in v0.items()})
  return out


def main():
  out = versions("pytorch-optimizer")
  data, params = mlp_inputs()
  out.update(pack_problem("mlp", data, params))
  for name, c in CASES.items():
    out.update(pack(name, trajectory(c["make"], mlp_loss, data, params, two_pass=c.get("two_pass"))))
  out.update(gravity_case(data, params))
  path = os.path.join(os.path.dirname(__file__), "optim_pytorch_optimizer.npz")
  np.savez_compressed(path, **out)
  print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
  main()
