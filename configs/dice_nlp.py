"""Dice loss for data-imbalanced NLP (Li et al., "Dice Loss for Data-imbalanced NLP Tasks", ACL 2020,
arXiv:1911.02855): self-adjusting dice / Tversky losses instead of CE.

Claim: on imbalanced token tagging, dice/Tversky losses with the dynamic weight (1 - p)^alpha beat CE on
F1.
cpu:   no tagging corpus (CTB, UD, CoNLL, OntoNotes) is available offline, so this is a PROXY, not NLP:
       per-example classification of a 5-class Gaussian mixture (8 dimensions, separation 2, overlapping
       classes) whose training set is long-tailed (ratio 50: 400 down to 8 per class, 617 examples), MLP
       8-64-64-5, Adam lr 1e-2, batch 512 (batch-level dice), 1000 steps; test set balanced; metric
       macro-F1. Arms: CE, self-adjusting dice (alpha = 1, gamma = 1), plain dice (alpha = 0), Tversky
       (false-positive weight 0.3, false-negative weight 0.7). 3 seeds.
paper: POS tagging (CTB5/6, UD1.4), NER (CoNLL03, OntoNotes4/5, MSRA), MRC (SQuAD, QuoRef), paraphrase
       identification, with BERT / XLNet; F1 tables per dataset.
observed (cpu run, 3 seeds, proxy task): macro-F1 CE 59.4%, plain dice 56.0%, self-adjusting dice
       29.1%, self-adjusting Tversky 27.5%: the dynamically weighted losses are far below CE here. With
       alpha = 1, q = (1 - p) p, the dice term of a positive class, (2 q + gamma) / (q + 1 + gamma), is
       largest at p = 1/2, so on this task the loss does not reward confident correct predictions (the
       down-weighting of easy examples the paper motivates); whether that hurts on real tagging data with
       a pretrained encoder is not tested here.
"""
from configs import common


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="gaussian_mixture", batch_size=512, eval_batch_size=1000)
  c.data.options = common.free(num_classes=5, dim=8, separation=2.0, std=1.0, num_train=2000, num_test=1000)
  c.data.transforms = [dict(name="long_tail", imbalance_ratio=50.0)]
  c.model = common.free(name="mlp", hidden=(64, 64))
  c.loss = common.free(name="dice_nlp", alpha=1.0, gamma=1.0)
  c.optimizer = common.free(name="adam", learning_rate=1e-2)
  c.steps = common.by_variant(variant, smoke=2, cpu=1000, paper=1000)
  c.eval_every = common.by_variant(variant, smoke=0, cpu=200, paper=200)
  c.log_every = common.by_variant(variant, smoke=1, cpu=100, paper=100)
  c.eval_metrics = ["loss", "accuracy", "macro_f1", "balanced_accuracy"]
  c.paper.update(
      title="Dice Loss for Data-imbalanced NLP Tasks", year=2020, arxiv="1911.02855", slug="dice_nlp",
      provides="function", code="lbrl.losses.tagging.dice_nlp / tversky_nlp",
      claim="on imbalanced token tagging, dice/Tversky with dynamic weights beats CE on F1",
      expected="self-adjusting dice above CE in macro-F1 (proxy task)",
      setting="BERT/XLNet on CTB5/6, UD1.4, CoNLL03, OntoNotes4/5, MSRA, SQuAD, QuoRef",
      hardware="GPU (paper)")
  c.sweep.metric = "eval/macro_f1"
  c.sweep.arms = {
      "ce": {"loss": {"name": "cross_entropy"}},
      "dice_adjusted": {"loss": {"name": "dice_nlp", "alpha": 1.0, "gamma": 1.0}},
      "dice_plain": {"loss": {"name": "dice_nlp", "alpha": 0.0, "gamma": 1.0}},
      "tversky": {"loss": {"name": "tversky_nlp", "fp_weight": 0.3, "fn_weight": 0.7, "alpha": 1.0}},
  }
  c.sweep.rules = [{"arm": "dice_adjusted", "op": ">", "than": "ce"},
                   {"arm": "tversky", "op": ">", "than": "ce"}]
  return common.finalize(c)
