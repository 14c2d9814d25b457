"""Seed statistics and verdict rules for reproductions.

Every arm is run over several seeds; an arm's metric is summarised by its mean, sample standard
deviation and a 95% Student-t interval. Comparisons use Welch's t interval for the difference of two
means, so "A beats B" needs the whole 95% interval of mean(A) - mean(B) above zero: a difference smaller
than the seed noise is never called a win.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy import stats as sps


@dataclasses.dataclass
class Summary:
  n: int
  mean: float
  std: float
  lo: float   # 95% interval of the mean
  hi: float


def summarize(values) -> Summary:
  v = np.asarray(values, np.float64)
  n = len(v)
  if n == 0:
    raise ValueError("no values to summarize")
  mean = float(v.mean())
  if n == 1:
    return Summary(1, mean, float("nan"), float("nan"), float("nan"))
  std = float(v.std(ddof=1))
  half = float(sps.t.ppf(0.975, n - 1)) * std / math.sqrt(n)
  return Summary(n, mean, std, mean - half, mean + half)


def diff_interval(a, b) -> tuple[float, float, float]:
  """Welch 95% interval for mean(a) - mean(b): (difference, lo, hi)."""
  a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
  d = float(a.mean() - b.mean())
  if len(a) < 2 or len(b) < 2:
    return d, float("nan"), float("nan")
  va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
  se = math.sqrt(va + vb)
  if se == 0:
    return d, d, d
  dof = (va + vb) ** 2 / ((va ** 2 / (len(a) - 1) if va else 0) + (vb ** 2 / (len(b) - 1) if vb else 0))
  half = float(sps.t.ppf(0.975, dof)) * se
  return d, d - half, d + half


@dataclasses.dataclass
class RuleResult:
  rule: dict
  passed: bool
  text: str


def _fmt(x: float) -> str:
  return f"{x:.4g}"


def check_rule(rule: dict, values: dict[str, list[float]]) -> RuleResult:
  """Evaluates one rule (see configs/common.py) against per-arm metric values over seeds."""
  rule = dict(rule)
  arm, op = rule["arm"], rule["op"]
  tag = f"[{rule['metric']}] " if "metric" in rule else ""
  res = _check(rule, arm, op, values)
  return RuleResult(res.rule, res.passed, tag + res.text)


def _check(rule: dict, arm: str, op: str, values: dict[str, list[float]]) -> RuleResult:
  if arm not in values or not values[arm]:
    return RuleResult(rule, False, f"arm {arm!r} has no results")
  a = values[arm]
  if op in (">", "<", "tie"):
    other = rule["than"]
    if other not in values or not values[other]:
      return RuleResult(rule, False, f"arm {other!r} has no results")
    d, lo, hi = diff_interval(a, values[other])
    ci = f"mean({arm}) - mean({other}) = {_fmt(d)}, 95% CI [{_fmt(lo)}, {_fmt(hi)}]"
    if math.isnan(lo):
      return RuleResult(rule, False, f"{ci}: needs at least 2 seeds per arm")
    if op in (">", "<"):
      ok, opposite = (lo > 0, hi < 0) if op == ">" else (hi < 0, lo > 0)
      why = "" if ok else " (the opposite holds beyond noise)" if opposite else " (within noise)"
      return RuleResult(rule, ok, f"{arm} {op} {other}: {ci}{why}")
    tie = lo <= 0 <= hi
    return RuleResult(rule, tie, f"{arm} ties {other}: {ci}" + ("" if tie else " (differ beyond noise)"))
  m = float(np.mean(a))
  if op in (">=", "<="):
    v = float(rule["value"])
    ok = m >= v if op == ">=" else m <= v
    return RuleResult(rule, ok, f"mean({arm}) = {_fmt(m)} {op} {_fmt(v)}")
  if op == "between":
    lo, hi = (float(x) for x in rule["value"])
    return RuleResult(rule, lo <= m <= hi, f"mean({arm}) = {_fmt(m)} in [{_fmt(lo)}, {_fmt(hi)}]")
  raise ValueError(f"unknown rule op {op!r} in {rule}; known: >, <, tie, >=, <=, between")


VERDICTS = ("reproduced", "partly reproduced", "not reproduced", "not testable at this scale")


def verdict(results: list[RuleResult], not_testable: str = "", partly_testable: str = "") -> str:
  """From the rules: all pass -> reproduced, some -> partly, none -> not reproduced. A ``not_testable``
  reason overrides them; a ``partly_testable`` reason (part of the claim cannot be tested here) caps
  "reproduced" at "partly reproduced"."""
  if not_testable:
    return VERDICTS[3]
  if not results:
    raise ValueError("a reproduction needs at least one rule (config.sweep.rules) or a not_testable reason")
  passed = sum(r.passed for r in results)
  if passed == len(results):
    return VERDICTS[1] if partly_testable else VERDICTS[0]
  return VERDICTS[1] if passed else VERDICTS[2]
