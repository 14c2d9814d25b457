"""Adam (Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, arXiv:1412.6980).

Claim: Adam (bias-corrected first and second moment estimates, step lr * m^ / (sqrt(v^) + eps)) is
invariant to diagonal rescaling of the gradients and compares favourably with other stochastic
optimizers (SGD with Nesterov momentum, AdaGrad, RMSProp) on logistic regression and MLPs.
cpu:   MNIST-1D MLP (40-100-100-10), batch 128, 3000 steps, constant learning rate; Adam (b1 0.9,
       b2 0.999, eps 1e-8: the paper's defaults) at lr 1e-3 (the paper's default) and 1e-2, SGD with
       Nesterov momentum 0.9 and AdaGrad (optax.adagrad) each at 0.01 and 0.1. The rules compare the
       paper's default Adam with the two baselines at their better-known default (0.01) and at 0.1.
       3 seeds, about 3 minutes on 2 cores.
paper: logistic regression on MNIST and IMDB bag-of-words, MLPs with dropout on MNIST, CNNs on
       CIFAR-10 (training-cost curves, no tables).
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="mnist1d", batch_size=128, eval_batch_size=1000)
  c.model = common.free(name="mlp")
  c.loss.name = "cross_entropy"
  c.optimizer = common.free(name="adam", learning_rate=1e-3)
  c.steps = common.by_variant(variant, smoke=2, cpu=3000, paper=3000)
  c.eval_every = common.by_variant(variant, smoke=0, cpu=500, paper=500)
  c.log_every = common.by_variant(variant, smoke=1, cpu=250, paper=250)
  c.paper.update(
      title="Adam: A Method for Stochastic Optimization", year=2015, arxiv="1412.6980", slug="adam",
      provides="transform", code="lbrl.optim.adaptive.adam (optax.adam)",
      claim="Adam compares favourably with SGD-Nesterov and AdaGrad on MLPs",
      expected="Adam (lr 1e-3) test accuracy above SGD-Nesterov's and AdaGrad's",
      setting="logistic regression / MLP on MNIST, IMDB; CNN on CIFAR-10", hardware="GPU (paper)")
  arms = {"adam_lr1em3": {"optimizer": {"name": "adam", "learning_rate": 1e-3}},
          "adam_lr1em2": {"optimizer": {"name": "adam", "learning_rate": 1e-2}}}
  for tag, lr in (("0p01", 0.01), ("0p1", 0.1)):
    arms[f"sgd_nesterov_lr{tag}"] = {"optimizer": {"name": "sgd", "learning_rate": lr, "momentum": 0.9,
                                                   "nesterov": True}}
    arms[f"adagrad_lr{tag}"] = {"optimizer": {"name": "adagrad", "learning_rate": lr}}
  c.sweep.arms = arms
  c.sweep.rules = [{"arm": "adam_lr1em3", "op": ">", "than": "sgd_nesterov_lr0p01"},
                   {"arm": "adam_lr1em3", "op": ">", "than": "adagrad_lr0p01"},
                   {"arm": "adam_lr1em3", "op": ">", "than": "sgd_nesterov_lr0p1"},
                   {"arm": "adam_lr1em3", "op": ">", "than": "adagrad_lr0p1"}]
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
