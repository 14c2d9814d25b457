"""The one verdict evaluator: rules over per-run records -> rule outcomes and the five-label verdict.

Every kind reduces its results to *records* (``{"arm", "seed", "final": {metric: value}}``; a benchmark's
or a fit's measurements are records with one pseudo-seed) and to rules in the same vocabulary
(:func:`lbrl.tools.stats.check_rule`), or to precomputed :class:`~lbrl.tools.stats.RuleResult` s for
rules that are not comparisons of arms (a benchmark threshold, a fitted parameter's interval). A smoke
run never gets a verdict.
"""
from __future__ import annotations

from lbrl.tools import stats


def per_arm(records: list[dict], metric: str, arms: list[str] | None = None) -> dict[str, dict[int, float]]:
  """``{arm: {seed: final[metric]}}`` over the records that have the metric."""
  out: dict[str, dict[int, float]] = {a: {} for a in (arms or [])}
  for r in records:
    if metric in r.get("final", {}):
      out.setdefault(r["arm"], {})[int(r["seed"])] = float(r["final"][metric])
  return out


def evaluate_rules(rules, records: list[dict], metric: str) -> list[stats.RuleResult]:
  """Each rule against the records (paired over shared seeds; see :mod:`lbrl.tools.stats`)."""
  out = []
  for rule in rules:
    rule = dict(rule)
    m = rule.get("metric", metric)
    out.append(stats.check_rule(rule, per_arm(records, m), m))
  return out


def decide(results: list[stats.RuleResult], *, variant: str, not_testable: str = "",
           partly_testable: str = "") -> str:
  """The verdict; ``stats.SMOKE`` (no verdict) for the smoke variant, whatever the rules say."""
  if variant == "smoke":
    return stats.SMOKE
  return stats.verdict(results, not_testable, partly_testable)


def from_json(rules: list[dict]) -> list[stats.RuleResult]:
  """RuleResults back from results.json (old files have only ``passed``: a failed threshold of a
  measurement is contradicted, a passed one holds)."""
  out = []
  for r in rules:
    outcome = r.get("outcome") or (stats.HOLDS if r["passed"] else stats.CONTRADICTED)
    text = r["text"]
    for prefix in ("PASS: ", "FAIL: "):          # the old benchmark texts carried their outcome
      text = text[len(prefix):] if text.startswith(prefix) else text
    out.append(stats.RuleResult(dict(r["rule"]), outcome, text, r.get("numbers", {})))
  return out
