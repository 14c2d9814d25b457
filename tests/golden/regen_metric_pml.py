"""Regenerates metric_pml.npz: pytorch-metric-learning's losses (values and embedding gradients) and its
AccuracyCalculator's retrieval metrics, on fixed float64 embeddings.

Run by hand in the torch venv (see _torch_common.py; plus ``pip install pytorch-metric-learning``):
    /work/torchenv/bin/python tests/golden/regen_metric_pml.py
Each ``<case>/loss`` is PML's reduced loss (its default reducer: the mean over anchors for
MultiSimilarityLoss and the proxy losses, the mean over non-zero terms for CircleLoss, TripletMarginLoss,
ContrastiveLoss and SupConLoss) and ``<case>/grad`` its gradient with respect to the embeddings.
"""
import os
import sys

import numpy as np
import torch
from pytorch_metric_learning import losses, miners
from pytorch_metric_learning.distances import CosineSimilarity
from pytorch_metric_learning.utils.accuracy_calculator import AccuracyCalculator
from pytorch_metric_learning.utils.inference import CustomKNN

sys.path.insert(0, os.path.dirname(__file__))
from _torch_common import versions  # noqa: E402


def inputs():
  rng = np.random.default_rng(0)
  labels = np.array([0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 3, 4, 2, 0, 1])   # class 4 has no positive
  centres = rng.normal(size=(5, 8))
  emb = 0.6 * centres[labels] + rng.normal(size=(16, 8))
  proxies = rng.normal(size=(5, 8))
  return emb, labels, proxies


def run(loss_fn, emb, labels, miner=None):
  x = torch.tensor(emb, requires_grad=True)
  y = torch.tensor(labels)
  pairs = miner(x, y) if miner is not None else None
  loss = loss_fn(x, y, pairs)
  loss.backward()
  return loss.detach().numpy(), x.grad.numpy()


def main():
  torch.set_default_dtype(torch.float64)
  out = versions("pytorch-metric-learning")
  emb, labels, proxies = inputs()
  out.update({"embeddings": emb, "labels": labels, "proxies": proxies})
  cases = {
      "multi_similarity_mined": (losses.MultiSimilarityLoss(alpha=2, beta=50, base=0.5),
                                 miners.MultiSimilarityMiner(epsilon=0.1)),
      "multi_similarity_all": (losses.MultiSimilarityLoss(alpha=2, beta=50, base=0.5), None),
      "circle": (losses.CircleLoss(m=0.4, gamma=80), None),
      "triplet_batch_hard": (losses.TripletMarginLoss(margin=0.2), miners.BatchHardMiner()),
      "contrastive": (losses.ContrastiveLoss(pos_margin=0.0, neg_margin=1.0), None),
      "supcon": (losses.SupConLoss(temperature=0.1), None),
  }
  for name, (fn, miner) in cases.items():
    out[f"{name}/loss"], out[f"{name}/grad"] = run(fn, emb, labels, miner)
  proxy_cases = {
      "normalized_softmax": losses.NormalizedSoftmaxLoss(num_classes=5, embedding_size=8, temperature=0.05),
      "arcface": losses.ArcFaceLoss(num_classes=5, embedding_size=8, margin=28.6, scale=64),
      "cosface": losses.CosFaceLoss(num_classes=5, embedding_size=8, margin=0.35, scale=64),
  }
  for name, fn in proxy_cases.items():
    fn = fn.double()
    with torch.no_grad():
      fn.W.copy_(torch.tensor(proxies.T))
    out[f"{name}/loss"], out[f"{name}/grad"] = run(fn, emb, labels)
  # Retrieval: 60 points of 4 classes, cosine similarity; query set = reference set (own row excluded).
  rng = np.random.default_rng(1)
  r_labels = np.repeat(np.arange(4), 15)
  r_emb = rng.normal(size=(4, 8))[r_labels] + 1.2 * rng.normal(size=(60, 8))
  calc = AccuracyCalculator(include=("mean_average_precision_at_r", "r_precision", "precision_at_1"),
                            avg_of_avgs=False, k=None, knn_func=CustomKNN(CosineSimilarity()))
  acc = calc.get_accuracy(torch.tensor(r_emb), torch.tensor(r_labels), torch.tensor(r_emb), torch.tensor(r_labels),
                          ref_includes_query=True)
  out.update({"retrieval/embeddings": r_emb, "retrieval/labels": r_labels})
  for k, v in acc.items():
    out[f"retrieval/{k}"] = np.asarray(v, np.float64)
  path = os.path.join(os.path.dirname(__file__), "metric_pml.npz")
  np.savez_compressed(path, **out)
  print(path, os.path.getsize(path), "bytes", {k: float(v) for k, v in acc.items()})


if __name__ == "__main__":
  main()
