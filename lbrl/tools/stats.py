"""Seed statistics and three-way verdict rules for reproductions.

Every arm is run over several seeds; an arm's metric is summarised by its mean, sample standard deviation
(``ddof=1``) and the 95% Student-t interval of the mean, ``mean +- t(0.975, n-1) * std / sqrt(n)``.

**Comparisons are paired where the arms share seeds.** Arms run with the same seed share the
initialisation, the batch order and any sampled label noise or long tail, so the runner takes the
per-seed differences ``d_s = a_s - b_s`` over the seeds present in both arms and uses the paired t
interval ``mean(d) +- t(0.975, n-1) * std(d) / sqrt(n)`` (``scipy.stats.ttest_rel``). Welch's interval
(``scipy.stats.ttest_ind(equal_var=False)``) is used only for arms that share nothing: when a rule says
``"paired": False`` or when the arms share fewer than 2 seeds.

**Each rule is decided three ways** from the 95% interval ``[lo, hi]`` of the difference
``D = mean(A) - mean(B)`` and a margin ``m > 0`` (the smallest effect that matters for the claim; the
rule's ``"margin"`` if it states one, else the documented default for its metric, :data:`MARGINS`):

* ``A > B``: holds when ``lo > 0``; contradicted when ``hi < m`` (no effect as large as the margin, which
  includes the opposite sign beyond noise); otherwise inconclusive. ``A < B`` mirrors it (holds when
  ``hi < 0``, contradicted when ``lo > -m``).
* ``A tie B`` (equivalence, TOST): holds when both one-sided t tests of ``|D| >= m`` reject at 5% (the
  90% interval lies inside ``(-m, m)``); contradicted when the 95% interval lies beyond the margin on one
  side (``lo > m`` or ``hi < -m``); otherwise inconclusive.
* ``A not_worse B`` (non-inferiority, "A matches or beats B"): holds when ``lo > -m``; contradicted when
  ``hi < -m``; otherwise inconclusive.

``not_worse`` reads D in the direction of "better": higher by default, lower for losses, errors,
perplexity and calibration error (or the rule's ``"better": "higher" | "lower"``).

Threshold rules compare one arm's 95% interval of the mean with a value ``v``: ``A >= v`` holds when
``lo >= v``, is contradicted when ``hi < v``; ``A <= v`` mirrors it; ``A between (u, w)`` holds when the
interval lies inside ``[u, w]`` and is contradicted when it lies wholly outside.

An inconclusive rule reports the **minimum detectable effect** at the seeds used: with the standard
error ``se`` of the difference and its degrees of freedom ``df``, ``MDE = (t(0.975, df) + t(0.80, df)) *
se``, the true difference a two-sided 5% test detects with 80% power; and the **seeds needed**: the
smallest n per arm at which that MDE falls to the margin, with the observed standard deviation(s) held
fixed (paired: ``se = std(d) / sqrt(n)``, ``df = n - 1``; Welch: ``se = sqrt((var_a + var_b) / n)``).
For a tie the equivalent figures use the one-sided quantiles of TOST, ``(t(0.95, df) + t(0.90, df)) *
se`` (the smallest margin TOST confirms with 80% power when the true difference is 0).

The verdict (five labels, :data:`VERDICTS`) combines the rules: all hold -> reproduced; some hold ->
partly reproduced; none holds and one is contradicted -> not reproduced; none holds and none is
contradicted -> inconclusive at this scale; a ``not_testable`` reason -> not testable at this scale.
"""
from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
from scipy import stats as sps

ALPHA = 0.05   # two-sided level of every interval (95%); TOST uses two one-sided tests at ALPHA each
POWER = 0.80   # power at which minimum detectable effects are stated

HOLDS, CONTRADICTED, INCONCLUSIVE = "holds", "contradicted", "inconclusive"
OUTCOMES = (HOLDS, CONTRADICTED, INCONCLUSIVE)
VERDICTS = ("reproduced", "partly reproduced", "not reproduced", "inconclusive at this scale",
            "not testable at this scale")
SMOKE = "smoke test: no verdict"

