"""Regenerates models_iresnet.npz: parameter counts of the face-recognition IResNets and the outputs of a
small one, from PyTorch re-typings of the authors' definitions, for tests/models/test_iresnet.py.

The re-typings follow deepinsight/insightface ``recognition/arcface_torch/backbones/iresnet.py``
(``iresnet100``: conv1x1+BN downsample on each stage's first block, features BatchNorm1d with its weight
frozen at 1), mk-minchul/AdaFace ``net.py`` (``IR_101``: MaxPool2d(1, stride) shortcut where the width does
not change, Dropout(0.4), BatchNorm1d(affine=False)) and Jung-Jun-Uk/UNPG ``recognition/models/iresnet.py``
(insightface's layout with an affine features BatchNorm1d). Recorded:

* ``count_<release>`` (PyTorch ``sum(p.numel() for p in model.parameters())``) and ``trainable_<release>``
  (``requires_grad`` only) for the 100-layer networks on 112 x 112 inputs;
* ``<release>/...``: a small network (stages (2, 1), widths (8, 16), embedding 8, 16 x 16 x 3 inputs) with
  random weights, BatchNorm statistics and PReLU slopes, stored in Flax layout under lbrl's parameter paths,
  its input ``x`` and float64 outputs in eval mode (``eval_out``) and train mode (``train_out``, batch
  statistics; dropout 0 so that the outputs are deterministic).

Run by hand (never in CI):  /work/torchenv/bin/python tests/golden/regen_iresnet.py
"""
from __future__ import annotations

import os

import numpy as np
import torch
from torch import nn

torch.set_default_dtype(torch.float64)

RELEASES = {  # shortcut, dropout, features BatchNorm
    "insightface": dict(shortcut="conv", dropout=0.0, feature_bn="bias"),
    "adaface": dict(shortcut="subsample", dropout=0.4, feature_bn="none"),
    "unpg": dict(shortcut="conv", dropout=0.0, feature_bn="affine"),
}


class Block(nn.Module):
  def __init__(self, cin, cout, stride, shortcut):
    super().__init__()
    self.bn1 = nn.BatchNorm2d(cin, eps=1e-5)
    self.conv1 = nn.Conv2d(cin, cout, 3, 1, 1, bias=False)
    self.bn2 = nn.BatchNorm2d(cout, eps=1e-5)
    self.prelu = nn.PReLU(cout)
    self.conv2 = nn.Conv2d(cout, cout, 3, stride, 1, bias=False)
    self.bn3 = nn.BatchNorm2d(cout, eps=1e-5)
    self.stride = stride
    self.subsample = stride != 1 and cin == cout and shortcut == "subsample"
    self.down = None
    if (stride != 1 or cin != cout) and not self.subsample:
      self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout, eps=1e-5))

  def forward(self, x):
    y = self.bn3(self.conv2(self.prelu(self.bn2(self.conv1(self.bn1(x))))))
    if self.subsample:
      return y + nn.functional.max_pool2d(x, 1, self.stride)
    return y + (x if self.down is None else self.down(x))


class Net(nn.Module):
  def __init__(self, stages, widths, embed, side, shortcut, dropout, feature_bn):
    super().__init__()
    self.conv1 = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)
    self.bn1 = nn.BatchNorm2d(widths[0], eps=1e-5)
    self.prelu = nn.PReLU(widths[0])
    blocks, c = [], widths[0]
    self.names = []
    for i, (n, w) in enumerate(zip(stages, widths)):
      for j in range(n):
        blocks.append(Block(c, w, 2 if j == 0 else 1, shortcut))
        self.names.append(f"stage{i}_block{j}")
        c = w
    self.body = nn.Sequential(*blocks)
    self.bn2 = nn.BatchNorm2d(c, eps=1e-5)
    self.dropout = nn.Dropout(dropout)
    s = side // 2 ** len(stages)
    self.fc = nn.Linear(c * s * s, embed)
    self.features = nn.BatchNorm1d(embed, eps=1e-5, affine=feature_bn != "none")
    if feature_bn == "bias":
      nn.init.constant_(self.features.weight, 1.0)
      self.features.weight.requires_grad = False
    self.shape = (c, s, s)

  def forward(self, x):
    x = self.body(self.prelu(self.bn1(self.conv1(x))))
    x = self.dropout(torch.flatten(self.bn2(x), 1))
    return self.features(self.fc(x))


