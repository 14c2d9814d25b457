"""Fixup (Zhang, Dauphin & Ma, "Fixup Initialization: Residual Learning Without Normalization", ICLR 2019,
arXiv:1901.09321).

Claim: rescaling the standard initialisation (last layer of each residual branch and the classifier at 0,
the other branch layers scaled by L^(-1/(2m-2)), scalar biases and multipliers) lets a deep residual
network without normalization train as stably as one with normalization, where the un-normalized net
with the standard init does not.
cpu:   MNIST-1D, a deep and narrow residual MLP (lbrl ``res_mlp``: 64 branches of 2 layers, width 32),
       SGD momentum 0.9, lr 0.05 cosine, batch 128, 1500 steps. Arms: He init without normalization (the
       paper's "no normalization" baseline; its stream variance doubles per branch, 2^64 at the output),
       Fixup without normalization, and He init with Pre-LayerNorm (the normalized reference; LN rather
       than BN so that a batch-independent layer is compared). 3 seeds. A diverged run skips its
       non-finite updates (max_skipped_fraction 1: it stays near chance) instead of stopping the sweep.
       Signal propagation at init (variance 2^L without, exactly 1 with Fixup) is tested exactly in
       tests/models/test_norm.py and measurable in training with diagnostics=["activation_variance"].
paper: CIFAR-10 ResNet-110 without normalization, Fixup init, mixup, SGD lr 0.1, batch 128, 200 epochs
       (Table 1: 7.24% test error with Fixup vs 6.61% with BatchNorm).
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  depth, width = common.deep_resmlp(c, variant, norm="none", init_scheme="fixup")
  c.paper.update(
      title="Fixup Initialization: Residual Learning Without Normalization", year=2019, arxiv="1901.09321",
      slug="fixup", provides="module", code="lbrl.models.simple.ResMLP(init_scheme='fixup') + lbrl.models.norm",
      claim="with Fixup's rescaled init a deep residual network without normalization trains as well as with "
            "normalization; with the standard init it does not",
      expected="test accuracy: Fixup not worse than Pre-LN by more than 2 points; Fixup above the plain He init",
      setting="CIFAR-10 ResNet-110 / ImageNet ResNet-50 / WMT Transformer without normalization",
      hardware="GPU (paper)")
  mlp = lambda **kw: {"model": {"name": "res_mlp", "width": width, "depth": depth, **kw}}
  c.sweep.arms = {"plain_he": mlp(norm="none", init_scheme="he"), "fixup": mlp(norm="none", init_scheme="fixup"),
                  "layernorm": mlp(norm="layer", init_scheme="he")}
  c.sweep.rules = [{"arm": "fixup", "op": "not_worse", "than": "layernorm", "margin": 0.02},
                   {"arm": "fixup", "op": ">", "than": "plain_he", "margin": 0.01}]
  c.sweep.partly_testable = ("the 10,000-layer and state-of-the-art parts (ImageNet, WMT) need the paper's "
                             "scale; here depth 64 on MNIST-1D")
  if variant == "paper":
    # Zhang et al., Table 1: ResNet-110 on CIFAR-10 without normalization, SGD lr 0.1 (momentum 0.9, weight
    # decay 5e-4), batch 128, 200 epochs. lbrl's CIFAR ResNet has no Fixup init yet: its norm="none" is
    # SkipInit (a zero-initialised scalar per branch, the same "branch starts at 0" principle).
    common.cifar(c, model=dict(name="resnet", depth=110, norm="none"), batch=128, epochs=200, devices=1,
                 optimizer=dict(name="sgd", learning_rate=0.1, momentum=0.9, weight_decay=5e-4))
    c.paper.update(hardware="one GPU", expected="7.24% CIFAR-10 test error (Fixup, Table 1)")
  return common.finalize(c)