# Default margins (the smallest difference that matters) by metric, first match wins. ``abs``: the
# margin is the value; ``rel``: the value times the reference arm's |mean| (the "than" arm, else the
# threshold), never below ``floor``. A rule's own ``"margin"`` (absolute) overrides the table.
MARGINS: list[tuple[str, str, float, float, str]] = [
    # (regex on the metric name, kind, value, floor, why)
    (r"(^|/)(ece|calibration_error)", "abs", 0.005, 0.0,
     "calibration error: half a percentage point"),
    (r"(accuracy|_f1$|/f1$|auc|precision|recall|softmax_collapse|_fraction$)", "abs", 0.01, 0.0,
     "a fraction in [0, 1] (accuracy, F1, AUC, ...): one percentage point"),
    (r"(loss|perplexity|nll)", "rel", 0.01, 0.01,
     "a loss: 1% of the reference arm's mean, at least 0.01 (a saturated loss near 0 still needs a "
     "margin, not a zero-width test)"),
    (r"ratio", "rel", 0.02, 0.0, "a measured ratio (memory, time): 2% of the reference"),
    (r".*", "rel", 0.01, 1e-12, "any other metric: 1% of the reference arm's absolute mean"),
]


def margin_for(metric: str, reference: float | None = None) -> tuple[float, str]:
  """The default margin for ``metric`` (see :data:`MARGINS`) and its one-line reason."""
  for pattern, kind, value, floor, why in MARGINS:
    if re.search(pattern, metric or ""):
      if kind == "abs":
        return value, why
      ref = abs(reference) if reference is not None and math.isfinite(reference) else 0.0
      return max(value * ref, floor), why
  raise AssertionError("the last MARGINS entry matches everything")


def margins_table() -> str:
  """:data:`MARGINS` as a markdown table (the reports print it)."""
  rows = ["| metric (regex) | default margin |", "|---|---|"]
  for pattern, kind, value, floor, why in MARGINS:
    m = f"{value:g} absolute" if kind == "abs" else f"{value:g} x reference" + (f", at least {floor:g}" if floor > 1e-9 else "")
    cell = pattern.replace("|", "\\|")   # a literal | would end the markdown cell
    rows.append(f"| `{cell}` | {m}: {why} |")
  return "\n".join(rows)


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
  half = float(sps.t.ppf(1 - ALPHA / 2, n - 1)) * std / math.sqrt(n)
  return Summary(n, mean, std, mean - half, mean + half)


@dataclasses.dataclass
class Difference:
  """``mean(a) - mean(b)`` with its standard error, degrees of freedom and 95% interval."""
  d: float
  se: float
  df: float
  lo: float
  hi: float
  paired: bool
  n: int               # pairs (paired) or the smaller arm's size (Welch)
  sd: float            # paired: std of the differences; Welch: sqrt(var_a + var_b) (for seed planning)

  def interval(self, level: float) -> tuple[float, float]:
    """The two-sided ``level`` interval (TOST at ALPHA is the 1 - 2 ALPHA interval)."""
    if self.se == 0:
      return self.d, self.d
    half = float(sps.t.ppf(0.5 + level / 2, self.df)) * self.se
    return self.d - half, self.d + half


def _nan_diff(d, paired, n):
  return Difference(d, float("nan"), float("nan"), float("nan"), float("nan"), paired, n, float("nan"))


def paired_diff(a, b) -> Difference:
  """Paired t: the differences of matched values (same seed) ``a[i] - b[i]``."""
  a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
  if a.shape != b.shape:
    raise ValueError(f"paired values need equal lengths, got {len(a)} and {len(b)}")
  dd = a - b
  n = len(dd)
  d = float(dd.mean())
  if n < 2:
    return _nan_diff(d, True, n)
  sd = float(dd.std(ddof=1))
  se = sd / math.sqrt(n)
  half = float(sps.t.ppf(1 - ALPHA / 2, n - 1)) * se
  return Difference(d, se, n - 1, d - half, d + half, True, n, sd)


def welch_diff(a, b) -> Difference:
  """Welch's unequal-variance t for independent samples."""
  a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
  d = float(a.mean() - b.mean())
  if len(a) < 2 or len(b) < 2:
    return _nan_diff(d, False, min(len(a), len(b)))
  va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
  se = math.sqrt(va + vb)
  sd = math.sqrt(a.var(ddof=1) + b.var(ddof=1))
  if se == 0:
    return Difference(d, 0.0, float("inf"), d, d, False, min(len(a), len(b)), 0.0)
  dof = (va + vb) ** 2 / ((va ** 2 / (len(a) - 1) if va else 0) + (vb ** 2 / (len(b) - 1) if vb else 0))
  half = float(sps.t.ppf(1 - ALPHA / 2, dof)) * se
  return Difference(d, se, dof, d - half, d + half, False, min(len(a), len(b)), sd)