def counts(release):
  net = Net((3, 13, 30, 3), (64, 128, 256, 512), 512, 112, **RELEASES[release])
  return (sum(p.numel() for p in net.parameters()),
          sum(p.numel() for p in net.parameters() if p.requires_grad))


def randomise(net, rng):
  with torch.no_grad():
    for m in net.modules():
      if isinstance(m, (nn.Conv2d, nn.Linear)):
        m.weight.copy_(torch.tensor(rng.normal(size=m.weight.shape) / np.sqrt(m.weight[0].numel())))
        if m.bias is not None:
          m.bias.copy_(torch.tensor(rng.normal(size=m.bias.shape) * 0.1))
      elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
        c = m.num_features
        if m.affine and m.weight.requires_grad:
          m.weight.copy_(torch.tensor(rng.uniform(0.5, 1.5, c)))
        if m.affine:
          m.bias.copy_(torch.tensor(rng.normal(size=c) * 0.1))
        m.running_mean.copy_(torch.tensor(rng.normal(size=c) * 0.1))
        m.running_var.copy_(torch.tensor(rng.uniform(0.5, 2.0, c)))
      elif isinstance(m, nn.PReLU):
        m.weight.copy_(torch.tensor(rng.uniform(0.0, 0.5, m.weight.shape)))


def export(net, release, feature_bn) -> dict:
  """lbrl's Flax paths ('params/...', 'batch_stats/...') -> arrays in Flax layout."""
  out = {}

  def conv(path, m):
    out[f"params/{path}/kernel"] = np.transpose(m.weight.detach().numpy(), (2, 3, 1, 0))

  def bn(path, m, scale=True, bias=True):
    if scale:
      out[f"params/{path}/scale"] = m.weight.detach().numpy()
    if bias:
      out[f"params/{path}/bias"] = m.bias.detach().numpy()
    out[f"batch_stats/{path}/mean"] = m.running_mean.numpy()
    out[f"batch_stats/{path}/var"] = m.running_var.numpy()

  conv("stem", net.conv1)
  bn("stem_bn", net.bn1)
  out["params/stem_prelu/slope"] = net.prelu.weight.detach().numpy()
  for name, b in zip(net.names, net.body):
    conv(f"{name}/conv1", b.conv1)
    conv(f"{name}/conv2", b.conv2)
    bn(f"{name}/bn1", b.bn1)
    bn(f"{name}/bn2", b.bn2)
    bn(f"{name}/bn3", b.bn3)
    out[f"params/{name}/prelu/slope"] = b.prelu.weight.detach().numpy()
    if b.down is not None:
      conv(f"{name}/proj", b.down[0])
      bn(f"{name}/proj_bn", b.down[1])
  bn("final_bn", net.bn2)
  c, h, w = net.shape
  k = net.fc.weight.detach().numpy().reshape(-1, c, h, w)          # torch flattens C, H, W
  out["params/embed/kernel"] = np.transpose(k, (2, 3, 1, 0)).reshape(h * w * c, -1)   # lbrl: H, W, C
  out["params/embed/bias"] = net.fc.bias.detach().numpy()
  bn("feature_bn", net.features, scale=feature_bn == "affine", bias=feature_bn != "none")
  return {f"{release}/{k}": np.array(v, np.float64) for k, v in out.items()}   # copies: train mode moves the stats


def main():
  rng = np.random.default_rng(0)
  out = {"version_torch": np.asarray(torch.__version__)}
  x = rng.normal(size=(6, 16, 16, 3))                                  # NHWC
  out["x"] = x
  for release, kw in RELEASES.items():
    total, trainable = counts(release)
    out[f"count_{release}"], out[f"trainable_{release}"] = np.asarray(total), np.asarray(trainable)
    net = Net((2, 1), (8, 16), 8, 16, **{**kw, "dropout": 0.0})
    randomise(net, rng)
    params = export(net, release, kw["feature_bn"])
    xt = torch.tensor(np.transpose(x, (0, 3, 1, 2)))
    net.eval()
    out[f"{release}_eval_out"] = net(xt).detach().numpy()
    net.train()
    out[f"{release}_train_out"] = net(xt).detach().numpy()
    out.update(params)
    print(release, total, trainable)
  path = os.path.join(os.path.dirname(__file__), "models_iresnet.npz")
  np.savez(path, **out)
  print("wrote", path)


if __name__ == "__main__":
  main()
