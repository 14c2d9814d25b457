"""lbrl.analysis.norm_shift: alpha-BN accuracy under a synthetic covariate shift, on a hand-built context."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.analysis import norm_shift
from lbrl.analysis.context import AnalysisContext
from lbrl.models.simple import ResMLP


def _ctx(model, n=200, seed=0):
  rng = np.random.default_rng(seed)
  x = rng.normal(size=(n, 6)).astype(np.float32) + 2.0
  v = model.init(jax.random.key(0), jnp.asarray(x))
  state = {k: w for k, w in v.items() if k != "params"}
  labels = (x[:, 0] > 2.0).astype(np.int32)
  return AnalysisContext(cfg=None, model=model, params=v["params"], model_state=state, init_params=v["params"],
                         init_model_state=state, x=x, labels=labels, loss=None, apply=None, seed=seed)


def test_accuracy_per_alpha_matches_direct_evaluation():
  model = ResMLP(num_classes=2, width=8, depth=2, norm="alpha_batch")
  ctx = _ctx(model)
  s, extra = norm_shift.alpha_bn_under_shift(ctx, alphas=[0.0, 0.5, 1.0], noise_std=0.7)
  shifted = norm_shift.corrupt(ctx.x, 0.7, ctx.seed)
  for a in (0.0, 0.5, 1.0):
    m = model.clone(norm_options={"alpha": a})
    logits = m.apply({"params": ctx.params, **ctx.model_state}, jnp.asarray(shifted))
    assert s[f"acc_alpha_{a:g}"] == pytest.approx(float(np.mean(np.argmax(logits, -1) == ctx.labels)))
  assert s["gain_1"] == pytest.approx(s["acc_alpha_1"] - s["acc_alpha_0"])
  assert [r[0] for r in extra["alpha_curve"]] == [0.0, 0.5, 1.0]
  # without noise the shifted and clean batches agree
  s0, _ = norm_shift.alpha_bn_under_shift(ctx, alphas=[0.1], noise_std=0.0)
  assert s0["acc_alpha_0.1"] == s0["clean_acc_alpha_0.1"]


def test_bad_inputs():
  ctx = _ctx(ResMLP(num_classes=2, width=8, depth=1, norm="batch"))
  with pytest.raises(ValueError, match="alpha_batch"):
    norm_shift.alpha_bn_under_shift(ctx)
  with pytest.raises(ValueError, match="alphas"):
    norm_shift.alpha_bn_under_shift(_ctx(ResMLP(num_classes=2, width=8, depth=1, norm="alpha_batch")), alphas=[2.0])
  with pytest.raises(ValueError, match="noise_std"):
    norm_shift.corrupt(np.zeros(3), -1.0, 0)