def diff_interval(a, b) -> tuple[float, float, float]:
  """Welch 95% interval for mean(a) - mean(b): (difference, lo, hi)."""
  r = welch_diff(a, b)
  return r.d, r.lo, r.hi


def compare(a: dict[int, float] | list, b: dict[int, float] | list, paired: bool | None = None) -> Difference:
  """The difference of two arms. ``a``/``b`` map seed -> value (or are plain lists: independent).

  Paired over the seeds present in both arms (seeds one arm lacks are left out of a paired comparison)
  when at least 2 seeds are shared; Welch over all values when the arms share fewer than 2 seeds, when a
  rule says ``"paired": False``, or when either side is a plain list.
  """
  if isinstance(a, dict) and isinstance(b, dict):
    common = sorted(set(a) & set(b))
    if paired is None:
      paired = len(common) >= 2
    if paired:
      if len(common) < 2:
        return _nan_diff(float(np.mean([a[s] for s in common])) - float(np.mean([b[s] for s in common]))
                         if common else float("nan"), True, len(common))
      return paired_diff([a[s] for s in common], [b[s] for s in common])
    return welch_diff(list(a.values()), list(b.values()))
  if paired:
    raise ValueError("a paired comparison needs per-seed values (dicts seed -> value)")
  return welch_diff(list(a.values()) if isinstance(a, dict) else a, list(b.values()) if isinstance(b, dict) else b)


def mde(se: float, df: float, two_sided: bool = True) -> float:
  """Minimum detectable effect at 80% power: ``(t(1 - ALPHA/2) + t(POWER)) * se`` (two-sided), or with
  the one-sided ``t(1 - ALPHA) + t(1 - (1 - POWER)/2)`` for TOST (both one-sided tests must reject)."""
  if not (se == se and df == df) or df <= 0:
    return float("nan")
  if two_sided:
    q = sps.t.ppf(1 - ALPHA / 2, df) + sps.t.ppf(POWER, df)
  else:
    q = sps.t.ppf(1 - ALPHA, df) + sps.t.ppf(1 - (1 - POWER) / 2, df)
  return float(q * se)


def seeds_needed(sd: float, margin: float, paired: bool, two_sided: bool = True, max_n: int = 10000) -> int | None:
  """The smallest n (pairs, or seeds per arm for Welch) with ``mde(sd / sqrt(n), df(n)) <= margin``,
  the observed ``sd`` held fixed; ``df = n - 1`` (paired) or ``2 (n - 1)`` (Welch, equal variances in the
  degrees of freedom). None when even ``max_n`` is not enough."""
  if not (sd == sd) or margin <= 0:
    return None
  if sd == 0:
    return 2
  for n in range(2, max_n + 1):
    df = n - 1 if paired else 2 * (n - 1)
    if mde(sd / math.sqrt(n), df, two_sided) <= margin:
      return n
  return None


def tost_p(diff: Difference, margin: float) -> float:
  """TOST p-value for equivalence within ``(-margin, margin)``: the larger of the two one-sided
  t-test p-values (H0: D <= -margin, H0: D >= margin)."""
  if diff.se == 0:
    return 0.0 if abs(diff.d) < margin else 1.0
  p_low = sps.t.sf((diff.d + margin) / diff.se, diff.df)
  p_high = sps.t.cdf((diff.d - margin) / diff.se, diff.df)
  return float(max(p_low, p_high))


@dataclasses.dataclass
class RuleResult:
  """One rule's outcome (holds / contradicted / inconclusive) with the numbers it rests on."""
  rule: dict
  outcome: str
  text: str
  numbers: dict = dataclasses.field(default_factory=dict)

  def __post_init__(self):
    if self.outcome not in OUTCOMES:
      raise ValueError(f"rule outcome {self.outcome!r}; known: {OUTCOMES}")

  @property
  def passed(self) -> bool:
    return self.outcome == HOLDS

  def to_json(self) -> dict:
    return {"rule": dict(self.rule), "outcome": self.outcome, "passed": self.passed, "text": self.text,
            "numbers": self.numbers}


