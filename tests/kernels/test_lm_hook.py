"""The fused loss as the trainer uses it: a Transformer LM's (hidden, unembed) instead of its logits."""
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.registry import LOSSES


def test_declared_as_a_logit_free_loss():
  """The trainer calls it with the LM's (hidden, unembedding) pair as its first two arguments."""
  assert LOSSES.spec("linear_cross_entropy").consumes == "hidden_unembedding"
  with pytest.raises(ValueError, match="w must be"):
    LOSSES.get("linear_cross_entropy")(jnp.zeros((2, 5)), jnp.zeros(5), jnp.zeros(2, jnp.int32))


def test_shakespeare_char_trains_with_the_fused_loss_on_the_naive_loss_curve(tmp_path):
  """configs/shakespeare_char.py with loss linear_cross_entropy: same per-step train loss and eval loss
  as with cross_entropy on the logits (10 steps, 4-way data parallel)."""
  import json
  import os

  from lbrl.tools import reproduce
  from lbrl.train import train

  curves = {}
  for name in ("cross_entropy", "linear_cross_entropy"):
    cfg, _ = reproduce.load_config(os.path.join(reproduce.REPO, "configs", "shakespeare_char.py"), "smoke")
    reproduce._merge(cfg, {"loss": {"name": name}, "log_every": 1, "steps": 10, "mesh": {"shape": (4,)}})
    workdir = str(tmp_path / name)
    result = train(cfg, workdir, progress=False)
    rows = [json.loads(line) for line in open(os.path.join(workdir, "metrics.jsonl"))]
    curves[name] = ([r["train/loss"] for r in rows if "train/loss" in r], result["eval/loss"])
  (naive, naive_eval), (fused, fused_eval) = curves["cross_entropy"], curves["linear_cross_entropy"]
  assert len(naive) == len(fused) == 10
  np.testing.assert_allclose(fused, naive, rtol=1e-4)
  np.testing.assert_allclose(fused_eval, naive_eval, rtol=1e-4)
  assert naive[-1] < naive[0]                       # it trains
