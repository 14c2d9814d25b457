"""The shape shared by the scaling-law papers' configs (``sweep.kind = "fit"``): a form of
:mod:`lbrl.laws.forms` fitted to a table of points (released measurements, a study's ``results.json``, or
points drawn from the law with known parameters where the paper's data is not released), bootstrap
intervals, and rules on the fitted parameters (:mod:`lbrl.tools.kinds.fit`)."""
from __future__ import annotations

from lbrl import config as common

SCALING_DATA = "../shared/data/scaling_laws"   # relative to the repository root (../shared beside it)


def law(arg, *, slug: str, title: str, year: int, arxiv: str, claim: str, expected: str, setting: str,
        hardware: str, form: str, data: str, columns: dict, where: dict | None = None, rules=(),
        not_testable: str = "", partly_testable: str = "", residual: str = "log", drop_highest: int = 0,
        code: str = "", cpu_sized: str = ""):
  """A locked fit-kind config (see the module docstring); ``cpu_sized`` defaults to the reason a law fit's
  paper variant is the cpu variant (a fit runs in seconds; the paper's training runs are not ours)."""
  c, variant = common.base(arg)
  c.sweep.kind = "fit"
  c.fit = dict(law=form, data=data, columns=dict(columns), where=dict(where or {}), residual=residual,
               loss="huber", huber_delta=1e-3, drop_highest=int(drop_highest),
               bootstrap=common.by_variant(variant, smoke=10, cpu=100, paper=1000), seed=0)
  c.sweep.seeds = [0, 1, 2]          # the bootstrap seed is fit.seed; sweep seeds are unused by a fit
  c.sweep.rules = [dict(r) for r in rules]
  c.sweep.not_testable = not_testable
  c.sweep.partly_testable = partly_testable
  c.paper.update(title=title, year=year, arxiv=arxiv, slug=slug, claim=claim, expected=expected, setting=setting,
                 hardware=hardware, provides="analysis tool",
                 code=code or f"lbrl.laws.forms.FORMS[{form!r}] + lbrl.laws.fitting.fit",
                 cpu_sized=cpu_sized or "a scaling-law fit: the paper variant refits the same points with 1000 "
                                        "bootstrap resamples; the paper's own training runs are far beyond this machine")
  return common.finalize(c)


CHAR_LM_GRID = "experiments/char_lm_scaling/results.json"   # configs/char_lm_scaling.py's runs


def char_lm_grid_fit(arg, *, slug: str, title: str, year: int, arxiv: str, claim: str, expected: str,
                     form: str, rules, paper_runs: str):
  """A law fitted to lbrl's own char-LM parameters x tokens grid (configs/char_lm_scaling.py): N = the
  parameters the trainer counted, D = the target characters seen, y = validation loss; ``paper_runs``
  describes the paper's own runs (why its variant is this fit)."""
  return law(arg, slug=slug, title=title, year=year, arxiv=arxiv, claim=claim, expected=expected,
             setting="16 runs: 2-layer char GPT, widths 32-192 (N ~ 3e4-9e5), 250-2000 steps x 1024 characters",
             hardware="cpu: 2 CPU cores (configs/char_lm_scaling.py)", form=form, data=CHAR_LM_GRID,
             columns={"N": "final.model/params", "D": "final.train/tokens", "y": "final.eval/loss"}, rules=rules,
             cpu_sized=f"a fit to lbrl's own char-LM grid: its points are the cpu study's; the paper's own runs "
                       f"({paper_runs}) are not reproducible here")

