"""Optimal Scaling Needs Optimal Norm (Filatov, Wang, Ebert & Kesselheim, 2025, arXiv:2510.03871).

Claim: across model and dataset sizes the optimal (learning rate, batch size) pairs give the same
output-layer operator norm ("norm transfer", with the Scion optimizer); per-layer-group learning rates help:
the output layer is the most sensitive, and hidden layers gain from a lower learning rate than the others.
cpu:   the per-layer-group part on the char-level Transformer LM (Tiny Shakespeare, 2 x 64, untied head,
       1000 steps, AdamW 1e-3 cosine; sized for a 3-minute sweep): uniform learning rate vs hidden layers at 1/2 (the paper's
       direction) vs output layer at 1/2, through ``Parametrization(group_lr=...)`` with the layer groups
       named by roles; the output layer's RMS -> l_inf operator norm (the paper's) is logged (diagnostic
       ``output_norm``). Rule: hidden at 1/2 not worse than uniform (margin 0.01 nats); "the output layer
       is the most sensitive" compares the size of two changes, which no paired rule expresses: the
       output_half arm is reported beside them.
       3 seeds. The paper's group factors act around a tuned base rate, so each arm's base AdamW rate is
       chosen from 1e-3 .. 3e-1 on validation loss of a 90/10 split of the training text (c.sweep.tune, three
       selection seeds) before its seeds run. A first run without tuning (all arms at 1e-3, 3 seeds, not a
       report: the base rate was not at its optimum) gave hidden_half - uniform = +0.080 nats [0.060, 0.099]
       and output_half - uniform = +0.008; the tuning was added after it, the rule was not changed.
       Scion is not in lbrl, so norm transfer itself is not tested (partly testable). The grid's top was
       3e-2 until a first tuned pass chose it for hidden_half (2.0644 vs 2.0855 at 1e-2); 1e-1 was added
       for every arm; one selection seed then chose 1e-1 for hidden_half (2.0380), whose three test seeds
       gave 2.130 / 2.219 / 2.153 (vs 2.07 at 3e-2: an unstable rate picked by one seed's noise), so the
       selection now averages three seeds over 1e-3 .. 3e-1 before the verdict, the rule unchanged.
report (2026-12-02): chosen rates hidden_half 3e-2, uniform and output_half 1e-2 (all interior);
       validation loss 2.073 / 2.039 / 2.051: hidden_half - uniform +0.034 [-0.012, +0.081], inconclusive
       (MDE 0.058 at 3 seeds); the hidden layers' lower rate does not help at this scale.
paper: Scion / Disco on LLaMA-style models up to 1.3B parameters and 138B tokens; the paper variant is
       lbrl's LLaMA-1B C4 run with AdamW (Scion is not in lbrl).
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  common.char_lm(c, variant)
  c.model.tie_embeddings = False
  if variant == "smoke":
    c.model.update(num_layers=1, width=32, num_heads=2)
  elif variant == "cpu":
    c.model.update(num_layers=2, width=64, num_heads=2)
    c.steps = 1000
  c.loss = common.free(name="cross_entropy")
  c.eval_metrics = ["loss"]
  c.diagnostics = ["output_norm"]
  if variant == "paper":   # the paper's largest Adam-comparable LLaMA-style run (1.3B on C4-scale text)
    common.c4_llama(c, size="1b", optimizer=dict(name="adamw", learning_rate=1e-3, b1=0.9, b2=0.95,
                                                 weight_decay=0.1))
  # the base is the model itself: every width multiplier is 1, only the group factors act
  roles = [("^embed/", "input"), ("^unembed$", "output"), ("^block_", "hidden")]
  vocab = c.model.get("vocab_size") or 65   # Tiny Shakespeare's 65 characters
  p13n = dict(optimizer="adam", roles=roles, base_model=dict(c.model.to_dict(), vocab_size=vocab),
              input_shape=(1, 8), input_dtype="int32")
  c.parametrization = common.free(name="mup", **p13n)
  c.paper.update(
      title="Optimal Scaling Needs Optimal Norm", year=2025, arxiv="2510.03871", slug="optimal_norm",
      provides="transform",
      code="lbrl.optim.parametrization.Parametrization(group_lr=...); lbrl.analysis.coord_check."
           "output_operator_norm (diagnostic output_norm)",
      claim="the optimal (lr, batch) pairs share one output-layer operator norm; per-layer-group learning rates "
            "help, hidden layers gain from a lower learning rate",
      expected="hidden layers at half the learning rate not worse than uniform (0.01 nats)",
      setting="Scion/Disco, LLaMA-style models up to 1.3B parameters, 138B tokens", hardware="GPU cluster (paper)")
  c.sweep.metric = "eval/loss"
  base = lambda group: {"parametrization": dict(name="mup", group_lr=group, **p13n)}
  c.sweep.arms = {"uniform": base({}), "hidden_half": base({"hidden": 0.5}), "output_half": base({"output": 0.5})}
  c.sweep.rules = [{"arm": "hidden_half", "op": "not_worse", "than": "uniform", "margin": 0.01}]
  c.sweep.tune = dict(grids={a: [("optimizer.learning_rate", [1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1])] for a in c.sweep.arms},
                      split="train[90%:]", train_split="train[:90%]", metric="eval/loss", seeds=[1000, 1001, 1002])
  c.sweep.partly_testable = ("norm transfer is stated for the Scion optimizer, which lbrl lacks; the output-layer "
                             "norm is logged (output_norm) but no rule is fixed on it")
  return common.finalize(c)
