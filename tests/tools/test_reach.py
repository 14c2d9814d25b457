"""Steps-to-threshold metrics read from a run's logged curve (``config.sweep.reach``) and how the rules
treat censored runs (a run that never reached the threshold: its value is a lower bound)."""
import numpy as np
import pytest
from scipy import stats as sps

from lbrl.tools import stats, verdicts
from lbrl.tools.kinds import sweep


def test_first_reach_is_the_first_logged_step_at_the_threshold():
  curve = [[0, 0.5], [10, 0.98], [20, 1.0], [30, 0.99], [40, 1.0]]
  assert sweep.first_reach(curve, 1.0) == 20                 # not 40: the first time, even if it dips later
  assert sweep.first_reach(curve, 0.98) == 10
  assert sweep.first_reach(curve, 1.01) is None
  assert sweep.first_reach([[0, 2.3], [5, 0.4], [9, 0.05]], 0.1, "<=") == 9
  with pytest.raises(ValueError, match="reach op"):
    sweep.first_reach(curve, 1.0, ">")


def test_reach_metrics_censor_at_the_budget():
  spec = {"steps_to_fit": {"metric": "eval/accuracy", "threshold": 1.0},
          "steps_to_low_loss": {"metric": "train/loss", "threshold": 0.1, "op": "<="}}
  curves = {"eval/accuracy": [[5, 0.9], [10, 1.0]], "train/loss": [[5, 0.5], [10, 0.3]]}
  out = sweep.reach_metrics(spec, curves, budget=10)
  assert out == {"steps_to_fit": 10.0, "steps_to_fit/censored": 0.0,
                 "steps_to_low_loss": 10.0, "steps_to_low_loss/censored": 1.0}
  with pytest.raises(ValueError, match="threshold"):
    sweep.reach_metrics({"x": {"metric": "eval/accuracy"}}, curves, 10)


def _records(values, censored=()):
  return [{"arm": a, "seed": s, "final": {"steps": v, "steps/censored": float((a, s) in censored)}}
          for a, per_seed in values.items() for s, v in per_seed.items()]


FAST = {0: 300.0, 1: 320.0, 2: 310.0, 3: 305.0}
SLOW = {0: 1000.0, 1: 1000.0, 2: 1000.0, 3: 1000.0}      # every seed at the budget


def test_a_censored_slower_arm_keeps_a_holding_faster_rule():
  recs = _records({"fast": FAST, "slow": SLOW}, censored={("slow", s) for s in SLOW})
  rule = {"arm": "fast", "op": "<", "than": "slow", "margin": 50}
  plain = stats.check_rule(rule, verdicts.per_arm(recs, "steps"), "steps")
  d = np.subtract(list(FAST.values()), list(SLOW.values()))
  ci = sps.ttest_1samp(d, 0).confidence_interval(0.95)
  assert plain.outcome == stats.HOLDS and np.isclose(plain.numbers["hi"], ci.high)
  (res,) = verdicts.evaluate_rules([rule], recs, "steps")
  # the slow arm's true values are >= the budget: fast - slow is even more negative, so "holds" stands
  assert res.outcome == stats.HOLDS and "censored at the budget in seeds 0, 1, 2, 3" in res.text
  assert res.numbers["censored"] == {"slow": [0, 1, 2, 3]}


def test_a_censored_claimed_faster_arm_cannot_hold_or_be_contradicted_by_the_censored_bound():
  # the arm claimed to be faster never reached the threshold in one seed: its value is only a lower
  # bound, so the interval's upper end (which "holds" rests on) is not an upper bound any more
  fast = {**FAST, 3: 400.0}
  recs = _records({"fast": fast, "slow": {s: 900.0 for s in fast}}, censored={("fast", 3)})
  rule = {"arm": "fast", "op": "<", "than": "slow", "margin": 50}
  assert stats.check_rule(rule, verdicts.per_arm(recs, "steps"), "steps").outcome == stats.HOLDS
  (res,) = verdicts.evaluate_rules([rule], recs, "steps")
  assert res.outcome == stats.INCONCLUSIVE and "fast censored at the budget in seed 3" in res.text
  # contradicted "A > B" rests on the upper end: inconclusive when A is censored ...
  res = verdicts.censor(stats.check_rule({"arm": "fast", "op": ">", "than": "slow", "margin": 50},
                                         verdicts.per_arm(recs, "steps"), "steps"), {"fast": [3]})
  assert res.outcome == stats.INCONCLUSIVE
  # ... and stands when only B is censored
  r2 = stats.check_rule({"arm": "fast", "op": ">", "than": "slow", "margin": 50},
                        verdicts.per_arm(recs, "steps"), "steps")
  assert r2.outcome == stats.CONTRADICTED
  assert verdicts.censor(r2, {"slow": [0]}).outcome == stats.CONTRADICTED


@pytest.mark.parametrize("rule, outcome, bounds", [
    ({"op": ">"}, stats.HOLDS, {"lo"}), ({"op": ">"}, stats.CONTRADICTED, {"hi"}),
    ({"op": "<"}, stats.HOLDS, {"hi"}), ({"op": "<"}, stats.CONTRADICTED, {"lo"}),
    ({"op": "not_worse"}, stats.HOLDS, {"lo"}), ({"op": "not_worse", "better": "lower"}, stats.HOLDS, {"hi"}),
    ({"op": "tie"}, stats.HOLDS, {"lo", "hi"}), ({"op": ">="}, stats.HOLDS, {"lo"}),
    ({"op": "<="}, stats.CONTRADICTED, {"lo"}),
])
def test_bound_each_outcome_rests_on(rule, outcome, bounds):
  nums = {"lo": 2.0, "hi": 3.0, "margin": 1.0}
  if rule.get("better"):
    nums["better"] = rule["better"]
  res = stats.RuleResult(dict(rule, arm="a", than="b"), outcome, "t", nums)
  assert verdicts._bound_used(res.rule, res) == bounds


def test_uncensored_records_are_evaluated_as_before():
  recs = _records({"fast": FAST, "slow": {s: v + 100 for s, v in FAST.items()}})
  rule = {"arm": "fast", "op": "<", "than": "slow", "margin": 50}
  (res,) = verdicts.evaluate_rules([rule], recs, "steps")
  assert res.to_json() == stats.check_rule(rule, verdicts.per_arm(recs, "steps"), "steps").to_json()
