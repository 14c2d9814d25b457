"""Hubness in cross-modal retrieval on synthetic paired embeddings, and the bank normalisations that reduce it.

For Balance Act (Wang, Jian & Xue, "Balance Act: Mitigating Hubness in Cross-Modal Retrieval with Query and
Gallery Banks", EMNLP 2023, arXiv:2310.11612, slug ``balance_act``): DBNorm
(:func:`lbrl.evaluation.ranking.dual_bank_normalize`) against QB-Norm's query bank alone
(:func:`lbrl.evaluation.ranking.querybank_normalize`) and the raw cosine similarities.

The generator (:func:`paired_embeddings`, lbrl's; the paper uses CLIP-style features of real benchmarks):
a latent ``z ~ N(0, I_d)`` per pair; the gallery item is ``normalize(z A + noise eps + mu_g)`` and its
query ``normalize(z B + noise eps' + mu_q)`` in ``R^D``, with ``A`` Gaussian ``[d, D] / sqrt(d)``, ``B = A +
gap * A'`` (a modality gap) and ``mu_g, mu_q`` fixed offsets of norm ``offset`` (anisotropic embeddings,
where hubs form). ``A, B, mu`` are drawn once per seed; the test pairs, the validation pairs and the banks
(``bank`` queries and ``bank`` gallery items of a "training set") are independent draws. Each method's
inverse temperatures are chosen on the validation pairs (recall@1) from ``betas`` and then scored on the
test pairs: recall@1, the skewness of the 10-occurrence ``N_10`` and the hub occupancy (1% of the gallery).
"""
from __future__ import annotations

import itertools

import jax.numpy as jnp
import numpy as np

from lbrl.evaluation import ranking

METHODS = ("raw", "querybank", "dualbank", "querybank_dynamic", "dualbank_dynamic")


def _normalize(x):
  return x / np.linalg.norm(x, axis=1, keepdims=True)


def paired_embeddings(rng: np.random.Generator, n: int, maps: dict, noise: float):
  """``(queries [n, D], gallery [n, D])``, row ``i`` of each a pair (see the module docstring)."""
  z = rng.normal(size=(n, maps["A"].shape[0]))
  d = maps["A"].shape[1]
  gallery = _normalize(z @ maps["A"] + noise * rng.normal(size=(n, d)) + maps["mu_g"])
  queries = _normalize(z @ maps["B"] + noise * rng.normal(size=(n, d)) + maps["mu_q"])
  return queries, gallery


def random_maps(rng: np.random.Generator, latent: int, dim: int, gap: float, offset: float) -> dict:
  a = rng.normal(size=(latent, dim)) / np.sqrt(latent)
  unit = lambda v: v / np.linalg.norm(v)
  return {"A": a, "B": a + gap * rng.normal(size=(latent, dim)) / np.sqrt(latent),
          "mu_g": offset * unit(rng.normal(size=dim)), "mu_q": offset * unit(rng.normal(size=dim))}


def score(method: str, queries, gallery, bank_queries, bank_gallery, beta_query: float = 20.0,
          beta_gallery: float = 3.0, k: int = 1):
  """Retrieval scores ``[Q, G]`` of ``method`` (one of :data:`METHODS`)."""
  sim = jnp.asarray(queries @ gallery.T)
  if method == "raw":
    return sim
  dynamic = method.endswith("_dynamic")
  qb = jnp.asarray(bank_queries @ gallery.T)
  if method.startswith("querybank"):
    return ranking.querybank_normalize(sim, qb, beta=beta_query, dynamic=dynamic, k=k)
  if method.startswith("dualbank"):
    gb = jnp.asarray(bank_gallery @ gallery.T)
    return ranking.dual_bank_normalize(sim, qb, gb, beta_query=beta_query, beta_gallery=beta_gallery,
                                       dynamic=dynamic, k=k)
  raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def recall_at_1(scores) -> float:
  return float(jnp.mean(jnp.argmax(scores, axis=1) == jnp.arange(scores.shape[0])))


def hubness_simulation(ctx, *, method: str | None = None, num_pairs: int = 1000, bank: int = 2000,
                       latent: int = 32, dim: int = 64, noise: float = 1.0, gap: float = 0.5, offset: float = 0.5,
                       betas=(1.0, 3.0, 10.0, 30.0), k: int = 10):
  """Analysis tool (``at="init"``; the model is not used): one method's test recall@1 and hubness on the
  synthetic pairs of the run's seed, its betas chosen on validation pairs. ``method=None`` reads it from
  the run's own config (``ctx.cfg.analysis.kwargs.method``), where a sweep arm sets it.

  Scalars: ``recall_at_1``, ``skewness`` (of ``N_k``), ``hub_occupancy``, and the chosen ``beta_query`` /
  ``beta_gallery`` (0 where unused).
  """
  if method is None:
    method = dict(ctx.cfg.analysis["kwargs"]).get("method")
  if method not in METHODS:
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")
  rng = np.random.default_rng(int(ctx.seed))
  maps = random_maps(rng, latent, dim, gap, offset)
  test = paired_embeddings(rng, num_pairs, maps, noise)
  val = paired_embeddings(rng, num_pairs, maps, noise)
  bank_q, bank_g = paired_embeddings(rng, bank, maps, noise)
  grid = [(0.0, 0.0)] if method == "raw" else (
      [(b, 0.0) for b in betas] if method.startswith("querybank") else list(itertools.product(betas, betas)))
  val_r1 = [recall_at_1(score(method, *val, bank_q, bank_g, beta_query=bq or 1.0, beta_gallery=bg or 1.0))
            for bq, bg in grid]
  bq, bg = grid[int(np.argmax(val_r1))]
  s = score(method, *test, bank_q, bank_g, beta_query=bq or 1.0, beta_gallery=bg or 1.0)
  scalars = {"recall_at_1": recall_at_1(s), "skewness": float(ranking.hubness_skewness(s, k=k)),
             "hub_occupancy": float(ranking.hub_occupancy(s, k=k)), "beta_query": bq, "beta_gallery": bg}
  return scalars, {"method": method, "validation_recall_at_1": dict(zip(map(str, grid), val_r1))}