def _inconclusive(nums: dict, diff, m: float) -> str:
  """Records the minimum detectable effect and the seeds that would detect ``m``; returns the text."""
  nums["mde"] = mde(diff.se, diff.df)
  nums["seeds_needed"] = seeds_needed(diff.sd, m, diff.paired)
  return (f"inconclusive: minimum detectable effect {_fmt(nums['mde'])} at {diff.n} seeds (80% power); "
          + (f"{nums['seeds_needed']} seeds would detect the margin" if nums["seeds_needed"]
             else "no feasible seed count detects the margin"))


def _fmt(x: float) -> str:
  return f"{x:.4g}"


def _as_seeded(v) -> dict[int, float] | list[float]:
  return dict(v) if isinstance(v, dict) else list(v)


def check_rule(rule: dict, values: dict, metric: str = "") -> RuleResult:
  """Evaluates one rule against per-arm values: ``values[arm]`` maps seed -> value (paired where the
  seeds match) or is a plain list (independent samples). ``metric`` picks the default margin (the rule's
  own ``"metric"`` wins)."""
  rule = dict(rule)
  metric = rule.get("metric", metric)
  tag = f"[{metric}] " if metric else ""
  res = _check(rule, metric, values)
  return RuleResult(res.rule, res.outcome, tag + res.text, res.numbers)


def _mean(v) -> float:
  return float(np.mean(list(v.values()) if isinstance(v, dict) else v))


