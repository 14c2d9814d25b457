"""Adam (Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, arXiv:1412.6980).

Claim tested: on a multilayer network Adam (bias-corrected first and second moment estimates, step
lr * m^ / (sqrt(v^) + eps)) lowers the training cost faster than SGD with Nesterov momentum and AdaGrad
(the paper's Figure 2: training cost against iterations, each method at the best of a dense
learning-rate grid): after the same number of steps, Adam's training loss is below each baseline's.
cpu:   MNIST-1D with 50,000 generated samples (40,000 train / 10,000 test, so that 1500 steps of
       batch 128 are under 5 epochs and the network is still fitting, not memorising) and its MLP
       (40-100-100-10, ReLU), batch 128, 1500 steps, constant learning rate (as the paper's MLP runs); Adam (b1 0.9, b2 0.999, eps 1e-8: the paper's defaults), SGD with Nesterov momentum
       0.9, AdaGrad (optax.adagrad). Every run trains on train[:90%] (36,000 examples); the metric is the
       cross-entropy on that whole training split after 1500 steps. Each arm's rate is chosen on the
       held-out train[90%:] (selection seed 1000) from a grid reaching past its optimum: Adam {1e-4 ... 3e-2},
       SGD-Nesterov and AdaGrad {3e-3 ... 1}; then 5 seeds (0-4) at each arm's choice, paired over
       the shared seeds. Selection is on the held-out loss of train[90%:]: lbrl's tuning refuses a
       selection split that overlaps the training split, so selecting on the training cost itself (the
       paper's protocol) waits for a change to the tuning kind (see the issue-14 report); with 40,000
       examples seen fewer than 5 times the held-out loss tracks the training loss, and it picks every
       arm's rate by the same criterion. Rules (fixed before the run): Adam's training
       loss < SGD-Nesterov's and < AdaGrad's, each with the default loss margin (1% of the baseline's
       mean, at least 0.01 nats).
protocol (changed for issue 14): the first run fixed Adam at 1e-3 while the baselines got 0.1 (Adam at
       1e-2 beat both by about 2.2 points), and its rules scored the test accuracy of an overfitting
       MLP although the paper's claim is about training cost (first verdict: partly reproduced). Now
       every arm is tuned, the metric is the training loss, 5 seeds instead of 3, 1500 steps, and 10x the
       generated samples (the claim is about optimisation, which 4,000 memorised examples do not test).
observed (this run, 5 seeds): held-out selection chose Adam 1e-2, SGD-Nesterov 0.1 and AdaGrad 0.3
       (each inside its grid). Training loss after 1500 steps: Adam 0.408 ± 0.025, SGD-Nesterov 0.380 ±
       0.011, AdaGrad 0.362 ± 0.018 (training accuracy 84.6%, 85.8%, 86.6%: the network is still
       fitting). Adam minus SGD-Nesterov +0.028 nats, 95% CI [-0.004, +0.060]; Adam minus AdaGrad +0.046,
       CI [-0.001, +0.093]: neither interval admits Adam lower by the 0.01-nat margin, so both rules are
       contradicted: with every rate tuned, Adam does not lower the training cost faster here. Caveats:
       rates chosen on held-out loss rather than on the training cost (see above), one MLP, one budget.
paper: logistic regression on MNIST and IMDB bag-of-words, MLPs with dropout on MNIST, CNNs on
       CIFAR-10 (training-cost curves, no tables).
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="mnist1d", batch_size=128, eval_batch_size=4000, split_train="train[:90%]",
                split_eval="train[:90%]")
  if variant != "smoke":   # smoke (CI) keeps the default 5,000 samples: generating 50,000 takes ~40 s of CPU
    c.data.options = common.free(num_samples=50_000)
  c.model = common.free(name="mlp")
  c.loss.name = "cross_entropy"
  c.optimizer = common.free(name="adam", learning_rate=1e-3)
  c.steps = common.by_variant(variant, smoke=2, cpu=1500, paper=1500)
  c.eval_every = common.by_variant(variant, smoke=0, cpu=500, paper=500)
  c.log_every = common.by_variant(variant, smoke=1, cpu=250, paper=250)
  c.paper.update(
      title="Adam: A Method for Stochastic Optimization", year=2015, arxiv="1412.6980", slug="adam",
      provides="transform", code="lbrl.optim.adaptive.adam (optax.adam)",
      claim="Adam lowers the training cost of an MLP faster than SGD-Nesterov and AdaGrad",
      expected="training loss after the same steps: Adam below SGD-Nesterov and AdaGrad, each at its tuned rate",
      setting="logistic regression / MLP on MNIST, IMDB; CNN on CIFAR-10", hardware="GPU (paper)")
  c.sweep.metric = "eval/loss"
  c.sweep.arms = {"adam": {"optimizer": {"name": "adam"}},
                  "sgd_nesterov": {"optimizer": {"name": "sgd", "momentum": 0.9, "nesterov": True}},
                  "adagrad": {"optimizer": {"name": "adagrad"}}}
  c.sweep.seeds = [0, 1, 2, 3, 4]
  base_lrs = [3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0]
  c.sweep.tune = dict(grids={"adam": [("optimizer.learning_rate", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2])],
                             "sgd_nesterov": [("optimizer.learning_rate", base_lrs)],
                             "adagrad": [("optimizer.learning_rate", base_lrs)]},
                      split="train[90%:]", train_split="train[:90%]", metric="eval/loss", mode="min",
                      seeds=[1000])
  c.sweep.rules = [{"arm": "adam", "op": "<", "than": "sgd_nesterov"},
                   {"arm": "adam", "op": "<", "than": "adagrad"}]
  if variant == "paper":
    # Kingma & Ba, Sec. 6.2: MNIST multilayer networks, two fully connected hidden layers of 1000 ReLU
    # units, minibatch 128, alpha = 0.001 (the paper's default), training cost over 200 epochs (Figure 2).
    # lbrl's MLP has no dropout (the paper also runs it with dropout). One GPU.
    common.paper_run(c, data="mnist", batch=128, epochs=200, devices=1,
                     model=dict(name="mlp", hidden=(1000, 1000)),
                     optimizer=dict(name="adam", learning_rate=1e-3), schedule=dict(name="constant"))
    c.paper.update(hardware="one GPU",
                   expected="Adam's training cost falls fastest (Figure 2: below AdaGrad, RMSProp, SGD-Nesterov "
                            "and AdaDelta over 200 epochs); the paper reports curves, no table")
  return common.finalize(c)
