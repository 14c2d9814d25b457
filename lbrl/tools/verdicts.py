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


CENSORED = "/censored"   # final[metric + CENSORED] = 1.0: the run's value is a lower bound (lbrl.tools.kinds.sweep)


def evaluate_rules(rules, records: list[dict], metric: str) -> list[stats.RuleResult]:
  """Each rule against the records (paired over shared seeds; see :mod:`lbrl.tools.stats`). Where runs
  are censored (``final[metric + "/censored"] == 1``) the rule goes through :func:`censor`."""
  out = []
  for rule in rules:
    rule = dict(rule)
    m = rule.get("metric", metric)
    res = stats.check_rule(rule, per_arm(records, m), m)
    flags = per_arm(records, m + CENSORED)
    if any(v for seeds in flags.values() for v in seeds.values()):
      res = censor(res, {a: sorted(s for s, v in seeds.items() if v) for a, seeds in flags.items()})
    out.append(res)
  return out


def _bound_used(rule: dict, res: stats.RuleResult) -> set[str]:
  """Which end of the interval (of ``mean(A) - mean(B)``, or of A's mean for a threshold) the outcome
  rests on: ``"lo"``, ``"hi"`` or both."""
  op, n, held = rule["op"], res.numbers, res.outcome == stats.HOLDS
  if op == ">":
    return {"lo"} if held else {"hi"}
  if op == "<":
    return {"hi"} if held else {"lo"}
  if op == "not_worse":
    higher = n.get("better", "higher") == "higher"
    return {"lo" if higher == held else "hi"}
  if op == "tie":
    return {"lo", "hi"} if held else ({"lo"} if n["lo"] > n["margin"] else {"hi"})
  if op == ">=":
    return {"lo"} if held else {"hi"}
  if op == "<=":
    return {"hi"} if held else {"lo"}
  if op == "between":
    return {"lo", "hi"} if held else ({"hi"} if n["hi"] < float(rule["value"][0]) else {"lo"})
  raise ValueError(f"unknown rule op {op!r}")


def censor(res: stats.RuleResult, censored: dict[str, list[int]]) -> stats.RuleResult:
  """A rule outcome with censored runs (``censored[arm]`` = the seeds whose value is only a lower bound,
  e.g. the budget of a run that never reached a threshold). A censored value of arm A can only raise
  ``mean(A) - mean(B)`` (so the interval's upper end is no longer an upper bound); one of B can only
  lower it (the lower end is no longer a lower bound). An outcome resting on a bound that censoring
  invalidates becomes inconclusive; one resting only on valid bounds stands (it is conservative: the
  true values lie further in its direction). Inconclusive outcomes are unchanged."""
  rule = res.rule
  a, b = rule["arm"], rule.get("than")
  ca, cb = censored.get(a, []), (censored.get(b, []) if b else [])
  if not (ca or cb) or res.outcome == stats.INCONCLUSIVE:
    return res
  invalid = ({"hi"} if ca else set()) | ({"lo"} if cb else set())
  note = "; ".join(f"{arm} censored at the budget in seed{'s' if len(s) > 1 else ''} {', '.join(map(str, s))}"
                   for arm, s in ((a, ca), (b, cb)) if s)
  nums = dict(res.numbers, censored={k: v for k, v in ((a, ca), (b, cb)) if v})
  if _bound_used(rule, res) & invalid:
    return stats.RuleResult(rule, stats.INCONCLUSIVE,
                            f"{res.text} -> inconclusive: {note} (a lower bound), and the outcome rests on the "
                            f"interval end that censoring leaves unbounded", nums)
  return stats.RuleResult(rule, res.outcome, f"{res.text} ({note}: a lower bound, which only strengthens "
                          f"this outcome)", nums)


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