def _check(rule: dict, metric: str, values: dict) -> RuleResult:
  arm, op = rule["arm"], rule["op"]
  if arm not in values or not len(values[arm]):
    return RuleResult(rule, INCONCLUSIVE, f"arm {arm!r} has no results", {})
  a = _as_seeded(values[arm])
  if op in (">", "<", "tie", "not_worse"):
    other = rule["than"]
    if other not in values or not len(values[other]):
      return RuleResult(rule, INCONCLUSIVE, f"arm {other!r} has no results", {})
    b = _as_seeded(values[other])
    m, why = (float(rule["margin"]), "stated by the rule") if "margin" in rule else margin_for(metric, _mean(b))
    diff = compare(a, b, rule.get("paired"))
    kind = f"paired over {diff.n} seeds" if diff.paired else "Welch, unpaired"
    nums = {"d": diff.d, "lo": diff.lo, "hi": diff.hi, "se": diff.se, "df": diff.df, "paired": diff.paired,
            "n": diff.n, "margin": m, "margin_why": why}
    ci = (f"mean({arm}) - mean({other}) = {_fmt(diff.d)}, 95% CI [{_fmt(diff.lo)}, {_fmt(diff.hi)}] "
          f"({kind}; margin {_fmt(m)})")
    if math.isnan(diff.lo):
      return RuleResult(rule, INCONCLUSIVE, f"{arm} {op} {other}: {ci}: needs at least 2 seeds per arm", nums)
    if op in (">", "<"):
      s = 1.0 if op == ">" else -1.0
      lo, hi = (diff.lo, diff.hi) if s > 0 else (-diff.hi, -diff.lo)   # in the claimed direction
      if lo > 0:
        out, why_txt = HOLDS, "holds" + (" (smaller than the margin)" if hi < m else "")
      elif hi < 0:
        out, why_txt = CONTRADICTED, "contradicted: the opposite holds beyond noise"
      elif hi < m:
        out, why_txt = CONTRADICTED, f"contradicted: the interval excludes every effect as large as the margin"
      else:
        out, why_txt = INCONCLUSIVE, _inconclusive(nums, diff, m)
      return RuleResult(rule, out, f"{arm} {op} {other}: {ci}: {why_txt}", nums)
    if op == "not_worse":
      # non-inferiority: "A matches or beats B" -- the one-sided 97.5% bound excludes a loss as large as m
      better = rule.get("better") or ("lower" if re.search(r"(loss|error|perplexity|nll|ece)", metric or "") else "higher")
      if better not in ("higher", "lower"):
        raise ValueError(f"rule {rule}: better={better!r}; known: higher, lower")
      lo, hi = (diff.lo, diff.hi) if better == "higher" else (-diff.hi, -diff.lo)
      nums["better"] = better
      if lo > -m:
        out, why_txt = HOLDS, f"holds: not worse by the margin or more ({better} is better)"
      elif hi < -m:
        out, why_txt = CONTRADICTED, f"contradicted: worse by more than the margin beyond noise ({better} is better)"
      else:
        out, why_txt = INCONCLUSIVE, _inconclusive(nums, diff, m)
      return RuleResult(rule, out, f"{arm} not worse than {other}: {ci}: {why_txt}", nums)
    # equivalence: two one-sided tests at ALPHA each <=> the 90% interval inside (-m, m)
    lo90, hi90 = diff.interval(1 - 2 * ALPHA)
    p = tost_p(diff, m)
    nums.update(lo90=lo90, hi90=hi90, tost_p=p)
    tost = f"TOST p = {p:.3g}, 90% CI [{_fmt(lo90)}, {_fmt(hi90)}]"
    if p < ALPHA:
      out, why_txt = HOLDS, f"equivalent within ±{_fmt(m)} ({tost})"
    elif diff.lo > m or diff.hi < -m:
      out, why_txt = CONTRADICTED, f"contradicted: they differ by more than the margin ({tost})"
    else:
      out = INCONCLUSIVE
      nums["mde"] = mde(diff.se, diff.df, two_sided=False)
      nums["seeds_needed"] = seeds_needed(diff.sd, m, diff.paired, two_sided=False)
      why_txt = (f"inconclusive ({tost}): the smallest margin TOST confirms at {diff.n} seeds (80% power, true "
                 f"difference 0) is {_fmt(nums['mde'])}; "
                 + (f"{nums['seeds_needed']} seeds would confirm ±{_fmt(m)}" if nums["seeds_needed"]
                    else "no feasible seed count confirms the margin"))
    return RuleResult(rule, out, f"{arm} ties {other}: {ci}: {why_txt}", nums)
  vals = list(a.values()) if isinstance(a, dict) else a
  s = summarize(vals)
  nums = {"mean": s.mean, "lo": s.lo, "hi": s.hi, "n": s.n, "std": s.std}
  desc = f"mean({arm}) = {_fmt(s.mean)}, 95% CI [{_fmt(s.lo)}, {_fmt(s.hi)}] over {s.n} seeds"
  if s.n < 2:
    return RuleResult(rule, INCONCLUSIVE, f"{desc}: needs at least 2 seeds", nums)
  if op in (">=", "<="):
    v = float(rule["value"])
    lo, hi, vv = (s.lo, s.hi, v) if op == ">=" else (-s.hi, -s.lo, -v)
    if lo >= vv:
      out = HOLDS
    elif hi < vv:
      out = CONTRADICTED
    else:
      out = INCONCLUSIVE
    text = f"{desc} {op} {_fmt(v)}: {out}"
  elif op == "between":
    u, w = (float(x) for x in rule["value"])
    if u <= s.lo and s.hi <= w:
      out = HOLDS
    elif s.hi < u or s.lo > w:
      out = CONTRADICTED
    else:
      out = INCONCLUSIVE
    text = f"{desc} in [{_fmt(u)}, {_fmt(w)}]: {out}"
  else:
    raise ValueError(f"unknown rule op {op!r} in {rule}; known: >, <, tie, not_worse, >=, <=, between")
  if out == INCONCLUSIVE:
    se = s.std / math.sqrt(s.n)
    nums["mde"] = mde(se, s.n - 1)
    text += f" (the interval straddles the threshold; minimum detectable effect {_fmt(nums['mde'])} at {s.n} seeds)"
  return RuleResult(rule, out, text, nums)


def verdict(results: list[RuleResult], not_testable: str = "", partly_testable: str = "") -> str:
  """The five-label verdict from the rules' outcomes (see the module docstring). A ``partly_testable``
  reason (part of the claim cannot be tested here) caps "reproduced" at "partly reproduced"."""
  if not_testable:
    return VERDICTS[4]
  if not results:
    raise ValueError("a reproduction needs at least one rule (config.sweep.rules) or a not_testable reason")
  outcomes = [r.outcome for r in results]
  if all(o == HOLDS for o in outcomes):
    return VERDICTS[1] if partly_testable else VERDICTS[0]
  if HOLDS in outcomes:
    return VERDICTS[1]
  if CONTRADICTED in outcomes:
    return VERDICTS[2]
  return VERDICTS[3]
