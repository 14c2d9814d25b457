"""diffGrad (Dubey et al., "diffGrad: An Optimization Method for Convolutional Neural Networks", IEEE
TNNLS 2019, arXiv:1909.11015).

Claim tested: scaling Adam's step by the friction xi = sigmoid(|g_{t-1} - g_t|) (smaller steps where the
gradient barely changes) gives higher test accuracy than Adam on CNN image classification, each
optimizer at its best learning rate.
cpu:   the issue-14 optimizer protocol: MNIST-1D 1-D CNN, batch 128, 1500 steps, cosine decay to 0, no
       weight decay. Each arm's learning rate is chosen on a validation split (trained on train[:90%],
       scored on train[90%:], selection seed 1000) from a grid reaching past its optimum: Adam and
       diffGrad both {3e-4 ... 1e-1} (diffGrad's friction xi lies in [0.5, 1], so its step is at most
       Adam's and its optimum may sit at a higher rate). Then 5 seeds (0-4) at each arm's choice on the
       full training set, scored on the test split; the rule is paired over the shared seeds.
       Rule (fixed before the run): diffGrad > Adam with the 1-point default margin.
protocol (changed for issue 14): the first run compared the two rate by rate at {3e-3, 1e-2, 3e-2}
       (3 seeds, 3000 steps); since xi in [0.5, 1] makes diffGrad roughly Adam at half the rate, a
       same-rate pairing measures the step size, not the method (first verdict: not reproduced). Now
       best against best on validation, 5 seeds, and 1500 steps so that all eight optimizer
       reproductions of issue 14 fit one shared, cheap protocol.
observed (this run, 5 seeds): both arms chose lr 3e-2 on validation (Adam 0.930, diffGrad 0.910; the
       grid's next point, 0.1, was worse for both). Test accuracy Adam 93.5 ± 0.3%, diffGrad 92.5 ±
       0.9%: paired difference -1.0 points, 95% CI [-1.97, -0.03]; the opposite of the claim holds
       beyond noise, so "not reproduced". The first run's same-rate losses of 2-3 points were mostly
       step size; at each arm's best a 1-point deficit remains.
paper: ResNet-18/34/50 on CIFAR-10/100 (and with several activations); accuracies in the paper's tables.
"""
from lbrl import config as common

LRS = [3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]


def get_config(arg=None):
  c, variant = common.mnist1d_cnn(arg, "diffgrad", 1e-2)
  c.steps = common.by_variant(variant, smoke=2, cpu=1500, paper=1500)
  c.paper.update(
      title="diffGrad: An Optimization Method for Convolutional Neural Networks", year=2019,
      arxiv="1909.11015", slug="diffgrad", provides="transform", code="lbrl.optim.adaptive.diffgrad",
      claim="diffGrad beats Adam on CNN image classification",
      expected="diffGrad test accuracy above Adam's, each at its best learning rate on validation",
      setting="ResNet-18/34/50 on CIFAR-10/100", hardware="GPU (paper)")
  c.sweep.arms = {"diffgrad": {"optimizer": {"name": "diffgrad"}}, "adam": {"optimizer": {"name": "adam"}}}
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.tune = dict(grids={"diffgrad": [("optimizer.learning_rate", LRS)],
                             "adam": [("optimizer.learning_rate", LRS)]},
                      split="train[90%:]", train_split="train[:90%]", metric="eval/accuracy", seeds=[1000])
  c.sweep.rules = [{"arm": "diffgrad", "op": ">", "than": "adam"}]
  if variant == "paper":
    # Dubey et al., Sec. IV: CIFAR-10 with ResNet-18 (the authors' code trains the CIFAR ResNets of
    # pytorch-cifar), batch 128, 100 epochs, lr 1e-3 for diffGrad and Adam (assumed from the authors'
    # code, not re-checked against the paper).
    common.cifar(c, model=dict(name="resnet18"), batch=128, epochs=100, devices=1,
                 optimizer=dict(name="diffgrad", learning_rate=1e-3), schedule=dict(name="constant"))
    c.paper.update(hardware="one GPU",
                   expected="diffGrad test accuracy above Adam's with ResNet-18/34/50 on CIFAR-10/100 (the "
                            "paper's tables)")
  return common.finalize(c)
