"""MNIST-1D baselines (Greydanus & Kobak, "Scaling Down Deep Learning with MNIST-1D", 2020, arXiv:2011.14439).
Not a catalog slug: the dataset's own baselines, which the MNIST-1D protocols of many configs build on.

Claim: on the default 4000/1000 split, test accuracy is about 32% for logistic regression, 68% for an
MLP, 94% for a CNN and 91% for a GRU; with the spatial dimension shuffled by one fixed permutation,
32% / 68% / 56% / 57% (the CNN and GRU lose their spatial prior, the MLP and logistic regression are
unaffected).
cpu:   exactly the published setting (it is CPU-sized): Adam, lr 1e-2, batch 100, 6000 steps for each of
       the 8 arms x 3 seeds (the CNN default arm takes well under a minute on 2 cores).
paper: the same (the mnist1d README's numbers come from this setting on one GPU/CPU).
This config is lbrl's default experiment (``python -m lbrl.main`` without --config runs the CNN arm).
"""
from lbrl import config as common

PUBLISHED = {"logreg": 0.32, "mlp": 0.68, "cnn": 0.94, "gru": 0.91,
             "logreg_shuffled": 0.32, "mlp_shuffled": 0.68, "cnn_shuffled": 0.56, "gru_shuffled": 0.57}


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="mnist1d", batch_size=100, eval_batch_size=1000)
  c.model = common.free(name="cnn1d")
  c.loss.name = "cross_entropy"
  c.optimizer = common.free(name="adam", learning_rate=1e-2)
  c.steps = common.by_variant(variant, smoke=2, cpu=6000, paper=6000)
  c.eval_every = common.by_variant(variant, smoke=0, cpu=1000, paper=250)
  c.log_every = common.by_variant(variant, smoke=1, cpu=250, paper=250)
  c.paper.update(
      title="Scaling Down Deep Learning with MNIST-1D", year=2020, arxiv="2011.14439", slug="mnist1d",
      provides="baseline", code="lbrl.models.simple",
      claim="CNN 94% > GRU 91% > MLP 68% > logistic 32% test accuracy on MNIST-1D; shuffling the "
            "spatial dimension drops CNN/GRU to 56%/57% and leaves MLP/logistic unchanged",
      expected="each arm within a few points of the published number; shuffled CNN well below CNN",
      setting="mnist1d README: Adam lr 1e-2, batch 100, 6000 steps, 4000/1000 split",
      hardware="any (CPU minutes)")
  shuffled = {"data": {"options": {"shuffle_spatial": True}}}
  models = {"logreg": {"name": "logreg"}, "mlp": {"name": "mlp"}, "cnn": {"name": "cnn1d"},
            "gru": {"name": "gru"}}
  arms = {}
  for arm, model in models.items():
    arms[arm] = {"model": model}
    arms[f"{arm}_shuffled"] = {"model": model, **shuffled}
  c.sweep.arms = arms
  c.sweep.published = PUBLISHED
  c.sweep.rules = [
      {"arm": "cnn", "op": ">=", "value": 0.90},
      {"arm": "mlp", "op": "between", "value": (0.60, 0.75)},
      {"arm": "cnn_shuffled", "op": "<", "than": "cnn"},
      {"arm": "gru_shuffled", "op": "<", "than": "gru"},
      {"arm": "cnn", "op": ">", "than": "mlp"},
      {"arm": "mlp_shuffled", "op": "tie", "than": "mlp"},
  ]
  common.cpu_sized(
      c, "the paper's own setting is MNIST-1D (4000 training examples): it runs in minutes on a CPU")
  return common.finalize(c)
