"""The 25 LAW papers' configs; their fit configs (configs/<slug>.py, sweep.kind="fit"): load in every variant, name their paper, a known form, existing data and rules on the
form's parameters, and a verdict path (rules, or a not-testable / partly-testable reason)."""
import glob
import os

import pytest

from lbrl.laws import forms
from lbrl.tools import reproduce

REPO = reproduce.REPO
SLUGS = ("4_3_phases_compute kaplan_scaling_laws explaining_neural_scaling_laws scaling_laws_optimal_data "
         "scaling_laws_neural_machine loss_to_loss research_without_re_search scaling_laws_autoregressive_generative "
         "performance_scaling_optimal_transport scaling_laws_precision llms_line_data_determines "
         "scaling_laws_robust_comparison hitchhiker_scaling number_trainable_parameters_that "
         "scaling_learned_image_compression scaling_laws_part1 farseer unlock_predictable_scaling_emergent "
         "convnets_match_vision_transformers scalability_diffusion_based_text scaling_laws_sparsely_connected "
         "time_matters language_models_scale_reliably wsd_cooldown honey_i_shrunk_language").split()


# wsd_cooldown is a training sweep on the char LM (WSD vs cosine), not a fit; the rest fit a law to points
FIT_SLUGS = tuple(s for s in SLUGS if s != "wsd_cooldown")


def test_all_25_papers_have_a_config():
  assert len(SLUGS) == 25
  have = {os.path.basename(p)[:-3] for p in glob.glob(os.path.join(REPO, "configs", "*.py"))}
  assert set(SLUGS) <= have


@pytest.mark.parametrize("slug", FIT_SLUGS)
def test_fit_config(slug):
  path = os.path.join(REPO, "configs", f"{slug}.py")
  for variant in ("smoke", "cpu", "paper"):
    cfg, _ = reproduce.load_config(path, variant)
    assert cfg.paper.slug == slug and cfg.sweep.kind == "fit"
  for field in ("title", "arxiv", "claim", "expected", "setting", "code"):
    assert cfg.paper[field], field
  form = forms.get(cfg.fit.law)
  assert set(cfg.fit.columns) == set(form.inputs) | {"y"}
  data = cfg.fit.data if os.path.isabs(cfg.fit.data) else os.path.join(REPO, cfg.fit.data)
  if "shared" in cfg.fit.data and not os.path.exists(data):
    pytest.skip("no shared scaling-law data")
  assert os.path.exists(data), data
  assert cfg.sweep.rules or cfg.sweep.not_testable
  for r in cfg.sweep.rules:
    assert r["param"] in form.params and r["op"] in ("between", ">=", "<=")
  assert cfg.fit.bootstrap == 1000 and len(cfg.paper.cpu_sized) > 40
