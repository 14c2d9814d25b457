"""The synthetic hubness tool for Balance Act: generator shapes, NumPy recall@1, the method read from the run."""
import types

import ml_collections
import numpy as np
import pytest

from lbrl.analysis import hubness as H

_KW = dict(num_pairs=60, bank=80, latent=4, dim=8, betas=(1.0, 10.0), k=3)


def test_raw_recall_matches_numpy_and_tool_reads_method():
  rng = np.random.default_rng(0)
  maps = H.random_maps(rng, 4, 8, 0.5, 0.5)
  q, g = H.paired_embeddings(rng, 50, maps, 1.0)
  np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0, rtol=1e-6)
  want = np.mean(np.argmax(q @ g.T, 1) == np.arange(50))
  assert H.recall_at_1(H.score("raw", q, g, None, None)) == pytest.approx(want)
  cfg = ml_collections.ConfigDict({"analysis": {"kwargs": {"method": "dualbank"}}})
  scalars, extra = H.hubness_simulation(types.SimpleNamespace(seed=1, cfg=cfg), **_KW)
  assert extra["method"] == "dualbank" and scalars["beta_gallery"] in (1.0, 10.0)
  assert set(scalars) == {"recall_at_1", "skewness", "hub_occupancy", "beta_query", "beta_gallery"}
  with pytest.raises(ValueError, match="method"):
    H.hubness_simulation(types.SimpleNamespace(seed=1), method="bm25", **_KW)
